"""The host institutions a focal point's membership names.

Host institutions come after accounts in the domain order (docs/architecture.md), yet
inviting a focal point names one and the people page shows it. Accounts therefore asks
through this hook, which the institutions domain fills (app/institutions/services.py;
app/domains.py imports both): accounts never imports a later domain.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from tenants.context import TenantContext


@dataclass(frozen=True)
class HostInstitutionRef:
    id: uuid.UUID
    name: str
    status: str


# (db, tenant, ids or None for all, status or "" for any) -> the mission's institutions
Lookup = Callable[[AsyncSession, TenantContext, Collection[uuid.UUID] | None, str],
                  Awaitable[list[HostInstitutionRef]]]
_lookup: Lookup | None = None


def register_host_institutions(lookup: Lookup) -> None:
    global _lookup
    _lookup = lookup


async def host_institutions(db: AsyncSession, tenant: TenantContext,
                            ids: Collection[uuid.UUID] | None = None,
                            status: str = "") -> list[HostInstitutionRef]:
    if _lookup is None:  # a programming error: the entry point did not import app.domains
        raise RuntimeError("no host institution lookup registered (import app.domains)")
    return await _lookup(db, tenant, ids, status)


async def host_institution(db: AsyncSession, tenant: TenantContext,
                           institution_id: uuid.UUID | None) -> HostInstitutionRef | None:
    if institution_id is None:
        return None
    found = await host_institutions(db, tenant, [institution_id])
    return found[0] if found else None
