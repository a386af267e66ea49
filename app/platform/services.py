"""HQ's work on missions: create one, suspend or activate it, appoint its first admins.

Missions are global rows, but the audit trail and invitations belong to a mission, so they
are written inside that mission's scope (row-level security checks them against it)."""

from __future__ import annotations

from collections.abc import Callable

from litestar.exceptions import NotFoundException
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import invitations
from app.accounts.services import end_session
from app.audit.services import record
from app.core.actor import Actor
from tenants.context import TenantContext, tenant_scope
from tenants.provisioning import (
    MissionSpec,
    create_tenant,
    get_tenant_by_slug,
    set_tenant_status,
    to_context,
)


async def create_mission(db: AsyncSession, actor: Actor, spec: MissionSpec) -> TenantContext:
    """A new, empty mission; ProvisioningError says what in the spec cannot be used."""
    tenant = await create_tenant(db, spec)
    context = to_context(tenant)
    with tenant_scope(context):
        record(db, tenant.id, actor, "tenant.created", "tenant", tenant.id,
               after={"slug": tenant.slug, "name": tenant.name})
        await db.commit()
    return context


async def set_mission_status(db: AsyncSession, actor: Actor, slug: str,
                             status: str) -> TenantContext:
    """Suspend or activate a mission (404 if there is none by that slug)."""
    if await get_tenant_by_slug(db, slug) is None:
        raise NotFoundException()
    tenant = await set_tenant_status(db, slug, status)
    context = to_context(tenant)
    with tenant_scope(context):
        record(db, tenant.id, actor,
               f"tenant.{'suspended' if status == 'suspended' else 'activated'}",
               "tenant", tenant.id, after={"status": status})
        await db.commit()
    return context


async def appoint_mission_admin(db: AsyncSession, actor: Actor, slug: str, email: str,
                                link: Callable[[str], str]) -> TenantContext:
    """Invite someone as the mission's admin (404 for an unknown mission; FormErrors for an
    address that cannot be invited). `link` turns the invitation token into its URL."""
    tenant = await get_tenant_by_slug(db, slug)
    if tenant is None:
        raise NotFoundException()
    context = to_context(tenant)
    await db.commit()  # end the unscoped transaction: the invitation is written as the mission
    with tenant_scope(context):
        await invitations.invite(db, context, actor, email, "mission_admin", None, link)
    return context


async def sign_out(db: AsyncSession, token: str) -> None:
    """HQ leaving /admin: the session ends (no mission's audit trail to write it in; the
    sign-in was recorded in the mission HQ signed in through)."""
    await end_session(db, token)
    await db.commit()
