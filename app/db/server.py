"""Finding the PostgreSQL server and bootstrapping the portal's database and roles.

Three connections, three roles:
- admin: creates the database and the two roles (the embedded server's superuser, or the
  role named in DATABASE_URL for an external server);
- owner: owns the schema and runs migrations (RLS policies are written there);
- app: what the web app and workers use; NOSUPERUSER NOBYPASSRLS and owns nothing, so
  row-level security always applies to it.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import URL, make_url

from app.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatabaseUrls:
    """SQLAlchemy URLs (asyncpg driver) for the portal's database."""

    owner: URL
    app: URL


def to_asyncpg_url(url: str | URL) -> URL:
    return make_url(url).set(drivername="postgresql+asyncpg")


def asyncpg_dsn(url: URL) -> str:
    """A DSN that asyncpg.connect understands (no '+asyncpg' in the scheme)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def start_embedded_server(data_dir: Path) -> URL:
    """Start (or join) the embedded PostgreSQL under data_dir and return its superuser URL.

    pgserver counts the processes using a data directory and stops the server when the
    last one exits, so a second `portal run` or a CLI command beside it reuses the server.
    """
    import warnings

    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    _forget_dead_users(data_dir)
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    return to_asyncpg_url(server.get_uri())


def running_embedded_server(data_dir: Path) -> URL | None:
    """The superuser URL of the embedded server when it is already running and ready (its
    postmaster.pid names a live process), else None. Read without pgserver: pgserver looks
    under a lock shared by every embedded server of the machine, which a short read-only
    command (`portal match`) need not queue for, nor does it need to count as a user."""
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
        pid, port, socket_dir, status = int(lines[0]), int(lines[3]), lines[4], lines[7]
    except (OSError, ValueError, IndexError):
        return None
    if status.strip() != "ready" or not socket_dir or not _process_exists(pid):
        return None
    return to_asyncpg_url(f"postgresql://postgres:@:{port}/postgres?host={socket_dir}")


def _forget_dead_users(data_dir: Path) -> None:
    """pgserver keeps the pids of its users in a file and never drops a pid whose process was
    killed; one stale pid would keep the server running forever after the last real user."""
    handles = data_dir / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if _process_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def admin_url(settings: Settings) -> URL:
    if settings.embedded_database:
        return start_embedded_server(settings.pg_data_dir)
    return to_asyncpg_url(settings.database_url)


def derive_urls(admin: URL, settings: Settings, database: str | None = None) -> DatabaseUrls:
    """Owner and app URLs: same server as the admin URL, the portal's roles and database."""
    db = database or settings.database_name
    # _replace, not set(): set() ignores None and would keep the admin's password.
    owner = admin._replace(username=settings.database_owner_role,
                           password=settings.database_owner_password or None, database=db)
    app = admin._replace(username=settings.database_app_role,
                         password=settings.database_app_password or None, database=db)
    return DatabaseUrls(owner=owner, app=app)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


async def _ensure_role(conn: asyncpg.Connection, role: str, password: str, extra: str) -> None:
    exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
    verb = "ALTER" if exists else "CREATE"
    pw = f" PASSWORD {_literal(password)}" if password else ""
    # Roles are cluster-wide: concurrent bootstraps (parallel test runs) may race on CREATE.
    try:
        await conn.execute(f"{verb} ROLE {_ident(role)} LOGIN {extra}{pw}")
    except asyncpg.DuplicateObjectError:
        await conn.execute(f"ALTER ROLE {_ident(role)} LOGIN {extra}{pw}")


async def bootstrap(admin: URL, settings: Settings, database: str | None = None,
                    template: str | None = None) -> DatabaseUrls:
    """Create the roles and the database if they are missing; safe to run on every start."""
    db = database or settings.database_name
    owner, app = settings.database_owner_role, settings.database_app_role
    conn = await asyncpg.connect(asyncpg_dsn(admin))
    try:
        await _ensure_role(conn, owner, settings.database_owner_password,
                           "NOSUPERUSER NOCREATEROLE NOBYPASSRLS")
        await _ensure_role(conn, app, settings.database_app_password,
                           "NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS")
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", db):
            log.info("creating database %s", db)
            tmpl = f" TEMPLATE {_ident(template)}" if template else ""
            await conn.execute(f"CREATE DATABASE {_ident(db)} OWNER {_ident(owner)}{tmpl}")
    finally:
        await conn.close()

    if template is None:
        # The owner creates the tables, so it must own the public schema (PostgreSQL < 15
        # gives it to the bootstrap superuser); nobody else may create objects there.
        conn = await asyncpg.connect(asyncpg_dsn(admin.set(database=db)))
        try:
            await conn.execute(f"ALTER SCHEMA public OWNER TO {_ident(owner)}")
            await conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
            await conn.execute(f"GRANT USAGE ON SCHEMA public TO {_ident(app)}")
        finally:
            await conn.close()
    return derive_urls(admin, settings, db)


async def drop_database(admin: URL, database: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(admin))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {_ident(database)} WITH (FORCE)")
    finally:
        await conn.close()
