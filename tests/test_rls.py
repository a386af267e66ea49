"""Row-level security, proven at the database: the runtime role sees a mission's rows only
when that mission is set for the transaction, and cannot write another mission's rows."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.db.server import asyncpg_dsn
from app.jobs.queue import JOB_QUEUE_TABLES
from tenants.context import tenant_scope
from tenants.models import Sector
from tests.expert_helpers import complete_profile

pytestmark = pytest.mark.portable


@pytest.fixture
async def raw(database):
    """A raw connection as the runtime role: no ORM, no session hook."""
    conn = await asyncpg.connect(asyncpg_dsn(database.urls.app))
    yield conn
    await conn.close()


async def _set(conn, tenant_id) -> None:
    await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant_id))


async def test_runtime_role_has_no_way_around_rls(raw):
    role = await raw.fetchrow(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    assert role["rolsuper"] is False and role["rolbypassrls"] is False
    owned = await raw.fetchval(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user")
    assert owned == 0


async def test_no_tenant_set_reads_nothing(raw, missions):
    assert await raw.fetchval("SELECT count(*) FROM sectors") == 0
    assert await raw.fetchval("SELECT count(*) FROM partner_agencies") == 0


async def test_tenant_set_reads_only_its_rows(raw, missions):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    async with raw.transaction():
        await _set(raw, sudan.id)
        tenants = await raw.fetch("SELECT DISTINCT tenant_id FROM sectors")
        assert [r["tenant_id"] for r in tenants] == [sudan.id]
    async with raw.transaction():
        await _set(raw, mozambique.id)
        codes = {r["code"] for r in await raw.fetch("SELECT code FROM sectors")}
        assert "child_protection" in codes and "corporate_governance" not in codes
    # set_config(..., true) ends with the transaction: the pooled connection forgets it.
    assert await raw.fetchval("SELECT count(*) FROM sectors") == 0


async def test_writing_another_missions_row_is_refused(raw, missions):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with raw.transaction():
            await _set(raw, sudan.id)
            await raw.execute("INSERT INTO sectors (id, tenant_id, code) "
                              "VALUES (gen_random_uuid(), $1, 'smuggled')", mozambique.id)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with raw.transaction():
            await _set(raw, sudan.id)
            await raw.execute("UPDATE sectors SET tenant_id = $1", mozambique.id)
    async with raw.transaction():
        await _set(raw, sudan.id)
        # Another mission's rows are invisible, so they cannot be deleted either.
        assert await raw.execute("DELETE FROM sectors WHERE tenant_id = $1",
                                 mozambique.id) == "DELETE 0"


PART_ROWS = {  # a row of a profile part, for mission $1 and profile $2
    "expert_languages": "INSERT INTO expert_languages (id, tenant_id, profile_id, language, "
                        "level) VALUES (gen_random_uuid(), $1, $2, 'fr', 'B2')",
    "expert_sectors": "INSERT INTO expert_sectors (id, tenant_id, profile_id, sector) "
                      "VALUES (gen_random_uuid(), $1, $2, 'health')",
}


async def test_a_profile_part_cannot_name_another_missions_profile(raw, session_factory,
                                                                   missions):
    """A part's one key (tenant_id, profile_id) names a profile of its own mission (migration
    0032): row-level security sees only the part's tenant_id, the key the pair."""
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    _, theirs = await complete_profile(session_factory, mozambique)
    _, ours = await complete_profile(session_factory, sudan)
    for table, insert in PART_ROWS.items():
        with pytest.raises(asyncpg.ForeignKeyViolationError,
                           match=f"fk_{table}_tenant_id_expert_profiles"):
            async with raw.transaction():
                await _set(raw, sudan.id)
                await raw.execute(insert, sudan.id, theirs.id)
        async with raw.transaction():  # the same row for the mission's own profile goes in
            await _set(raw, sudan.id)
            await raw.execute(insert, sudan.id, ours.id)


async def test_session_hook_scopes_orm_queries(session_factory, missions):
    sudan = missions["sudan"]
    async with session_factory() as db:
        assert await db.scalar(select(func.count()).select_from(Sector)) == 0
    with tenant_scope(sudan):
        async with session_factory() as db:
            rows = (await db.scalars(select(Sector.tenant_id).distinct())).all()
            assert rows == [sudan.id]
            setting = await db.scalar(text("SELECT current_setting('app.tenant_id', true)"))
            assert setting == str(sudan.id)


async def test_orm_insert_for_another_mission_is_refused(session_factory, missions):
    with tenant_scope(missions["sudan"]):
        async with session_factory() as db:
            db.add(Sector(tenant_id=missions["mozambique"].id, code="smuggled", names={}))
            with pytest.raises(DBAPIError, match="row-level security"):
                await db.commit()


async def test_every_tenant_scoped_table_is_protected(raw):
    """Any table with a tenant_id column: RLS enabled and forced, the standard policy,
    tenant_id NOT NULL, and an index that leads with tenant_id."""
    tables = [r["table_name"] for r in await raw.fetch(
        "SELECT table_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name = 'tenant_id'")]
    assert tables, "no tenant-scoped table found"
    for table in tables:
        flags = await raw.fetchrow(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = $1", table)
        assert flags["relrowsecurity"] and flags["relforcerowsecurity"], table
        policy = await raw.fetchrow(
            "SELECT qual, with_check FROM pg_policies WHERE tablename = $1", table)
        assert policy is not None, f"{table} has no policy"
        for clause in (policy["qual"], policy["with_check"]):
            assert "current_setting('app.tenant_id'::text, true)" in clause, (table, clause)
        nullable = await raw.fetchval(
            "SELECT is_nullable FROM information_schema.columns "
            "WHERE table_name = $1 AND column_name = 'tenant_id'", table)
        assert nullable == "NO", table
        leading = await raw.fetch(
            "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0] "
            "WHERE c.relname = $1", table)
        assert "tenant_id" in {r["attname"] for r in leading}, f"{table}: no index on tenant_id"


# Tables without a tenant_id column, so without row-level security, each for a reason.
GLOBAL_TABLES = {
    "alembic_version": "the schema's version",
    "tenants": "the missions themselves",
    "users": "people are global; a membership gives them a role in a mission",
    "user_sessions": "a person's sign-ins, whichever mission they chose",
    "sign_in_failures": "throttling per account and per address, across missions",
    "recovery_codes": "a person's second factor serves every mission they belong to",
}
# The job queue (procrastinate) is one queue for every mission: a job names its mission in
# its arguments and runs in that mission's scope; the jobs page filters on it.
JOB_QUEUE_EXEMPTIONS = {table: "the job queue" for table in JOB_QUEUE_TABLES}


async def test_every_table_is_tenant_scoped_or_a_named_exemption(raw):
    """A new table either has a tenant_id (and then the test above holds it to RLS) or is
    named here, with its reason."""
    rows = await raw.fetch(
        "SELECT c.relname, c.relrowsecurity, EXISTS (SELECT 1 FROM pg_attribute a "
        "WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped) AS scoped "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')")
    unscoped = {r["relname"] for r in rows if not r["scoped"]}
    exempt = {**GLOBAL_TABLES, **JOB_QUEUE_EXEMPTIONS}
    assert unscoped == set(exempt), (sorted(unscoped - set(exempt)),
                                     sorted(set(exempt) - unscoped))
    assert not any(r["relrowsecurity"] for r in rows if r["relname"] in JOB_QUEUE_EXEMPTIONS)


async def test_runtime_role_cannot_read_account_secrets_in_bulk(raw, session_factory, missions):
    """Issue 18, finding 6: password and session hashes are out of the runtime role's reach;
    it gets one active account's hash through account_password_hash, and a session only by
    the hash of a token it already holds."""
    from app.accounts.models import User, UserSession
    from app.accounts.passwords import hash_password
    from app.core.clock import now
    from app.core.tokens import new_token

    _, digest = new_token()
    async with session_factory() as db:
        user = User(email="secret-holder@example.org", name="Holder",
                    password_hash=hash_password("a long enough secret"))
        db.add(user)
        await db.flush()
        db.add(UserSession(token_hash=digest, user_id=user.id, last_seen_at=now(),
                           expires_at=now()))
        await db.commit()
    for query in ("SELECT * FROM users", "SELECT password_hash FROM users",
                  "SELECT id FROM users WHERE password_hash IS NOT NULL",
                  "SELECT * FROM user_sessions", "SELECT token_hash FROM user_sessions",
                  "SELECT id FROM user_sessions WHERE token_hash <> ''"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await raw.fetch(query)
    assert await raw.fetchval("SELECT has_password FROM users WHERE id = $1", user.id)
    stored = await raw.fetchval("SELECT account_password_hash($1)", user.id)
    assert stored.startswith("$argon2")
    assert await raw.fetchval("SELECT session_for_token($1)", digest) is not None
    assert await raw.fetchval("SELECT session_for_token($1)", "0" * 64) is None
    # Writing stays possible: the password can change, the session can be revoked.
    await raw.execute("UPDATE users SET password_hash = 'x' WHERE id = $1", user.id)
    await raw.execute("UPDATE user_sessions SET revoked_at = now() WHERE id = "
                      "session_for_token($1)", digest)
