"""The portal's jobs. Each one names its mission (`tenant_id`) and runs in its scope, so
row-level security applies to everything it reads and writes.

How a change asks for work: it writes an outbox row (a mail in outbox_mails, an object in
search_outbox) or, for an import, the job itself (app.jobs.queue.defer), in its own
transaction; a rolled-back change asks for nothing.

How the outboxes become jobs: `outboxes.sweep`, a periodic task every few seconds
(procrastinate's cron takes a sixth field for seconds), looks in every mission for due
outbox rows and defers that mission's `mail.send` / `search.update_index` job (in SQL, as
app.jobs.queue.defer does, so it needs no more than a session). Every worker's scheduler
offers the sweep, and procrastinate keeps one per tick. A queueing lock
keeps at most one waiting drain per mission and outbox, and a lock runs them one at a time.
This is simpler than deferring a drain after every commit that wrote to an outbox (there
are many such places) and it also picks up rows left behind by anything (a crash, a mail
whose next attempt is due). The sweep is the one job without a `tenant_id`: it only reads
whether a mission has work due, in that mission's scope.

Retries: an exception retries the job with exponential backoff (RETRY), and after the last
attempt the job ends `failed`, listed on the mission admin's jobs page, where it can be
retried. A single mail or search object that fails has its own backoff in its outbox row
and does not fail the job.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

import procrastinate
from procrastinate import JobContext
from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.assignments.follow_ups import send_follow_ups
from app.assignments.reminders import send_reminders
from app.config import Settings, resolve_secret_key
from app.core.actor import Actor
from app.core.clock import now
from app.i18n import reset_locale, set_locale
from app.jobs.queue import (
    CHECK_IMPORT,
    RUN_IMPORT,
    SEND_MAIL,
    SEND_REMINDERS,
    SWEEP_OUTBOXES,
    UPDATE_SEARCH_INDEX,
    defer,
    jobs_app,
)
from app.notifications.delivery import deliver_tenant
from app.notifications.models import OutboxMail
from app.search.models import SearchOutbox
from app.search.sync import drain_tenant, ensure_indexes
from search_index import SearchBackend, SearchUnavailable
from tenants.context import TenantContext, tenant_scope
from tenants.provisioning import all_tenants, get_tenant_context

log = logging.getLogger(__name__)

# Four retries (max_attempts counts the retries), after 4, 16, 64 and 256 seconds; a fifth
# failure ends the job failed.
RETRY = procrastinate.RetryStrategy(max_attempts=4, exponential_wait=4)
SWEEP_EVERY = "* * * * * */2"  # every 2 seconds: a mail leaves about as soon as before
# Every hour: each mission's reminders and follow-up questionnaires go in its first run
# after its local morning, and a mission's time zone needs no schedule of its own.
REMINDERS_EVERY = "7 * * * *"
MAIL_BATCH, SEARCH_BATCH = 50, 500


@dataclass
class Runtime:
    """What jobs need from the process that runs them; handed to the worker as its
    additional context (app.worker)."""

    session_factory: async_sessionmaker[AsyncSession]
    search: SearchBackend
    transport: object  # app.notifications.delivery.FileTransport or SmtpTransport
    settings: Settings
    indexes_ready: bool = field(default=False)


def _runtime(context: JobContext) -> Runtime:
    return context.additional_context["runtime"]


async def _tenant(runtime: Runtime, tenant_id: str) -> TenantContext:
    async with runtime.session_factory() as db:
        return await get_tenant_context(db, uuid.UUID(tenant_id))


@jobs_app.task(name=SEND_MAIL, pass_context=True, retry=RETRY)
async def send_mail(context: JobContext, tenant_id: str) -> int:
    """Send the mission's due mails, batch after batch."""
    runtime = _runtime(context)
    tenant = await _tenant(runtime, tenant_id)
    sent = 0
    with tenant_scope(tenant):
        while True:
            async with runtime.session_factory() as db:
                done = await deliver_tenant(db, tenant, runtime.transport,
                                            runtime.settings.mail_from, MAIL_BATCH)
            sent += done
            if done < MAIL_BATCH:
                return sent


async def _indexes_ready(runtime: Runtime) -> None:
    if not runtime.indexes_ready:
        try:
            await ensure_indexes(runtime.search)
            runtime.indexes_ready = True
        except SearchUnavailable as exc:  # the outbox rows wait with their own backoff
            log.warning("search engine not ready: %s", exc)


@jobs_app.task(name=UPDATE_SEARCH_INDEX, pass_context=True, retry=RETRY)
async def update_search_index(context: JobContext, tenant_id: str) -> int:
    """Bring the mission's changed objects up to date in the search engine."""
    runtime = _runtime(context)
    tenant = await _tenant(runtime, tenant_id)
    await _indexes_ready(runtime)
    total = 0
    with tenant_scope(tenant):
        while True:
            async with runtime.session_factory() as db:
                done = await drain_tenant(db, runtime.search, tenant, SEARCH_BATCH)
            total += done
            if done < SEARCH_BATCH:
                return total


@jobs_app.task(name=CHECK_IMPORT, pass_context=True, retry=RETRY)
async def check_import(context: JobContext, tenant_id: str, batch_id: str, locale: str,
                       actor_id: str | None = None, actor_email: str = "",
                       actor_ip: str = "") -> None:
    """An uploaded file read and checked (app.imports.services.receive_upload), its
    messages in the uploader's language."""
    from app.imports.services import check_batch
    from app.storage import storage_for

    runtime = _runtime(context)
    tenant = await _tenant(runtime, tenant_id)
    actor = Actor(user_id=uuid.UUID(actor_id) if actor_id else None, email=actor_email,
                  ip=actor_ip)
    language = set_locale(locale)
    try:
        with tenant_scope(tenant):
            async with runtime.session_factory() as db:
                await check_batch(db, storage_for(runtime.settings), tenant, actor,
                                  uuid.UUID(batch_id), runtime.settings.import_max_rows)
    finally:
        reset_locale(language)


@jobs_app.task(name=RUN_IMPORT, pass_context=True, retry=RETRY)
async def run_import(context: JobContext, tenant_id: str, batch_id: str, base_url: str,
                     actor_id: str | None = None, actor_email: str = "",
                     actor_ip: str = "") -> None:
    """An import the staff pages started (app.imports.services.start_batch)."""
    from app.imports.services import Links, run_batch
    from app.storage import storage_for

    runtime = _runtime(context)
    tenant = await _tenant(runtime, tenant_id)
    actor = Actor(user_id=uuid.UUID(actor_id) if actor_id else None, email=actor_email,
                  ip=actor_ip)
    await _indexes_ready(runtime)  # the experts are made searchable as they are written
    await run_batch(runtime.session_factory, storage_for(runtime.settings), tenant, actor,
                    uuid.UUID(batch_id), Links(base_url), runtime.settings.import_max_rows,
                    search=runtime.search)


async def _due_work(db: AsyncSession, tenant: TenantContext) -> tuple[bool, bool]:
    moment = now()
    mail = await db.scalar(select(exists().where(
        OutboxMail.tenant_id == tenant.id, OutboxMail.status == "pending",
        or_(OutboxMail.next_attempt_at.is_(None), OutboxMail.next_attempt_at <= moment))))
    search = await db.scalar(select(exists().where(
        SearchOutbox.tenant_id == tenant.id,
        or_(SearchOutbox.next_attempt_at.is_(None), SearchOutbox.next_attempt_at <= moment))))
    return bool(mail), bool(search)


async def sweep(session_factory: async_sessionmaker[AsyncSession]) -> list[tuple[str, str]]:
    """Defer the drain jobs of every mission with due outbox rows; returns (task, tenant id)
    of those deferred (a drain already waiting is not deferred twice)."""
    async with session_factory() as db:
        tenants = await all_tenants(db)
    deferred = []
    for tenant in tenants:
        with tenant_scope(tenant):
            async with session_factory() as db:
                due = await _due_work(db, tenant)
                for task, is_due in zip((SEND_MAIL, UPDATE_SEARCH_INDEX), due, strict=True):
                    if not is_due:
                        continue
                    key = f"{task}:{tenant.id}"
                    try:
                        async with db.begin_nested():
                            await defer(db, task, tenant.id, lock=key, queueing_lock=key)
                    except IntegrityError:  # that drain is already waiting
                        continue
                    deferred.append((task, str(tenant.id)))
                await db.commit()
    return deferred


@jobs_app.periodic(cron=SWEEP_EVERY)
@jobs_app.task(name=SWEEP_OUTBOXES, pass_context=True, queueing_lock=SWEEP_OUTBOXES)
async def sweep_outboxes(context: JobContext, timestamp: int) -> None:
    await sweep(_runtime(context).session_factory)
    await retry_stalled_jobs(context.app)


async def retry_stalled_jobs(app: procrastinate.App) -> int:
    """Jobs left `doing` by a worker that stopped sending heartbeats (its process was
    killed) go back to the queue. Every job here may run again: the outbox drains pick up
    where they were, an import writes all or nothing."""
    stalled = list(await app.job_manager.get_stalled_jobs())
    for job in stalled:
        log.warning("job %s (%s) was left running by a stopped worker: queued again",
                    job.id, job.task_name)
        await app.job_manager.retry_job(job)
    return len(stalled)


async def remind(runtime: Runtime) -> int:
    """Every mission's assignment reminders and follow-up questionnaires due now
    (app.assignments.reminders, app.assignments.follow_ups); returns how many mails were
    queued."""
    secret = resolve_secret_key(runtime.settings)
    async with runtime.session_factory() as db:
        tenants = await all_tenants(db)
    mails = 0
    for tenant in tenants:
        with tenant_scope(tenant):
            async with runtime.session_factory() as db:
                mails += await send_reminders(db, tenant, secret, runtime.settings.links_base,
                                              now())
                mails += await send_follow_ups(db, tenant, secret,
                                               runtime.settings.links_base, now())
    return mails


@jobs_app.periodic(cron=REMINDERS_EVERY)
@jobs_app.task(name=SEND_REMINDERS, pass_context=True, queueing_lock=SEND_REMINDERS,
               retry=RETRY)
async def send_assignment_reminders(context: JobContext, timestamp: int) -> int:
    return await remind(_runtime(context))
