"""Learning evidence of a training: attendance per session, and pre- and post-test scores.

A training listing its participants one by one ticks who attended which session (a
TrainingAttendance row each); a training counting its participants records how many
attended each session. Both kinds keep `attended_count` on the session: the attendees
counted, not listed — everyone of a counted training, and in a listed one the people who
withdrew consent (their ticks are turned into that number, so nothing ties them to a
session any more). A session whose `attended_count` is None has no attendance recorded.

Scores run from 0 to 100 (one decimal): each listed participant's pre- and post-test, each
optional; a counted training records the averages and how many were tested. The gain is
the post-test average less the pre-test average of those who took both.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

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


@dataclass
class Scores:
    tested: int                    # took both tests
    pre: float | None
    post: float | None

    @property
    def gain(self) -> float | None:
        return None if self.pre is None or self.post is None else self.post - self.pre


def scores(training: Training, people: list[TrainingParticipant]) -> Scores:
    """The averages of those who took both tests: the listed participants', or the
    counted training's own figures."""
    if training.participant_mode == "individual":
        return listed_scores(people)
    if not training.tested or training.pre_score_avg is None \
            or training.post_score_avg is None:
        return Scores(0, None, None)
    return Scores(training.tested, float(training.pre_score_avg),
                  float(training.post_score_avg))


def listed_scores(people: list[TrainingParticipant]) -> Scores:
    both = [(float(p.pre_score), float(p.post_score)) for p in people
            if p.pre_score is not None and p.post_score is not None]
    if not both:
        return Scores(0, None, None)
    return Scores(len(both), sum(a for a, _b in both) / len(both),
                  sum(b for _a, b in both) / len(both))


def score(errors: FieldErrors, name: str, raw: str) -> Decimal | None:
    """A test score from 0 to 100 with at most one decimal (a blank: not taken)."""
    if not raw:
        return None
    try:
        value = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        value = Decimal("NaN")
    # the range first: quantize() fails on a number of a thousand digits
    if not value.is_finite() or not 0 <= value <= 100 \
            or value != value.quantize(Decimal("0.1")):
        errors[name] = _("Enter a score from 0 to 100, like 65 or 72.5.")
        return None
    return value


# --- the form -------------------------------------------------------------------------------

@dataclass
class EvidenceForm:
    """What the attendance grid sent: ticks `att-<participant>-<session>` of a listed
    training, numbers `attended-<session>` of a counted one."""

    ticked: set[tuple[str, str]] = field(default_factory=set)
    counts: dict[str, str] = field(default_factory=dict)
    # a listed participant's id -> (pre, post); a counted training's averages and tested
    scores: dict[str, tuple[str, str]] = field(default_factory=dict)
    pre_avg: str = ""
    post_avg: str = ""
    tested: str = ""


def read_form(data) -> EvidenceForm:
    form = EvidenceForm(pre_avg=(data.get("pre_avg") or "").strip(),
                        post_avg=(data.get("post_avg") or "").strip(),
                        tested=(data.get("tested") or "").strip())
    for key in data.keys():
        if key.startswith("att-") and data.get(key) == "1":
            participant, _sep, session = key.removeprefix("att-").partition("~")
            form.ticked.add((participant, session))
        elif key.startswith("attended-"):
            form.counts[key.removeprefix("attended-")] = (data.get(key) or "").strip()
        elif key.startswith(("pre-", "post-")):
            which, _sep, participant = key.partition("-")
            pre, post = form.scores.get(participant, ("", ""))
            value = (data.get(key) or "").strip()
            form.scores[participant] = (value, post) if which == "pre" else (pre, value)
    return form


@dataclass
class ValidEvidence:
    ticks: set[tuple[uuid.UUID, uuid.UUID]]      # (participant, session)
    counts: dict[uuid.UUID, int | None]          # session -> attendees counted
    scores: dict[uuid.UUID, tuple[Decimal | None, Decimal | None]] = field(
        default_factory=dict)
    # a counted training's (pre average, post average, tested)
    averages: tuple[Decimal | None, Decimal | None, int | None] = (None, None, None)


def validate(errors: FieldErrors, training: Training, form: EvidenceForm,
             sessions: list[TrainingSession],
             people: list[TrainingParticipant]) -> ValidEvidence:
    """Ticks only of listed participants still named (not withdrawn) and of the training's
    sessions; counts from 0 to the training's participants (a blank: not recorded)."""
    session_ids = {str(s.id): s.id for s in sessions}
    tickable = {str(p.id): p.id for p in people if p.withdrawn_at is None}
    ticks: set[tuple[uuid.UUID, uuid.UUID]] = set()
    counts: dict[uuid.UUID, int | None] = {}
    found = ValidEvidence(ticks, counts)
    if training.participant_mode == "individual":
        for person, session in form.ticked:
            if person not in tickable or session not in session_ids:
                errors["attendance"] = _("Tick only the participants and sessions listed.")
                break
            ticks.add((tickable[person], session_ids[session]))
        listed = {str(p.id): p.id for p in people}
        for person, (pre, post) in form.scores.items():
            if person not in listed:
                errors["scores"] = _("Enter scores only for the participants listed.")
                continue
            found.scores[listed[person]] = (score(errors, f"pre-{person}", pre),
                                            score(errors, f"post-{person}", post))
        if form.pre_avg or form.post_avg or form.tested:
            errors["scores"] = _("This training lists its participants: enter each "
                                 "one's scores.")
    else:
        if form.scores:
            errors["scores"] = _("This training counts its participants: enter the average "
                                 "scores and how many were tested.")
        found.averages = _averages(errors, training, form)
        if form.ticked:
            errors["attendance"] = _("This training counts its participants: enter how "
                                     "many attended each session.")
        for raw_id, raw in form.counts.items():
            if raw_id not in session_ids:
                errors["attendance"] = _("Enter attendance only for the sessions listed.")
                continue
            n = errors.integer(f"attended-{raw_id}", raw, 0, training.total)
            counts[session_ids[raw_id]] = n
    return found


def _averages(errors: FieldErrors, training: Training,
              form: EvidenceForm) -> tuple[Decimal | None, Decimal | None, int | None]:
    """A counted training's average scores and how many took the tests (up to its
    participants): averages need someone tested, and someone tested needs an average."""
    pre = score(errors, "pre_avg", form.pre_avg)
    post = score(errors, "post_avg", form.post_avg)
    tested = errors.integer("tested", form.tested, 0, training.total)
    if "tested" not in errors and (pre is not None or post is not None) and not tested:
        errors["tested"] = _("Enter how many participants took the tests.")
    if tested and pre is None and post is None and not {"pre_avg", "post_avg"} & set(errors):
        errors["pre_avg"] = _("Enter the average scores of those tested.")
    return pre, post, tested


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
                sessions: list[TrainingSession], people: list[TrainingParticipant],
                valid: ValidEvidence) -> None:
    """Replace the training's attendance and scores with the grid's. A listed training's
    sessions are all recorded once the grid is saved (an unticked one was attended by
    nobody)."""
    if training.participant_mode == "individual":
        await db.execute(delete(TrainingAttendance).where(
            TrainingAttendance.tenant_id == tenant.id,
            TrainingAttendance.training_id == training.id))
        db.add_all(TrainingAttendance(tenant_id=tenant.id, training_id=training.id,
                                      session_id=session, participant_id=person)
                   for person, session in sorted(valid.ticks))
        for s in sessions:
            s.attended_count = s.attended_count or 0
        for person in people:
            if person.id in valid.scores:
                person.pre_score, person.post_score = valid.scores[person.id]
    else:
        for s in sessions:
            if s.id in valid.counts:
                s.attended_count = valid.counts[s.id]
        training.pre_score_avg, training.post_score_avg, training.tested = valid.averages


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


def reduce_scores(training: Training, people: list[TrainingParticipant]) -> None:
    """A list reduced to counts keeps its scores as the averages of those tested."""
    found = listed_scores(people)
    training.tested = found.tested or None
    training.pre_score_avg = (Decimal(f"{found.pre:.1f}") if found.pre is not None
                              else None)
    training.post_score_avg = (Decimal(f"{found.post:.1f}") if found.post is not None
                               else None)
