"""Reading a mission's configuration (sectors, settings) for pages, forms and services."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenants.context import TenantContext
from tenants.models import Sector, Tenant


async def list_sectors(db: AsyncSession, tenant: TenantContext,
                       active_only: bool = False) -> list[Sector]:
    """Every sector (names for what records hold), or only those offered for new choices."""
    query = select(Sector).where(Sector.tenant_id == tenant.id)
    if active_only:
        query = query.where(Sector.active)
    return list(await db.scalars(query.order_by(Sector.position, Sector.code)))


async def get_mission(db: AsyncSession, tenant: TenantContext, for_update: bool = False) -> Tenant:
    """The current mission's own row (its settings), locked for a change when asked."""
    query = select(Tenant).where(Tenant.id == tenant.id)
    row = await db.scalar(query.with_for_update() if for_update else query)
    if row is None:  # resolved by the request a moment ago: deleted since
        raise LookupError(f"mission {tenant.slug!r} is gone")
    return row


def to_context(tenant: Tenant) -> TenantContext:
    return TenantContext(
        id=tenant.id, slug=tenant.slug, name=tenant.name, names=dict(tenant.names),
        country_code=tenant.country_code, default_locale=tenant.default_locale,
        locales=tuple(tenant.locales), time_zone=tenant.time_zone,
        digits=(tenant.settings or {}).get("digits", "western"),
    )


async def get_tenant_by_slug(session: AsyncSession, slug: str) -> Tenant | None:
    return await session.scalar(select(Tenant).where(Tenant.slug == slug))
