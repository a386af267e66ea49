"""The partner users and single sign-on providers of a partner agency, for the mission
admins' agency page (the hook app/partners/links.py offers)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Membership, User
from app.accounts.sso_models import IdentityProvider
from app.partners.links import AgencyLinks, FocalPoint, ProviderRef, register_agency_links
from tenants.context import TenantContext


async def _links(db: AsyncSession, tenant: TenantContext, agency_id: uuid.UUID) -> AgencyLinks:
    people = await db.execute(
        select(User.name, User.email).join(Membership, Membership.user_id == User.id).where(
            Membership.tenant_id == tenant.id, Membership.status == "active",
            Membership.role == "partner_user", Membership.partner_agency_id == agency_id,
            User.status == "active").order_by(User.name))
    providers = await db.execute(
        select(IdentityProvider.id, IdentityProvider.name, IdentityProvider.enabled).where(
            IdentityProvider.tenant_id == tenant.id,
            IdentityProvider.partner_agency_id == agency_id).order_by(IdentityProvider.name))
    return AgencyLinks([FocalPoint(name, email) for name, email in people],
                       [ProviderRef(pid, name, enabled) for pid, name, enabled in providers])


register_agency_links(_links)
