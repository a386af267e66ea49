"""Moving a mission between installations (issue 17): `portal export-mission` on a seeded
database, `portal import-mission` into a fresh one, the same rows and documents there."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.exc import IntegrityError

from app.db import server
from app.demo import seed_demo
from app.mission_transfer import SKIPPED, TransferRefused, import_mission
from app.storage import LocalDiskStorage
from tests.conftest import new_database


@pytest.fixture(scope="module")
async def seeded(session_factory, missions, settings):
    await seed_demo(session_factory, settings)


@pytest.fixture(scope="module")
async def fresh(pg_admin_url, settings, template_database):
    """A second installation: an empty database at the same revision."""
    db = await new_database(pg_admin_url, settings, template_database)
    yield db
    await server.drop_database(pg_admin_url, db.name)


def portal_on(db, documents: Path, var: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": db.admin.render_as_string(hide_password=False),
           "DATABASE_NAME": db.name, "PORTAL_VAR_DIR": str(var), "DOCUMENTS_DIR": str(documents),
           "SEARCH_DIR": str(var / "search"), "SEARCH_BACKEND": "embedded"}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


async def connect(db) -> asyncpg.Connection:
    return await asyncpg.connect(server.asyncpg_dsn(db.admin.set(database=db.name)))


async def mission_counts(conn: asyncpg.Connection, tenant_id: uuid.UUID) -> dict[str, int]:
    tables = [r["table_name"] for r in await conn.fetch(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
        "AND column_name = 'tenant_id' ORDER BY table_name")]
    return {t: await conn.fetchval(f"SELECT count(*) FROM {t} WHERE tenant_id = $1", tenant_id)
            for t in tables}


async def members(conn: asyncpg.Connection, tenant_id: uuid.UUID) -> dict[str, tuple]:
    rows = await conn.fetch(
        "SELECT u.email, u.password_hash, m.role FROM memberships m JOIN users u "
        "ON u.id = m.user_id WHERE m.tenant_id = $1", tenant_id)
    return {r["email"]: (r["password_hash"], r["role"]) for r in rows}


async def test_a_mission_moves_to_a_fresh_installation(seeded, database, fresh, missions,
                                                       settings, tmp_path):
    sudan = missions["sudan"]
    # A profile merged into a later one as its duplicate points at a row read after it.
    source = await connect(database)
    merged = await source.fetchrow(
        "UPDATE expert_profiles SET duplicate_of_id = (SELECT id FROM expert_profiles "
        "WHERE tenant_id = $1 ORDER BY number DESC LIMIT 1) WHERE id = (SELECT id FROM "
        "expert_profiles WHERE tenant_id = $1 ORDER BY number LIMIT 1) "
        "RETURNING id, duplicate_of_id", sudan.id)
    # Touched after it, the kept profile is read (and written) after the one pointing to it.
    await source.execute("UPDATE expert_profiles SET updated_at = updated_at WHERE id = $1",
                         merged["duplicate_of_id"])
    await source.close()
    exported = tmp_path / "sudan.zip"
    result = portal_on(database, settings.documents_dir, settings.var_dir,
                       "export-mission", "sudan", "--to", str(exported))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600  # password hashes inside

    # Someone with an account in both installations keeps the one that is there.
    target = await connect(fresh)
    kept_id = uuid.uuid4()
    await target.execute("INSERT INTO users (id, email, name, status, password_hash) "
                         "VALUES ($1, 'officer@sudan.demo', 'Officer here', 'active', 'kept')",
                         kept_id)
    documents, var = tmp_path / "documents", tmp_path / "var"
    result = portal_on(fresh, documents, var, "import-mission", str(exported))
    assert result.returncode == 0, result.stderr
    assert "people with an account here already: 1" in result.stdout
    assert "search documents built" in result.stdout

    source = await connect(database)
    try:
        before, after = await mission_counts(source, sudan.id), await mission_counts(target,
                                                                                     sudan.id)
        # Rebuilt tables are compared too: the receiving database derives the same rows.
        assert {t: n for t, n in after.items() if t not in SKIPPED} \
            == {t: n for t, n in before.items() if t not in SKIPPED}
        assert all(after[t] == 0 for t in SKIPPED if t in after)
        assert before["expert_profiles"] >= 300 and before["expert_documents"] > 0
        assert await target.fetchval("SELECT duplicate_of_id FROM expert_profiles "
                                     "WHERE id = $1", merged["id"]) == merged["duplicate_of_id"]
        assert not await target.fetchval(
            "SELECT count(*) FROM tenants WHERE id <> $1", sudan.id)

        moved, here = await members(source, sudan.id), await members(target, sudan.id)
        assert moved.keys() == here.keys()
        assert here["officer@sudan.demo"] == ("kept", "staff")
        assert all(here[e] == moved[e] for e in moved if e != "officer@sudan.demo")
        assert await target.fetchval("SELECT id FROM users WHERE email = 'officer@sudan.demo'") \
            == kept_id
        # HQ's rights are the other installation's own.
        assert not await target.fetchval("SELECT count(*) FROM users WHERE is_platform_admin")

        key = await source.fetchval("SELECT storage_key FROM expert_documents "
                                    "WHERE tenant_id = $1 LIMIT 1", sudan.id)
        assert (documents / key).read_bytes() == (settings.documents_dir / key).read_bytes()

        again = portal_on(fresh, documents, var, "import-mission", str(exported))
        assert again.returncode == 1 and "already has the mission 'sudan'" in again.stderr
        assert await mission_counts(target, sudan.id) == after
    finally:
        await source.close()
        await target.close()


async def test_an_import_that_fails_midway_leaves_nothing(seeded, database, pg_admin_url,
                                                         settings, template_database, missions,
                                                         tmp_path):
    exported = tmp_path / "mozambique.zip"
    result = portal_on(database, settings.documents_dir, settings.var_dir,
                       "export-mission", "mozambique", "--to", str(exported))
    assert result.returncode == 0, result.stderr
    # The file's last table names a skill the mission does not have.
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(exported) as old, zipfile.ZipFile(broken, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "tables/expert_skills.jsonl":
                first = data.split(b"\n", 1)[0].decode()
                skill = first.split('"skill_id": "')[1].split('"')[0]
                data += first.replace(skill, str(uuid.uuid4())).encode() + b"\n"
            new.writestr(item, data)

    db = await new_database(pg_admin_url, settings, template_database)
    documents = LocalDiskStorage(tmp_path / "documents")
    try:
        with pytest.raises(IntegrityError):
            await import_mission(db.urls.owner, documents, broken)
        conn = await connect(db)
        try:
            assert not await conn.fetchval("SELECT count(*) FROM tenants")
            assert not await conn.fetchval("SELECT count(*) FROM users")
        finally:
            await conn.close()
        assert await documents.keys(f"{missions['mozambique'].id}/") == []
        # A file from another schema revision is refused before anything is read into it.
        other_revision = tmp_path / "other-revision.zip"
        with zipfile.ZipFile(exported) as old, zipfile.ZipFile(other_revision, "w") as new:
            for item in old.infolist():
                data = old.read(item)
                if item.filename == "manifest.json":
                    manifest = json.loads(data)
                    data = json.dumps({**manifest, "revision": "0001"}).encode()
                new.writestr(item, data)
        with pytest.raises(TransferRefused, match="schema revision 0001"):
            await import_mission(db.urls.owner, documents, other_revision)
        not_an_export = tmp_path / "cv.pdf"
        not_an_export.write_bytes(b"%PDF-1.4")
        with pytest.raises(TransferRefused, match="not a zip"):
            await import_mission(db.urls.owner, documents, not_an_export)
    finally:
        await server.drop_database(pg_admin_url, db.name)
