"""Migrations: empty -> head -> base -> head on a fresh database, and the models agree with
what the migrations build (so nothing relies on create_all)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import app.domains  # noqa: F401  (every table and registration)
from app.db import migrate, server
from app.db.base import Base
from app.db.session import create_engine
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


async def test_upgrade_downgrade_upgrade(empty_database, settings):
    owner = empty_database.urls.owner
    assert await _tables(owner) == set()
    await migrate.upgrade(owner, settings.database_app_role)
    assert {"tenants", "sectors", "partner_agencies"} <= await _tables(owner)
    await migrate.downgrade(owner, "base")
    assert await _tables(owner) == {"alembic_version"}
    await migrate.upgrade(owner, settings.database_app_role)
    assert set(Base.metadata.tables) <= await _tables(owner)


async def test_models_match_migrations(database):
    engine = create_engine(database.urls.owner)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata))
    finally:
        await engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"
