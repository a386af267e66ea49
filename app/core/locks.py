"""Advisory locks: serialise one kind of work (numbering, a quota, a first visit) across web
processes and workers, held until the transaction ends."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:key))")


async def lock_until_commit(db: AsyncSession, key: str) -> None:
    await db.execute(_LOCK, {"key": key})
