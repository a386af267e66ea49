"""Trainings: recorded by a partner agency (its partner users, or staff acting for it),
moved through the one transition table (states.py), reviewed by staff. Who may see a
training is decided in one place: get_training. A partner user sees their own agency's
trainings only: another agency's, even of the same mission, is not found, like another
mission's.

Every change is audited and bumps the training's version: a form sent from an older
version is refused with the current values, never applied over someone else's change."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from litestar.exceptions import NotFoundException, PermissionDeniedException
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Membership, User
from app.accounts.services import members_who_can
from app.assignments.services import get_assignment, list_assignments
from app.audit.models import AuditEvent
from app.audit.services import object_history, record
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import FormErrors, Refusal
from app.core.roles import PERMISSIONS, TRAININGS_RECORD, TRAININGS_REVIEW
from app.core.versions import bump_version, check_version
from app.documents.pdf import PdfDocument
from app.i18n import current_locale
from app.i18n import gettext as _
from app.notifications.services import queue_mail
from app.partners.funding import funding_project_choice
from app.partners.models import FundingProject, PartnerAgency
from app.trainings import evidence, participants
from app.trainings.labels import status_label
from app.trainings.models import (
    PARTICIPANT_MODES,
    SEX_CATEGORIES,
    TRAINING_KINDS,
    Training,
    TrainingInstitutionCount,
    TrainingParticipant,
    TrainingSession,
)
from app.trainings.participants import SessionRow, one_line
from app.trainings.states import EDITABLE, NEEDS_REASON, REVIEW_ACTIONS, next_state
from app.trainings.terms import OTHER, Terms, mission_terms
from app.web.csv_export import csv_text, xlsx_bytes
from app.web.forms import FieldErrors
from tenants.context import TenantContext

STAFF, PARTNER = "staff", "partner"
MAX_REASON = 2000
MAX_INSTITUTIONS = 50
MAX_WORDS = 8            # of a list search
# Kinds a cascade session may hang below.
PARENT_KINDS = ("training_of_trainers", "cascade")


class TrainingRefused(Refusal):
    """A move or a change the life cycle does not allow; `field` is the form field the
    message belongs to."""

    def __init__(self, message: str, field_name: str = "form", status: int = 409):
        super().__init__(message, field=field_name, status=status)



# --- who sees what --------------------------------------------------------------------------

def acting_as(actor: Actor, agency_id: uuid.UUID | None) -> str | None:
    """'staff' (every training of the mission), 'partner' (a partner user of the training's
    agency) or None. With agency_id None: whether the actor records for any agency."""
    if actor.can(TRAININGS_REVIEW):
        return STAFF
    if actor.can(TRAININGS_RECORD) and actor.partner_agency_id is not None \
            and (agency_id is None or agency_id == actor.partner_agency_id):
        return PARTNER
    return None


@dataclass
class TrainingView:
    training: Training
    agency: PartnerAgency
    who: str
    parent: Training | None = None


async def get_training(db: AsyncSession, tenant: TenantContext, actor: Actor,
                       training_id: uuid.UUID, lock: bool = False) -> TrainingView:
    """The training if the actor may see it, else 404 (not even whether it exists). With
    lock, the row is held until commit: two clicks act one after the other."""
    query = (select(Training, PartnerAgency)
             .join(PartnerAgency, PartnerAgency.id == Training.partner_agency_id)
             .where(Training.tenant_id == tenant.id, Training.id == training_id))
    if lock:
        query = query.with_for_update(of=Training)
    row = (await db.execute(query)).first()
    if row is None:
        raise NotFoundException()
    training, agency = row
    who = acting_as(actor, training.partner_agency_id)
    if who is None:
        raise NotFoundException()
    if lock:
        await db.refresh(training)
    parent = None
    if training.parent_id is not None:
        parent = await db.scalar(select(Training).where(
            Training.tenant_id == tenant.id, Training.id == training.parent_id))
    return TrainingView(training, agency, who, parent)


async def institution_counts(db: AsyncSession, tenant: TenantContext,
                             training: Training) -> list[TrainingInstitutionCount]:
    return list(await db.scalars(select(TrainingInstitutionCount).where(
        TrainingInstitutionCount.tenant_id == tenant.id,
        TrainingInstitutionCount.training_id == training.id)
        .order_by(TrainingInstitutionCount.position)))


async def history(db: AsyncSession, tenant: TenantContext,
                  view: TrainingView) -> list[AuditEvent]:
    return await object_history(db, tenant, "training", view.training.id)


# --- lists ----------------------------------------------------------------------------------

@dataclass
class TrainingFilter:
    q: str = ""                       # words of the title, place, curriculum or target group
    status: str = ""
    kind: str = ""
    agency_id: uuid.UUID | None = None
    project_id: uuid.UUID | None = None
    thematic_area: str = ""
    period_from: date | None = None   # overlapping the period
    period_to: date | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def applied(self) -> dict[str, str]:
        """The filters in use, as the list's URL names them (for an export's audit)."""
        pairs = {"q": self.q, "status": self.status, "kind": self.kind,
                 "agency": str(self.agency_id or ""), "project": str(self.project_id or ""),
                 "area": self.thematic_area,
                 "from": self.period_from.isoformat() if self.period_from else "",
                 "to": self.period_to.isoformat() if self.period_to else ""}
        return {name: value for name, value in pairs.items() if value}


async def list_trainings(db: AsyncSession, tenant: TenantContext, actor: Actor,
                         flt: TrainingFilter | None = None) -> list[TrainingView]:
    """Staff: every training of the mission; a partner user: their agency's."""
    flt = flt or TrainingFilter()
    who = acting_as(actor, None)
    if who is None:
        raise PermissionDeniedException()
    query = (select(Training, PartnerAgency)
             .join(PartnerAgency, PartnerAgency.id == Training.partner_agency_id)
             .where(Training.tenant_id == tenant.id))
    if who == PARTNER:
        query = query.where(Training.partner_agency_id == actor.partner_agency_id)
    elif flt.agency_id:
        query = query.where(Training.partner_agency_id == flt.agency_id)
    if flt.status:
        query = query.where(Training.status == flt.status)
    if flt.kind:
        query = query.where(Training.kind == flt.kind)
    if flt.project_id:
        query = query.where(Training.funding_project_id == flt.project_id)
    if flt.q.strip():
        for word in flt.q.split()[:MAX_WORDS]:
            query = query.where(
                Training.title.icontains(word, autoescape=True)
                | Training.place.icontains(word, autoescape=True)
                | Training.curriculum.icontains(word, autoescape=True)
                | Training.target_group.icontains(word, autoescape=True))
    if flt.thematic_area:
        query = query.where(Training.thematic_area == flt.thematic_area)
    if flt.period_from:
        query = query.where(Training.end_date >= flt.period_from)
    if flt.period_to:
        query = query.where(Training.start_date <= flt.period_to)
    rows = await db.execute(query.order_by(Training.start_date.desc(), Training.title))
    return [TrainingView(training, agency, who) for training, agency in rows]


async def agencies_for(db: AsyncSession, tenant: TenantContext,
                       actor: Actor) -> list[PartnerAgency]:
    """The agencies the actor may record for: staff any active one, a partner user theirs."""
    query = select(PartnerAgency).where(PartnerAgency.tenant_id == tenant.id)
    if acting_as(actor, None) == STAFF:
        query = query.where(PartnerAgency.status == "active")
    else:
        query = query.where(PartnerAgency.id == actor.partner_agency_id)
    return list(await db.scalars(query.order_by(PartnerAgency.name)))


async def parent_options(db: AsyncSession, tenant: TenantContext, actor: Actor,
                         exclude: uuid.UUID | None = None) -> list[Training]:
    """Trainings of trainers and cascade sessions the actor sees: a cascade's parents."""
    query = select(Training).where(Training.tenant_id == tenant.id,
                                   Training.kind.in_(PARENT_KINDS))
    if acting_as(actor, None) != STAFF:
        query = query.where(Training.partner_agency_id == actor.partner_agency_id)
    if exclude is not None:
        query = query.where(Training.id != exclude)
    return list(await db.scalars(query.order_by(Training.start_date.desc(), Training.title)))


# --- the form -------------------------------------------------------------------------------

@dataclass
class TrainingForm:
    """What the form sent, as text; `institutions` are its rows (index, fields)."""

    title: str = ""
    kind: str = ""
    thematic_area: str = ""
    thematic_other: str = ""
    curriculum: str = ""
    curriculum_choice: str = ""     # a listed curriculum's code, "other" or none
    target_group: str = ""
    start_date: str = ""
    end_date: str = ""
    place: str = ""
    facilitators: str = ""
    partner_agency_id: str = ""
    parent_id: str = ""
    funding_project_id: str = ""
    assignment_id: str = ""
    participant_mode: str = "counts"
    counts: dict[str, str] = field(default_factory=dict)
    institutions: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    ages: dict[str, str] = field(default_factory=dict)
    sessions: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    version: int | None = None


@dataclass
class _Valid:
    values: dict
    institutions: list[dict]
    ages: dict[str, int]
    sessions: list[SessionRow]
    agency_id: uuid.UUID
    parent_id: uuid.UUID | None


async def _validate(db: AsyncSession, tenant: TenantContext, actor: Actor, form: TrainingForm,
                    training: Training | None) -> _Valid:
    errors = FieldErrors()
    title = errors.text("title", one_line(form.title), 300, required=True)
    kind = errors.choice("kind", form.kind, TRAINING_KINDS, required=True)
    offered = await mission_terms(db, tenant)
    areas = offered.area_codes + ([training.thematic_area] if training is not None else [])
    area = errors.choice("thematic_area", form.thematic_area, areas, required=True)
    area_other = errors.text("thematic_other", one_line(form.thematic_other), 200)
    if area == "other" and not area_other:
        errors["thematic_other"] = _("Name the thematic area.")
    curriculum = _curriculum(errors, offered, form, training)
    target = errors.text("target_group", one_line(form.target_group), 300)
    place = errors.text("place", one_line(form.place), 200)
    facilitators = errors.text("facilitators", form.facilitators.strip(), 2000)
    start = errors.day("start_date", form.start_date.strip())
    end = errors.day("end_date", form.end_date.strip())
    if start and end and end < start:
        errors["end_date"] = _("The end comes before the start.")
    mode = errors.choice("participant_mode", form.participant_mode.strip(),
                         PARTICIPANT_MODES, required=True) or "counts"
    counts, rows, ages = participants.counts(errors, form.counts, form.institutions,
                                             form.ages, MAX_INSTITUTIONS)
    if mode == "individual":
        if (training is None or training.participant_mode == "counts") \
                and (any(counts.values()) or rows or ages):
            errors["participant_mode"] = _("Participants listed one by one are counted from "
                                           "the list: set the counts to 0 first.")
        # Counted from the list (none yet when the training switches to it).
        counts = {sex: getattr(training, sex) if training is not None
                  and training.participant_mode == "individual" else 0
                  for sex in SEX_CATEGORIES}
    if training is not None and training.participant_mode == "individual":
        # The list's numbers stay, also when going back to counts (the names then go): the
        # form showed no counts to change.
        counts = {sex: getattr(training, sex) for sex in SEX_CATEGORIES}
        rows = _rows(await institution_counts(db, tenant, training))
        ages = await participants.age_counts_of(db, tenant, training)
    session_rows = participants.sessions(errors, form.sessions, start, end)

    # The agency: a partner user records for theirs; staff choose (or keep the training's).
    agency_id: uuid.UUID | None = None
    if acting_as(actor, None) == PARTNER:
        agency_id = actor.partner_agency_id
        if training is None and await db.scalar(select(PartnerAgency.status).where(
                PartnerAgency.tenant_id == tenant.id,
                PartnerAgency.id == agency_id)) != "active":
            errors["form"] = _("Your agency is no longer active in this mission: it records "
                               "no new trainings. Ask the mission's administrators.")
    elif training is not None and not form.partner_agency_id:
        agency_id = training.partner_agency_id
    else:
        allowed = {str(a.id): a.id for a in await agencies_for(db, tenant, actor)}
        if training is not None:
            allowed[str(training.partner_agency_id)] = training.partner_agency_id
        choice = errors.choice("partner_agency_id", form.partner_agency_id.strip(), allowed,
                               required=True)
        agency_id = allowed.get(choice or "")

    parent_id: uuid.UUID | None = None
    if form.parent_id.strip():
        parent_id = await _parent(db, tenant, actor, errors, form.parent_id.strip(), kind,
                                  agency_id, training)
    project_id = await funding_project_choice(
        db, tenant, errors, "funding_project_id", form.funding_project_id,
        keep=training.funding_project_id if training is not None else None)
    assignment_id = await _assignment(db, tenant, actor, errors, form.assignment_id, training)
    if errors:
        raise FormErrors(errors)
    assert agency_id is not None
    values = {"title": title, "kind": kind, "thematic_area": area,
              "thematic_other": area_other if area == "other" else "",
              "curriculum": curriculum, "target_group": target, "start_date": start,
              "end_date": end, "place": place, "facilitators": facilitators,
              "funding_project_id": project_id, "assignment_id": assignment_id,
              "participant_mode": mode, **counts}
    return _Valid(values, rows, ages, session_rows, agency_id, parent_id)


def _curriculum(errors: FieldErrors, offered: Terms, form: TrainingForm,
                training: Training | None) -> str:
    """One of the mission's curricula (kept by its code), or another typed in."""
    listed = [code for code, _name in offered.curricula]
    if training is not None and training.curriculum:
        listed.append(training.curriculum)
    choice = errors.choice("curriculum_choice", form.curriculum_choice.strip(),
                           [*listed, OTHER]) or ""
    typed = errors.text("curriculum", one_line(form.curriculum), 300)
    if choice == OTHER and not typed and "curriculum" not in errors:
        errors["curriculum"] = _("Name the curriculum, or choose one of the list.")
    return choice if choice and choice != OTHER else typed


async def _parent(db: AsyncSession, tenant: TenantContext, actor: Actor, errors: FieldErrors,
                  raw: str, kind: str | None, agency_id: uuid.UUID | None,
                  training: Training | None) -> uuid.UUID | None:
    """A cascade session's parent: a training of trainers or a cascade session of the same
    mission that the actor sees (a partner user: their agency's), never the training itself
    or one below it."""
    try:
        wanted = uuid.UUID(raw)
    except ValueError:
        errors["parent_id"] = _("Choose one of the options listed.")
        return None
    parent = await db.scalar(select(Training).where(Training.tenant_id == tenant.id,
                                                    Training.id == wanted))
    if parent is None or acting_as(actor, parent.partner_agency_id) is None:
        errors["parent_id"] = _("Choose one of the options listed.")
        return None
    if kind != "cascade":
        errors["parent_id"] = _("Only a cascade session names a parent training.")
        return None
    if parent.kind not in PARENT_KINDS:
        errors["parent_id"] = _("The parent must be a training of trainers or a cascade "
                                "session.")
        return None
    if training is not None:
        # Walk up from the parent: meeting the training itself would make a loop.
        seen = 0
        current: Training | None = parent
        while current is not None and seen < 50:
            if current.id == training.id:
                errors["parent_id"] = _("A training cannot sit below itself.")
                return None
            if current.parent_id is None:
                break
            current = await db.scalar(select(Training).where(
                Training.tenant_id == tenant.id, Training.id == current.parent_id))
            seen += 1
    return parent.id


async def assignment_options(db: AsyncSession, tenant: TenantContext,
                             actor: Actor) -> list[tuple[str, str]]:
    """The assignments staff may name as the one that delivered a training (partner users
    do not see assignments: they keep what staff chose)."""
    if acting_as(actor, None) != STAFF:
        return []
    return [(str(v.assignment.id), f"{v.request.title} — {v.profile.full_name}")
            for v in await list_assignments(db, tenant, actor)
            if v.assignment.status != "cancelled"]


async def _assignment(db: AsyncSession, tenant: TenantContext, actor: Actor,
                      errors: FieldErrors, raw: str,
                      training: Training | None) -> uuid.UUID | None:
    kept = training.assignment_id if training is not None else None
    if acting_as(actor, None) != STAFF:
        return kept
    wanted = errors.option_id("assignment_id", raw.strip())
    if wanted is None or wanted == kept:
        return wanted
    try:
        view = await get_assignment(db, tenant, actor, wanted)
    except NotFoundException:
        view = None
    if view is None or view.assignment.status == "cancelled":
        errors["assignment_id"] = _("Choose one of the options listed.")
        return None
    return wanted


async def funding_project_of(db: AsyncSession, tenant: TenantContext,
                             training: Training) -> FundingProject | None:
    if training.funding_project_id is None:
        return None
    return await db.scalar(select(FundingProject).where(
        FundingProject.tenant_id == tenant.id,
        FundingProject.id == training.funding_project_id))


def _rows(stored: list[TrainingInstitutionCount]) -> list[dict]:
    return [{"institution": r.institution, **{s: getattr(r, s) for s in SEX_CATEGORIES}}
            for r in stored]


def _snapshot(training: Training, rows: list[dict], ages: dict[str, int],
              sessions: list[SessionRow]) -> dict:
    return {"title": training.title, "kind": training.kind,
            "thematic_area": training.thematic_area, "thematic_other": training.thematic_other,
            "curriculum": training.curriculum, "target_group": training.target_group,
            "start_date": training.start_date.isoformat() if training.start_date else None,
            "end_date": training.end_date.isoformat() if training.end_date else None,
            "place": training.place, "facilitators": training.facilitators,
            "partner_agency_id": str(training.partner_agency_id),
            "parent_id": str(training.parent_id) if training.parent_id else None,
            "funding_project_id": (str(training.funding_project_id)
                                   if training.funding_project_id else None),
            "assignment_id": str(training.assignment_id) if training.assignment_id else None,
            "participant_mode": training.participant_mode,
            **{sex: getattr(training, sex) for sex in SEX_CATEGORIES},
            "institutions": rows, "ages": ages,
            "sessions": [[r.day.isoformat(), str(r.hours), r.place, r.online]
                         for r in sessions]}


async def create_training(db: AsyncSession, tenant: TenantContext, actor: Actor,
                          form: TrainingForm) -> Training:
    """A new training, planned, for the partner user's agency (staff: the one chosen)."""
    if acting_as(actor, None) is None:
        raise PermissionDeniedException()
    valid = await _validate(db, tenant, actor, form, None)
    training = Training(tenant_id=tenant.id, partner_agency_id=valid.agency_id,
                        parent_id=valid.parent_id, status="planned", created_by_id=actor.user_id,
                        version=1, updated_at=now(), **valid.values)
    db.add(training)
    await db.flush()
    await participants.write_breakdowns(db, tenant, training, valid.institutions, valid.ages)
    await participants.write_sessions(db, tenant, training, valid.sessions)
    record(db, tenant.id, actor, "training.created", "training", training.id,
           after=_snapshot(training, valid.institutions, valid.ages, valid.sessions))
    await db.commit()
    return training


def _check_version(training: Training, version: int | None) -> None:
    check_version(training, version, _("Someone changed this training while you were working on it. "
                                   "Here it is as it is now: check it and send your change "
                                   "again."))


async def update_training(db: AsyncSession, tenant: TenantContext, actor: Actor,
                          training_id: uuid.UUID, form: TrainingForm) -> Training:
    """The agency (or staff) corrects the record while it is planned, held or returned."""
    view = await get_training(db, tenant, actor, training_id, lock=True)
    training = view.training
    _check_version(training, form.version)
    if training.status not in EDITABLE:
        raise TrainingRefused(_("This training can no longer be changed: it is %(status)s.")
                              % {"status": status_label(training.status)})
    valid = await _validate(db, tenant, actor, form, training)
    before = _snapshot(training, _rows(await institution_counts(db, tenant, training)),
                       await participants.age_counts_of(db, tenant, training),
                       [participants.SessionRow(s.day, s.hours, s.place, s.online)
                        for s in await participants.sessions_of(db, tenant, training)])
    was_individual = training.participant_mode == "individual"
    for name, value in valid.values.items():
        setattr(training, name, value)
    training.partner_agency_id, training.parent_id = valid.agency_id, valid.parent_id
    after = _snapshot(training, valid.institutions, valid.ages, valid.sessions)
    if before == after:
        await db.rollback()
        return training
    await participants.write_breakdowns(db, tenant, training, valid.institutions, valid.ages)
    await participants.write_sessions(db, tenant, training, valid.sessions)
    await db.flush()
    sessions = await participants.sessions_of(db, tenant, training)
    if was_individual and training.participant_mode == "counts":
        # Data minimisation: the agency keeps the numbers and lets the names go; who
        # attended which session stays as numbers too.
        people = await participants.participants_of(db, tenant, training)
        await evidence.untie(db, tenant, training, [p.id for p in people], sessions)
        evidence.reduce_scores(training, people)
        await db.execute(delete(TrainingParticipant).where(
            TrainingParticipant.tenant_id == tenant.id,
            TrainingParticipant.training_id == training.id))
    if training.participant_mode == "individual":
        training.pre_score_avg = training.post_score_avg = training.tested = None
    elif (training.tested or 0) > training.total:
        raise FormErrors({"form": _(
            "%(n)s participants took the tests, more than the %(total)s counted: correct "
            "the tests first.") % {"n": training.tested, "total": training.total}})
    crowded = evidence.over_total(training, sessions, await _ticks(db, tenant, training))
    if crowded is not None:
        raise FormErrors({"sessions": _(
            "The session of %(day)s records %(n)s attending, more than the %(total)s "
            "participants counted: correct its attendance first.") % {
            "day": crowded.day.isoformat(),
            "n": (crowded.attended_count or 0), "total": training.total}})
    bump_version(training)
    changed = {k for k in after if before.get(k) != after[k]}
    record(db, tenant.id, actor, "training.updated", "training", training.id,
           before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    await db.commit()
    return training


async def _people_to_tell(db: AsyncSession, tenant: TenantContext, actor: Actor,
                          view: TrainingView, action: str) -> list[User]:
    """Every move is told to the other party: a review (approve, return, reopen) and any
    move staff make for the agency to the agency's partner users; the agency's own moves
    to the mission's reviewers, and a submission always to them (it waits for review)."""
    agency_users: list[User] = []
    if action in REVIEW_ACTIONS or acting_as(actor, None) == STAFF:
        roles = [role for role, granted in PERMISSIONS.items()
                 if TRAININGS_RECORD in granted and TRAININGS_REVIEW not in granted]
        agency_users = list(await db.scalars(
            select(User).join(Membership, Membership.user_id == User.id).where(
                Membership.tenant_id == tenant.id, Membership.status == "active",
                Membership.role.in_(roles), User.status == "active",
                Membership.partner_agency_id == view.training.partner_agency_id)))
    reviewers: list[User] = []
    if action == "submit" or (action not in REVIEW_ACTIONS and view.who == PARTNER):
        reviewers = await members_who_can(db, tenant, TRAININGS_REVIEW)
    return agency_users + [r for r in reviewers if r not in agency_users]


async def _tell(db: AsyncSession, tenant: TenantContext, actor: Actor, view: TrainingView,
                action: str, reason: str, link: str) -> None:
    for person in await _people_to_tell(db, tenant, actor, view, action):
        if person.id == actor.user_id:
            continue
        queue_mail(db, tenant, person.email, "training_status",
                   person.preferred_locale or tenant.default_locale, name=person.name,
                   title=view.training.title, agency=view.agency.name,
                   status=view.training.status, reason=reason, link=link)


async def move(db: AsyncSession, tenant: TenantContext, actor: Actor, training_id: uuid.UUID,
               action: str, reason: str, version: int | None,
               link: str | None = None) -> TrainingView:
    """A step of the life cycle as the table allows: the agency holds and submits, staff
    approve, return (with a reason the agency reads) or reopen an approved record (with a
    reason too). Audited; mailed to the other party (_people_to_tell) when a link to the
    training is given (the demo, writing the past, gives none)."""
    view = await get_training(db, tenant, actor, training_id, lock=True)
    training = view.training
    if action in REVIEW_ACTIONS and view.who != STAFF:
        raise PermissionDeniedException()
    _check_version(training, version)
    target = next_state(training.status, action)
    if target is None:
        raise TrainingRefused(_("This is not possible at this stage."))
    reason = reason.strip()[:MAX_REASON]
    if action in NEEDS_REASON and not reason:
        message = (_("Say why you reopen it: the agency will read it.") if action == "reopen"
                   else _("Say what to correct: the agency will read it."))
        raise TrainingRefused(message, "reason", status=422)
    if action == "submit" and training.total == 0:
        raise TrainingRefused(_("Count the participants before submitting."), status=422)
    before = training.status
    training.status = target
    if action in NEEDS_REASON:
        training.status_reason = reason
    elif action == "approve":
        training.status_reason = ""
    bump_version(training)
    record(db, tenant.id, actor, f"training.{action}", "training", training.id,
           before={"status": before}, after={"status": target, "reason": reason or None})
    if link is not None:
        await _tell(db, tenant, actor, view, action, reason, link)
    await db.commit()
    return view


# --- participants one by one ----------------------------------------------------------------

async def _listed(db: AsyncSession, tenant: TenantContext, actor: Actor,
                  training_id: uuid.UUID, version: int | None) -> Training:
    """The training, locked, if its participants are listed one by one and it may change."""
    training = (await get_training(db, tenant, actor, training_id, lock=True)).training
    _check_version(training, version)
    if training.status not in EDITABLE:
        raise TrainingRefused(_("This training can no longer be changed: it is %(status)s.")
                              % {"status": status_label(training.status)})
    if training.participant_mode != "individual":
        raise TrainingRefused(_("This training counts its participants: choose to list them "
                                "one by one first."))
    return training


def _counted(person: TrainingParticipant) -> dict:
    """What the audit trail keeps of a participant: never their name or contact."""
    return {"participant": str(person.id), "sex": person.sex, "age_group": person.age_group,
            "institution": person.institution}


async def _add(db: AsyncSession, tenant: TenantContext, training: Training,
               people: list[TrainingParticipant], rows: list[dict]) -> list[TrainingParticipant]:
    if len(people) + len(rows) > participants.MAX_PARTICIPANTS:
        raise TrainingRefused(_("List at most %(n)s participants one by one.") % {
            "n": participants.MAX_PARTICIPANTS}, "p-name", status=422)
    start = max((p.position for p in people), default=-1) + 1
    added = [participants.new_participant(tenant, training, start + i, values)
             for i, values in enumerate(rows)]
    db.add_all(added)
    await participants.count_the_list(db, tenant, training)
    bump_version(training)
    return added


async def add_participant(db: AsyncSession, tenant: TenantContext, actor: Actor,
                          training_id: uuid.UUID, form: participants.ParticipantForm,
                          version: int | None) -> TrainingParticipant:
    training = await _listed(db, tenant, actor, training_id, version)
    errors = FieldErrors()
    values = participants.participant(errors, form)
    if errors:
        raise FormErrors(errors)
    [person] = await _add(db, tenant, training,
                          await participants.participants_of(db, tenant, training), [values])
    record(db, tenant.id, actor, "training.participant_added", "training", training.id,
           after=_counted(person))
    await db.commit()
    return person


async def import_participants(db: AsyncSession, tenant: TenantContext, actor: Actor,
                              training_id: uuid.UUID,
                              forms: list[participants.ParticipantForm],
                              version: int | None) -> int:
    """A list of participants added at once, all or none: any invalid row refuses them all
    (`row-N-<field>` names the row and the field)."""
    training = await _listed(db, tenant, actor, training_id, version)
    errors: dict[str, str] = {}
    rows = []
    for i, form in enumerate(forms):
        found = FieldErrors()
        rows.append(participants.participant(found, form))
        errors.update({f"row-{i}-{name.removeprefix('p-')}": message
                       for name, message in found.items()})
    if errors or not rows:
        raise FormErrors(errors or {"file": _("The file lists no participant.")})
    await _add(db, tenant, training, await participants.participants_of(db, tenant, training),
               rows)
    record(db, tenant.id, actor, "training.participants_imported", "training", training.id,
           after={"rows": len(rows)})
    await db.commit()
    return len(rows)


async def _participant(db: AsyncSession, tenant: TenantContext, training: Training,
                       participant_id: uuid.UUID) -> TrainingParticipant:
    person = await db.scalar(select(TrainingParticipant).where(
        TrainingParticipant.tenant_id == tenant.id,
        TrainingParticipant.training_id == training.id,
        TrainingParticipant.id == participant_id))
    if person is None:
        raise NotFoundException()
    return person


async def remove_participant(db: AsyncSession, tenant: TenantContext, actor: Actor,
                             training_id: uuid.UUID, participant_id: uuid.UUID,
                             version: int | None) -> None:
    training = await _listed(db, tenant, actor, training_id, version)
    person = await _participant(db, tenant, training, participant_id)
    await db.delete(person)
    await participants.count_the_list(db, tenant, training)
    await _fit_attendance(db, tenant, training)
    bump_version(training)
    record(db, tenant.id, actor, "training.participant_removed", "training", training.id,
           before=_counted(person))
    await db.commit()


async def withdraw_consent(db: AsyncSession, tenant: TenantContext, actor: Actor,
                           training_id: uuid.UUID, participant_id: uuid.UUID) -> None:
    """A participant withdraws consent: reduced to counts (sex, age group, institution), at
    any stage of the training, even approved (the counts do not change)."""
    view = await get_training(db, tenant, actor, training_id, lock=True)
    person = await _participant(db, tenant, view.training, participant_id)
    if person.withdrawn_at is not None or not person.consent:
        await db.rollback()   # nothing identifies them already
        return
    participants.withdraw(person, now())
    await evidence.untie(db, tenant, view.training, [person.id],
                         await participants.sessions_of(db, tenant, view.training))
    bump_version(view.training)
    record(db, tenant.id, actor, "training.consent_withdrawn", "training", view.training.id,
           after=_counted(person))
    await db.commit()


# --- learning evidence ----------------------------------------------------------------------

async def _ticks(db: AsyncSession, tenant: TenantContext, training: Training) -> Counter:
    return Counter(s for _p, s in await evidence.ticks_of(db, tenant, training))


async def _fit_attendance(db: AsyncSession, tenant: TenantContext,
                          training: Training) -> None:
    """After a removal, no session counts more attendees than there are participants (a
    removed person who had withdrawn consent is among the counted, not which ones)."""
    await db.flush()
    ticks = await _ticks(db, tenant, training)
    for s in await participants.sessions_of(db, tenant, training):
        if s.attended_count is not None:
            s.attended_count = max(0, min(s.attended_count, training.total - ticks[s.id]))


@dataclass
class Evidence:
    attendance: evidence.Attendance
    ticks: set[tuple[uuid.UUID, uuid.UUID]]
    scores: evidence.Scores
    each_score: list[tuple]      # (participant, pre, post) of a listed training


async def learning_evidence(db: AsyncSession, tenant: TenantContext,
                            training: Training) -> Evidence:
    """What the training's page shows of attendance and tests."""
    ticks = await evidence.ticks_of(db, tenant, training)
    sessions = await participants.sessions_of(db, tenant, training)
    people = await participants.participants_of(db, tenant, training)
    return Evidence(evidence.attendance(training.total, sessions,
                                        Counter(s for _p, s in ticks)), ticks,
                    evidence.scores(training, people), _each_score(people))


async def record_evidence(db: AsyncSession, tenant: TenantContext, actor: Actor,
                          training_id: uuid.UUID, form: evidence.EvidenceForm,
                          version: int | None) -> None:
    """The attendance grid, while the training may change (locked once approved)."""
    training = (await get_training(db, tenant, actor, training_id, lock=True)).training
    _check_version(training, version)
    if training.status not in EDITABLE:
        raise TrainingRefused(_("This training can no longer be changed: it is %(status)s.")
                              % {"status": status_label(training.status)})
    sessions = await participants.sessions_of(db, tenant, training)
    people = await participants.participants_of(db, tenant, training)
    errors = FieldErrors()
    valid = evidence.validate(errors, training, form, sessions, people)
    if errors:
        raise FormErrors(errors)
    before = await learning_evidence(db, tenant, training)
    await evidence.write(db, tenant, training, sessions, people, valid)
    await db.flush()
    after = await learning_evidence(db, tenant, training)
    if _figures(before) == _figures(after) and before.ticks == after.ticks \
            and _each_score(people) == before.each_score:
        await db.rollback()
        return
    bump_version(training)
    record(db, tenant.id, actor, "training.evidence_recorded", "training", training.id,
           before=_figures(before), after=_figures(after))
    await db.commit()


def _figures(found: Evidence) -> dict:
    """What the audit trail keeps: the numbers per session and the averages, never who."""
    s = found.scores
    return {"attended": [row.attended for row in found.attendance.sessions],
            "tested": s.tested, "pre": None if s.pre is None else round(s.pre, 1),
            "post": None if s.post is None else round(s.post, 1)}


def _each_score(people: list[TrainingParticipant]) -> list[tuple]:
    return [(p.id, p.pre_score, p.post_score) for p in people]


# --- export ---------------------------------------------------------------------------------

EXPORT_COLUMNS = ["title", "partner_agency", "kind", "thematic_area", "thematic_other",
                  "curriculum", "target_group", "start_date", "end_date", "place",
                  "sessions", "hours", "funding_project", "donor", "parent_training",
                  "participants_listed", *SEX_CATEGORIES, "total", "status", "status_reason"]


# The same columns tagged for the Humanitarian Exchange Language (hxlstandard.org), a second
# header row that humanitarian tools (HDX, HXL Proxy) read: activities by organisation,
# place, date and people reached by sex. Attributes beyond the standard ones say which
# figure a column holds (+sessions, +hours).
HXL_TAGS = {
    "title": "#activity+name", "partner_agency": "#org+impl+name", "kind": "#activity+type",
    "thematic_area": "#sector+code", "thematic_other": "#sector+name",
    "curriculum": "#activity+curriculum", "target_group": "#beneficiary+type",
    "start_date": "#date+start", "end_date": "#date+end", "place": "#loc+name",
    "sessions": "#output+sessions+num", "hours": "#output+hours+num",
    "funding_project": "#activity+project+code", "donor": "#org+funder+name",
    "parent_training": "#activity+parent+name", "participants_listed": "#meta+listed",
    "female": "#reached+f", "male": "#reached+m", "other": "#reached+other",
    "not_recorded": "#reached+unknown", "total": "#reached+total", "status": "#status+code",
    "status_reason": "#status+reason"}


async def export_csv(db: AsyncSession, tenant: TenantContext, actor: Actor,
                     flt: TrainingFilter, hxl: bool = False) -> str:
    """The filtered list as CSV (staff: the mission's; a partner user: their agency's),
    formulas neutralised (app.web.csv_export); with `hxl`, the HXL hashtags as a second
    header row."""
    lines = await _export_rows(db, tenant, actor, flt, "hxl" if hxl else "csv")
    if hxl:
        lines.insert(0, [HXL_TAGS[column] for column in EXPORT_COLUMNS])
    return csv_text(EXPORT_COLUMNS, lines)


async def export_xlsx(db: AsyncSession, tenant: TenantContext, actor: Actor,
                      flt: TrainingFilter) -> bytes:
    """The same rows as the CSV, in a workbook (the reports' writer)."""
    return xlsx_bytes([("trainings", EXPORT_COLUMNS,
                        await _export_rows(db, tenant, actor, flt, "xlsx"))])


async def _export_rows(db: AsyncSession, tenant: TenantContext, actor: Actor,
                       flt: TrainingFilter, file_format: str) -> list[list]:
    """The export's rows; the audit trail records who took how many rows with which
    filters, in which format."""
    views = await list_trainings(db, tenant, actor, flt)
    ids = [v.training.id for v in views]
    hours = {training_id: (n, total) for training_id, n, total in await db.execute(
        select(TrainingSession.training_id, func.count(), func.sum(TrainingSession.hours))
        .where(TrainingSession.tenant_id == tenant.id, TrainingSession.training_id.in_(ids))
        .group_by(TrainingSession.training_id))}
    projects = {p.id: p for p in await db.scalars(select(FundingProject).where(
        FundingProject.tenant_id == tenant.id))}
    titles = dict((await db.execute(select(Training.id, Training.title).where(
        Training.tenant_id == tenant.id,
        Training.id.in_({v.training.parent_id for v in views if v.training.parent_id})))).all())
    offered = await mission_terms(db, tenant)
    lines = []
    for v in views:
        t = v.training
        project = projects.get(t.funding_project_id) if t.funding_project_id else None
        sessions, total_hours = hours.get(t.id, (0, None))
        lines.append([t.title, v.agency.name, t.kind, t.thematic_area, t.thematic_other,
                      offered.curriculum_name(t.curriculum), t.target_group,
                      t.start_date.isoformat(),
                      t.end_date.isoformat(), t.place, sessions, total_hours or "",
                      project.code if project else "", project.donor if project else "",
                      titles.get(t.parent_id, "") if t.parent_id else "",
                      "yes" if t.participant_mode == "individual" else "",
                      *(getattr(t, sex) for sex in SEX_CATEGORIES), t.total, t.status,
                      t.status_reason])
    record(db, tenant.id, actor, "training.exported", "training", None,
           after={"rows": len(lines), "filters": flt.applied(), "format": file_format})
    await db.commit()
    return lines


# --- certificates ---------------------------------------------------------------------------

def _certifiable(training: Training, person: TrainingParticipant) -> bool:
    """A certificate is issued once the training is approved, to a participant named with
    consent; withdrawing consent revokes it."""
    return (training.status == "approved" and person.consent and bool(person.name)
            and person.certificate_code is not None)


async def certificate(db: AsyncSession, tenant: TenantContext, actor: Actor,
                      training_id: uuid.UUID, participant_id: uuid.UUID,
                      verify_url: Callable[[str], str]) -> tuple[str, bytes]:
    """(file name, PDF) of a participant's certificate, with its verification code and the
    address of its public verification page."""
    view = await get_training(db, tenant, actor, training_id)
    training = view.training
    person = await _participant(db, tenant, training, participant_id)
    await db.commit()
    if not _certifiable(training, person):
        raise TrainingRefused(_("A certificate is issued once the training is approved, to a "
                                "participant named with their consent."))
    assert person.certificate_code is not None
    locale = current_locale()
    mission = tenant.display_name(locale)
    doc = PdfDocument(_("Certificate of participation"), locale, landscape=True,
                      author=mission)
    doc.paragraph(f"Diaspora Bridge · {mission}", size=10, centred=True)
    doc.space(6)
    doc.heading(_("Certificate of participation"), size=24, centred=True)
    doc.space(4)
    doc.heading(person.name, size=20, centred=True)
    doc.paragraph(_("took part in \u201c%(title)s\u201d, organised by %(agency)s, from "
                    "%(start)s to %(end)s.") % {
        "title": training.title, "agency": view.agency.name,
        "start": training.start_date.isoformat(), "end": training.end_date.isoformat()},
        centred=True)
    doc.space(8)
    doc.facts([(_("Verification code"), person.certificate_code),
               (_("Check it at"), verify_url(person.certificate_code))])
    return f"certificate-{person.certificate_code}.pdf", doc.output()


@dataclass
class CertificateCheck:
    valid: bool
    name: str = ""
    activity: str = ""
    day: date | None = None


async def check_certificate(db: AsyncSession, tenant: TenantContext,
                            code: str) -> CertificateCheck:
    """What the public verification page shows: only the name, the activity and its date
    for a valid certificate; that it was revoked otherwise. An unknown code is not found."""
    row = (await db.execute(
        select(TrainingParticipant, Training)
        .join(Training, Training.id == TrainingParticipant.training_id)
        .where(TrainingParticipant.tenant_id == tenant.id,
               TrainingParticipant.certificate_code == code.strip().upper()))).first()
    await db.commit()
    if row is None:
        raise NotFoundException()
    person, training = row
    if person.withdrawn_at is not None:
        return CertificateCheck(valid=False)    # revoked with the consent
    if not _certifiable(training, person):
        raise NotFoundException()               # not issued (yet)
    return CertificateCheck(True, person.name, training.title, training.end_date)
