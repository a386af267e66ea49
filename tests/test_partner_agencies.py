"""Mission admins keep the partner agencies (issue 15): add, change, deactivate and
reactivate (audited, stale forms refused); the agency's page shows its focal points (the
partner users of the agency) and the single sign-on providers that sign people in for it.
A deactivated agency is no longer listed nor offered, and its partner users record no new
trainings."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.sso_models import IdentityProvider
from app.audit.models import AuditEvent
from app.partners.models import PartnerAgency
from app.trainings.models import Training
from tenants.context import tenant_scope
from tests.accounts_helpers import as_user, make_user
from tests.conftest import csrf_token
from tests.html import field_error, select_all, table_rows

pytestmark = pytest.mark.usefixtures("in_english")


async def post(client, path: str, data: dict | None = None):
    token = await csrf_token(client, "/sudan/")
    return await client.post(path, data={**(data or {}), "_csrf_token": token},
                             follow_redirects=False)


async def agency_named(session_factory, tenant, name: str) -> PartnerAgency | None:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(PartnerAgency).where(PartnerAgency.name == name))


async def test_a_mission_admin_adds_changes_and_deactivates_an_agency(
        client, missions, session_factory, mission_admin):
    sudan = missions["sudan"]
    form = {"name": "Sudanese Red Crescent Society", "short_name": "SRCS", "kind": "ngo"}
    added = await post(client, "/sudan/admin/partners", form)
    assert added.status_code == 303
    agency = await agency_named(session_factory, sudan, "Sudanese Red Crescent Society")
    assert agency is not None and (agency.code, agency.status) == ("srcs", "active")
    assert added.headers["location"] == f"/sudan/admin/partners/{agency.id}"
    assert "Sudanese Red Crescent Society" in (await client.get("/sudan/partners")).text

    url = f"/sudan/admin/partners/{agency.id}"
    changed = await post(client, url, {**form, "kind": "committee", "version": "1"})
    assert changed.status_code == 303
    stale = await post(client, url, {**form, "name": "Red Crescent", "version": "1"})
    assert stale.status_code == 409 and "Someone changed this partner agency" in stale.text
    off = await post(client, f"{url}/status", {"status": "inactive", "version": "2"})
    assert off.status_code == 303
    # No longer listed to the public nor offered on a training's form; still on the admin list.
    assert "Sudanese Red Crescent Society" not in (await client.get("/sudan/partners")).text
    offered = select_all((await client.get("/sudan/trainings/new")).text,
                         "#f-partner_agency_id option")
    assert "Sudanese Red Crescent Society" not in offered
    rows = table_rows((await client.get("/sudan/admin/partners")).text)
    assert ["Sudanese Red Crescent Society", "SRCS", "National committee", "Inactive"] in rows

    with tenant_scope(sudan):
        async with session_factory() as db:
            actions = list(await db.scalars(select(AuditEvent.action).where(
                AuditEvent.object_id == str(agency.id)).order_by(AuditEvent.created_at)))
    assert actions == ["partner_agency.created", "partner_agency.updated",
                       "partner_agency.deactivated"]
    on = await post(client, f"{url}/status", {"status": "active", "version": "3"})
    assert on.status_code == 303
    assert "Sudanese Red Crescent Society" in (await client.get("/sudan/partners")).text


@pytest.mark.parametrize(("changes", "field"), [
    ({"name": ""}, "name"),
    ({"name": "United Nations Children's Fund"}, "name"),   # already the mission's
    ({"name": "UNITED NATIONS CHILDREN'S FUND"}, "name"),
    ({"short_name": "x" * 41}, "short_name"),
    ({"kind": "company"}, "kind"),
])
async def test_bad_input_is_refused_at_the_field(client, missions, session_factory,
                                                 mission_admin, changes, field):
    with tenant_scope(missions["sudan"]):
        async with session_factory() as db:
            before = await db.scalar(select(func.count()).select_from(PartnerAgency))
    response = await post(client, "/sudan/admin/partners",
                          {"name": "Sudan Bar Association", "kind": "ngo", **changes})
    assert response.status_code == 422
    assert field_error(response.text, field), field
    with tenant_scope(missions["sudan"]):
        async with session_factory() as db:
            assert await db.scalar(select(func.count()).select_from(PartnerAgency)) == before


async def test_the_agency_page_shows_its_focal_points_and_single_sign_on(
        client, missions, session_factory, mission_admin):
    sudan = missions["sudan"]
    unicef = await agency_named(session_factory, sudan, "United Nations Children's Fund")
    assert unicef is not None
    await make_user(session_factory, sudan, "partner_user", partner_agency_id=unicef.id,
                    name="Hanan Elsir", email="hanan@unicef.example.org")
    await make_user(session_factory, sudan, "staff", name="Not A Focal Point")
    with tenant_scope(sudan):
        async with session_factory() as db:
            db.add(IdentityProvider(
                tenant_id=sudan.id, name="UNICEF Entra ID", issuer="https://login.example.org",
                client_id="portal", client_secret_encrypted="(not used)",
                allowed_domains=["unicef.example.org"], default_role="partner_user",
                partner_agency_id=unicef.id, existing_members_only=False, enabled=True))
            await db.commit()
    page = (await client.get(f"/sudan/admin/partners/{unicef.id}")).text
    focal_points = " ".join(select_all(page, "#focal-points li"))
    assert "Hanan Elsir" in focal_points and "Not A Focal Point" not in focal_points
    assert "UNICEF Entra ID" in " ".join(select_all(page, "#single-sign-on li"))


async def test_a_deactivated_agency_s_partner_users_record_no_new_trainings(
        client, missions, session_factory, signed_in_as):
    sudan = missions["sudan"]
    admin = await make_user(session_factory, sudan, "mission_admin")
    await as_user(client, sudan, admin)
    await post(client, "/sudan/admin/partners", {"name": "Closing NGO", "kind": "ngo"})
    agency = await agency_named(session_factory, sudan, "Closing NGO")
    assert agency is not None
    await post(client, f"/sudan/admin/partners/{agency.id}/status", {"status": "inactive"})
    await signed_in_as("partner_user", partner_agency_id=agency.id)
    response = await post(client, "/sudan/trainings/new", {
        "title": "Late training", "kind": "training", "thematic_area": "protection",
        "start_date": "2027-03-01", "end_date": "2027-03-01", "female": "1"})
    assert response.status_code == 422 and "no longer active" in response.text
    with tenant_scope(sudan):
        async with session_factory() as db:
            assert await db.scalar(select(func.count()).select_from(Training).where(
                Training.title == "Late training")) == 0


async def test_staff_and_partner_users_do_not_manage_agencies(client, missions, officer):
    assert (await client.get("/sudan/admin/partners")).status_code == 403
    assert (await post(client, "/sudan/admin/partners",
                       {"name": "Officer's agency", "kind": "ngo"})).status_code == 403
