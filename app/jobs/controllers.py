"""Mission admins' page of the mission's background jobs (queued, running, failed) and the
retry of a failed one."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response

from app.core.roles import JOBS_MANAGE
from app.i18n import gettext as _
from app.jobs import queue, services
from app.web.deps import CurrentActor, CurrentTenant, Db
from app.web.flash import flash
from app.web.guards import requires
from app.web.templating import page

MANAGE = [requires(JOBS_MANAGE)]


def _labels() -> tuple[dict[str, str], dict[str, str]]:
    tasks = {queue.SEND_MAIL: _("Sending mail"),
             queue.UPDATE_SEARCH_INDEX: _("Updating the search index"),
             queue.CHECK_IMPORT: _("Checking an import file"),
             queue.RUN_IMPORT: _("Import")}
    statuses = {"todo": _("Queued"), "doing": _("Running"), "failed": _("Failed")}
    return tasks, statuses


@get("/admin/jobs", name="mission_jobs", guards=MANAGE)
async def mission_jobs(request: Request, tenant: CurrentTenant, db: Db) -> Response:
    task_labels, status_labels = _labels()
    return page(request, "admin/jobs.html", jobs=await services.mission_jobs(db, tenant),
                task_labels=task_labels, status_labels=status_labels)


@post("/admin/jobs/{job_id:int}/retry", name="retry_job", guards=MANAGE)
async def retry_job(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                    job_id: FromPath[int]) -> Response:
    back = Redirect(f"/{tenant.slug}/admin/jobs", status_code=303)
    try:
        await services.retry_job(db, tenant, actor, job_id)
    except services.RetryRefused:
        await db.rollback()
        return flash(request, back, "error", _("Only a failed job can be retried."))
    return flash(request, back, "success", _("The job is queued again."))


JOB_ROUTES = [mission_jobs, retry_job]
