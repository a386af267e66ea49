"""A mission's jobs, for its admins: those queued, running and failed, and the retry of a
failed one.

procrastinate's tables have no row-level security (one queue serves every mission), so
every query here filters on the mission named in the job's arguments (`tenant_id`): a job
of another mission is simply not found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from litestar.exceptions import NotFoundException
from sqlalchemy import String, cast, column, func, select, table, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import ScalarSelect

from app.audit.services import record as audit
from app.core.actor import Actor
from tenants.context import TenantContext

VISIBLE_STATUSES = ("todo", "doing", "failed")
PAGE_SIZE = 200

_COLUMNS = """
    j.id, j.task_name, j.status::text AS status, j.attempts, j.scheduled_at,
    (SELECT min(e.at) FROM procrastinate_events e
      WHERE e.job_id = j.id AND e.type = 'deferred') AS queued_at,
    (SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = j.id) AS changed_at
"""


@dataclass(frozen=True)
class JobRow:
    id: int
    task_name: str
    status: str              # todo (queued), doing (running) or failed
    attempts: int
    scheduled_at: datetime | None
    queued_at: datetime | None
    changed_at: datetime | None


class RetryRefused(Exception):
    pass


_jobs = table("procrastinate_jobs", column("status"), column("args", JSONB))


def failed_jobs(tenant: TenantContext) -> ScalarSelect:
    """How many of the mission's jobs ended failed, as a subquery (the admin's home counts
    it with the rest of its block)."""
    return select(func.count()).select_from(_jobs).where(
        cast(_jobs.c.status, String) == "failed",
        _jobs.c.args["tenant_id"].astext == str(tenant.id)).scalar_subquery()


async def mission_jobs(db: AsyncSession, tenant: TenantContext,
                       limit: int = PAGE_SIZE) -> list[JobRow]:
    """The mission's queued, running and failed jobs: running first, then queued, then
    failed, the newest first in each."""
    rows = await db.execute(text(
        f"SELECT {_COLUMNS} FROM procrastinate_jobs j "
        "WHERE j.args ->> 'tenant_id' = :tenant_id "
        "AND j.status::text IN ('todo', 'doing', 'failed') "
        "ORDER BY CASE j.status::text WHEN 'doing' THEN 0 WHEN 'todo' THEN 1 ELSE 2 END, "
        "j.id DESC LIMIT :limit"), {"tenant_id": str(tenant.id), "limit": limit})
    return [JobRow(**row._mapping) for row in rows]


async def retry_job(db: AsyncSession, tenant: TenantContext, actor: Actor,
                    job_id: int) -> JobRow:
    """Queue a failed job of the mission again, now (404 for another mission's job;
    RetryRefused unless it failed), audited in the same transaction."""
    if not 0 < job_id < 2 ** 63:  # ids are bigint; anything else names no job
        raise NotFoundException()
    row = (await db.execute(text(
        f"SELECT {_COLUMNS} FROM procrastinate_jobs j "
        "WHERE j.id = :job_id AND j.args ->> 'tenant_id' = :tenant_id FOR UPDATE OF j"),
        {"job_id": job_id, "tenant_id": str(tenant.id)})).first()
    if row is None:
        raise NotFoundException()
    job = JobRow(**row._mapping)
    if job.status != "failed":
        raise RetryRefused()
    await db.execute(text(
        "SELECT procrastinate_retry_job_v2(:job_id, now(), NULL, NULL, NULL)"),
        {"job_id": job_id})
    audit(db, tenant.id, actor, "job.retried", "job", job_id,
          after={"task": job.task_name, "attempts": job.attempts})
    await db.commit()
    return job
