"""Migrations: empty -> head -> base -> head on a fresh database, and the models agree with
what the migrations build (so nothing relies on create_all)."""

from __future__ import annotations

import uuid

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


async def test_a_milestone_s_one_evidence_file_moves_to_the_evidence_table(empty_database,
                                                                          settings):
    """Migration 0026: each milestone's one evidence file becomes a row of
    assignment_milestone_evidence (in its mission, with who handed it in), and going back
    keeps the latest file of each milestone in the old columns."""
    import asyncpg

    owner = empty_database.urls.owner
    await migrate.upgrade(owner, settings.database_app_role, "0019")
    admin = await asyncpg.connect(server.asyncpg_dsn(
        empty_database.admin.set(database=empty_database.name)))
    ids = [uuid.uuid4() for _ in range(5)]
    tenant, assignment, milestone, bare, user = ids
    try:
        # The administrator, without foreign-key triggers: the rows the move reads and
        # those its new table points to, nothing more.
        await admin.execute("SET session_replication_role = replica")
        await admin.execute(
            "INSERT INTO tenants (id, slug, name, names, country_code, default_locale, "
            "locales, time_zone, status, settings) VALUES ($1, 'moved', 'Moved', '{}', 'SD', "
            "'en', '{en}', 'Africa/Khartoum', 'active', '{}')", tenant)
        await admin.execute("INSERT INTO users (id, email, name, status, is_platform_admin) "
                            "VALUES ($1, 'moved@example.org', 'Moved', 'active', false)", user)
        await admin.execute(
            "INSERT INTO assignments (id, tenant_id, request_id, profile_id, slot, status, "
            "modality, duty_station, status_reason, closed_without_evaluation, "
            "trained_female, trained_male, trained_other, trained_not_recorded, "
            "sessions_held, documents_produced, institutions_supported, outputs_notes, "
            "version) VALUES ($1, $2, $3, $3, 1, 'in_progress', 'on_site', '', '', false, "
            "0, 0, 0, 0, 0, 0, 0, '', 1)", assignment, tenant, uuid.uuid4())
        await admin.execute(
            "INSERT INTO assignment_milestones (id, tenant_id, assignment_id, title, "
            "status, done_at, evidence_filename, evidence_content_type, evidence_size, "
            "evidence_sha256, evidence_key, evidence_by_id) VALUES "
            "($1, $2, $3, 'Inception note', 'done', '2026-11-02T10:00:00Z', 'note.pdf', "
            "'application/pdf', 1234, $4, $5, $6), "
            "($7, $2, $3, 'No file yet', 'pending', NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
            milestone, tenant, assignment, "a" * 64, f"{tenant}/milestones/x.pdf", user, bare)
        await admin.execute("SET session_replication_role = DEFAULT")
        await migrate.upgrade(owner, settings.database_app_role)
        rows = await admin.fetch("SELECT * FROM assignment_milestone_evidence")
        assert [(r["tenant_id"], r["milestone_id"], r["assignment_id"], r["filename"],
                 r["size"], r["key"], r["uploaded_by_id"], r["created_at"].isoformat())
                for r in rows] == [(tenant, milestone, assignment, "note.pdf", 1234,
                                    f"{tenant}/milestones/x.pdf", user,
                                    "2026-11-02T10:00:00+00:00")]
        # The table is the mission's: forced row-level security like every other.
        assert await admin.fetchval(
            "SELECT relforcerowsecurity FROM pg_class "
            "WHERE relname = 'assignment_milestone_evidence'")
        assert await admin.fetchval(
            "SELECT relforcerowsecurity FROM pg_class WHERE relname = 'assignment_milestones'")
        await migrate.downgrade(owner, "0019")
        back = await admin.fetch("SELECT id, evidence_filename, evidence_key, evidence_by_id "
                                 "FROM assignment_milestones ORDER BY title")
        assert [tuple(r) for r in back] == [
            (milestone, "note.pdf", f"{tenant}/milestones/x.pdf", user),
            (bare, None, None, None)]
    finally:
        await admin.close()
