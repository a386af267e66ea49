"""Alembic environment. The portal always hands in an open connection (app.db.migrate), so
migrations run inside the caller's event loop; the `alembic` command line works too, with
-x url=postgresql+asyncpg://owner@host/db."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine

import app.domains  # noqa: F401  (every table and registration)
from app.db.base import Base
from app.jobs.queue import not_job_queue_table

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      compare_type=True, transaction_per_migration=True,
                      include_name=not_job_queue_table)
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_url(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        await conn.run_sync(_run)
        await conn.commit()
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
elif context.is_offline_mode():
    context.configure(url=context.get_x_argument(as_dictionary=True)["url"],
                      target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_from_url(context.get_x_argument(as_dictionary=True)["url"]))
