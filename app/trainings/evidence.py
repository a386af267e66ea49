"""Learning evidence of a training: attendance per session.

A training listing its participants one by one ticks who attended which session (a
TrainingAttendance row each); a training counting its participants records how many
attended each session. Both kinds keep `attended_count` on the session: the attendees
counted, not listed — everyone of a counted training, and in a listed one the people who
withdrew consent (their ticks are turned into that number, so nothing ties them to a
session any more). A session whose `attended_count` is None has no attendance recorded.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import gettext as _
from app.trainings.models import (
    Training,
    TrainingAttendance,
    TrainingParticipant,
    TrainingSession,
)
from app.web.forms import FieldErrors
from tenants.context import TenantContext

# --- figures (pure) -------------------------------------------------------------------------


@dataclass
class SessionAttendance:
    session: TrainingSession
    attended: int | None           # None: not recorded
    rate: float | None             # of the training's participants


@dataclass
class Attendance:
    sessions: list[SessionAttendance]
    overall: float | None          # attendances over participants × sessions recorded


def attendance(total: int, sessions: list[TrainingSession],
               ticks: Counter[uuid.UUID]) -> Attendance:
    """Each session's attendance and rate, and the overall rate over the sessions
    recorded (`ticks`: the listed participants ticked per session id)."""
    rows, attended_sum, recorded = [], 0, 0
    for s in sessions:
        if s.attended_count is None and not ticks[s.id]:
            rows.append(SessionAttendance(s, None, None))
            continue
        n = (s.attended_count or 0) + ticks[s.id]
        attended_sum, recorded = attended_sum + n, recorded + 1
        rows.append(SessionAttendance(s, n, n / total if total else None))
    overall = attended_sum / (total * recorded) if total and recorded else None
    return Attendance(rows, overall)


# --- the form -------------------------------------------------------------------------------

@dataclass
class EvidenceForm:
    """What the attendance grid sent: ticks `att-<participant>-<session>` of a listed
    training, numbers `attended-<session>` of a counted one."""

    ticked: set[tuple[str, str]] = field(default_factory=set)
    counts: dict[str, str] = field(default_factory=dict)


def read_form(data) -> EvidenceForm:
    form = EvidenceForm()
    for key in data.keys():
        if key.startswith("att-") and data.get(key) == "1":
            participant, _sep, session = key.removeprefix("att-").partition("~")
            form.ticked.add((participant, session))
        elif key.startswith("attended-"):
            form.counts[key.removeprefix("attended-")] = (data.get(key) or "").strip()
    return form


@dataclass
class ValidEvidence:
    ticks: set[tuple[uuid.UUID, uuid.UUID]]      # (participant, session)
    counts: dict[uuid.UUID, int | None]          # session -> attendees counted


def validate(errors: FieldErrors, training: Training, form: EvidenceForm,
             sessions: list[TrainingSession],
             people: list[TrainingParticipant]) -> ValidEvidence:
    """Ticks only of listed participants still named (not withdrawn) and of the training's
    sessions; counts from 0 to the training's participants (a blank: not recorded)."""
    session_ids = {str(s.id): s.id for s in sessions}
    tickable = {str(p.id): p.id for p in people if p.withdrawn_at is None}
    ticks: set[tuple[uuid.UUID, uuid.UUID]] = set()
    counts: dict[uuid.UUID, int | None] = {}
    if training.participant_mode == "individual":
        for person, session in form.ticked:
            if person not in tickable or session not in session_ids:
                errors["attendance"] = _("Tick only the participants and sessions listed.")
                break
            ticks.add((tickable[person], session_ids[session]))
    else:
        if form.ticked:
            errors["attendance"] = _("This training counts its participants: enter how "
                                     "many attended each session.")
        for raw_id, raw in form.counts.items():
            if raw_id not in session_ids:
                errors["attendance"] = _("Enter attendance only for the sessions listed.")
                continue
            n = errors.integer(f"attended-{raw_id}", raw, 0, training.total)
            counts[session_ids[raw_id]] = n
    return ValidEvidence(ticks, counts)


# --- stored ---------------------------------------------------------------------------------

async def ticks_of(db: AsyncSession, tenant: TenantContext,
                   training: Training) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """(participant, session) of every tick of the training."""
    rows = await db.execute(select(TrainingAttendance.participant_id,
                                   TrainingAttendance.session_id).where(
        TrainingAttendance.tenant_id == tenant.id,
        TrainingAttendance.training_id == training.id))
    return {(p, s) for p, s in rows}


async def write(db: AsyncSession, tenant: TenantContext, training: Training,
                sessions: list[TrainingSession], valid: ValidEvidence) -> None:
    """Replace the training's attendance with the grid's. A listed training's sessions are
    all recorded once the grid is saved (an unticked one was attended by nobody)."""
    if training.participant_mode == "individual":
        await db.execute(delete(TrainingAttendance).where(
            TrainingAttendance.tenant_id == tenant.id,
            TrainingAttendance.training_id == training.id))
        db.add_all(TrainingAttendance(tenant_id=tenant.id, training_id=training.id,
                                      session_id=session, participant_id=person)
                   for person, session in sorted(valid.ticks))
        for s in sessions:
            s.attended_count = s.attended_count or 0
    else:
        for s in sessions:
            if s.id in valid.counts:
                s.attended_count = valid.counts[s.id]


async def untie(db: AsyncSession, tenant: TenantContext, training: Training,
                person_ids: list[uuid.UUID], sessions: list[TrainingSession]) -> None:
    """The people's ticks become counted attendees of their sessions, and the ticks go:
    on consent withdrawn, or when the whole list is reduced to counts."""
    if not person_ids:
        return
    ticked = Counter(s for p, s in await ticks_of(db, tenant, training) if p in person_ids)
    for s in sessions:
        if ticked[s.id]:
            s.attended_count = (s.attended_count or 0) + ticked[s.id]
    await db.execute(delete(TrainingAttendance).where(
        TrainingAttendance.tenant_id == tenant.id,
        TrainingAttendance.training_id == training.id,
        TrainingAttendance.participant_id.in_(person_ids)))


def over_total(training: Training, sessions: list[TrainingSession],
               ticks: Counter[uuid.UUID]) -> TrainingSession | None:
    """A session recording more attendees than the training has participants, if any."""
    for s in sessions:
        if (s.attended_count or 0) + ticks[s.id] > training.total:
            return s
    return None
