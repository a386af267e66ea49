"""A training's sessions and its participants, either as counts or one by one.

Counted participants: totals by sex (the training's columns), and breakdowns of those
totals by institution (per sex) and by age group, each allowed to be partial (the parts
never exceed the totals; what is left is shown as "not broken down").

Participants one by one (the agency chooses per activity): each with sex and age group,
optionally name, institution, role and contact, the name, role and contact only with the
person's recorded consent. The training's counts are then derived from the list, so the
totals always equal the sum of the parts and every report reads the same columns. A
participant who withdraws consent is reduced to counts: sex, age group and institution
stay, everything else is erased."""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import gettext as _
from app.trainings.models import (
    AGE_GROUPS,
    SEX_CATEGORIES,
    Training,
    TrainingAgeCount,
    TrainingInstitutionCount,
    TrainingParticipant,
    TrainingSession,
)
from app.web.forms import FieldErrors
from tenants.context import TenantContext

MAX_SESSIONS = 60
MAX_PARTICIPANTS = 2000   # listed one by one in one activity
MAX_COUNT = 100_000       # participants of one category in one activity


# --- breakdowns (pure) ----------------------------------------------------------------------

@dataclass
class Breakdown:
    """A total and its parts; what the parts leave out is `not_broken_down`."""

    total: int
    parts: list[tuple[str, int]] = field(default_factory=list)

    @property
    def counted(self) -> int:
        return sum(n for _label, n in self.parts)

    @property
    def not_broken_down(self) -> int:
        return self.total - self.counted

    @property
    def partial(self) -> bool:
        return self.not_broken_down != 0


def one_line(raw: str) -> str:
    return " ".join(raw.split())


@dataclass
class Derived:
    """A list of participants as the counts a training keeps."""

    sexes: dict[str, int]
    institutions: list[dict]
    ages: dict[str, int]


def derive(people: list[TrainingParticipant]) -> Derived:
    """The counts of a list of participants: every person counts once by sex and by age
    group, and by institution where one is named (in order of first appearance)."""
    sexes = Counter(p.sex for p in people)
    ages = Counter(p.age_group for p in people)
    institutions: dict[str, dict] = {}
    for person in people:
        if person.institution:
            key = person.institution.casefold()
            row = institutions.setdefault(key, {"institution": person.institution,
                                                **dict.fromkeys(SEX_CATEGORIES, 0)})
            row[person.sex] += 1
    return Derived({sex: sexes[sex] for sex in SEX_CATEGORIES}, list(institutions.values()),
                   {age: ages[age] for age in AGE_GROUPS if ages[age]})


# --- reading forms --------------------------------------------------------------------------

def counts(errors: FieldErrors, totals: dict[str, str], institutions: list[tuple[int, dict]],
           ages: dict[str, str], max_institutions: int) -> tuple[dict[str, int], list[dict],
                                                               dict[str, int]]:
    """The counts by sex, the institutions' rows and the counts by age group, as the form
    sent them: whole numbers from 0 to MAX_COUNT (a blank is 0), each institution named,
    and the breakdowns never adding up to more than the totals (a partial breakdown is
    fine). Messages go to `errors`, next to their fields."""
    sexes = {sex: errors.integer(sex, totals.get(sex, "").strip(), 0, MAX_COUNT) or 0
             for sex in SEX_CATEGORIES}
    rows: list[dict] = []
    if len(institutions) > max_institutions:
        errors["institutions"] = _("List at most %(n)s institutions.") % {"n": max_institutions}
    for i, raw in institutions[:max_institutions]:
        name = errors.text(f"inst-{i}-institution", one_line(raw.get("institution", "")), 300,
                           required=True)
        row: dict = {"institution": name}
        for sex in SEX_CATEGORIES:
            row[sex] = errors.integer(f"inst-{i}-{sex}", raw.get(sex, "").strip(), 0,
                                      MAX_COUNT) or 0
        rows.append(row)
    for sex in SEX_CATEGORIES:
        if sex not in errors and sum(r[sex] for r in rows) > sexes[sex]:
            errors[sex] = _("The institutions below add up to more than this total.")
    by_age = {}
    for age in AGE_GROUPS:
        n = errors.integer(f"age-{age}", ages.get(age, "").strip(), 0, MAX_COUNT)
        if n:
            by_age[age] = n
    if not any(f"age-{age}" in errors for age in AGE_GROUPS) \
            and sum(by_age.values()) > sum(sexes.values()):
        errors["ages"] = _("The age groups add up to more than the participants counted.")
    return sexes, rows, by_age


@dataclass
class SessionRow:
    day: date
    hours: Decimal
    place: str
    online: bool


def sessions(errors: FieldErrors, posted: list[tuple[int, dict]], start: date | None,
             end: date | None) -> list[SessionRow]:
    """The sessions' rows: a day within the training's dates, hours from 0.5 to 24 (one
    decimal), and a place unless online."""
    found: list[SessionRow] = []
    if len(posted) > MAX_SESSIONS:
        errors["sessions"] = _("List at most %(n)s sessions.") % {"n": MAX_SESSIONS}
    for i, raw in posted[:MAX_SESSIONS]:
        day = errors.day(f"sess-{i}-day", raw.get("day", "").strip())
        if day and start and end and not start <= day <= end:
            errors[f"sess-{i}-day"] = _("Choose a day from the training's start to its end.")
        hours = _hours(errors, f"sess-{i}-hours", raw.get("hours", "").strip())
        online = raw.get("online") == "1"
        place = errors.text(f"sess-{i}-place", one_line(raw.get("place", "")), 200)
        if not online and not place and f"sess-{i}-place" not in errors:
            errors[f"sess-{i}-place"] = _("Name the place, or tick online.")
        if day and hours is not None:
            found.append(SessionRow(day, hours, "" if online else place, online))
    return found


def _hours(errors: FieldErrors, name: str, raw: str) -> Decimal | None:
    if not raw:
        errors[name] = _("This field is required.")
        return None
    try:
        hours = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        hours = Decimal("NaN")
    # the range first: quantize() itself fails on a number of a thousand digits
    if not hours.is_finite() or not Decimal("0.5") <= hours <= 24 \
            or hours != hours.quantize(Decimal("0.1")):
        errors[name] = _("Enter the hours as a number from 0.5 to 24, like 3 or 2.5.")
        return None
    return hours


@dataclass
class ParticipantForm:
    name: str = ""
    sex: str = ""
    age_group: str = ""
    institution: str = ""
    role: str = ""
    contact: str = ""
    consent: bool = False


def participant(errors: FieldErrors, form: ParticipantForm) -> dict:
    """One participant: sex and age group required; name, role and contact only with the
    person's consent recorded (without it nothing identifies them)."""
    name = errors.text("p-name", one_line(form.name), 200)
    sex = errors.choice("p-sex", form.sex.strip(), SEX_CATEGORIES, required=True)
    age = errors.choice("p-age_group", form.age_group.strip(), AGE_GROUPS, required=True)
    institution = errors.text("p-institution", one_line(form.institution), 300)
    role = errors.text("p-role", one_line(form.role), 200)
    contact = errors.text("p-contact", one_line(form.contact), 200)
    if not form.consent:
        for key, value in (("p-name", name), ("p-role", role), ("p-contact", contact)):
            if value and key not in errors:
                errors[key] = _("Record the person's consent to keep this, or leave it "
                                "empty.")
    return {"name": name, "sex": sex, "age_group": age, "institution": institution,
            "role": role, "contact": contact, "consent": form.consent}


# --- stored ---------------------------------------------------------------------------------

async def sessions_of(db: AsyncSession, tenant: TenantContext,
                      training: Training) -> list[TrainingSession]:
    return list(await db.scalars(select(TrainingSession).where(
        TrainingSession.tenant_id == tenant.id, TrainingSession.training_id == training.id)
        .order_by(TrainingSession.position)))


async def participants_of(db: AsyncSession, tenant: TenantContext,
                          training: Training) -> list[TrainingParticipant]:
    return list(await db.scalars(select(TrainingParticipant).where(
        TrainingParticipant.tenant_id == tenant.id,
        TrainingParticipant.training_id == training.id)
        .order_by(TrainingParticipant.position)))


async def age_counts_of(db: AsyncSession, tenant: TenantContext,
                        training: Training) -> dict[str, int]:
    rows = await db.scalars(select(TrainingAgeCount).where(
        TrainingAgeCount.tenant_id == tenant.id, TrainingAgeCount.training_id == training.id))
    found = {row.age_group: row.participants for row in rows}
    return {age: found[age] for age in AGE_GROUPS if age in found}


async def write_sessions(db: AsyncSession, tenant: TenantContext, training: Training,
                         rows: list[SessionRow]) -> None:
    """The form's sessions, each kept on the stored session of the same day where there is
    one (its attendance stays with it); a stored day no longer listed goes with its
    attendance."""
    stored = await sessions_of(db, tenant, training)
    for position, row in enumerate(rows):
        same_day = next((s for s in stored if s.day == row.day), None)
        if same_day is None:
            db.add(TrainingSession(tenant_id=tenant.id, training_id=training.id,
                                   position=position, day=row.day, hours=row.hours,
                                   place=row.place, online=row.online))
            continue
        stored.remove(same_day)
        same_day.position, same_day.hours = position, row.hours
        same_day.place, same_day.online = row.place, row.online
    if stored:
        await db.execute(delete(TrainingSession).where(
            TrainingSession.tenant_id == tenant.id,
            TrainingSession.id.in_([s.id for s in stored])))


async def write_breakdowns(db: AsyncSession, tenant: TenantContext, training: Training,
                           institutions: list[dict], ages: dict[str, int]) -> None:
    """Replace the institutions' rows and the age groups' counts."""
    await db.execute(delete(TrainingInstitutionCount).where(
        TrainingInstitutionCount.tenant_id == tenant.id,
        TrainingInstitutionCount.training_id == training.id))
    await db.execute(delete(TrainingAgeCount).where(
        TrainingAgeCount.tenant_id == tenant.id, TrainingAgeCount.training_id == training.id))
    for position, row in enumerate(institutions):
        db.add(TrainingInstitutionCount(tenant_id=tenant.id, training_id=training.id,
                                        position=position, **row))
    for age, n in ages.items():
        db.add(TrainingAgeCount(tenant_id=tenant.id, training_id=training.id, age_group=age,
                                participants=n))


async def count_the_list(db: AsyncSession, tenant: TenantContext, training: Training) -> None:
    """A training listing its participants one by one: its counts from the list."""
    await db.flush()
    derived = derive(await participants_of(db, tenant, training))
    for sex, n in derived.sexes.items():
        setattr(training, sex, n)
    await write_breakdowns(db, tenant, training, derived.institutions, derived.ages)


def breakdowns(training: Training, institutions: list[TrainingInstitutionCount],
               ages: dict[str, int], age_labels: dict[str, str]) -> dict[str, Breakdown]:
    """What the training's page shows: the total by institution and by age group, each
    with what is not broken down."""
    return {"institution": Breakdown(training.total, [(r.institution, r.total)
                                                      for r in institutions]),
            "age": Breakdown(training.total, [(age_labels.get(a, a), n)
                                              for a, n in ages.items()])}


def new_participant(tenant: TenantContext, training: Training, position: int,
                    values: dict) -> TrainingParticipant:
    return TrainingParticipant(tenant_id=tenant.id, training_id=training.id,
                               position=position, certificate_code=certificate_code(),
                               **values)


def certificate_code() -> str:
    """Sixteen letters and digits in groups of four, easy to read out: 80 random bits."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no 0/O, 1/I
    letters = "".join(secrets.choice(alphabet) for _i in range(16))
    return "-".join(letters[i:i + 4] for i in range(0, 16, 4))


def withdraw(person: TrainingParticipant, at) -> None:
    """Reduce a participant to counts: sex, age group and institution stay."""
    person.name = person.role = person.contact = ""
    person.consent = False
    person.withdrawn_at = at

