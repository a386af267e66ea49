"""The follow-up questionnaire: 3 and 6 months after an assignment's work ended, each focal
point of the host institution is mailed a short questionnaire (are the skills still used,
how many staff apply them, what changed, what is needed next). The link works without a
password: a token signed with the portal's secret names the mission and the questionnaire,
and the questionnaire's row says until when it may be answered, and whether it was (once).
The answers attach to the assignment, for staff and the institution to read.

Sent by the hourly reminders job (app.tasks), from the mission's morning. Only the latest
round that fell due in the last CATCH_UP_DAYS goes: records from before this feature, or a
job stopped for weeks, do not send a pile of late questionnaires."""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from litestar.exceptions import NotFoundException
from sqlalchemy import and_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Membership, User
from app.assignment_requests.models import AssignmentRequest
from app.assignments.models import FOLLOW_UP_ROUNDS, STILL_USED, Assignment, FollowUp
from app.assignments.reminders import FOCAL_POINT, MORNING, local_moment
from app.assignments.services import INSTITUTION, STAFF, AssignmentView
from app.audit.services import record
from app.core.actor import Actor
from app.core.errors import FormErrors, Refusal
from app.core.tokens import sign, unsign
from app.i18n import gettext as _
from app.institutions.models import HostInstitution
from app.notifications.services import queue_mail
from app.web.forms import FieldErrors
from tenants.context import TenantContext

PURPOSE = "assignment-follow-up"
LINK_DAYS = 30
CATCH_UP_DAYS = 30
MAX_TEXT = 5_000


class FollowUpClosed(Refusal):
    """The questionnaire was answered already (409) or its link has expired (410)."""


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month,
                       day=min(day.day, calendar.monthrange(year, month)[1]))


def round_due(ended: date, today: date) -> int | None:
    """The latest round due by today that fell due in the last CATCH_UP_DAYS."""
    for months in sorted(FOLLOW_UP_ROUNDS, reverse=True):
        due = add_months(ended, months)
        if due <= today:
            return months if today - due < timedelta(days=CATCH_UP_DAYS) else None
    return None


def link_token(secret: str, tenant: TenantContext, follow_up_id: uuid.UUID) -> str:
    return sign(secret, PURPOSE, {"m": str(tenant.id), "f": str(follow_up_id)})


async def send_follow_ups(db: AsyncSession, tenant: TenantContext, secret: str, base_url: str,
                          moment: datetime) -> int:
    """Mail the questionnaires due today (not before the mission's morning); returns how
    many were mailed. Commits."""
    local = local_moment(tenant, moment)
    if local.hour < MORNING:
        return 0
    today = local.date()
    oldest = add_months(today - timedelta(days=CATCH_UP_DAYS), -max(FOLLOW_UP_ROUNDS))
    rows = await db.execute(
        select(Assignment, AssignmentRequest, HostInstitution)
        .join(AssignmentRequest, AssignmentRequest.id == Assignment.request_id)
        .join(HostInstitution, HostInstitution.id == AssignmentRequest.institution_id)
        .where(Assignment.tenant_id == tenant.id,
               Assignment.status.in_(("completed", "evaluated")),
               Assignment.actual_end.is_not(None), Assignment.actual_end >= oldest))
    sent = 0
    for assignment, request, institution in rows.all():
        months = round_due(assignment.actual_end, today) if assignment.actual_end else None
        if months is None:
            continue
        focal_points = await db.scalars(
            select(User).join(Membership, and_(Membership.user_id == User.id,
                                               Membership.tenant_id == tenant.id))
            .where(Membership.host_institution_id == institution.id,
                   Membership.role == FOCAL_POINT, Membership.status == "active",
                   User.status == "active"))
        mailed = 0
        for person in focal_points.all():
            follow_up_id = await db.scalar(
                insert(FollowUp).values(
                    id=uuid.uuid4(), tenant_id=tenant.id, assignment_id=assignment.id,
                    round=months, user_id=person.id, email=person.email, sent_at=moment,
                    expires_at=moment + timedelta(days=LINK_DAYS))
                .on_conflict_do_nothing(
                    index_elements=["tenant_id", "assignment_id", "round", "email"])
                .returning(FollowUp.id))
            if follow_up_id is None:  # this round went to this person already
                continue
            queue_mail(db, tenant, person.email, "assignment_follow_up",
                       person.preferred_locale or tenant.default_locale, name=person.name,
                       months=months, number=request.number, title=request.title,
                       days=LINK_DAYS, link=f"{base_url}/{tenant.slug}/follow-up/"
                                            f"{link_token(secret, tenant, follow_up_id)}")
            mailed += 1
        if mailed:
            record(db, tenant.id, Actor(), "assignment.follow_up_sent", "assignment",
                   assignment.id, after={"round": months, "mails": mailed})
            sent += mailed
    await db.commit()
    return sent


@dataclass
class Questionnaire:
    follow_up: FollowUp
    request: AssignmentRequest
    institution: HostInstitution


async def questionnaire(db: AsyncSession, tenant: TenantContext, secret: str, token: str,
                        moment: datetime, lock: bool = False) -> Questionnaire:
    """The questionnaire a link opens: 404 for a tampered link or another mission's, 409
    once answered, 410 once expired."""
    facts = unsign(secret, PURPOSE, token, moment)
    if facts is None or facts.get("m") != str(tenant.id):
        raise NotFoundException()
    try:
        follow_up_id = uuid.UUID(str(facts.get("f")))
    except ValueError as exc:
        raise NotFoundException() from exc
    query = (select(FollowUp, AssignmentRequest, HostInstitution)
             .join(Assignment, Assignment.id == FollowUp.assignment_id)
             .join(AssignmentRequest, AssignmentRequest.id == Assignment.request_id)
             .join(HostInstitution, HostInstitution.id == AssignmentRequest.institution_id)
             .where(FollowUp.tenant_id == tenant.id, FollowUp.id == follow_up_id))
    row = (await db.execute(query.with_for_update(of=FollowUp) if lock else query)).first()
    if row is None:
        raise NotFoundException()
    found = Questionnaire(*row)
    if found.follow_up.answered_at is not None:
        raise FollowUpClosed(_("This questionnaire has been answered already. Thank you."),
                             status=409)
    if found.follow_up.expires_at <= moment:
        raise FollowUpClosed(_("This link has expired. Write to the mission if you still "
                               "want to answer."), status=410)
    return found


async def answer(db: AsyncSession, tenant: TenantContext, actor: Actor, secret: str,
                 token: str, form: dict[str, str], moment: datetime) -> None:
    """Keep the answers (once: the row is locked, so two sends at once answer once)."""
    found = await questionnaire(db, tenant, secret, token, moment, lock=True)
    errors = FieldErrors()
    still_used = errors.choice("still_used", form.get("still_used", ""), STILL_USED,
                               required=True)
    staff = errors.integer("staff_applying", form.get("staff_applying", "").strip(), 0, 100_000)
    changes = errors.text("changes", form.get("changes", "").strip(), MAX_TEXT)
    next_needs = errors.text("next_needs", form.get("next_needs", "").strip(), MAX_TEXT)
    if errors:
        raise FormErrors(errors)
    row = found.follow_up
    row.still_used, row.staff_applying = still_used, staff
    row.changes, row.next_needs, row.answered_at = changes, next_needs, moment
    record(db, tenant.id, Actor(user_id=row.user_id, email=row.email, ip=actor.ip),
           "assignment.follow_up_answered", "assignment", row.assignment_id,
           after={"round": row.round, "still_used": still_used, "staff_applying": staff})
    await db.commit()


async def follow_ups_of(db: AsyncSession, tenant: TenantContext,
                        view: AssignmentView) -> list[FollowUp]:
    """The questionnaires sent about the assignment, for staff and the institution."""
    if view.who not in (STAFF, INSTITUTION):
        return []
    return list(await db.scalars(select(FollowUp).where(
        FollowUp.tenant_id == tenant.id, FollowUp.assignment_id == view.assignment.id)
        .order_by(FollowUp.round, FollowUp.sent_at)))
