"""Learning evidence of a training (issue 15): attendance per session — ticked per listed
participant, or counted (0 to the participants, refused above) — with its rates on the
training's page, locked once approved; a participant who withdraws consent leaves no
tick tied to them."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from app.trainings.evidence import attendance, listed_scores
from app.trainings.models import Training, TrainingAttendance, TrainingParticipant, TrainingSession
from tenants.context import tenant_scope
from tests.html import field_error, select_all, select_text
from tests.test_training_participants import a_form, listed, post, stored
from tests.training_helpers import a_new_agency

pytestmark = pytest.mark.usefixtures("in_english")

SESSIONS = {"sess-0-day": "2027-03-01", "sess-0-hours": "6", "sess-0-place": "Port Sudan",
            "sess-1-day": "2027-03-02", "sess-1-hours": "4", "sess-1-place": "Port Sudan"}


@pytest.fixture
async def partner(signed_in_as, session_factory, missions):
    async with session_factory() as db:
        agency_id = await a_new_agency(db, missions["sudan"])
    user = await signed_in_as("partner_user", partner_agency_id=agency_id)
    return user, agency_id


def rates(page: str) -> list[str]:
    """The attendance grid's last row: its heading, then each session's rate."""
    return select_all(page, "#attendance tfoot th, #attendance tfoot td")


async def sessions_of(session_factory, tenant, training_id) -> list[TrainingSession]:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return list(await db.scalars(select(TrainingSession).where(
                TrainingSession.training_id == training_id).order_by(TrainingSession.position)))


async def ticks_of(session_factory, tenant, training_id) -> set[tuple]:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return {(a.participant_id, a.session_id) for a in await db.scalars(
                select(TrainingAttendance).where(TrainingAttendance.training_id == training_id))}


async def version_of(session_factory, tenant, training_id) -> str:
    return str((await stored(session_factory, tenant, training_id)).version)


async def a_listed_training(client, session_factory, tenant, n: int = 3) -> tuple[str, str]:
    created = await post(client, "/sudan/trainings/new",
                         a_form(participant_mode="individual", **SESSIONS))
    assert created.status_code == 303, created.text[:3000]
    url = created.headers["location"]
    training_id = url.rsplit("/", 1)[1]
    for i in range(n):
        person = {"p-name": f"Person {i}", "p-sex": "female" if i % 2 else "male",
                  "p-age_group": "25_34", "p-consent": "1",
                  "version": await version_of(session_factory, tenant, training_id)}
        assert (await post(client, f"{url}/participants", person)).status_code == 303
    return url, training_id


async def test_ticking_attendance_of_listed_participants(client, missions, session_factory,
                                                         partner):
    sudan = missions["sudan"]
    url, training_id = await a_listed_training(client, session_factory, sudan)
    people = await listed(session_factory, sudan, training_id)
    first, second = await sessions_of(session_factory, sudan, training_id)
    page = (await client.get(url)).text
    assert "not recorded yet" in select_text(page, "#attendance-overall")
    # Everyone on day one, two of three on day two.
    grid = {f"att-{p.id}~{first.id}": "1" for p in people}
    grid |= {f"att-{p.id}~{second.id}": "1" for p in people[:2]}
    saved = await post(client, f"{url}/evidence",
                       {**grid, "version": await version_of(session_factory, sudan,
                                                            training_id)})
    assert saved.status_code == 303, saved.text[:3000]
    assert len(await ticks_of(session_factory, sudan, training_id)) == 5
    page = (await client.get(url)).text
    assert rates(page)[:3] == ["Attendance rate", "100% (3/3)", "67% (2/3)"]
    assert "83%" in select_text(page, "#attendance-overall")   # 5 of 6 attendances

    # A tick for someone not on the list is refused and nothing changes.
    stranger = await post(client, f"{url}/evidence", {
        f"att-{uuid.uuid4()}~{first.id}": "1",
        "version": await version_of(session_factory, sudan, training_id)})
    assert stranger.status_code == 422
    assert "Tick only the participants" in select_text(stranger.text, "#e-attendance")
    assert len(await ticks_of(session_factory, sudan, training_id)) == 5

    # Person 0 withdraws consent: their ticks go, the session still counts them.
    withdrawn = await post(client, f"{url}/participants/{people[0].id}/withdraw")
    assert withdrawn.status_code == 303
    ticks = await ticks_of(session_factory, sudan, training_id)
    assert people[0].id not in {p for p, _s in ticks} and len(ticks) == 3
    assert [s.attended_count for s in await sessions_of(session_factory, sudan,
                                                        training_id)] == [1, 1]
    page = (await client.get(url)).text
    assert rates(page)[1:3] == ["100% (3/3)", "67% (2/3)"]

    # Removing a participant removes their ticks (cascade).
    removed = await post(client, f"{url}/participants/{people[2].id}/remove", {
        "version": await version_of(session_factory, sudan, training_id)})
    assert removed.status_code == 303
    assert people[2].id not in {p for p, _s in await ticks_of(session_factory, sudan,
                                                              training_id)}


async def test_a_correction_keeps_the_attendance_of_the_same_days(client, missions,
                                                                   session_factory, partner):
    sudan = missions["sudan"]
    url, training_id = await a_listed_training(client, session_factory, sudan, n=1)
    [person] = await listed(session_factory, sudan, training_id)
    first, second = await sessions_of(session_factory, sudan, training_id)
    await post(client, f"{url}/evidence", {
        f"att-{person.id}~{first.id}": "1", f"att-{person.id}~{second.id}": "1",
        "version": await version_of(session_factory, sudan, training_id)})
    # Day two's hours change, day one is dropped: day two keeps its tick.
    edited = await post(client, f"{url}/edit", a_form(
        participant_mode="individual", version=await version_of(session_factory, sudan,
                                                                 training_id),
        **{"sess-0-day": "2027-03-02", "sess-0-hours": "5", "sess-0-place": "Port Sudan"}))
    assert edited.status_code == 303, edited.text[:3000]
    [kept] = await sessions_of(session_factory, sudan, training_id)
    assert (kept.id, kept.hours) == (second.id, Decimal("5.0"))
    assert await ticks_of(session_factory, sudan, training_id) == {(person.id, second.id)}

    # Back to counts: the names go, the attendance stays as numbers.
    back = await post(client, f"{url}/edit", a_form(
        participant_mode="counts", version=await version_of(session_factory, sudan,
                                                            training_id),
        **{"sess-0-day": "2027-03-02", "sess-0-hours": "5", "sess-0-place": "Port Sudan"}))
    assert back.status_code == 303, back.text[:3000]
    assert await ticks_of(session_factory, sudan, training_id) == set()
    assert [s.attended_count for s in await sessions_of(session_factory, sudan,
                                                        training_id)] == [1]


async def test_counted_attendance_from_zero_to_the_participants(client, missions,
                                                                session_factory, partner):
    sudan = missions["sudan"]
    created = await post(client, "/sudan/trainings/new", a_form(female="4", male="6",
                                                                **SESSIONS))
    url = created.headers["location"]
    training_id = url.rsplit("/", 1)[1]
    first, second = await sessions_of(session_factory, sudan, training_id)
    for value, message in (("11", "from 0 to 10"), ("-1", "from 0 to 10"),
                           ("many", "whole number")):
        refused = await post(client, f"{url}/evidence", {
            f"attended-{first.id}": value, f"attended-{second.id}": "3",
            "version": await version_of(session_factory, sudan, training_id)})
        assert refused.status_code == 422
        assert message in (field_error(refused.text, f"attended-{first.id}") or "")
        assert [s.attended_count for s in await sessions_of(
            session_factory, sudan, training_id)] == [None, None]
    saved = await post(client, f"{url}/evidence", {
        f"attended-{first.id}": "10", f"attended-{second.id}": "",
        "version": await version_of(session_factory, sudan, training_id)})
    assert saved.status_code == 303
    page = (await client.get(url)).text
    assert rates(page)[1:] == ["100% (10/10)", "—"]
    assert "100%" in select_text(page, "#attendance-overall")
    # Fewer participants than attended: the correction is refused.
    fewer = await post(client, f"{url}/edit", a_form(
        female="2", male="6", version=await version_of(session_factory, sudan, training_id),
        **SESSIONS))
    assert fewer.status_code == 422
    assert "records 10 attending" in (field_error(fewer.text, "sessions") or "")
    assert (await stored(session_factory, sudan, training_id)).total == 10


async def test_attendance_is_locked_once_approved_and_another_agency_s_not_found(
        client, missions, session_factory, partner):
    sudan = missions["sudan"]
    created = await post(client, "/sudan/trainings/new", a_form(female="4", **SESSIONS))
    url = created.headers["location"]
    training_id = url.rsplit("/", 1)[1]
    first, _second = await sessions_of(session_factory, sudan, training_id)
    with tenant_scope(sudan):
        async with session_factory() as db:
            await db.execute(update(Training).where(Training.id == training_id)
                             .values(status="approved"))
            await db.commit()
    locked = await post(client, f"{url}/evidence", {f"attended-{first.id}": "2"})
    assert locked.status_code == 409
    assert "can no longer be changed" in locked.text
    assert 'name="attended-' not in (await client.get(url)).text
    with tenant_scope(sudan):
        async with session_factory() as db:
            theirs = Training(tenant_id=sudan.id,
                              partner_agency_id=await a_new_agency(db, sudan),
                              title="Theirs", kind="training", thematic_area="other",
                              start_date=date(2027, 3, 1), end_date=date(2027, 3, 1),
                              female=3, version=1)
            db.add(theirs)
            await db.commit()
    assert (await post(client, f"/sudan/trainings/{theirs.id}/evidence",
                       {})).status_code == 404


@given(st.integers(0, 40), st.lists(st.tuples(st.booleans(), st.integers(0, 40),
                                              st.integers(0, 40)), max_size=8))
def test_attendance_rates_stay_between_zero_and_one(total, rows):
    """Any sessions whose attendees (counted plus ticked) do not exceed the participants:
    every rate and the overall rate lie in [0, 1], and the overall rate is the mean of the
    recorded sessions' rates."""
    sessions, ticks = [], Counter()
    for recorded, counted, ticked in rows:
        counted, ticked = min(counted, total), min(ticked, total - min(counted, total))
        session = TrainingSession(id=uuid.uuid4(), attended_count=counted if recorded
                                  else None)
        sessions.append(session)
        if recorded:
            ticks[session.id] = ticked
    found = attendance(total, sessions, ticks)
    rates = [row.rate for row in found.sessions if row.attended is not None]
    assert all(0 <= r <= 1 for r in rates if r is not None)
    if total and rates:
        assert found.overall == pytest.approx(sum(rates) / len(rates))
    else:
        assert found.overall is None


async def test_participant_rows_leave_with_their_ticks(missions, session_factory):
    """The database holds the rule too: a tick names a listed participant and a session of
    the mission, once (unique), and goes when either goes."""
    sudan = missions["sudan"]
    with tenant_scope(sudan):
        async with session_factory() as db:
            training = Training(tenant_id=sudan.id,
                                partner_agency_id=await a_new_agency(db, sudan),
                                title="Ticks", kind="training", thematic_area="other",
                                start_date=date(2027, 3, 1), end_date=date(2027, 3, 1),
                                female=1, version=1, participant_mode="individual")
            db.add(training)
            await db.flush()
            session = TrainingSession(tenant_id=sudan.id, training_id=training.id,
                                      day=date(2027, 3, 1), hours=Decimal(2))
            person = TrainingParticipant(tenant_id=sudan.id, training_id=training.id,
                                         sex="female", age_group="25_34")
            db.add_all([session, person])
            await db.flush()
            training_id, session_id, person_id = training.id, session.id, person.id
            db.add(TrainingAttendance(tenant_id=sudan.id, training_id=training_id,
                                      session_id=session_id, participant_id=person_id))
            await db.commit()
            db.add(TrainingAttendance(tenant_id=sudan.id, training_id=training_id,
                                      session_id=session_id, participant_id=person_id))
            with pytest.raises(Exception, match="unique"):
                await db.commit()
            await db.rollback()
            await db.execute(delete(TrainingParticipant).where(
                TrainingParticipant.id == person_id))
            await db.commit()
            assert await db.scalar(select(TrainingAttendance.id).where(
                TrainingAttendance.training_id == training_id)) is None


# --- pre- and post-test scores ---------------------------------------------------------------

async def test_each_listed_participant_s_scores_and_the_average_gain(client, missions,
                                                                     session_factory, partner):
    sudan = missions["sudan"]
    url, training_id = await a_listed_training(client, session_factory, sudan)
    people = await listed(session_factory, sudan, training_id)
    a, b, c = (str(p.id) for p in people)
    for field_name, value, message in (("pre-" + a, "101", "from 0 to 100"),
                                       ("post-" + b, "abc", "from 0 to 100"),
                                       ("pre-" + c, "-1", "from 0 to 100"),
                                       ("post-" + a, "72.55", "from 0 to 100")):
        refused = await post(client, f"{url}/evidence", {
            field_name: value, "version": await version_of(session_factory, sudan,
                                                           training_id)})
        assert refused.status_code == 422
        assert message in (field_error(refused.text, field_name) or ""), field_name
    assert all(p.pre_score is None and p.post_score is None
               for p in await listed(session_factory, sudan, training_id))
    # Two took both tests (+30 and +15); the third only the pre-test: not in the gain.
    saved = await post(client, f"{url}/evidence", {
        f"pre-{a}": "40", f"post-{a}": "70", f"pre-{b}": "50", f"post-{b}": "65",
        f"pre-{c}": "60", f"post-{c}": "",
        "version": await version_of(session_factory, sudan, training_id)})
    assert saved.status_code == 303, saved.text[:3000]
    page = (await client.get(url)).text
    assert select_text(page, "#test-gain") == (
        "Average gain: +22.5 points (pre-test 45.0, post-test 67.5; 2 tested).")
    # Reduced to counts: the scores stay as the averages of those tested.
    back = await post(client, f"{url}/edit", a_form(
        participant_mode="counts", version=await version_of(session_factory, sudan,
                                                            training_id), **SESSIONS))
    assert back.status_code == 303, back.text[:3000]
    training = await stored(session_factory, sudan, training_id)
    assert (training.pre_score_avg, training.post_score_avg, training.tested) == (
        Decimal("45.0"), Decimal("67.5"), 2)


async def test_a_counted_training_s_average_scores(client, missions, session_factory, partner):
    sudan = missions["sudan"]
    created = await post(client, "/sudan/trainings/new", a_form(female="4", male="6"))
    url = created.headers["location"]
    training_id = url.rsplit("/", 1)[1]
    for sent, field_name in (({"pre_avg": "48", "post_avg": "70", "tested": "11"}, "tested"),
                             ({"pre_avg": "48"}, "tested"),
                             ({"tested": "5"}, "pre_avg"),
                             ({"pre_avg": "x", "tested": "5"}, "pre_avg"),
                             ({"post_avg": "100.1", "tested": "5"}, "post_avg")):
        refused = await post(client, f"{url}/evidence", {
            **sent, "version": await version_of(session_factory, sudan, training_id)})
        assert refused.status_code == 422
        assert field_error(refused.text, field_name), (sent, field_name)
    assert (await stored(session_factory, sudan, training_id)).tested is None
    saved = await post(client, f"{url}/evidence", {
        "pre_avg": "48", "post_avg": "70.5", "tested": "8",
        "version": await version_of(session_factory, sudan, training_id)})
    assert saved.status_code == 303, saved.text[:3000]
    page = (await client.get(url)).text
    assert select_text(page, "#test-gain") == (
        "Average gain: +22.5 points (pre-test 48.0, post-test 70.5; 8 tested).")
    # Fewer participants than were tested: the correction is refused.
    fewer = await post(client, f"{url}/edit", a_form(
        female="1", male="6", version=await version_of(session_factory, sudan, training_id)))
    assert fewer.status_code == 422 and "8 participants took the tests" in fewer.text


@given(st.lists(st.tuples(st.none() | st.integers(0, 1000), st.none() | st.integers(0, 1000)),
                max_size=12))
def test_the_gain_is_the_mean_of_each_gain_of_those_who_took_both(pairs):
    people = [TrainingParticipant(
        pre_score=None if pre is None else Decimal(pre) / 10,
        post_score=None if post is None else Decimal(post) / 10) for pre, post in pairs]
    both = [(pre / 10, post / 10) for pre, post in pairs if pre is not None
            and post is not None]
    found = listed_scores(people)
    assert found.tested == len(both)
    if both:
        assert found.gain == pytest.approx(sum(b - a for a, b in both) / len(both))
        assert 0 <= found.pre <= 100 and 0 <= found.post <= 100
    else:
        assert found.gain is None
