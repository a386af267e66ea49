"""The API's reads, each scoped to one mission (and row-level security behind it).

What an integrator may see is decided here, once:
- experts: those the search index holds (consenting to matching, not withdrawn, not
  erased; app.search.documents.expert_documents), any other expert is a 404;
- assignment requests: every request of the mission except drafts (a draft is still the
  institution's work in progress);
- matches: find_candidates exactly as the staff's workspace calls it (no filters;
  app/api/matches.py);
- activities (partner agencies' trainings): every one of the mission once held (a planned
  one is still the agency's draft), with aggregate figures only, never a participant.
- assignments: every assignment of the mission, its expert only while listed (as experts
  are), no free text;
- reports: the figures of the staff's report pages (app.reports); small counts hidden for
  tokens limited to aggregates, which read nothing else.
"""

from __future__ import annotations

import uuid

from litestar.exceptions import NotFoundException, ValidationException
from sqlalchemy import any_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.api import schemas
from app.api.matches import visible_request, visible_requests
from app.assignment_requests.models import AssignmentRequest, RequestLanguage, RequestSkill
from app.assignments.models import Assignment as AssignmentModel
from app.assignments.models import Evaluation, Milestone, MilestoneEvidence
from app.assignments.services import is_overdue, mission_today, overdue_counts
from app.core.clock import now
from app.experts.models import ExpertConsent, ExpertLanguage, ExpertProfile, Skill
from app.i18n import reset_locale, set_locale
from app.institutions.models import HostInstitution
from app.partners.models import FundingProject, PartnerAgency
from app.reports import labels as report_labels
from app.reports import services as reports
from app.reports.services import ReportFilter
from app.reports.tables import protect
from app.search.documents import NOT_INDEXED, expert_documents
from app.trainings.models import (
    AGE_GROUPS,
    Training,
    TrainingAgeCount,
    TrainingInstitutionCount,
    TrainingSession,
)
from tenants.context import TenantContext


def _listed_experts(tenant: TenantContext) -> list:
    """The SQL side of expert_documents' rule, to count and page before building documents."""
    return [ExpertProfile.tenant_id == tenant.id, ExpertProfile.erased_at.is_(None),
            ExpertProfile.status.not_in(NOT_INDEXED),
            exists().where(ExpertConsent.tenant_id == tenant.id,
                           ExpertConsent.profile_id == ExpertProfile.id,
                           ExpertConsent.purpose == "matching",
                           ExpertConsent.withdrawn_at.is_(None))]


async def _skills(db: AsyncSession, tenant: TenantContext, ids) -> dict[str, Skill]:
    ids = {uuid.UUID(str(i)) for i in ids}
    if not ids:
        return {}
    return {str(s.id): s for s in await db.scalars(select(Skill).where(
        Skill.tenant_id == tenant.id, Skill.id.in_(ids)))}


async def _expert_views(db: AsyncSession, tenant: TenantContext, ids: list[uuid.UUID],
                        locale: str) -> list[schemas.Expert]:
    documents = await expert_documents(db, tenant, ids)
    listed = [doc for i in ids if (doc := documents.get(i))]
    skills = await _skills(db, tenant, {s for doc in listed for s in doc.get("skill_ids") or []})
    return [schemas.expert_out(doc, skills, locale) for doc in listed]


async def list_experts(db: AsyncSession, tenant: TenantContext, *, limit: int, offset: int,
                       sector: str | None = None, language: str | None = None,
                       status: str | None = None, locale: str = "en") -> schemas.ExpertList:
    conditions = _listed_experts(tenant)
    if sector:
        conditions.append(any_(ExpertProfile.sectors) == sector)
    if language:
        conditions.append(exists().where(ExpertLanguage.tenant_id == tenant.id,
                                         ExpertLanguage.profile_id == ExpertProfile.id,
                                         ExpertLanguage.language == language))
    if status:
        conditions.append(ExpertProfile.status == status)
    total = await db.scalar(select(func.count()).select_from(ExpertProfile)
                            .where(*conditions)) or 0
    ids = list(await db.scalars(select(ExpertProfile.id).where(*conditions)
                                .order_by(ExpertProfile.number).offset(offset).limit(limit)))
    return schemas.ExpertList(items=await _expert_views(db, tenant, ids, locale), total=total,
                              limit=limit, offset=offset)


async def get_expert(db: AsyncSession, tenant: TenantContext, profile_id: uuid.UUID,
                     locale: str = "en") -> schemas.Expert:
    """The expert, or 404 when there is no such expert in this mission or they do not
    consent to matching (not even whether they exist)."""
    views = await _expert_views(db, tenant, [profile_id], locale)
    if not views:
        raise NotFoundException("no such expert")
    return views[0]


async def _request_views(db: AsyncSession, tenant: TenantContext,
                         requests: list[AssignmentRequest],
                         locale: str) -> list[schemas.AssignmentRequest]:
    ids = [r.id for r in requests]
    if not ids:
        return []
    institutions = {i.id: i for i in await db.scalars(select(HostInstitution).where(
        HostInstitution.tenant_id == tenant.id,
        HostInstitution.id.in_({r.institution_id for r in requests})))}
    skills: dict[uuid.UUID, list[tuple[Skill, bool]]] = {}
    for request_id, required, skill in (await db.execute(
            select(RequestSkill.request_id, RequestSkill.required, Skill)
            .join(Skill, Skill.id == RequestSkill.skill_id)
            .where(RequestSkill.tenant_id == tenant.id, RequestSkill.request_id.in_(ids)))).all():
        skills.setdefault(request_id, []).append((skill, required))
    languages: dict[uuid.UUID, list[RequestLanguage]] = {}
    for row in await db.scalars(select(RequestLanguage).where(
            RequestLanguage.tenant_id == tenant.id, RequestLanguage.request_id.in_(ids))):
        languages.setdefault(row.request_id, []).append(row)
    return [schemas.request_out(r, institutions.get(r.institution_id), skills.get(r.id, []),
                                languages.get(r.id, []), locale) for r in requests]


async def list_requests(db: AsyncSession, tenant: TenantContext, *, limit: int, offset: int,
                        status: str | None = None, sector: str | None = None,
                        locale: str = "en") -> schemas.RequestList:
    conditions = visible_requests(tenant)
    if status:
        conditions.append(AssignmentRequest.status == status)
    if sector:
        conditions.append(AssignmentRequest.sector == sector)
    total = await db.scalar(select(func.count()).select_from(AssignmentRequest)
                            .where(*conditions)) or 0
    rows = list(await db.scalars(select(AssignmentRequest).where(*conditions)
                                 .order_by(AssignmentRequest.number)
                                 .offset(offset).limit(limit)))
    return schemas.RequestList(items=await _request_views(db, tenant, rows, locale),
                               total=total, limit=limit, offset=offset)


async def get_request(db: AsyncSession, tenant: TenantContext, request_id: uuid.UUID,
                      locale: str = "en") -> schemas.AssignmentRequest:
    request = await visible_request(db, tenant, request_id)
    return (await _request_views(db, tenant, [request], locale))[0]


# --- activities ------------------------------------------------------------------------------
# Trainings of the partner agencies, once held: a planned one is still the agency's work in
# progress (like a request's draft). Aggregate figures only, never a participant.

HIDDEN_ACTIVITY_STATUSES = ("planned",)


def _visible_activities(tenant: TenantContext) -> list:
    return [Training.tenant_id == tenant.id,
            Training.status.not_in(HIDDEN_ACTIVITY_STATUSES)]


async def _activity_views(db: AsyncSession, tenant: TenantContext,
                          trainings: list[Training]) -> list[schemas.Activity]:
    ids = [t.id for t in trainings]
    agencies = {a.id: a for a in await db.scalars(select(PartnerAgency).where(
        PartnerAgency.tenant_id == tenant.id,
        PartnerAgency.id.in_({t.partner_agency_id for t in trainings})))}
    projects = {p.id: p for p in await db.scalars(select(FundingProject).where(
        FundingProject.tenant_id == tenant.id,
        FundingProject.id.in_({t.funding_project_id for t in trainings
                               if t.funding_project_id})))}
    sessions = {training_id: (n, hours) for training_id, n, hours in await db.execute(
        select(TrainingSession.training_id, func.count(), func.sum(TrainingSession.hours))
        .where(TrainingSession.tenant_id == tenant.id, TrainingSession.training_id.in_(ids))
        .group_by(TrainingSession.training_id))}
    institutions: dict[uuid.UUID, list[TrainingInstitutionCount]] = {}
    for row in await db.scalars(select(TrainingInstitutionCount).where(
            TrainingInstitutionCount.tenant_id == tenant.id,
            TrainingInstitutionCount.training_id.in_(ids))
            .order_by(TrainingInstitutionCount.position)):
        institutions.setdefault(row.training_id, []).append(row)
    ages: dict[uuid.UUID, dict[str, int]] = {}
    for age in await db.scalars(select(TrainingAgeCount).where(
            TrainingAgeCount.tenant_id == tenant.id, TrainingAgeCount.training_id.in_(ids))):
        ages.setdefault(age.training_id, {})[age.age_group] = age.participants
    return [schemas.activity_out(
        t, agencies[t.partner_agency_id],
        projects.get(t.funding_project_id) if t.funding_project_id else None,
        sessions.get(t.id, (0, None)), institutions.get(t.id, []),
        [(a, ages[t.id][a]) for a in AGE_GROUPS if a in ages.get(t.id, {})])
        for t in trainings]


async def list_activities(db: AsyncSession, tenant: TenantContext, *, limit: int, offset: int,
                          status: str | None = None, kind: str | None = None,
                          thematic_area: str | None = None,
                          agency: uuid.UUID | None = None) -> schemas.ActivityList:
    conditions = _visible_activities(tenant)
    for column, value in ((Training.status, status), (Training.kind, kind),
                          (Training.thematic_area, thematic_area),
                          (Training.partner_agency_id, agency)):
        if value:
            conditions.append(column == value)
    total = await db.scalar(select(func.count()).select_from(Training).where(*conditions)) or 0
    rows = list(await db.scalars(select(Training).where(*conditions)
                                 .order_by(Training.start_date.desc(), Training.id)
                                 .offset(offset).limit(limit)))
    return schemas.ActivityList(items=await _activity_views(db, tenant, rows), total=total,
                                limit=limit, offset=offset)


async def get_activity(db: AsyncSession, tenant: TenantContext,
                       training_id: uuid.UUID) -> schemas.Activity:
    training = await db.scalar(select(Training).where(*_visible_activities(tenant),
                                                      Training.id == training_id))
    if training is None:
        raise NotFoundException("no such activity")
    return (await _activity_views(db, tenant, [training]))[0]
# --- assignments ---------------------------------------------------------------------------

async def _assignment_views(db: AsyncSession, tenant: TenantContext,
                            rows: list) -> list[schemas.Assignment]:
    """rows: (Assignment, AssignmentRequest, HostInstitution). The expert only while they
    are listed (the consent rule of the search documents)."""
    assignments = [row[0] for row in rows]
    ids = [a.id for a in assignments]
    if not ids:
        return []
    documents = await expert_documents(db, tenant, list({a.profile_id for a in assignments}))
    overdue = await overdue_counts(db, tenant, assignments)
    today = mission_today(tenant)
    milestones: dict[uuid.UUID, list[Milestone]] = {}
    for milestone in await db.scalars(select(Milestone).where(
            Milestone.tenant_id == tenant.id, Milestone.assignment_id.in_(ids))
            .order_by(Milestone.position, Milestone.created_at)):
        milestones.setdefault(milestone.assignment_id, []).append(milestone)
    with_evidence = set(await db.scalars(select(MilestoneEvidence.milestone_id).where(
        MilestoneEvidence.tenant_id == tenant.id, MilestoneEvidence.assignment_id.in_(ids))))
    evaluations = {e.assignment_id: e for e in await db.scalars(select(Evaluation).where(
        Evaluation.tenant_id == tenant.id, Evaluation.assignment_id.in_(ids),
        Evaluation.status == "accepted"))}
    views = []
    for assignment, request, institution in rows:
        document = documents.get(assignment.profile_id)
        views.append(schemas.assignment_out(
            assignment, request, institution, document,
            [(m, is_overdue(m, assignment, today), m.id in with_evidence)
             for m in milestones.get(assignment.id, [])],
            overdue.get(assignment.id, 0), evaluations.get(assignment.id)))
    return views


def _assignments(tenant: TenantContext):
    return (select(AssignmentModel, AssignmentRequest, HostInstitution)
            .join(AssignmentRequest, AssignmentRequest.id == AssignmentModel.request_id)
            .join(HostInstitution, HostInstitution.id == AssignmentRequest.institution_id)
            .where(AssignmentModel.tenant_id == tenant.id))


async def list_assignments(db: AsyncSession, tenant: TenantContext, *, limit: int, offset: int,
                           status: str | None = None,
                           sector: str | None = None) -> schemas.AssignmentList:
    query = _assignments(tenant)
    if status:
        query = query.where(AssignmentModel.status == status)
    if sector:
        query = query.where(AssignmentRequest.sector == sector)
    total = await db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = (await db.execute(query.order_by(AssignmentRequest.number, AssignmentModel.slot)
                             .offset(offset).limit(limit))).all()
    return schemas.AssignmentList(items=await _assignment_views(db, tenant, list(rows)),
                                  total=total, limit=limit, offset=offset)


async def get_assignment(db: AsyncSession, tenant: TenantContext,
                         assignment_id: uuid.UUID) -> schemas.Assignment:
    row = (await db.execute(_assignments(tenant).where(
        AssignmentModel.id == assignment_id))).first()
    if row is None:
        raise NotFoundException("no such assignment")
    return (await _assignment_views(db, tenant, [row]))[0]
# --- reports -------------------------------------------------------------------------------

async def report(db: AsyncSession, tenant: TenantContext, name: str, flt: ReportFilter,
                 locale: str, protected: bool = False) -> schemas.Report:
    """The mission dashboard or supply against demand: as staff see them for a full token
    (it reads the mission's registry already), with small-cell protection for a token
    limited to aggregates. A filter naming no sector, thematic area, agency or project of
    the mission is refused like a bad parameter."""
    options = await reports.filter_options(db, tenant, locale, ("sector", "agency", "project"))
    wrong = [(key, value) for key, value, known in (
        ("sector", flt.sector, [code for code, _n in options["sectors"]]),
        ("area", flt.thematic_area, [code for code, _n in options["areas"]]),
        ("agency", str(flt.agency_id or ""), [i for i, _n in options["agencies"]]),
        ("project", str(flt.project_id or ""), [i for i, _n in options["projects"]]))
        if value and value not in known]
    if wrong:
        raise ValidationException(extra=[
            {"key": key, "source": "query", "message": f"no {key} {value!r} in this mission"}
            for key, value in wrong])
    token = set_locale(locale)
    try:
        if name == "supply":
            sections = [await reports.supply(db, tenant, flt, locale, now().date())]
        else:
            sections = await reports.dashboard_sections(db, tenant, flt, locale)
        if protected:
            for section in sections:
                section.tables = [protect(table) for table in section.tables]
        return schemas.report_out(name, sections, report_labels.total())
    finally:
        reset_locale(token)
