"""The authorization matrix: every route of the app x every role, with the expected outcome.

A route missing from ACCESS fails the suite, so every new route states who may use it."""

from __future__ import annotations

import uuid

import pytest
from litestar.routes import HTTPRoute

from app.core.actor import Actor
from app.accounts.services import start_session
from tenants.context import tenant_scope
from tests.accounts_helpers import make_user, use_session
from tests.isolation import ISOLATION_CASES, fill, request

ROLES = ("expert", "institution_focal_point", "partner_user", "staff", "mission_admin")
EVERYONE = "everyone"
SIGNED_IN_MEMBERS = frozenset({*ROLES, "platform_admin"})
ADMINS = frozenset({"mission_admin", "platform_admin"})
HQ = frozenset({"platform_admin"})
EXPERTS = frozenset({"expert"})
STAFF = frozenset({"staff", "mission_admin", "platform_admin"})
FOCAL_POINTS_AND_STAFF = STAFF | {"institution_focal_point"}
M = "/{mission_slug:str}"
# The JSON API answers API tokens only (tests/test_api.py): a browser session, whoever holds
# it, gets 401 with a JSON body there, like an anonymous caller.
TOKEN_ONLY = "token only"
A = "/api/v1/{mission_slug:str}"

ACCESS: dict[tuple[str, str], str | frozenset[str]] = {
    ("GET", "/"): EVERYONE,
    ("POST", "/lang"): EVERYONE,
    ("GET", "/healthz"): EVERYONE,
    ("GET", "/static/{file_path:path}"): EVERYONE,
    ("GET", "/dev/mail"): EVERYONE,  # only exists with PORTAL_DEBUG and no SMTP_URL
    ("GET", M): EVERYONE,
    ("GET", f"{M}/partners"): EVERYONE,
    ("GET", f"{M}/partners/{{partner_id:uuid}}"): EVERYONE,
    ("GET", f"{M}/sign-up"): EVERYONE,
    ("POST", f"{M}/sign-up"): EVERYONE,
    ("GET", f"{M}/verify/{{token:str}}"): EVERYONE,
    ("POST", f"{M}/verify/{{token:str}}"): EVERYONE,
    ("POST", f"{M}/verify"): EVERYONE,
    ("GET", f"{M}/sign-in"): EVERYONE,
    ("POST", f"{M}/sign-in"): EVERYONE,
    ("POST", f"{M}/sign-out"): EVERYONE,
    ("GET", f"{M}/password/forgot"): EVERYONE,
    ("POST", f"{M}/password/forgot"): EVERYONE,
    ("GET", f"{M}/password/reset/{{token:str}}"): EVERYONE,
    ("POST", f"{M}/password/reset/{{token:str}}"): EVERYONE,
    ("GET", f"{M}/invitations/{{token:str}}"): EVERYONE,
    ("POST", f"{M}/invitations/{{token:str}}"): EVERYONE,
    ("GET", f"{M}/account"): SIGNED_IN_MEMBERS,
    ("POST", f"{M}/account/password"): SIGNED_IN_MEMBERS,
    ("GET", f"{M}/admin/members"): ADMINS,
    ("POST", f"{M}/admin/members"): ADMINS,
    ("POST", f"{M}/admin/members/{{membership_id:uuid}}/role"): ADMINS,
    ("POST", f"{M}/admin/members/{{membership_id:uuid}}/revoke"): ADMINS,
    ("POST", f"{M}/admin/invitations/{{invitation_id:uuid}}/revoke"): ADMINS,
    ("GET", f"{M}/admin/audit"): ADMINS,
    ("GET", f"{M}/sso/{{provider_id:uuid}}/start"): EVERYONE,
    ("GET", f"{M}/sso/{{provider_id:uuid}}/callback"): EVERYONE,
    ("GET", f"{M}/admin/sso"): ADMINS,
    ("POST", f"{M}/admin/sso"): ADMINS,
    ("GET", f"{M}/admin/sso/{{provider_id:uuid}}"): ADMINS,
    ("POST", f"{M}/admin/sso/{{provider_id:uuid}}"): ADMINS,
    ("GET", f"{M}/me"): EXPERTS,
    ("GET", f"{M}/me/profile/{{step:str}}"): EXPERTS,
    ("POST", f"{M}/me/profile/{{step:str}}"): EXPERTS,
    ("POST", f"{M}/me/profile/action/{{action:str}}"): EXPERTS,
    ("GET", f"{M}/me/skills/suggest"): EXPERTS,
    ("GET", f"{M}/me/views"): EXPERTS,
    ("GET", f"{M}/me/data"): EXPERTS,
    ("GET", f"{M}/me/delete"): EXPERTS,
    ("POST", f"{M}/me/delete"): EXPERTS,
    ("GET", f"{M}/experts"): STAFF,
    ("GET", f"{M}/experts/export.csv"): STAFF,
    ("GET", f"{M}/experts/{{profile_id:uuid}}"): STAFF,
    ("POST", f"{M}/experts/{{profile_id:uuid}}/action"): STAFF,
    ("POST", f"{M}/experts/{{profile_id:uuid}}/notes"): STAFF,
    ("GET", f"{M}/skills"): STAFF,
    ("POST", f"{M}/skills"): STAFF,
    ("POST", f"{M}/skills/{{skill_id:uuid}}/merge"): STAFF,
    ("POST", f"{M}/skills/{{skill_id:uuid}}/promote"): STAFF,
    ("GET", f"{M}/me/profile/cv"): frozenset({"expert"}),
    ("POST", f"{M}/me/profile/cv"): frozenset({"expert"}),
    ("GET", f"{M}/me/profile/cv/file"): frozenset({"expert"}),
    ("GET", f"{M}/experts/{{profile_id:uuid}}/cv"): frozenset({"staff", *ADMINS}),
    ("GET", f"{M}/institutions/apply"): EVERYONE,
    ("POST", f"{M}/institutions/apply"): EVERYONE,
    ("GET", f"{M}/institutions"): STAFF,
    ("GET", f"{M}/institutions/new"): STAFF,
    ("POST", f"{M}/institutions/new"): STAFF,
    ("GET", f"{M}/institutions/{{institution_id:uuid}}"): STAFF,
    ("GET", f"{M}/institutions/{{institution_id:uuid}}/edit"): STAFF,
    ("POST", f"{M}/institutions/{{institution_id:uuid}}/edit"): STAFF,
    ("POST", f"{M}/institutions/{{institution_id:uuid}}/action"): STAFF,
    ("POST", f"{M}/institutions/{{institution_id:uuid}}/focal-points"): STAFF,
    ("GET", f"{M}/institution"): FOCAL_POINTS_AND_STAFF,
    ("GET", f"{M}/requests"): STAFF,
    ("GET", f"{M}/requests/export.csv"): STAFF,
    ("GET", f"{M}/requests/new"): FOCAL_POINTS_AND_STAFF,
    ("POST", f"{M}/requests/new"): FOCAL_POINTS_AND_STAFF,
    # A focal point of another institution gets 404 here (tests/test_assignment_requests.py).
    ("GET", f"{M}/requests/{{request_id:uuid}}"): FOCAL_POINTS_AND_STAFF,
    ("GET", f"{M}/requests/{{request_id:uuid}}/edit/{{step:str}}"): FOCAL_POINTS_AND_STAFF,
    ("POST", f"{M}/requests/{{request_id:uuid}}/edit/{{step:str}}"): FOCAL_POINTS_AND_STAFF,
    ("GET", f"{M}/requests/{{request_id:uuid}}/document"): FOCAL_POINTS_AND_STAFF,
    ("POST", f"{M}/requests/{{request_id:uuid}}/document"): FOCAL_POINTS_AND_STAFF,
    ("GET", f"{M}/requests/{{request_id:uuid}}/document/file"): FOCAL_POINTS_AND_STAFF,
    ("POST", f"{M}/requests/{{request_id:uuid}}/action"): FOCAL_POINTS_AND_STAFF,
    # The shortlist as the institution sees it (another institution's focal point: 404,
    # tests/test_shortlist_pages.py); the choice is the institution's alone (staff: 403).
    ("GET", f"{M}/requests/{{request_id:uuid}}/shortlist"): FOCAL_POINTS_AND_STAFF,
    ("POST", f"{M}/requests/{{request_id:uuid}}/selection/{{entry_id:uuid}}"):
        frozenset({"institution_focal_point"}),
    # One's own invitations only: another expert's is 404.
    ("GET", f"{M}/me/invitations"): EXPERTS,
    ("GET", f"{M}/me/invitations/{{entry_id:uuid}}"): EXPERTS,
    ("POST", f"{M}/me/invitations/{{entry_id:uuid}}"): EXPERTS,
    ("GET", f"{M}/me/invitations/{{entry_id:uuid}}/terms"): EXPERTS,
    ("GET", f"{M}/me/requests"): EXPERTS,
    ("POST", f"{M}/me/requests/{{request_id:uuid}}/interest"): EXPERTS,
    ("GET", f"{M}/requests/{{request_id:uuid}}/matches"): STAFF,
    ("POST", f"{M}/requests/{{request_id:uuid}}/shortlist"): STAFF,
    ("POST", f"{M}/requests/{{request_id:uuid}}/shortlist/share"): STAFF,
    ("POST", f"{M}/requests/{{request_id:uuid}}/shortlist/{{entry_id:uuid}}/{{action:str}}"): STAFF,
    ("GET", f"{M}/search"): STAFF,
    ("POST", f"{M}/search/saved"): STAFF,
    # One's own saved searches only: another person's is 404 (tests/test_registry_search.py).
    ("POST", f"{M}/search/saved/{{saved_id:uuid}}/delete"): STAFF,
    ("GET", f"{M}/imports"): STAFF,
    ("POST", f"{M}/imports"): STAFF,
    ("GET", f"{M}/imports/{{batch_id:uuid}}"): STAFF,
    ("GET", f"{M}/imports/{{batch_id:uuid}}/progress"): STAFF,
    ("POST", f"{M}/imports/{{batch_id:uuid}}/run"): STAFF,
    ("GET", f"{M}/imports/{{batch_id:uuid}}/rejected.csv"): STAFF,
    ("GET", f"{M}/imports/template/experts.csv"): STAFF,
    ("GET", f"{M}/imports/template/experts.xlsx"): STAFF,
    ("GET", f"{M}/imports/template/requests.csv"): STAFF,
    ("GET", f"{M}/imports/template/requests.xlsx"): STAFF,
    ("GET", f"{M}/admin/matching"): ADMINS,
    ("POST", f"{M}/admin/matching"): ADMINS,
    ("GET", f"{M}/admin/api-tokens"): ADMINS,
    ("POST", f"{M}/admin/api-tokens"): ADMINS,
    ("POST", f"{M}/admin/api-tokens/{{token_id:uuid}}/revoke"): ADMINS,
    ("GET", f"{M}/admin/jobs"): ADMINS,
    ("POST", f"{M}/admin/jobs/{{job_id:int}}/retry"): ADMINS,
    ("GET", f"{A}/experts"): TOKEN_ONLY,
    ("GET", f"{A}/experts/{{profile_id:uuid}}"): TOKEN_ONLY,
    ("GET", f"{A}/requests"): TOKEN_ONLY,
    ("GET", f"{A}/requests/{{request_id:uuid}}"): TOKEN_ONLY,
    ("GET", f"{A}/requests/{{request_id:uuid}}/matches"): TOKEN_ONLY,
    # The API's OpenAPI schema is public (JSON; unknown paths under it are 404).
    ("GET", "/api/v1/schema"): EVERYONE,
    ("GET", "/api/v1/schema/openapi.json"): EVERYONE,
    ("GET", "/api/v1/schema/{path:str}"): EVERYONE,
    ("GET", "/admin"): HQ,
    ("POST", "/admin/missions"): HQ,
    ("POST", "/admin/missions/{slug:str}/status"): HQ,
    ("POST", "/admin/missions/{slug:str}/mission-admins"): HQ,
}


def app_routes(app) -> set[tuple[str, str]]:
    return {(method, route.path) for route in app.routes if isinstance(route, HTTPRoute)
            for method in route.methods - {"HEAD", "OPTIONS"}}


def test_every_route_has_a_row(app):
    missing = sorted(app_routes(app) - set(ACCESS))
    assert not missing, f"add these routes to ACCESS in tests/test_authorization.py: {missing}"
    stale = sorted(set(ACCESS) - app_routes(app))
    assert not stale, f"ACCESS names routes that no longer exist: {stale}"


@pytest.fixture(scope="module")
async def people(session_factory, missions):
    """One user per role in Sudan (a platform admin with no membership at all)."""
    users = {role: await make_user(session_factory, missions["sudan"], role) for role in ROLES}
    users["platform_admin"] = await make_user(session_factory, None, None, platform_admin=True)
    return users


async def _session_token(session_factory, tenant, user, settings) -> str:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await start_session(db, tenant, user, Actor(ip="127.0.0.1"), settings, "tests")


def _params(path: str) -> dict:
    return {"mission_slug": "sudan", "slug": "sudan", "file_path": "css/portal.css",
            "step": "personal" if "/me/" in path else "terms", "action": "submit"}


@pytest.mark.parametrize("who", ["anonymous", *ROLES, "platform_admin"])
async def test_matrix(app, client, missions, session_factory, settings, people, who):
    sudan = missions["sudan"]
    failures = []
    for (method, path), allowed in sorted(ACCESS.items()):
        params = _params(path)
        if path in ISOLATION_CASES:
            case = ISOLATION_CASES[path]
            async with session_factory() as db:
                params[case.param] = await case.factory(db, sudan)
        token = None if who == "anonymous" else await _session_token(
            session_factory, sudan, people[who], settings)
        use_session(client, token)
        url = fill(path, **params)
        if allowed == TOKEN_ONLY:
            url = fill(url, profile_id=uuid.uuid4(), request_id=uuid.uuid4())
        response = await request(client, method, url)
        if allowed == TOKEN_ONLY:
            if response.status_code != 401 or \
                    not response.headers.get("content-type", "").startswith("application/json"):
                failures.append((method, path, "expected 401 JSON", response.status_code))
            continue
        denied_to_anonymous = response.status_code == 303 and "/sign-in?next=" in \
            response.headers.get("location", "")
        is_allowed = allowed == EVERYONE or who in allowed
        if is_allowed and (response.status_code in (401, 403) or denied_to_anonymous
                           or response.status_code >= 500):
            failures.append((method, path, "expected access", response.status_code))
        if not is_allowed:
            expected_ok = denied_to_anonymous if who == "anonymous" else response.status_code == 403
            if not expected_ok:
                failures.append((method, path, "expected refusal", response.status_code))
    use_session(client, None)
    assert not failures, failures
