"""HQ's one way across missions: each mission's headline figures, read in that mission's
own scope (row-level security as for everyone), the reading written to each mission's audit
trail. Nothing else in the portal reads one mission's figures from outside it."""

from __future__ import annotations

from litestar.exceptions import PermissionDeniedException
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.assignment_requests.models import AssignmentRequest
from app.assignments.models import Assignment
from app.audit.services import record
from app.core.actor import Actor
from app.core.roles import PLATFORM_ADMIN
from app.experts.models import ExpertProfile
from app.reports import labels
from app.reports.people_trained import people_trained
from app.reports.services import (
    DONE,
    NOT_HELD,
    OPEN,
    ReportFilter,
    Section,
    assignment_ended,
    in_period,
    mission_day,
)
from app.reports.tables import Column, Table
from app.trainings.models import Training
from tenants.context import TenantContext, tenant_scope


def _count(model, *where: ColumnElement) -> ColumnElement:
    return select(func.count()).select_from(model).where(*where).scalar_subquery()


async def mission_totals(db: AsyncSession, actor: Actor, missions: list[TenantContext],
                         flt: ReportFilter, locale: str) -> Section:
    if not actor.can(PLATFORM_ADMIN):
        raise PermissionDeniedException()
    await db.commit()  # end the unscoped transaction: each mission is read in its own scope
    rows: list[tuple[str, list[float | int | None]]] = []
    held = [Training.status != NOT_HELD, *in_period(flt, Training.start_date)]
    for mission in missions:
        ended = assignment_ended(mission)
        registered = in_period(flt, mission_day(mission, ExpertProfile.created_at))
        with tenant_scope(mission):
            figures = (await db.execute(select(
                _count(ExpertProfile, ExpertProfile.tenant_id == mission.id, *registered),
                _count(ExpertProfile, ExpertProfile.tenant_id == mission.id,
                       ExpertProfile.status == "verified", *registered),
                _count(AssignmentRequest, AssignmentRequest.tenant_id == mission.id,
                       AssignmentRequest.status.in_(OPEN)),
                _count(Assignment, Assignment.tenant_id == mission.id,
                       Assignment.status.in_(DONE), *in_period(flt, ended)),
                _count(Training, Training.tenant_id == mission.id, *held)))).one()
            trained = await people_trained(db, mission, held, in_period(flt, ended))
            record(db, mission.id, actor, "report.cross_mission_read", "tenant", mission.id,
                   after={"from": str(flt.period_from or ""), "to": str(flt.period_to or "")})
            await db.commit()
        women = sum(counts[0] for counts in trained.values())
        everyone = sum(sum(counts) for counts in trained.values())
        rows.append((mission.display_name(locale), [*(int(v) for v in figures), women,
                                                     everyone]))
    return Section("missions", labels.section("missions"), [Table(
        "mission_totals", labels.table("mission_totals"), labels.mission_head(),
        [Column(labels.experts()), Column(labels.verified_experts()),
         Column(labels.open_requests()), Column(labels.completed_assignments()),
         Column(labels.activities()), Column(labels.women_trained()),
         Column(labels.people_trained())],
        rows, total_row=True, note=labels.note("mission_totals"))])
