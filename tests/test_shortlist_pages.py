"""The shortlist through the pages of everyone on it, with the real database and the real
embedded search engine: staff add and invite, the expert reads the terms of reference and
answers, staff share the list, the institution sees pseudonymous profiles (named once
the expert agreed or accepted) and says whom it would choose, staff confirm the
selection; and experts find open requests that fit them and say they are interested."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.assignment_requests.documents import save_terms_document
from app.assignment_requests.models import AssignmentRequest
from app.assignments.models import Assignment
from app.core.actor import Actor
from app.core.roles import permissions_for
from app.documents import MB
from app.experts.models import Skill
from app.matching.models import ShortlistEntry
from search_index import SearchUnavailable
from tenants.context import tenant_scope
from tests.accounts_helpers import as_user, link_in, mails_to, make_user, use_session
from tests.conftest import base_test_settings, csrf_token
from tests.documents_helpers import app_storage, minimal_pdf
from tests.expert_helpers import complete_profile
from tests.html import parse, select_all, select_text
from tests.request_helpers import make_institution, make_request

pytestmark = pytest.mark.usefixtures("in_english")

STAFF = Actor(email="officer@example.org", name="Officer", role="staff",
              permissions=permissions_for("staff", False))


async def post(client, url: str, data: dict | None = None, page: str = "/sudan/"):
    token = await csrf_token(client, page)
    return await client.post(url, data={"_csrf_token": token, **(data or {})},
                             follow_redirects=False)


async def request_skill_code(session_factory, tenant) -> str:
    """The skill make_request asks for (the mission's first by code)."""
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(Skill.code).where(Skill.tenant_id == tenant.id)
                                   .order_by(Skill.code).limit(1))


async def open_request(session_factory, tenant, institution_id, status="open",
                       terms: bool = False) -> AssignmentRequest:
    async with session_factory() as db:
        request = await make_request(db, tenant, institution_id, status=status)
        if terms:
            with tenant_scope(tenant):
                await save_terms_document(db, tenant, STAFF, request, "tor.pdf",
                                          minimal_pdf("Leak detection ToR"), app_storage(),
                                          max_bytes=base_test_settings().max_upload_mb * MB)
    return request


async def entry_of(session_factory, tenant, request_id, profile_id) -> ShortlistEntry | None:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(ShortlistEntry).where(
                ShortlistEntry.request_id == request_id,
                ShortlistEntry.profile_id == profile_id))


async def stored_request(session_factory, tenant, request_id) -> AssignmentRequest:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.get(AssignmentRequest, request_id)


def answer(body: str) -> str:
    """The expert's answer as their invitation page states it (under the heading)."""
    return select_text(body, "h1 + p > strong")


def buttons(body: str) -> list[tuple[str, str]]:
    """The answers the invitation page still offers: (value, label) of its action buttons."""
    return [(b.attributes["value"], b.text(strip=True))
            for b in parse(body).css("button[name=action]")]


@pytest.fixture(scope="module")
async def people(session_factory, missions):
    sudan = missions["sudan"]
    skill = await request_skill_code(session_factory, sudan)
    async with session_factory() as db:
        water = await make_institution(db, sudan, name="Ministry of Irrigation")
        health = await make_institution(db, sudan, name="Federal Ministry of Health")
    expert = dict(status="verified", sector="water_management", skill_code=skill)
    hidden_user, hidden = await complete_profile(session_factory, sudan, name="Amira Hidden",
                                                 **expert)
    named_user, named = await complete_profile(
        session_factory, sudan, name="Bashir Named",
        consents=("matching", "share_with_institutions"), **expert)
    seeker_user, seeker = await complete_profile(session_factory, sudan, name="Salma Seeker",
                                                 **expert)
    pending_user, pending = await complete_profile(
        session_factory, sudan, name="Omar Pending", **{**expert, "status": "submitted"})
    return {
        "water": water, "health": health,
        "water_focal": await make_user(session_factory, sudan, "institution_focal_point",
                                       host_institution_id=water.id),
        "health_focal": await make_user(session_factory, sudan, "institution_focal_point",
                                        host_institution_id=health.id),
        "staff": await make_user(session_factory, sudan, "staff"),
        "hidden_user": hidden_user, "hidden": hidden,
        "named_user": named_user, "named": named,
        "seeker_user": seeker_user, "seeker": seeker,
        "pending_user": pending_user, "pending": pending,
    }


async def test_from_shortlist_to_assignment_through_the_pages(client, missions, session_factory,
                                                              people):
    sudan = missions["sudan"]
    hidden, named = people["hidden"], people["named"]
    request = await open_request(session_factory, sudan, people["water"].id, terms=True)
    base = f"/sudan/requests/{request.id}"

    # Staff put two experts on the list.
    await as_user(client, sudan, people["staff"])
    for profile in (hidden, named):
        added = await post(client, f"{base}/shortlist",
                           {"profile_id": str(profile.id), "note": "Strong on leaks"})
        assert added.status_code == 303, added.text
    entry = await entry_of(session_factory, sudan, request.id, hidden.id)
    assert entry.status == "proposed"

    # Merely proposed: the expert sees nothing of it.
    await as_user(client, sudan, people["hidden_user"])
    assert request.title not in (await client.get("/sudan/me/invitations")).text
    assert (await client.get(f"/sudan/me/invitations/{entry.id}")).status_code == 404

    # The institution waits for the mission to share.
    await as_user(client, sudan, people["water_focal"])
    waiting = await client.get(f"{base}/shortlist")
    assert waiting.status_code == 200
    assert "has not shared candidates" in waiting.text and "Expert #" not in waiting.text
    assert f"{base}/shortlist" not in (await client.get(base)).text

    # Staff invite; the expert gets a mail with the link to the invitation.
    await as_user(client, sudan, people["staff"])
    assert (await post(client, f"{base}/shortlist/{entry.id}/invite")).status_code == 303
    mail = [m for m in await mails_to(session_factory, sudan, people["hidden_user"].email)
            if m.kind == "shortlist_invitation"][-1]
    assert link_in(mail) == f"/sudan/me/invitations/{entry.id}"
    assert f"#{request.number}" in mail.subject

    # The expert reads the terms of reference; another expert cannot.
    await as_user(client, sudan, people["hidden_user"])
    listed = await client.get("/sudan/me/invitations")
    assert request.title in listed.text and "Ministry of Irrigation" in listed.text
    invitation = await client.get(f"/sudan/me/invitations/{entry.id}")
    assert invitation.status_code == 200
    assert "Reduce water losses." in invitation.text and "Run a two-week course." in invitation.text
    assert 'value="accept"' in invitation.text and 'value="decline"' in invitation.text
    terms = await client.get(f"/sudan/me/invitations/{entry.id}/terms")
    assert terms.status_code == 200 and terms.content == minimal_pdf("Leak detection ToR")
    # Declining needs a reason: refused on the page, nothing changes.
    refused = await post(client, f"/sudan/me/invitations/{entry.id}", {"action": "decline"})
    assert refused.status_code == 400 and "Tell the mission why" in refused.text
    assert (await entry_of(session_factory, sudan, request.id, hidden.id)).status == "invited"
    await as_user(client, sudan, people["named_user"])
    assert (await client.get(f"/sudan/me/invitations/{entry.id}")).status_code == 404
    assert (await client.get(f"/sudan/me/invitations/{entry.id}/terms")).status_code == 404
    assert (await post(client, f"/sudan/me/invitations/{entry.id}",
                       {"action": "accept"})).status_code == 404

    # Staff share the list; the focal points are told.
    await as_user(client, sudan, people["staff"])
    assert (await post(client, f"{base}/shortlist/share")).status_code == 303
    mail = [m for m in await mails_to(session_factory, sudan, people["water_focal"].email)
            if m.kind == "shortlist_shared"][-1]
    assert link_in(mail) == f"{base}/shortlist"

    # Pseudonymous until the expert agreed or accepted: never contact details.
    await as_user(client, sudan, people["water_focal"])
    assert f"{base}/shortlist" in (await client.get(base)).text
    shortlist = await client.get(f"{base}/shortlist")
    assert shortlist.status_code == 200
    assert f"Expert #{hidden.number}" in shortlist.text
    assert "Amira Hidden" not in shortlist.text
    assert "Bashir Named" in shortlist.text  # consented to be shown to institutions
    for secret in (people["hidden_user"].email, people["named_user"].email, "+44 7700 900123",
                   "/cv", "Strong on leaks"):
        assert secret not in shortlist.text
    assert "Required skills" in shortlist.text  # the score's reasons

    # Another institution's focal point finds nothing.
    await as_user(client, sudan, people["health_focal"])
    assert (await client.get(f"{base}/shortlist")).status_code == 404
    assert (await post(client, f"{base}/selection/{entry.id}", {"chosen": "1"})).status_code \
        == 404

    # The expert accepts; now the institution may see who they are.
    await as_user(client, sudan, people["hidden_user"])
    accepted = await post(client, f"/sudan/me/invitations/{entry.id}", {"action": "accept"})
    assert accepted.status_code == 303
    assert (await entry_of(session_factory, sudan, request.id, hidden.id)).status == "accepted"
    await as_user(client, sudan, people["water_focal"])
    assert "Amira Hidden" in (await client.get(f"{base}/shortlist")).text

    # The institution says whom it would choose (and can take it back).
    for chosen in ("1", "0", "1"):
        marked = await post(client, f"{base}/selection/{entry.id}", {"chosen": chosen})
        assert marked.status_code == 303
        assert (await entry_of(session_factory, sudan, request.id, hidden.id)) \
            .chosen_by_institution is (chosen == "1")
    assert "You would choose this expert" in (await client.get(f"{base}/shortlist")).text

    # Staff see the institution's page, but the choice is not theirs; they confirm.
    await as_user(client, sudan, people["staff"])
    assert (await client.get(f"{base}/shortlist")).status_code == 200
    assert (await post(client, f"{base}/selection/{entry.id}", {"chosen": "0"})).status_code \
        == 403
    assert (await post(client, f"{base}/shortlist/{entry.id}/confirm")).status_code == 303
    again = await post(client, f"{base}/shortlist/{entry.id}/confirm")
    assert again.status_code == 400
    with tenant_scope(sudan):
        async with session_factory() as db:
            assignments = list(await db.scalars(select(Assignment).where(
                Assignment.request_id == request.id)))
    assert [(a.profile_id, a.slot) for a in assignments] == [(hidden.id, 1)]
    assert (await stored_request(session_factory, sudan, request.id)).status == "filled"
    assert (await entry_of(session_factory, sudan, request.id, hidden.id)).status == "selected"
    assert (await entry_of(session_factory, sudan, request.id, named.id)).status \
        == "not_selected"
    kinds = [m.kind for m in await mails_to(session_factory, sudan, people["hidden_user"].email)]
    assert "shortlist_selected" in kinds
    # Bashir was only proposed: he never heard of this request, so no "not selected" mail.
    assert "shortlist_not_selected" not in [
        m.kind for m in await mails_to(session_factory, sudan, people["named_user"].email)]

    # The selected expert's invitation says so; no more buttons.
    await as_user(client, sudan, people["hidden_user"])
    page = await client.get(f"/sudan/me/invitations/{entry.id}")
    assert answer(page.text) == "Selected" and buttons(page.text) == []
    use_session(client, None)


async def test_an_expert_who_accepted_can_step_back_with_a_reason(client, missions,
                                                                 session_factory, people):
    sudan = missions["sudan"]
    request = await open_request(session_factory, sudan, people["water"].id)
    base = f"/sudan/requests/{request.id}"
    await as_user(client, sudan, people["staff"])
    await post(client, f"{base}/shortlist", {"profile_id": str(people["named"].id)})
    entry = await entry_of(session_factory, sudan, request.id, people["named"].id)
    assert (await post(client, f"{base}/shortlist/{entry.id}/invite")).status_code == 303
    await as_user(client, sudan, people["named_user"])
    url = f"/sudan/me/invitations/{entry.id}"
    assert (await post(client, url, {"action": "accept"})).status_code == 303
    page = await client.get(url)
    assert answer(page.text) == "You accepted"
    assert buttons(page.text) == [("decline", "Step back from this assignment")]
    assert (await post(client, url, {"action": "maybe"})).status_code == 400
    stepped = await post(client, url, {"action": "decline", "reason": "A family matter."})
    assert stepped.status_code == 303
    entry = await entry_of(session_factory, sudan, request.id, people["named"].id)
    assert (entry.status, entry.response_reason) == ("declined", "A family matter.")
    assert request.title in (await client.get("/sudan/me/invitations")).text
    # Declined experts leave the institution's view.
    await as_user(client, sudan, people["staff"])
    await post(client, f"{base}/shortlist/share")
    await as_user(client, sudan, people["water_focal"])
    shortlist = await client.get(f"{base}/shortlist")
    assert f"Expert #{people['named'].number}" not in shortlist.text
    assert "Nobody is on the shortlist" in shortlist.text
    use_session(client, None)


async def test_experts_find_open_requests_that_fit_and_say_they_are_interested(
        app, client, missions, session_factory, people, index_now, monkeypatch):
    sudan = missions["sudan"]
    request = await open_request(session_factory, sudan, people["water"].id)
    draft = await open_request(session_factory, sudan, people["water"].id, status="draft")
    await index_now()

    await as_user(client, sudan, people["seeker_user"])
    found = await client.get("/sudan/me/requests")
    assert found.status_code == 200
    assert f"#{request.number}" in found.text and "Ministry of Irrigation" in found.text
    assert f"/sudan/me/requests/{request.id}/interest" in found.text
    assert f"#{draft.number}" not in found.text  # drafts are not open
    assert "/sudan/me/requests" in (await client.get("/sudan/me")).text  # linked from home

    interested = await post(client, f"/sudan/me/requests/{request.id}/interest")
    assert interested.status_code == 303
    entry = await entry_of(session_factory, sudan, request.id, people["seeker"].id)
    assert entry.status == "interested"
    again = await client.get("/sudan/me/requests")
    assert "You said you are interested" in again.text
    assert f"/sudan/me/requests/{request.id}/interest" not in again.text
    # A second click changes nothing.
    assert (await post(client, f"/sudan/me/requests/{request.id}/interest")).status_code == 303
    with tenant_scope(sudan):
        async with session_factory() as db:
            assert await db.scalar(select(func.count()).select_from(ShortlistEntry).where(
                ShortlistEntry.request_id == request.id)) == 1
    # Only requests open for matching: a draft's id is not found.
    assert (await post(client, f"/sudan/me/requests/{draft.id}/interest")).status_code == 404

    # The engine is down: the open requests of the expert's sectors, and a notice.
    async def down(*_args, **_kwargs):
        raise SearchUnavailable("engine down")
    monkeypatch.setattr(app.state.search, "search", down)
    fallback = await client.get("/sudan/me/requests")
    assert fallback.status_code == 200
    assert "search engine is not answering" in fallback.text
    assert f"#{request.number}" in fallback.text and "You said you are interested" in fallback.text
    monkeypatch.undo()

    # A profile the mission has not verified cannot ask.
    await as_user(client, sudan, people["pending_user"])
    page = await client.get("/sudan/me/requests")
    assert "Only a profile verified by the mission" in page.text
    assert f"/sudan/me/requests/{request.id}/interest" not in page.text
    refused = await post(client, f"/sudan/me/requests/{request.id}/interest")
    assert refused.status_code == 400 and "must be verified" in refused.text
    assert await entry_of(session_factory, sudan, request.id, people["pending"].id) is None
    use_session(client, None)


async def test_interest_of_an_expert_staff_had_proposed_is_kept(client, missions,
                                                                session_factory, people):
    sudan = missions["sudan"]
    request = await open_request(session_factory, sudan, people["water"].id)
    await as_user(client, sudan, people["staff"])
    await post(client, f"/sudan/requests/{request.id}/shortlist",
               {"profile_id": str(people["seeker"].id)})
    await as_user(client, sudan, people["seeker_user"])
    assert (await post(client, f"/sudan/me/requests/{request.id}/interest")).status_code == 303
    entry = await entry_of(session_factory, sudan, request.id, people["seeker"].id)
    assert entry.status == "interested"
    use_session(client, None)


async def test_another_missions_shortlist_is_not_found(client, missions, session_factory,
                                                       people):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    async with session_factory() as db:
        institution = await make_institution(db, mozambique)
    request = await open_request(session_factory, mozambique, institution.id)
    await as_user(client, sudan, people["staff"])
    assert (await client.get(f"/sudan/requests/{request.id}/shortlist")).status_code == 404
    await as_user(client, sudan, people["seeker_user"])
    assert (await post(client, f"/sudan/me/requests/{request.id}/interest")).status_code == 404
    use_session(client, None)


async def test_nobody_is_invited_to_or_accepts_a_request_that_closed(client, missions,
                                                                     session_factory, people):
    sudan = missions["sudan"]
    request = await open_request(session_factory, sudan, people["water"].id)
    base = f"/sudan/requests/{request.id}"
    await as_user(client, sudan, people["staff"])
    for profile in (people["named"], people["seeker"]):
        await post(client, f"{base}/shortlist", {"profile_id": str(profile.id)})
    invited = await entry_of(session_factory, sudan, request.id, people["named"].id)
    assert (await post(client, f"{base}/shortlist/{invited.id}/invite")).status_code == 303
    cancelled = await post(client, f"{base}/action", {"action": "cancel", "reason": "No budget."})
    assert cancelled.status_code == 303
    assert (await stored_request(session_factory, sudan, request.id)).status == "cancelled"
    proposed = await entry_of(session_factory, sudan, request.id, people["seeker"].id)
    assert (await post(client, f"{base}/shortlist/{proposed.id}/invite")).status_code == 400
    assert (await entry_of(session_factory, sudan, request.id, people["seeker"].id)).status \
        == "proposed"
    await as_user(client, sudan, people["named_user"])
    url = f"/sudan/me/invitations/{invited.id}"
    page = await client.get(url)
    assert "This request is no longer open for selection." in select_all(page.text,
                                                                       ".flash-warning")
    assert ("accept", "Accept") not in buttons(page.text)
    assert (await post(client, url, {"action": "accept"})).status_code == 400
    declined = await post(client, url, {"action": "decline", "reason": "Understood."})
    assert declined.status_code == 303
    use_session(client, None)
