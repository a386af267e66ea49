"""Who is already taken: experts on a confirmed assignment during another request's work
window are not eligible for it (matching asks through the hook it offers)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.assignment_requests.models import AssignmentRequest
from app.assignments.models import Assignment
from app.matching.services import busy_experts
from app.search.documents import among, work_window
from tenants.context import TenantContext

# A cancelled assignment frees the expert; a completed or evaluated one is over.
TAKING = ("planned", "contracted", "in_progress")


@busy_experts
async def experts_on_assignment(db: AsyncSession, tenant: TenantContext,
                                window: tuple[date, date],
                                profile_ids: list[uuid.UUID] | None) -> set[uuid.UUID]:
    """Those among the profiles (None: of the whole mission) whose confirmed assignment
    overlaps the window by a day: by its planned dates, or its request's work window while
    it has none."""
    query = (select(Assignment.profile_id, Assignment.planned_start, Assignment.planned_end,
                    AssignmentRequest)
             .join(AssignmentRequest, AssignmentRequest.id == Assignment.request_id)
             .where(Assignment.tenant_id == tenant.id, Assignment.status.in_(TAKING),
                    # the planned dates' test below, as far as SQL can tell without the
                    # request's window
                    Assignment.planned_start.is_(None)
                    | ((Assignment.planned_start <= window[1])
                       & (func.coalesce(Assignment.planned_end, Assignment.planned_start)
                          >= window[0]))))
    if profile_ids is not None:
        query = query.where(among(Assignment.profile_id, profile_ids))
    rows = await db.execute(query)
    busy = set()
    for profile_id, start, end, request in rows:
        span = (start, end or start) if start else work_window(request)
        if span is not None and span[0] <= window[1] and span[1] >= window[0]:
            busy.add(profile_id)
    return busy
