"""Alembic, called from async code: the connection is handed to env.py through run_sync,
so no nested event loop is started."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine

from app.config import PROJECT_ROOT


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None  # migrations/versions is never empty
    return head


async def _run(owner_url: URL, fn, *args) -> None:
    engine = create_async_engine(owner_url)
    try:
        async with engine.connect() as conn:
            def call(sync_conn):
                cfg = alembic_config()
                cfg.attributes["connection"] = sync_conn
                fn(cfg, *args)
            await conn.run_sync(call)
            await conn.commit()
    finally:
        await engine.dispose()


async def upgrade(owner_url: URL, app_role: str, revision: str = "head") -> None:
    """Migrate as the owner, then give the runtime role what it may do on every table."""
    await _run(owner_url, command.upgrade, revision)
    await grant_runtime_privileges(owner_url, app_role)


async def downgrade(owner_url: URL, revision: str = "base") -> None:
    await _run(owner_url, command.downgrade, revision)


# Tables the runtime role may add to but never change: the audit trail.
APPEND_ONLY_TABLES = ("audit_events",)
# The narrow doors of the runtime role: changing audit events (erasure), reading one
# account's password hash or second-factor secret, finding a session by its token's hash,
# using up a recovery code by its hash.
RUNTIME_FUNCTIONS = ("erase_person_from_audit(uuid, text, text, text[])",
                     "account_password_hash(uuid)", "session_for_token(text)",
                     "account_totp_secret(uuid)", "use_recovery_code(uuid, text)")
# Columns the runtime role may write but never read: it reaches them one row at a time
# through the functions above (migrations 0014, 0015).
SECRET_COLUMNS = {"users": ("password_hash", "totp_secret"),
                  "user_sessions": ("token_hash",), "recovery_codes": ("code_hash",)}


async def grant_runtime_privileges(owner_url: URL, app_role: str) -> None:
    role = '"' + app_role.replace('"', '""') + '"'
    engine = create_async_engine(owner_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"))
            await conn.execute(text(
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"))
            # The runtime role may read the schema version (health check), never change it.
            await conn.execute(text(
                f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {role}"))
            for function in RUNTIME_FUNCTIONS:
                if await conn.scalar(text("SELECT to_regprocedure(:f)"), {"f": function}):
                    await conn.execute(text(f"GRANT EXECUTE ON FUNCTION {function} TO {role}"))
            for table, secrets in SECRET_COLUMNS.items():
                await _hide_columns(conn, role, table, secrets)
            for table in APPEND_ONLY_TABLES:
                if await conn.scalar(text("SELECT to_regclass(:t)"), {"t": table}):
                    await conn.execute(text(
                        f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {role}"))
    finally:
        await engine.dispose()


async def _hide_columns(conn, role: str, table: str, secrets: tuple[str, ...]) -> None:
    """Table-wide SELECT becomes SELECT on every column but the secrets (a column REVOKE
    alone would not narrow a table-wide grant)."""
    columns = (await conn.execute(text(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = :t ORDER BY ordinal_position"),
        {"t": table})).scalars().all()
    readable = [c for c in columns if c not in secrets]
    if not readable:  # the table does not exist at this revision
        return
    await conn.execute(text(f"REVOKE SELECT ON {table} FROM {role}"))
    listed = ", ".join('"' + c + '"' for c in readable)
    await conn.execute(text(f"GRANT SELECT ({listed}) ON {table} TO {role}"))


async def current_revision(conn) -> str | None:
    result = await conn.execute(text("SELECT version_num FROM alembic_version"))
    return result.scalar_one_or_none()
