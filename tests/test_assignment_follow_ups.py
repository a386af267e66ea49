"""The follow-up questionnaire: 3 and 6 months after the work ended, to each focal point of
the host institution, once; its link works without a password, once, until it expires, and
not when tampered with or carried to another mission. The answers attach to the
assignment."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.assignments.follow_ups import add_months, link_token, send_follow_ups
from app.assignments.models import Assignment, FollowUp
from app.core.clock import now
from app.core.tokens import sign
from tenants.context import tenant_scope
from tests.accounts_helpers import mails_to, make_user
from tests.assignment_helpers import a_follow_up_token, an_assignment
from tests.conftest import csrf_token
from tests.html import field_error
from tests.request_helpers import make_institution

pytestmark = pytest.mark.usefixtures("in_english")
BASE = "https://portal.example.org"


def at(tenant, day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), ZoneInfo(tenant.time_zone))


def today(tenant) -> date:
    return now().astimezone(ZoneInfo(tenant.time_zone)).date()


async def follow(session_factory, tenant, secret, moment) -> int:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await send_follow_ups(db, tenant, secret, BASE, moment)


async def questionnaires(session_factory, tenant, email):
    return [m for m in await mails_to(session_factory, tenant, email)
            if m.kind == "assignment_follow_up"]


async def _ended(session_factory, tenant, institution_id, ended: date, status="evaluated"):
    async with session_factory() as db:
        assignment_id = await an_assignment(db, tenant, institution_id, status=status,
                                            of_signed_in_expert=False)
    with tenant_scope(tenant):
        async with session_factory() as db:
            row = await db.scalar(select(Assignment).where(Assignment.id == assignment_id))
            row.actual_start, row.actual_end = ended - timedelta(days=30), ended
            await db.commit()
    return assignment_id


def test_months_are_calendar_months():
    assert add_months(date(2027, 1, 31), 3) == date(2027, 4, 30)
    assert add_months(date(2027, 11, 15), 3) == date(2028, 2, 15)
    assert add_months(date(2028, 8, 31), 6) == date(2029, 2, 28)


async def test_sent_at_three_and_six_months_once_each(app, missions, session_factory):
    sudan = missions["sudan"]
    secret = app.state.secret_key
    async with session_factory() as db:
        institution_id = (await make_institution(db, sudan)).id
    first = await make_user(session_factory, sudan, "institution_focal_point",
                            host_institution_id=institution_id)
    second = await make_user(session_factory, sudan, "institution_focal_point",
                             host_institution_id=institution_id)
    day = today(sudan)
    ended = add_months(day, -3)
    await _ended(session_factory, sudan, institution_id, ended)
    # Long forgotten (its 3 months fell due two months ago) or cancelled: nothing.
    await _ended(session_factory, sudan, institution_id, add_months(day, -5))
    await _ended(session_factory, sudan, institution_id, ended, status="cancelled")
    await follow(session_factory, sudan, secret, at(sudan, day, hour=6))  # before the morning
    assert await questionnaires(session_factory, sudan, first.email) == []
    await follow(session_factory, sudan, secret, at(sudan, day))
    await follow(session_factory, sudan, secret, at(sudan, day, hour=15))
    for person in (first, second):
        [mail] = await questionnaires(session_factory, sudan, person.email)
        assert mail.subject.startswith("3 months on") and f"{BASE}/sudan/follow-up/" in mail.body
    # Three months later, the six-month round.
    await follow(session_factory, sudan, secret, at(sudan, add_months(ended, 6)))
    mails = await questionnaires(session_factory, sudan, first.email)
    assert [m.subject.split(":")[0] for m in mails] == ["3 months on", "6 months on"]


async def test_the_link_works_once_without_a_password(app, client, missions, session_factory,
                                                      signed_in_as):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    secret = app.state.secret_key
    async with session_factory() as db:
        institution_id = (await make_institution(db, sudan, name="Port Authority")).id
    focal = await make_user(session_factory, sudan, "institution_focal_point",
                            host_institution_id=institution_id)
    assignment_id = await _ended(session_factory, sudan, institution_id,
                                 add_months(today(sudan), -3))
    await follow(session_factory, sudan, secret, at(sudan, today(sudan)))
    [mail] = await questionnaires(session_factory, sudan, focal.email)
    path = next(line for line in mail.body.splitlines() if "/follow-up/" in line) \
        .removeprefix(BASE)
    token = path.rsplit("/", 1)[1]
    # Tampered with, signed with another secret, or taken to another mission: not found.
    assert (await client.get(path[:-2] + "xx")).status_code == 404
    with tenant_scope(sudan):
        async with session_factory() as db:
            follow_up = await db.scalar(select(FollowUp).where(FollowUp.email == focal.email))
    forged = sign("someone else's secret", "assignment-follow-up",
                  {"m": str(sudan.id), "f": str(follow_up.id)})
    assert (await client.get(f"/sudan/follow-up/{forged}")).status_code == 404
    assert (await client.get(f"/mozambique/follow-up/{token}")).status_code == 404
    foreign = link_token(secret, mozambique, follow_up.id)
    assert (await client.get(f"/sudan/follow-up/{foreign}")).status_code == 404
    # Anonymous: the questionnaire opens.
    page = await client.get(path)
    assert page.status_code == 200 and "Port Authority" in page.text
    csrf = await csrf_token(client, path)
    missing = await client.post(path, data={"staff_applying": "many", "_csrf_token": csrf})
    assert missing.status_code == 422
    assert field_error(missing.text, "still_used") == "This field is required."
    assert field_error(missing.text, "staff_applying") == "Enter a whole number."
    answers = {"still_used": "partly", "staff_applying": "9",
               "changes": "Leak repairs now follow the written procedure.",
               "next_needs": "Training on pressure management.", "_csrf_token": csrf}
    assert (await client.post(path, data=answers)).status_code == 200
    # Once only.
    again = await client.post(path, data={**answers, "still_used": "no"})
    assert again.status_code == 409 and "answered already" in again.text
    assert (await client.get(path)).status_code == 409
    with tenant_scope(sudan):
        async with session_factory() as db:
            row = await db.scalar(select(FollowUp).where(FollowUp.id == follow_up.id))
    assert (row.still_used, row.staff_applying) == ("partly", 9) and row.answered_at
    # Staff read the answers on the assignment, with the history.
    await signed_in_as("staff")
    staff_page = await client.get(f"/sudan/assignments/{assignment_id}")
    assert "Leak repairs now follow the written procedure." in staff_page.text
    assert "Follow-up questionnaire answered" in staff_page.text


async def test_an_expired_link_says_so(client, missions, session_factory):
    sudan = missions["sudan"]
    async with session_factory() as db:
        token = await a_follow_up_token(db, sudan)
    with tenant_scope(sudan):
        async with session_factory() as db:
            for row in await db.scalars(select(FollowUp)):
                row.expires_at = now() - timedelta(minutes=1)
            await db.commit()
    expired = await client.get(f"/sudan/follow-up/{token}")
    assert expired.status_code == 410 and "expired" in expired.text
