"""The JSON API's activities (issue 15): the partner agencies' trainings once held, with
aggregate figures only (never a participant's name), filters, pages, another mission's and
planned ones not found, every call audited; a token is required."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from app.audit.models import AuditEvent
from app.partners.models import FundingProject
from app.trainings.models import Training, TrainingAgeCount, TrainingParticipant
from tenants.context import tenant_scope
from tests.api_helpers import api_token, bearer
from tests.training_helpers import a_new_agency, a_training

API = "/api/v1"


@pytest.fixture(scope="module")
async def scene(missions, session_factory):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    async with session_factory() as db:
        agency = await a_new_agency(db, sudan, "Sudan API agency")
        held = await a_training(db, sudan, agency, status="held", title="Held ToT",
                                kind="training_of_trainers", female=1, male=0)
        approved = await a_training(db, sudan, agency, status="approved",
                                    title="Approved cascade", kind="cascade", parent_id=held)
        planned = await a_training(db, sudan, agency, title="Planned one")
        theirs = await a_training(db, mozambique, await a_new_agency(db, mozambique),
                                  status="approved", title="Mozambique's")
    with tenant_scope(sudan):
        async with session_factory() as db:
            eu = await db.scalar(select(FundingProject.id).where(
                FundingProject.code == "eu-ctip-horn"))
            await db.execute(update(Training).where(Training.id == held).values(
                participant_mode="individual", funding_project_id=eu))
            db.add(TrainingParticipant(tenant_id=sudan.id, training_id=held, position=0,
                                       name="Secret Name", sex="female", age_group="25_34",
                                       institution="Ministry of Interior",
                                       contact="secret@example.org", consent=True))
            db.add(TrainingAgeCount(tenant_id=sudan.id, training_id=held, age_group="25_34",
                                    participants=1))
            await db.commit()
    token = await api_token(session_factory, sudan, "donor dashboard")
    return {"held": held, "approved": approved, "planned": planned, "theirs": theirs,
            "agency": agency, "token": token}


async def test_activities_list_held_ones_with_figures_only(client, scene):
    response = await client.get(f"{API}/sudan/activities?agency={scene['agency']}",
                                headers=bearer(scene["token"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 2
    by_title = {item["title"]: item for item in body["items"]}
    assert set(by_title) == {"Held ToT", "Approved cascade"}
    held = by_title["Held ToT"]
    assert held["participants"] == {"female": 1, "male": 0, "other": 0, "not_recorded": 0,
                                    "total": 1}
    assert held["participants_listed_one_by_one"] is True
    assert held["by_age_group"] == [{"age_group": "25_34", "participants": 1}]
    assert held["funding_project"]["donor"] == "European Commission"
    assert held["agency"]["name"] == "Sudan API agency"
    assert by_title["Approved cascade"]["parent_id"] == str(scene["held"])
    assert "Secret Name" not in response.text and "secret@" not in response.text


async def test_filters_pages_and_one_activity(client, scene):
    headers = bearer(scene["token"])
    approved = (await client.get(f"{API}/sudan/activities?status=approved&kind=cascade"
                                 f"&agency={scene['agency']}", headers=headers)).json()
    assert [i["title"] for i in approved["items"]] == ["Approved cascade"]
    page = (await client.get(f"{API}/sudan/activities?limit=1&offset=1&agency="
                             f"{scene['agency']}", headers=headers)).json()
    assert (page["total"], len(page["items"]), page["offset"]) == (2, 1, 1)
    one = await client.get(f"{API}/sudan/activities/{scene['held']}", headers=headers)
    assert one.status_code == 200 and one.json()["title"] == "Held ToT"
    for hidden in (scene["planned"], scene["theirs"]):
        missing = await client.get(f"{API}/sudan/activities/{hidden}", headers=headers)
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/json")
    assert (await client.get(f"{API}/sudan/activities?status=planned",
                             headers=headers)).status_code == 400
    assert (await client.get(f"{API}/sudan/activities?limit=0", headers=headers)
            ).status_code == 400
    # Thematic areas are the mission's (its mission file): any code filters, a code of
    # another mission finds nothing here, a malformed one is refused.
    assert (await client.get(f"{API}/sudan/activities?thematic_area=climate_mobility",
                             headers=headers)).json()["items"] == []
    assert (await client.get(f"{API}/sudan/activities?thematic_area=Not%20a%20code",
                             headers=headers)).status_code == 400
    assert (await client.get(f"{API}/sudan/activities")).status_code == 401


async def test_calls_are_audited(client, missions, session_factory, scene):
    await client.get(f"{API}/sudan/activities/{scene['approved']}",
                     headers=bearer(scene["token"]))
    with tenant_scope(missions["sudan"]):
        async with session_factory() as db:
            event = await db.scalar(select(AuditEvent).where(
                AuditEvent.action == "api.activities.get").order_by(
                AuditEvent.created_at.desc()).limit(1))
    assert event is not None
    assert (event.object_type, event.object_id) == ("training", str(scene["approved"]))
