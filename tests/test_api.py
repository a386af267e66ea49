"""The JSON API under /api/v1/<mission>/ and `portal match`, against the real database and
the real embedded search engine: tokens (created once, stored hashed, revoked), tenant
scoping, consent, the audit trail, bad input, the matches equal the workspace's, and the
OpenAPI schema."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from app.api.models import ApiToken
from app.assignment_requests.models import AssignmentRequest
from app.audit.models import AuditEvent
from app.matching.services import MatchFilters, find_candidates
from tenants.context import tenant_scope
from tests.accounts_helpers import make_user, sign_in, use_session
from tests.api_helpers import api_token, bearer, matching_scene
from tests.conftest import csrf_token

pytestmark = pytest.mark.usefixtures("in_english")

API = "/api/v1"


@pytest.fixture(scope="module")
async def scene(missions, session_factory, index_now):
    sudan = await matching_scene(session_factory, missions["sudan"], "S")
    mozambique = await matching_scene(session_factory, missions["mozambique"], "M")
    await index_now()
    return {"sudan": sudan, "mozambique": mozambique}


@pytest.fixture(scope="module")
async def token(missions, session_factory) -> str:
    return await api_token(session_factory, missions["sudan"], "donor dashboard")


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["status"] == status
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


async def audit_events(session_factory, tenant, action_prefix: str = "api.") -> list[AuditEvent]:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return list(await db.scalars(select(AuditEvent).where(
                AuditEvent.tenant_id == tenant.id, AuditEvent.action.startswith(action_prefix))
                .order_by(AuditEvent.created_at, AuditEvent.id)))


# --- tokens ------------------------------------------------------------------------------

async def test_token_lifecycle_through_the_admin_pages(client, missions, session_factory,
                                                       database, scene):
    sudan = missions["sudan"]
    admin = await make_user(session_factory, sudan, "mission_admin")
    use_session(client, None)
    assert (await sign_in(client, sudan, admin.email)).status_code == 303
    listing = await client.get("/sudan/admin/api-tokens")
    assert listing.status_code == 200 and "API tokens" in listing.text
    assert 'href="/sudan/admin/api-tokens"' in listing.text  # in the admin navigation

    csrf = await csrf_token(client, "/sudan/admin/api-tokens")
    refused = await client.post("/sudan/admin/api-tokens", data={"_csrf_token": csrf, "name": " "})
    assert refused.status_code == 400 and "Give the token a name" in refused.text

    created = await client.post("/sudan/admin/api-tokens",
                                data={"_csrf_token": csrf, "name": "Monthly report"})
    assert created.status_code == 201
    assert created.headers.get("cache-control") == "no-store"
    plain = re.search(r'value="(dbk_[A-Za-z0-9_\-]+)"', created.text).group(1)
    assert "shown only this once" in created.text
    # Shown once: the list afterwards has its beginning only.
    again = await client.get("/sudan/admin/api-tokens")
    assert plain not in again.text and plain[:12] in again.text

    with tenant_scope(sudan):
        async with session_factory() as db:
            row = await db.scalar(select(ApiToken).where(ApiToken.tenant_id == sudan.id,
                                                         ApiToken.name == "Monthly report"))
    assert row.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert row.prefix == plain[:12] and row.created_by_id == admin.id
    # The plain token is nowhere in the database (every row of every table, as text).
    superuser = create_async_engine(database.admin.set(database=database.name))
    try:
        async with superuser.connect() as conn:
            tables = (await conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))).scalars().all()
            for table in tables:
                found = await conn.scalar(text(
                    f'SELECT count(*) FROM "{table}" t WHERE t::text LIKE :needle'),
                    {"needle": f"%{plain[4:20]}%"})
                assert found == 0, table
    finally:
        await superuser.dispose()

    answer = await client.get(f"{API}/sudan/requests", headers=bearer(plain))
    assert answer.status_code == 200
    csrf = await csrf_token(client, "/sudan/admin/api-tokens")
    revoked = await client.post(f"/sudan/admin/api-tokens/{row.id}/revoke",
                                data={"_csrf_token": csrf}, follow_redirects=False)
    assert revoked.status_code == 303
    assert "Revoked on" in (await client.get("/sudan/admin/api-tokens")).text
    use_session(client, None)
    assert_json_error(await client.get(f"{API}/sudan/requests", headers=bearer(plain)), 401)

    trail = await audit_events(session_factory, sudan, "api_token.")
    mine = [e for e in trail if e.object_id == str(row.id)]
    assert [e.action for e in mine] == ["api_token.created", "api_token.revoked"]
    assert all(e.actor_id == admin.id for e in mine)
    assert mine[0].after == {"name": "Monthly report", "prefix": plain[:12], "scope": "full"}


async def test_a_token_of_another_mission_cannot_be_revoked_here(client, missions,
                                                                 session_factory):
    mozambique_token = await api_token(session_factory, missions["mozambique"], "theirs")
    with tenant_scope(missions["mozambique"]):
        async with session_factory() as db:
            theirs = await db.scalar(select(ApiToken.id).where(
                ApiToken.prefix == mozambique_token[:12]))
    admin = await make_user(session_factory, missions["sudan"], "mission_admin")
    use_session(client, None)
    await sign_in(client, missions["sudan"], admin.email)
    csrf = await csrf_token(client, "/sudan/admin/api-tokens")
    response = await client.post(f"/sudan/admin/api-tokens/{theirs}/revoke",
                                 data={"_csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 404
    use_session(client, None)
    assert (await client.get(f"{API}/mozambique/requests",
                             headers=bearer(mozambique_token))).status_code == 200


@pytest.mark.parametrize("header", [
    None,                                   # no header at all
    "",                                     # empty
    "Bearer",                               # no token
    "Bearer    ",
    "Basic dXNlcjpwYXNz",                   # another scheme
    "Token dbk_abc",
    "Bearer not-a-token",                   # malformed
    "Bearer dbk_" + "a" * 43,               # no mission part
    "Bearer dbk_" + "a" * 43 + "_" + "z" * 32,
    "Bearer dbk_" + "a" * 43 + "_" + uuid.uuid4().hex,   # a mission that does not exist
])
async def test_without_a_valid_token_the_api_answers_401(client, missions, header):
    use_session(client, None)
    headers = {} if header is None else {"Authorization": header}
    response = await client.get(f"{API}/sudan/experts", headers=headers)
    error = assert_json_error(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "token" in error["message"].lower()


async def test_an_unknown_token_of_the_right_shape_is_401(client, missions, token):
    forged = "dbk_" + "Q" * 43 + "_" + missions["sudan"].id.hex  # the shape, not a secret
    assert_json_error(await client.get(f"{API}/sudan/experts", headers=bearer(forged)), 401)


async def test_a_browser_session_alone_opens_nothing(client, missions, session_factory):
    sudan = missions["sudan"]
    staff = await make_user(session_factory, sudan, "staff")
    use_session(client, None)
    await sign_in(client, sudan, staff.email)
    assert (await client.get("/sudan/experts")).status_code == 200  # the session works
    assert_json_error(await client.get(f"{API}/sudan/experts"), 401)
    use_session(client, None)


# --- tenant scoping ----------------------------------------------------------------------

async def test_a_token_works_in_its_own_mission_only(client, missions, session_factory,
                                                     token, scene):
    use_session(client, None)
    theirs = scene["mozambique"]
    for path in ("/experts", "/requests", f"/requests/{theirs.request.id}",
                 f"/experts/{theirs.shared[0].id}", f"/requests/{theirs.request.id}/matches"):
        assert_json_error(await client.get(f"{API}/mozambique{path}", headers=bearer(token)),
                          404)
    # Where the token was tried is in its own mission's trail.
    tried = [e for e in await audit_events(session_factory, missions["sudan"], "api.other")
             if e.after.get("mission") == "mozambique"]
    assert tried and tried[0].actor_label.startswith("api token donor dashboard (dbk_")
    # Unknown missions are 404 too, with or without a token.
    assert_json_error(await client.get(f"{API}/atlantis/experts", headers=bearer(token)), 404)
    assert_json_error(await client.get(f"{API}/atlantis/experts"), 404)


async def test_another_missions_ids_are_not_found_here(client, token, scene):
    use_session(client, None)
    theirs, ours = scene["mozambique"], scene["sudan"]
    pairs = [(f"/experts/{ours.shared[0].id}", f"/experts/{theirs.shared[0].id}"),
             (f"/requests/{ours.request.id}", f"/requests/{theirs.request.id}"),
             (f"/requests/{ours.request.id}/matches", f"/requests/{theirs.request.id}/matches")]
    for mine, other in pairs:
        assert (await client.get(f"{API}/sudan{mine}", headers=bearer(token))).status_code == 200
        assert_json_error(await client.get(f"{API}/sudan{other}", headers=bearer(token)), 404)
    listed = (await client.get(f"{API}/sudan/experts?limit=100",
                               headers=bearer(token))).json()
    assert not {e["id"] for e in listed["items"]} & {str(p.id) for p in
                                                    theirs.shared + theirs.pseudonymous}


# --- what integrators see ----------------------------------------------------------------

async def test_experts_respect_consent(client, token, scene):
    use_session(client, None)
    ours = scene["sudan"]
    listed = (await client.get(f"{API}/sudan/experts?limit=100", headers=bearer(token))).json()
    by_id = {e["id"]: e for e in listed["items"]}
    assert str(ours.no_consent.id) not in by_id
    assert_json_error(await client.get(f"{API}/sudan/experts/{ours.no_consent.id}",
                                       headers=bearer(token)), 404)
    for profile in ours.shared:
        assert by_id[str(profile.id)]["name"] == profile.full_name
        assert by_id[str(profile.id)]["shares_profile"] is True
    for profile in ours.pseudonymous:
        assert by_id[str(profile.id)]["name"] is None
        assert by_id[str(profile.id)]["shares_profile"] is False
    one = await client.get(f"{API}/sudan/experts/{ours.pseudonymous[0].id}",
                           headers=bearer(token))
    expert = one.json()
    assert expert["name"] is None and expert["number"] == ours.pseudonymous[0].number
    assert expert["sectors"] == ["education"] and expert["country"] == "GB"
    assert expert["languages"] == [{"language": "en", "level": "C2"}]
    assert [s["code"] for s in expert["skills"]] == ["teacher_training"]
    assert expert["years_experience"] == 12 and expert["availability"]
    # Contact details and free text are never published.
    for response in (one, await client.get(f"{API}/sudan/experts?limit=100",
                                           headers=bearer(token))):
        assert "Private Expert" not in response.text
        for hidden in ("+44 7700", "Leeds", "birth", "phone", "email", "Summary", "gender"):
            assert hidden not in response.text


async def test_expert_filters_and_paging(client, token, scene):
    use_session(client, None)
    everyone = (await client.get(f"{API}/sudan/experts?limit=100",
                                 headers=bearer(token))).json()
    assert everyone["total"] == len(everyone["items"]) >= 6
    numbers = [e["number"] for e in everyone["items"]]
    assert numbers == sorted(numbers)
    page = (await client.get(f"{API}/sudan/experts?limit=2&offset=2",
                             headers=bearer(token))).json()
    assert [e["id"] for e in page["items"]] == [e["id"] for e in everyone["items"][2:4]]
    assert (page["limit"], page["offset"], page["total"]) == (2, 2, everyone["total"])
    health = (await client.get(f"{API}/sudan/experts?sector=health&limit=100",
                               headers=bearer(token))).json()
    assert health["items"] and all("health" in e["sectors"] for e in health["items"])
    french = (await client.get(f"{API}/sudan/experts?language=fr",
                               headers=bearer(token))).json()
    assert french == {"items": [], "total": 0, "limit": 20, "offset": 0}
    submitted = (await client.get(f"{API}/sudan/experts?status=submitted",
                                  headers=bearer(token))).json()
    assert all(e["status"] == "submitted" for e in submitted["items"])


async def test_requests_list_and_detail(client, token, scene):
    use_session(client, None)
    ours = scene["sudan"]
    listed = (await client.get(f"{API}/sudan/requests?limit=100", headers=bearer(token))).json()
    ids = [r["id"] for r in listed["items"]]
    assert str(ours.request.id) in ids and str(ours.draft.id) not in ids  # drafts stay out
    assert_json_error(await client.get(f"{API}/sudan/requests/{ours.draft.id}",
                                       headers=bearer(token)), 404)
    detail = (await client.get(f"{API}/sudan/requests/{ours.request.id}",
                               headers=bearer(token))).json()
    assert detail["number"] == ours.request.number and detail["status"] == "open"
    assert detail["institution"]["name"] == "Ministry of Education S"
    assert [s["code"] for s in detail["required_skills"]] == ["teacher_training"]
    assert detail["desired_skills"] == []
    assert detail["languages"] == [{"language": "en", "min_level": "B2"}]
    assert detail["earliest_start"] == ours.request.earliest_start.isoformat()
    assert detail["experts_wanted"] == 1
    opened = (await client.get(f"{API}/sudan/requests?status=open&sector=education",
                               headers=bearer(token))).json()
    assert str(ours.request.id) in [r["id"] for r in opened["items"]]
    assert all(r["status"] == "open" for r in opened["items"])
    arabic = (await client.get(f"{API}/sudan/requests/{ours.request.id}?lang=ar",
                               headers=bearer(token))).json()
    assert arabic["required_skills"][0]["name"] != detail["required_skills"][0]["name"]


# --- bad input ---------------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "/experts?limit=0", "/experts?limit=101", "/experts?limit=abc", "/experts?limit=",
    "/experts?offset=-1", "/experts?offset=99999999999999999999", "/experts?offset=1.5",
    "/experts?status=withdrawn", "/experts?status=%00", "/experts?sector=Water%20Management",
    "/experts?sector=%00", "/experts?language=english", "/experts?lang=xx",
    "/requests?status=draft", "/requests?status=nope", "/requests?limit=-5",
    "/requests?sector=" + "a" * 65,
    "/requests/{request}/matches?limit=0", "/requests/{request}/matches?limit=51",
    "/requests/{request}/matches?limit=%F0%9F%92%A9", "/requests/{request}?lang=%00",
])
async def test_bad_parameters_are_400_with_a_json_body(client, token, scene, query):
    use_session(client, None)
    response = await client.get(API + "/sudan" + query.format(request=scene["sudan"].request.id),
                                headers=bearer(token))
    error = assert_json_error(response, 400)
    assert error["details"] and {"key", "source", "message"} <= set(error["details"][0])


@pytest.mark.parametrize("path", [
    "/experts/not-a-uuid", "/experts/00000000-0000-0000-0000-000000000000",
    "/requests/1%27%20OR%20%271%27=%271", "/requests/00000000-0000-0000-0000-000000000000",
    "/requests/00000000-0000-0000-0000-000000000000/matches", "/nothing-here",
])
async def test_unknown_ids_and_paths_are_404_json(client, token, path):
    use_session(client, None)
    assert_json_error(await client.get(f"{API}/sudan{path}", headers=bearer(token)), 404)


@pytest.mark.parametrize("query", ["?%00=1", "?sector%00=x", "?x=%FF%FE", "?x=%ED%A0%80",
                                   "?" + "&".join(f"k{i}={'v' * 300}" for i in range(40))])
async def test_odd_but_harmless_parameters_are_answered_and_audited(client, token, query):
    use_session(client, None)
    response = await client.get(f"{API}/sudan/requests{query}", headers=bearer(token))
    assert response.status_code == 200, response.text


async def test_the_api_is_read_only(client, token):
    use_session(client, None)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = await client.request(method, f"{API}/sudan/experts", headers=bearer(token))
        assert_json_error(response, 405)


# --- the audit trail ---------------------------------------------------------------------

async def test_every_call_is_audited(client, missions, session_factory, scene):
    sudan = missions["sudan"]
    plain = await api_token(session_factory, sudan, "audited tool")
    use_session(client, None)
    ours = scene["sudan"]
    calls = [("/experts?sector=education&limit=5", "api.experts.list", "", 200),
             (f"/experts/{ours.shared[0].id}", "api.experts.get", str(ours.shared[0].id), 200),
             ("/requests?status=open", "api.requests.list", "", 200),
             (f"/requests/{ours.request.id}", "api.requests.get", str(ours.request.id), 200),
             (f"/requests/{ours.request.id}/matches?limit=3", "api.requests.matches",
              str(ours.request.id), 200),
             ("/experts?limit=0", "api.experts.list", "", 400),
             (f"/experts/{uuid.uuid4()}", "api.experts.get", None, 404)]
    for path, *_rest, status in calls:
        response = await client.get(f"{API}/sudan{path}", headers=bearer(plain))
        assert response.status_code == status, (path, response.text)
    events = [e for e in await audit_events(session_factory, sudan)
              if e.after.get("token_id") and e.actor_label.startswith("api token audited tool")]
    assert [e.action for e in events] == [action for _p, action, _o, _s in calls]
    prefix = plain[:12]
    for event, (path, _action, object_id, _status) in zip(events, calls, strict=True):
        assert event.actor_label == f"api token audited tool ({prefix})"
        assert event.actor_id is None
        assert event.after["path"] == f"{API}/sudan{path.split('?')[0]}"
        if object_id is not None:
            assert event.object_id == object_id
    assert events[0].after["params"] == {"sector": ["education"], "limit": ["5"]}
    with tenant_scope(sudan):
        async with session_factory() as db:
            row = await db.scalar(select(ApiToken).where(ApiToken.prefix == prefix))
    assert row.last_used_at is not None


# --- matches -----------------------------------------------------------------------------

async def workspace_candidates(app, session_factory, tenant, request_id, limit):
    with tenant_scope(tenant):
        async with session_factory() as db:
            request = await db.scalar(select(AssignmentRequest).where(
                AssignmentRequest.tenant_id == tenant.id, AssignmentRequest.id == request_id))
            return await find_candidates(db, tenant, app.state.search, request, MatchFilters(),
                                         "en", limit=limit)


async def test_matches_equal_the_workspace(app, client, missions, session_factory, token,
                                           scene):
    sudan = missions["sudan"]
    ours = scene["sudan"]
    use_session(client, None)
    response = await client.get(f"{API}/sudan/requests/{ours.request.id}/matches?limit=50",
                                headers=bearer(token))
    assert response.status_code == 200
    api = response.json()
    found = await workspace_candidates(app, session_factory, sudan, ours.request.id, 50)
    assert found.from_engine and api["from_engine"] is True
    assert api["total"] == found.total and api["locale"] == "en"
    assert api["request"] == {"id": str(ours.request.id), "number": ours.request.number,
                              "title": ours.request.title, "status": "open"}
    assert [c["profile_id"] for c in api["candidates"]] == \
        [str(c.profile_id) for c in found.candidates]
    assert len(api["candidates"]) >= 4  # the English speakers of both kinds of consent
    assert str(ours.no_consent.id) not in [c["profile_id"] for c in api["candidates"]]
    for rank, (theirs, ws) in enumerate(zip(api["candidates"], found.candidates, strict=True), start=1):
        explained = ws.explanation(found.skill_names)
        assert theirs["rank"] == rank and theirs["number"] == ws.number
        assert theirs["score"] == ws.score.total == explained["score"]
        assert theirs["explanation"]["score"] == explained["score"]
        assert set(theirs["explanation"]["criteria"]) == set(explained["criteria"])
        for name, facts in explained["criteria"].items():
            given = theirs["explanation"]["criteria"][name]
            # its own facts, nothing of another criterion's; the expert's free text (the
            # job title found in the request, skill evidence from the work history) is
            # not quoted
            facts = {key: value for key, value in facts.items()
                     if key not in ("job_title", "job_title_words")}
            assert set(given) == set(facts), name
            if "skills" in facts:
                facts = {**facts, "skills": [
                    {**found, "evidence": found["evidence"] if found["source"] == "skill"
                     else None} for found in facts["skills"]]}
            assert given == json.loads(json.dumps(facts)), name
        assert theirs["misses"] == []
        assert theirs["name"] == (ws.name if ws.shares_profile else None)
    best = api["candidates"][0]["explanation"]["criteria"]
    assert best["required_skills"]["skills"] == [
        {"skill": "Teacher training", "strength": 1.0, "source": "skill", "evidence": None}]
    assert set(best["occupation_fit"]) == {"value", "weight", "computed", "job_title_share",
                                           "job_title_source"}
    assert best["occupation_fit"]["computed"] is True
    assert 0 <= best["occupation_fit"]["job_title_share"] <= 1
    # The workspace page lists the same experts in the same order.
    staff = await make_user(session_factory, sudan, "staff")
    await sign_in(client, sudan, staff.email)
    page = await client.get(f"/sudan/requests/{ours.request.id}/matches")
    section = page.text.split('id="candidates"', 1)[1].split("</section>", 1)[0]
    on_page = list(dict.fromkeys(re.findall(r'href="/sudan/experts/([0-9a-f-]{36})"', section)))
    assert on_page == [c["profile_id"] for c in api["candidates"]]
    use_session(client, None)
    # limit cuts the same list.
    three = (await client.get(f"{API}/sudan/requests/{ours.request.id}/matches?limit=3",
                              headers=bearer(token))).json()
    assert three["candidates"] == api["candidates"][:3]


async def test_portal_match_prints_the_same_list(client, missions, token, scene, portal):
    ours = scene["sudan"]
    use_session(client, None)
    api = (await client.get(f"{API}/sudan/requests/{ours.request.id}/matches?limit=5",
                            headers=bearer(token))).json()
    as_json = await asyncio.to_thread(portal, "match", str(ours.request.id), "--tenant", "sudan",
                                      "--json", "--limit", "5")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == api
    listed = await asyncio.to_thread(portal, "match", f"#{ours.request.number}", "--tenant",
                                     "sudan", "--limit", "5")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0] == f"Request #{ours.request.number} (open): {ours.request.title}"
    ranked = [line for line in lines if re.match(r"^\s*\d+\. score", line)]
    assert [int(re.search(r"expert #(\d+)", line).group(1)) for line in ranked] == \
        [c["number"] for c in api["candidates"]]
    for line, candidate in zip(ranked, api["candidates"], strict=True):
        assert f"score {candidate['score']:>3}" in line
        assert (candidate["name"] or "(name not shared)") in line
    assert "required skills: Teacher training 100%" in listed.stdout
    for candidate in api["candidates"]:
        share = candidate["explanation"]["criteria"]["occupation_fit"]["job_title_share"]
        if share:
            assert f"(job title or studies named in the request: {round(share * 100)}%)" \
                in listed.stdout
    assert "languages: en " in listed.stdout and "availability: free" in listed.stdout
    draft = await asyncio.to_thread(portal, "match", str(ours.draft.id), "--tenant", "sudan")
    assert draft.returncode != 0 and "drafts are never matched" in draft.stderr
    other = await asyncio.to_thread(portal, "match", str(scene["mozambique"].request.id),
                                    "--tenant", "sudan")
    assert other.returncode != 0
    unknown = await asyncio.to_thread(portal, "match", "1", "--tenant", "atlantis")
    assert unknown.returncode != 0 and "atlantis" in unknown.stderr


# --- the schema --------------------------------------------------------------------------

async def test_the_openapi_schema_documents_the_api_only(app, client):
    use_session(client, None)
    response = await client.get(f"{API}/schema")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.") and schema["info"]["title"] == "Diaspora Bridge API"
    assert (await client.get(f"{API}/schema/openapi.json")).json() == schema
    paths = schema["paths"]
    assert set(paths) == {
        "/api/v1/{mission_slug}/experts", "/api/v1/{mission_slug}/experts/{profile_id}",
        "/api/v1/{mission_slug}/requests", "/api/v1/{mission_slug}/requests/{request_id}",
        "/api/v1/{mission_slug}/requests/{request_id}/matches",
        "/api/v1/{mission_slug}/activities", "/api/v1/{mission_slug}/activities/{activity_id}",
        "/api/v1/{mission_slug}/assignments", "/api/v1/{mission_slug}/assignments/{assignment_id}",
        "/api/v1/{mission_slug}/reports/dashboard", "/api/v1/{mission_slug}/reports/supply"}
    assert all(set(item) == {"get"} for item in paths.values())  # no portal route, no POST
    matches = paths["/api/v1/{mission_slug}/requests/{request_id}/matches"]["get"]
    assert matches["responses"]["200"]["content"]["application/json"]["schema"] == \
        {"$ref": "#/components/schemas/Matches"}
    for status in ("400", "401", "404"):
        assert matches["responses"][status]["content"]["application/json"]["schema"] == \
            {"$ref": "#/components/schemas/ErrorBody"}
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
    # the occupation fit's facts: the share of the expert's job title the request names
    # and where it is written (headline or work history), not the title itself (free text
    # stays out of the API)
    occupation = schema["components"]["schemas"]["OccupationFitCriterion"]
    assert set(occupation["properties"]) == {"value", "weight", "computed", "job_title_share",
                                             "job_title_source"}
    assert set(occupation["required"]) == set(occupation["properties"])
    assert {"Expert", "ExpertList", "AssignmentRequest", "RequestList", "Matches", "Candidate",
            "Criteria", "SkillsCriterion", "OccupationFitCriterion", "ExperienceMiss",
            "ErrorBody", "Activity", "ActivityList"} <= set(
        schema["components"]["schemas"])
    # The portal publishes no schema of its own.
    for path in ("/schema", "/schema/openapi.json", "/schema/swagger", "/openapi.json"):
        assert (await client.get(path)).status_code == 404
    assert_json_error(await client.get(f"{API}/schema/swagger"), 404)
    assert_json_error(await client.get(f"{API}/schema/openapi.yaml"), 404)
