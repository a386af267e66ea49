"""Certificates of participation (issue 15): a PDF for a participant named with consent
once the training is approved, with a verification code; the public verification page
shows only the name, the activity and its date, and says "revoked" once the participant
withdraws consent."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.trainings.models import TrainingParticipant
from tenants.context import tenant_scope
from tests.accounts_helpers import use_session
from tests.conftest import csrf_token
from tests.html import select_text
from tests.training_helpers import a_certified_participant, a_listed_participant

pytestmark = pytest.mark.usefixtures("in_english")


async def test_a_certificate_and_its_public_check(client, missions, session_factory, officer):
    sudan = missions["sudan"]
    async with session_factory() as db:
        made = await a_certified_participant(db, sudan)
    url = f"/sudan/trainings/{made['training_id']}"
    page = await client.get(url)
    assert "Certificate (PDF)" in page.text
    pdf = await client.get(f"{url}/participants/{made['participant_id']}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and pdf.content.rstrip().endswith(b"%%EOF")
    assert made["code"] in pdf.headers["content-disposition"]

    use_session(client, None)   # the check is public
    check = await client.get(f"/sudan/certificates/{made['code']}")
    assert check.status_code == 200
    shown = select_text(check.text, "main")
    assert "This certificate is genuine." in shown
    assert "Certified Person" in shown and "Certified counter-trafficking course" in shown
    assert "2027-03-03" in shown
    for private in ("Inspector", "certified@example.org", "Ministry of Interior", "female"):
        assert private not in shown
    assert (await client.get(f"/sudan/certificates/{made['code'].lower()}")).status_code == 200
    assert (await client.get("/sudan/certificates/AAAA-BBBB-CCCC-DDDD")).status_code == 404
    assert (await client.get(f"/mozambique/certificates/{made['code']}")).status_code == 404


async def test_withdrawn_consent_revokes_the_certificate(client, missions, session_factory,
                                                         officer):
    sudan = missions["sudan"]
    async with session_factory() as db:
        made = await a_certified_participant(db, sudan)
    url = f"/sudan/trainings/{made['training_id']}"
    token = await csrf_token(client, "/sudan/")
    withdrawn = await client.post(f"{url}/participants/{made['participant_id']}/withdraw",
                                  data={"_csrf_token": token}, follow_redirects=False)
    assert withdrawn.status_code == 303
    check = await client.get(f"/sudan/certificates/{made['code']}")
    assert check.status_code == 200
    assert "This certificate was revoked." in check.text and "Certified Person" not in check.text
    refused = await client.get(f"{url}/participants/{made['participant_id']}/certificate.pdf")
    assert refused.status_code == 409


async def test_no_certificate_before_approval(client, missions, session_factory, officer):
    sudan = missions["sudan"]
    async with session_factory() as db:
        made = await a_listed_participant(db, sudan)      # a planned training
    with tenant_scope(sudan):
        async with session_factory() as db:
            person = await db.scalar(select(TrainingParticipant).where(
                TrainingParticipant.id == made["participant_id"]))
            person.certificate_code = "PLAN-NEDX-XXXX-XXXX"
            await db.commit()
    url = f"/sudan/trainings/{made['training_id']}"
    assert (await client.get(f"{url}/participants/{made['participant_id']}/certificate.pdf")
            ).status_code == 409
    assert (await client.get("/sudan/certificates/PLAN-NEDX-XXXX-XXXX")).status_code == 404
