"""Engines and sessions. Every transaction is scoped to the current mission.

`SET` cannot take parameters on asyncpg and a plain `SET` would outlive the transaction on a
pooled connection, so each transaction runs `set_config('app.tenant_id', :id, true)`: local
to the transaction, and '' (which the policies read as "no mission": no rows) when no mission
is current.
"""

from __future__ import annotations

import uuid

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


@event.listens_for(TenantSession, "after_begin")
def _scope_transaction_to_tenant(session: Session, transaction, connection) -> None:
    tenant_id: uuid.UUID | None = current_tenant_id()
    connection.execute(_SET_TENANT, {"tenant_id": str(tenant_id) if tenant_id else ""})


def create_engine(url: URL, **kwargs) -> AsyncEngine:
    # No ping before each checkout: it cost every request a round trip. After an outage the
    # first statement on a dead connection fails (a 503), and SQLAlchemy then discards every
    # connection the pool held from before, so the next request reconnects; connections are
    # renewed every 30 minutes anyway, ahead of idle time-outs in firewalls and proxies.
    kwargs.setdefault("pool_recycle", 1800)
    return create_async_engine(url, **kwargs)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, sync_session_class=TenantSession, expire_on_commit=False)
