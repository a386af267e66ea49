"""The demo's people as actors, for the seeders that write through the services."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Membership, User
from app.core.actor import Actor, make_actor
from tenants.context import TenantContext


async def demo_member(db: AsyncSession, tenant: TenantContext, local: str) -> Actor | None:
    """<local>@<mission>.demo acting with their role in the mission (None before the
    accounts are seeded)."""
    row = (await db.execute(select(User, Membership).join(
        Membership, Membership.user_id == User.id).where(
        Membership.tenant_id == tenant.id,
        User.email == f"{local}@{tenant.slug}.demo"))).first()
    return make_actor(row[0], row[1], "") if row else None
