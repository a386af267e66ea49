"""Draining the search outbox into the engine, and rebuilding an index from PostgreSQL.

The `search.update_index` job (app.tasks) takes a batch of a mission's outbox rows
(SKIP LOCKED: several workers never take the same rows), builds the documents from the
database as they are now, sends the upserts and deletions, and removes the rows only after
the engine accepted them. When
the engine is down the rows stay, with a growing delay before the next attempt: nothing
is lost, and the next drain after the engine is back catches up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.assignment_requests.models import AssignmentRequest
from app.core.collector import collector_paused
from app.experts.models import ExpertProfile
from app.search.documents import BUILDERS, INDEXES, among
from app.search.models import SearchOutbox
from app.search.outbox import EXPERTS, REQUESTS
from search_index import SearchBackend, SearchUnavailable, StagedWrites
from tenants.context import TenantContext, tenant_scope
from tenants.provisioning import all_tenants

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(minutes=10)
# How long the outbox rows of a transaction that indexes its own documents (StagedIndex)
# wait before the drain takes them: the time the process has to commit the documents after
# the transaction, and the delay before they are indexed anyway if it never does.
STAGED_ROWS_WAIT = timedelta(minutes=10)


async def ensure_indexes(backend: SearchBackend) -> None:
    for name, settings in INDEXES.items():
        await backend.configure(name, settings)


def backoff(attempts: int) -> timedelta:
    return min(MAX_BACKOFF, timedelta(seconds=2 ** min(attempts, 10)))


async def _send(backend: SearchBackend, tenant: TenantContext, index: str,
                documents: dict[uuid.UUID, dict | None]) -> None:
    await backend.upsert(index, str(tenant.id), [d for d in documents.values() if d])
    await backend.delete(index, str(tenant.id),
                         [str(i) for i, d in documents.items() if d is None])


async def drain_tenant(db: AsyncSession, backend: SearchBackend, tenant: TenantContext,
                       batch: int = 500) -> int:
    """One batch of one mission's outbox; returns how many objects were brought up to date.
    The rows are read and removed as plain columns (no ORM objects: an import leaves
    thousands)."""
    with collector_paused():
        return await _settle(db, backend, tenant, await _take(db, tenant, batch))


@dataclass
class _Taken:
    """A batch of outbox rows, locked by the session that took them, and their documents."""
    rows: list = field(default_factory=list)
    documents: dict[str, dict[uuid.UUID, dict | None]] = field(default_factory=dict)


async def _take(db: AsyncSession, tenant: TenantContext, batch: int) -> _Taken:
    """Lock a batch of due rows (SKIP LOCKED: rows another session holds are left to it)
    and build their documents from the database as it is now."""
    rows = (await db.execute(
        select(SearchOutbox.id, SearchOutbox.index, SearchOutbox.object_id, SearchOutbox.attempts)
        .where(SearchOutbox.tenant_id == tenant.id,
               (SearchOutbox.next_attempt_at.is_(None))
               | (SearchOutbox.next_attempt_at <= datetime.now(UTC)))
        .order_by(SearchOutbox.created_at).limit(batch)
        .with_for_update(skip_locked=True))).all()
    taken = _Taken(list(rows))
    for index in (EXPERTS, REQUESTS):
        ids = list({row.object_id for row in rows if row.index == index})
        if ids:
            taken.documents[index] = await BUILDERS[index](db, tenant, ids)
    return taken


async def _settle(db: AsyncSession, backend: SearchBackend, tenant: TenantContext,
                  taken: _Taken) -> int:
    """Send the documents, then remove their rows (or, when the engine refused them, retry
    later); commits the session that took them."""
    if not taken.rows:
        return 0
    now = datetime.now(UTC)
    done = 0
    for index, documents in taken.documents.items():
        mine = [row for row in taken.rows if row.index == index]
        try:
            await _send(backend, tenant, index, documents)
        except SearchUnavailable as exc:
            table = SearchOutbox.__table__
            await db.execute(update(table).where(table.c.id == bindparam("row_id")).values(
                attempts=bindparam("attempts"), next_attempt_at=bindparam("next_attempt"),
                last_error=str(exc)[:2000]), [
                {"row_id": row.id, "attempts": row.attempts + 1,
                 "next_attempt": now + backoff(row.attempts + 1)} for row in mine])
            log.warning("search engine refused %d %s of %s: %s", len(documents), index,
                        tenant.slug, exc)
            continue
        await db.execute(delete(SearchOutbox).where(among(SearchOutbox.id,
                                                          [row.id for row in mine]))
                         .execution_options(synchronize_session=False))
        done += len(documents)
    await db.commit()
    return done


async def drain(session_factory: async_sessionmaker[AsyncSession], backend: SearchBackend,
                batch: int = 500) -> int:
    """Everything due in every mission's outbox, batch after batch. The next batch is taken
    and its documents built (in a session of its own) while the engine writes the previous
    one: after an import, building the documents was a third of the drain."""
    async with session_factory() as db:
        tenants = await all_tenants(db)
    total = 0
    for tenant in tenants:
        with tenant_scope(tenant), collector_paused():
            total += await _drain_mission(session_factory, backend, tenant, batch)
    return total


async def _drain_mission(session_factory: async_sessionmaker[AsyncSession],
                         backend: SearchBackend, tenant: TenantContext, batch: int) -> int:
    total = 0
    sending: asyncio.Task | None = None  # the previous batch: sent, then its rows removed
    try:
        while True:
            db = session_factory()
            try:
                taken = await _take(db, tenant, batch)
                if sending is not None:
                    total += await sending
                    sending = None
            except BaseException:
                await db.close()
                raise
            if not taken.rows:
                await db.close()
                break
            sending = asyncio.create_task(_settle_and_close(db, backend, tenant, taken))
            if len(taken.rows) < batch:
                break
        if sending is not None:
            total += await sending
            sending = None
    finally:
        if sending is not None and not sending.done():
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sending
    return total


async def _settle_and_close(db: AsyncSession, backend: SearchBackend, tenant: TenantContext,
                            taken: _Taken) -> int:
    try:
        return await _settle(db, backend, tenant, taken)
    finally:
        await db.close()


class StagedIndex:
    """The documents of the objects a long transaction writes (a roster import), built
    inside it, so that they see its rows, batch by batch as it goes, and handed to the
    engine while PostgreSQL works on the next batch; searches see them only after
    committed(), which follows the transaction's commit. The transaction still writes an
    outbox row for each object (with outbox_row()), due only after STAGED_ROWS_WAIT:
    committed() removes them once the engine has committed the documents, or makes them
    due at once when it could not (the engine busy or down); if the process stops before,
    they become due by themselves. A rolled-back transaction calls discarded(): nothing
    was visible, nothing stays."""

    def __init__(self, backend: SearchBackend, tenant: TenantContext, index: str):
        self.tenant, self.index = tenant, index
        self.staged: StagedWrites | None
        try:
            self.staged = backend.staged(index, str(tenant.id))
        except SearchUnavailable as exc:  # not configured yet: the outbox rows will do it
            log.warning("search engine cannot take %s of %s: %s", index, tenant.slug, exc)
            self.staged = None
        self.outbox_ids: list[uuid.UUID] = []
        self.due_at = datetime.now(UTC) + STAGED_ROWS_WAIT

    def outbox_row(self, row_id: uuid.UUID, object_id: uuid.UUID) -> tuple:
        """A search_outbox row (OUTBOX_COLUMNS) for an object the transaction writes."""
        self.outbox_ids.append(row_id)
        return (row_id, self.tenant.id, self.index, object_id, 0, "", self.due_at)

    @property
    def active(self) -> bool:
        """Whether documents handed to add() go anywhere (else the outbox rows will do)."""
        return self.staged is not None

    async def add(self, db: AsyncSession, ids: list[uuid.UUID],
                  built: dict[uuid.UUID, dict | None] | None = None) -> None:
        """Hand over the documents of these objects, built in the transaction of db, and
        those the caller built itself from what it wrote (built: id -> document, or None
        for an object that leaves the index)."""
        if self.staged is None:
            return
        documents = dict(built or {})
        if ids:
            documents.update(await BUILDERS[self.index](db, self.tenant, ids))
        if not documents:
            return
        try:
            await self.staged.add([d for d in documents.values() if d],
                                  [str(i) for i, d in documents.items() if d is None])
        except SearchUnavailable as exc:  # the outbox rows will do it
            log.warning("search engine did not take %s of %s during the transaction: %s",
                        self.index, self.tenant.slug, exc)
            await self.discarded()

    async def committed(self, session_factory: async_sessionmaker[AsyncSession]) -> int:
        """After the transaction's commit: commit the documents, then settle the outbox
        rows. Returns how many objects were brought up to date."""
        indexed = False
        if self.staged is not None:
            try:
                await self.staged.commit()
                indexed = True
            except SearchUnavailable as exc:  # the outbox rows will do it
                log.warning("search engine did not commit %s of %s: %s", self.index,
                            self.tenant.slug, exc)
            except Exception:  # the transaction is committed all the same: as above
                log.exception("search engine did not commit %s of %s", self.index,
                              self.tenant.slug)
        table = SearchOutbox.__table__
        rows = among(table.c.id, self.outbox_ids)
        with tenant_scope(self.tenant):
            async with session_factory() as db:
                if indexed:
                    await db.execute(delete(table).where(rows))
                else:
                    await db.execute(update(table).where(rows).values(next_attempt_at=None))
                await db.commit()
        return len(self.outbox_ids) if indexed else 0

    async def discarded(self) -> None:
        staged, self.staged = self.staged, None
        if staged is not None:
            await staged.discard()


async def pending(session_factory: async_sessionmaker[AsyncSession],
                  tenant: TenantContext) -> int:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(func.count()).select_from(SearchOutbox).where(
                SearchOutbox.tenant_id == tenant.id)) or 0


async def reindex(session_factory: async_sessionmaker[AsyncSession], backend: SearchBackend,
                  tenant: TenantContext, batch: int = 5000,
                  progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the mission's documents in both indexes from PostgreSQL. progress(done,
    total) is called after every batch.

    Batches are large (one engine commit each: the embedded engine's commits and merges,
    not its document writes, were most of a rebuild's time with small ones), and the next
    batch's documents are built from PostgreSQL while the engine writes the previous one."""
    models: dict[str, type[ExpertProfile] | type[AssignmentRequest]] = {
        EXPERTS: ExpertProfile, REQUESTS: AssignmentRequest}
    with tenant_scope(tenant), collector_paused():
        async with session_factory() as db:
            ids = {index: list(await db.scalars(select(model.id).where(
                model.tenant_id == tenant.id).order_by(model.id)))
                for index, model in models.items()}
        total, done = sum(len(v) for v in ids.values()), 0
        for index in models:
            await backend.drop_tenant(index, str(tenant.id))
            pending: list[tuple[asyncio.Task, int]] = []  # the previous batch, being sent
            try:
                for start in range(0, len(ids[index]) + batch, batch):  # the last: empty, flushes
                    chunk = ids[index][start:start + batch]
                    documents: dict = {}
                    if chunk:
                        async with session_factory() as db:
                            documents = await BUILDERS[index](db, tenant, chunk)
                    for task, count in pending:
                        await task
                        done += count
                        if progress:
                            progress(done, total)
                    pending = [(asyncio.create_task(_send(backend, tenant, index, documents)),
                                len(chunk))] if chunk else []
            finally:
                for task, _ in pending:
                    if not task.done():
                        task.cancel()
                        with contextlib.suppress(asyncio.CancelledError, SearchUnavailable):
                            await task
    return total
