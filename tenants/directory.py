"""The active missions and each mission's sectors, cached per web process.

Every request needs the mission list (the URL's mission, the mission switcher), and many
pages name sectors (filters, labels); both change a few times a year. A change made in this
process (provisioning, suspension, a sector added, renamed or deactivated) is seen at once:
`missions_changed()` bumps a generation every cache compares against. Another process (a
second web process, `portal tenants suspend` run from a shell) is seen within
`MAX_AGE_SECONDS`, after which every cache reads the table again. Pages show sectors from
here; a change checks its input against the table itself (tenants.services.list_sectors),
so a sector added a moment ago in another process is never refused.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
import weakref
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, object_session

from tenants.context import TenantContext
from tenants.models import Sector, sector_display_name
from tenants.services import list_sectors

MAX_AGE_SECONDS = 5.0

_generation = itertools.count(1)
_current_generation = 0


def missions_changed() -> None:
    """Called by whatever creates, changes, suspends or reactivates a mission (a change of
    a Sector row through the ORM calls it on commit, below)."""
    global _current_generation
    _current_generation = next(_generation)


class MissionDirectory:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], loader) -> None:
        self._session_factory = session_factory
        self._loader = loader  # async (session) -> list[TenantContext]
        self._missions: list[TenantContext] = []
        self._by_slug: dict[str, TenantContext] = {}
        self._loaded_at = float("-inf")
        self._generation = -1
        self._lock = asyncio.Lock()

    def _fresh(self) -> bool:
        return (self._generation == _current_generation
                and time.monotonic() - self._loaded_at < MAX_AGE_SECONDS)

    async def active(self) -> list[TenantContext]:
        if not self._fresh():
            async with self._lock:  # one reload, however many requests arrive at once
                if not self._fresh():
                    generation = _current_generation
                    async with self._session_factory() as session:
                        missions = await self._loader(session)
                    self._missions = missions
                    self._by_slug = {m.slug: m for m in missions}
                    self._loaded_at, self._generation = time.monotonic(), generation
        return self._missions

    async def by_slug(self, slug: str) -> TenantContext | None:
        await self.active()
        return self._by_slug.get(slug)


@dataclass(frozen=True)
class SectorName:
    """A sector as pages show it: a plain value, safe to share between requests."""

    code: str
    names: Mapping[str, str]
    active: bool

    def display_name(self, locale: str) -> str:
        return sector_display_name(self.names, self.code, locale)


# per engine (one per process; the tests' apps each have theirs), per mission:
# (loaded at, generation, the sectors in the mission's order)
_Kept = tuple[float, int, tuple[SectorName, ...]]
_sectors: weakref.WeakKeyDictionary[Engine | Connection, dict[uuid.UUID, _Kept]]
_sectors = weakref.WeakKeyDictionary()


async def mission_sectors(db: AsyncSession, tenant: TenantContext,
                          active_only: bool = False) -> list[SectorName]:
    """The mission's sectors (or those offered for new choices), read in the caller's
    session when the cached ones are older than MAX_AGE_SECONDS or a change came since."""
    cache = _sectors.setdefault(db.get_bind(), {})
    kept = cache.get(tenant.id)
    if kept is None or kept[1] != _current_generation \
            or time.monotonic() - kept[0] >= MAX_AGE_SECONDS:
        generation = _current_generation
        sectors = tuple(SectorName(s.code, dict(s.names), s.active)
                        for s in await list_sectors(db, tenant))
        kept = (time.monotonic(), generation, sectors)
        if sectors:  # read outside the mission's scope, a list is empty: never kept
            cache[tenant.id] = kept
    return [s for s in kept[2] if s.active or not active_only]


@event.listens_for(Sector, "after_insert")
@event.listens_for(Sector, "after_update")
@event.listens_for(Sector, "after_delete")
def _sector_written(mapper, connection, target: Sector) -> None:
    session = object_session(target)
    if session is not None:
        session.info["sectors_written"] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # On commit, not on flush: a page reading the table in between would keep the old list.
    if session.info.pop("sectors_written", False):
        missions_changed()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("sectors_written", None)
