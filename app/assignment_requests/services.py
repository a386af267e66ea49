"""Assignment requests: fetching with authorisation (one call decides whether the actor may
see the request), the institution's list and the staff queue, creating the draft, the life
cycle with its mails, and the request's timeline. Every change is audited in the same
transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from litestar.exceptions import NotFoundException
from sqlalchemy import false, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.accounts.services import members_who_can
from app.assignment_requests.models import (
    REQUEST_STATUSES,
    AssignmentRequest,
    RequestDocument,
    RequestLanguage,
    RequestSkill,
)
from app.assignment_requests.states import INSTITUTION, NEEDS_REASON, STAFF, next_state
from app.audit.models import AuditEvent
from app.audit.services import record
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import Refusal
from app.core.numbering import next_number
from app.core.roles import REQUESTS_MANAGE, REQUESTS_VIEW
from app.experts.models import Skill
from app.i18n import gettext as _
from app.institutions.models import HostInstitution
from app.institutions.services import institution_page_part
from app.notifications.services import queue_mail
from app.web.csv_export import csv_text
from tenants.context import TenantContext

PAGE_SIZE = 50


class RequestActionRefused(Refusal):
    """A request move that is refused; `field` is the form field the message belongs to."""

    def __init__(self, message: str, field_name: str = "reason"):
        super().__init__(message, field=field_name)
        self.field = field_name


# --- fetching ------------------------------------------------------------------------------

def acting_as(actor: Actor, request: AssignmentRequest) -> str | None:
    """'staff', 'institution' (a focal point of the request's institution) or None."""
    if actor.can(REQUESTS_MANAGE):
        return STAFF
    if actor.can(REQUESTS_VIEW) and actor.host_institution_id == request.institution_id:
        return INSTITUTION
    return None


async def get_request(db: AsyncSession, tenant: TenantContext, actor: Actor,
                      request_id: uuid.UUID, lock: bool = False) -> AssignmentRequest:
    """The request if the actor may see it, else 404: staff see every request of the
    mission, a focal point only those of their own institution (not even whether others
    exist). With lock, the row is held until commit (two clicks act one after the other)."""
    query = select(AssignmentRequest).where(AssignmentRequest.tenant_id == tenant.id,
                                            AssignmentRequest.id == request_id)
    request = await db.scalar(query.with_for_update() if lock else query)
    if request is None or acting_as(actor, request) is None:
        raise NotFoundException()
    if lock:
        await db.refresh(request)
    return request


async def institution_of(db: AsyncSession, tenant: TenantContext,
                         request: AssignmentRequest) -> HostInstitution:
    """The institution a request is for. Whoever may see the request (get_request, or an
    expert's invitation to it) may see its institution's name and details."""
    institution = await db.scalar(select(HostInstitution).where(
        HostInstitution.tenant_id == tenant.id, HostInstitution.id == request.institution_id))
    if institution is None:
        raise NotFoundException()
    return institution


async def own_institution(db: AsyncSession, tenant: TenantContext,
                          actor: Actor) -> HostInstitution | None:
    """A focal point's institution in this mission; None when the actor has none here (the
    link lost, e.g. the role changed by hand)."""
    if actor.host_institution_id is None:
        return None
    return await db.scalar(select(HostInstitution).where(
        HostInstitution.tenant_id == tenant.id,
        HostInstitution.id == actor.host_institution_id))


async def institution_requests(db: AsyncSession, tenant: TenantContext,
                               institution_id: uuid.UUID) -> list[AssignmentRequest]:
    return list(await db.scalars(select(AssignmentRequest).where(
        AssignmentRequest.tenant_id == tenant.id,
        AssignmentRequest.institution_id == institution_id)
        .order_by(AssignmentRequest.number.desc())))


@institution_page_part
async def _requests_on_institution_page(db: AsyncSession, tenant: TenantContext,
                                        institution: HostInstitution) -> dict[str, Any]:
    return {"requests": await institution_requests(db, tenant, institution.id)}


async def skills_of(db: AsyncSession, tenant: TenantContext,
                    request: AssignmentRequest) -> tuple[list[Skill], list[Skill]]:
    """(required skills, desired skills)."""
    rows = await db.execute(select(Skill, RequestSkill.required)
                            .join(RequestSkill, RequestSkill.skill_id == Skill.id)
                            .where(RequestSkill.tenant_id == tenant.id,
                                   RequestSkill.request_id == request.id)
                            .order_by(Skill.code))
    required: list[Skill] = []
    desired: list[Skill] = []
    for skill, is_required in rows:
        (required if is_required else desired).append(skill)
    return required, desired


async def languages_of(db: AsyncSession, tenant: TenantContext,
                       request: AssignmentRequest) -> list[RequestLanguage]:
    return list(await db.scalars(select(RequestLanguage).where(
        RequestLanguage.tenant_id == tenant.id, RequestLanguage.request_id == request.id)
        .order_by(RequestLanguage.created_at)))


async def terms_document(db: AsyncSession, tenant: TenantContext,
                         request: AssignmentRequest) -> RequestDocument | None:
    return await db.scalar(select(RequestDocument).where(
        RequestDocument.tenant_id == tenant.id, RequestDocument.request_id == request.id)
        .order_by(RequestDocument.created_at.desc()).limit(1))


# --- the staff queue -------------------------------------------------------------------------

# What the queue shows when no state is chosen: what staff have to act on.
QUEUE_DEFAULT = ("submitted", "open", "shortlisting")


@dataclass
class QueueFilter:
    status: str = ""            # "" = QUEUE_DEFAULT, "all" = every state
    sector: str = ""
    institution: str = ""       # an institution id
    start_from: date | None = None
    start_to: date | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def applied(self) -> dict[str, str]:
        return {k: str(v) for k, v in vars(self).items() if v and k != "errors"}


def _queue_query(tenant: TenantContext, flt: QueueFilter):
    query = (select(AssignmentRequest, HostInstitution)
             .join(HostInstitution, HostInstitution.id == AssignmentRequest.institution_id)
             .where(AssignmentRequest.tenant_id == tenant.id))
    if flt.status == "all":
        pass
    elif flt.status in REQUEST_STATUSES:
        query = query.where(AssignmentRequest.status == flt.status)
    else:
        query = query.where(AssignmentRequest.status.in_(QUEUE_DEFAULT))
    if flt.sector:
        query = query.where(AssignmentRequest.sector == flt.sector)
    if flt.institution:
        try:
            query = query.where(AssignmentRequest.institution_id == uuid.UUID(flt.institution))
        except ValueError:
            query = query.where(false())
    # A request whose start window touches the period asked for.
    if flt.start_from:
        query = query.where(AssignmentRequest.latest_start >= flt.start_from)
    if flt.start_to:
        query = query.where(AssignmentRequest.earliest_start <= flt.start_to)
    return query


async def queue(db: AsyncSession, tenant: TenantContext, flt: QueueFilter,
                page: int = 1) -> tuple[list[tuple[AssignmentRequest, HostInstitution]], int]:
    query = _queue_query(tenant, flt)
    total = await db.scalar(select(func.count()).select_from(query.subquery())) or 0
    # Urgent first, then the oldest submission: the order staff should work in.
    priority = func.array_position(text("ARRAY['urgent','high','normal','low']::varchar[]"),
                                   AssignmentRequest.priority)
    rows = await db.execute(query.order_by(priority, AssignmentRequest.submitted_at.nulls_last(),
                                           AssignmentRequest.number)
                            .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return [tuple(row) for row in rows], total


EXPORT_COLUMNS = ["number", "title", "institution", "status", "sector", "priority",
                  "experts_wanted", "duration_weeks", "earliest_start", "latest_start",
                  "finish_by", "modality", "city", "required_skills", "desired_skills",
                  "languages", "submitted_at"]


async def export_csv(db: AsyncSession, tenant: TenantContext, actor: Actor, flt: QueueFilter,
                     locale: str) -> str:
    """The filtered queue as CSV (every row, not just one page); the audit trail records who
    took how many rows with which filters."""
    rows = list((await db.execute(_queue_query(tenant, flt)
                                  .order_by(AssignmentRequest.number))).all())
    ids = [request.id for request, _institution in rows]
    skills: dict[tuple[uuid.UUID, bool], list[str]] = {}
    for request_id, required, skill in (await db.execute(
            select(RequestSkill.request_id, RequestSkill.required, Skill)
            .join(Skill, Skill.id == RequestSkill.skill_id)
            .where(RequestSkill.tenant_id == tenant.id, RequestSkill.request_id.in_(ids)))).all():
        skills.setdefault((request_id, required), []).append(skill.display_name(locale))
    languages: dict[uuid.UUID, list[str]] = {}
    for lang in await db.scalars(select(RequestLanguage).where(
            RequestLanguage.tenant_id == tenant.id, RequestLanguage.request_id.in_(ids))):
        languages.setdefault(lang.request_id, []).append(f"{lang.language}:{lang.min_level}")
    lines = [[request.number, request.title, institution.name, request.status,
              request.sector, request.priority, request.experts_wanted, request.duration_weeks,
              request.earliest_start, request.latest_start, request.finish_by,
              request.modality, request.city,
              ";".join(sorted(skills.get((request.id, True), []))),
              ";".join(sorted(skills.get((request.id, False), []))),
              ";".join(sorted(languages.get(request.id, []))),
              request.submitted_at.isoformat() if request.submitted_at else ""]
             for request, institution in rows]
    record(db, tenant.id, actor, "assignment_request.exported", "assignment_request", None,
           after={"rows": len(rows), "filters": flt.applied()})
    await db.commit()
    return csv_text(EXPORT_COLUMNS, lines)


# --- creating --------------------------------------------------------------------------------


async def institution_for_new_request(db: AsyncSession, tenant: TenantContext, actor: Actor,
                                      raw_id: str | None) -> HostInstitution:
    """The institution a new request is written for: a focal point's own (if approved);
    for staff, the approved institution they chose. RequestActionRefused otherwise."""
    if actor.can(REQUESTS_MANAGE):
        try:
            institution_id = uuid.UUID(raw_id or "")
        except ValueError:
            raise RequestActionRefused(_("Choose the institution the request is for."),
                                       "institution_id") from None
    elif actor.can(REQUESTS_VIEW) and actor.host_institution_id:
        institution_id = actor.host_institution_id
    else:
        raise NotFoundException()
    institution = await db.scalar(select(HostInstitution).where(
        HostInstitution.tenant_id == tenant.id, HostInstitution.id == institution_id))
    if institution is None:
        raise RequestActionRefused(_("Choose the institution the request is for."),
                                   "institution_id")
    if institution.status != "approved":
        raise RequestActionRefused(
            _("Only an approved institution can make requests; this one is not approved "
              "(or is suspended). Contact the mission."), "institution_id")
    return institution


async def create_request(db: AsyncSession, tenant: TenantContext, actor: Actor,
                         institution: HostInstitution, fields: dict,
                         at: datetime | None = None) -> AssignmentRequest:
    """The new draft, numbered next in the mission. `at`: when it was created, for history
    written afterwards (the demo's); default now."""
    number = await next_number(db, tenant, AssignmentRequest.number)
    request = AssignmentRequest(tenant_id=tenant.id, institution_id=institution.id,
                                number=number, status="draft", created_by_id=actor.user_id,
                                updated_at=at or now(), **fields)
    if at is not None:
        request.created_at = at
    db.add(request)
    await db.flush()
    record(db, tenant.id, actor, "assignment_request.created", "assignment_request", request.id,
           after={"number": number, "institution": institution.name, "title": request.title},
           at=at)
    return request


# --- life cycle ----------------------------------------------------------------------------

async def missing_parts(db: AsyncSession, tenant: TenantContext,
                        request: AssignmentRequest) -> list[str]:
    """What must be filled before the request can be submitted (in the reader's language)."""
    required, _desired = await skills_of(db, tenant, request)
    parts = [
        (_("Terms of reference (title, objectives, tasks)"),
         bool(request.title and request.objectives and request.tasks)),
        (_("Expert profile (sector and at least one required skill)"),
         bool(request.sector and required)),
        (_("Dates and logistics"),
         bool(request.modality and request.duration_weeks and request.earliest_start
              and request.latest_start)),
    ]
    return [name for name, ok in parts if not ok]


async def focal_points(db: AsyncSession, tenant: TenantContext,
                       institution_id: uuid.UUID) -> list[User]:
    """The focal points of one institution (the only members who may follow its requests
    without managing every request)."""
    return await members_who_can(db, tenant, REQUESTS_VIEW, institution_id)


async def apply_action(db: AsyncSession, tenant: TenantContext, actor: Actor,
                       request: AssignmentRequest, action: str, reason: str,
                       link: str, at: datetime | None = None,
                       notify: bool = True) -> AssignmentRequest:
    """Move the request through its life cycle (states.TRANSITIONS), audit it and mail the
    people concerned: the institution's focal points when staff act, the mission's staff
    when the institution acts. The caller passes the request locked (get_request(lock=True)).
    History written afterwards (the demo's) gives `at`, when the step happened, and
    notify=False: nobody is mailed about the past."""
    who = acting_as(actor, request)
    target = next_state(request.status, action, who) if who else None
    if target is None:
        raise RequestActionRefused(_("This action is not possible for a request in this state."))
    reason = reason.strip()[:2000]
    if action in NEEDS_REASON and not reason:
        raise RequestActionRefused(_("Say why, so the other side knows what happens next."))
    if action == "submit":
        missing = await missing_parts(db, tenant, request)
        if missing:
            raise RequestActionRefused(_("Complete these parts before you submit: %(parts)s.")
                                       % {"parts": ", ".join(missing)})
        institution = await institution_of(db, tenant, request)
        if institution.status != "approved":
            raise RequestActionRefused(_("Only an approved institution can submit requests."))
    before, moment = request.status, at or now()
    request.status, request.updated_at = target, moment
    request.status_reason = reason if action in NEEDS_REASON else ""
    if action == "submit":
        request.submitted_at = moment
    if target == "open" and request.opened_at is None:
        request.opened_at = moment
    record(db, tenant.id, actor, f"assignment_request.{action}", "assignment_request",
           request.id, before={"status": before},
           after={"status": target, "reason": reason or None}, at=at)
    people = [] if not notify else await (
        focal_points(db, tenant, request.institution_id) if who == STAFF
        else members_who_can(db, tenant, REQUESTS_MANAGE))
    for person in people:
        if person.id == actor.user_id:
            continue
        queue_mail(db, tenant, person.email, "request_status",
                   person.preferred_locale or tenant.default_locale, name=person.name,
                   number=request.number, title=request.title, status=target, reason=reason,
                   link=link)
    await db.commit()
    return request


# --- timeline ------------------------------------------------------------------------------

async def timeline(db: AsyncSession, tenant: TenantContext,
                   request: AssignmentRequest) -> list[AuditEvent]:
    """The request's history from the audit trail, oldest first. A run of edits by one
    person (saving step after step) shows as its last edit."""
    events = await db.scalars(select(AuditEvent).where(
        AuditEvent.tenant_id == tenant.id, AuditEvent.object_type == "assignment_request",
        AuditEvent.object_id == str(request.id)).order_by(AuditEvent.created_at, AuditEvent.id))
    history: list[AuditEvent] = []
    for event in events:
        previous = history[-1] if history else None
        if previous is not None and previous.action == event.action \
                == "assignment_request.edited" and previous.actor_label == event.actor_label:
            history[-1] = event
        else:
            history.append(event)
    return history
