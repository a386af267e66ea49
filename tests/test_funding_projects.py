"""Funding projects (issue 15): listed in the mission files, kept by mission admins (add,
change, close, open again; audited, stale forms refused), chosen on a training's form;
a closed project is no longer offered but stays on the trainings it funded."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from app.audit.models import AuditEvent
from app.partners.models import FundingProject
from tenants.context import tenant_scope
from tests.conftest import csrf_token
from tests.html import field_error, select_all, table_rows
from tests.training_helpers import a_new_agency, a_training

pytestmark = pytest.mark.usefixtures("in_english")


async def post(client, path: str, data: dict | None = None):
    token = await csrf_token(client, "/sudan/")
    return await client.post(path, data={**(data or {}), "_csrf_token": token},
                             follow_redirects=False)


async def projects(session_factory, tenant) -> dict[str, FundingProject]:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return {p.code: p for p in await db.scalars(select(FundingProject))}


def a_project(**changes) -> dict:
    return {"code": "ECHO-2027-01", "name": "Protection of migrants on the move",
            "donor": "European Commission", "start_date": "2027-01-01",
            "end_date": "2028-12-31", **changes}


async def test_both_missions_list_their_donors(missions, session_factory):
    for slug in ("sudan", "mozambique"):
        donors = {p.donor for p in (await projects(session_factory, missions[slug])).values()}
        assert {"European Commission", "US Department of State (J/TIP)",
                "Netherlands Ministry of Foreign Affairs"} <= donors, slug


async def test_a_mission_admin_adds_changes_and_closes_a_project(client, missions,
                                                                 session_factory,
                                                                 mission_admin):
    sudan = missions["sudan"]
    assert (await post(client, "/sudan/admin/funding", a_project())).status_code == 303
    project = (await projects(session_factory, sudan))["ECHO-2027-01"]
    listing = await client.get("/sudan/admin/funding")
    assert ["ECHO-2027-01", "Protection of migrants on the move", "European Commission"] in [
        row[:3] for row in table_rows(listing.text)]

    url = f"/sudan/admin/funding/{project.id}"
    assert (await client.get(url)).status_code == 200
    changed = await post(client, url, a_project(name="Protection on the move", version="1"))
    assert changed.status_code == 303
    # The same form sent again from version 1 is stale: refused, nothing changes.
    stale = await post(client, url, a_project(name="Someone else's name", version="1"))
    assert stale.status_code == 409 and field_error(stale.text, "form") is None
    assert "Someone changed this project" in stale.text
    closed = await post(client, f"{url}/status", {"status": "closed", "version": "2"})
    assert closed.status_code == 303
    stored = (await projects(session_factory, sudan))["ECHO-2027-01"]
    assert (stored.name, stored.status, stored.version) == ("Protection on the move",
                                                             "closed", 3)
    with tenant_scope(sudan):
        async with session_factory() as db:
            actions = list(await db.scalars(select(AuditEvent.action).where(
                AuditEvent.object_id == str(project.id)).order_by(AuditEvent.created_at)))
    assert actions == ["funding_project.created", "funding_project.updated",
                       "funding_project.closed"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"code": ""}, "code"),
    ({"code": "nl-better-migration"}, "code"),     # already the mission's (mission file)
    ({"code": "NL-BETTER-MIGRATION"}, "code"),     # codes are compared without case
    ({"donor": ""}, "donor"),
    ({"name": "x" * 301}, "name"),
    ({"start_date": "31/12/2027"}, "start_date"),
    ({"end_date": "2026-12-31"}, "end_date"),      # before the start
])
async def test_bad_input_is_refused_at_the_field(client, missions, session_factory,
                                                 mission_admin, changes, field):
    before = len(await projects(session_factory, missions["sudan"]))
    response = await post(client, "/sudan/admin/funding", a_project(**changes))
    assert response.status_code == 422
    assert field_error(response.text, field), field
    assert len(await projects(session_factory, missions["sudan"])) == before


async def test_a_training_names_an_active_project_of_its_mission(client, missions,
                                                                 session_factory, officer):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    mine = await projects(session_factory, sudan)
    theirs = await projects(session_factory, mozambique)
    async with session_factory() as db:
        agency_id = await a_new_agency(db, sudan)
        training_id = await a_training(db, sudan, agency_id, title="Funded training")
    url = f"/sudan/trainings/{training_id}"
    page = await client.get(url)
    offered = select_all(page.text, "#f-funding_project_id option")
    assert any("nl-better-migration" in text for text in offered)

    form = {"title": "Funded training", "kind": "training", "thematic_area": "protection",
            "start_date": "2027-03-01", "end_date": "2027-03-03", "female": "4", "male": "5",
            "version": "1"}
    other = await post(client, f"{url}/edit", {
        **form, "funding_project_id": str(next(iter(theirs.values())).id)})
    assert other.status_code == 422 and field_error(other.text, "funding_project_id")
    chosen = mine["eu-ctip-horn"]
    saved = await post(client, f"{url}/edit", {**form, "funding_project_id": str(chosen.id)})
    assert saved.status_code == 303, saved.text[:2000]
    assert "Counter-trafficking in the Horn of Africa" in (await client.get(url)).text

    # Closed: no longer offered to others, but the training keeps it and may be saved.
    with tenant_scope(sudan):
        async with session_factory() as db:
            await db.execute(update(FundingProject).where(FundingProject.id == chosen.id)
                             .values(status="closed"))
            await db.commit()
    new_form = await client.get("/sudan/trainings/new")
    assert not any("eu-ctip-horn" in t
                   for t in select_all(new_form.text, "#f-funding_project_id option"))
    again = await post(client, f"{url}/edit", {**form, "title": "Funded training, day 2",
                                               "funding_project_id": str(chosen.id),
                                               "version": "2"})
    assert again.status_code == 303, again.text[:2000]


async def test_other_roles_do_not_manage_projects(client, missions, session_factory,
                                                  officer):
    response = await post(client, "/sudan/admin/funding", a_project(code="STAFF-TRY"))
    assert response.status_code == 403
    with tenant_scope(missions["sudan"]):
        async with session_factory() as db:
            assert await db.scalar(select(func.count()).select_from(FundingProject).where(
                FundingProject.code == "STAFF-TRY")) == 0
