"""Engines and sessions. Every transaction is scoped to the current mission.

`SET` cannot take parameters on asyncpg and a plain `SET` would outlive the transaction on a
pooled connection, so each transaction runs `set_config('app.tenant_id', :id, true)`: local
to the transaction, and '' (which the policies read as "no mission": no rows) when no mission
is current. On this module's engines it travels in the same message as the transaction's
BEGIN (`TenantConnection`), which saves every transaction a round trip to the database.
"""

from __future__ import annotations

import itertools
import uuid

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from tenants.context import current_tenant_id

_SET_TENANT = text("SELECT set_config('app.tenant_id', :tenant_id, true)")


class TenantSession(Session):
    """A session whose transactions carry the current mission's id for row-level security."""


# Caches of what pages read (the registry's counts) are forgotten when this process commits
# a write to a table they read: a generation per table, bumped on each commit of a
# transaction that flushed ORM objects of it, ran an ORM insert, update or delete on it, or
# bulk-copied rows into it (app/db/bulk.py calls `note_write`). Another process's writes
# are seen when such a cache's time runs out.
_write_generations = itertools.count(1)
_committed_writes: dict[str, int] = {}


def committed_writes(*tables: str) -> int:
    """The generation of this process's last committed write to any of these tables."""
    return max((_committed_writes.get(table, 0) for table in tables), default=0)


def note_write(session: Session, table: str) -> None:
    session.info.setdefault("written", set()).add(table)


@event.listens_for(TenantSession, "after_flush")
def _flushed(session: Session, flush_context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table:
            note_write(session, table)


@event.listens_for(TenantSession, "do_orm_execute")
def _executed(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        note_write(state.session, getattr(table, "name", "") or "")


@event.listens_for(TenantSession, "after_commit")
def _committed(session: Session) -> None:
    written = session.info.pop("written", None)
    if written:
        generation = next(_write_generations)
        for table in written:
            _committed_writes[table] = generation


@event.listens_for(TenantSession, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop("written", None)


def _tenant_setting() -> str:
    tenant_id: uuid.UUID | None = current_tenant_id()
    return str(tenant_id) if tenant_id else ""


class TenantConnection(asyncpg.Connection):
    """An asyncpg connection whose transactions begin scoped to the current mission: the
    BEGIN that asyncpg sends as a simple query carries the set_config with it. The value is a
    UUID's text (or ''), never input."""

    async def execute(self, query: str, *args, timeout: float | None = None) -> str:
        if not args and query.startswith("BEGIN") and query.endswith(";"):
            query += f" SELECT set_config('app.tenant_id', '{_tenant_setting()}', true);"
        return await super().execute(query, *args, timeout=timeout)


@event.listens_for(TenantSession, "after_begin")
def _scope_transaction_to_tenant(session: Session, transaction, connection) -> None:
    driver = connection.connection.driver_connection
    if isinstance(driver, TenantConnection) and not driver.is_in_transaction():
        return  # its BEGIN, sent with the first statement, sets the mission
    connection.execute(_SET_TENANT, {"tenant_id": _tenant_setting()})


def create_engine(url: URL, **kwargs) -> AsyncEngine:
    # No ping before each checkout: it cost every request a round trip. After an outage the
    # first statement on a dead connection fails (a 503), and SQLAlchemy then discards every
    # connection the pool held from before, so the next request reconnects; connections are
    # renewed every 30 minutes anyway, ahead of idle time-outs in firewalls and proxies.
    kwargs.setdefault("pool_recycle", 1800)
    connect_args = kwargs.setdefault("connect_args", {})
    connect_args.setdefault("connection_class", TenantConnection)
    # A random read costs about what a sequential one does when the data is in memory or on
    # an SSD (PostgreSQL's default, 4, prices a spinning disk): with it the registry's sector
    # filter is joined through its index (bench/registry_plan.py at 100,000 experts, a sector
    # of 1 in 100 experts: the count 24 -> 2.4 ms) instead of a scan of every profile.
    connect_args.setdefault("server_settings", {}).setdefault("random_page_cost", "1.1")
    return create_async_engine(url, **kwargs)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, sync_session_class=TenantSession, expire_on_commit=False)
