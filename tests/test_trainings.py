"""Trainings (issue 15, first slice): recorded by a partner agency, seen only by that
agency's partner users and by staff, moved through one table, reviewed by staff (approval
locks the record, a return needs a reason), bad input refused at the field with nothing
written, cascades below a training of the same mission."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.trainings.models import Training, TrainingInstitutionCount
from app.trainings.states import TRANSITIONS, allowed_actions, next_state
from tenants.context import tenant_scope
from tests.accounts_helpers import as_user, link_in, mails_to, make_user
from tests.conftest import csrf_token
from tests.html import field_error, select_text
from tests.training_helpers import a_new_agency, a_training

pytestmark = pytest.mark.usefixtures("in_english")


async def post(client, path: str, data: dict | None = None):
    token = await csrf_token(client, "/sudan/")
    return await client.post(path, data={**(data or {}), "_csrf_token": token},
                             follow_redirects=False)


async def stored(session_factory, tenant, training_id) -> Training:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(Training).where(Training.id == training_id))


async def count_trainings(session_factory, tenant) -> int:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(func.count()).select_from(Training))


async def actions_of(session_factory, tenant, training_id) -> list[str]:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return list(await db.scalars(select(AuditEvent.action).where(
                AuditEvent.object_type == "training",
                AuditEvent.object_id == str(training_id)).order_by(AuditEvent.created_at)))


def a_form(**changes) -> dict:
    return {"title": "Mixed migration ToT", "kind": "training_of_trainers",
            "thematic_area": "mixed_migration", "curriculum": "IOM-UNHCR Mixed Migration "
            "Curriculum", "target_group": "Border officials", "start_date": "2027-02-01",
            "end_date": "2027-02-05", "place": "Kassala", "facilitators": "A. Osman",
            "female": "6", "male": "9", "other": "0", "not_recorded": "1",
            "inst-0-institution": "Ministry of Interior", "inst-0-female": "2",
            "inst-0-male": "5", **changes}


@pytest.fixture
async def partner(signed_in_as, session_factory, missions):
    """A partner user of a new agency of Sudan, signed in; returns (user, agency id)."""
    async with session_factory() as db:
        agency_id = await a_new_agency(db, missions["sudan"])
    user = await signed_in_as("partner_user", partner_agency_id=agency_id)
    return user, agency_id


# --- the table ------------------------------------------------------------------------------

def test_the_transition_table():
    assert next_state("planned", "hold") == "held"
    assert next_state("held", "submit") == "submitted"
    assert next_state("submitted", "approve") == "approved"
    assert next_state("submitted", "return") == "returned"
    assert next_state("returned", "submit") == "submitted"
    assert allowed_actions("approved") == ["reopen"]  # locked until staff reopen it
    assert next_state("approved", "reopen") == "returned"
    assert next_state("planned", "submit") is None    # held first
    assert next_state("planned", "approve") is None
    assert {src for src, _ in TRANSITIONS} | set(TRANSITIONS.values()) == {
        "planned", "held", "submitted", "returned", "approved"}


# --- recording ------------------------------------------------------------------------------

async def test_a_partner_user_records_a_training_for_their_agency(client, missions,
                                                                  session_factory, partner):
    sudan = missions["sudan"]
    _user, agency_id = partner
    assert (await client.get("/sudan/trainings/new")).status_code == 200
    response = await post(client, "/sudan/trainings/new", a_form())
    assert response.status_code == 303, response.text
    training_id = response.headers["location"].rsplit("/", 1)[1]
    training = await stored(session_factory, sudan, training_id)
    assert training.partner_agency_id == agency_id and training.status == "planned"
    assert (training.female, training.male, training.not_recorded, training.total) == (6, 9, 1, 16)
    with tenant_scope(sudan):
        async with session_factory() as db:
            rows = list(await db.scalars(select(TrainingInstitutionCount).where(
                TrainingInstitutionCount.training_id == training.id)))
    assert [(r.institution, r.female, r.male) for r in rows] == [("Ministry of Interior", 2, 5)]
    assert await actions_of(session_factory, sudan, training.id) == ["training.created"]
    page = await client.get(f"/sudan/trainings/{training.id}")
    assert page.status_code == 200 and "Ministry of Interior" in page.text
    assert "Training recorded" in page.text
    listing = await client.get("/sudan/trainings")
    assert "Mixed migration ToT" in listing.text


@pytest.mark.parametrize(("changes", "field"), [
    ({"end_date": "2027-01-31"}, "end_date"),           # before the start
    ({"female": "-1"}, "female"),
    ({"male": "many"}, "male"),
    ({"male": "1000001"}, "male"),
    ({"inst-0-female": "-3"}, "inst-0-female"),
    ({"inst-0-male": "10"}, "male"),                    # the institutions exceed the total
    ({"inst-0-institution": ""}, "inst-0-institution"),
    ({"kind": "party"}, "kind"),
    ({"thematic_area": "other"}, "thematic_other"),
    ({"title": ""}, "title"),
])
async def test_bad_input_is_refused_at_the_field_and_nothing_written(
        client, missions, session_factory, partner, changes, field):
    before = await count_trainings(session_factory, missions["sudan"])
    response = await post(client, "/sudan/trainings/new", a_form(**changes))
    assert 400 <= response.status_code < 500, response.status_code
    assert field_error(response.text, field), (field, response.text[:2000])
    assert await count_trainings(session_factory, missions["sudan"]) == before


async def test_a_correction_with_reversed_dates_changes_nothing(client, missions,
                                                                session_factory, partner):
    sudan = missions["sudan"]
    async with session_factory() as db:
        training_id = await a_training(db, sudan, partner[1])
    response = await post(client, f"/sudan/trainings/{training_id}/edit",
                          a_form(start_date="2027-05-02", end_date="2027-05-01", version="1"))
    assert response.status_code == 422
    assert field_error(response.text, "end_date")
    training = await stored(session_factory, sudan, training_id)
    assert training.title == "Counter-trafficking for prosecutors" and training.version == 1


# --- who sees what --------------------------------------------------------------------------

async def test_a_partner_user_sees_only_their_agency_s_trainings(client, missions,
                                                                 session_factory, partner):
    sudan = missions["sudan"]
    _user, agency_id = partner
    async with session_factory() as db:
        other_agency = await a_new_agency(db, sudan)
        mine = await a_training(db, sudan, agency_id, title="Ours")
        theirs = await a_training(db, sudan, other_agency, title="Another agency's")
    listing = await client.get("/sudan/trainings")
    assert "Ours" in listing.text and "Another agency&#39;s" not in listing.text \
        and "Another agency's" not in listing.text
    assert (await client.get(f"/sudan/trainings/{mine}")).status_code == 200
    assert (await client.get(f"/sudan/trainings/{theirs}")).status_code == 404
    for path, data in ((f"/sudan/trainings/{theirs}/edit", a_form()),
                       (f"/sudan/trainings/{theirs}/move", {"action": "hold"})):
        assert (await post(client, path, data)).status_code == 404
    assert (await stored(session_factory, sudan, theirs)).status == "planned"


async def test_staff_see_every_agency_and_filter(client, missions, session_factory,
                                                 signed_in_as):
    sudan = missions["sudan"]
    async with session_factory() as db:
        first, second = await a_new_agency(db, sudan), await a_new_agency(db, sudan)
        await a_training(db, sudan, first, title="First agency's training")
        await a_training(db, sudan, second, title="Second agency's training", status="held")
    await signed_in_as("staff")
    listing = await client.get("/sudan/trainings")
    assert "First agency" in listing.text and "Second agency" in listing.text
    held = await client.get(f"/sudan/trainings?status=held&agency={second}")
    assert "Second agency" in held.text and "First agency" not in held.text
    bad = await client.get("/sudan/trainings?from=2027-05-01&to=2027-01-01")
    assert bad.status_code == 400 and field_error(bad.text, "to")


# --- the life cycle and the review ---------------------------------------------------------

async def test_submit_return_with_a_reason_then_approve_locks(client, missions, session_factory,
                                                              signed_in_as, partner):
    sudan = missions["sudan"]
    reviewer = await make_user(session_factory, sudan, "staff")
    await as_user(client, sudan, partner[0])
    async with session_factory() as db:
        training_id = await a_training(db, sudan, partner[1])
    url = f"/sudan/trainings/{training_id}"
    # The partner may not review.
    assert (await post(client, f"{url}/move", {"action": "hold"})).status_code == 303
    assert (await post(client, f"{url}/move", {"action": "submit"})).status_code == 303
    assert (await post(client, f"{url}/move", {"action": "approve"})).status_code == 403
    assert (await stored(session_factory, sudan, training_id)).status == "submitted"
    # Submitted: the agency can no longer change it.
    locked = await post(client, f"{url}/edit", a_form())
    assert locked.status_code == 409

    await signed_in_as("staff")
    no_reason = await post(client, f"{url}/move", {"action": "return", "reason": " "})
    assert no_reason.status_code == 422 and field_error(no_reason.text, "reason")
    assert (await stored(session_factory, sudan, training_id)).status == "submitted"
    # Every move went to the other party: the reviewers read the hold and the submission.
    held, submitted = await mails_to(session_factory, sudan, reviewer.email)
    assert "Held" in held.subject
    assert "Submitted" in submitted.subject and link_in(submitted) == url
    returned = await post(client, f"{url}/move", {"action": "return",
                                                  "reason": "Add the institutions."})
    assert returned.status_code == 303
    [back] = await mails_to(session_factory, sudan, partner[0].email)
    assert "Returned for correction" in back.subject and "Add the institutions." in back.body
    training = await stored(session_factory, sudan, training_id)
    assert training.status == "returned" and training.status_reason == "Add the institutions."

    # Returned: corrected and submitted again, then approved.
    assert (await post(client, f"{url}/edit", a_form(version=str(training.version)))
            ).status_code == 303
    assert (await post(client, f"{url}/move", {"action": "submit"})).status_code == 303
    assert (await post(client, f"{url}/move", {"action": "approve"})).status_code == 303
    training = await stored(session_factory, sudan, training_id)
    assert training.status == "approved" and training.title == "Mixed migration ToT"

    # Approved: locked for everyone, and no further step.
    refused = await post(client, f"{url}/edit", a_form(title="Changed after approval"))
    assert refused.status_code == 409
    assert (await post(client, f"{url}/move", {"action": "return", "reason": "x"})
            ).status_code == 409
    page = await client.get(url)
    assert 'action="/sudan/trainings/' + str(training_id) + '/edit"' not in page.text
    assert select_text(page.text, ".training-status") == "Approved"
    assert (await stored(session_factory, sudan, training_id)).title == "Mixed migration ToT"

    # Staff reopen it, with a reason the agency reads; it can then be corrected again.
    version = str((await stored(session_factory, sudan, training_id)).version)
    no_reason = await post(client, f"{url}/move", {"action": "reopen", "version": version})
    assert no_reason.status_code == 422 and field_error(no_reason.text, "reason")
    reopened = await post(client, f"{url}/move", {"action": "reopen", "version": version,
                                                  "reason": "The donor asks for ages."})
    assert reopened.status_code == 303
    training = await stored(session_factory, sudan, training_id)
    assert (training.status, training.status_reason) == ("returned",
                                                         "The donor asks for ages.")
    mails = await mails_to(session_factory, sudan, partner[0].email)
    assert "The donor asks for ages." in mails[-1].body
    assert await actions_of(session_factory, sudan, training_id) == [
        "training.hold", "training.submit", "training.return", "training.updated",
        "training.submit", "training.approve", "training.reopen"]
    # Not the agency's to reopen.
    await as_user(client, sudan, partner[0])
    assert (await post(client, f"{url}/edit", a_form(title="Corrected after reopening",
                                                     version=str(training.version)))
            ).status_code == 303
    assert (await post(client, f"{url}/move", {"action": "submit"})).status_code == 303
    await signed_in_as("staff")
    assert (await post(client, f"{url}/move", {"action": "approve"})).status_code == 303
    await as_user(client, sudan, partner[0])
    assert (await post(client, f"{url}/move", {"action": "reopen", "reason": "Mine"})
            ).status_code == 403


async def test_a_stale_form_is_refused(client, missions, session_factory, partner):
    sudan = missions["sudan"]
    async with session_factory() as db:
        training_id = await a_training(db, sudan, partner[1])
    url = f"/sudan/trainings/{training_id}"
    assert (await post(client, f"{url}/edit", a_form(version="1"))).status_code == 303
    stale = await post(client, f"{url}/edit", a_form(title="Old tab", version="1"))
    assert stale.status_code == 409
    assert (await stored(session_factory, sudan, training_id)).title == "Mixed migration ToT"


async def test_submitting_needs_participants(client, missions, session_factory, partner):
    sudan = missions["sudan"]
    async with session_factory() as db:
        training_id = await a_training(db, sudan, partner[1], status="held", female=0, male=0)
    response = await post(client, f"/sudan/trainings/{training_id}/move", {"action": "submit"})
    assert response.status_code == 422
    assert (await stored(session_factory, sudan, training_id)).status == "held"


# --- cascades -------------------------------------------------------------------------------

async def test_a_cascade_names_a_training_of_trainers_of_the_mission(client, missions,
                                                                     session_factory, partner):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    agency_id = partner[1]
    async with session_factory() as db:
        tot = await a_training(db, sudan, agency_id, kind="training_of_trainers", title="ToT")
        plain = await a_training(db, sudan, agency_id, kind="training")
        elsewhere = await a_training(db, mozambique, kind="training_of_trainers")
        other_agency = await a_training(db, sudan, await a_new_agency(db, sudan),
                                        kind="training_of_trainers")
    before = await count_trainings(session_factory, sudan)
    for parent in (elsewhere, other_agency, plain, "not-an-id"):
        refused = await post(client, "/sudan/trainings/new",
                             a_form(kind="cascade", parent_id=str(parent)))
        assert refused.status_code == 422 and field_error(refused.text, "parent_id"), parent
    not_a_cascade = await post(client, "/sudan/trainings/new", a_form(parent_id=str(tot)))
    assert field_error(not_a_cascade.text, "parent_id")
    assert await count_trainings(session_factory, sudan) == before

    made = await post(client, "/sudan/trainings/new",
                      a_form(kind="cascade", title="Cascade in Gedaref", parent_id=str(tot)))
    assert made.status_code == 303
    cascade_id = made.headers["location"].rsplit("/", 1)[1]
    assert str((await stored(session_factory, sudan, cascade_id)).parent_id) == str(tot)
    tot_page = await client.get(f"/sudan/trainings/{tot}")
    assert "Cascade in Gedaref" in tot_page.text
    # The ToT cannot hang below its own cascade (a loop).
    loop = await post(client, f"/sudan/trainings/{tot}/edit",
                      a_form(kind="cascade", parent_id=cascade_id, version="1"))
    assert loop.status_code == 422 and field_error(loop.text, "parent_id")


async def test_a_partner_user_s_home_leads_to_their_activities(client, partner):
    home = await client.get("/sudan/")
    assert 'href="/sudan/trainings"' in home.text and 'href="/sudan/trainings/new"' in home.text
