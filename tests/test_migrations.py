"""Migrations: empty -> head -> base -> head on a fresh database, and the models agree with
what the migrations build (so nothing relies on create_all)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

import app.domains  # noqa: F401  (every table and registration)
from app.db import migrate, server
from app.db.base import Base
from app.db.session import create_engine
from app.jobs.queue import JOB_QUEUE_TABLES, not_job_queue_table
from tests.conftest import new_database

pytestmark = pytest.mark.portable


@pytest.fixture
async def empty_database(pg_admin_url, settings):
    db = await new_database(pg_admin_url, settings, template=None)
    yield db
    await server.drop_database(pg_admin_url, db.name)


async def _tables(url) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def _leftovers(url) -> list[str]:
    """Functions and types the migrations made (the job queue's are plenty) that are left."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text(
                "SELECT proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = 'public' UNION ALL "
                "SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                "WHERE n.nspname = 'public' AND t.typtype = 'e' UNION ALL "
                "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = 'c'"))
            return sorted(r[0] for r in rows)
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade(empty_database, settings):
    owner = empty_database.urls.owner
    assert await _tables(owner) == set()
    await migrate.upgrade(owner, settings.database_app_role)
    assert {"tenants", "sectors", "partner_agencies", *JOB_QUEUE_TABLES} <= await _tables(owner)
    assert {"procrastinate_defer_jobs_v1", "procrastinate_job_status",
            "procrastinate_job_to_defer_v1"} <= set(await _leftovers(owner))
    await migrate.downgrade(owner, "base")
    assert await _tables(owner) == {"alembic_version"}
    assert await _leftovers(owner) == []
    await migrate.upgrade(owner, settings.database_app_role)
    assert set(Base.metadata.tables) <= await _tables(owner)


async def test_models_match_migrations(database):
    engine = create_engine(database.urls.owner)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"compare_type": True,
                                                    "include_name": not_job_queue_table}),
                Base.metadata))
    finally:
        await engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"
