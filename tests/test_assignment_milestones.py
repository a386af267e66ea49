"""Milestones and deliverables: taken from the request's terms of reference, kept by staff,
handed in by the expert with evidence files checked like a CV (several a milestone, staff
remove one while the assignment is open), and overdue ones standing out on every list (with
a filter of their own)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.assignment_requests.models import AssignmentRequest
from app.assignments import milestones as milestone_service
from app.assignments import services
from app.assignments.models import Assignment, Milestone, MilestoneEvidence
from app.core.actor import Actor
from app.core.errors import FormErrors
from app.core.roles import permissions_for
from app.matching.models import ShortlistEntry
from tenants.context import tenant_scope
from tests.accounts_helpers import use_session
from tests.assignment_helpers import a_milestone, an_assignment
from tests.conftest import csrf_token
from tests.documents_helpers import app_storage, minimal_docx, minimal_pdf
from tests.html import field_error, parse, select_all
from tests.request_helpers import _profile_of, make_institution, make_request

pytestmark = pytest.mark.usefixtures("in_english")

STAFF = Actor(email="officer@example.org", name="Officer", role="staff",
              permissions=permissions_for("staff", False))
TASKS = """- Assess current leak-detection practice
- Deliver a three-week training for 20 engineers
* coach the teams in two pilot zones"""
DELIVERABLES = "Inception note; training material in English and Arabic;\nfinal report."


async def post(client, path: str, data: dict | None = None, files: dict | None = None):
    token = await csrf_token(client, "/sudan/")
    return await client.post(path, data={**(data or {}), "_csrf_token": token}, files=files,
                             follow_redirects=False)


async def milestones(session_factory, tenant, assignment_id) -> list[Milestone]:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return list(await db.scalars(select(Milestone).where(
                Milestone.assignment_id == assignment_id).order_by(Milestone.position)))


async def evidence(session_factory, tenant, milestone_id) -> list[MilestoneEvidence]:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return list(await db.scalars(select(MilestoneEvidence).where(
                MilestoneEvidence.milestone_id == milestone_id)
                .order_by(MilestoneEvidence.created_at)))


async def version(session_factory, tenant, assignment_id) -> int:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(Assignment.version).where(
                Assignment.id == assignment_id))


async def _with_milestone(session_factory, tenant, due: date | None, status="in_progress",
                          institution_id=None, of_signed_in_expert=True):
    async with session_factory() as db:
        assignment_id = await an_assignment(db, tenant, institution_id, status=status,
                                            of_signed_in_expert=of_signed_in_expert)
    with tenant_scope(tenant):
        async with session_factory() as db:
            milestone = Milestone(tenant_id=tenant.id, assignment_id=assignment_id,
                                  title="Inception note", kind="deliverable", due_date=due)
            db.add(milestone)
            await db.commit()
    return assignment_id, milestone.id


async def test_a_confirmed_selection_takes_the_terms_of_reference(missions, session_factory):
    sudan = missions["sudan"]
    async with session_factory() as db:
        institution = await make_institution(db, sudan)
        request = await make_request(db, sudan, institution.id, status="filled")
        profile = await _profile_of(db, sudan, None)
    start = request.earliest_start
    with tenant_scope(sudan):
        async with session_factory() as db:
            request = await db.scalar(select(AssignmentRequest).where(
                AssignmentRequest.id == request.id))
            request.tasks, request.deliverables = TASKS, DELIVERABLES
            entry = ShortlistEntry(tenant_id=sudan.id, request_id=request.id,
                                   profile_id=profile.id, status="selected", explanation={})
            db.add(entry)
            await db.flush()
            assignment = await services.create_from_selection(db, sudan, STAFF, request,
                                                              profile.id, entry.id, 1)
            await db.commit()
    rows = await milestones(session_factory, sudan, assignment.id)
    end = start + timedelta(weeks=4) - timedelta(days=1)
    assert [(m.kind, m.title) for m in rows] == [
        ("milestone", "Assess current leak-detection practice"),
        ("milestone", "Deliver a three-week training for 20 engineers"),
        ("milestone", "Coach the teams in two pilot zones"),
        ("deliverable", "Inception note"),
        ("deliverable", "Training material in English and Arabic"),
        ("deliverable", "Final report")]
    # The tasks fall due in turn across the plan, the deliverables at its end.
    assert [m.due_date for m in rows[:3]] == [start + (end - start) * i // 3 for i in (1, 2, 3)]
    assert {m.due_date for m in rows[3:]} == {end}
    assert {m.status for m in rows} == {"pending"}
    # A postponement moves what is still to do by as much as the start moves.
    with tenant_scope(sudan):
        async with session_factory() as db:
            await services.change_plan(db, sudan, STAFF, assignment.id, services.PlanForm(
                planned_start=(start + timedelta(days=10)).isoformat(),
                planned_end=(end + timedelta(days=10)).isoformat(), modality="on_site",
                reason="Visa delays"), "http://x/", notify=False)
    moved = await milestones(session_factory, sudan, assignment.id)
    assert [m.due_date for m in moved] == [m.due_date + timedelta(days=10) for m in rows]


async def test_staff_keep_the_milestones_on_the_page(client, missions, session_factory,
                                                     officer):
    sudan = missions["sudan"]
    async with session_factory() as db:
        assignment_id = await an_assignment(db, sudan, status="contracted")
    url = f"/sudan/assignments/{assignment_id}"
    with tenant_scope(sudan):
        async with session_factory() as db:
            row = await db.scalar(select(Assignment).where(Assignment.id == assignment_id))
            row.planned_start, row.planned_end = date(2027, 3, 1), date(2027, 4, 15)
            await db.commit()
    shown = await version(session_factory, sudan, assignment_id)
    added = await post(client, f"{url}/milestones", {
        "title": "Field survey report", "kind": "deliverable", "due_date": "2027-04-01",
        "version": str(shown)})
    assert added.status_code == 303
    # Bad input is refused at its field, and nothing is written.
    bad = await post(client, f"{url}/milestones", {
        "title": "  ", "kind": "deliverable", "due_date": "2027-02-01",
        "version": str(shown + 1)})
    assert bad.status_code == 422
    assert field_error(bad.text, "title") == "This field is required."
    assert field_error(bad.text, "due_date") == \
        "The due date comes before the assignment starts."
    # The request's tasks come back on demand.
    assert (await post(client, f"{url}/milestones", {
        "from_terms": "1", "version": str(shown + 1)})).status_code == 303
    rows = await milestones(session_factory, sudan, assignment_id)
    assert [m.title for m in rows] == ["Field survey report", "Run a two-week course"]
    survey = rows[0]
    # Two people with the same page: the second change is refused, with the page as it is now.
    change = {"title": "Field survey reports", "kind": "deliverable",
              "due_date": "2027-04-02", "status": "done", "version": str(shown + 2)}
    assert (await post(client, f"{url}/milestones/{survey.id}", change)).status_code == 303
    stale = await post(client, f"{url}/milestones/{survey.id}", {**change, "title": "Other"})
    assert stale.status_code == 409 and "changed this assignment" in stale.text
    survey = (await milestones(session_factory, sudan, assignment_id))[0]
    assert (survey.title, survey.status, str(survey.due_date)) == \
        ("Field survey reports", "done", "2027-04-02") and survey.done_at is not None
    removed = await post(client, f"{url}/milestones/{rows[1].id}", {
        "remove": "1", "version": str(shown + 3)})
    assert removed.status_code == 303
    assert [m.title for m in await milestones(session_factory, sudan, assignment_id)] == \
        ["Field survey reports"]
    page = await client.get(url)
    assert "Milestone added" in page.text and "Milestone removed" in page.text


async def test_overdue_milestones_stand_out_and_filter(client, missions, session_factory,
                                                       signed_in_as):
    sudan = missions["sudan"]
    async with session_factory() as db:
        institution_id = (await make_institution(db, sudan)).id
    yesterday = date.today() - timedelta(days=2)
    expert = await signed_in_as("expert")
    late, _m = await _with_milestone(session_factory, sudan, yesterday,
                                     institution_id=institution_id)
    on_time, _m = await _with_milestone(session_factory, sudan,
                                        date.today() + timedelta(days=30),
                                        institution_id=institution_id)
    closed, _m = await _with_milestone(session_factory, sudan, yesterday, status="cancelled")
    assert expert
    # The expert's own list marks it.
    mine = await client.get("/sudan/assignments")
    marked = select_all(mine.text, "tr.overdue-row a")
    assert len(marked) == 1 and str(late) in mine.text
    assert "1 milestone overdue" in mine.text
    use_session(client, None)
    await signed_in_as("staff")
    everything = await client.get("/sudan/assignments")
    assert str(on_time) in everything.text and str(closed) in everything.text
    only_late = await client.get("/sudan/assignments?overdue=1")
    assert only_late.status_code == 200
    assert str(late) in only_late.text
    assert str(on_time) not in only_late.text and str(closed) not in only_late.text
    page = await client.get(f"/sudan/assignments/{late}")
    assert select_all(page.text, "#milestones .overdue") == ["Overdue"]
    exported = await client.get("/sudan/assignments/export.csv?overdue=1")
    header, *lines = list(csv.reader(io.StringIO(exported.text)))
    assert len(lines) == 1 and lines[0][header.index("overdue_milestones")] == "1"
    # The focal point of the institution sees it as well.
    use_session(client, None)
    await signed_in_as("institution_focal_point", host_institution_id=institution_id)
    ours = await client.get("/sudan/assignments")
    assert len(select_all(ours.text, "tr.overdue-row")) == 1


async def test_the_expert_hands_in_evidence_checked_like_a_cv(client, missions,
                                                              session_factory, signed_in_as):
    sudan = missions["sudan"]
    async with session_factory() as db:
        institution_id = (await make_institution(db, sudan)).id
    await signed_in_as("expert")
    assignment_id, milestone_id = await _with_milestone(
        session_factory, sudan, date.today() - timedelta(days=1), institution_id=institution_id)
    url = f"/sudan/assignments/{assignment_id}/milestones/{milestone_id}/evidence"
    # A text file renamed .pdf is refused next to its field; nothing is stored.
    refused = await post(client, url, files={"evidence": ("note.pdf", b"just text" * 50,
                                                          "application/pdf")})
    assert refused.status_code == 422
    assert field_error(refused.text, f"evidence-{milestone_id}") == \
        "Upload the evidence as a PDF or Word (.docx) document."
    nothing = await post(client, url)
    assert nothing.status_code == 422
    assert field_error(nothing.text, f"evidence-{milestone_id}") == "Choose the file to upload."
    assert await evidence(session_factory, sudan, milestone_id) == []
    pdf = minimal_pdf("Inception note")
    sent = await post(client, url, files={"evidence": ("../inception.pdf", pdf,
                                                       "application/pdf")})
    assert sent.status_code == 303
    assert (await milestones(session_factory, sudan, assignment_id))[0].status == "done"
    # A second file stays beside the first: a milestone keeps several, each with who and when.
    docx = minimal_docx("Attendance sheet")
    assert (await post(client, url, files={"evidence": ("attendance.docx", docx,
                                                        "application/octet-stream")})
            ).status_code == 303
    first, second = await evidence(session_factory, sudan, milestone_id)
    assert (first.filename, second.filename) == ("inception.pdf", "attendance.docx")
    assert first.uploaded_by_id is not None and first.sha256 != second.sha256
    assert await app_storage().get(first.key) == pdf
    # No longer overdue once handed in; both files listed with who handed them in.
    page = await client.get(f"/sudan/assignments/{assignment_id}")
    assert not select_all(page.text, "#milestones .overdue")
    assert select_all(page.text, "#milestones li a") == ["inception.pdf", "attendance.docx"]
    # The expert does not remove files: that is staff's.
    assert not select_all(page.text, f'form[action$="/evidence/{first.id}/remove"]')
    # The institution reads them but does not hand anything in.
    use_session(client, None)
    await signed_in_as("institution_focal_point", host_institution_id=institution_id)
    download = await client.get(f"{url}/{first.id}")
    assert download.status_code == 200 and download.content == pdf
    assert (await client.get(f"{url}/{second.id}")).content == docx
    assert (await post(client, url, files={"evidence": ("x.pdf", pdf,
                                                        "application/pdf")})).status_code == 403
    # Another milestone's file is not found under this one.
    other = await _with_milestone(session_factory, sudan, None, institution_id=institution_id,
                                  of_signed_in_expert=False)
    assert (await client.get(f"/sudan/assignments/{other[0]}/milestones/{other[1]}/evidence/"
                             f"{first.id}")).status_code == 404


async def test_a_milestone_keeps_at_most_so_many_evidence_files(missions, session_factory):
    sudan = missions["sudan"]
    async with session_factory() as db:
        made = await a_milestone(db, sudan)
    for n in range(milestone_service.MAX_EVIDENCE - 1):  # the helper stored one
        with tenant_scope(sudan):
            async with session_factory() as db:
                await milestone_service.save_evidence(
                    db, sudan, STAFF, made["assignment_id"], made["milestone_id"],
                    f"part-{n}.pdf", minimal_pdf(f"Part {n}"), app_storage(), max_bytes=10**6)
    pdf = minimal_pdf("One too many")
    before = set(await app_storage().keys(f"{sudan.id}/milestones"))
    with tenant_scope(sudan):
        async with session_factory() as db:
            with pytest.raises(FormErrors) as refused:
                await milestone_service.save_evidence(
                    db, sudan, STAFF, made["assignment_id"], made["milestone_id"],
                    "extra.pdf", pdf, app_storage(), max_bytes=10**6)
    assert "at most 10 evidence files" in refused.value.errors["evidence"]
    # Nothing half-written: no row, and the refused file is not left on disk.
    assert len(await evidence(session_factory, sudan, made["milestone_id"])) == \
        milestone_service.MAX_EVIDENCE
    assert set(await app_storage().keys(f"{sudan.id}/milestones")) == before


async def test_staff_remove_an_evidence_file_while_the_assignment_is_open(
        client, missions, session_factory, signed_in_as):
    sudan = missions["sudan"]
    await signed_in_as("staff")
    async with session_factory() as db:
        made = await a_milestone(db, sudan)
    aid, mid, eid = made["assignment_id"], made["milestone_id"], made["evidence_id"]
    (stored,) = await evidence(session_factory, sudan, mid)
    page = await client.get(f"/sudan/assignments/{aid}")
    remove = f"/sudan/assignments/{aid}/milestones/{mid}/evidence/{eid}/remove"
    assert [b.attributes["aria-label"] for b in parse(page.text).css(
        f'form[action="{remove}"] button')] == ["Remove the evidence file inception.pdf"]
    # A page loaded before someone else changed the assignment is refused, nothing removed.
    stale = await post(client, remove, {"version": "0"})
    assert stale.status_code == 409 and await evidence(session_factory, sudan, mid)
    done = await post(client, remove, {"version": str(await version(session_factory, sudan,
                                                                      aid))})
    assert done.status_code == 303
    assert await evidence(session_factory, sudan, mid) == []
    with pytest.raises(FileNotFoundError):
        await app_storage().get(stored.key)
    assert (await client.get(f"/sudan/assignments/{aid}/milestones/{mid}/evidence/{eid}")
            ).status_code == 404
    # Once the assignment is closed its evidence stays as it is.
    async with session_factory() as db:
        closed = await a_milestone(db, sudan)
    with tenant_scope(sudan):
        async with session_factory() as db:
            row = await db.scalar(select(Assignment).where(
                Assignment.id == closed["assignment_id"]))
            row.status = "evaluated"
            await db.commit()
    refused = await post(client, f"/sudan/assignments/{closed['assignment_id']}/milestones/"
                                 f"{closed['milestone_id']}/evidence/{closed['evidence_id']}/remove")
    assert refused.status_code == 409
    assert len(await evidence(session_factory, sudan, closed["milestone_id"])) == 1
