from __future__ import annotations

import uuid

from litestar.exceptions import NotFoundException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.partners.models import PartnerAgency
from tenants.context import TenantContext


async def list_partner_agencies(db: AsyncSession, tenant: TenantContext) -> list[PartnerAgency]:
    return list(await db.scalars(
        select(PartnerAgency)
        .where(PartnerAgency.tenant_id == tenant.id, PartnerAgency.status == "active")
        .order_by(PartnerAgency.kind, PartnerAgency.name)))


async def get_partner_agency(db: AsyncSession, tenant: TenantContext,
                             partner_id: uuid.UUID) -> PartnerAgency:
    """The mission's partner agency, or 404: another mission's id is simply not found."""
    partner = await db.scalar(select(PartnerAgency).where(
        PartnerAgency.tenant_id == tenant.id, PartnerAgency.id == partner_id))
    if partner is None:
        raise NotFoundException()
    return partner
