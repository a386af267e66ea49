"""The cross-tenant harness every issue reuses.

Each mission route with an object id gets a row in ISOLATION_CASES (route path -> a function
that returns the id of an object belonging to a given mission). test_isolation.py walks the
app's route table, so a new route with an id and no row here fails the suite.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.partners.models import PartnerAgency
from tenants.context import TenantContext, tenant_scope
from tests.sso_helpers import a_turned_off_identity_provider

ObjectFactory = Callable[[AsyncSession, TenantContext], Awaitable[uuid.UUID]]


async def a_partner_agency(db: AsyncSession, tenant: TenantContext) -> uuid.UUID:
    with tenant_scope(tenant):
        partner_id = await db.scalar(select(PartnerAgency.id).where(
            PartnerAgency.tenant_id == tenant.id).limit(1))
        await db.commit()
    assert partner_id is not None
    return partner_id


# route path (as Litestar lists it) -> (path parameter holding the id, object factory)
ISOLATION_CASES: dict[str, tuple[str, ObjectFactory]] = {
    "/{mission_slug:str}/partners/{partner_id:uuid}": ("partner_id", a_partner_agency),
    "/{mission_slug:str}/sso/{provider_id:uuid}/start": (
        "provider_id", a_turned_off_identity_provider),
    "/{mission_slug:str}/sso/{provider_id:uuid}/callback": (
        "provider_id", a_turned_off_identity_provider),
    "/{mission_slug:str}/admin/sso/{provider_id:uuid}": (
        "provider_id", a_turned_off_identity_provider),
}


def fill(path: str, **params: object) -> str:
    for name, value in params.items():
        path = path.replace("{" + name + ":uuid}", str(value)).replace(
            "{" + name + ":str}", str(value))
    return path


async def assert_tenant_isolated(client: AsyncTestClient, path: str, id_param: str,
                                 own: TenantContext, own_id: uuid.UUID,
                                 other_id: uuid.UUID) -> None:
    """The mission's own object answers; another mission's object answers 404 there."""
    mine = await client.get(fill(path, mission_slug=own.slug, **{id_param: own_id}))
    assert mine.status_code == 200, (path, mine.status_code)
    theirs = await client.get(fill(path, mission_slug=own.slug, **{id_param: other_id}))
    assert theirs.status_code == 404, (path, theirs.status_code)
