"""Per-mission running numbers (expert E-12, request R-7): the next number under a lock, so
two creations at once never share one."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core.locks import lock_until_commit
from tenants.context import TenantContext


def number_lock_key(table: str, tenant_id: uuid.UUID) -> str:
    """The advisory-lock key of a table's numbering (bulk loaders take the same lock)."""
    return f"{table}-number:{tenant_id}"


async def next_number(db: AsyncSession, tenant: TenantContext,
                      number: InstrumentedAttribute[int]) -> int:
    """The mission's highest `number` + 1; the lock is held until the caller commits."""
    model = number.class_
    await lock_until_commit(db, number_lock_key(model.__tablename__, tenant.id))
    current = await db.scalar(select(func.max(number)).where(model.tenant_id == tenant.id))
    return (current or 0) + 1
