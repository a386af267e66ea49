"""The API's assignments: every assignment of the mission with its dates, milestones,
outputs and accepted scores; the expert named only under the API's consent rule; no free
text; another mission's assignment is not found; calls audited with the assignment."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.assignments.models import Assignment, Evaluation, FinalReport, Milestone
from app.audit.models import AuditEvent
from app.core.clock import now
from tenants.context import tenant_scope
from tests.accounts_helpers import use_session
from tests.api_helpers import api_token, bearer, matching_scene

API = "/api/v1"


async def _assignment(session_factory, tenant, request, profile, slot: int,
                      status: str = "in_progress") -> Assignment:
    with tenant_scope(tenant):
        async with session_factory() as db:
            assignment = Assignment(
                tenant_id=tenant.id, request_id=request.id, profile_id=profile.id, slot=slot,
                status=status, modality="on_site", duty_station="Port Sudan",
                planned_start=date(2027, 3, 1), planned_end=date(2027, 4, 15), version=1,
                updated_at=now(), trained_female=11, trained_male=9, sessions_held=12,
                outputs_notes="Names of the trainees: Amal, Omar")
            db.add(assignment)
            await db.flush()
            db.add(Milestone(tenant_id=tenant.id, assignment_id=assignment.id, position=0,
                             kind="deliverable", title="Inception note", status="pending",
                             due_date=date.today() - timedelta(days=3)))
            if status == "evaluated":
                db.add(Evaluation(tenant_id=tenant.id, assignment_id=assignment.id,
                                  status="accepted", relevance=5, quality=4, timeliness=3,
                                  knowledge_transfer=4, would_host_again=5,
                                  comments="Dr. Private was late."))
                db.add(FinalReport(tenant_id=tenant.id, assignment_id=assignment.id,
                                   status="accepted", activities="Secret report text",
                                   results="More"))
            await db.commit()
    return assignment


@pytest.fixture(scope="module")
async def scene(missions, session_factory, index_now):
    sudan = await matching_scene(session_factory, missions["sudan"], "A")
    mozambique = await matching_scene(session_factory, missions["mozambique"], "B")
    await index_now()
    shared = await _assignment(session_factory, missions["sudan"], sudan.request,
                               sudan.shared[0], 1, status="evaluated")
    private = await _assignment(session_factory, missions["sudan"], sudan.request,
                                sudan.pseudonymous[0], 2)
    hidden = await _assignment(session_factory, missions["sudan"], sudan.request,
                               sudan.no_consent, 3)
    theirs = await _assignment(session_factory, missions["mozambique"], mozambique.request,
                               mozambique.shared[0], 1)
    return {"sudan": sudan, "shared": shared, "private": private, "hidden": hidden,
            "theirs": theirs}


@pytest.fixture(scope="module")
async def token(missions, session_factory) -> str:
    return await api_token(session_factory, missions["sudan"], "programme dashboard")


async def test_assignments_under_the_consent_rule(client, token, scene):
    use_session(client, None)
    listed = await client.get(f"{API}/sudan/assignments?limit=100", headers=bearer(token))
    assert listed.status_code == 200
    body = listed.json()
    items = {item["id"]: item for item in body["items"]}
    assert body["total"] == len(items) == 3
    shared = items[str(scene["shared"].id)]
    assert shared["expert"]["name"] == "Shared Expert A0" and shared["expert"]["shares_profile"]
    assert shared["evaluation"] == {"relevance": 5, "quality": 4, "timeliness": 3,
                                    "knowledge_transfer": 4, "would_host_again": 5}
    assert shared["outputs"]["trained_female"] == 11 and shared["outputs"]["sessions_held"] == 12
    private = items[str(scene["private"].id)]
    assert private["expert"]["name"] is None and private["expert"]["number"]
    assert private["evaluation"] is None
    # No consent to matching: the record stays for the figures, the expert does not.
    assert items[str(scene["hidden"].id)]["expert"] is None
    assert private["milestones"] == [{"kind": "deliverable", "title": "Inception note",
                                      "due_date": (date.today() - timedelta(days=3)).isoformat(),
                                      "status": "pending", "overdue": True, "evidence": False}]
    assert private["overdue_milestones"] == 1
    # No free text: reports, comments, notes.
    for secret in ("Secret report text", "Dr. Private", "Amal"):
        assert secret not in listed.text
    # Filters and paging.
    evaluated = (await client.get(f"{API}/sudan/assignments?status=evaluated",
                                  headers=bearer(token))).json()
    assert [i["id"] for i in evaluated["items"]] == [str(scene["shared"].id)]
    page = (await client.get(f"{API}/sudan/assignments?limit=1&offset=1",
                             headers=bearer(token))).json()
    assert page["total"] == 3 and len(page["items"]) == 1
    assert (await client.get(f"{API}/sudan/assignments?status=lost",
                             headers=bearer(token))).status_code == 400


async def test_one_assignment_and_another_mission_s(client, missions, session_factory, token,
                                                    scene):
    use_session(client, None)
    one = await client.get(f"{API}/sudan/assignments/{scene['shared'].id}",
                           headers=bearer(token))
    assert one.status_code == 200 and one.json()["request"]["number"] == \
        scene["sudan"].request.number
    theirs = await client.get(f"{API}/sudan/assignments/{scene['theirs'].id}",
                              headers=bearer(token))
    assert theirs.status_code == 404 and theirs.json()["error"]["status"] == 404
    assert (await client.get(f"{API}/sudan/assignments")).status_code == 401
    with tenant_scope(missions["sudan"]):
        async with session_factory() as db:
            events = list(await db.scalars(select(AuditEvent).where(
                AuditEvent.action == "api.assignments.get")))
    assert {e.object_type for e in events} == {"assignment"}
    assert str(scene["shared"].id) in {e.object_id for e in events}


async def test_the_schema_documents_the_assignments(client):
    schema = (await client.get(f"{API}/schema/openapi.json")).json()
    assert "/api/v1/{mission_slug}/assignments" in schema["paths"]
    assert "/api/v1/{mission_slug}/assignments/{assignment_id}" in schema["paths"]
    assert "Assignment" in schema["components"]["schemas"]
