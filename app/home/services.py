"""What the health check reports: can the database be reached, and is its schema at the
migration head this code expects."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from app.db.migrate import current_revision


@dataclass(frozen=True)
class DatabaseHealth:
    reachable: bool
    error: str = ""              # the exception's class when it was not reachable
    current: str | None = None   # the schema's migration revision

    def at(self, head: str | None) -> bool:
        return self.reachable and self.current == head


async def database_health(session_factory) -> DatabaseHealth:
    """Its own session, not the request's, so a failing database is reported, not raised."""
    try:
        async with session_factory() as session:
            await session.execute(text("SELECT 1"))
            current = await current_revision(session)
    except Exception as exc:  # noqa: BLE001 - the point is to report any database failure
        return DatabaseHealth(reachable=False, error=exc.__class__.__name__)
    return DatabaseHealth(reachable=True, current=current)
