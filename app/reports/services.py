"""The reports' figures, every one from a grouped SQL query in the mission's scope (row-level
security applies as everywhere), never from a loop over rows in Python.

Who sees what is decided in one place, `scope_for`: staff and mission admins see the
whole mission as it is; a partner user sees their own agency's training figures as they are
and the other agencies' with small-cell protection (tables.protect); a donor viewer sees the
project report of their own funding projects only, with small-cell protection."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from litestar.exceptions import NotFoundException, PermissionDeniedException
from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    Select,
    and_,
    any_,
    cast,
    exists,
    extract,
    func,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.donors import donor_projects
from app.assignment_requests.models import REQUEST_STATUSES, AssignmentRequest, RequestSkill
from app.assignments.models import (
    ASSIGNMENT_STATUSES,
    EVALUATION_CRITERIA,
    Assignment,
    Evaluation,
)
from app.core.actor import Actor
from app.core.roles import REPORTS_PARTNER, REPORTS_PROJECT, REPORTS_VIEW
from app.experts.models import (
    PROFILE_STATUSES,
    ExpertAvailability,
    ExpertConsent,
    ExpertLanguage,
    ExpertProfile,
    ExpertSkill,
    Skill,
)
from app.i18n import gettext as _
from app.partners.funding import get_funding_project, list_funding_projects
from app.partners.models import FundingProject, PartnerAgency
from app.partners.services import list_partner_agencies
from app.reports import labels
from app.reports.people_trained import ACTIVITIES, ASSIGNMENTS, NOT_HELD, people_trained
from app.reports.tables import DAYS, MEAN, RATE, Column, Table, protect
from app.trainings.models import SEX_CATEGORIES, Training, TrainingParticipant
from app.trainings.terms import mission_terms
from tenants.context import TenantContext
from tenants.directory import mission_sectors

# Requests that are still looking for experts.
OPEN = ("open", "shortlisting")
# An assignment that holds its expert now (as in app/assignments/availability.py).
TAKING = ("planned", "contracted", "in_progress")
DONE = ("completed", "evaluated")


@dataclass
class ReportFilter:
    """The filters of every report, as the URL holds them (`query()` writes them back)."""

    period_from: date | None = None
    period_to: date | None = None
    sector: str = ""
    thematic_area: str = ""
    agency_id: uuid.UUID | None = None
    # Assignments and activities it paid for (requests and the registry carry no project).
    project_id: uuid.UUID | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def query(self, **extra: str) -> str:
        values = {"from": self.period_from or "", "to": self.period_to or "",
                  "sector": self.sector, "area": self.thematic_area,
                  "agency": self.agency_id or "", "project": self.project_id or "", **extra}
        return urlencode({k: str(v) for k, v in values.items() if v})


@dataclass(frozen=True)
class Scope:
    """Whose figures: the whole mission (staff), one agency's (a partner user) or a donor
    viewer's funding projects."""

    staff: bool
    agency_id: uuid.UUID | None = None
    donor: bool = False


def scope_for(actor: Actor) -> Scope:
    if actor.can(REPORTS_VIEW):
        return Scope(staff=True)
    if actor.can(REPORTS_PARTNER) and actor.partner_agency_id is not None:
        return Scope(staff=False, agency_id=actor.partner_agency_id)
    if actor.can(REPORTS_PROJECT):
        return Scope(staff=False, donor=True)
    raise PermissionDeniedException()


async def visible_projects(db: AsyncSession, tenant: TenantContext,
                           actor: Actor | None) -> list[FundingProject]:
    """The funding projects the reader may choose: a donor viewer their own, anyone else
    who reads reports every project of the mission (closed ones too: their outputs stay to
    be reported). Without an actor (an API token), every project."""
    if actor is not None and scope_for(actor).donor:
        return await donor_projects(db, tenant, actor.membership_id)
    return await list_funding_projects(db, tenant)


def check_project(flt: ReportFilter, options: dict, actor: Actor) -> None:
    """The project the filters name must be one the reader may choose: staff, one of the
    mission's (else refused at the field); a donor viewer, one of theirs (else not found,
    as if it did not exist: another project is none of theirs to know of)."""
    if flt.project_id and str(flt.project_id) not in dict(options["projects"]):
        if scope_for(actor).donor:
            raise NotFoundException()
        flt.errors["project"] = _("Choose one of the options listed.")


@dataclass
class Section:
    key: str
    title: str
    tables: list[Table]


def mission_day(tenant: TenantContext, column) -> ColumnElement:
    """A timestamp's day in the mission's time zone."""
    return cast(func.timezone(tenant.time_zone, column), Date)


def in_period(flt: ReportFilter, day) -> list[ColumnElement]:
    conditions = []
    if flt.period_from:
        conditions.append(day >= flt.period_from)
    if flt.period_to:
        conditions.append(day <= flt.period_to)
    return conditions


async def _rows(db: AsyncSession, query: Select) -> list[tuple]:
    return [tuple(row) for row in await db.execute(query)]


def _in_order(order, counted: dict, names: dict[str, str]) -> list[tuple[str, list]]:
    """Every known code in its order, with zero where nothing was counted."""
    return [(names.get(code, code), [counted.get(code, 0)]) for code in order]


# --- the registry ---------------------------------------------------------------------------

async def registry(db: AsyncSession, tenant: TenantContext, flt: ReportFilter,
                   locale: str) -> Section:
    where = [ExpertProfile.tenant_id == tenant.id,
             *in_period(flt, mission_day(tenant, ExpertProfile.created_at))]
    if flt.sector:
        where.append(any_(ExpertProfile.sectors) == flt.sector)
    experts = Column(labels.experts())

    # Status, country, sex and month of registration in one pass over the profiles.
    country = func.coalesce(ExpertProfile.residence_country, "")
    sex = func.coalesce(ExpertProfile.gender, "undisclosed")
    month = func.to_char(mission_day(tenant, ExpertProfile.created_at), "YYYY-MM")
    dimensions = (ExpertProfile.status, country, sex, month)
    grouped = await _rows(db, select(*(func.grouping(d) for d in dimensions), *dimensions,
                                     func.count())
                          .where(*where).group_by(func.grouping_sets(*dimensions)))

    def counts(i: int) -> dict[str, int]:
        """The rows of the i-th dimension's grouping set (the others rolled up)."""
        return {row[4 + i]: row[-1] for row in grouped if row[i] == 0}
    by_status, by_sex = counts(0), counts(2)
    by_country = sorted(counts(1).items(), key=lambda item: (-item[1], item[0]))
    by_month = sorted(counts(3).items())
    sector = func.unnest(ExpertProfile.sectors).label("sector")
    by_sector = await _rows(db, select(sector, func.count()).where(*where)
                            .group_by(literal_column("sector")).order_by(func.count().desc(),
                                                                         literal_column("sector")))
    sector_names = await sector_labels(db, tenant, locale)
    # One row per expert and language (a unique key): count(*) counts the experts. The
    # profiles are joined only to filter them.
    languages = select(ExpertLanguage.language, func.count()).where(
        ExpertLanguage.tenant_id == tenant.id)
    if len(where) > 1:
        languages = languages.join(ExpertProfile, ExpertProfile.id == ExpertLanguage.profile_id
                                   ).where(*where)
    by_language = await _rows(db, languages.group_by(ExpertLanguage.language)
                              .order_by(func.count().desc(), ExpertLanguage.language))
    return Section("registry", labels.section("registry"), [
        Table("experts_by_status", labels.table("experts_by_status"), labels.status_head(),
              [experts], _in_order(PROFILE_STATUSES, by_status, labels.profile_statuses()),
              total_row=True),
        Table("experts_by_sector", labels.table("experts_by_sector"), labels.sector_head(),
              [experts], [(sector_names.get(code, code), [n]) for code, n in by_sector],
              note=labels.note("several_sectors")),
        Table("experts_by_country", labels.table("experts_by_country"),
              labels.country_head(), [experts],
              [(labels.country(code, locale), [n]) for code, n in by_country], total_row=True),
        Table("experts_by_sex", labels.table("experts_by_sex"), labels.sex_head(), [experts],
              _in_order(("female", "male", "other", "undisclosed"), by_sex, labels.genders()),
              total_row=True),
        Table("experts_by_language", labels.table("experts_by_language"),
              labels.language_head(), [experts],
              [(labels.language(code, locale), [n]) for code, n in by_language],
              note=labels.note("several_languages")),
        Table("registrations_by_month", labels.table("registrations_by_month"),
              labels.month_head(), [Column(labels.registrations())],
              [(m, [n]) for m, n in by_month], total_row=True),
    ])


async def sector_labels(db: AsyncSession, tenant: TenantContext, locale: str) -> dict[str, str]:
    names = {s.code: s.display_name(locale) for s in await mission_sectors(db, tenant)}
    names[""] = labels.no_sector()
    return names


# --- demand ---------------------------------------------------------------------------------

def _request_filter(tenant: TenantContext, flt: ReportFilter) -> list[ColumnElement]:
    where = [AssignmentRequest.tenant_id == tenant.id,
             *in_period(flt, mission_day(tenant, AssignmentRequest.created_at))]
    if flt.sector:
        where.append(AssignmentRequest.sector == flt.sector)
    return where


def _days_between(later, earlier) -> ColumnElement:
    return extract("epoch", later - earlier) / 86400


async def demand(db: AsyncSession, tenant: TenantContext, flt: ReportFilter,
                 locale: str) -> Section:
    where = _request_filter(tenant, flt)
    requests = Column(labels.requests())
    by_state = dict(await _rows(db, select(AssignmentRequest.status, func.count())
                                .where(*where).group_by(AssignmentRequest.status)))
    sector = func.coalesce(AssignmentRequest.sector, "")
    by_sector = await _rows(db, select(sector, func.count()).where(*where)
                            .group_by(sector).order_by(func.count().desc(), sector))
    names = await sector_labels(db, tenant, locale)

    # One row per request opened (ever published), with when its first expert was
    # selected (a confirmed selection creates the assignment) and whether one still holds.
    selected_at = (select(func.min(Assignment.created_at))
                   .where(Assignment.tenant_id == tenant.id,
                          Assignment.request_id == AssignmentRequest.id)
                   .correlate(AssignmentRequest).scalar_subquery())
    held = exists().where(Assignment.tenant_id == tenant.id,
                          Assignment.request_id == AssignmentRequest.id,
                          Assignment.status != "cancelled")
    opened = (select(sector.label("sector"), AssignmentRequest.opened_at.label("opened_at"),
                     AssignmentRequest.shortlist_shared_at.label("shortlisted_at"),
                     selected_at.label("selected_at"), held.label("filled"))
              .where(*where, AssignmentRequest.opened_at.is_not(None)).subquery())
    filled = func.count().filter(opened.c.filled)
    fill = await _rows(db, select(
        func.grouping(opened.c.sector), opened.c.sector, func.count(), filled,
        filled / func.nullif(func.count(), 0).cast(Float),
        func.percentile_cont(0.5).within_group(
            _days_between(opened.c.shortlisted_at, opened.c.opened_at)),
        func.percentile_cont(0.5).within_group(
            _days_between(opened.c.selected_at, opened.c.opened_at)))
        .group_by(func.rollup(opened.c.sector))
        .order_by(func.grouping(opened.c.sector), func.count().desc(), opened.c.sector))
    return Section("demand", labels.section("demand"), [
        Table("requests_by_state", labels.table("requests_by_state"), labels.status_head(),
              [requests], _in_order(REQUEST_STATUSES, by_state, labels.request_statuses()),
              total_row=True),
        Table("requests_by_sector", labels.table("requests_by_sector"), labels.sector_head(),
              [requests], [(names.get(code, code), [n]) for code, n in by_sector],
              total_row=True),
        Table("time_to_fill", labels.table("time_to_fill"), labels.sector_head(),
              [Column(labels.opened()), Column(labels.filled()), Column(labels.fill_rate(), RATE),
               Column(labels.days_to_shortlist(), DAYS),
               Column(labels.days_to_selection(), DAYS)],
              [(labels.all_sectors() if rollup else names.get(code, code),
                [n, f, rate, shortlist, selection])
               for rollup, code, n, f, rate, shortlist, selection in fill],
              overall_row=True, note=labels.note("time_to_fill")),
    ])


# --- assignments ----------------------------------------------------------------------------

def assignment_ended(tenant: TenantContext) -> ColumnElement:
    """The day an assignment's work ended (its planned end while none is recorded): completed
    work and its outputs count in the period it ended."""
    return func.coalesce(Assignment.actual_end, Assignment.planned_end,
                         mission_day(tenant, Assignment.updated_at))


async def assignments(db: AsyncSession, tenant: TenantContext, flt: ReportFilter,
                      locale: str) -> Section:
    where = [Assignment.tenant_id == tenant.id, AssignmentRequest.tenant_id == tenant.id,
             *in_period(flt, mission_day(tenant, Assignment.created_at))]
    if flt.sector:
        where.append(AssignmentRequest.sector == flt.sector)
    if flt.project_id:
        where.append(Assignment.funding_project_id == flt.project_id)
    joined = select().select_from(Assignment).join(
        AssignmentRequest, AssignmentRequest.id == Assignment.request_id)
    by_status = dict(await _rows(db, joined.add_columns(Assignment.status, func.count())
                                 .where(*where).group_by(Assignment.status)))
    sector = func.coalesce(AssignmentRequest.sector, "")
    mean = sum((getattr(Evaluation, name) for name in EVALUATION_CRITERIA),
               start=literal_column("0")) / float(len(EVALUATION_CRITERIA))
    by_sector = await _rows(db, joined.outerjoin(Evaluation, and_(
        Evaluation.assignment_id == Assignment.id, Evaluation.tenant_id == tenant.id,
        Evaluation.status == "accepted"))
        .add_columns(func.grouping(sector), sector, func.count(),
                     func.count().filter(Assignment.status.in_(DONE)), func.avg(mean))
        .where(*where).group_by(func.rollup(sector))
        .order_by(func.grouping(sector), func.count().desc(), sector))
    names = await sector_labels(db, tenant, locale)
    ended = assignment_ended(tenant)
    quarter = func.to_char(ended, 'YYYY-"Q"Q')
    done_where = [Assignment.tenant_id == tenant.id, AssignmentRequest.tenant_id == tenant.id,
                  Assignment.status.in_(DONE), *in_period(flt, ended)]
    if flt.sector:
        done_where.append(AssignmentRequest.sector == flt.sector)
    if flt.project_id:
        done_where.append(Assignment.funding_project_id == flt.project_id)
    by_quarter = await _rows(db, joined.add_columns(quarter, func.count())
                             .where(*done_where).group_by(quarter).order_by(quarter))
    count = Column(labels.assignments())
    return Section("assignments", labels.section("assignments"), [
        Table("assignments_by_status", labels.table("assignments_by_status"),
              labels.status_head(), [count],
              _in_order(ASSIGNMENT_STATUSES, by_status, labels.assignment_statuses()),
              total_row=True),
        Table("assignments_by_sector", labels.table("assignments_by_sector"),
              labels.sector_head(),
              [count, Column(labels.completed()), Column(labels.average_evaluation(), MEAN)],
              [(labels.all_sectors() if rollup else names.get(code, code), [n, done, avg])
               for rollup, code, n, done, avg in by_sector],
              overall_row=True, note=labels.note("evaluation")),
        Table("completed_by_quarter", labels.table("completed_by_quarter"),
              labels.quarter_head(), [Column(labels.completed())],
              [(q, [n]) for q, n in by_quarter], total_row=True),
    ])


# --- people trained, counted once (the rule: app/reports/people_trained.py) -----------------

async def outputs(db: AsyncSession, tenant: TenantContext, flt: ReportFilter) -> Section:
    """People trained by the activities and the assignments in the filters, each person
    once. Each record applies the filters it carries; a filter it does not carry leaves it
    out (assignments have no partner agency nor thematic area, activities no sector)."""
    activities = None if flt.sector else _training_filter(tenant, flt, flt.agency_id)
    assignments = None
    if not (flt.agency_id or flt.thematic_area):
        assignments = in_period(flt, assignment_ended(tenant))
        if flt.sector:
            assignments.append(AssignmentRequest.sector == flt.sector)
        if flt.project_id:
            assignments.append(Assignment.funding_project_id == flt.project_id)
    counted = await people_trained(db, tenant, activities, assignments)
    names = labels.trained_records()
    rows: list[tuple[str, list[float | int | None]]] = [
        (names[record], [*counted[record], sum(counted[record])])
        for record in (ACTIVITIES, ASSIGNMENTS) if record in counted]
    return Section("outputs", labels.section("outputs"), [
        Table("people_trained", labels.table("people_trained"), labels.record_head(),
              [*(Column(name) for _c, name in labels.sexes()), Column(labels.people_trained())],
              rows, total_row=True, sums=[(4, [0, 1, 2, 3])], note=labels.note("counted_once"))])


# --- trainings ------------------------------------------------------------------------------

def _training_filter(tenant: TenantContext, flt: ReportFilter, agency_id: uuid.UUID | None,
                     other_than: uuid.UUID | None = None) -> list[ColumnElement]:
    where = [Training.tenant_id == tenant.id, Training.status != NOT_HELD,
             *in_period(flt, Training.start_date)]
    if flt.thematic_area:
        where.append(Training.thematic_area == flt.thematic_area)
    if agency_id is not None:
        where.append(Training.partner_agency_id == agency_id)
    if other_than is not None:
        where.append(Training.partner_agency_id != other_than)
    if flt.project_id:
        where.append(Training.funding_project_id == flt.project_id)
    return where


def _participants() -> ColumnElement:
    return func.sum(sum((getattr(Training, sex) for sex in SEX_CATEGORIES),
                        start=literal_column("0")))


def _by_sex_columns() -> list[Column]:
    return [Column(labels.activities()), *(Column(name) for _c, name in labels.sexes()),
            Column(labels.participants())]


# Participants = the four sexes, columns 1..4 of the tables that show them side by side.
BY_SEX_SUMS = [(5, [1, 2, 3, 4])]


def _sex_sums() -> list[ColumnElement]:
    return [func.count(), *(func.sum(getattr(Training, sex)) for sex in SEX_CATEGORIES),
            _participants()]


async def trainings(db: AsyncSession, tenant: TenantContext, flt: ReportFilter,
                    agency_id: uuid.UUID | None = None, key: str = "trainings",
                    title: str | None = None, other_than: uuid.UUID | None = None) -> Section:
    """The training figures of the mission (agency_id None, or the filter's agency), of
    one agency, or of every agency but one (other_than). Only activities that took place
    count (not the planned ones)."""
    agency_id = agency_id or flt.agency_id
    where = _training_filter(tenant, flt, agency_id, other_than)
    quarter = func.to_char(Training.start_date, 'YYYY-"Q"Q')
    by_quarter = await _rows(db, select(quarter, func.count(), _participants())
                             .where(*where).group_by(quarter).order_by(quarter))
    totals = (await db.execute(select(*(func.coalesce(func.sum(getattr(Training, sex)), 0)
                                        for sex in SEX_CATEGORIES)).where(*where))).one()
    group = func.coalesce(func.nullif(func.trim(Training.target_group), ""), "")
    by_group = await _rows(db, select(group, func.count(), _participants()).where(*where)
                           .group_by(group).order_by(_participants().desc(), group))
    by_area = dict((row[0], row[1:]) for row in await _rows(
        db, select(Training.thematic_area, *_sex_sums()).where(*where)
        .group_by(Training.thematic_area)))
    by_agency = await _rows(db, select(PartnerAgency.name, *_sex_sums())
                            .join(PartnerAgency, PartnerAgency.id == Training.partner_agency_id)
                            .where(*where, PartnerAgency.tenant_id == tenant.id)
                            .group_by(PartnerAgency.name).order_by(PartnerAgency.name))
    reach = await cascade_reach(db, tenant, flt, agency_id)
    activity = [Column(labels.activities()), Column(labels.participants())]
    areas = (await mission_terms(db, tenant)).areas
    area_names = dict(areas)
    return Section(key, title or labels.section("trainings"), [
        Table("trainings_by_quarter", labels.table("trainings_by_quarter"),
              labels.quarter_head(), activity, [(q, [n, p]) for q, n, p in by_quarter],
              total_row=True),
        Table("participants_by_sex", labels.table("participants_by_sex"), labels.sex_head(),
              [Column(labels.participants())],
              [(name, [n]) for (_c, name), n in zip(labels.sexes(), totals, strict=True)],
              total_row=True),
        Table("trainings_by_target_group", labels.table("trainings_by_target_group"),
              labels.target_group_head(), activity,
              [(g or labels.not_stated(), [n, p]) for g, n, p in by_group], total_row=True),
        Table("trainings_by_area", labels.table("trainings_by_area"), labels.area_head(),
              _by_sex_columns(),
              [(area_names[code], list(by_area[code])) for code, _n in areas if code in by_area]
              + [(code, list(by_area[code])) for code in sorted(by_area)
                 if code not in area_names], total_row=True, sums=BY_SEX_SUMS),
        Table("trainings_by_agency", labels.table("trainings_by_agency"),
              labels.agency_head(), _by_sex_columns(),
              [(name, list(rest)) for name, *rest in by_agency], total_row=True,
              sums=BY_SEX_SUMS),
        Table("cascade_reach", labels.table("cascade_reach"), labels.tot_head(),
              [Column(labels.cascade_sessions()), Column(labels.trained_directly()),
               Column(labels.reached_through_cascades())],
              [(title, [sessions, direct, reached]) for title, sessions, direct, reached in reach],
              total_row=True, note=labels.note("cascade")),
        await gain_by_area(db, tenant, flt, agency_id, other_than),
    ])


async def gain_by_area(db: AsyncSession, tenant: TenantContext, flt: ReportFilter,
                       agency_id: uuid.UUID | None,
                       other_than: uuid.UUID | None = None) -> Table:
    """Average pre- and post-test scores and their gain by thematic area, over the persons
    who took both tests: each listed participant once, a counted training's averages
    weighted by how many it tested; then the whole of the areas."""
    where = _training_filter(tenant, flt, agency_id, other_than)
    person = TrainingParticipant
    listed = await _rows(db, select(
        Training.thematic_area, func.count(), func.sum(person.pre_score),
        func.sum(person.post_score))
        .join(Training, Training.id == person.training_id)
        .where(*where, person.tenant_id == tenant.id, Training.participant_mode == "individual",
               person.pre_score.is_not(None), person.post_score.is_not(None))
        .group_by(Training.thematic_area))
    counted = await _rows(db, select(
        Training.thematic_area, func.sum(Training.tested),
        func.sum(Training.tested * Training.pre_score_avg),
        func.sum(Training.tested * Training.post_score_avg))
        .where(*where, Training.participant_mode == "counts", Training.tested > 0,
               Training.pre_score_avg.is_not(None), Training.post_score_avg.is_not(None))
        .group_by(Training.thematic_area))
    sums: dict[str, list[float]] = {}
    for area, n, pre, post in [*listed, *counted]:
        found = sums.setdefault(area, [0, 0.0, 0.0])
        found[0] += int(n)
        found[1] += float(pre)
        found[2] += float(post)
    whole = [sum(v[i] for v in sums.values()) for i in range(3)]

    def row(n: float, pre: float, post: float) -> list[float | int | None]:
        if not n:
            return [0, None, None, None]
        return [int(n), pre / n, post / n, (post - pre) / n]

    areas = (await mission_terms(db, tenant)).areas
    names = dict(areas)
    rows = [(names[code], row(*sums[code])) for code, _n in areas if code in sums]
    rows += [(names.get(code, code), row(*sums[code])) for code in sorted(sums)
             if code not in names]
    return Table("gain_by_area", labels.table("gain_by_area"), labels.area_head(),
                 [Column(labels.tested()), Column(labels.average_pre(), MEAN),
                  Column(labels.average_post(), MEAN), Column(labels.average_gain(), MEAN)],
                 [*rows, (labels.all_areas(), row(*whole))] if rows else [],
                 overall_row=bool(rows), note=labels.note("gain"), chart_column=3)


async def cascade_reach(db: AsyncSession, tenant: TenantContext, flt: ReportFilter,
                        agency_id: uuid.UUID | None) -> list[tuple]:
    """For each training of trainers in the filters: its cascade sessions at any depth,
    the participants it trained itself and those its cascades reached (one recursive query)."""
    t = Training.__table__
    tree = (select(t.c.id.label("root"), t.c.id.label("id"), literal_column("0").label("depth"))
            .where(*_training_filter(tenant, flt, agency_id),
                   Training.kind == "training_of_trainers")
            .cte("reach", recursive=True))
    child = t.alias("child")
    below = [child.c.tenant_id == tenant.id, child.c.status != NOT_HELD]
    if agency_id is not None:  # an agency's figures: its own sessions only
        below.append(child.c.partner_agency_id == agency_id)
    tree = tree.union_all(select(tree.c.root, child.c.id, tree.c.depth + 1)
                          .where(child.c.parent_id == tree.c.id, tree.c.depth < 20, *below))
    member = t.alias("member")
    root = t.alias("root_training")
    people: ColumnElement = sum((member.c[sex] for sex in SEX_CATEGORIES),
                                start=literal_column("0"))
    is_root = tree.c.id == tree.c.root
    return await _rows(db, select(
        root.c.title, func.count().filter(~is_root),
        func.coalesce(func.sum(people).filter(is_root), 0),
        func.coalesce(func.sum(people).filter(~is_root), 0))
        .select_from(tree).join(member, member.c.id == tree.c.id)
        .join(root, root.c.id == tree.c.root)
        .group_by(root.c.id, root.c.title, root.c.start_date)
        .order_by(root.c.start_date, root.c.title))


# --- supply against demand ------------------------------------------------------------------

def eligible_experts(tenant: TenantContext, today: date) -> list[ColumnElement]:
    """Verified, consenting to matching, on no assignment that holds them and not away today."""
    return [
        ExpertProfile.tenant_id == tenant.id, ExpertProfile.status == "verified",
        ExpertProfile.erased_at.is_(None),
        exists().where(ExpertConsent.tenant_id == tenant.id,
                       ExpertConsent.profile_id == ExpertProfile.id,
                       ExpertConsent.purpose == "matching",
                       ExpertConsent.withdrawn_at.is_(None)),
        ~exists().where(Assignment.tenant_id == tenant.id,
                        Assignment.profile_id == ExpertProfile.id,
                        Assignment.status.in_(TAKING)),
        ~exists().where(ExpertAvailability.tenant_id == tenant.id,
                        ExpertAvailability.profile_id == ExpertProfile.id,
                        ExpertAvailability.kind == "unavailable",
                        ExpertAvailability.starts_on <= today,
                        ExpertAvailability.ends_on >= today),
    ]


def _open_requests(tenant: TenantContext, flt: ReportFilter) -> list[ColumnElement]:
    where = [AssignmentRequest.tenant_id == tenant.id, AssignmentRequest.status.in_(OPEN),
             *in_period(flt, mission_day(tenant, AssignmentRequest.opened_at))]
    if flt.sector:
        where.append(AssignmentRequest.sector == flt.sector)
    return where


async def supply(db: AsyncSession, tenant: TenantContext, flt: ReportFilter, locale: str,
                 today: date) -> Section:
    """For each sector and each skill open requests require: the requests and the experts
    they want, against the experts who could go now; the gap is where to recruit."""
    # The experts who could go now, worked out once for both tables (the costly part).
    ready = (select(ExpertProfile.id, ExpertProfile.sectors)
             .where(*eligible_experts(tenant, today)).cte("ready").prefix_with("MATERIALIZED"))
    wanted = (select(AssignmentRequest.sector.label("code"),
                     func.count().label("requests"),
                     func.sum(AssignmentRequest.experts_wanted).label("wanted"))
              .where(*_open_requests(tenant, flt), AssignmentRequest.sector.is_not(None))
              .group_by(AssignmentRequest.sector).subquery())
    sector = func.unnest(ready.c.sectors).label("code")
    pool = (select(sector, func.count().label("experts")).select_from(ready)
            .group_by(literal_column("code")).subquery())
    code = func.coalesce(wanted.c.code, pool.c.code)
    requests, wanted_n = func.coalesce(wanted.c.requests, 0), func.coalesce(wanted.c.wanted, 0)
    experts = func.coalesce(pool.c.experts, 0)
    by_sector = (select(literal_column("1").label("part"), code.label("name"),
                        requests.label("requests"), wanted_n.label("wanted"),
                        experts.label("experts"),
                        func.greatest(wanted_n - experts, 0).label("gap"))
                 .select_from(wanted.join(pool, wanted.c.code == pool.c.code, full=True)))
    if flt.sector:
        by_sector = by_sector.where(code == flt.sector)

    needed = (select(RequestSkill.skill_id.label("skill_id"), func.count().label("requests"),
                     func.sum(AssignmentRequest.experts_wanted).label("wanted"))
              .join(AssignmentRequest, AssignmentRequest.id == RequestSkill.request_id)
              .where(RequestSkill.tenant_id == tenant.id, RequestSkill.required,
                     *_open_requests(tenant, flt))
              .group_by(RequestSkill.skill_id).subquery())
    holders = (select(ExpertSkill.skill_id.label("skill_id"), func.count().label("experts"))
               .join(ready, ready.c.id == ExpertSkill.profile_id)
               .where(ExpertSkill.tenant_id == tenant.id,
                      ExpertSkill.skill_id.in_(select(needed.c.skill_id)))
               .group_by(ExpertSkill.skill_id).subquery())
    have = func.coalesce(holders.c.experts, 0)
    by_skill = (select(literal_column("2"),
                       func.coalesce(Skill.names[locale].astext, Skill.names["en"].astext,
                                     Skill.code),
                       needed.c.requests, needed.c.wanted, have,
                       func.greatest(needed.c.wanted - have, 0))
                .join_from(needed, Skill, Skill.id == needed.c.skill_id)
                .outerjoin(holders, holders.c.skill_id == needed.c.skill_id)
                .where(Skill.tenant_id == tenant.id))
    both = by_sector.union_all(by_skill).subquery()
    rows = await _rows(db, select(both).order_by(both.c.part, both.c.gap.desc(),
                                                 both.c.wanted.desc(), both.c.name))
    names = await sector_labels(db, tenant, locale)
    columns = [Column(labels.open_requests()), Column(labels.experts_wanted()),
               Column(labels.experts_ready()), Column(labels.gap())]
    return Section("supply", labels.section("supply"), [
        Table("supply_by_sector", labels.table("supply_by_sector"), labels.sector_head(),
              columns, [(names.get(c, c), [r, w, e, g]) for part, c, r, w, e, g in rows
                        if part == 1],
              note=labels.note("supply")),
        Table("supply_by_skill", labels.table("supply_by_skill"), labels.skill_head(),
              columns, [(name, [r, w, e, g]) for part, name, r, w, e, g in rows if part == 2],
              note=labels.note("skills")),
    ])


# --- the filters ---------------------------------------------------------------------------

async def filter_options(db: AsyncSession, tenant: TenantContext, locale: str,
                         filters: tuple[str, ...], actor: Actor | None = None
                         ) -> dict[str, list[tuple[str, str]]]:
    """The choices of a report's filter form: the mission's sectors and partner agencies,
    the funding projects the reader may see."""
    options: dict[str, list[tuple[str, str]]] = {
        "sectors": [], "agencies": [], "projects": [],
        "areas": (await mission_terms(db, tenant)).areas}
    if "sector" in filters:
        options["sectors"] = [(s.code, s.display_name(locale))
                              for s in await mission_sectors(db, tenant)]
    if "agency" in filters:
        options["agencies"] = [(str(a.id), a.name)
                               for a in await list_partner_agencies(db, tenant)]
    if "project" in filters:
        options["projects"] = [(str(p.id), f"{p.name} ({p.donor})")
                               for p in await visible_projects(db, tenant, actor)]
    return options


# --- the dashboards ------------------------------------------------------------------------

async def mission_dashboard(db: AsyncSession, tenant: TenantContext, actor: Actor,
                            flt: ReportFilter, locale: str) -> list[Section]:
    scope = scope_for(actor)
    if not scope.staff:
        raise PermissionDeniedException()
    return await dashboard_sections(db, tenant, flt, locale)


async def dashboard_sections(db: AsyncSession, tenant: TenantContext, flt: ReportFilter,
                             locale: str) -> list[Section]:
    """The mission dashboard's figures (its page and the API's), as staff see them."""
    return [await registry(db, tenant, flt, locale), await demand(db, tenant, flt, locale),
            await assignments(db, tenant, flt, locale), await trainings(db, tenant, flt),
            await outputs(db, tenant, flt)]


async def supply_page(db: AsyncSession, tenant: TenantContext, actor: Actor,
                      flt: ReportFilter, locale: str, today: date) -> list[Section]:
    if not scope_for(actor).staff:
        raise PermissionDeniedException()
    return [await supply(db, tenant, flt, locale, today)]


async def partner_dashboard(db: AsyncSession, tenant: TenantContext, actor: Actor,
                            flt: ReportFilter) -> tuple[PartnerAgency, list[Section]]:
    """The partner user's own agency's training figures, as they are, and the other agencies'
    beside them with small cells hidden. Not the whole mission's: with their own figures
    known, the partner could subtract them from it and find the other agencies' small
    counts."""
    scope = scope_for(actor)
    if scope.agency_id is None:
        raise PermissionDeniedException()
    agency = await db.scalar(select(PartnerAgency).where(
        PartnerAgency.tenant_id == tenant.id, PartnerAgency.id == scope.agency_id))
    if agency is None:
        raise PermissionDeniedException()
    own = await trainings(db, tenant, flt, scope.agency_id, key="own",
                          title=labels.own_agency(agency.name))
    others = await trainings(db, tenant, flt, key="others",
                             title=labels.section("other_agencies"), other_than=agency.id)
    # Another agency's cascades and target groups are not a partner's to see one by one.
    others.tables = [protect(t) for t in others.tables if t.key not in (
        "cascade_reach", "trainings_by_target_group")]
    return agency, [own, others]


async def project_report(db: AsyncSession, tenant: TenantContext, actor: Actor,
                         flt: ReportFilter, locale: str
                         ) -> tuple[FundingProject | None, list[Section]]:
    """What one funding project paid for in the period: its assignments and its activities
    (nothing until a project is chosen). A donor viewer reads only their own projects' (any
    other is not found), with small cells hidden."""
    scope = scope_for(actor)
    if not actor.can(REPORTS_PROJECT):
        raise PermissionDeniedException()
    if flt.project_id is None:
        return None, []
    if scope.donor:
        project = next((p for p in await visible_projects(db, tenant, actor)
                        if p.id == flt.project_id), None)
        if project is None:
            raise NotFoundException()
    else:
        project = await get_funding_project(db, tenant, flt.project_id)
    sections = [await assignments(db, tenant, flt, locale), await trainings(db, tenant, flt),
                await outputs(db, tenant, flt)]
    if not scope.staff:
        for section in sections:
            section.tables = [protect(table) for table in section.tables]
    return project, sections


def all_tables(sections: list[Section]) -> list[tuple[str, Table]]:
    return [(f"{s.key}.{t.key}", t) for s in sections for t in s.tables]

