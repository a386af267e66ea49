"""Background jobs (app.jobs) on the real queue in PostgreSQL: a rolled-back change queues
nothing; the mail and search jobs drain their mission's outbox in that mission's scope; a
job that keeps failing is retried with growing waits and ends failed, where its mission's
admins (and only theirs) see it and can retry it."""

from __future__ import annotations

import uuid
from itertools import pairwise

import pytest
from sqlalchemy import func, select, text

from app.audit.models import AuditEvent
from app.jobs import queue
from app.notifications.models import OutboxMail
from app.search.models import SearchOutbox
from app.search.outbox import EXPERTS
from app.tasks import RETRY, sweep
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
        assert await _jobs(session_factory, tenant) == []


async def _make_due(session_factory, job_id: int) -> None:
    async with session_factory() as db:
        await db.execute(text("UPDATE procrastinate_jobs SET scheduled_at = now() "
                              "WHERE id = :id"), {"id": job_id})
        await db.commit()


@pytest.fixture
async def admin(client, missions, session_factory):
    user = await make_user(session_factory, missions["sudan"], "mission_admin")
    assert (await sign_in(client, missions["sudan"], user.email)).status_code == 303
    yield user
    use_session(client, None)


async def test_a_failing_job_is_retried_then_failed_and_its_admin_retries_it(
        client, session_factory, missions, run_jobs, admin):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    with tenant_scope(sudan):
        async with session_factory() as db:
            db.add(SearchOutbox(tenant_id=sudan.id, index=EXPERTS, object_id=uuid.uuid4()))
            job_id = await queue.defer(db, queue.UPDATE_SEARCH_INDEX, sudan.id)
            await db.commit()
    with tenant_scope(mozambique):
        async with session_factory() as db:
            other_id = await queue.defer(db, queue.UPDATE_SEARCH_INDEX, mozambique.id)
            await db.commit()
    broken = SpySearch(RuntimeError("engine on fire"))
    waits = []
    runs = RETRY.max_attempts + 1  # the first run and the retries
    for attempt in range(1, runs + 1):
        await run_jobs(search=broken)
        [job] = [j for j in await _jobs(session_factory, sudan) if j["id"] == job_id]
        if attempt < runs:
            assert (job["status"], job["attempts"]) == ("todo", attempt)
            async with session_factory() as db:
                waits.append(await db.scalar(text(
                    "SELECT extract(epoch FROM scheduled_at - now()) FROM procrastinate_jobs "
                    "WHERE id = :id"), {"id": job_id}))
            await _make_due(session_factory, job_id)
        else:
            assert job["status"] == "failed"
    # Exponential backoff: every wait about four times the one before.
    assert all(later > 3 * earlier for earlier, later in pairwise(waits)), waits
    assert waits[0] > 2

    listing = await client.get("/sudan/admin/jobs")
    assert listing.status_code == 200
    assert f"#{job_id}" in listing.text and "Updating the search index" in listing.text
    assert "Failed" in listing.text and f"/sudan/admin/jobs/{job_id}/retry" in listing.text
    # Another mission's jobs never appear; its job ids are not found here.
    assert f"#{other_id}" not in listing.text
    token = await csrf_token(client, "/sudan/admin/jobs")
    theirs = await client.post(f"/sudan/admin/jobs/{other_id}/retry",
                               data={"_csrf_token": token}, follow_redirects=False)
    assert theirs.status_code == 404

    retried = await client.post(f"/sudan/admin/jobs/{job_id}/retry",
                                data={"_csrf_token": token}, follow_redirects=False)
    assert retried.status_code == 303
    assert "queued again" in (await client.get("/sudan/admin/jobs")).text
    [job] = [j for j in await _jobs(session_factory, sudan) if j["id"] == job_id]
    assert job["status"] == "todo"
    again = await client.post(f"/sudan/admin/jobs/{job_id}/retry",
                              data={"_csrf_token": token}, follow_redirects=False)
    assert again.status_code == 303
    assert "Only a failed job" in (await client.get("/sudan/admin/jobs")).text
    with tenant_scope(sudan):
        async with session_factory() as db:
            events = list(await db.scalars(select(AuditEvent).where(
                AuditEvent.action == "job.retried")))
    assert [(e.object_id, e.actor_id) for e in events] == [(str(job_id), admin.id)]

    # Once the engine is back, the retried job goes through and leaves the queue.
    await run_jobs(search=SpySearch())
    assert [j for j in await _jobs(session_factory, sudan) if j["id"] == job_id] == []
    with tenant_scope(sudan):
        async with session_factory() as db:
            assert await db.scalar(select(func.count()).select_from(SearchOutbox)) == 0


def test_the_sweep_s_routine_lines_stay_out_of_the_log():
    """The sweep runs every 2 s: its INFO lines are dropped, its failures and other jobs kept."""
    import logging

    from app.jobs.queue import SWEEP_OUTBOXES, QuietSweep

    def record(level: int, task: str, message: str = "ended") -> logging.LogRecord:
        entry = logging.LogRecord("procrastinate.worker", level, __file__, 1, message, None,
                                  None)
        entry.job = {"task_name": task}
        return entry

    quiet = QuietSweep()
    assert not quiet.filter(record(logging.INFO, SWEEP_OUTBOXES))
    assert quiet.filter(record(logging.ERROR, SWEEP_OUTBOXES))
    assert quiet.filter(record(logging.INFO, "mail.send"))
    periodic = logging.LogRecord("procrastinate.periodic", logging.INFO, __file__, 1,
                                 f"Periodic job {SWEEP_OUTBOXES}[1]() deferred", None, None)
    assert not quiet.filter(periodic)
