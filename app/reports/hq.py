"""HQ's one way across missions: each mission's headline figures, read in that mission's
own scope (row-level security as for everyone), the reading written to each mission's audit
trail. Nothing else in the portal reads one mission's figures from outside it."""

from __future__ import annotations

from litestar.exceptions import PermissionDeniedException
from sqlalchemy import ColumnElement, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.assignment_requests.models import AssignmentRequest
from app.assignments.models import Assignment
from app.audit.services import record
from app.core.actor import Actor
from app.core.roles import PLATFORM_ADMIN
from app.experts.models import ExpertProfile
from app.reports import labels
from app.reports.services import (
    DONE,
    NOT_HELD,
    OPEN,
    ReportFilter,
    Section,
    in_period,
    mission_day,
)
from app.reports.tables import Column, Table
from app.trainings.models import SEX_CATEGORIES, Training
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
    people: ColumnElement = sum((getattr(Training, sex) for sex in SEX_CATEGORIES),
                                start=literal_column("0"))
    for mission in missions:
        ended = func.coalesce(Assignment.actual_end, Assignment.planned_end,
                              mission_day(mission, Assignment.updated_at))
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
                _count(Training, Training.tenant_id == mission.id, *held),
                select(func.coalesce(func.sum(Training.female), 0))
                .where(Training.tenant_id == mission.id, *held).scalar_subquery(),
                select(func.coalesce(func.sum(people), 0))
                .where(Training.tenant_id == mission.id, *held).scalar_subquery()))).one()
            record(db, mission.id, actor, "report.cross_mission_read", "tenant", mission.id,
                   after={"from": str(flt.period_from or ""), "to": str(flt.period_to or "")})
            await db.commit()
        rows.append((mission.display_name(locale), [int(v) for v in figures]))
    return Section("missions", labels.section("missions"), [Table(
        "mission_totals", labels.table("mission_totals"), labels.mission_head(),
        [Column(labels.experts()), Column(labels.verified_experts()),
         Column(labels.open_requests()), Column(labels.completed_assignments()),
         Column(labels.activities()), Column(labels.female_participants()),
         Column(labels.participants())],
        rows, total_row=True, note=labels.note("mission_totals"))])
