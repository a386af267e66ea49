"""The daily reminders (app.tasks runs them every hour; each mission's go once its local
morning has come): an expert hears of their overdue milestones and of a final report still
missing, a host institution's focal points of an evaluation still missing. One mail a person
lists their items; an item is mailed to a person at most once a day of the mission's
calendar (assignment_reminders_sent, written before the mail in the same transaction).

Each mail ends with a link that turns the reminders off without signing in: a token signed
with the portal's secret (app.core.tokens.sign) naming the mission and the person. People
turn them on and off again on their assignments page too."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from litestar.exceptions import NotFoundException
from sqlalchemy import and_, delete, exists, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Membership, User
from app.assignment_requests.models import AssignmentRequest
from app.assignments.models import (
    Assignment,
    Evaluation,
    FinalReport,
    Milestone,
    ReminderOptOut,
    ReminderSent,
)
from app.assignments.states import OPEN
from app.audit.services import record
from app.core.actor import Actor
from app.core.tokens import sign, unsign
from app.experts.models import ExpertProfile
from app.notifications.services import queue_mail
from tenants.context import TenantContext

MORNING = 8  # the mission's local hour from which the day's reminders go
KEEP_DAYS = 14  # how long the record of sent reminders is kept
PURPOSE = "assignment-reminders-off"
# Reports and evaluations waiting for review count as sent.
SENT = ("submitted", "accepted")
FOCAL_POINT = "institution_focal_point"


@dataclass
class Item:
    key: str        # "milestone:<id>", "report:<assignment id>", "evaluation:<assignment id>"
    kind: str       # milestone, report, evaluation
    number: int
    title: str
    assignment_id: uuid.UUID
    milestone: str = ""
    due: str = ""


@dataclass
class Person:
    user: User
    items: list[Item] = field(default_factory=list)


def local_moment(tenant: TenantContext, moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(tenant.time_zone))


async def due_items(db: AsyncSession, tenant: TenantContext,
                    today: date) -> dict[uuid.UUID, Person]:
    """Who is waited on today, for what, leaving out people who turned reminders off."""
    people: dict[uuid.UUID, Person] = {}
    opted_out = set(await db.scalars(select(ReminderOptOut.user_id).where(
        ReminderOptOut.tenant_id == tenant.id)))

    def add(user: User, item: Item) -> None:
        if user.status == "active" and user.id not in opted_out:
            people.setdefault(user.id, Person(user)).items.append(item)

    expert = (select(Assignment, AssignmentRequest, User)
              .join(AssignmentRequest, AssignmentRequest.id == Assignment.request_id)
              .join(ExpertProfile, ExpertProfile.id == Assignment.profile_id)
              .join(User, User.id == ExpertProfile.user_id)
              .where(Assignment.tenant_id == tenant.id, Assignment.status.in_(OPEN)))
    late = await db.execute(
        expert.add_columns(Milestone)
        .join(Milestone, Milestone.assignment_id == Assignment.id)
        .where(Milestone.tenant_id == tenant.id, Milestone.status == "pending",
               Milestone.due_date < today)
        .order_by(AssignmentRequest.number, Milestone.due_date, Milestone.position))
    for assignment, request, user, milestone in late:
        add(user, Item(f"milestone:{milestone.id}", "milestone", request.number, request.title,
                       assignment.id, milestone.title, milestone.due_date.isoformat()))
    report_sent = exists().where(FinalReport.tenant_id == tenant.id,
                                 FinalReport.assignment_id == Assignment.id,
                                 FinalReport.status.in_(SENT))
    no_report = await db.execute(expert.where(
        ~report_sent,
        or_(Assignment.status == "completed",
            and_(Assignment.status == "in_progress", Assignment.planned_end < today)))
        .order_by(AssignmentRequest.number))
    for assignment, request, user in no_report:
        add(user, Item(f"report:{assignment.id}", "report", request.number, request.title,
                       assignment.id))
    evaluation_sent = exists().where(Evaluation.tenant_id == tenant.id,
                                     Evaluation.assignment_id == Assignment.id,
                                     Evaluation.status.in_(SENT))
    no_evaluation = await db.execute(
        select(Assignment, AssignmentRequest, User)
        .join(AssignmentRequest, AssignmentRequest.id == Assignment.request_id)
        .join(Membership, and_(Membership.tenant_id == tenant.id,
                               Membership.host_institution_id == AssignmentRequest.institution_id,
                               Membership.role == FOCAL_POINT,
                               Membership.status == "active"))
        .join(User, User.id == Membership.user_id)
        .where(Assignment.tenant_id == tenant.id, Assignment.status == "completed",
               ~evaluation_sent)
        .order_by(AssignmentRequest.number))
    for assignment, request, user in no_evaluation:
        add(user, Item(f"evaluation:{assignment.id}", "evaluation", request.number,
                       request.title, assignment.id))
    return people


def stop_token(secret: str, tenant: TenantContext, user_id: uuid.UUID) -> str:
    return sign(secret, PURPOSE, {"m": str(tenant.id), "u": str(user_id)})


async def send_reminders(db: AsyncSession, tenant: TenantContext, secret: str, base_url: str,
                         moment: datetime) -> int:
    """Mail today's reminders that have not gone yet (none before the mission's morning);
    returns how many mails were queued. Commits."""
    local = local_moment(tenant, moment)
    if local.hour < MORNING:
        return 0
    today = local.date()
    mails = items_sent = 0
    for person in (await due_items(db, tenant, today)).values():
        fresh = set(await db.scalars(
            insert(ReminderSent)
            .values([{"id": uuid.uuid4(), "tenant_id": tenant.id, "user_id": person.user.id,
                      "item": item.key, "day": today} for item in person.items])
            .on_conflict_do_nothing(index_elements=["tenant_id", "user_id", "item", "day"])
            .returning(ReminderSent.item)))
        items = [item for item in person.items if item.key in fresh]
        if not items:
            continue
        link = f"{base_url}/{tenant.slug}/assignments"
        queue_mail(db, tenant, person.user.email, "assignment_reminder",
                   person.user.preferred_locale or tenant.default_locale,
                   name=person.user.name, items=items, link=link,
                   stop=f"{base_url}/{tenant.slug}/reminders/stop/"
                        f"{stop_token(secret, tenant, person.user.id)}")
        mails += 1
        items_sent += len(items)
    await db.execute(delete(ReminderSent).where(
        ReminderSent.tenant_id == tenant.id, ReminderSent.day < today - timedelta(days=KEEP_DAYS)))
    if mails:
        record(db, tenant.id, Actor(), "assignment.reminders_sent", "assignment", None,
               after={"day": today.isoformat(), "mails": mails, "items": items_sent})
    await db.commit()
    return mails


# --- turning them off and on ----------------------------------------------------------------

async def reminders_on(db: AsyncSession, tenant: TenantContext, user_id: uuid.UUID) -> bool:
    return not await db.scalar(select(exists().where(
        ReminderOptOut.tenant_id == tenant.id, ReminderOptOut.user_id == user_id)))


async def _set(db: AsyncSession, tenant: TenantContext, actor: Actor, user_id: uuid.UUID,
               on: bool) -> None:
    if on == await reminders_on(db, tenant, user_id):
        await db.rollback()
        return
    if on:
        await db.execute(delete(ReminderOptOut).where(ReminderOptOut.tenant_id == tenant.id,
                                                      ReminderOptOut.user_id == user_id))
    else:
        await db.execute(insert(ReminderOptOut).values(
            id=uuid.uuid4(), tenant_id=tenant.id, user_id=user_id).on_conflict_do_nothing())
    record(db, tenant.id, actor, "assignment.reminders_" + ("on" if on else "off"), "user",
           user_id)
    await db.commit()


async def set_reminders(db: AsyncSession, tenant: TenantContext, actor: Actor,
                        on: bool) -> None:
    """The signed-in person turns their reminders in this mission on or off."""
    assert actor.user_id is not None  # the route needs a signed-in person
    await _set(db, tenant, actor, actor.user_id, on)


async def person_of_stop_link(db: AsyncSession, tenant: TenantContext, secret: str, token: str,
                              moment: datetime) -> User:
    """Whose reminders the link turns off; 404 for a tampered link or another mission's."""
    facts = unsign(secret, PURPOSE, token, moment)
    if facts is None or facts.get("m") != str(tenant.id):
        raise NotFoundException()
    try:
        user_id = uuid.UUID(str(facts.get("u")))
    except ValueError as exc:
        raise NotFoundException() from exc
    user = await db.scalar(select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.tenant_id == tenant.id, User.id == user_id))
    if user is None:
        raise NotFoundException()
    return user


async def stop_by_link(db: AsyncSession, tenant: TenantContext, actor: Actor, secret: str,
                       token: str, moment: datetime) -> User:
    user = await person_of_stop_link(db, tenant, secret, token, moment)
    await _set(db, tenant, Actor(user_id=user.id, email=user.email, ip=actor.ip), user.id, False)
    return user
