"""The expert's profile form, step by step, with good and bad input, consent and the
life cycle as the expert sees it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.experts.models import (
    ExpertAvailability,
    ExpertConsent,
    ExpertDocument,
    ExpertLanguage,
    ExpertProfile,
    ExpertSkill,
    Skill,
)
from tenants.context import tenant_scope
from tests.accounts_helpers import mails_to, make_user, sign_in, use_session
from tests.conftest import csrf_token
from tests.html import select_all, select_text

SOON = (date.today() + timedelta(days=30)).isoformat()
LATER = (date.today() + timedelta(days=120)).isoformat()
PAST = (date.today() - timedelta(days=30)).isoformat()


pytestmark = pytest.mark.usefixtures("in_english")


def profile_status(body: str) -> str:
    """The status the expert's space shows for their profile (My space, first card)."""
    return select_text(body, "h1 + section.card > p > strong")


async def post_step(client, step, data):
    token = await csrf_token(client, f"/sudan/me/profile/{step}")
    return await client.post(f"/sudan/me/profile/{step}", data={**data, "_csrf_token": token},
                             follow_redirects=False)


async def _profile(session_factory, tenant, user):
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(ExpertProfile).where(ExpertProfile.user_id == user.id))


async def fill_profile(client):
    assert (await post_step(client, "personal", {
        "full_name": "Amna Elhassan", "gender": "female", "birth_year": "1984",
        "nationality": "SD", "residence_country": "NL", "residence_city": "Delft",
        "phone": "+31 6 1234 5678"})).status_code == 303
    assert (await post_step(client, "languages", {
        "lang-0-language": "ar", "lang-0-level": "native",
        "lang-1-language": "en", "lang-1-level": "C1"})).status_code == 303
    assert (await post_step(client, "background", {
        "edu-0-level": "7", "edu-0-field": "Water engineering", "edu-0-institution": "TU Delft",
        "edu-0-year": "2010", "work-0-title": "Hydrologist", "work-0-employer": "Deltares",
        "work-0-country": "NL", "work-0-started_on": "2011-02-01"})).status_code == 303
    assert (await post_step(client, "expertise", {
        "sectors": "water_management", "years_experience": "14",
        "new_skills": "water purification, Hydrology, Desalination plants",
        "summary": "Water treatment and hydrology."})).status_code == 303
    assert (await post_step(client, "availability", {
        "modality": "hybrid", "min_weeks": "2", "max_weeks": "8",
        "window-0-kind": "available", "window-0-starts_on": SOON,
        "window-0-ends_on": LATER})).status_code == 303


async def test_expert_fills_every_step_and_submits(client, missions, session_factory, expert):
    sudan = missions["sudan"]
    home = await client.get("/sudan/me")
    assert home.status_code == 200 and profile_status(home.text) == "Draft"
    for step in ("personal", "languages", "background", "expertise", "availability", "consent"):
        assert (await client.get(f"/sudan/me/profile/{step}")).status_code == 200, step
    await fill_profile(client)
    profile = await _profile(session_factory, sudan, expert)
    with tenant_scope(sudan):
        async with session_factory() as db:
            codes = set(await db.scalars(select(Skill.code).join(
                ExpertSkill, ExpertSkill.skill_id == Skill.id).where(
                ExpertSkill.profile_id == profile.id)))
    # Synonyms and other-language names find vocabulary skills; the rest becomes a free tag.
    assert {"water_treatment", "hydrology", "free:desalination-plants"} <= codes

    token = await csrf_token(client, "/sudan/me")
    refused = await client.post("/sudan/me/profile/action/submit", data={"_csrf_token": token})
    assert "CV" in refused.text and "Consent" in refused.text  # flash names what is missing
    assert (await _profile(session_factory, sudan, expert)).status == "draft"

    assert (await post_step(client, "consent", {"purposes": "matching"})).status_code == 303
    with tenant_scope(sudan):
        async with session_factory() as db:
            db.add(ExpertDocument(tenant_id=sudan.id, profile_id=profile.id, filename="cv.pdf",
                                  content_type="application/pdf", size=10, sha256="0" * 64,
                                  storage_key=f"{sudan.id}/cv/test.pdf"))
            await db.commit()
    reviewer = await make_user(session_factory, sudan, "staff")
    ok = await client.post("/sudan/me/profile/action/submit", data={"_csrf_token": token})
    assert "Your profile is submitted. The mission will review it." in select_all(
        ok.text, ".flash-success")
    assert profile_status(ok.text) == "Submitted for review"
    assert (await _profile(session_factory, sudan, expert)).status == "submitted"
    [notice] = await mails_to(session_factory, sudan, reviewer.email)
    assert notice.kind == "profile_submitted" and f"/sudan/experts/{profile.id}" in notice.body


@pytest.mark.parametrize("step, data, message", [
    ("personal", {"full_name": "", "nationality": "SD", "residence_country": "NL"},
     "This field is required"),
    ("personal", {"full_name": "A", "nationality": "XX", "residence_country": "NL"},
     "Choose one of the options"),
    ("personal", {"full_name": "A", "nationality": "SD", "residence_country": "NL",
                  "birth_year": "2020"}, "Enter a number from"),
    ("personal", {"full_name": "A", "nationality": "SD", "residence_country": "NL",
                  "phone": "call me"}, "phone number"),
    ("languages", {}, "Add at least one language"),
    ("languages", {"lang-0-language": "ar", "lang-0-level": "D9"}, "Choose one of the options"),
    ("languages", {"lang-0-language": "ar", "lang-0-level": "C1",
                   "lang-1-language": "ar", "lang-1-level": "B1"}, "already listed"),
    ("background", {"work-0-title": "X", "work-0-employer": "Y",
                    "work-0-started_on": "2020-05-01", "work-0-ended_on": "2019-01-01"},
     "end comes before the start"),
    ("background", {"edu-0-level": "7", "edu-0-field": "F", "edu-0-institution": "I",
                    "edu-0-year": "not a year"}, "whole number"),
    ("expertise", {"years_experience": "5", "new_skills": "x"}, "Choose at least one sector"),
    ("expertise", {"sectors": "rocket_science", "years_experience": "5", "new_skills": "x"},
     "Choose one of the options"),
    ("expertise", {"sectors": "education", "years_experience": "5"}, "Add at least one skill"),
    ("expertise", {"sectors": "education", "years_experience": "5", "new_skills": "x",
                   "headline": "Hydrologist " * 14}, "Use at most 160 characters"),
    ("availability", {"modality": "hybrid", "window-0-kind": "available",
                      "window-0-starts_on": PAST, "window-0-ends_on": PAST},
     "already over"),
    ("availability", {"modality": "hybrid", "window-0-kind": "available",
                      "window-0-starts_on": LATER, "window-0-ends_on": SOON},
     "end comes before the start"),
    ("availability", {"modality": "hybrid", "min_weeks": "8", "max_weeks": "2",
                      "window-0-kind": "available", "window-0-starts_on": SOON,
                      "window-0-ends_on": LATER}, "cannot be shorter"),
    ("availability", {"modality": "teleport"}, "Choose one of the options"),
])
async def test_bad_input_is_refused_next_to_the_field(client, missions, session_factory, expert,
                                                      step, data, message):
    before = await _counts(session_factory, missions["sudan"])
    r = await post_step(client, step, data)
    assert r.status_code == 400, r.status_code
    assert message in r.text
    assert await _counts(session_factory, missions["sudan"]) == before  # nothing half-saved


async def _counts(session_factory, tenant):
    with tenant_scope(tenant):
        async with session_factory() as db:
            return [await db.scalar(select(func.count()).select_from(m))
                    for m in (ExpertLanguage, ExpertAvailability, ExpertSkill, Skill)]


async def test_the_headline_is_one_line_shown_escaped_where_the_profile_is_read(
        client, missions, session_factory, expert):
    """The expert's profession in one line: saved with the expertise step (line breaks
    made spaces), shown at the top of their profile, escaped, and kept when too long is
    refused with the rest of the step."""
    sudan = missions["sudan"]
    await fill_profile(client)
    headline = "Hydrologist | <b>flood</b>\r\n modelling"
    assert (await post_step(client, "expertise", {
        "sectors": "water_management", "years_experience": "14", "new_skills": "Hydrology",
        "headline": headline, "summary": "Water."})).status_code == 303
    profile = await _profile(session_factory, sudan, expert)
    assert profile.headline == "Hydrologist | <b>flood</b> modelling"
    for page in ("/sudan/me", "/sudan/me/profile/expertise"):
        body = (await client.get(page)).text
        assert "Hydrologist | &lt;b&gt;flood&lt;/b&gt; modelling" in body, page
        assert "<b>flood</b>" not in body, page
    assert "Your profession in one line" in (await client.get(
        "/sudan/me/profile/expertise")).text
    refused = await post_step(client, "expertise", {
        "sectors": "water_management", "years_experience": "3", "new_skills": "Hydrology",
        "headline": "x" * 161, "summary": "Changed."})
    assert refused.status_code == 400 and "Use at most 160 characters" in refused.text
    kept = await _profile(session_factory, sudan, expert)
    assert (kept.headline, kept.years_experience, kept.summary) == (
        profile.headline, 14, "Water.")


async def test_add_row_keeps_what_was_typed(client, expert):
    r = await post_step(client, "languages", {"lang-0-language": "fr", "lang-0-level": "B2",
                                              "add_row": "lang"})
    assert r.status_code == 200
    assert 'name="lang-1-language"' in r.text
    assert '<option value="fr" selected>' in r.text
    # An empty row not filled yet stays while another one is added.
    r = await post_step(client, "languages", {"lang-0-language": "", "lang-0-level": "",
                                              "add_row": "lang"})
    assert 'name="lang-1-language"' in r.text and 'name="lang-2-language"' not in r.text


async def test_htmx_receives_only_the_step_form_block(client, expert):
    """The same template serves the page and, for htmx, its step_form block alone."""
    token = await csrf_token(client, "/sudan/me/profile/languages")
    r = await client.post("/sudan/me/profile/languages",
                          data={"lang-0-language": "fr", "lang-0-level": "B2", "add_row": "lang",
                                "_csrf_token": token},
                          headers={"HX-Request": "true", "HX-Target": "step-form"})
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<section id="step-form">')
    assert "<html" not in r.text and "site-header" not in r.text
    # The block still has what the page's imports give it: the CSRF field and the rows.
    assert 'name="_csrf_token"' in r.text and 'name="lang-1-language"' in r.text
    assert "HX-Target" in r.headers["vary"]
    # Aimed at an element that is no block of the page (or no htmx at all): the whole page.
    whole = await client.post("/sudan/me/profile/languages",
                              data={"lang-0-language": "fr", "lang-0-level": "B2",
                                    "add_row": "lang", "_csrf_token": token},
                              headers={"HX-Request": "true", "HX-Target": "no-such-block"})
    assert "<html" in whole.text


async def test_consent_withdrawal_takes_effect_at_once(client, missions, session_factory, expert):
    sudan = missions["sudan"]
    await post_step(client, "consent", {"purposes": ["matching", "share_with_institutions"]})
    profile = await _profile(session_factory, sudan, expert)
    await post_step(client, "consent", {"purposes": "matching"})
    with tenant_scope(sudan):
        async with session_factory() as db:
            rows = list(await db.scalars(select(ExpertConsent).where(
                ExpertConsent.profile_id == profile.id)))
    active = {c.purpose for c in rows if c.withdrawn_at is None}
    assert active == {"matching"}
    withdrawn = [c for c in rows if c.withdrawn_at is not None]
    assert [c.purpose for c in withdrawn] == ["share_with_institutions"]
    assert all(c.notice_version == 1 for c in rows)


async def test_skill_suggestions(client, expert):
    r = await client.get("/sudan/me/skills/suggest?new_skills=Water, hydro")
    assert r.status_code == 200 and "Hydrology" in r.text
    arabic = await client.get("/sudan/me/skills/suggest?new_skills=معالجة")
    assert "Water treatment" in arabic.text  # found by its Arabic name, shown in English


async def test_other_roles_have_no_expert_space(client, missions, session_factory):
    staff = await make_user(session_factory, missions["sudan"], "staff")
    await sign_in(client, missions["sudan"], staff.email)
    assert (await client.get("/sudan/me")).status_code == 403
    use_session(client, None)
    r = await client.get("/sudan/me", follow_redirects=False)
    assert r.status_code == 303 and "/sudan/sign-in" in r.headers["location"]
