"""Demo content for `portal seed-demo` and the first `portal run`: both missions from their
mission files. Idempotent: every step upserts by a stable key."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenants.provisioning import load_mission, mission_files, provision_mission


async def seed_demo(session_factory: async_sessionmaker[AsyncSession]) -> list[str]:
    seeded = []
    for path in mission_files():
        async with session_factory() as session:
            tenant = await provision_mission(session, load_mission(path))
            seeded.append(tenant.slug)
    return seeded
