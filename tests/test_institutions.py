"""Host institutions: the public application, staff's list, form and status actions,
focal points (invited on approval, from the institution page or by a mission admin), who
sees what, and a suspended institution's focal point kept from starting requests."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from app.accounts.models import Invitation, Membership
from app.assignment_requests.models import AssignmentRequest
from app.audit.models import AuditEvent
from app.institutions.models import HostInstitution
from tenants.context import tenant_scope
from tests.accounts_helpers import PASSWORD, link_in, mails_to, make_user, sign_in, use_session
from tests.conftest import csrf_token
from tests.html import field_error, parse, select_all, select_text
from tests.request_helpers import make_institution

pytestmark = pytest.mark.usefixtures("in_english")


async def _institution(session_factory, tenant, status="approved", **fields) -> HostInstitution:
    """An institution written straight to the database, with any field set."""
    async with session_factory() as db:
        institution = await make_institution(db, tenant, status=status,
                                             name=fields.pop("name", None))
        if fields:
            with tenant_scope(tenant):
                for key, value in fields.items():
                    setattr(institution, key, value)
                await db.commit()
    return institution


async def _load(session_factory, tenant, institution_id) -> HostInstitution:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.get(HostInstitution, institution_id)


async def _count(session_factory, tenant, model, *where) -> int:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(func.count()).select_from(model).where(*where))


async def _one(session_factory, tenant, query):
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(query)


def _application(**changes) -> dict:
    uid = uuid.uuid4().hex[:6]
    data = {"name": f"Ministry of Higher Education {uid}", "other_name": "وزارة التعليم العالي",
            "kind": "ministry", "sectors": ["education", "health"], "city": "Khartoum",
            "address": "Nile Street 1", "website": "www.mohe.gov.sd",
            "contact_name": "Amal Hassan", "contact_title": "Director of planning",
            "contact_email": f"Amal.{uid}@MoHE.example"}
    return {**data, **changes}


async def _apply(client, data):
    token = await csrf_token(client, "/sudan/institutions/apply")
    return await client.post("/sudan/institutions/apply", data={**data, "_csrf_token": token},
                             follow_redirects=False)


async def _act(client, institution_id, action, reason=""):
    token = await csrf_token(client, f"/sudan/institutions/{institution_id}")
    return await client.post(f"/sudan/institutions/{institution_id}/action",
                             data={"action": action, "reason": reason, "_csrf_token": token},
                             follow_redirects=False)


async def _invite_focal_point(client, institution_id, email):
    token = await csrf_token(client, f"/sudan/institutions/{institution_id}")
    return await client.post(f"/sudan/institutions/{institution_id}/focal-points",
                             data={"email": email, "_csrf_token": token},
                             follow_redirects=False)


# --- the public application ------------------------------------------------------------

async def test_an_institution_applies(client, missions, session_factory):
    sudan = missions["sudan"]
    reviewer = await make_user(session_factory, sudan, "staff")
    use_session(client, None)
    form = await client.get("/sudan/institutions/apply")
    assert form.status_code == 200 and 'name="contact_email"' in form.text
    data = _application()
    sent = await _apply(client, data)
    assert sent.status_code == 200 and "Application sent" in sent.text

    institution = await _one(session_factory, sudan, select(HostInstitution).where(
        HostInstitution.name == data["name"]))
    assert institution is not None and institution.status == "pending"
    assert institution.kind == "ministry" and institution.sectors == ["education", "health"]
    assert institution.website == "https://www.mohe.gov.sd"
    assert (institution.contact_name, institution.contact_title, institution.contact_email) == (
        "Amal Hassan", "Director of planning", data["contact_email"].lower())
    assert institution.approved_at is None
    event = await _one(session_factory, sudan, select(AuditEvent).where(
        AuditEvent.action == "host_institution.applied",
        AuditEvent.object_id == str(institution.id)))
    assert event is not None and event.actor_id is None
    [mail] = await mails_to(session_factory, sudan, reviewer.email)
    assert mail.kind == "institution_applied" and data["name"] in mail.body
    assert link_in(mail) == f"/sudan/institutions/{institution.id}"

    # One waiting application per address: the form is not a way to mail staff at will.
    again = await _apply(client, _application(contact_email=data["contact_email"]))
    assert again.status_code == 400
    assert "already waiting" in field_error(again.text, "contact_email")
    assert await _count(session_factory, sudan, HostInstitution,
                        HostInstitution.contact_email == data["contact_email"].lower()) == 1
    assert len(await mails_to(session_factory, sudan, reviewer.email)) == 1


async def test_a_bad_application_is_refused_field_by_field(client, missions, session_factory):
    sudan = missions["sudan"]
    use_session(client, None)
    for changes, field, message in [
        ({"name": ""}, "name", "This field is required."),
        ({"kind": "embassy"}, "kind", "Choose one of the options listed."),
        # Child protection is one of Mozambique's sectors, not Sudan's.
        ({"sectors": ["education", "child_protection"]}, "sectors",
         "Choose one of the options listed."),
        ({"website": "javascript:alert(1)"}, "website", "Enter a web address like"),
        ({"website": "not a url"}, "website", "Enter a web address like"),
        # the form fuzzer's finds: urlsplit raises on these (was a 500)
        ({"website": "https://[x]/"}, "website", "Enter a web address like"),
        ({"website": "http://example.org:99999999"}, "website", "Enter a web address like"),
        ({"contact_name": ""}, "contact_name", "This field is required."),
        ({"contact_email": "amal at mohe"}, "contact_email", "Enter a valid email address"),
    ]:
        before = await _count(session_factory, sudan, HostInstitution)
        data = _application(**changes)
        r = await _apply(client, data)
        assert r.status_code == 400, changes
        assert message in (field_error(r.text, field) or ""), (changes, field)
        assert await _count(session_factory, sudan, HostInstitution) == before, changes
        if data["name"]:  # what was typed is kept
            assert f'value="{data["name"]}"' in r.text


# --- staff -------------------------------------------------------------------------------

async def test_staff_list_filters(client, missions, session_factory, officer):
    sudan = missions["sudan"]
    await _institution(session_factory, sudan, "approved", name="Filterable Water Ministry")
    await _institution(session_factory, sudan, "pending", name="Filterable Nile University",
                       kind="university", other_name="جامعة النيلين")
    await _institution(session_factory, sudan, "suspended", name="Filterable Red Sea NGO",
                       kind="ngo")

    async def names(query):
        r = await client.get(f"/sudan/institutions?{query}")
        assert r.status_code == 200, (query, r.status_code)
        return {n for n in ("Water Ministry", "Nile University", "Red Sea NGO")
                if f"Filterable {n}" in r.text}

    assert await names("q=filterable") == {"Water Ministry", "Nile University", "Red Sea NGO"}
    assert await names("q=filterable&status=pending") == {"Nile University"}
    assert await names("q=filterable&kind=ngo") == {"Red Sea NGO"}
    assert await names("q=NILE") == {"Nile University"}
    assert await names("q=النيلين") == {"Nile University"}  # the other-language name
    assert await names("q=filterable&status=approved&kind=ministry") == {"Water Ministry"}
    assert await names("q=filterable&status=bogus") == \
        {"Water Ministry", "Nile University", "Red Sea NGO"}  # an unknown status is ignored
    # What is typed is searched as text, not as a LIKE pattern.
    assert await names("q=%25") == set()
    assert await names("q=Filterable_") == set()


async def test_staff_add_and_edit_an_institution(client, missions, session_factory, officer):
    sudan = missions["sudan"]
    assert (await client.get("/sudan/institutions/new")).status_code == 200
    token = await csrf_token(client, "/sudan/institutions/new")
    before = await _count(session_factory, sudan, HostInstitution)
    bad = await client.post("/sudan/institutions/new", data={
        "name": "", "kind": "university", "sectors": ["education"],
        "website": "javascript:alert(1)", "_csrf_token": token})
    assert bad.status_code == 400
    assert field_error(bad.text, "name") == "This field is required."
    assert "Enter a web address" in field_error(bad.text, "website")
    assert await _count(session_factory, sudan, HostInstitution) == before

    added = await client.post("/sudan/institutions/new", data={
        "name": "University of Khartoum", "kind": "university",
        "sectors": ["education", "health"], "city": "Khartoum",
        "website": "https://www.uofk.edu", "_csrf_token": token}, follow_redirects=False)
    assert added.status_code == 303
    institution_id = uuid.UUID(added.headers["location"].rsplit("/", 1)[1])
    institution = await _load(session_factory, sudan, institution_id)
    assert institution.status == "approved" and institution.approved_at is not None
    assert institution.sectors == ["education", "health"] and institution.contact_email == ""
    assert await _count(session_factory, sudan, AuditEvent,
                        AuditEvent.action == "host_institution.created",
                        AuditEvent.object_id == str(institution_id)) == 1
    page = await client.get(f"/sudan/institutions/{institution_id}")
    assert page.status_code == 200 and "University of Khartoum" in page.text

    edit_path = f"/sudan/institutions/{institution_id}/edit"
    form = await client.get(edit_path)
    assert form.status_code == 200 and 'value="University of Khartoum"' in form.text
    refused = await client.post(edit_path, data={
        "name": "University of Khartoum", "kind": "embassy", "sectors": ["education"],
        "city": "Omdurman", "_csrf_token": token})
    assert refused.status_code == 400 and field_error(refused.text, "kind")
    assert (await _load(session_factory, sudan, institution_id)).city == "Khartoum"
    saved = await client.post(edit_path, data={
        "name": "University of Khartoum", "kind": "university", "sectors": ["education"],
        "city": "Omdurman", "website": "https://www.uofk.edu", "_csrf_token": token},
        follow_redirects=False)
    assert saved.status_code == 303
    institution = await _load(session_factory, sudan, institution_id)
    assert (institution.city, institution.sectors) == ("Omdurman", ["education"])
    edited = await _one(session_factory, sudan, select(AuditEvent).where(
        AuditEvent.action == "host_institution.edited",
        AuditEvent.object_id == str(institution_id)))
    assert edited.after == {"fields": ["city", "sectors"]}


async def test_approving_an_application_invites_its_contact(client, missions, session_factory,
                                                            officer):
    sudan = missions["sudan"]
    contact = f"focal-{uuid.uuid4().hex[:6]}@mowr.example"
    institution = await _institution(session_factory, sudan, "pending",
                                     name="Ministry of Water Resources (applied)",
                                     contact_name="Omar Ali", contact_email=contact)
    page = await client.get(f"/sudan/institutions/{institution.id}")
    assert page.status_code == 200 and f"Approving invites {contact}" in page.text

    assert (await _act(client, institution.id, "approve")).status_code == 303
    approved = await _load(session_factory, sudan, institution.id)
    assert approved.status == "approved" and approved.approved_at is not None
    invitation = await _one(session_factory, sudan, select(Invitation).where(
        Invitation.email == contact))
    assert invitation.role == "institution_focal_point"
    assert invitation.host_institution_id == institution.id and invitation.accepted_at is None
    [mail] = await mails_to(session_factory, sudan, contact)
    assert mail.kind == "invitation"

    # Impossible actions are refused with a message and change nothing.
    for action in ("approve", "reinstate", "bogus"):
        refused = await _act(client, institution.id, action)
        assert refused.status_code == 400 and "not possible" in refused.text, action
        assert (await _load(session_factory, sudan, institution.id)).status == "approved"
    assert len(await mails_to(session_factory, sudan, contact)) == 1

    # The contact accepts and becomes the institution's focal point.
    use_session(client, None)
    path = link_in(mail)
    assert (await client.get(path)).status_code == 200
    token = await csrf_token(client, path)
    accepted = await client.post(path, data={"name": "Omar Ali", "password": PASSWORD,
                                             "password_confirm": PASSWORD,
                                             "_csrf_token": token}, follow_redirects=False)
    assert accepted.status_code == 303
    membership = await _one(session_factory, sudan, select(Membership).join(
        Invitation, Invitation.email == contact).where(
        Membership.host_institution_id == institution.id))
    assert membership is not None and membership.role == "institution_focal_point"
    assert (await sign_in(client, sudan, contact)).status_code == 303
    dashboard = await client.get("/sudan/institution")
    assert dashboard.status_code == 200
    assert "Ministry of Water Resources (applied)" in dashboard.text
    assert 'href="/sudan/requests/new"' in dashboard.text
    staff_view = await client.get(f"/sudan/institutions/{institution.id}")
    assert staff_view.status_code == 403


async def test_decline_suspend_and_reinstate(client, missions, session_factory, officer):
    sudan = missions["sudan"]
    contact = f"applicant-{uuid.uuid4().hex[:6]}@club.example"
    applied = await _institution(session_factory, sudan, "pending", name="Khartoum Chess Club",
                                 contact_name="Sara", contact_email=contact)
    no_reason = await _act(client, applied.id, "decline", "  ")
    assert no_reason.status_code == 400
    assert select_text(no_reason.text, "#f-reason ~ p.error").startswith("Say why")
    assert (await _load(session_factory, sudan, applied.id)).status == "pending"
    assert await mails_to(session_factory, sudan, contact) == []
    assert (await _act(client, applied.id, "decline",
                       "We work with public bodies only.")).status_code == 303
    declined = await _load(session_factory, sudan, applied.id)
    assert (declined.status, declined.status_reason) == ("declined",
                                                         "We work with public bodies only.")
    [mail] = await mails_to(session_factory, sudan, contact)
    assert mail.kind == "institution_declined" and "We work with public bodies only." in mail.body
    assert await _count(session_factory, sudan, Invitation, Invitation.email == contact) == 0

    institution = await _institution(session_factory, sudan, "approved")
    no_reason = await _act(client, institution.id, "suspend")
    assert no_reason.status_code == 400
    assert select_text(no_reason.text, "#f-reason ~ p.error").startswith("Say why")
    assert (await _load(session_factory, sudan, institution.id)).status == "approved"
    assert (await _act(client, institution.id, "suspend", "Audit pending")).status_code == 303
    suspended = await _load(session_factory, sudan, institution.id)
    assert (suspended.status, suspended.status_reason) == ("suspended", "Audit pending")
    page = await client.get(f"/sudan/institutions/{institution.id}")
    # The status line under the heading: the state, then the reason given.
    assert select_text(page.text, "h1 + p") == "Status: Suspended — Audit pending"
    assert [b.attributes["value"] for b in parse(page.text).css(
        'form[action$="/action"] button[name=action]')] == ["reinstate"]
    assert (await _act(client, institution.id, "reinstate")).status_code == 303
    reinstated = await _load(session_factory, sudan, institution.id)
    assert (reinstated.status, reinstated.status_reason) == ("approved", "")
    events = set(await _scalars(session_factory, sudan, select(AuditEvent.action).where(
        AuditEvent.object_id == str(institution.id))))
    assert {"host_institution.suspend", "host_institution.reinstate"} <= events


async def _scalars(session_factory, tenant, query) -> list:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return list(await db.scalars(query))


# --- focal points ------------------------------------------------------------------------

async def test_inviting_focal_points_from_the_institution_page(client, missions,
                                                               session_factory, officer):
    sudan = missions["sudan"]
    institution = await _institution(session_factory, sudan, "approved")
    email = f"second-{uuid.uuid4().hex[:6]}@ministry.example"
    assert (await _invite_focal_point(client, institution.id, email)).status_code == 303
    invitation = await _one(session_factory, sudan, select(Invitation).where(
        Invitation.email == email))
    assert invitation.role == "institution_focal_point"
    assert invitation.host_institution_id == institution.id
    assert [m.kind for m in await mails_to(session_factory, sudan, email)] == ["invitation"]
    bad = await _invite_focal_point(client, institution.id, "nobody")
    assert bad.status_code == 400 and "valid email address" in field_error(bad.text, "email")

    for status in ("suspended", "pending", "declined"):
        other = await _institution(session_factory, sudan, status)
        email = f"{status}-{uuid.uuid4().hex[:6]}@ministry.example"
        refused = await _invite_focal_point(client, other.id, email)
        # The page has no invitation form for it, but the refusal is still shown.
        assert refused.status_code == 400, status
        assert "Approve the institution before inviting" in refused.text, status
        assert await _count(session_factory, sudan, Invitation, Invitation.email == email) == 0


async def test_mission_admin_invites_a_focal_point_with_an_institution(client, missions,
                                                                       session_factory):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    admin = await make_user(session_factory, sudan, "mission_admin")
    approved = await _institution(session_factory, sudan, "approved", name="Ministry of Health")
    suspended = await _institution(session_factory, sudan, "suspended")
    foreign = await _institution(session_factory, mozambique, "approved")
    await sign_in(client, sudan, admin.email)
    members = await client.get("/sudan/admin/members")
    assert f'value="{approved.id}"' in members.text  # offered in the institution list
    assert f'value="{suspended.id}"' not in members.text
    token = await csrf_token(client, "/sudan/admin/members")
    email = f"admin-invited-{uuid.uuid4().hex[:6]}@moh.example"

    async def invite(host_institution_id=""):
        return await client.post("/sudan/admin/members", data={
            "email": email, "role": "institution_focal_point",
            "host_institution_id": host_institution_id, "_csrf_token": token},
            follow_redirects=False)

    for raw, message in [("", "Choose the host institution"),
                         ("not-a-uuid", "Choose the host institution"),
                         (str(foreign.id), "Choose the host institution"),  # Mozambique's
                         (str(suspended.id), "Approve the institution before inviting")]:
        r = await invite(raw)
        assert r.status_code == 400 and message in r.text, raw
        assert await _count(session_factory, sudan, Invitation, Invitation.email == email) == 0
    assert (await invite(str(approved.id))).status_code == 303
    invitation = await _one(session_factory, sudan, select(Invitation).where(
        Invitation.email == email))
    assert invitation.role == "institution_focal_point"
    assert invitation.host_institution_id == approved.id
    use_session(client, None)


# --- who sees what -----------------------------------------------------------------------

async def test_a_focal_point_sees_no_staff_pages(client, missions, session_factory):
    sudan = missions["sudan"]
    own = await _institution(session_factory, sudan, "approved")
    other = await _institution(session_factory, sudan, "approved")
    focal_point = await make_user(session_factory, sudan, "institution_focal_point",
                                  host_institution_id=own.id)
    await sign_in(client, sudan, focal_point.email)
    for path in ("/sudan/institutions", "/sudan/institutions/new",
                 f"/sudan/institutions/{other.id}", f"/sudan/institutions/{own.id}",
                 f"/sudan/institutions/{other.id}/edit"):
        assert (await client.get(path)).status_code == 403, path
    token = await csrf_token(client, "/sudan/institution")
    r = await client.post(f"/sudan/institutions/{own.id}/action",
                          data={"action": "suspend", "reason": "x", "_csrf_token": token})
    assert r.status_code == 403
    r = await client.post(f"/sudan/institutions/{own.id}/focal-points",
                          data={"email": "friend@example.org", "_csrf_token": token})
    assert r.status_code == 403
    assert (await _load(session_factory, sudan, own.id)).status == "approved"
    use_session(client, None)


async def test_another_missions_institution_is_not_found(client, missions, session_factory,
                                                         officer):
    foreign = await _institution(session_factory, missions["mozambique"], "approved")
    assert (await client.get(f"/sudan/institutions/{foreign.id}")).status_code == 404
    assert (await _act(client, foreign.id, "suspend", "no")).status_code == 404
    assert (await _load(session_factory, missions["mozambique"], foreign.id)).status == "approved"


async def test_a_suspended_institution_cannot_start_requests(client, missions, session_factory):
    sudan = missions["sudan"]
    institution = await _institution(session_factory, sudan, "suspended",
                                     name="Suspended Ministry", status_reason="Audit of accounts")
    focal_point = await make_user(session_factory, sudan, "institution_focal_point",
                                  host_institution_id=institution.id)
    await sign_in(client, sudan, focal_point.email)
    dashboard = await client.get("/sudan/institution")
    assert dashboard.status_code == 200 and "Suspended Ministry" in dashboard.text
    assert "not approved by the mission" in dashboard.text and "Audit of accounts" in dashboard.text
    assert 'href="/sudan/requests/new"' not in dashboard.text

    start = await client.get("/sudan/requests/new", follow_redirects=False)
    assert start.status_code == 303 and start.headers["location"] == "/sudan/institution"
    shown = await client.get("/sudan/institution")
    assert any(message.startswith("Only an approved institution can make requests")
               for message in select_all(shown.text, ".flash"))
    token = await csrf_token(client, "/sudan/institution")
    refused = await client.post("/sudan/requests/new", data={
        "title": "Train engineers", "objectives": "Reduce losses", "_csrf_token": token},
        follow_redirects=False)
    assert refused.status_code == 400 and "Only an approved institution" in refused.text
    assert await _count(session_factory, sudan, AssignmentRequest,
                        AssignmentRequest.institution_id == institution.id) == 0

    # Once reinstated, the same person may start one.
    with tenant_scope(sudan):
        async with session_factory() as db:
            (await db.get(HostInstitution, institution.id)).status = "approved"
            await db.commit()
    assert (await client.get("/sudan/requests/new", follow_redirects=False)).status_code == 200
    use_session(client, None)
