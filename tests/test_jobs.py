"""Background jobs (app.jobs) on the real queue in PostgreSQL: a rolled-back change queues
nothing; the mail and search jobs drain their mission's outbox in that mission's scope; a
job that keeps failing is retried with growing waits and ends failed."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select, text

from app.audit.models import AuditEvent
from app.jobs import queue
from app.jobs.tasks import RETRY, sweep
from app.notifications.models import OutboxMail
from app.search.models import SearchOutbox
from app.search.outbox import EXPERTS
from tenants.context import current_tenant, tenant_scope
from tests.accounts_helpers import make_user, sign_in, use_session
from tests.conftest import csrf_token

pytestmark = pytest.mark.usefixtures("in_english")


async def _jobs(session_factory, tenant, task: str | None = None) -> list[dict]:
    async with session_factory() as db:
        rows = await db.execute(text(
            "SELECT id, task_name, status::text AS status, attempts, scheduled_at, args "
            "FROM procrastinate_jobs WHERE args ->> 'tenant_id' = :tenant "
            "AND (CAST(:task AS text) IS NULL OR task_name = :task) ORDER BY id"),
            {"tenant": str(tenant.id), "task": task})
        return [dict(r._mapping) for r in rows]


def _mail(db, tenant, to: str) -> None:
    db.add(OutboxMail(tenant_id=tenant.id, to_address=to, subject="Jobs", body="A test.",
                      kind="test"))


class SpyTransport:
    """Sends nothing; remembers each mail and the mission in scope when it was sent."""

    def __init__(self):
        self.sent: list[tuple[str, str | None]] = []

    async def send(self, message, mail_id: str) -> None:
        tenant = current_tenant()
        self.sent.append((message["To"], tenant.slug if tenant else None))


class SpySearch:
    """A search engine that remembers the mission in scope at each call, or fails."""

    def __init__(self, error: Exception | None = None):
        self.error = error
        self.calls: list[tuple[str, str, str | None]] = []

    async def configure(self, index, settings) -> None:
        pass

    async def _call(self, what: str, tenant_id: str) -> None:
        if self.error:
            raise self.error
        tenant = current_tenant()
        self.calls.append((what, tenant_id, tenant.slug if tenant else None))

    async def upsert(self, index, tenant_id, documents) -> None:
        await self._call("upsert", tenant_id)

    async def delete(self, index, tenant_id, ids) -> None:
        await self._call("delete", tenant_id)


async def test_a_rolled_back_change_queues_nothing(session_factory, missions):
    sudan = missions["sudan"]
    with tenant_scope(sudan):
        async with session_factory() as db:
            _mail(db, sudan, "rolled.back@example.org")
            db.add(SearchOutbox(tenant_id=sudan.id, index=EXPERTS, object_id=uuid.uuid4()))
            await queue.defer(db, queue.RUN_IMPORT, sudan.id, batch_id=uuid.uuid4())
            await db.flush()
            await db.rollback()
        async with session_factory() as db:
            assert await db.scalar(select(func.count()).select_from(OutboxMail).where(
                OutboxMail.to_address == "rolled.back@example.org")) == 0
            assert await db.scalar(select(func.count()).select_from(SearchOutbox)) == 0
    assert await _jobs(session_factory, sudan) == []
    # Nothing due, so the sweep queues no drain either.
    assert await sweep(session_factory) == []
    assert await _jobs(session_factory, sudan) == []


async def test_mail_and_search_jobs_drain_their_missions_outbox_in_its_scope(
        session_factory, missions, run_jobs):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    gone = uuid.uuid4()
    for tenant in (sudan, mozambique):
        with tenant_scope(tenant):
            async with session_factory() as db:
                _mail(db, tenant, f"job.{tenant.slug}@example.org")
                db.add(SearchOutbox(tenant_id=tenant.id, index=EXPERTS, object_id=gone))
                await db.commit()
    deferred = await sweep(session_factory)
    assert sorted(deferred) == sorted((task, str(t.id)) for t in (sudan, mozambique)
                                      for task in (queue.SEND_MAIL, queue.UPDATE_SEARCH_INDEX))
    # A second sweep before a worker came by queues no second drain of the same outbox.
    assert await sweep(session_factory) == []
    queued = await _jobs(session_factory, sudan)
    assert {(j["task_name"], j["status"]) for j in queued} == {
        (queue.SEND_MAIL, "todo"), (queue.UPDATE_SEARCH_INDEX, "todo")}

    transport, search = SpyTransport(), SpySearch()
    await run_jobs(transport=transport, search=search)
    assert sorted(transport.sent) == [("job.mozambique@example.org", "mozambique"),
                                      ("job.sudan@example.org", "sudan")]
    assert sorted(c for c in search.calls if c[0] == "delete") == sorted(
        ("delete", str(t.id), t.slug) for t in (sudan, mozambique))
    for tenant in (sudan, mozambique):
        with tenant_scope(tenant):
            async with session_factory() as db:
                mail = await db.scalar(select(OutboxMail).where(
                    OutboxMail.to_address == f"job.{tenant.slug}@example.org"))
                assert mail.status == "sent"
                assert await db.scalar(select(func.count()).select_from(SearchOutbox)) == 0
        # Done jobs are deleted: the queue keeps what is waiting, running or failed.
        assert [j for j in await _jobs(session_factory, tenant)
                if j["task_name"] != queue.SWEEP_OUTBOXES] == []
