"""Types for what handlers receive by name: `db: Db` (the request's session) and
`tenant: CurrentTenant` (the mission resolved from the URL)."""

from __future__ import annotations

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from tenants.context import TenantContext

Db = NamedDependency[AsyncSession]
CurrentTenant = NamedDependency[TenantContext]
