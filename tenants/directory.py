"""The active missions, cached per web process.

Every request needs the list (the URL's mission, the mission switcher), and it changes a few
times a year. A change made in this process (provisioning, suspension) is seen at once:
`missions_changed()` bumps a generation every cache compares against. Another process (a
second web process, `portal tenants suspend` run from a shell) is seen within
`MAX_AGE_SECONDS`, after which every cache reads the table again.
"""

from __future__ import annotations

import asyncio
import itertools
import time

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenants.context import TenantContext

MAX_AGE_SECONDS = 5.0

_generation = itertools.count(1)
_current_generation = 0


def missions_changed() -> None:
    """Called by whatever creates, changes, suspends or reactivates a mission."""
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
