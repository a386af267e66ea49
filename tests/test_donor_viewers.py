"""Donor viewers (issue 19): a read-only membership per mission, invited by mission admins
with the funding projects they may read. They see those projects' reports and exports only,
always with small cells hidden, and no page that names a person."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import select

from app.accounts.models import DonorProject, Invitation, Membership
from app.partners.models import FundingProject
from tenants.context import tenant_scope
from tests.accounts_helpers import PASSWORD, link_in, mails_to, make_user, sign_in, use_session
from tests.conftest import csrf_token
from tests.html import field_error, parse, select_all, table_rows
from tests.reports_helpers import ReportData, fill_report_data

pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture(scope="module")
async def data(session_factory, missions) -> ReportData:
    return await fill_report_data(session_factory, missions["sudan"])


async def a_project(session_factory, tenant, code: str) -> FundingProject:
    with tenant_scope(tenant):
        async with session_factory() as db:
            project = FundingProject(tenant_id=tenant.id, code=code, name=f"Project {code}",
                                     donor="Another donor", start_date=date(2026, 1, 1),
                                     end_date=date(2026, 12, 31))
            db.add(project)
            await db.commit()
            return project


@pytest.fixture(scope="module")
async def other_projects(session_factory, missions, data) -> dict[str, FundingProject]:
    """A project of Sudan the donor was not given, and one of Mozambique."""
    return {"sudan": await a_project(session_factory, missions["sudan"], "DONOR-OTHER"),
            "mozambique": await a_project(session_factory, missions["mozambique"], "DONOR-MOZ")}


async def a_donor(client, session_factory, tenant, *project_ids):
    """A donor viewer of the mission with these projects, signed in."""
    user = await make_user(session_factory, tenant, "donor_viewer")
    with tenant_scope(tenant):
        async with session_factory() as db:
            membership = await db.scalar(select(Membership).where(
                Membership.tenant_id == tenant.id, Membership.user_id == user.id))
            assert membership is not None
            db.add_all(DonorProject(tenant_id=tenant.id, membership_id=membership.id,
                                    funding_project_id=p) for p in project_ids)
            await db.commit()
    assert (await sign_in(client, tenant, user.email)).status_code == 303
    return user


def figures(body: str, key: str) -> list[list[str]]:
    return table_rows(body, f'table[data-table="{key}"]')


async def _invite(client, data) -> object:
    token = await csrf_token(client, "/sudan/admin/members")
    return await client.post("/sudan/admin/members", data={**data, "_csrf_token": token},
                             follow_redirects=False)


# --- the invitation ----------------------------------------------------------------------------

async def test_a_mission_admin_invites_a_donor_with_their_projects(
        client, missions, session_factory, data, other_projects):
    sudan = missions["sudan"]
    admin = await make_user(session_factory, sudan, "mission_admin")
    await sign_in(client, sudan, admin.email)
    people = await client.get("/sudan/admin/members")
    offered = [i.attributes["value"] for i in
               parse(people.text).css('input[name="funding_project_ids"]')]
    assert str(data.project_id) in offered and str(other_projects["sudan"].id) in offered
    assert str(other_projects["mozambique"].id) not in offered
    # Without a project, or with another mission's, refused at the field; nothing written.
    response = await _invite(client, {"email": "donor@ec.example", "role": "donor_viewer"})
    assert response.status_code == 400
    assert field_error(response.text, "funding_project_ids") == \
        "Choose the funding projects this donor may see."
    response = await _invite(client, {"email": "donor@ec.example", "role": "donor_viewer",
                                      "funding_project_ids": str(other_projects["mozambique"].id)})
    assert response.status_code == 400
    assert field_error(response.text, "funding_project_ids") == \
        "Choose among the funding projects listed."
    assert not await mails_to(session_factory, sudan, "donor@ec.example")

    response = await _invite(client, {"email": "donor@ec.example", "role": "donor_viewer",
                                      "funding_project_ids": str(data.project_id)})
    assert response.status_code == 303
    [mail] = await mails_to(session_factory, sudan, "donor@ec.example")
    assert "مانح (اطلاع فقط)" in mail.body  # the role, in the mission's language (Arabic)
    use_session(client, None)
    path = link_in(mail)
    token = await csrf_token(client, path)
    response = await client.post(path, data={"name": "Eva Donor", "password": PASSWORD,
                                             "password_confirm": PASSWORD,
                                             "_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    with tenant_scope(sudan):
        async with session_factory() as db:
            membership = await db.scalar(select(Membership).join(
                Invitation, Invitation.email == "donor@ec.example").where(
                Membership.role == "donor_viewer"))
            assert membership is not None
            linked = list(await db.scalars(select(DonorProject.funding_project_id).where(
                DonorProject.membership_id == membership.id)))
    assert linked == [data.project_id]

    # The People page says who they are and what they read.
    await sign_in(client, sudan, admin.email)
    people = await client.get("/sudan/admin/members")
    [row] = [r for r in table_rows(people.text) if r[1] == "donor@ec.example"]
    assert row[2].startswith("Donor viewer") and "Reports test project" in row[2]
    # Nobody becomes a donor viewer without projects: the role change is refused.
    staff = await make_user(session_factory, sudan, "staff")
    with tenant_scope(sudan):
        async with session_factory() as db:
            staff_membership = await db.scalar(select(Membership.id).where(
                Membership.user_id == staff.id))
    token = await csrf_token(client, "/sudan/admin/members")
    response = await client.post(f"/sudan/admin/members/{staff_membership}/role",
                                 data={"role": "donor_viewer", "_csrf_token": token})
    assert response.status_code == 400
    assert "invited with their funding projects" in response.text
    # Leaving the role drops the projects with it.
    response = await client.post(f"/sudan/admin/members/{membership.id}/role",
                                 data={"role": "staff", "_csrf_token": token},
                                 follow_redirects=False)
    assert response.status_code == 303
    with tenant_scope(sudan):
        async with session_factory() as db:
            assert not list(await db.scalars(select(DonorProject).where(
                DonorProject.membership_id == membership.id)))
    use_session(client, None)


# --- what a donor viewer reads -----------------------------------------------------------------

async def test_a_donors_home_lists_their_projects(client, missions, session_factory, data,
                                                  other_projects):
    await a_donor(client, session_factory, missions["sudan"], data.project_id)
    home = await client.get("/sudan/")
    links = parse(home.text).css("#donor-projects a")
    assert [(a.text(), a.attributes["href"]) for a in links] == [
        ("Reports test project", f"/sudan/reports/project?project={data.project_id}")]
    assert "Project DONOR-OTHER" not in home.text
    # Their navigation leads to the project report, and to nothing that names a person.
    nav = select_all(home.text, "nav a")
    assert "Project report" in nav
    assert not {"Expert registry", "Assignment requests", "Assignments", "Trainings",
                "Reports"} & set(nav)
    use_session(client, None)


async def test_a_donor_reads_their_project_report_with_small_cells_hidden(
        client, missions, session_factory, data):
    await a_donor(client, session_factory, missions["sudan"], data.project_id)
    # Before a project is chosen: their projects only among the choices.
    body = (await client.get("/sudan/reports/project")).text
    assert [o.attributes["value"] for o in parse(body).css("#f-project option")
            if o.attributes["value"]] == [str(data.project_id)]
    response = await client.get(f"/sudan/reports/project?project={data.project_id}")
    assert response.status_code == 200
    body = response.text
    # The project's people trained (as staff see them: 9, 9, 1, 0, 19) with the one "other"
    # hidden, the women beside it (else the row's total tells it), and the total row's women
    # (else the column tells them).
    assert figures(body, "outputs.people_trained") == [
        ["Activities of partner agencies", "<5", "9", "<5", "0", "19"],
        ["Assignments without a linked activity", "0", "0", "0", "0", "0"],
        ["Total", "<5", "9", "<5", "0", "19"]]
    # The assignments: the one completed assignment is a count of 1.
    assert figures(body, "assignments.assignments_by_status")[-1] == ["Total", "<5"]
    # No count from 1 to 4 is shown anywhere.
    shown = [cell for table in parse(body).css("table[data-table] tbody")
             for cell in (td.text().strip() for td in table.css("td"))]
    assert not {"1", "2", "3", "4"} & set(shown)
    assert "Figures from 1 to 4 show as" in body
    # The exports hold what the screen shows.
    response = await client.get(f"/sudan/reports/project/export.csv?project={data.project_id}"
                                "&table=outputs.people_trained")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[1:] == figures(body, "outputs.people_trained")
    response = await client.get(f"/sudan/reports/project/export.xlsx?project={data.project_id}")
    assert response.status_code == 200
    use_session(client, None)


async def test_a_donor_reads_nothing_else(client, missions, session_factory, data,
                                          other_projects):
    await a_donor(client, session_factory, missions["sudan"], data.project_id)
    # Another project of the mission, or of another mission: not found, page and exports.
    for project in other_projects.values():
        for path in ("", "/export.csv", "/export.xlsx"):
            response = await client.get(f"/sudan/reports/project{path}?project={project.id}")
            assert response.status_code == 404, (project.code, path)
    # Nothing with personal data, nor the mission's other figures.
    for path in ("/reports", "/reports/supply", "/reports/partner", "/reports/export.csv",
                 "/experts", "/requests", "/assignments", "/trainings", "/search",
                 "/trainings/export.csv", "/institutions"):
        assert (await client.get(f"/sudan{path}")).status_code == 403, path
    use_session(client, None)
