"""The procrastinate App and deferring jobs in the caller's transaction.

procrastinate talks to PostgreSQL through psycopg 3 (its PsycopgConnector), the web app
through SQLAlchemy and asyncpg: two connections, so procrastinate's own defer() could not
share the transaction of the change that asks for the work. defer() below calls the SQL
function procrastinate's defer calls (procrastinate_defer_jobs_v1) on the caller's session
instead: the job is committed with the change, or rolled back with it.

The App's connector is a placeholder until a worker opens it with the database's address
(app.worker)."""

from __future__ import annotations

import json
import logging
import uuid

import procrastinate
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Task names are stored in the jobs table: they are fixed here, not derived from where the
# functions live, so that moving code never strands queued jobs.
SEND_MAIL = "mail.send"
UPDATE_SEARCH_INDEX = "search.update_index"
CHECK_IMPORT = "imports.check"
RUN_IMPORT = "imports.run"
SWEEP_OUTBOXES = "outboxes.sweep"
SEND_REMINDERS = "assignments.reminders"

QUEUE = "default"

# procrastinate's tables (migration 0009): global, without row-level security, and not
# described by the portal's models (Alembic's comparisons leave them out).
JOB_QUEUE_TABLES = ("procrastinate_jobs", "procrastinate_events",
                    "procrastinate_periodic_defers", "procrastinate_workers")


def not_job_queue_table(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's include_name: everything but the job queue's tables."""
    return not (type_ == "table" and name in JOB_QUEUE_TABLES)

jobs_app = procrastinate.App(connector=procrastinate.PsycopgConnector(),
                             import_paths=["app.tasks"])

_DEFER = text(
    "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, 0, :lock, :queueing_lock, "
    "CAST(:args AS jsonb), NULL)::procrastinate_job_to_defer_v1])")


async def defer(db: AsyncSession, task: str, tenant_id: uuid.UUID, *, lock: str | None = None,
                queueing_lock: str | None = None, **args: object) -> int:
    """Queue `task` for the mission in db's transaction; returns the job's id. The caller
    commits (or rolls back, and nothing is queued). A job with the same queueing_lock
    already waiting makes this fail (IntegrityError). Jobs with the same lock run one at a
    time."""
    payload = {"tenant_id": str(tenant_id),
               **{k: str(v) if isinstance(v, uuid.UUID) else v for k, v in args.items()}}
    ids = await db.scalar(_DEFER, {"queue": QUEUE, "task": task, "lock": lock,
                                   "queueing_lock": queueing_lock, "args": json.dumps(payload)})
    return ids[0]


class QuietSweep(logging.Filter):
    """Drops procrastinate's INFO lines about the outbox sweep, which runs every 2 s (43,000
    lines a day, nothing to read); its failures, and every other job, are still logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        job = getattr(record, "job", None)
        task = job.get("task_name") if isinstance(job, dict) else None
        return task != SWEEP_OUTBOXES and not record.getMessage().startswith(
            f"Periodic job {SWEEP_OUTBOXES}")
