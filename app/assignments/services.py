"""Assignments: created by a confirmed selection (the hook matching calls), followed by
staff through the life-cycle table with its gates, watched by the expert and the host
institution. Who may see an assignment is decided in one place: get_assignment.

Every change is audited, mailed to the other parties and bumps the assignment's version:
a form sent from an older version is refused with the current values, never applied over
someone else's change."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from litestar.exceptions import NotFoundException, PermissionDeniedException
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.accounts.services import (
    TokenInvalid,
    get_user,
    issue_token,
    members_who_can,
    membership_of,
    use_token,
)
from app.assignment_requests.models import AssignmentRequest
from app.assignments.labels import checklist_labels
from app.assignments.models import (
    ASSIGNMENT_MODALITIES,
    EVALUATION_CRITERIA,
    OUTPUT_FIELDS,
    REPORT_SECTIONS,
    Assignment,
    ChecklistItem,
    ChecklistTick,
    Evaluation,
    FinalReport,
    HostRating,
    Milestone,
    MilestoneEvidence,
)
from app.assignments.states import NEEDS_REASON, OPEN, POSTPONABLE, next_state
from app.assignments.terms import from_terms
from app.audit.models import AuditEvent
from app.audit.services import object_history, record
from app.core.actor import Actor, make_actor
from app.core.clock import now, today_in
from app.core.errors import FormErrors, Refusal
from app.core.locks import lock_until_commit
from app.core.roles import ASSIGNMENTS_MANAGE, ASSIGNMENTS_VIEW, REQUESTS_VIEW
from app.core.versions import bump_version, check_version
from app.documents import clean_filename, validate_document
from app.experts.models import ExpertProfile
from app.experts.privacy import on_expert_erased
from app.i18n import gettext as _
from app.institutions.models import HostInstitution
from app.matching.shortlist import selection_confirmed
from app.notifications.services import queue_mail
from app.partners.funding import funding_project_choice
from app.search.documents import among, expert_evaluations
from app.storage import DocumentStorage, new_key, store_replacing
from app.web.csv_export import csv_text
from app.web.forms import FieldErrors
from app.web.ical import AllDayEvent, calendar
from tenants.context import TenantContext

STAFF, EXPERT, INSTITUTION = "staff", "expert", "institution"
MAX_REASON = 2000
# The mission's checklist until its admins change it: (code, applies to remote work too).
DEFAULT_CHECKLIST = (("contract", True), ("travel", False), ("visa", False),
                     ("insurance", False), ("security_briefing", False),
                     ("host_ready", True))


class AssignmentRefused(Refusal):
    """A move, a date or a tick the life cycle does not allow; `field` is the form field
    the message belongs to."""

    def __init__(self, message: str, field_name: str = "form", status: int = 409):
        super().__init__(message, field=field_name, status=status)



# --- who sees what --------------------------------------------------------------------------

def acting_as(actor: Actor, assignment: Assignment, profile: ExpertProfile,
              request: AssignmentRequest) -> str | None:
    """'staff', 'expert' (the assignment's own expert), 'institution' (a focal point of the
    request's institution) or None."""
    if actor.can(ASSIGNMENTS_MANAGE):
        return STAFF
    if not actor.can(ASSIGNMENTS_VIEW):
        return None
    if profile.user_id is not None and profile.user_id == actor.user_id:
        return EXPERT
    if actor.host_institution_id is not None \
            and actor.host_institution_id == request.institution_id:
        return INSTITUTION
    return None


@dataclass
class AssignmentView:
    """An assignment with what its pages show beside it, and who is looking."""

    assignment: Assignment
    request: AssignmentRequest
    profile: ExpertProfile
    institution: HostInstitution
    who: str
    overdue: int = 0  # milestones past their due date (filled in by the lists)


def _joined():
    return (select(Assignment, AssignmentRequest, ExpertProfile, HostInstitution)
            .join(AssignmentRequest, AssignmentRequest.id == Assignment.request_id)
            .join(ExpertProfile, ExpertProfile.id == Assignment.profile_id)
            .join(HostInstitution, HostInstitution.id == AssignmentRequest.institution_id))


async def get_assignment(db: AsyncSession, tenant: TenantContext, actor: Actor,
                         assignment_id: uuid.UUID, lock: bool = False) -> AssignmentView:
    """The assignment if the actor may see it, else 404 (not even whether it exists). With
    lock, the row is held until commit: two clicks act one after the other."""
    query = _joined().where(Assignment.tenant_id == tenant.id, Assignment.id == assignment_id)
    if lock:
        query = query.with_for_update(of=Assignment)
    row = (await db.execute(query)).first()
    if row is None:
        raise NotFoundException()
    assignment, request, profile, institution = row
    who = acting_as(actor, assignment, profile, request)
    if who is None:
        raise NotFoundException()
    if lock:
        await db.refresh(assignment)
    return AssignmentView(assignment, request, profile, institution, who)


# --- lists ----------------------------------------------------------------------------------

@dataclass
class AssignmentFilter:
    status: str = ""
    sector: str = ""
    institution_id: uuid.UUID | None = None
    q: str = ""                       # the request's title or the expert's name or number
    period_from: date | None = None   # overlapping the period, by planned dates
    period_to: date | None = None
    overdue: bool = False             # only those with an overdue milestone
    errors: dict[str, str] = field(default_factory=dict)


async def list_assignments(db: AsyncSession, tenant: TenantContext, actor: Actor,
                           flt: AssignmentFilter | None = None) -> list[AssignmentView]:
    """What the actor may follow: staff every assignment of the mission (filtered), an
    expert their own, a focal point their institution's."""
    flt = flt or AssignmentFilter()
    query = _joined().where(Assignment.tenant_id == tenant.id)
    if not actor.can(ASSIGNMENTS_VIEW):
        raise PermissionDeniedException()
    if not actor.can(ASSIGNMENTS_MANAGE):
        # A focal point follows their institution's experts, an expert their own work.
        query = query.where(AssignmentRequest.institution_id == actor.host_institution_id
                            if actor.host_institution_id is not None
                            else ExpertProfile.user_id == actor.user_id)
    if flt.status:
        query = query.where(Assignment.status == flt.status)
    if flt.sector:
        query = query.where(AssignmentRequest.sector == flt.sector)
    if flt.institution_id:
        query = query.where(AssignmentRequest.institution_id == flt.institution_id)
    if flt.q:
        words = flt.q.strip()
        condition = AssignmentRequest.title.icontains(words, autoescape=True) \
            | ExpertProfile.full_name.icontains(words, autoescape=True)
        if words.isdigit():
            condition = condition | (ExpertProfile.number == int(words)) \
                | (AssignmentRequest.number == int(words))
        query = query.where(condition)
    if flt.period_from:
        query = query.where(func.coalesce(Assignment.planned_end, Assignment.planned_start,
                                          flt.period_from) >= flt.period_from)
    if flt.period_to:
        query = query.where(func.coalesce(Assignment.planned_start, flt.period_to)
                            <= flt.period_to)
    if flt.overdue:
        query = query.where(overdue_condition(tenant, mission_today(tenant)))
    rows = await db.execute(query.order_by(Assignment.planned_start.asc().nulls_last(),
                                           AssignmentRequest.number, Assignment.slot))
    views = []
    for assignment, request, profile, institution in rows:
        who = acting_as(actor, assignment, profile, request)
        if who is not None:
            views.append(AssignmentView(assignment, request, profile, institution, who))
    counts = await overdue_counts(db, tenant, [v.assignment for v in views])
    for view in views:
        view.overdue = counts.get(view.assignment.id, 0)
    return views


def is_overdue(milestone: Milestone, assignment: Assignment, today: date) -> bool:
    return milestone.status == "pending" and milestone.due_date is not None \
        and milestone.due_date < today and assignment.status in OPEN


def overdue_condition(tenant: TenantContext, today: date):
    """The assignments with an overdue milestone, for a query's where."""
    return Assignment.id.in_(select(Milestone.assignment_id).where(
        Milestone.tenant_id == tenant.id, Milestone.status == "pending",
        Milestone.due_date < today)) & Assignment.status.in_(OPEN)


async def overdue_counts(db: AsyncSession, tenant: TenantContext,
                         assignments: list[Assignment]) -> dict[uuid.UUID, int]:
    """How many overdue milestones each of these assignments has (open ones only)."""
    open_ids = [a.id for a in assignments if a.status in OPEN]
    if not open_ids:
        return {}
    rows = await db.execute(
        select(Milestone.assignment_id, func.count())
        .where(Milestone.tenant_id == tenant.id, Milestone.assignment_id.in_(open_ids),
               Milestone.status == "pending", Milestone.due_date < mission_today(tenant))
        .group_by(Milestone.assignment_id))
    return {assignment_id: count for assignment_id, count in rows}


BOARD_COLUMNS = ("planned", "contracted", "in_progress", "completed", "evaluated")
BOARD_EVALUATED = 12  # the evaluated column shows the latest few; the list has them all


async def board(db: AsyncSession, tenant: TenantContext, actor: Actor,
                flt: AssignmentFilter | None = None) -> dict[str, list[AssignmentView]]:
    """Staff's board: the mission's assignments by status, filtered like the list
    (cancelled ones stay on the list; of the evaluated, the latest by their end)."""
    if not actor.can(ASSIGNMENTS_MANAGE):
        raise PermissionDeniedException()
    columns: dict[str, list[AssignmentView]] = {status: [] for status in BOARD_COLUMNS}
    for view in await list_assignments(db, tenant, actor, flt):
        if view.assignment.status in columns:
            columns[view.assignment.status].append(view)
    columns["evaluated"] = sorted(
        columns["evaluated"], key=lambda v: v.assignment.actual_end or date.min,
        reverse=True)[:BOARD_EVALUATED]
    await db.commit()
    return columns


TIMELINE_WEEKS = 26


@dataclass
class TimelineRow:
    view: AssignmentView
    before: int      # empty weeks before the bar
    span: int        # weeks the bar covers
    after: int


async def timeline(db: AsyncSession, tenant: TenantContext, actor: Actor,
                   flt: AssignmentFilter | None = None) -> tuple[list[date], list[TimelineRow]]:
    """Who is where when: the open assignments with planned dates (filtered like the list)
    over TIMELINE_WEEKS weeks from four weeks ago, as weeks (each Monday) and one row a bar
    (by start)."""
    if not actor.can(ASSIGNMENTS_MANAGE):
        raise PermissionDeniedException()
    today = mission_today(tenant)
    first = today - timedelta(days=today.weekday(), weeks=4)
    weeks = [first + timedelta(weeks=i) for i in range(TIMELINE_WEEKS)]
    last = weeks[-1] + timedelta(days=6)
    rows = []
    for view in await list_assignments(db, tenant, actor, flt):
        a = view.assignment
        if a.status not in OPEN or a.planned_start is None:
            continue
        end = a.planned_end or a.planned_start
        if end < first or a.planned_start > last:
            continue
        start_week = max(0, (a.planned_start - first).days // 7)
        end_week = min(TIMELINE_WEEKS - 1, (end - first).days // 7)
        rows.append(TimelineRow(view, start_week, end_week - start_week + 1,
                                TIMELINE_WEEKS - end_week - 1))
    await db.commit()
    return weeks, sorted(rows, key=lambda r: (r.before, r.view.profile.number))


EXPORT_COLUMNS = ["request_number", "request_title", "slot", "expert_number", "expert",
                  "institution", "sector", "status", "modality", "duty_station",
                  "planned_start", "planned_end", "actual_start", "actual_end", "report",
                  "evaluation", "closed_without_evaluation", "status_reason",
                  "overdue_milestones", *OUTPUT_FIELDS]


def _applied(flt: AssignmentFilter) -> dict[str, str]:
    """The filters the export was taken with, for its audit event."""
    pairs = {"status": flt.status, "sector": flt.sector, "q": flt.q,
             "institution": str(flt.institution_id or ""),
             "from": _iso(flt.period_from) or "", "to": _iso(flt.period_to) or "",
             "overdue": "yes" if flt.overdue else ""}
    return {name: value for name, value in pairs.items() if value}


async def export_csv(db: AsyncSession, tenant: TenantContext, actor: Actor,
                     flt: AssignmentFilter) -> str:
    """Staff's filtered list as CSV, formulas neutralised (app.web.csv_export); the audit
    trail records who took how many rows with which filters."""
    if not actor.can(ASSIGNMENTS_MANAGE):
        raise PermissionDeniedException()
    views = await list_assignments(db, tenant, actor, flt)
    ids = [v.assignment.id for v in views]
    reports = dict((await db.execute(select(FinalReport.assignment_id, FinalReport.status)
                                     .where(FinalReport.tenant_id == tenant.id,
                                            FinalReport.assignment_id.in_(ids)))).all())
    evaluations = dict((await db.execute(select(Evaluation.assignment_id, Evaluation.status)
                                         .where(Evaluation.tenant_id == tenant.id,
                                                Evaluation.assignment_id.in_(ids)))).all())
    lines = [[v.request.number, v.request.title, v.assignment.slot, v.profile.number,
              v.profile.full_name, v.institution.name, v.request.sector or "",
              v.assignment.status, v.assignment.modality, v.assignment.duty_station,
              _iso(v.assignment.planned_start), _iso(v.assignment.planned_end),
              _iso(v.assignment.actual_start), _iso(v.assignment.actual_end),
              reports.get(v.assignment.id, ""), evaluations.get(v.assignment.id, ""),
              "yes" if v.assignment.closed_without_evaluation else "",
              v.assignment.status_reason, v.overdue,
              *(getattr(v.assignment, name) for name in OUTPUT_FIELDS)]
             for v in views]
    record(db, tenant.id, actor, "assignment.exported", "assignment", None,
           after={"rows": len(lines), "filters": _applied(flt)})
    await db.commit()
    return csv_text(EXPORT_COLUMNS, lines)


# The one-time-token purpose of calendar addresses (app.accounts.services.TOKEN_LIFETIME).
CALENDAR = "calendar"


async def calendar_feed(db: AsyncSession, tenant: TenantContext, actor: Actor, base: str,
                        locale: str) -> str:
    """The actor's assignments with planned dates as an iCalendar feed, one all-day event
    each: staff the mission's open ones, an expert their own, a focal point their
    institution's (none cancelled). base: the site's address, for each event's link."""
    views = [v for v in await list_assignments(db, tenant, actor)
             if v.assignment.planned_start is not None
             and (v.assignment.status in OPEN if v.who == STAFF
                  else v.assignment.status != "cancelled")]
    events = [AllDayEvent(
        uid=f"assignment-{v.assignment.id}@diaspora-bridge",
        start=v.assignment.planned_start, end=v.assignment.planned_end
        or v.assignment.planned_start,
        summary=f"#{v.request.number} {v.request.title}",
        description="\n".join([v.profile.full_name
                                or _("Expert #%(n)s") % {"n": v.profile.number},
                                v.institution.name]),
        location=v.assignment.duty_station,
        url=f"{base}/{tenant.slug}/assignments/{v.assignment.id}")
        for v in views if v.assignment.planned_start is not None]
    await db.commit()
    return calendar(f"{_('Assignments')} · {tenant.display_name(locale)}", events, now())


async def new_calendar_address(db: AsyncSession, tenant: TenantContext, actor: Actor) -> str:
    """A secret address for the person's calendar feed, for a calendar program to subscribe
    to without signing in (a year long); the previous address stops working."""
    user = await get_user(db, actor.user_id)
    assert user is not None  # the route needs a signed-in person
    token = await issue_token(db, tenant, user, CALENDAR)
    record(db, tenant.id, actor, "assignment.calendar_address_made", "user", user.id)
    await db.commit()
    return token


async def calendar_at_address(db: AsyncSession, tenant: TenantContext, token: str, base: str,
                              locale: str) -> str:
    """The feed of the person whose address this is, as they would see it signed in; 404
    for an unknown, replaced or expired address, or a person no longer in the mission."""
    try:
        user = await use_token(db, tenant, token, CALENDAR, consume=False)
    except TokenInvalid:
        raise NotFoundException() from None
    membership = await membership_of(db, tenant, user.id)
    actor = make_actor(user, membership, "") if membership is not None else None
    if actor is None or not actor.can(ASSIGNMENTS_VIEW):
        raise NotFoundException()
    return await calendar_feed(db, tenant, actor, base, locale)


# --- created by a confirmed selection -------------------------------------------------------

@selection_confirmed
async def create_from_selection(db: AsyncSession, tenant: TenantContext, actor: Actor,
                                request: AssignmentRequest, profile_id: uuid.UUID,
                                shortlist_entry_id: uuid.UUID, slot: int) -> Assignment:
    """The assignment a confirmed selection creates: planned, with the request's dates,
    modality and place as a first proposal staff then adjust."""
    await ensure_checklist(db, tenant)
    start = request.earliest_start
    end = None
    if start is not None and request.duration_weeks:
        end = start + timedelta(weeks=request.duration_weeks) - timedelta(days=1)
    assignment = Assignment(
        tenant_id=tenant.id, request_id=request.id, profile_id=profile_id,
        shortlist_entry_id=shortlist_entry_id, slot=slot, status="planned",
        confirmed_by_id=actor.user_id, planned_start=start, planned_end=end,
        modality=request.modality if request.modality in ASSIGNMENT_MODALITIES else "on_site",
        duty_station=request.city or "", version=1, updated_at=now())
    db.add(assignment)
    await db.flush()
    db.add_all(from_terms(tenant.id, assignment, request))
    record(db, tenant.id, actor, "assignment.created", "assignment", assignment.id,
           after={"request": request.number, "slot": slot})
    return assignment


# --- the preparation checklist --------------------------------------------------------------

async def ensure_checklist(db: AsyncSession, tenant: TenantContext) -> None:
    """A mission without a checklist gets the default one (once: under a lock, so two first
    confirmations at once do not both add it)."""
    await lock_until_commit(db, f"assignment-checklist:{tenant.id}")
    if await db.scalar(select(func.count()).select_from(ChecklistItem).where(
            ChecklistItem.tenant_id == tenant.id)):
        return
    db.add_all(ChecklistItem(tenant_id=tenant.id, code=code, remote=remote, position=i)
               for i, (code, remote) in enumerate(DEFAULT_CHECKLIST))
    await db.flush()


async def mission_checklist(db: AsyncSession, tenant: TenantContext,
                            include_inactive: bool = False) -> list[ChecklistItem]:
    query = select(ChecklistItem).where(ChecklistItem.tenant_id == tenant.id)
    if not include_inactive:
        query = query.where(ChecklistItem.active.is_(True))
    return list(await db.scalars(query.order_by(ChecklistItem.position, ChecklistItem.code)))


@dataclass
class ChecklistLine:
    item: ChecklistItem
    tick: ChecklistTick | None
    ticked_by: str = ""


def applies(item: ChecklistItem, assignment: Assignment) -> bool:
    """Remote work needs only the items marked for it (no visa, no travel)."""
    return assignment.modality != "remote" or item.remote


async def checklist_of(db: AsyncSession, tenant: TenantContext,
                       view: AssignmentView) -> list[ChecklistLine]:
    """The mission's items that apply to this assignment, ticked or not."""
    ticks = {t.item_id: (t, name) for t, name in await db.execute(
        select(ChecklistTick, User.name).outerjoin(User, User.id == ChecklistTick.ticked_by_id)
        .where(ChecklistTick.tenant_id == tenant.id,
               ChecklistTick.assignment_id == view.assignment.id))}
    lines = []
    for item in await mission_checklist(db, tenant):
        if applies(item, view.assignment):
            tick, name = ticks.get(item.id, (None, ""))
            lines.append(ChecklistLine(item, tick, name or ""))
    return lines


def _check_version(assignment: Assignment, version: int | None) -> None:
    check_version(assignment, version, _("Someone changed this assignment while you were working on it. "
                                   "Here it is as it is now: check it and send your change "
                                   "again."))


async def tick(db: AsyncSession, tenant: TenantContext, actor: Actor, assignment_id: uuid.UUID,
               item_id: uuid.UUID, done: bool, version: int | None) -> AssignmentView:
    """Staff tick (or untick) one preparation item; who and when are kept."""
    view = await get_assignment(db, tenant, actor, assignment_id, lock=True)
    if view.who != STAFF:
        raise NotFoundException()
    assignment = view.assignment
    _check_version(assignment, version)
    if assignment.status not in ("planned", "contracted"):
        raise AssignmentRefused(_("The preparation is over: the assignment has started."))
    item = await db.scalar(select(ChecklistItem).where(
        ChecklistItem.tenant_id == tenant.id, ChecklistItem.id == item_id,
        ChecklistItem.active.is_(True)))
    if item is None or not applies(item, assignment):
        raise NotFoundException()
    existing = await db.scalar(select(ChecklistTick).where(
        ChecklistTick.tenant_id == tenant.id, ChecklistTick.assignment_id == assignment.id,
        ChecklistTick.item_id == item.id))
    if done and existing is None:
        db.add(ChecklistTick(tenant_id=tenant.id, assignment_id=assignment.id,
                             item_id=item.id, ticked_by_id=actor.user_id, ticked_at=now()))
    elif not done and existing is not None:
        await db.delete(existing)
    else:
        await db.rollback()
        return view
    bump_version(assignment)
    record(db, tenant.id, actor, "assignment.checklist_" + ("ticked" if done else "unticked"),
           "assignment", assignment.id, after={"item": item.code})
    await db.commit()
    return view


async def missing_preparation(db: AsyncSession, tenant: TenantContext,
                              view: AssignmentView) -> list[ChecklistItem]:
    return [line.item for line in await checklist_of(db, tenant, view) if line.tick is None]


# --- moving through the life cycle ----------------------------------------------------------

async def _people_to_tell(db: AsyncSession, tenant: TenantContext,
                          view: AssignmentView) -> list[User]:
    """The expert and the institution's focal points: the other parties of a staff move."""
    people = await members_who_can(db, tenant, REQUESTS_VIEW, view.request.institution_id)
    if view.profile.user_id is not None:
        expert = await get_user(db, view.profile.user_id)
        if expert is not None:
            people.append(expert)
    return [p for p in people if p.status == "active"]


async def _tell(db: AsyncSession, tenant: TenantContext, actor: Actor, view: AssignmentView,
                kind: str, link: str, **context) -> None:
    for person in await _people_to_tell(db, tenant, view):
        if person.id == actor.user_id:
            continue
        queue_mail(db, tenant, person.email, kind,
                   person.preferred_locale or tenant.default_locale, name=person.name,
                   number=view.request.number, title=view.request.title,
                   status=view.assignment.status, link=link, **context)


async def move(db: AsyncSession, tenant: TenantContext, actor: Actor, assignment_id: uuid.UUID,
               action: str, reason: str, version: int | None, link: str,
               notify: bool = True) -> AssignmentView:
    """Staff move the assignment as the table allows, through its gates; audited and mailed
    to the expert and the institution."""
    view = await get_assignment(db, tenant, actor, assignment_id, lock=True)
    if view.who != STAFF:
        raise NotFoundException()
    assignment = view.assignment
    _check_version(assignment, version)
    target = next_state(assignment.status, action)
    if target is None:
        raise AssignmentRefused(_("This is not possible at this stage."))
    reason = reason.strip()[:MAX_REASON]
    if action in NEEDS_REASON and not reason:
        raise AssignmentRefused(_("Give a reason: the expert and the institution will read it."),
                                "reason", status=422)
    if action == "start":
        if missing := await missing_preparation(db, tenant, view):
            raise AssignmentRefused(_("The preparation checklist is not complete: %(items)s.")
                                    % {"items": ", ".join(item_label(i) for i in missing)})
        assignment.actual_start = assignment.actual_start or mission_today(tenant)
    if action == "complete":
        assignment.actual_end = assignment.actual_end or mission_today(tenant)
    if action == "evaluate":
        report, evaluation = await report_of(db, tenant, view), await evaluation_of(db, tenant,
                                                                                    view)
        if report is None or report.status != "accepted" \
                or evaluation is None or evaluation.status != "accepted":
            raise AssignmentRefused(_("The expert's final report and the host institution's "
                                      "evaluation must both be accepted first."))
    before = assignment.status
    assignment.status = target
    if action in NEEDS_REASON:
        assignment.status_reason = reason
    assignment.closed_without_evaluation = action == "close_without_evaluation"
    bump_version(assignment)
    record(db, tenant.id, actor, f"assignment.{action}", "assignment", assignment.id,
           before={"status": before}, after={"status": target, "reason": reason or None})
    if notify:
        await _tell(db, tenant, actor, view, "assignment_status", link, reason=reason)
    await db.commit()
    return view


def mission_today(tenant: TenantContext) -> date:
    """Today where the mission is (its time zone), not on the server."""
    return today_in(tenant.time_zone)


@dataclass
class PlanForm:
    planned_start: str = ""
    planned_end: str = ""
    modality: str = ""
    duty_station: str = ""
    reason: str = ""
    version: int | None = None
    # The funding project's id, "" for none; None: the form did not carry it (kept as is).
    funding_project_id: str | None = None


async def change_plan(db: AsyncSession, tenant: TenantContext, actor: Actor,
                      assignment_id: uuid.UUID, form: PlanForm, link: str,
                      notify: bool = True) -> AssignmentView:
    """Staff set the planned dates, modality and duty station. Moving dates already set is a
    postponement: it needs a reason, is audited with the old and new dates and mailed."""
    view = await get_assignment(db, tenant, actor, assignment_id, lock=True)
    if view.who != STAFF:
        raise NotFoundException()
    assignment = view.assignment
    _check_version(assignment, form.version)
    if assignment.status not in POSTPONABLE:
        raise AssignmentRefused(_("The dates can no longer change: the assignment has started."))
    errors = FieldErrors()
    start = errors.day("planned_start", form.planned_start.strip(), required=False)
    end = errors.day("planned_end", form.planned_end.strip(), required=False)
    if start and end and end < start:
        errors["planned_end"] = _("The end comes before the start.")
    if form.modality not in ASSIGNMENT_MODALITIES:
        errors["modality"] = _("Choose one of the options listed.")
    station = " ".join(form.duty_station.split())
    if len(station) > 200:
        errors["duty_station"] = _("Use at most %(n)s characters.") % {"n": 200}
    reason = form.reason.strip()[:MAX_REASON]
    postponed = (assignment.planned_start is not None and start != assignment.planned_start) \
        or (assignment.planned_end is not None and end != assignment.planned_end)
    if postponed and not reason and not errors:
        errors["reason"] = _("Say why the dates move: the expert and the institution will "
                             "read it.")
    project_id = assignment.funding_project_id
    if form.funding_project_id is not None:
        # Staff choose among the mission's active projects (or keep a closed one).
        project_id = await funding_project_choice(db, tenant, errors, "funding_project_id",
                                                  form.funding_project_id,
                                                  keep=assignment.funding_project_id)
    if errors:
        raise FormErrors(errors)
    before = {"planned_start": _iso(assignment.planned_start),
              "planned_end": _iso(assignment.planned_end), "modality": assignment.modality,
              "duty_station": assignment.duty_station,
              "funding_project_id": str(assignment.funding_project_id or "") or None}
    await _move_due_dates(db, tenant, assignment, start, end)
    assignment.planned_start, assignment.planned_end = start, end
    assignment.modality, assignment.duty_station = form.modality, station
    assignment.funding_project_id = project_id
    after = {"planned_start": _iso(start), "planned_end": _iso(end),
             "modality": form.modality, "duty_station": station,
             "funding_project_id": str(project_id or "") or None}
    if before == after:
        await db.rollback()
        return view
    bump_version(assignment)
    action = "assignment.postponed" if postponed else "assignment.planned"
    record(db, tenant.id, actor, action, "assignment", assignment.id, before=before,
           after={**after, "reason": reason or None})
    if postponed and notify:
        await _tell(db, tenant, actor, view, "assignment_postponed", link, reason=reason,
                    start=_iso(start) or "", end=_iso(end) or "")
    await db.commit()
    return view


async def _move_due_dates(db: AsyncSession, tenant: TenantContext, assignment: Assignment,
                          start: date | None, end: date | None) -> None:
    """Pending milestones follow the plan: a postponement moves their due dates as far as
    the start moves; one without a date, on dates set for the first time, is due at the
    end."""
    pending = list(await db.scalars(select(Milestone).where(
        Milestone.tenant_id == tenant.id, Milestone.assignment_id == assignment.id,
        Milestone.status == "pending")))
    shift = start - assignment.planned_start \
        if start is not None and assignment.planned_start is not None else None
    for milestone in pending:
        if milestone.due_date is not None and shift:
            milestone.due_date += shift
        elif milestone.due_date is None and end is not None:
            milestone.due_date = end


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None



def item_label(item: ChecklistItem) -> str:
    """A default item's label in the reader's language; a mission's own as written."""
    return item.label or checklist_labels().get(item.code, item.code)



# --- the mission's checklist (mission admins) -----------------------------------------------

MAX_ITEMS = 40


async def add_checklist_item(db: AsyncSession, tenant: TenantContext, actor: Actor, label: str,
                             remote: bool) -> ChecklistItem:
    label = " ".join(label.split())
    if not label:
        raise FormErrors({"label": _("Name the item.")})
    if len(label) > 200:
        raise FormErrors({"label": _("Use at most %(n)s characters.") % {"n": 200}})
    await ensure_checklist(db, tenant)
    items = await mission_checklist(db, tenant, include_inactive=True)
    if len(items) >= MAX_ITEMS:
        raise FormErrors({"label": _("A checklist keeps at most %(n)s items.") % {"n": MAX_ITEMS}})
    item = ChecklistItem(tenant_id=tenant.id, code=f"own-{uuid.uuid4().hex[:12]}", label=label,
                         remote=remote, position=max((i.position for i in items), default=0) + 1)
    db.add(item)
    await db.flush()
    record(db, tenant.id, actor, "assignment.checklist_item_added", "checklist_item", item.id,
           after={"label": label, "remote": remote})
    await db.commit()
    return item


async def change_checklist_item(db: AsyncSession, tenant: TenantContext, actor: Actor,
                                item_id: uuid.UUID, active: bool, remote: bool) -> None:
    """Turn an item off (assignments no longer wait for it; its ticks stay) or on, and say
    whether remote work needs it."""
    item = await db.scalar(select(ChecklistItem).where(
        ChecklistItem.tenant_id == tenant.id, ChecklistItem.id == item_id).with_for_update())
    if item is None:
        raise NotFoundException()
    before = {"active": item.active, "remote": item.remote}
    item.active, item.remote = active, remote
    if before == {"active": active, "remote": remote}:
        await db.rollback()
        return
    record(db, tenant.id, actor, "assignment.checklist_item_changed", "checklist_item", item.id,
           before=before, after={"active": active, "remote": remote})
    await db.commit()


async def checklist_for_admin(db: AsyncSession, tenant: TenantContext) -> list[ChecklistItem]:
    """Every item, turned off ones too (the defaults appear on first visit)."""
    await ensure_checklist(db, tenant)
    items = await mission_checklist(db, tenant, include_inactive=True)
    await db.commit()
    return items


async def history(db: AsyncSession, tenant: TenantContext,
                  view: AssignmentView) -> list[AuditEvent]:
    """The assignment's history for its page; staff-only steps (checklist ticks) are for
    staff's eyes."""
    events = await object_history(db, tenant, "assignment", view.assignment.id)
    if view.who == STAFF:
        return events
    return [e for e in events if not e.action.startswith("assignment.checklist")]


# --- the final report and the evaluation ----------------------------------------------------

MAX_SECTION = 20_000
# The expert writes the report while the work goes on and after it; the institution
# evaluates once the work is completed.
REPORTABLE = frozenset({"in_progress", "completed"})


async def report_of(db: AsyncSession, tenant: TenantContext,
                    view: AssignmentView) -> FinalReport | None:
    return await db.scalar(select(FinalReport).where(
        FinalReport.tenant_id == tenant.id, FinalReport.assignment_id == view.assignment.id))


async def evaluation_of(db: AsyncSession, tenant: TenantContext,
                        view: AssignmentView) -> Evaluation | None:
    return await db.scalar(select(Evaluation).where(
        Evaluation.tenant_id == tenant.id, Evaluation.assignment_id == view.assignment.id))


async def _as_party(db: AsyncSession, tenant: TenantContext, actor: Actor,
                    assignment_id: uuid.UUID, party: str) -> AssignmentView:
    """The assignment, for its expert or its institution only: anyone else who may see it
    may not do this (403); anyone who may not see it finds nothing (404)."""
    view = await get_assignment(db, tenant, actor, assignment_id, lock=True)
    if view.who != party:
        raise PermissionDeniedException()
    return view


async def _tell_staff(db: AsyncSession, tenant: TenantContext, view: AssignmentView,
                      part: str, link: str) -> None:
    for person in await members_who_can(db, tenant, ASSIGNMENTS_MANAGE):
        queue_mail(db, tenant, person.email, "assignment_part_sent",
                   person.preferred_locale or tenant.default_locale, name=person.name,
                   number=view.request.number, title=view.request.title, part=part, link=link)


@dataclass
class Attachment:
    """A file sent with a form, and where and how large it may be stored."""

    filename: str
    data: bytes
    storage: DocumentStorage
    max_bytes: int


async def submit_report(db: AsyncSession, tenant: TenantContext, actor: Actor,
                        assignment_id: uuid.UUID, sections: dict[str, str],
                        link: str, notify: bool = True,
                        attachment: Attachment | None = None) -> AssignmentView:
    """The expert sends their final report (again, after a return), with one attached
    document checked like a CV (an earlier one stays unless replaced); staff are told."""
    view = await _as_party(db, tenant, actor, assignment_id, EXPERT)
    if view.assignment.status not in REPORTABLE:
        raise AssignmentRefused(_("The final report is written once the assignment has "
                                  "started."))
    report = await report_of(db, tenant, view)
    if report is not None and report.status == "accepted":
        raise AssignmentRefused(_("The mission has accepted this report: it can no longer "
                                  "change."))
    texts = {name: sections.get(name, "").strip() for name in REPORT_SECTIONS}
    errors = {name: _("Use at most %(n)s characters.") % {"n": MAX_SECTION}
              for name, text in texts.items() if len(text) > MAX_SECTION}
    for name in ("activities", "results"):
        if not texts[name] and name not in errors:
            errors[name] = _("This field is required.")
    kind = None
    if attachment is not None:
        try:
            kind = validate_document(attachment.data, attachment.max_bytes, "attachment",
                                     _("Attach a PDF or Word (.docx) document."))
        except FormErrors as exc:
            errors.update(exc.errors)
    if errors:
        raise FormErrors(errors)

    async def save_rows() -> list[str]:
        nonlocal report
        if report is None:
            report = FinalReport(tenant_id=tenant.id, assignment_id=view.assignment.id)
            db.add(report)
        for name, text in texts.items():
            setattr(report, name, text)
        replaced = []
        if attachment is not None and kind is not None:
            replaced = [report.attachment_key] if report.attachment_key else []
            report.attachment_content_type = kind[0]
            report.attachment_filename = clean_filename(attachment.filename, kind[1],
                                                        default="report")
            report.attachment_size = len(attachment.data)
            report.attachment_sha256 = hashlib.sha256(attachment.data).hexdigest()
            report.attachment_key = key
        report.status, report.return_reason = "submitted", ""
        report.submitted_by_id, report.submitted_at = actor.user_id, now()
        bump_version(view.assignment)
        record(db, tenant.id, actor, "assignment.report_submitted", "assignment",
               view.assignment.id, after={"attachment": report.attachment_filename,
                                          "sha256": report.attachment_sha256}
               if attachment is not None else None)
        if notify:
            await _tell_staff(db, tenant, view, "report", link)
        await db.commit()
        return replaced

    if attachment is None or kind is None:
        await save_rows()
    else:
        key = new_key(tenant.id, "reports", kind[1])
        await store_replacing(db, attachment.storage, key, attachment.data, save_rows)
    return view


async def report_attachment(db: AsyncSession, tenant: TenantContext, actor: Actor,
                            assignment_id: uuid.UUID,
                            storage: DocumentStorage) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of the final report's attachment, for anyone who
    may read the report; 404 when there is none."""
    view = await get_assignment(db, tenant, actor, assignment_id)
    report = await report_of(db, tenant, view)
    await db.commit()
    if report is None or not report.attachment_key:
        raise NotFoundException()
    try:
        data = await storage.get(report.attachment_key)
    except FileNotFoundError as exc:
        raise NotFoundException() from exc
    return report.attachment_filename or "report", \
        report.attachment_content_type or "application/octet-stream", data


def read_scores(criteria: tuple[str, ...], scores: dict[str, str], comments: str,
                comments_field: str) -> tuple[dict[str, int], str]:
    """A score from 1 to 5 on each criterion and the comments (evaluations, the expert's
    rating of the host institution); FormErrors naming each field that is not."""
    errors: dict[str, str] = {}
    values: dict[str, int] = {}
    for name in criteria:
        raw = scores.get(name, "").strip()
        if raw not in ("1", "2", "3", "4", "5"):
            errors[name] = _("Choose a score from 1 to 5.")
        else:
            values[name] = int(raw)
    comments = comments.strip()
    if len(comments) > MAX_SECTION:
        errors[comments_field] = _("Use at most %(n)s characters.") % {"n": MAX_SECTION}
    if errors:
        raise FormErrors(errors)
    return values, comments


async def submit_evaluation(db: AsyncSession, tenant: TenantContext, actor: Actor,
                            assignment_id: uuid.UUID, scores: dict[str, str], comments: str,
                            link: str, notify: bool = True) -> AssignmentView:
    """The host institution evaluates the completed assignment, 1 to 5 on each criterion."""
    view = await _as_party(db, tenant, actor, assignment_id, INSTITUTION)
    if view.assignment.status != "completed":
        raise AssignmentRefused(_("The institution evaluates the assignment once it is "
                                  "completed."))
    evaluation = await evaluation_of(db, tenant, view)
    if evaluation is not None and evaluation.status == "accepted":
        raise AssignmentRefused(_("The mission has accepted this evaluation: it can no longer "
                                  "change."))
    values, comments = read_scores(EVALUATION_CRITERIA, scores, comments, "comments")
    if evaluation is None:
        evaluation = Evaluation(tenant_id=tenant.id, assignment_id=view.assignment.id, **values)
        db.add(evaluation)
    for name, value in values.items():
        setattr(evaluation, name, value)
    evaluation.comments, evaluation.status, evaluation.return_reason = comments, "submitted", ""
    evaluation.submitted_by_id, evaluation.submitted_at = actor.user_id, now()
    bump_version(view.assignment)
    record(db, tenant.id, actor, "assignment.evaluation_submitted", "assignment",
           view.assignment.id, after=values)
    if notify:
        await _tell_staff(db, tenant, view, "evaluation", link)
    await db.commit()
    return view


async def review(db: AsyncSession, tenant: TenantContext, actor: Actor,
                 assignment_id: uuid.UUID, part: str, decision: str, reason: str,
                 version: int | None, link: str, notify: bool = True) -> AssignmentView:
    """Staff accept the report or the evaluation, or return it with a reason its author
    reads. An accepted evaluation counts for the expert's next matches."""
    view = await get_assignment(db, tenant, actor, assignment_id, lock=True)
    if view.who != STAFF:
        raise NotFoundException()
    _check_version(view.assignment, version)
    item = await (report_of if part == "report" else evaluation_of)(db, tenant, view) \
        if part in ("report", "evaluation") else None
    if item is None or item.status != "submitted" or decision not in ("accept", "return"):
        raise AssignmentRefused(_("There is nothing to review here."))
    reason = reason.strip()[:MAX_REASON]
    if decision == "return" and not reason:
        raise AssignmentRefused(_("Say what must change: the author will read it."),
                                f"{part}_reason", status=422)
    item.status = "accepted" if decision == "accept" else "returned"
    item.return_reason = reason if decision == "return" else ""
    item.reviewed_by_id, item.reviewed_at = actor.user_id, now()
    bump_version(view.assignment)
    record(db, tenant.id, actor, f"assignment.{part}_{item.status}", "assignment",
           view.assignment.id, after={"reason": reason or None})
    if decision == "return" and item.submitted_by_id is not None and notify:
        author = await get_user(db, item.submitted_by_id)
        if author is not None:
            queue_mail(db, tenant, author.email, "assignment_part_returned",
                       author.preferred_locale or tenant.default_locale, name=author.name,
                       number=view.request.number, title=view.request.title, part=part,
                       reason=reason, link=link)
    if part == "evaluation" and decision == "accept":
        view.profile.updated_at = now()  # the expert's search document carries evaluations
    await db.commit()
    return view


@expert_evaluations
async def evaluation_scores(db: AsyncSession, tenant: TenantContext,
                            profile_ids: list[uuid.UUID]) -> dict[uuid.UUID, float]:
    """Each expert's accepted evaluations, as one mean from 0 (all 1s) to 1 (all 5s): the
    "past evaluations" criterion of matching."""
    criteria = [getattr(Evaluation, name) for name in EVALUATION_CRITERIA]
    mean = sum(criteria[1:], criteria[0]) / float(len(criteria))
    rows = await db.execute(
        select(Assignment.profile_id, func.avg(mean))
        .join(Evaluation, Evaluation.assignment_id == Assignment.id)
        .where(Assignment.tenant_id == tenant.id, among(Assignment.profile_id, profile_ids),
               Evaluation.status == "accepted")
        .group_by(Assignment.profile_id))
    return {profile_id: (float(average) - 1) / 4 for profile_id, average in rows}


@on_expert_erased
async def _erase_expert_writing(db: AsyncSession, tenant: TenantContext,
                                profile: ExpertProfile) -> list[str]:
    """An erased expert's assignments stay as numbered records (dates, sector, outputs,
    scores, milestones and their status) so the programme's figures do not change; what was
    written by or about them by name goes: their final reports with their attachments, the
    milestones' evidence files (deliverables carry their author's name), their comments on
    the host institution, and the institution's comments. (The completion letter is never
    stored; closing.completion_letter refuses it once the expert is erased.) Returns the
    files' storage keys."""
    of_expert = select(Assignment.id).where(Assignment.tenant_id == tenant.id,
                                            Assignment.profile_id == profile.id)
    files = [key for key in await db.scalars(select(FinalReport.attachment_key).where(
        FinalReport.tenant_id == tenant.id, FinalReport.assignment_id.in_(of_expert)))
        if key]
    evidence = MilestoneEvidence.__table__
    files += list(await db.scalars(delete(evidence).where(
        evidence.c.tenant_id == tenant.id, evidence.c.assignment_id.in_(of_expert))
        .returning(evidence.c.key)))
    await db.execute(update(HostRating).where(HostRating.tenant_id == tenant.id,
                                              HostRating.assignment_id.in_(of_expert))
                     .values(comments=""))
    await db.execute(delete(FinalReport).where(FinalReport.tenant_id == tenant.id,
                                               FinalReport.assignment_id.in_(of_expert)))
    await db.execute(update(Evaluation).where(Evaluation.tenant_id == tenant.id,
                                              Evaluation.assignment_id.in_(of_expert))
                     .values(comments=""))
    return files
