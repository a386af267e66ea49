"""Staff's free registry search on the real embedded engine (typos, accents, facets with
counts, filters, highlights, consent and mission boundaries, htmx, engine outage), saved
searches, and the mission admin's matching weights changing the workspace's ranking."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select

from app.assignment_requests.models import RequestSkill
from app.audit.models import AuditEvent
from app.core.clock import now
from app.experts.models import ExpertConsent, ExpertProfile, Skill
from app.matching.models import SavedSearch
from app.matching.scoring import CRITERIA, DEFAULT_WEIGHTS, NearMissMargins
from app.matching.services import matching_settings, mission_weights
from search_index import SearchUnavailable
from tenants.context import tenant_scope
from tenants.models import Tenant
from tests.accounts_helpers import sign_in, signed_in, use_session
from tests.conftest import csrf_token
from tests.expert_helpers import complete_profile
from tests.html import field_error
from tests.request_helpers import make_institution, make_request

pytestmark = pytest.mark.usefixtures("in_english")


async def change_profile(session_factory, tenant, profile_id, **changes):
    with tenant_scope(tenant):
        async with session_factory() as db:
            profile = await db.get(ExpertProfile, profile_id)
            for key, value in changes.items():
                setattr(profile, key, value)
            profile.updated_at = now()
            await db.commit()


def facet_counts(html: str, param: str) -> dict[str, int]:
    return {value: int(count) for value, count in re.findall(
        rf'name="{param}" value="([^"]+)"[^>]*> [^<]*<span class="muted">\((\d+)\)</span>',
        html)}


def found(html: str) -> int:
    match = re.search(r"(\d+) experts? found", html)
    assert match, html[:2000]
    return int(match.group(1))


# --- finding ------------------------------------------------------------------------------

async def test_typos_and_accents_find_experts_with_highlights(client, missions,
                                                              session_factory, index_now,
                                                              officer):
    sudan = missions["sudan"]
    _, accented = await complete_profile(session_factory, sudan, status="verified",
                                         name="Conceição Gonçalves Tamborim",
                                         skill_code="hydrology")
    _, plain = await complete_profile(session_factory, sudan, status="verified",
                                      name="Yousif <script>alert(1)</script> Wardrobe",
                                      skill_code="braille_instruction")
    await index_now()

    without_accents = await client.get("/sudan/search", params={"q": "conceicao goncalves"})
    assert without_accents.status_code == 200
    assert str(accented.id) in without_accents.text
    assert "<mark>Conceição</mark> <mark>Gonçalves</mark>" in without_accents.text

    typo = await client.get("/sudan/search", params={"q": "tamborin hydrolgy"})
    assert str(accented.id) in typo.text and str(plain.id) not in typo.text
    assert "<mark>Hydrology</mark>" in typo.text  # the snippet of the skills

    # The highlighted name is rendered as HTML: what the expert typed stays escaped.
    marked = await client.get("/sudan/search", params={"q": "wardrobe"})
    assert str(plain.id) in marked.text
    assert "<script>alert(1)</script>" not in marked.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Wardrobe</mark>" in marked.text
    # Searching as one types: the last word counts as the start of a word.
    prefix = await client.get("/sudan/search", params={"q": "wardr"})
    assert str(plain.id) in prefix.text


async def test_facet_counts_and_filters(client, missions, session_factory, index_now, officer):
    sudan = missions["sudan"]
    _, nl_water = await complete_profile(session_factory, sudan, status="verified",
                                         name="Quillfeather One", sector="water_management",
                                         language=("ar", "native"), country="NL")
    _, gb_water = await complete_profile(session_factory, sudan, status="verified",
                                         name="Quillfeather Two", sector="water_management",
                                         country="GB")
    _, gb_school = await complete_profile(session_factory, sudan, status="submitted",
                                          name="Quillfeather Three", sector="education",
                                          country="GB")
    _, nl_health = await complete_profile(session_factory, sudan, status="verified",
                                          name="Quillfeather Four", sector="health",
                                          country="NL", available=(300, 400))
    await change_profile(session_factory, sudan, nl_health.id, years_experience=3)
    await index_now()

    everyone = await client.get("/sudan/search", params={"q": "quillfeather"})
    assert everyone.status_code == 200 and found(everyone.text) == 4
    assert facet_counts(everyone.text, "sector") == {"water_management": 2, "education": 1,
                                                     "health": 1}
    assert facet_counts(everyone.text, "status") == {"verified": 3, "submitted": 1}
    assert facet_counts(everyone.text, "country") == {"GB": 2, "NL": 2}
    assert facet_counts(everyone.text, "language") == {"en": 3, "ar": 1}
    assert facet_counts(everyone.text, "modality") == {"hybrid": 4}

    water = await client.get("/sudan/search", params={"q": "quillfeather",
                                                      "sector": "water_management"})
    assert found(water.text) == 2
    assert str(nl_water.id) in water.text and str(gb_water.id) in water.text
    assert str(gb_school.id) not in water.text
    # The chosen facet keeps counting its other values; the others count the results.
    assert facet_counts(water.text, "sector") == {"water_management": 2, "education": 1,
                                                  "health": 1}
    assert facet_counts(water.text, "country") == {"GB": 1, "NL": 1}
    assert 'value="water_management" checked' in water.text

    two_sectors = await client.get("/sudan/search", params=[
        ("q", "quillfeather"), ("sector", "water_management"), ("sector", "health")])
    assert found(two_sectors.text) == 3

    submitted = await client.get("/sudan/search", params={"q": "quillfeather",
                                                          "status": "submitted"})
    assert found(submitted.text) == 1 and str(gb_school.id) in submitted.text

    arabic_in_nl = await client.get("/sudan/search", params={"q": "quillfeather",
                                                             "country": "NL",
                                                             "language": "ar"})
    assert found(arabic_in_nl.text) == 1 and str(nl_water.id) in arabic_in_nl.text

    seasoned = await client.get("/sudan/search", params={"q": "quillfeather", "min_years": "5"})
    assert found(seasoned.text) == 3 and str(nl_health.id) not in seasoned.text

    soon = date.today() + timedelta(days=40)
    free_soon = await client.get("/sudan/search", params={
        "q": "quillfeather", "available_from": soon.isoformat(),
        "available_to": (soon + timedelta(days=20)).isoformat()})
    assert found(free_soon.text) == 3 and str(nl_health.id) not in free_soon.text

    # Paging: one page holds 20; the total stays the whole count.
    paged = await client.get("/sudan/search", params={"q": "quillfeather", "offset": "2",
                                                      "sort": "newest"})
    assert found(paged.text) == 4 and "3 to 4 shown" in paged.text
    # No words: every indexed expert of the mission, all indexed statuses.
    unfiltered = await client.get("/sudan/search")
    assert found(unfiltered.text) >= 4


@pytest.mark.parametrize("params, field, message", [
    ({"available_from": "2026-13-01", "available_to": "2026-12-31"}, "available_from",
     "Use a date like"),
    ({"available_from": "2026-03-01"}, "available_to", "Give both dates"),
    ({"available_from": "2026-03-01", "available_to": "2026-02-01"}, "available_to",
     "The end comes before the start"),
    ({"available_from": "2026-01-01", "available_to": "2029-06-01"}, "available_to",
     "at most 36 months"),
    ({"min_years": "many"}, "min_years", "Enter a whole number"),
    ({"min_years": "-1"}, "min_years", "Enter a number from 0 to 70"),
    ({"sector": "underwater_basket_weaving"}, "sector", "Choose one of the options"),
    ({"status": "withdrawn"}, "status", "Choose one of the options"),
    ({"country": "XX"}, "country", "Choose one of the options"),
    ({"modality": "telepathy"}, "modality", "Choose one of the options"),
    ({"sort": "random"}, "sort", "Choose one of the options"),
    ({"q": "water " * 50}, "q", "Use at most 200 characters"),
])
async def test_bad_input_is_400_with_the_message_by_the_field(client, officer, params, field,
                                                              message):
    response = await client.get("/sudan/search", params=params)
    assert response.status_code == 400
    error = field_error(response.text, field)
    assert error and message in error, response.text[-3000:]


async def test_an_edited_page_number_is_not_an_error(client, officer):
    assert (await client.get("/sudan/search?offset=abc")).status_code == 200
    assert (await client.get("/sudan/search?offset=99999999999999999999")).status_code == 200


async def test_experts_without_consent_or_withdrawn_are_never_found(client, missions,
                                                                   session_factory, index_now,
                                                                   officer):
    sudan = missions["sudan"]
    _, no_consent = await complete_profile(session_factory, sudan, status="verified",
                                           name="Ghostly Noconsent", consents=())
    _, registry_only = await complete_profile(session_factory, sudan, status="verified",
                                              name="Ghostly Registryonly",
                                              consents=("future_contact",))
    _, withdrawn = await complete_profile(session_factory, sudan, status="withdrawn",
                                          name="Ghostly Withdrawn")
    _, leaving = await complete_profile(session_factory, sudan, status="verified",
                                        name="Ghostly Leaving")
    await index_now()
    first = await client.get("/sudan/search", params={"q": "ghostly"})
    assert found(first.text) == 1 and str(leaving.id) in first.text
    for profile in (no_consent, registry_only, withdrawn):
        assert str(profile.id) not in first.text
        exact = await client.get("/sudan/search", params={"q": profile.full_name})
        assert str(profile.id) not in exact.text

    # Withdrawing consent, or the profile, takes the expert out at the next drain.
    await change_profile(session_factory, sudan, leaving.id, status="withdrawn")
    await index_now()
    assert found((await client.get("/sudan/search", params={"q": "ghostly"})).text) == 0
    await change_profile(session_factory, sudan, leaving.id, status="verified")
    await index_now()
    assert found((await client.get("/sudan/search", params={"q": "ghostly"})).text) == 1
    with tenant_scope(sudan):
        async with session_factory() as db:
            consent = await db.scalar(select(ExpertConsent).where(
                ExpertConsent.profile_id == leaving.id, ExpertConsent.purpose == "matching"))
            consent.withdrawn_at = now()
            await db.commit()
    await index_now()
    assert found((await client.get("/sudan/search", params={"q": "ghostly"})).text) == 0


async def test_mozambique_never_sees_sudans_experts(client, missions, session_factory,
                                                    index_now):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    _, sudanese = await complete_profile(session_factory, sudan, status="verified",
                                         name="Tahani Nilewater Exclusive",
                                         skill_code="hydrology")
    await index_now()
    await signed_in(client, session_factory, mozambique)
    try:
        for q in ("Tahani Nilewater Exclusive", "nilewater", "tahani"):
            response = await client.get("/mozambique/search", params={"q": q})
            assert response.status_code == 200
            assert found(response.text) == 0 and str(sudanese.id) not in response.text
            assert f"/mozambique/experts/{sudanese.id}" not in response.text
        # Mozambique's staff hold no role in Sudan.
        assert (await client.get("/sudan/search", params={"q": "nilewater"})).status_code == 403
        await signed_in(client, session_factory, sudan)
        mine = await client.get("/sudan/search", params={"q": "nilewater"})
        assert str(sudanese.id) in mine.text
    finally:
        use_session(client, None)


async def test_htmx_gets_the_results_block(client, missions, session_factory, index_now,
                                           officer):
    sudan = missions["sudan"]
    _, profile = await complete_profile(session_factory, sudan, status="verified",
                                        name="Htmxia Partialson")
    await index_now()
    partial = await client.get("/sudan/search", params={"q": "partialson"},
                               headers={"HX-Request": "true", "HX-Target": "search-results"})
    assert partial.status_code == 200
    assert partial.text.lstrip().startswith('<section id="search-results"')
    assert "<html" not in partial.text and "site-header" not in partial.text
    assert str(profile.id) in partial.text
    # The facets and the save form follow out of band, so they match the new results.
    assert '<div id="search-facets"' in partial.text and 'hx-swap-oob="true"' in partial.text
    assert 'name="query" value="q=partialson"' in partial.text
    assert '<div id="save-search" hx-swap-oob="true">' in partial.text
    # The list of saved searches does not change as one types: neither read nor sent.
    assert 'id="saved-searches"' not in partial.text
    assert "HX-Request" in partial.headers.get("vary", "")
    # Going back in history (htmx's cache missed) needs the whole page.
    restored = await client.get("/sudan/search", params={"q": "partialson"},
                                headers={"HX-Request": "true", "HX-Target": "search-results",
                                         "HX-History-Restore-Request": "true"})
    assert "<html" in restored.text
    # Without htmx, the same URL is the whole page, with the live search wired up.
    full = await client.get("/sudan/search", params={"q": "partialson"})
    assert "<html" in full.text and 'hx-trigger="keyup changed delay:300ms' in full.text
    assert 'hx-push-url="true"' in full.text


async def test_engine_down_points_to_the_registry(app, client, officer, monkeypatch):
    async def refuse(*args, **kwargs):
        raise SearchUnavailable("down for the test")
    monkeypatch.setattr(app.state.search, "search", refuse)
    response = await client.get("/sudan/search", params={"q": "water", "sector": "education"})
    assert response.status_code == 200
    assert "search engine is not answering" in response.text
    assert 'href="/sudan/experts?sector=education&amp;q=water"' in response.text
    assert "experts found" not in response.text
    htmx = await client.get("/sudan/search", params={"q": "water"},
                            headers={"HX-Request": "true", "HX-Target": "search-results"})
    assert htmx.status_code == 200 and "search engine is not answering" in htmx.text


# --- saved searches -----------------------------------------------------------------------

async def _save(client, name, query):
    token = await csrf_token(client, "/sudan/search")
    return await client.post("/sudan/search/saved", data={"name": name, "query": query,
                                                          "_csrf_token": token},
                             follow_redirects=False)


async def _delete(client, saved_id):
    token = await csrf_token(client, "/sudan/search")
    return await client.post(f"/sudan/search/saved/{saved_id}/delete",
                             data={"_csrf_token": token}, follow_redirects=False)


async def _saved_of(session_factory, tenant, user) -> list[SavedSearch]:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return list(await db.scalars(select(SavedSearch).where(
                SavedSearch.user_id == user.id).order_by(SavedSearch.created_at)))


async def test_saved_search_round_trip(client, missions, session_factory):
    sudan = missions["sudan"]
    owner = await signed_in(client, session_factory, sudan)
    saved = await _save(client, "  Water   experts in NL ",
                        "q=water&sector=water_management&country=NL&offset=40&evil=1")
    assert saved.status_code == 303
    target = urlsplit(saved.headers["location"])
    assert target.path == "/sudan/search"
    assert parse_qsl(target.query) == [("q", "water"), ("sector", "water_management"),
                                       ("country", "NL")]
    [row] = await _saved_of(session_factory, sudan, owner)
    assert row.name == "Water experts in NL"
    assert row.query == "q=water&sector=water_management&country=NL"
    listed = await client.get("/sudan/search")
    assert f'href="/sudan/search?{row.query.replace("&", "&amp;")}"' in listed.text
    assert "Water experts in NL" in listed.text

    # The same name again replaces that search rather than keeping two.
    assert (await _save(client, "Water experts in NL", "q=irrigation")).status_code == 303
    [row] = await _saved_of(session_factory, sudan, owner)
    assert row.query == "q=irrigation"

    for name, query, message in [
            ("", "q=x", "This field is required."),
            ("x" * 121, "q=x", "Use at most 120 characters."),
            ("Too long", "q=" + "x" * 2001, "too long to keep"),
            ("Broken", "sector=nowhere", "Correct the search before saving it.")]:
        refused = await _save(client, name, query)
        assert refused.status_code == 400, name
        error = re.search(r'<p class="error" id="e-name">([^<]*)</p>', refused.text)
        assert error and message in error.group(1), (name, refused.text[-2000:])
    assert len(await _saved_of(session_factory, sudan, owner)) == 1

    # Someone else's saved search is not found, even in the same mission.
    other = await signed_in(client, session_factory, sudan)
    assert "Water experts in NL" not in (await client.get("/sudan/search")).text
    assert (await _delete(client, row.id)).status_code == 404
    assert len(await _saved_of(session_factory, sudan, owner)) == 1
    assert (await _delete(client, uuid.uuid4())).status_code == 404

    use_session(client, None)
    assert (await sign_in(client, sudan, owner.email)).status_code == 303
    deleted = await _delete(client, row.id)
    assert deleted.status_code == 303 and deleted.headers["location"] == "/sudan/search"
    assert await _saved_of(session_factory, sudan, owner) == []
    assert (await _delete(client, row.id)).status_code == 404
    assert await _saved_of(session_factory, sudan, other) == []
    use_session(client, None)


async def test_at_most_fifty_saved_searches(client, missions, session_factory):
    sudan = missions["sudan"]
    owner = await signed_in(client, session_factory, sudan)
    with tenant_scope(sudan):
        async with session_factory() as db:
            db.add_all(SavedSearch(tenant_id=sudan.id, user_id=owner.id, name=f"Search {i}",
                                   query=f"q=w{i}") for i in range(50))
            await db.commit()
    refused = await _save(client, "One too many", "q=water")
    assert refused.status_code == 400 and "delete one first" in refused.text
    # Replacing one that exists still works at the limit.
    assert (await _save(client, "Search 7", "q=hydrology")).status_code == 303
    rows = await _saved_of(session_factory, sudan, owner)
    assert len(rows) == 50
    assert next(r for r in rows if r.name == "Search 7").query == "q=hydrology"
    use_session(client, None)


# --- matching weights ---------------------------------------------------------------------

async def _weights(session_factory, tenant):
    async with session_factory() as db:
        return (await db.get(Tenant, tenant.id)).settings.get("matching_weights")


MARGINS = {"near_years": "1", "near_levels": "1", "near_days": "14"}


async def _post_weights(client, values: dict, action: str = "save"):
    token = await csrf_token(client, "/sudan/admin/matching")
    return await client.post("/sudan/admin/matching",
                             data={**values, "action": action, "_csrf_token": token},
                             follow_redirects=False)


def _positions(html: str, *names: str) -> list[int]:
    positions = [html.find(name) for name in names]
    assert all(p >= 0 for p in positions), names
    return positions


async def test_only_mission_admins_configure_the_weights(client, missions, session_factory):
    sudan = missions["sudan"]
    await signed_in(client, session_factory, sudan, "staff")
    assert (await client.get("/sudan/admin/matching")).status_code == 403
    assert (await _post_weights(client, {name: "10" for name in CRITERIA})).status_code == 403
    assert 'href="/sudan/admin/matching"' not in (await client.get("/sudan/search")).text
    await signed_in(client, session_factory, sudan, "mission_admin")
    form = await client.get("/sudan/admin/matching")
    assert form.status_code == 200
    assert 'href="/sudan/admin/matching"' in form.text  # the admin menu links it
    assert "Required skills" in form.text and "Modality and location" in form.text
    assert 'name="required_skills" type="number" min="0" max="100" step="1" value="35"' \
        in form.text
    use_session(client, None)


async def test_weights_save_refuse_restore_and_rerank(client, missions, session_factory,
                                                     index_now):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    async with session_factory() as db:
        institution = await make_institution(db, sudan)
        request = await make_request(db, sudan, institution.id, status="open")
    with tenant_scope(sudan):
        async with session_factory() as db:
            skill_code = await db.scalar(select(Skill.code).join(
                RequestSkill, RequestSkill.skill_id == Skill.id).where(
                RequestSkill.request_id == request.id))
    # Skilled has the required skill in another sector, free all along; Sectoral has the
    # skill and the request's sector, but is free only a few days of the work window.
    await complete_profile(session_factory, sudan, status="verified", name="Skilled Weightman",
                           sector="education", skill_code=skill_code)
    await complete_profile(session_factory, sudan, status="verified", name="Sectoral Weightman",
                           sector="water_management", skill_code=skill_code, available=(30, 33))
    await index_now()
    admin = await signed_in(client, session_factory, sudan, "mission_admin")
    workspace = f"/sudan/requests/{request.id}/matches"

    before = await client.get(workspace)
    assert before.status_code == 200
    skilled, sectoral = _positions(before.text, "Skilled Weightman", "Sectoral Weightman")
    assert skilled < sectoral

    # Refused: nothing is saved, each message sits by its field.
    values = {name: str(DEFAULT_WEIGHTS[name]) for name in CRITERIA} | MARGINS
    bad = await _post_weights(client, {**values, "required_skills": "lots", "sector": "101"})
    assert bad.status_code == 400
    assert re.search(r'id="e-required_skills">Enter a whole number', bad.text)
    assert re.search(r'id="e-sector">Enter a number from 0 to 100', bad.text)
    assert 'value="lots"' in bad.text  # what was typed comes back to be corrected
    missing = await _post_weights(client, {**values, "languages": ""})
    assert missing.status_code == 400 and 'id="e-languages">This field is required' \
        in missing.text
    zeros = await _post_weights(client, {name: "0" for name in CRITERIA} | MARGINS)
    assert zeros.status_code == 400
    assert re.search(r'id="e-required_skills">At least one criterion must count', zeros.text)
    far = await _post_weights(client, {**values, "near_days": "91"})
    assert far.status_code == 400 and re.search(r'id="e-near_days">Enter a number from 0 to 90',
                                                far.text)
    assert await _weights(session_factory, sudan) is None

    # Saved: the sector alone counts now, and the ranking follows; near misses reach
    # three years further.
    only_sector = {name: "0" for name in CRITERIA} | {"sector": "100"} | MARGINS \
        | {"near_years": "3"}
    saved = await _post_weights(client, only_sector)
    assert saved.status_code == 303 and saved.headers["location"] == "/sudan/admin/matching"
    expected = {name: 0 for name in CRITERIA} | {"sector": 100}
    assert await _weights(session_factory, sudan) == expected
    with tenant_scope(sudan):
        async with session_factory() as db:
            assert (await matching_settings(db, sudan))[1] == NearMissMargins(years=3)
    assert 'name="near_years" type="number" min="0" max="10" step="1" value="3"' in (
        await client.get("/sudan/admin/matching")).text
    with tenant_scope(sudan):
        async with session_factory() as db:
            assert await mission_weights(db, sudan) == expected
    with tenant_scope(mozambique):
        async with session_factory() as db:
            assert await mission_weights(db, mozambique) == DEFAULT_WEIGHTS
    shown = await client.get("/sudan/admin/matching")
    assert 'name="sector" type="number" min="0" max="100" step="1" value="100"' in shown.text
    after = await client.get(workspace)
    skilled, sectoral = _positions(after.text, "Skilled Weightman", "Sectoral Weightman")
    assert sectoral < skilled

    # Restored: back to the defaults (the mission follows future defaults too).
    restored = await _post_weights(client, {name: "junk" for name in CRITERIA}, "restore")
    assert restored.status_code == 303
    assert await _weights(session_factory, sudan) is None
    again = await client.get(workspace)
    skilled, sectoral = _positions(again.text, "Skilled Weightman", "Sectoral Weightman")
    assert skilled < sectoral

    with tenant_scope(sudan):
        async with session_factory() as db:
            events = list(await db.scalars(select(AuditEvent).where(
                AuditEvent.action == "matching.weights_changed").order_by(
                AuditEvent.created_at)))
    assert len(events) == 2 and all(e.actor_id == admin.id for e in events)
    defaults, wider = NearMissMargins().as_dict(), NearMissMargins(years=3).as_dict()
    assert events[0].before == {"weights": DEFAULT_WEIGHTS, "near_miss": defaults}
    assert events[0].after == {"weights": expected, "near_miss": wider, "defaults": False}
    assert events[1].before == {"weights": expected, "near_miss": wider}
    assert events[1].after == {"weights": DEFAULT_WEIGHTS, "near_miss": defaults,
                               "defaults": True}
    use_session(client, None)


async def test_saving_replacing_and_deleting_a_search_is_audited(client, missions,
                                                                  session_factory):
    """Issue 18, finding 9: saved searches were changed without an audit row."""
    sudan = missions["sudan"]
    owner = await signed_in(client, session_factory, sudan)
    assert (await _save(client, "Audited search", "q=water")).status_code == 303
    assert (await _save(client, "Audited search", "q=irrigation")).status_code == 303
    [row] = await _saved_of(session_factory, sudan, owner)
    assert (await _delete(client, row.id)).status_code == 303
    with tenant_scope(sudan):
        async with session_factory() as db:
            events = list(await db.scalars(select(AuditEvent).where(
                AuditEvent.object_type == "saved_search", AuditEvent.object_id == str(row.id))
                .order_by(AuditEvent.created_at)))
    assert [e.action for e in events] == ["saved_search.created", "saved_search.replaced",
                                          "saved_search.deleted"]
    assert all(e.actor_id == owner.id for e in events)
    assert events[0].after == {"name": "Audited search", "query": "q=water"}
    assert events[2].before == {"name": "Audited search", "query": "q=irrigation"}
    use_session(client, None)
