"""Issue 20: each person lands where their work is. Signed in, the mission home lists what
waits for them, one block per role, with a count on each item and a link to the page that
resolves it. The counts are checked against a fixed set of records made here (in
Mozambique, which no other fixture of this module writes), counted by hand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.assignments.models import Assignment, FinalReport
from app.core.clock import now
from app.matching.models import ShortlistEntry
from tenants.context import tenant_scope
from tests.accounts_helpers import as_user, make_user, use_session
from tests.assignment_helpers import an_assignment
from tests.conftest import csrf_token
from tests.expert_helpers import complete_profile
from tests.html import parse
from tests.isolation import a_failed_job
from tests.request_helpers import _profile_of, _set_request, make_institution, make_request
from tests.training_helpers import a_new_agency, a_training

pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture(scope="module")
async def scene(session_factory, missions):
    """Mozambique's records, with what each role should be shown (counted by hand)."""
    moz = missions["mozambique"]
    async with session_factory() as db:
        ours = await make_institution(db, moz, name="Ministry of Public Works")
        await make_institution(db, moz, status="pending", name="Applying University")
        await make_request(db, moz, ours.id, status="draft")
        sent_back = await make_request(db, moz, ours.id, status="draft")
        await _set_request(db, moz, sent_back.id, status_reason="Add the dates, please.")
        await make_request(db, moz, ours.id, status="submitted")
        await make_request(db, moz, ours.id, status="open")       # no shortlist yet
        with_entry = await make_request(db, moz, ours.id, status="open")
        shortlisting = await make_request(db, moz, ours.id, status="shortlisting")
        await _set_request(db, moz, shortlisting.id, shortlist_shared_at=now())
        in_progress = await an_assignment(db, moz, ours.id, status="in_progress",
                                          of_signed_in_expert=False)
        starting = await an_assignment(db, moz, None, status="contracted",
                                       of_signed_in_expert=False)
        later = await an_assignment(db, moz, None, status="planned", of_signed_in_expert=False)
        listed = await _profile_of(db, moz, None)
        agency, other_agency = await a_new_agency(db, moz), await a_new_agency(db, moz)
        for status in ("returned", "returned", "planned", "approved"):
            await a_training(db, moz, agency, status=status)
        await a_training(db, moz, other_agency, status="returned")
        await a_failed_job(db, moz)
    expert_user, profile = await complete_profile(session_factory, moz, status="verified",
                                                  sector="water_management")
    for _ in range(2):
        await complete_profile(session_factory, moz, status="submitted")
    today = date.today()
    with tenant_scope(moz):
        async with session_factory() as db:
            db.add_all([
                ShortlistEntry(tenant_id=moz.id, request_id=with_entry.id, profile_id=listed.id,
                               status="proposed", explanation={}),
                # the expert's invitation, unanswered for 8 days; another one only for 2
                ShortlistEntry(tenant_id=moz.id, request_id=shortlisting.id,
                               profile_id=profile.id, status="invited", explanation={},
                               invited_at=now() - timedelta(days=8)),
                ShortlistEntry(tenant_id=moz.id, request_id=shortlisting.id,
                               profile_id=listed.id, status="invited", explanation={},
                               invited_at=now() - timedelta(days=2)),
                FinalReport(tenant_id=moz.id, assignment_id=in_progress, status="submitted")])
            for assignment_id, start in ((starting, today + timedelta(days=5)),
                                         (later, today + timedelta(days=40))):
                assignment = await db.get(Assignment, assignment_id)
                assert assignment is not None
                assignment.planned_start = start
            await db.commit()
    people = {
        "officer": await make_user(session_factory, moz, "staff"),
        "admin": await make_user(session_factory, moz, "mission_admin"),
        "focal": await make_user(session_factory, moz, "institution_focal_point",
                                 host_institution_id=ours.id),
        "partner": await make_user(session_factory, moz, "partner_user",
                                   partner_agency_id=agency),
        "expert": expert_user,
    }
    return moz, people


async def _home(client, scene, who: str):
    moz, people = scene
    await as_user(client, moz, people[who])
    r = await client.get(f"/{moz.slug}/")
    use_session(client, None)
    assert r.status_code == 200
    return parse(r.text)


def _items(tree, block: str) -> dict[str, tuple[int, str]]:
    """item key -> (count, link) of one block of the home page."""
    section = tree.css_first(f"#work-{block}")
    assert section is not None, f"no block {block}"
    items = {}
    for node in section.css("li"):
        key = (node.attributes.get("id") or "").removeprefix(f"work-{block}-")
        link = node.css_first("a")
        count = node.css_first(".count")
        assert link is not None and count is not None
        items[key] = (int(count.text()), link.attributes.get("href") or "")
    return items


def _counts(items: dict[str, tuple[int, str]]) -> dict[str, int]:
    return {key: count for key, (count, _link) in items.items()}


async def _links_resolve(client, scene, who: str, items) -> None:
    moz, people = scene
    await as_user(client, moz, people[who])
    try:
        for key, (_count, link) in items.items():
            r = await client.get(link)
            assert r.status_code == 200, f"{key}: {link} gave {r.status_code}"
    finally:
        use_session(client, None)


async def test_the_programme_officer_sees_the_mission_work(client, scene):
    tree = await _home(client, scene, "officer")
    items = _items(tree, "officer")
    assert _counts(items) == {"to_vet": 2, "to_open": 1, "no_shortlist": 1, "unanswered": 1,
                              "starting": 1, "reports": 1}
    assert tree.css_first("#work-admin") is None and tree.css_first("#work-expert") is None
    await _links_resolve(client, scene, "officer", items)


async def test_the_mission_admin_sees_administration_and_the_programme_work(client, scene):
    tree = await _home(client, scene, "admin")
    items = _items(tree, "admin")
    # officer, admin, focal point, partner user and three experts hold a role
    assert _counts(items) == {"applications": 1, "failed": 1, "members": 7}
    assert _counts(_items(tree, "officer"))["to_vet"] == 2
    await _links_resolve(client, scene, "admin", items)


async def test_the_focal_point_sees_their_institution_only(client, scene):
    tree = await _home(client, scene, "focal")
    items = _items(tree, "focal_point")
    assert _counts(items) == {"sent_back": 1, "drafts": 1, "shortlists": 1, "on_assignment": 1}
    assert tree.css_first("#work-officer") is None
    await _links_resolve(client, scene, "focal", items)


async def test_the_partner_user_sees_their_agency_activities_returned_first(client, scene):
    tree = await _home(client, scene, "partner")
    items = _items(tree, "partner")
    assert list(items)[0] == "returned"
    assert _counts(items) == {"returned": 2, "planned": 1, "held": 0, "submitted": 0,
                              "approved": 1}
    await _links_resolve(client, scene, "partner", items)


async def test_the_expert_sees_their_profile_invitations_and_fitting_requests(client, scene):
    tree = await _home(client, scene, "expert")
    items = _items(tree, "expert")
    # education and work missing; invited once; two open requests and one shortlisting in
    # water management
    assert _counts(items) == {"missing": 1, "invitations": 1, "requests": 3}
    block = tree.css_first("#work-expert")
    assert block is not None and "Education and work" in block.text()
    assert "Verified" in block.text()
    await _links_resolve(client, scene, "expert", items)


async def test_a_visitor_sees_no_work_block(client, scene):
    moz, _people = scene
    tree = parse((await client.get(f"/{moz.slug}/")).text)
    assert tree.css_first(".work") is None


# --- HQ's pages: whose they are, and the way out --------------------------------------------

async def test_the_platform_pages_name_hq_and_sign_out(client, missions, session_factory):
    hq = await make_user(session_factory, None, None, platform_admin=True, name="Amina HQ")
    await as_user(client, missions["sudan"], hq)
    tree = parse((await client.get("/admin")).text)
    header = tree.css_first(".site-header .account-links")
    assert header is not None and "Amina HQ" in header.text()
    form = header.css_first("form")
    assert form is not None and form.attributes.get("action") == "/admin/sign-out"
    token = await csrf_token(client, "/admin")
    r = await client.post("/admin/sign-out", data={"_csrf_token": token},
                          follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    # the session is over: /admin asks for a sign-in again
    assert (await client.get("/admin", follow_redirects=False)).status_code in (302, 303, 401)
    use_session(client, None)
