"""What closes an assignment for its expert: the final report's attached document (checked
like a CV, gone with an erased expert), their rating of the host institution (staff's eyes
only) and the completion letter as a PDF once evaluated."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.assignments.models import FinalReport, HostRating
from app.core.actor import Actor
from app.experts.privacy import erase_account
from tenants.context import tenant_scope
from tests.accounts_helpers import use_session
from tests.assignment_helpers import an_assignment
from tests.conftest import csrf_token, speak
from tests.documents_helpers import app_storage, minimal_pdf
from tests.html import field_error
from tests.request_helpers import make_institution

pytestmark = pytest.mark.usefixtures("in_english")
REPORT = {"activities": "Trained 20 engineers in leak detection.",
          "results": "Leaks mapped in two pilot zones."}


async def post(client, path: str, data: dict | None = None, files: dict | None = None):
    token = await csrf_token(client, "/sudan/")
    return await client.post(path, data={**(data or {}), "_csrf_token": token}, files=files,
                             follow_redirects=False)


async def _report(session_factory, tenant, assignment_id) -> FinalReport | None:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(FinalReport).where(
                FinalReport.assignment_id == assignment_id))


async def test_the_final_report_carries_a_checked_attachment(client, missions, session_factory,
                                                             signed_in_as):
    sudan = missions["sudan"]
    async with session_factory() as db:
        institution_id = (await make_institution(db, sudan)).id
    expert = await signed_in_as("expert")
    async with session_factory() as db:
        assignment_id = await an_assignment(db, sudan, institution_id, status="in_progress")
    url = f"/sudan/assignments/{assignment_id}"
    # A file that is not a document is refused at its field; the report is not written.
    refused = await post(client, f"{url}/report", REPORT, files={
        "attachment": ("annexes.pdf", b"plain text" * 40, "application/pdf")})
    assert refused.status_code == 422
    assert field_error(refused.text, "attachment") == "Attach a PDF or Word (.docx) document."
    assert await _report(session_factory, sudan, assignment_id) is None
    annexes = minimal_pdf("Annexes")
    sent = await post(client, f"{url}/report", REPORT, files={
        "attachment": ("annexes.pdf", annexes, "application/pdf")})
    assert sent.status_code == 303
    report = await _report(session_factory, sudan, assignment_id)
    assert report.attachment_filename == "annexes.pdf"
    assert await app_storage().get(report.attachment_key) == annexes
    # Sent again without a file (after a return, say), the attachment stays.
    with tenant_scope(sudan):
        async with session_factory() as db:
            row = await db.scalar(select(FinalReport).where(FinalReport.id == report.id))
            row.status = "returned"
            await db.commit()
    assert (await post(client, f"{url}/report", REPORT)).status_code == 303
    assert (await _report(session_factory, sudan, assignment_id)).attachment_key == \
        report.attachment_key
    # The institution reads it.
    use_session(client, None)
    await signed_in_as("institution_focal_point", host_institution_id=institution_id)
    page = await client.get(url)
    assert "Attached document: annexes.pdf" in page.text
    download = await client.get(f"{url}/report/attachment")
    assert download.status_code == 200 and download.content == annexes
    # An erased expert's report goes, and its file with it.
    await erase_account(session_factory, Actor(user_id=expert.id), app_storage())
    assert await _report(session_factory, sudan, assignment_id) is None
    with pytest.raises(FileNotFoundError):
        await app_storage().get(report.attachment_key)


async def test_the_expert_rates_the_institution_for_staff_only(client, missions,
                                                               session_factory, signed_in_as):
    sudan = missions["sudan"]
    async with session_factory() as db:
        institution_id = (await make_institution(db, sudan)).id
    await signed_in_as("expert")
    async with session_factory() as db:
        early = await an_assignment(db, sudan, institution_id, status="in_progress")
        done = await an_assignment(db, sudan, institution_id, status="completed")
    scores = {"support_received": "2", "preparation": "3", "would_go_again": "4",
              "host_comments": "The office had no projector for the training."}
    too_early = await post(client, f"/sudan/assignments/{early}/host-rating", scores)
    assert too_early.status_code == 409 and "once the assignment is completed" in too_early.text
    missing = await post(client, f"/sudan/assignments/{done}/host-rating",
                         {**scores, "preparation": "9"})
    assert missing.status_code == 422
    assert field_error(missing.text, "preparation") == "Choose a score from 1 to 5."
    assert (await post(client, f"/sudan/assignments/{done}/host-rating", scores)
            ).status_code == 303
    with tenant_scope(sudan):
        async with session_factory() as db:
            rating = await db.scalar(select(HostRating).where(HostRating.assignment_id == done))
    assert (rating.support_received, rating.preparation, rating.would_go_again) == (2, 3, 4)
    # The institution sees neither the rating nor that it was given.
    use_session(client, None)
    await signed_in_as("institution_focal_point", host_institution_id=institution_id)
    theirs = await client.get(f"/sudan/assignments/{done}")
    assert theirs.status_code == 200
    assert "projector" not in theirs.text and "rating of the host institution" not in theirs.text
    use_session(client, None)
    await signed_in_as("staff")
    staff_page = await client.get(f"/sudan/assignments/{done}")
    assert "projector" in staff_page.text and "2 / 5" in staff_page.text


async def test_the_completion_letter_once_evaluated(client, missions, session_factory,
                                                    signed_in_as):
    sudan = missions["sudan"]
    async with session_factory() as db:
        institution_id = (await make_institution(db, sudan, name="Khartoum Water")).id
    await signed_in_as("expert")
    async with session_factory() as db:
        completed = await an_assignment(db, sudan, institution_id, status="completed")
        evaluated = await an_assignment(db, sudan, institution_id, status="evaluated")
    not_yet = await client.get(f"/sudan/assignments/{completed}/letter.pdf")
    assert not_yet.status_code == 409
    page = await client.get(f"/sudan/assignments/{evaluated}")
    assert "Download the completion letter (PDF)" in page.text
    letter = await client.get(f"/sudan/assignments/{evaluated}/letter.pdf")
    assert letter.status_code == 200 and letter.headers["content-type"] == "application/pdf"
    assert letter.content.startswith(b"%PDF-") and b"/Lang (en)" in letter.content
    assert "completion-letter-" in letter.headers["content-disposition"]
    # In Arabic, the letter speaks Arabic.
    speak(client, "ar")
    arabic = await client.get(f"/sudan/assignments/{evaluated}/letter.pdf")
    assert arabic.status_code == 200 and b"/Lang (ar)" in arabic.content
    speak(client, "en")
    # Not the institution's.
    use_session(client, None)
    await signed_in_as("institution_focal_point", host_institution_id=institution_id)
    assert (await client.get(f"/sudan/assignments/{evaluated}/letter.pdf")).status_code == 403
