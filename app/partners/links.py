"""What links people to a partner agency: its focal points (the partner users whose
membership names it) and the single sign-on providers that sign people in for it.

Both live in accounts, which comes after partners in the domain order
(docs/architecture.md): the mission admins' agency page asks through this hook, which
accounts fills (app/accounts/partner_links.py; app/domains.py imports both)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from tenants.context import TenantContext


@dataclass(frozen=True)
class FocalPoint:
    name: str
    email: str


@dataclass(frozen=True)
class ProviderRef:
    id: uuid.UUID
    name: str
    enabled: bool


@dataclass
class AgencyLinks:
    focal_points: list[FocalPoint] = field(default_factory=list)
    providers: list[ProviderRef] = field(default_factory=list)


Lookup = Callable[[AsyncSession, TenantContext, uuid.UUID], Awaitable[AgencyLinks]]
_lookup: Lookup | None = None


def register_agency_links(lookup: Lookup) -> None:
    global _lookup
    _lookup = lookup


async def agency_links(db: AsyncSession, tenant: TenantContext,
                       agency_id: uuid.UUID) -> AgencyLinks:
    if _lookup is None:  # a programming error: the entry point did not import app.domains
        raise RuntimeError("no agency links lookup registered (import app.domains)")
    return await _lookup(db, tenant, agency_id)
