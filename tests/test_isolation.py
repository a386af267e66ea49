"""Cross-tenant sweep over the app's route table: another mission's ids are never found."""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest
from litestar.routes import HTTPRoute

from app.accounts.models import Invitation
from app.accounts.sso_models import IdentityProvider
from app.api.tokens import create_token
from app.assignment_requests.models import AssignmentRequest
from app.core.actor import Actor
from app.core.clock import now
from app.core.roles import permissions_for
from app.core.tokens import new_token
from app.experts.models import Skill
from app.matching.models import SavedSearch, ShortlistEntry
from tenants.context import tenant_scope
from tests.accounts_helpers import add_membership, make_user, sign_in, use_session
from tests.documents_helpers import a_cv_for
from tests.expert_helpers import complete_profile
from tests.import_helpers import a_checked_batch, csv_bytes
from tests.isolation import (
    ISOLATION_CASES,
    a_partner_agency,
    assert_tenant_isolated,
    fill,
    request,
)
from tests.request_helpers import make_institution, make_request
from tests.test_authorization import ACCESS, EVERYONE, ROLES
from tests.training_helpers import a_training

MISSION_PREFIX = "/{mission_slug:str}"


def mission_routes(app) -> list[str]:
    return sorted(r.path for r in app.routes
                  if isinstance(r, HTTPRoute) and r.path.startswith(MISSION_PREFIX))


# Path parameters that name a step or an action of a fixed list, not a mission's object.
NOT_OBJECT_IDS = {"mission_slug", "step", "action"}


def id_params(path: str) -> list[str]:
    return [p for p in re.findall(r"\{(\w+):\w+\}", path) if p not in NOT_OBJECT_IDS]


def test_every_mission_route_with_an_id_has_an_isolation_case(app):
    missing = [p for p in mission_routes(app) if id_params(p) and p not in ISOLATION_CASES]
    assert not missing, f"add these routes to tests/isolation.py ISOLATION_CASES: {missing}"
    stale = [p for p in ISOLATION_CASES if p not in mission_routes(app)]
    assert not stale, f"ISOLATION_CASES names routes that no longer exist: {stale}"


async def _act_as(client, missions, session_factory, role):
    """One person holding `role` in both missions (or nobody, for None)."""
    use_session(client, None)
    if role is None:
        return
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    user = await make_user(session_factory, sudan, role)
    await add_membership(session_factory, mozambique, user, role)
    assert (await sign_in(client, sudan, user.email)).status_code == 303


async def test_other_missions_objects_give_404(app, client, missions, session_factory):
    """Every method of every route with an id: the mission's own object answers, the other
    mission's object is not found."""
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    methods = {r.path: sorted(r.methods - {"HEAD", "OPTIONS"}) for r in app.routes
               if isinstance(r, HTTPRoute)}
    for path, case in ISOLATION_CASES.items():
        for method in methods[path]:
            probe = replace(case, method=method)
            await _act_as(client, missions, session_factory, case.role)
            async with session_factory() as db:
                sudan_obj = await case.factory(db, sudan)
                mozambique_obj = await case.factory(db, mozambique)
            await assert_tenant_isolated(client, path, probe, sudan, sudan_obj, mozambique_obj)
            async with session_factory() as db:  # single-use links: fresh ones the other way
                sudan_obj = await case.factory(db, sudan)
                mozambique_obj = await case.factory(db, mozambique)
            await assert_tenant_isolated(client, path, probe, mozambique, mozambique_obj,
                                         sudan_obj)
    use_session(client, None)


async def test_every_mission_route_is_404_for_an_unknown_mission(app, client, missions,
                                                                  session_factory):
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(MISSION_PREFIX):
            continue
        params = {}
        if route.path in ISOLATION_CASES:
            case = ISOLATION_CASES[route.path]
            async with session_factory() as db:
                params[case.param] = await case.factory(db, missions["sudan"])
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            response = await request(client, method, fill(route.path, mission_slug="atlantis",
                                                          **params))
            assert response.status_code == 404, (method, route.path, response.status_code)


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000",
                                    "1%27%20OR%20%271%27=%271"])
async def test_malformed_or_unknown_ids_are_404(client, missions, bad_id):
    response = await client.get(f"/sudan/partners/{bad_id}")
    assert response.status_code == 404


# --- lists, exports and admin pages -------------------------------------------------------
#
# Pages without an id in their path list a mission's objects: they must list this mission's
# only. Mozambique gets objects with a recognisable word in their names; Sudan's pages, seen
# by a person who holds the same role in both missions, must never show that word nor any of
# those objects' ids.

CANARY = "Canarymoz"


@dataclass
class Canaries:
    names: list[str]
    ids: list[str]
    institution_id: uuid.UUID      # Mozambique's canary institution
    request_id: uuid.UUID          # its open request
    home_institution_id: uuid.UUID  # a Sudanese institution for the focal point
    home_agency_id: uuid.UUID      # a Sudanese partner agency for the partner user
    agency_id: uuid.UUID           # Mozambique's partner agency with the canary training
    objects: dict[str, uuid.UUID]  # Mozambique's canary objects by kind


@pytest.fixture(scope="module")
async def canaries(missions, session_factory, index_now) -> Canaries:
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    admin = Actor(email="admin@example.org", name="Mission Admin", role="mission_admin",
                  permissions=permissions_for("mission_admin", False))
    async with session_factory() as db:
        home = await make_institution(db, sudan, name="Sweep Home Authority")
        institution = await make_institution(db, mozambique, name=f"{CANARY} Water Board")
        request_row = await make_request(db, mozambique, institution.id, status="open")
    with tenant_scope(mozambique):
        async with session_factory() as db:
            row = await db.get(AssignmentRequest, request_row.id)
            row.title, row.opened_at = f"{CANARY} pipeline survey", now()
            await db.commit()
    _u, expert = await complete_profile(
        session_factory, mozambique, status="verified", name=f"Zanele {CANARY}",
        consents=("matching", "share_with_institutions"))
    member = await make_user(session_factory, mozambique, "staff",
                             email=f"{CANARY.lower()}.member@example.org",
                             name=f"{CANARY} Member")
    with tenant_scope(mozambique):
        async with session_factory() as db:
            tag = Skill(tenant_id=mozambique.id, code=f"free:{CANARY.lower()}",
                        names={"en": f"{CANARY} tag", "pt": f"{CANARY} tag"}, synonyms=[],
                        source="free")
            invitation = Invitation(tenant_id=mozambique.id, role="staff",
                                    email=f"{CANARY.lower()}.invitee@example.org",
                                    token_hash=new_token()[1],
                                    expires_at=now() + timedelta(days=7))
            provider = IdentityProvider(
                tenant_id=mozambique.id, name=f"{CANARY} SSO",
                issuer="https://login.example.org", client_id="portal",
                client_secret_encrypted="(not used)", allowed_domains=["example.org"],
                default_role="staff", existing_members_only=False, enabled=False)
            vocabulary = Skill(tenant_id=mozambique.id, code=f"zz_{CANARY.lower()}_hydrology",
                               names={"en": f"{CANARY} hydrology",
                                      "pt": f"Hidrologia {CANARY}"},
                               synonyms=[], source="staff")
            db.add_all([tag, vocabulary, invitation, provider])
            await db.commit()
            token, _plain = await create_token(db, mozambique, admin, f"{CANARY} dashboard")
            batch = await a_checked_batch(
                db, mozambique, f"{CANARY.lower()}-roster.csv",
                csv_bytes("external_ref,full_name,email", f"CM-1,Rowan {CANARY},"), actor=admin)
    async with session_factory() as db:
        home_agency_id = await a_partner_agency(db, sudan)
        agency_id = await a_partner_agency(db, mozambique)
        training_id = await a_training(db, mozambique, agency_id, title=f"{CANARY} cascade")
    await index_now()  # the registry search would show Mozambique's expert if it leaked
    ids = [mozambique.id, institution.id, request_row.id, expert.id,
           member.id, tag.id, vocabulary.id, invitation.id, provider.id, token.id, batch.id,
           training_id]
    return Canaries(names=[CANARY], ids=[str(i) for i in ids], institution_id=institution.id,
                    request_id=request_row.id, home_institution_id=home.id,
                    home_agency_id=home_agency_id, agency_id=agency_id,
                    objects={"expert": expert.id, "institution": institution.id,
                             "request": request_row.id, "batch": batch.id,
                             "provider": provider.id, "skill": tag.id, "token": token.id,
                             "invitation": invitation.id})


async def _both_missions_actor(client, missions, session_factory, canaries: Canaries,
                               role: str):
    """Sign in to Sudan as a person with `role` in Sudan and in Mozambique, with their own
    objects in Mozambique that carry the canary word (returned by kind)."""
    own_objects = {}
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    use_session(client, None)
    if role == "platform_admin":
        user = await make_user(session_factory, None, None, platform_admin=True)
    else:
        focal, partner = role == "institution_focal_point", role == "partner_user"
        user = await make_user(session_factory, sudan, role,
                               host_institution_id=canaries.home_institution_id if focal else None,
                               partner_agency_id=canaries.home_agency_id if partner else None)
        # A partner user of the agency that recorded Mozambique's canary training.
        await add_membership(session_factory, mozambique, user, role,
                             host_institution_id=canaries.institution_id if focal else None,
                             partner_agency_id=canaries.agency_id if partner else None)
    async with session_factory() as db:
        if role == "expert":
            await a_cv_for(db, sudan, user)
            own = await a_cv_for(db, mozambique, user)
            with tenant_scope(mozambique):
                own.full_name, own.status = f"Self {CANARY}", "verified"
                entry = ShortlistEntry(tenant_id=mozambique.id, request_id=canaries.request_id,
                                       profile_id=own.id, status="invited", explanation={},
                                       invited_at=now())
                db.add(entry)
                await db.commit()
                own_objects["entry"] = entry.id
        if role in ("staff", "mission_admin"):
            with tenant_scope(mozambique):
                saved = SavedSearch(tenant_id=mozambique.id, user_id=user.id,
                                    name=f"{CANARY} saved", query=f"q={CANARY}")
                db.add(saved)
                await db.commit()
                own_objects["saved"] = saved.id
    assert (await sign_in(client, sudan, user.email)).status_code == 303
    return own_objects


def readable(response) -> str:
    """The response as text; a zip (the data export, Excel templates) by its members."""
    if response.content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace")
                             for name in archive.namelist())
    return response.text


def list_pages(app) -> list[str]:
    """Every GET page of a mission with no object in its path."""
    return sorted({r.path for r in app.routes if isinstance(r, HTTPRoute)
                   and r.path.startswith(MISSION_PREFIX) and "GET" in r.methods
                   and not re.sub(r"^/\{mission_slug:str\}", "", r.path).count("{")})


def filtered_pages(canaries: Canaries) -> list[str]:
    """List pages asked for the other mission's objects, by another word of their names or
    by id (pages echo what was asked for, and the audit trail keeps the filters of exports:
    what is asked for here is never a word the sweep looks for)."""
    return ["/sudan/experts?q=Zanele", "/sudan/experts/export.csv?q=Zanele",
            "/sudan/institutions?q=Board",
            f"/sudan/requests?institution={canaries.institution_id}",
            f"/sudan/requests/export.csv?institution={canaries.institution_id}",
            f"/sudan/requests/new?institution={canaries.institution_id}",
            "/sudan/search?q=Zanele", "/sudan/search?q=pipeline%20survey",
            # a prefix of the canary word: a leak shows the whole word, the echo does not
            "/sudan/experts?q=Canary", "/sudan/institutions?q=Canary", "/sudan/search?q=Canary",
            "/sudan/me/skills/suggest?new_skills=canary"]


@pytest.mark.parametrize("role", [*ROLES, "platform_admin"])
async def test_lists_exports_and_admin_pages_show_nothing_of_another_mission(
        app, client, missions, session_factory, canaries, role):
    await _both_missions_actor(client, missions, session_factory, canaries, role)
    urls = [fill(path, mission_slug="sudan") for path in list_pages(app)
            if ACCESS[("GET", path)] == EVERYONE or role in ACCESS[("GET", path)]]
    urls += [url for url in filtered_pages(canaries)
             if role in ACCESS[("GET", MISSION_PREFIX + url.split("?")[0][len("/sudan"):])]]
    leaks, unreached = [], []
    for url in urls:
        response = await client.get(url, follow_redirects=False)
        if response.status_code in (301, 302, 303, 307, 308):
            if "/sign-in" in response.headers["location"]:
                unreached.append((url, response.status_code, response.headers["location"]))
            continue  # the page it leads to is on the list too
        if response.status_code != 200:
            unreached.append((url, response.status_code))
            continue
        body = readable(response)
        asked = {str(canaries.institution_id)}  # in filters, so echoed and audited
        found = [word for word in [*canaries.names, *canaries.ids]
                 if word not in asked and word.lower() in body.lower()]
        if found:
            leaks.append((url, found))
    use_session(client, None)
    assert not unreached, unreached
    assert not leaks, leaks
    assert len(urls) >= 5


async def test_the_canaries_show_in_their_own_mission(client, missions, session_factory,
                                                      canaries):
    """The sweep above is only worth something if these pages do list the canaries where
    they belong."""
    mozambique = missions["mozambique"]
    admin = await make_user(session_factory, mozambique, "mission_admin")
    assert (await sign_in(client, mozambique, admin.email)).status_code == 303
    for url in ["/mozambique/experts", "/mozambique/experts/export.csv",
                "/mozambique/institutions", "/mozambique/requests",
                "/mozambique/requests/export.csv", "/mozambique/search?q=Zanele",
                "/mozambique/admin/members", "/mozambique/admin/sso",
                "/mozambique/admin/api-tokens", "/mozambique/skills", "/mozambique/imports"]:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert CANARY.lower() in readable(response).lower(), url
    expert = await make_user(session_factory, mozambique, "expert")
    assert (await sign_in(client, mozambique, expert.email)).status_code == 303
    suggested = await client.get("/mozambique/me/skills/suggest?new_skills=canary")
    assert CANARY.lower() in suggested.text.lower()
    use_session(client, None)


# Pages of one object, and the kind of canary object (or the actor's own in Mozambique) to
# ask Sudan's address for.
OBJECT_PAGES = {
    ("GET", f"{MISSION_PREFIX}/experts/{{profile_id:uuid}}"): "expert",
    ("GET", f"{MISSION_PREFIX}/experts/{{profile_id:uuid}}/cv"): "expert",
    ("POST", f"{MISSION_PREFIX}/experts/{{profile_id:uuid}}/notes"): "expert",
    ("GET", f"{MISSION_PREFIX}/institutions/{{institution_id:uuid}}"): "institution",
    ("GET", f"{MISSION_PREFIX}/institutions/{{institution_id:uuid}}/edit"): "institution",
    ("GET", f"{MISSION_PREFIX}/requests/{{request_id:uuid}}"): "request",
    ("GET", f"{MISSION_PREFIX}/requests/{{request_id:uuid}}/matches"): "request",
    ("GET", f"{MISSION_PREFIX}/requests/{{request_id:uuid}}/shortlist"): "request",
    ("GET", f"{MISSION_PREFIX}/requests/{{request_id:uuid}}/document"): "request",
    ("POST", f"{MISSION_PREFIX}/me/requests/{{request_id:uuid}}/interest"): "request",
    ("GET", f"{MISSION_PREFIX}/imports/{{batch_id:uuid}}"): "batch",
    ("GET", f"{MISSION_PREFIX}/imports/{{batch_id:uuid}}/rejected.csv"): "batch",
    ("GET", f"{MISSION_PREFIX}/admin/sso/{{provider_id:uuid}}"): "provider",
    ("POST", f"{MISSION_PREFIX}/skills/{{skill_id:uuid}}/promote"): "skill",
    ("POST", f"{MISSION_PREFIX}/admin/api-tokens/{{token_id:uuid}}/revoke"): "token",
    ("POST", f"{MISSION_PREFIX}/admin/invitations/{{invitation_id:uuid}}/revoke"): "invitation",
    ("GET", f"{MISSION_PREFIX}/me/invitations/{{entry_id:uuid}}"): "entry",
    ("POST", f"{MISSION_PREFIX}/search/saved/{{saved_id:uuid}}/delete"): "saved",
}


@pytest.mark.parametrize("role", [*ROLES, "platform_admin"])
async def test_the_other_missions_canaries_are_not_found_here(
        app, client, missions, session_factory, canaries, role):
    """Mozambique's objects (and the actor's own there) at Sudan's addresses: 404 for every
    role that may use the page."""
    own = await _both_missions_actor(client, missions, session_factory, canaries, role)
    objects = {**canaries.objects, **own}
    asked = []
    for (method, path), kind in OBJECT_PAGES.items():
        allowed = ACCESS[(method, path)]
        if not (allowed == EVERYONE or role in allowed) or kind not in objects:
            continue
        param = re.findall(r"\{(\w+):uuid\}", path)[0]
        response = await request(client, method, fill(path, mission_slug="sudan",
                                                      **{param: objects[kind]}))
        asked.append((method, path, response.status_code))
    use_session(client, None)
    assert all(status == 404 for *_route, status in asked), asked
    # Partner users and donor viewers have no page of one object here (a donor's project
    # report names its project in the query: another mission's is 404 to them,
    # tests/test_donor_viewers.py).
    assert asked or role in ("partner_user", "donor_viewer")
