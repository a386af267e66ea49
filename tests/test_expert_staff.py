"""Staff's registry: vetting through the life cycle, notes, filters, CSV export respecting
consent, and care of the skills vocabulary."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from app.accounts.models import Membership
from app.audit.models import AuditEvent
from app.core.clock import now
from app.core.roster_format import EXPERT_COLUMNS
from app.experts import registry
from app.experts.models import ExpertConsent, ExpertProfile, ExpertSkill, Skill
from tenants.context import tenant_scope
from tests.accounts_helpers import mails_to, make_user, sign_in, use_session
from tests.conftest import csrf_token, speak
from tests.expert_helpers import complete_profile
from tests.html import select_text, table_rows

pytestmark = pytest.mark.usefixtures("in_english")


def reason_error(body: str) -> str:
    """The message next to the review form's reason field."""
    return select_text(body, "#f-reason ~ p.error")


async def _status(session_factory, tenant, profile_id):
    with tenant_scope(tenant):
        async with session_factory() as db:
            return (await db.get(ExpertProfile, profile_id)).status


async def _act(client, profile_id, action, reason=""):
    token = await csrf_token(client, f"/sudan/experts/{profile_id}")
    return await client.post(f"/sudan/experts/{profile_id}/action",
                             data={"action": action, "reason": reason, "_csrf_token": token},
                             follow_redirects=False)


async def test_vetting_a_submitted_profile(client, missions, session_factory, officer):
    sudan = missions["sudan"]
    expert, profile = await complete_profile(session_factory, sudan, name="Khalid Osman")
    queue = await client.get("/sudan/experts?status=submitted")
    # name and status in the same row of the registry
    assert ["Khalid Osman", "Submitted for review"] in [
        row[1:3] for row in table_rows(queue.text, "table.data")]
    page = await client.get(f"/sudan/experts/{profile.id}")
    assert page.status_code == 200 and expert.email in page.text
    with tenant_scope(sudan):
        async with session_factory() as db:
            viewed = await db.scalar(select(AuditEvent).where(
                AuditEvent.action == "expert_profile.viewed",
                AuditEvent.object_id == str(profile.id)))
    assert viewed is not None and viewed.actor_id == officer.id

    no_reason = await _act(client, profile.id, "reject")
    assert no_reason.status_code == 400
    assert reason_error(no_reason.text).startswith("Say why")
    assert (await _act(client, profile.id, "request_changes", "Add your degree")).status_code == 303
    assert await _status(session_factory, sudan, profile.id) == "draft"
    mail = (await mails_to(session_factory, sudan, expert.email))[-1]
    assert mail.kind == "profile_status" and "Add your degree" in mail.body
    # A draft cannot be verified: the transition table refuses it.
    refused = await _act(client, profile.id, "verify")
    assert refused.status_code == 400  # no review form for a draft: the refusal stands alone
    assert select_text(refused.text, ".flash-error").startswith(
        "This action is not possible for a profile in this state")


async def test_the_headline_heads_the_profile_and_its_registry_row(client, missions,
                                                                  session_factory, officer):
    """Escaped wherever staff read it; in Arabic pages a Latin headline sits in <bdi>
    in the registry's row."""
    sudan = missions["sudan"]
    _expert, profile = await complete_profile(session_factory, sudan, name="Khalid Osman")
    with tenant_scope(sudan):
        async with session_factory() as db:
            (await db.get(ExpertProfile, profile.id)).headline = "Hydrologist <script>x</script>"
            await db.commit()
    shown = "Hydrologist &lt;script&gt;x&lt;/script&gt;"
    page = (await client.get(f"/sudan/experts/{profile.id}")).text
    assert f'<p class="lead"><bdi>{shown}</bdi></p>' in page and "<script>x" not in page
    speak(client, "ar")
    try:
        listed = (await client.get("/sudan/experts")).text
    finally:
        speak(client, "en")
    assert f'<bdi class="muted">{shown}</bdi>' in listed and "<script>x" not in listed


async def test_verify_note_and_deactivate(client, missions, session_factory, officer):
    sudan = missions["sudan"]
    _, profile = await complete_profile(session_factory, sudan)
    assert (await _act(client, profile.id, "verify")).status_code == 303
    assert await _status(session_factory, sudan, profile.id) == "verified"
    token = await csrf_token(client, f"/sudan/experts/{profile.id}")
    empty = await client.post(f"/sudan/experts/{profile.id}/notes",
                              data={"body": " ", "_csrf_token": token})
    assert empty.status_code == 400
    await client.post(f"/sudan/experts/{profile.id}/notes",
                      data={"body": "Strong references from MoWR", "_csrf_token": token})
    assert "Strong references from MoWR" in (await client.get(f"/sudan/experts/{profile.id}")).text
    assert (await _act(client, profile.id, "deactivate", "Not reachable")).status_code == 303
    assert await _status(session_factory, sudan, profile.id) == "inactive"


async def test_registry_filters(client, missions, session_factory, officer):
    sudan = missions["sudan"]
    await complete_profile(session_factory, sudan, name="Filter Water", sector="water_management",
                           language=("ar", "native"), country="NL", skill_code="hydrology",
                           status="verified")
    await complete_profile(session_factory, sudan, name="Filter Media", sector="media_development",
                           language=("fr", "B2"), country="FR", skill_code="journalism_training",
                           status="verified", available=(400, 500))

    async def names(query):
        r = await client.get(f"/sudan/experts?{query}")
        assert r.status_code == 200, r.status_code
        return {n for n in ("Filter Water", "Filter Media") if n in r.text}

    assert await names("sector=water_management") == {"Filter Water"}
    # The filter reads expert_sectors, which triggers derive from the profile's sectors:
    # an edit moves the expert, a second sector adds one, none removes them all.
    with tenant_scope(sudan):
        async with session_factory() as db:
            water = await db.scalar(select(ExpertProfile).where(
                ExpertProfile.full_name == "Filter Water"))
            water.sectors = ["health", "education"]
            await db.commit()
    assert await names("sector=water_management") == set()
    assert await names("sector=health") == {"Filter Water"}
    assert await names("sector=education") == {"Filter Water"}
    with tenant_scope(sudan):
        async with session_factory() as db:
            await db.execute(update(ExpertProfile).where(
                ExpertProfile.full_name == "Filter Water").values(sectors=[]))
            await db.commit()
    assert await names("sector=health") == set()
    assert await names("language=fr") == {"Filter Media"}
    assert await names("country=NL") == {"Filter Water"}
    assert await names("q=filter&sort=name") == {"Filter Water", "Filter Media"}
    # the name as typed: % and _ are letters, not LIKE's wildcards
    assert await names("q=filter_water") == set()
    assert await names("q=filter%25media") == set()
    assert await names("q=FILTER%20w") == {"Filter Water"}
    soon = date.today() + timedelta(days=40)
    assert await names(f"available_from={soon}&available_to={soon + timedelta(days=14)}") \
        == {"Filter Water"}
    bad = await client.get("/sudan/experts?available_from=tomorrow&available_to=2026-01-01")
    assert bad.status_code == 400 and "Use a date like" in bad.text
    reversed_ = await client.get("/sudan/experts?available_from=2027-05-01&available_to=2027-01-01")
    assert reversed_.status_code == 400


async def test_registry_counts_up_to_its_limit(client, missions, session_factory, officer,
                                               monkeypatch):
    """Past COUNT_LIMIT matches the page says "more than" and still pages on; below it the
    count is exact. The page's experts come in the sort's order either way."""
    sudan = missions["sudan"]
    for name, years in (("Count Ayla", 3), ("Count Badr", 12), ("Count Celia", 7)):
        _, profile = await complete_profile(session_factory, sudan, name=name,
                                            sector="agriculture", status="verified")
        with tenant_scope(sudan):
            async with session_factory() as db:
                (await db.get(ExpertProfile, profile.id)).years_experience = years
                await db.commit()
    monkeypatch.setattr(registry, "PAGE_SIZE", 2)
    exact = await client.get("/sudan/experts?q=count&sort=experience")
    assert "3 experts" in exact.text and "Page 1 of 2" in exact.text
    assert [r[1] for r in table_rows(exact.text)] == ["Count Badr", "Count Celia"]
    monkeypatch.setattr(registry, "COUNT_LIMIT", 2)
    capped = await client.get("/sudan/experts?q=count&sort=experience")
    assert "More than 2 experts" in capped.text and "Page 1 of more than 1" in capped.text
    second = await client.get("/sudan/experts?q=count&sort=experience&page=2")
    assert [r[1] for r in table_rows(second.text)] == ["Count Ayla"]
    monkeypatch.setattr(registry, "COUNT_LIMIT", 1000)
    past_the_end = await client.get("/sudan/experts?q=count&page=7")
    assert "3 experts" in past_the_end.text and "No expert matches" in past_the_end.text
    # The count is kept a few seconds per filter, but a change this process commits shows
    # at once.
    await complete_profile(session_factory, sudan, name="Count Dana", sector="agriculture",
                           status="verified")
    assert "4 experts" in (await client.get("/sudan/experts?q=count&page=7")).text


async def test_csv_export_respects_consent(client, missions, session_factory, officer):
    sudan = missions["sudan"]
    await complete_profile(session_factory, sudan, name="=HYPERLINK(\"http://x\")",
                           sector="health", skill_code="public_health")
    _, withdrawn = await complete_profile(session_factory, sudan, name="Withdrew Consent",
                                          sector="health", skill_code="public_health")
    with tenant_scope(sudan):
        async with session_factory() as db:
            consent = await db.scalar(select(ExpertConsent).where(
                ExpertConsent.profile_id == withdrawn.id))
            consent.withdrawn_at = now()
            await db.commit()
    r = await client.get("/sudan/experts/export.csv?sector=health")
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["x-rows-left-out-without-consent"] == "1"
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    names = [row["full_name"] for row in rows]
    assert "Withdrew Consent" not in names
    assert "'=HYPERLINK(\"http://x\")" in names  # a formula is never exported as a formula
    assert all(row["sectors"] == "health" for row in rows)
    assert rows[0]["languages"] == "en:C1" and rows[0]["skills"] == "Public health"
    # The export writes the expert import schema (app/core/roster_format.py), so exporting and
    # importing round-trips (tests/test_imports.py); without a roster reference, the
    # profile's number stands in for one.
    assert list(rows[0]) == [c.name for c in EXPERT_COLUMNS]
    assert rows[0]["external_ref"] == rows[0]["number"] and rows[0]["consents"] == "matching"
    assert rows[0]["availability"].count("..") == 1 and rows[0]["email"].endswith("@example.org")


async def test_skills_merge_and_promote(client, missions, session_factory, officer):
    sudan = missions["sudan"]
    _, profile = await complete_profile(session_factory, sudan)
    with tenant_scope(sudan):
        async with session_factory() as db:
            tag = Skill(tenant_id=sudan.id, code="free:water-purifying", names={"en": "Water purifying"},
                        synonyms=[], source="free")
            other = Skill(tenant_id=sudan.id, code="free:radio-drama", names={"en": "Radio drama"},
                          synonyms=[], source="free")
            db.add_all([tag, other])
            await db.flush()
            db.add(ExpertSkill(tenant_id=sudan.id, profile_id=profile.id, skill_id=tag.id))
            target = await db.scalar(select(Skill).where(Skill.code == "water_treatment"))
            await db.commit()
    token = await csrf_token(client, "/sudan/skills")
    page = await client.get("/sudan/skills")
    assert "Water purifying" in page.text
    bad = await client.post(f"/sudan/skills/{tag.id}/merge", data={"into": "", "_csrf_token": token})
    assert bad.status_code == 400
    ok = await client.post(f"/sudan/skills/{tag.id}/merge",
                           data={"into": str(target.id), "_csrf_token": token},
                           follow_redirects=False)
    assert ok.status_code == 303
    with tenant_scope(sudan):
        async with session_factory() as db:
            target = await db.get(Skill, target.id)
            assert "Water purifying" in target.synonyms
            assert await db.get(Skill, tag.id) is None
            linked = set(await db.scalars(select(ExpertSkill.skill_id).where(
                ExpertSkill.profile_id == profile.id)))
            assert target.id in linked
    await client.post(f"/sudan/skills/{other.id}/promote", data={"_csrf_token": token})
    with tenant_scope(sudan):
        async with session_factory() as db:
            promoted = await db.get(Skill, other.id)
            assert promoted.source == "staff" and promoted.code == "radio-drama"
    dup = await client.post("/sudan/skills", data={"name": "Hydrology", "_csrf_token": token})
    assert dup.status_code == 400 and "already in the vocabulary" in dup.text
    added = await client.post("/sudan/skills", data={"name": "Dam safety", "synonyms": "dams",
                                                     "sector": "water_management",
                                                     "_csrf_token": token},
                              follow_redirects=False)
    assert added.status_code == 303


async def test_institution_and_partner_users_see_no_registry(client, missions, session_factory):
    for role in ("expert", "partner_user", "institution_focal_point"):
        user = await make_user(session_factory, missions["sudan"], role)
        await sign_in(client, missions["sudan"], user.email)
        assert (await client.get("/sudan/experts")).status_code == 403
        assert (await client.get("/sudan/experts/export.csv")).status_code == 403
    use_session(client, None)


async def test_a_verified_profile_edited_by_its_expert_is_reviewed_again(client, missions,
                                                                         session_factory):
    sudan = missions["sudan"]
    expert, profile = await complete_profile(session_factory, sudan, status="verified")
    await sign_in(client, sudan, expert.email)
    token = await csrf_token(client, "/sudan/me/profile/personal")
    r = await client.post("/sudan/me/profile/personal", data={
        "full_name": "New Name", "nationality": "SD", "residence_country": "GB",
        "_csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert await _status(session_factory, sudan, profile.id) == "submitted"
    use_session(client, None)


async def test_nobody_vets_their_own_profile(client, missions, session_factory):
    sudan = missions["sudan"]
    expert, profile = await complete_profile(session_factory, sudan)
    with tenant_scope(sudan):  # the expert is later hired as a programme officer
        async with session_factory() as db:
            membership = await db.scalar(select(Membership).where(
                Membership.user_id == expert.id))
            membership.role = "staff"
            await db.commit()
    await sign_in(client, sudan, expert.email)
    refused = await _act(client, profile.id, "verify")
    assert refused.status_code == 400
    assert await _status(session_factory, sudan, profile.id) == "submitted"
    use_session(client, None)
