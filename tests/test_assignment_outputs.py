"""An assignment's outputs in donors' figures: recorded by its expert or staff while the
work goes on, refused at the field when not a count, read by the institution, exported."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.assignments.models import Assignment
from app.partners.models import FundingProject
from tenants.context import tenant_scope
from tests.accounts_helpers import use_session
from tests.assignment_helpers import an_assignment
from tests.conftest import csrf_token
from tests.html import field_error
from tests.request_helpers import make_institution
from tests.training_helpers import a_funding_project

pytestmark = pytest.mark.usefixtures("in_english")


async def post(client, path: str, data: dict | None = None):
    token = await csrf_token(client, "/sudan/")
    return await client.post(path, data={**(data or {}), "_csrf_token": token},
                             follow_redirects=False)


async def stored(session_factory, tenant, assignment_id) -> Assignment:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(Assignment).where(Assignment.id == assignment_id))


async def test_the_expert_records_outputs_by_sex(client, missions, session_factory,
                                                  signed_in_as):
    sudan = missions["sudan"]
    async with session_factory() as db:
        institution_id = (await make_institution(db, sudan)).id
    await signed_in_as("expert")
    async with session_factory() as db:
        assignment_id = await an_assignment(db, sudan, institution_id, status="in_progress")
    url = f"/sudan/assignments/{assignment_id}"
    version = (await stored(session_factory, sudan, assignment_id)).version
    figures = {"trained_female": "12", "trained_male": "7", "trained_other": "0",
               "trained_not_recorded": "1", "sessions_held": "15", "documents_produced": "3",
               "institutions_supported": "2", "outputs_notes": "A leak-repair procedure.",
               "version": str(version)}
    # Not a count: refused next to the field, nothing written.
    bad = await post(client, f"{url}/outputs", {**figures, "trained_male": "seven",
                                                "sessions_held": "-2"})
    assert bad.status_code == 422
    assert field_error(bad.text, "trained_male") == "Enter a whole number."
    assert field_error(bad.text, "sessions_held") == "Enter a number from 0 to 1000000."
    assert (await stored(session_factory, sudan, assignment_id)).trained_female == 0
    assert (await post(client, f"{url}/outputs", figures)).status_code == 303
    row = await stored(session_factory, sudan, assignment_id)
    assert (row.trained_female, row.trained_male, row.trained_not_recorded,
            row.sessions_held, row.documents_produced, row.institutions_supported) == \
        (12, 7, 1, 15, 3, 2)
    assert row.outputs_notes == "A leak-repair procedure." and row.version == version + 1
    # The same form again is stale.
    stale = await post(client, f"{url}/outputs", {**figures, "sessions_held": "16"})
    assert stale.status_code == 409 and "changed this assignment" in stale.text
    # The institution reads the figures but does not write them.
    use_session(client, None)
    await signed_in_as("institution_focal_point", host_institution_id=institution_id)
    page = await client.get(url)
    assert "Outputs recorded" in page.text and "Female: 12" in page.text
    assert (await post(client, f"{url}/outputs", {**figures, "version": str(version + 1)})
            ).status_code == 403
    # Staff export them with the list.
    use_session(client, None)
    await signed_in_as("staff")
    exported = await client.get("/sudan/assignments/export.csv")
    header, *lines = exported.text.splitlines()
    assert header.endswith("trained_female,trained_male,trained_other,trained_not_recorded,"
                           "sessions_held,documents_produced,institutions_supported")
    assert any(line.endswith(",12,7,0,1,15,3,2") for line in lines)


async def test_outputs_wait_for_the_work_to_start(client, missions, session_factory, officer):
    sudan = missions["sudan"]
    async with session_factory() as db:
        assignment_id = await an_assignment(db, sudan, status="contracted")
    refused = await post(client, f"/sudan/assignments/{assignment_id}/outputs",
                         {"sessions_held": "2"})
    assert refused.status_code == 409
    assert "once the assignment has started" in refused.text


async def test_staff_choose_the_funding_project_on_the_plan(client, missions, session_factory,
                                                           officer):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    async with session_factory() as db:
        assignment_id = await an_assignment(db, sudan)
        project_id = await a_funding_project(db, sudan)
        theirs = await a_funding_project(db, mozambique)
    with tenant_scope(sudan):
        async with session_factory() as db:
            closed = FundingProject(tenant_id=sudan.id, code="OLD-1", name="Closed programme",
                                    donor="A donor", start_date=date(2020, 1, 1),
                                    end_date=date(2022, 12, 31), status="closed")
            db.add(closed)
            await db.commit()
            closed_id = closed.id
    url = f"/sudan/assignments/{assignment_id}"
    page = await client.get(url)
    assert str(project_id) in page.text and str(closed_id) not in page.text
    plan = {"planned_start": "2027-03-01", "planned_end": "2027-04-15", "modality": "on_site",
            "duty_station": "Kassala"}
    version = (await stored(session_factory, sudan, assignment_id)).version
    for refused in (closed_id, theirs, "not-an-id"):
        answer = await post(client, f"{url}/plan", {**plan, "funding_project_id": str(refused),
                                                    "version": str(version)})
        assert answer.status_code == 422
        assert field_error(answer.text, "funding_project_id") == \
            "Choose one of the options listed."
    assert (await post(client, f"{url}/plan", {**plan, "funding_project_id": str(project_id),
                                                "version": str(version)})).status_code == 303
    assert (await stored(session_factory, sudan, assignment_id)).funding_project_id == project_id
    # A form without the field (an older page) keeps the project.
    assert (await post(client, f"{url}/plan", {**plan, "duty_station": "Kassala town",
                                                "version": str(version + 1)})).status_code == 303
    assert (await stored(session_factory, sudan, assignment_id)).funding_project_id == project_id
