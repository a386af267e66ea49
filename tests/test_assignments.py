"""Assignments: created by a confirmed selection that follows the institution's choice (or
an audited override), moved through their table with the preparation gate, planned and
postponed with reasons, guarded against stale forms, and seen by each party only as far as
they take part."""

from __future__ import annotations

import asyncio
import re
from datetime import date

import pytest
from litestar.exceptions import NotFoundException
from sqlalchemy import select, update

from app.accounts.models import Membership
from app.assignment_requests.models import AssignmentRequest
from app.assignments import closing, services
from app.assignments.models import (
    Assignment,
    ChecklistItem,
    Evaluation,
    FinalReport,
    Milestone,
    MilestoneEvidence,
)
from app.assignments.services import AssignmentRefused
from app.audit.models import AuditEvent
from app.core.actor import Actor
from app.core.errors import StaleForm
from app.core.roles import permissions_for
from app.experts.models import ExpertProfile
from app.experts.privacy import erase_account
from app.matching import shortlist
from app.matching.models import ShortlistEntry
from app.storage import new_key
from tenants.context import tenant_scope
from tests.accounts_helpers import as_user, mails_to, make_user, use_session
from tests.assignment_helpers import an_assignment
from tests.conftest import csrf_token
from tests.documents_helpers import app_storage, minimal_pdf
from tests.html import field_error, select_all, select_text
from tests.request_helpers import _profile_of, a_shared_shortlist_entry, make_institution

pytestmark = pytest.mark.usefixtures("in_english")

STAFF = Actor(email="officer@example.org", name="Officer", role="staff",
              permissions=permissions_for("staff", False))


async def post(client, path: str, data: dict | None = None):
    token = await csrf_token(client, "/sudan/")
    return await client.post(path, data={**(data or {}), "_csrf_token": token},
                             follow_redirects=False)


async def stored(session_factory, tenant, assignment_id) -> Assignment:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(Assignment).where(Assignment.id == assignment_id))


async def events(session_factory, tenant, action: str) -> list[AuditEvent]:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return list(await db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- the selection rules --------------------------------------------------------------------

async def _accepted_entry(session_factory, tenant, chosen: bool) -> tuple:
    async with session_factory() as db:
        ids = await a_shared_shortlist_entry(db, tenant)
    with tenant_scope(tenant):
        async with session_factory() as db:
            entry = await db.scalar(select(ShortlistEntry).where(
                ShortlistEntry.id == ids["entry_id"]))
            entry.status, entry.chosen_by_institution = "accepted", chosen
            await db.commit()
    return ids["request_id"], ids["entry_id"]


async def _confirm(session_factory, tenant, request_id, entry_id, reason=""):
    with tenant_scope(tenant):
        async with session_factory() as db:
            request = await db.scalar(select(AssignmentRequest).where(
                AssignmentRequest.id == request_id))
            entry = await db.scalar(select(ShortlistEntry).where(ShortlistEntry.id == entry_id))
            return await shortlist.confirm(db, tenant, STAFF, request, entry, "http://x/", reason)


async def test_confirming_follows_the_institution_s_choice(missions, session_factory):
    sudan = missions["sudan"]
    request_id, entry_id = await _accepted_entry(session_factory, sudan, chosen=False)
    with pytest.raises(shortlist.ShortlistRefused) as refused:
        await _confirm(session_factory, sudan, request_id, entry_id)
    assert "has not chosen this expert" in refused.value.errors["override_reason"]

    # With a reason on record, staff may confirm all the same.
    assignment = await _confirm(session_factory, sudan, request_id, entry_id,
                                "The ministry agreed by telephone; the letter follows.")
    assert assignment.status == "planned" and assignment.slot == 1
    confirmed = [e for e in await events(session_factory, sudan, "shortlist.confirm")
                 if e.object_id == str(request_id)]
    assert confirmed[0].after["chosen_by_institution"] is False
    assert confirmed[0].after["override_reason"].startswith("The ministry agreed")
    assert [e.object_id for e in await events(session_factory, sudan, "assignment.created")] \
        .count(str(assignment.id)) == 1


async def test_a_chosen_expert_is_confirmed_without_a_reason(missions, session_factory):
    sudan = missions["sudan"]
    request_id, entry_id = await _accepted_entry(session_factory, sudan, chosen=True)
    assignment = await _confirm(session_factory, sudan, request_id, entry_id)
    created = await stored(session_factory, sudan, assignment.id)
    assert created.version == 1 and created.shortlist_entry_id == entry_id


async def test_every_shortlist_move_goes_through_its_table():
    # The places filled: everyone still in the running leaves by the table's own move...
    for status in shortlist.ACTIVE:
        assert shortlist.SHORTLIST_TRANSITIONS[(status, "not_select")] == ("not_selected",
                                                                            shortlist.STAFF)
    # ...and an entry already out of the running cannot be moved that way.
    entry = ShortlistEntry(status="declined")
    with pytest.raises(shortlist.ShortlistRefused):
        shortlist._move(entry, "not_select", shortlist.STAFF)


# --- the life cycle -------------------------------------------------------------------------

async def _new(session_factory, tenant, **kwargs):
    async with session_factory() as db:
        return await an_assignment(db, tenant, **kwargs)


async def _move(session_factory, tenant, assignment_id, action, reason="", version=None):
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await services.move(db, tenant, STAFF, assignment_id, action, reason,
                                       version, "http://x/")


async def _tick_all(session_factory, tenant, assignment_id):
    with tenant_scope(tenant):
        async with session_factory() as db:
            view = await services.get_assignment(db, tenant, STAFF, assignment_id)
            await services.ensure_checklist(db, tenant)
            await db.commit()
            lines = await services.checklist_of(db, tenant, view)
    for line in lines:
        with tenant_scope(tenant):
            async with session_factory() as db:
                await services.tick(db, tenant, STAFF, assignment_id, line.item.id, True, None)


async def test_the_table_and_the_preparation_gate(missions, session_factory):
    sudan = missions["sudan"]
    assignment_id = await _new(session_factory, sudan)
    with pytest.raises(AssignmentRefused):  # not in this order
        await _move(session_factory, sudan, assignment_id, "complete")
    await _move(session_factory, sudan, assignment_id, "contract")
    with pytest.raises(AssignmentRefused) as gate:
        await _move(session_factory, sudan, assignment_id, "start")
    assert "checklist is not complete" in gate.value.message and "Visa" in gate.value.message
    await _tick_all(session_factory, sudan, assignment_id)
    await _move(session_factory, sudan, assignment_id, "start")
    await _move(session_factory, sudan, assignment_id, "complete")
    done = await stored(session_factory, sudan, assignment_id)
    assert done.status == "completed" and done.actual_start and done.actual_end
    # The report and the evaluation are not in yet: only an explicit close ends it.
    with pytest.raises(AssignmentRefused):
        await _move(session_factory, sudan, assignment_id, "evaluate")
    with pytest.raises(AssignmentRefused) as no_reason:
        await _move(session_factory, sudan, assignment_id, "close_without_evaluation")
    assert "reason" in no_reason.value.errors
    await _move(session_factory, sudan, assignment_id, "close_without_evaluation",
                "Three reminders went unanswered.")
    closed = await stored(session_factory, sudan, assignment_id)
    assert closed.status == "evaluated" and closed.closed_without_evaluation
    assert closed.version == 1 + 1 + 6 + 1 + 1 + 1  # every change counted (six ticks)


async def test_remote_work_waits_only_for_what_applies(missions, session_factory):
    sudan = missions["sudan"]
    assignment_id = await _new(session_factory, sudan)
    with tenant_scope(sudan):
        async with session_factory() as db:
            row = await db.scalar(select(Assignment).where(Assignment.id == assignment_id))
            row.modality = "remote"
            await services.ensure_checklist(db, sudan)
            await db.commit()
    with tenant_scope(sudan):
        async with session_factory() as db:
            lines = await services.checklist_of(db, sudan, await services.get_assignment(
                db, sudan, STAFF, assignment_id))
    assert {line.item.code for line in lines} == {"contract", "host_ready"}


async def test_a_cancellation_needs_a_reason_and_is_mailed(missions, session_factory):
    sudan = missions["sudan"]
    async with session_factory() as db:
        institution_id = (await make_institution(db, sudan, name="Mailed Ministry")).id
    focal = await make_user(session_factory, sudan, "institution_focal_point",
                            host_institution_id=institution_id)
    assignment_id = await _new(session_factory, sudan, institution_id=institution_id)
    with pytest.raises(AssignmentRefused):
        await _move(session_factory, sudan, assignment_id, "cancel")
    await _move(session_factory, sudan, assignment_id, "cancel", "The ministry postponed the "
                "training to next year.")
    mail = [m for m in await mails_to(session_factory, sudan, focal.email)
            if m.kind == "assignment_status"][-1]
    assert "Cancelled" in mail.subject and "postponed the training" in mail.body


async def test_a_stale_form_is_refused_not_applied(missions, session_factory):
    sudan = missions["sudan"]
    assignment_id = await _new(session_factory, sudan)
    shown = (await stored(session_factory, sudan, assignment_id)).version
    # Two people opened the page at the same version; both send.
    outcomes = await asyncio.gather(
        _outcome(_move(session_factory, sudan, assignment_id, "contract", version=shown)),
        _outcome(_move(session_factory, sudan, assignment_id, "cancel", "Duplicate",
                       version=shown)))
    assert sorted(outcomes) == ["ok", "stale"]
    assert (await stored(session_factory, sudan, assignment_id)).version == shown + 1


async def _outcome(call) -> str:
    try:
        await call
        return "ok"
    except StaleForm:
        return "stale"


# --- pages ----------------------------------------------------------------------------------

async def test_staff_plan_and_postpone_on_the_page(client, missions, session_factory, officer):
    sudan = missions["sudan"]
    assignment_id = await _new(session_factory, sudan)
    url = f"/sudan/assignments/{assignment_id}"
    page = await client.get(url)
    assert page.status_code == 200
    assert "Save the plan" in page.text and "Contract signed" in page.text
    version = (await stored(session_factory, sudan, assignment_id)).version
    plan = {"planned_start": "2027-03-01", "planned_end": "2027-04-15", "modality": "on_site",
            "duty_station": "Khartoum", "version": str(version)}
    assert (await post(client, f"{url}/plan", plan)).status_code == 303
    # Reversed dates are refused at the field, and nothing changes.
    reversed_dates = await post(client, f"{url}/plan", {**plan, "planned_end": "2027-02-01",
                                                        "version": str(version + 1)})
    assert reversed_dates.status_code == 422
    assert field_error(reversed_dates.text, "planned_end") == "The end comes before the start."
    # Moving dates already set is a postponement: it needs a reason.
    later = {**plan, "planned_start": "2027-05-01", "planned_end": "2027-06-15",
             "version": str(version + 1)}
    no_reason = await post(client, f"{url}/plan", later)
    assert no_reason.status_code == 422 and field_error(no_reason.text, "reason")
    assert (await post(client, f"{url}/plan", {**later, "reason": "Visa delays"})).status_code \
        == 303
    row = await stored(session_factory, sudan, assignment_id)
    assert str(row.planned_start) == "2027-05-01" and row.version == version + 2
    assert [e.after["reason"] for e in await events(session_factory, sudan,
                                                    "assignment.postponed")
            if e.object_id == str(assignment_id)] == ["Visa delays"]
    # A form from before these changes is refused with the current values shown.
    stale = await post(client, f"{url}/move", {"action": "contract", "version": str(version)})
    assert stale.status_code == 409 and "changed this assignment" in stale.text
    assert (await stored(session_factory, sudan, assignment_id)).status == "planned"
    # An impossible move says why.
    wrong = await post(client, f"{url}/move", {"action": "complete", "version": str(row.version)})
    assert wrong.status_code == 409 and "not possible at this stage" in wrong.text


async def test_each_party_sees_only_its_own(client, missions, session_factory, signed_in_as):
    sudan = missions["sudan"]
    async with session_factory() as db:
        ours = (await make_institution(db, sudan, name="Our Water Board")).id
        theirs = (await make_institution(db, sudan, name="Their Health Board")).id
    expert = await signed_in_as("expert")
    own = await _new(session_factory, sudan, institution_id=ours)  # the expert's own
    other = await _new(session_factory, sudan, institution_id=theirs, of_signed_in_expert=False)
    with tenant_scope(sudan):
        async with session_factory() as db:
            profile = await db.scalar(select(ExpertProfile).where(
                ExpertProfile.user_id == expert.id))
            assert (await db.scalar(select(Assignment.profile_id).where(
                Assignment.id == own))) == profile.id
    # The expert: their own assignment, not another's, and no checklist history.
    assert (await client.get(f"/sudan/assignments/{own}")).status_code == 200
    assert (await client.get(f"/sudan/assignments/{other}")).status_code == 404
    listed = await client.get("/sudan/assignments")
    assert select_text(listed.text, "h1") == "My assignments"
    assert str(own) in listed.text and str(other) not in listed.text
    assert (await post(client, f"/sudan/assignments/{own}/move",
                       {"action": "contract"})).status_code == 403
    # A focal point: their institution's experts only.
    use_session(client, None)
    await signed_in_as("institution_focal_point", host_institution_id=theirs)
    listed = await client.get("/sudan/assignments")
    assert select_text(listed.text, "h1") == "Our experts"
    assert str(other) in listed.text and str(own) not in listed.text
    assert (await client.get(f"/sudan/assignments/{own}")).status_code == 404
    page = await client.get(f"/sudan/assignments/{other}")
    assert page.status_code == 200 and "Save the plan" not in page.text


async def test_mission_admins_keep_the_checklist(client, missions, session_factory,
                                                 mission_admin):
    page = await client.get("/sudan/admin/checklist")
    assert page.status_code == 200 and "Security briefing" in page.text
    added = await post(client, "/sudan/admin/checklist", {"label": "Medical clearance"})
    assert added.status_code == 303
    empty = await post(client, "/sudan/admin/checklist", {"label": "   "})
    assert empty.status_code == 422 and field_error(empty.text, "label") == "Name the item."
    sudan = missions["sudan"]
    with tenant_scope(sudan):
        async with session_factory() as db:
            item = await db.scalar(select(ChecklistItem).where(
                ChecklistItem.label == "Medical clearance"))
    assert item.active and not item.remote
    assert (await post(client, f"/sudan/admin/checklist/{item.id}",
                       {"remote": "1"})).status_code == 303  # turned off, remote ticked
    with tenant_scope(sudan):
        async with session_factory() as db:
            item = await db.scalar(select(ChecklistItem).where(ChecklistItem.id == item.id))
    assert not item.active and item.remote


# --- the final report, the evaluation, and matching -----------------------------------------

async def test_report_and_evaluation_lead_to_evaluated_and_count_for_matching(
        client, missions, session_factory, signed_in_as):
    sudan = missions["sudan"]
    async with session_factory() as db:
        institution_id = (await make_institution(db, sudan, name="Evaluating Board")).id
    expert = await signed_in_as("expert")
    assignment_id = await _new(session_factory, sudan, institution_id=institution_id,
                               status="in_progress")
    url = f"/sudan/assignments/{assignment_id}"
    # The expert writes the report; activities and results are required.
    missing = await post(client, f"{url}/report", {"activities": "Trained twenty engineers."})
    assert missing.status_code == 422 and field_error(missing.text, "results")
    report = {"activities": "Trained twenty engineers.", "results": "A maintenance plan.",
              "challenges": "Power cuts.", "recommendations": "A second cohort."}
    assert (await post(client, f"{url}/report", report)).status_code == 303
    # The institution cannot evaluate before the work is completed.
    use_session(client, None)
    focal = await signed_in_as("institution_focal_point", host_institution_id=institution_id)
    scores = {"relevance": "5", "quality": "4", "timeliness": "3", "knowledge_transfer": "5",
              "would_host_again": "5", "comments": "Very useful."}
    early = await post(client, f"{url}/evaluation", scores)
    assert early.status_code == 409
    await _move(session_factory, sudan, assignment_id, "complete")
    bad = await post(client, f"{url}/evaluation", {**scores, "quality": "9"})
    assert bad.status_code == 422 and field_error(bad.text, "quality") == \
        "Choose a score from 1 to 5."
    assert (await post(client, f"{url}/evaluation", scores)).status_code == 303
    # Staff: evaluating needs both accepted; returning needs a reason the author reads.
    with pytest.raises(AssignmentRefused):
        await _move(session_factory, sudan, assignment_id, "evaluate")
    use_session(client, None)
    await signed_in_as("staff")
    version = (await stored(session_factory, sudan, assignment_id)).version
    no_reason = await post(client, f"{url}/review", {"part": "report", "decision": "return",
                                                     "version": str(version)})
    assert no_reason.status_code == 422 and field_error(no_reason.text, "report_reason")
    assert (await post(client, f"{url}/review", {
        "part": "report", "decision": "return", "reason": "Add the plan's main points.",
        "version": str(version)})).status_code == 303
    returned = [m for m in await mails_to(session_factory, sudan, expert.email)
                if m.kind == "assignment_part_returned"]
    assert returned and "Add the plan's main points." in returned[-1].body
    use_session(client, None)
    await signed_in_as("staff")
    # The expert sends it again (as the expert), then staff accept both.
    with tenant_scope(sudan):
        async with session_factory() as db:
            expert_actor = Actor(user_id=expert.id, email=expert.email, role="expert",
                                 permissions=permissions_for("expert", False))
            await services.submit_report(db, sudan, expert_actor, assignment_id, report, "x")
    for part in ("report", "evaluation"):
        version = (await stored(session_factory, sudan, assignment_id)).version
        assert (await post(client, f"{url}/review", {
            "part": part, "decision": "accept", "version": str(version)})).status_code == 303
    await _move(session_factory, sudan, assignment_id, "evaluate")
    assert (await stored(session_factory, sudan, assignment_id)).status == "evaluated"
    # The accepted evaluation is the expert's "past evaluations" for matching: (4.4-1)/4.
    with tenant_scope(sudan):
        async with session_factory() as db:
            profile_id = (await stored(session_factory, sudan, assignment_id)).profile_id
            scores_by_expert = await services.evaluation_scores(db, sudan, [profile_id])
    assert scores_by_expert == {profile_id: pytest.approx(0.85)}
    assert focal.email  # the focal point's evaluation is what was scored


async def test_an_erased_expert_s_assignment_stays_without_their_words(client, missions,
                                                                       session_factory,
                                                                       officer):
    """Erasure keeps the programme's figures (the assignment, its dates, milestones and
    scores) and removes what was written by or about the expert by name: the report, the
    milestones' evidence files, the comments, and the completion letter."""
    sudan = missions["sudan"]
    expert = await make_user(session_factory, sudan, "expert")
    async with session_factory() as db:
        profile = await _profile_of(db, sudan, expert.id)
        assignment_id = await an_assignment(db, sudan, status="evaluated",
                                            of_signed_in_expert=False)
    with tenant_scope(sudan):
        async with session_factory() as db:
            row = await db.scalar(select(Assignment).where(Assignment.id == assignment_id))
            row.profile_id = profile.id
            db.add(FinalReport(tenant_id=sudan.id, assignment_id=assignment_id, status="accepted",
                               activities="Amna trained twenty engineers.", results="A plan."))
            db.add(Evaluation(tenant_id=sudan.id, assignment_id=assignment_id, status="accepted",
                              relevance=5, quality=4, timeliness=4, knowledge_transfer=5,
                              would_host_again=5, comments="Amna was excellent."))
            milestone = Milestone(tenant_id=sudan.id, assignment_id=assignment_id,
                                  title="Training plan", status="done")
            db.add(milestone)
            await db.flush()
            key = new_key(sudan.id, "milestones", ".pdf")
            await app_storage().put(key, minimal_pdf("Training plan by Amna"))
            db.add(MilestoneEvidence(tenant_id=sudan.id, milestone_id=milestone.id,
                                     assignment_id=assignment_id, filename="amna-plan.pdf",
                                     content_type="application/pdf", size=10, sha256="0" * 64,
                                     key=key, uploaded_by_id=expert.id))
            await db.commit()
            # Until the erasure, staff may take the completion letter.
            assert (await closing.completion_letter(db, sudan, STAFF, assignment_id))[0]
    actor = Actor(user_id=expert.id, email=expert.email, role="expert",
                  permissions=permissions_for("expert", False))
    await erase_account(session_factory, actor, app_storage())
    with tenant_scope(sudan):
        async with session_factory() as db:
            kept = await db.scalar(select(Assignment).where(Assignment.id == assignment_id))
            assert kept is not None and kept.status == "evaluated"
            assert await db.scalar(select(FinalReport).where(
                FinalReport.assignment_id == assignment_id)) is None
            evaluation = await db.scalar(select(Evaluation).where(
                Evaluation.assignment_id == assignment_id))
            assert (evaluation.quality, evaluation.comments) == (4, "")
            # The milestone and its status stay; its evidence (the expert's work) goes.
            assert (await db.scalar(select(Milestone).where(
                Milestone.id == milestone.id))).status == "done"
            assert await db.scalar(select(MilestoneEvidence).where(
                MilestoneEvidence.assignment_id == assignment_id)) is None
            with pytest.raises(NotFoundException):
                await closing.completion_letter(db, sudan, STAFF, assignment_id)
    with pytest.raises(FileNotFoundError):
        await app_storage().get(key)
    page = await client.get(f"/sudan/assignments/{assignment_id}")
    assert page.status_code == 200 and not select_all(page.text, 'a[href$="/letter.pdf"]')
    assert (await client.get(f"/sudan/assignments/{assignment_id}/letter.pdf")).status_code \
        == 404


# --- the CSV export -------------------------------------------------------------------------

async def test_staff_export_the_filtered_list_as_csv(client, missions, session_factory,
                                                     officer):
    sudan = missions["sudan"]
    async with session_factory() as db:
        wanted = await an_assignment(db, sudan, of_signed_in_expert=False)
        other = await an_assignment(db, sudan, of_signed_in_expert=False)
    with tenant_scope(sudan):
        async with session_factory() as db:
            row = await db.scalar(select(Assignment).where(Assignment.id == wanted))
            request = await db.scalar(select(AssignmentRequest).where(
                AssignmentRequest.id == row.request_id))
            request.title = '=HYPERLINK("http://x") export probe'
            await db.commit()
            number = request.number
    export = await client.get("/sudan/assignments/export.csv?q=export+probe&status=planned")
    assert export.status_code == 200
    assert export.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in export.headers["content-disposition"]
    lines = export.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("request_number,request_title,slot")
    assert len(lines) == 2 and lines[1].startswith(f"{number},")
    assert "'=HYPERLINK" in lines[1]  # a formula is never exported as a formula
    assert str(other) not in export.text
    audited = [e for e in await events(session_factory, sudan, "assignment.exported")
               if e.after["filters"] == {"q": "export probe", "status": "planned"}]
    assert audited and audited[-1].after["rows"] == 1
    # The list links to it with its filters; a wrong filter shows the list with the error.
    listing = await client.get("/sudan/assignments?status=planned")
    assert "/sudan/assignments/export.csv?status=planned" in listing.text
    assert (await client.get("/sudan/assignments/export.csv?status=nope")).status_code == 400


# --- the calendar feed ----------------------------------------------------------------------

async def _plan(session_factory, tenant, assignment_id, start: str, end: str,
                status: str = "planned") -> int:
    with tenant_scope(tenant):
        async with session_factory() as db:
            row = await db.scalar(select(Assignment).where(Assignment.id == assignment_id))
            row.planned_start, row.planned_end = date.fromisoformat(start), \
                date.fromisoformat(end)
            row.status = status
            number = await db.scalar(select(AssignmentRequest.number).where(
                AssignmentRequest.id == row.request_id))
            await db.commit()
    return number


async def test_each_party_s_calendar_feed(client, missions, session_factory, signed_in_as):
    sudan = missions["sudan"]
    async with session_factory() as db:
        ours = (await make_institution(db, sudan, name="Calendar Water Board")).id
    expert = await signed_in_as("expert")
    own = await _new(session_factory, sudan, institution_id=ours)
    other = await _new(session_factory, sudan, of_signed_in_expert=False)
    cancelled = await _new(session_factory, sudan, of_signed_in_expert=False)
    own_number = await _plan(session_factory, sudan, own, "2027-03-01", "2027-03-31")
    await _plan(session_factory, sudan, other, "2027-04-01", "2027-04-10", "contracted")
    await _plan(session_factory, sudan, cancelled, "2027-05-01", "2027-05-10", "cancelled")
    feed = await client.get("/sudan/assignments/calendar.ics")
    assert feed.status_code == 200
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    text = feed.text
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    unfolded = text.replace("\r\n ", "")
    assert f"UID:assignment-{own}@diaspora-bridge" in unfolded
    assert f"UID:assignment-{other}@" not in unfolded  # another expert's
    assert f"SUMMARY:#{own_number} " in unfolded
    assert "DTSTART;VALUE=DATE:20270301\r\nDTEND;VALUE=DATE:20270401\r\n" in unfolded
    # Staff: the mission's open assignments, not the cancelled one.
    use_session(client, None)
    await signed_in_as("staff")
    unfolded = (await client.get("/sudan/assignments/calendar.ics")).text.replace("\r\n ", "")
    assert f"UID:assignment-{own}@" in unfolded and f"UID:assignment-{other}@" in unfolded
    assert f"UID:assignment-{cancelled}@" not in unfolded
    # A focal point: their institution's.
    use_session(client, None)
    await signed_in_as("institution_focal_point", host_institution_id=ours)
    unfolded = (await client.get("/sudan/assignments/calendar.ics")).text.replace("\r\n ", "")
    assert f"UID:assignment-{own}@" in unfolded and f"UID:assignment-{other}@" not in unfolded
    assert expert.id  # the expert's feed was theirs alone


async def test_a_calendar_program_subscribes_to_a_secret_address(client, missions,
                                                                  session_factory, signed_in_as):
    """#14: a per-person feed address, fetched without signing in; a new address stops the
    old one, and leaving the mission stops both; another mission does not know it."""
    sudan = missions["sudan"]
    expert = await signed_in_as("expert")
    own = await _new(session_factory, sudan)
    other = await _new(session_factory, sudan, of_signed_in_expert=False)
    await _plan(session_factory, sudan, own, "2027-06-01", "2027-06-30")
    await _plan(session_factory, sudan, other, "2027-07-01", "2027-07-10")
    token = await csrf_token(client, "/sudan/assignments")
    made = await client.post("/sudan/assignments/calendar/address",
                             data={"_csrf_token": token})
    assert made.status_code == 200
    assert select_all(made.text, "input#calendar-address[readonly]")
    path = re.search(r'value="http://testserver\.local(/sudan/assignments/calendar/[^"]+\.ics)"',
                     made.text).group(1)
    use_session(client, None)  # the calendar program has no session
    feed = await client.get(path)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    unfolded = feed.text.replace("\r\n ", "")
    assert f"UID:assignment-{own}@" in unfolded and f"UID:assignment-{other}@" not in unfolded
    assert (await client.get(path.replace("/sudan/", "/mozambique/"))).status_code == 404
    assert (await client.get(path[:-4] + "x.ics")).status_code == 404
    assert (await client.get(path[:-4])).status_code == 404  # no .ics

    await as_user(client, sudan, expert)
    token = await csrf_token(client, "/sudan/assignments")
    again = await client.post("/sudan/assignments/calendar/address",
                              data={"_csrf_token": token})
    new_path = re.search(r'value="http://testserver\.local(/sudan/assignments/calendar/[^"]+)"',
                         again.text).group(1)
    use_session(client, None)
    assert (await client.get(path)).status_code == 404  # replaced
    assert (await client.get(new_path)).status_code == 200
    with tenant_scope(sudan):
        async with session_factory() as db:
            await db.execute(update(Membership).where(Membership.user_id == expert.id)
                             .values(status="revoked"))
            await db.commit()
    assert (await client.get(new_path)).status_code == 404  # no longer in the mission
