"""The daily reminders: overdue milestones and a missing report to the expert, a missing
evaluation to the institution's focal points; at most once per item and person a day of
the mission's calendar, not before its morning; turned off by the link in the mail (signed:
a tampered link or another mission's finds nothing) or on the assignments page."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.assignments.models import Assignment, Milestone
from app.assignments.reminders import send_reminders, stop_token
from app.core.clock import now
from app.core.tokens import sign
from tenants.context import tenant_scope
from tests.accounts_helpers import mails_to, make_user, use_session
from tests.assignment_helpers import an_assignment
from tests.conftest import csrf_token
from tests.request_helpers import _profile_of, make_institution

pytestmark = pytest.mark.usefixtures("in_english")
BASE = "https://portal.example.org"


def at(tenant, days: int, hour: int) -> datetime:
    """`hour` o'clock in the mission's time zone, `days` after today there."""
    zone = ZoneInfo(tenant.time_zone)
    day = now().astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(day, time(hour), zone)


async def remind(session_factory, tenant, secret, moment) -> int:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await send_reminders(db, tenant, secret, BASE, moment)


async def reminders(session_factory, tenant, email):
    return [m for m in await mails_to(session_factory, tenant, email)
            if m.kind == "assignment_reminder"]


async def _waiting_work(session_factory, tenant):
    """An expert with an overdue milestone and a missing report, and a focal point whose
    institution has not evaluated a completed assignment."""
    async with session_factory() as db:
        institution_id = (await make_institution(db, tenant)).id
    expert = await make_user(session_factory, tenant, "expert")
    focal = await make_user(session_factory, tenant, "institution_focal_point",
                            host_institution_id=institution_id)
    async with session_factory() as db:
        await _profile_of(db, tenant, expert.id)
    async with session_factory() as db:
        late = await an_assignment(db, tenant, status="in_progress",
                                   of_signed_in_expert=False)
        done = await an_assignment(db, tenant, institution_id, status="completed",
                                   of_signed_in_expert=False)
    with tenant_scope(tenant):
        async with session_factory() as db:
            profile_id = (await _profile_of(db, tenant, expert.id)).id
            for row in await db.scalars(select(Assignment).where(Assignment.id.in_([late, done]))):
                row.profile_id = profile_id
            db.add(Milestone(tenant_id=tenant.id, assignment_id=late, title="Inception note",
                             kind="deliverable", status="pending",
                             due_date=at(tenant, -3, 12).date()))
            await db.commit()
    return expert, focal


async def test_once_per_item_and_day_from_the_mission_s_morning(app, missions, session_factory):
    sudan = missions["sudan"]
    secret = app.state.secret_key
    expert, focal = await _waiting_work(session_factory, sudan)

    async def counts() -> tuple[int, int]:
        return (len(await reminders(session_factory, sudan, expert.email)),
                len(await reminders(session_factory, sudan, focal.email)))

    await remind(session_factory, sudan, secret, at(sudan, 0, 6))  # before the morning
    assert await counts() == (0, 0)
    assert await remind(session_factory, sudan, secret, at(sudan, 0, 9)) >= 2
    assert await counts() == (1, 1)
    [mail] = await reminders(session_factory, sudan, expert.email)
    assert "“Inception note” was due on" in mail.body and "your final report" in mail.body
    assert f"{BASE}/sudan/reminders/stop/" in mail.body
    [to_focal] = await reminders(session_factory, sudan, focal.email)
    assert "your institution's evaluation" in to_focal.body
    assert "Inception note" not in to_focal.body
    # The job runs every hour: the same day sends nothing more.
    for hour in (10, 23):
        assert await remind(session_factory, sudan, secret, at(sudan, 0, hour)) == 0
    # The next day, once more (from the morning).
    await remind(session_factory, sudan, secret, at(sudan, 1, 7))
    assert await counts() == (1, 1)
    await remind(session_factory, sudan, secret, at(sudan, 1, 8))
    assert await counts() == (2, 2)


async def test_the_link_in_the_mail_turns_them_off(app, client, missions, session_factory):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    secret = app.state.secret_key
    expert, focal = await _waiting_work(session_factory, sudan)
    await remind(session_factory, sudan, secret, at(sudan, 0, 9))
    [mail] = await reminders(session_factory, sudan, expert.email)
    link = next(line for line in mail.body.splitlines() if "/reminders/stop/" in line)
    path = link.removeprefix(BASE)
    # Tampered, made with another secret, or another mission's: nothing there.
    token = path.rsplit("/", 1)[1]
    assert (await client.get(path[:-3] + "abc")).status_code == 404
    forged = sign("not the portal's secret", "assignment-reminders-off",
                  {"m": str(sudan.id), "u": str(expert.id)})
    assert (await client.get(f"/sudan/reminders/stop/{forged}")).status_code == 404
    assert (await client.get(f"/mozambique/reminders/stop/{token}")).status_code == 404
    theirs = stop_token(secret, mozambique, expert.id)
    assert (await client.get(f"/sudan/reminders/stop/{theirs}")).status_code == 404
    # Opening the link changes nothing (mail programs open links); the button does.
    page = await client.get(path)
    assert page.status_code == 200 and expert.email in page.text
    await remind(session_factory, sudan, secret, at(sudan, 1, 9))
    assert len(await reminders(session_factory, sudan, expert.email)) == 2
    stop = await client.post(path, data={"_csrf_token": await csrf_token(client, path)})
    assert stop.status_code == 200 and "No more reminders" in stop.text
    await remind(session_factory, sudan, secret, at(sudan, 2, 9))
    assert len(await reminders(session_factory, sudan, expert.email)) == 2
    assert len(await reminders(session_factory, sudan, focal.email)) == 3


async def test_people_turn_them_on_and_off_on_their_page(client, signed_in_as):
    await signed_in_as("expert")
    listed = await client.get("/sudan/assignments")
    assert "Daily reminders about overdue milestones and missing reports are on." in listed.text
    token = await csrf_token(client, "/sudan/assignments")
    off = await client.post("/sudan/assignments/reminders", data={"on": "0", "_csrf_token": token},
                            follow_redirects=False)
    assert off.status_code == 303
    listed = await client.get("/sudan/assignments")
    assert "are off" in listed.text
    await client.post("/sudan/assignments/reminders", data={"on": "1", "_csrf_token": token})
    assert "are on" in (await client.get("/sudan/assignments")).text
    use_session(client, None)
    await signed_in_as("staff")
    assert "Daily reminders" not in (await client.get("/sudan/assignments")).text
