"""The throw-away database every benchmark runs on: the server the tests would use (the
embedded pgserver, or TEST_DATABASE_URL / DATABASE_URL), a database of its own built by the
migrations, the Sudan mission provisioned, the runtime role (row-level security on), and
everything removed afterwards — the embedded server stopped before its directory goes, or
it outlives the run."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402

import app.domains  # noqa: E402, F401  (every domain's tables and provisioning steps)
from app.config import Settings, load_settings  # noqa: E402
from app.db import migrate, server  # noqa: E402
from app.db.server import DatabaseUrls  # noqa: E402
from app.db.session import create_engine, create_session_factory  # noqa: E402
from tenants.context import TenantContext  # noqa: E402
from tenants.provisioning import MISSIONS_DIR, load_mission, provision_mission, to_context  # noqa: E402


@dataclass
class Scratch:
    settings: Settings
    urls: DatabaseUrls
    factory: async_sessionmaker[AsyncSession]
    tenant: TenantContext
    directory: Path            # for anything else the run writes (a search index)
    server_version: str
    external: bool             # an external server rather than the embedded one


@asynccontextmanager
async def scratch_database(prefix: str) -> AsyncIterator[Scratch]:
    external = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    with tempfile.TemporaryDirectory(prefix=f"bench-{prefix}-") as tmp:
        settings = replace(load_settings(), var_dir=Path(tmp), database_url=external)
        pg = None
        if external:
            admin = server.to_asyncpg_url(external)
        else:
            import pgserver

            pg = pgserver.get_server(Path(tmp) / "pg", cleanup_mode="delete")
            admin = server.to_asyncpg_url(pg.get_uri())
        name = f"bench_{prefix}_{os.getpid()}"
        try:
            urls = await server.bootstrap(admin, settings, database=name)
            engine = create_engine(urls.app)
            try:
                await migrate.upgrade(urls.owner, settings.database_app_role)
                factory = create_session_factory(engine)
                async with factory() as db:
                    tenant = to_context(await provision_mission(
                        db, load_mission(MISSIONS_DIR / "sudan.toml")))
                    version = await db.scalar(select(func.version()))
                yield Scratch(settings, urls, factory, tenant, Path(tmp), version,
                              bool(external))
            finally:
                await engine.dispose()
                await server.drop_database(admin, name)
        finally:
            if pg is not None:
                pg.cleanup()
