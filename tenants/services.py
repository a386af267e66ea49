"""Reading a mission's configuration (sectors) for pages and forms."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenants.context import TenantContext
from tenants.models import Sector


async def list_sectors(db: AsyncSession, tenant: TenantContext) -> list[Sector]:
    return list(await db.scalars(
        select(Sector).where(Sector.tenant_id == tenant.id).order_by(Sector.position)))
