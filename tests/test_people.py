"""Invitations, roles, the audit page, platform administration and mail delivery."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest
from sqlalchemy import select, update

from app.accounts.models import Invitation, Membership
from app.notifications.delivery import FileTransport, deliver_pending
from app.notifications.models import OutboxMail
from app.partners.models import PartnerAgency
from tenants.context import tenant_scope
from tests.accounts_helpers import PASSWORD, link_in, mails_to, make_user, sign_in, use_session
from tests.conftest import csrf_token
from tests.html import select_text, table_rows

pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture(scope="module")
async def sudan_admin(session_factory, missions):
    return await make_user(session_factory, missions["sudan"], "mission_admin")


async def _partner(session_factory, tenant, code):
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(PartnerAgency).where(PartnerAgency.code == code))


async def _invite(client, data):
    token = await csrf_token(client, "/sudan/admin/members")
    return await client.post("/sudan/admin/members", data={**data, "_csrf_token": token},
                             follow_redirects=False)


async def test_invited_partner_user_joins_with_their_agency(client, missions, session_factory,
                                                             sudan_admin):
    sudan = missions["sudan"]
    unodc = await _partner(session_factory, sudan, "unodc")
    await sign_in(client, sudan, sudan_admin.email)
    r = await _invite(client, {"email": "Trainer@UNODC.example", "role": "partner_user",
                               "partner_agency_id": str(unodc.id)})
    assert r.status_code == 303
    [mail] = await mails_to(session_factory, sudan, "trainer@unodc.example")
    assert "Partner agency user" in mail.body or "وكالة" in mail.body
    use_session(client, None)

    path = link_in(mail)
    page = await client.get(path)
    assert page.status_code == 200 and "trainer@unodc.example" in page.text
    token = await csrf_token(client, path)
    weak = await client.post(path, data={"name": "Lina", "password": "short",
                                         "password_confirm": "short", "_csrf_token": token})
    assert weak.status_code == 400 and "at least 10 characters" in weak.text
    ok = await client.post(path, data={"name": "Lina Trainer", "password": PASSWORD,
                                       "password_confirm": PASSWORD, "_csrf_token": token},
                           follow_redirects=False)
    assert ok.status_code == 303
    reused = await client.get(path)
    assert reused.status_code == 400 and "already been accepted" in reused.text
    assert (await sign_in(client, sudan, "trainer@unodc.example")).status_code == 303
    with tenant_scope(sudan):
        async with session_factory() as db:
            membership = await db.scalar(select(Membership).join(
                Invitation, Invitation.email == "trainer@unodc.example").where(
                Membership.partner_agency_id == unodc.id))
    assert membership is not None and membership.role == "partner_user"
    # The other mission's link space knows nothing of it.
    assert (await client.get(path.replace("/sudan/", "/mozambique/"))).status_code == 404
    use_session(client, None)


async def test_invitation_validation(client, missions, session_factory, sudan_admin):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    await sign_in(client, sudan, sudan_admin.email)
    pgr = await _partner(session_factory, mozambique, "pgr")
    for data, message in [
        ({"email": "nope", "role": "staff"}, "valid email address"),
        ({"email": "x@example.org", "role": "expert"}, "Choose one of the roles"),
        ({"email": "x@example.org", "role": "partner_user"}, "Choose the partner agency"),
        ({"email": "x@example.org", "role": "partner_user", "partner_agency_id": str(pgr.id)},
         "Choose the partner agency"),  # Mozambique's agency cannot be used in Sudan
        ({"email": sudan_admin.email, "role": "staff"}, "already a member"),
    ]:
        r = await _invite(client, data)
        assert r.status_code == 400 and message in r.text, (data, r.status_code)
    use_session(client, None)


async def test_expired_and_withdrawn_invitations(client, missions, session_factory, sudan_admin):
    sudan = missions["sudan"]
    await sign_in(client, sudan, sudan_admin.email)
    await _invite(client, {"email": "late@example.org", "role": "staff"})
    [mail] = await mails_to(session_factory, sudan, "late@example.org")
    with tenant_scope(sudan):
        async with session_factory() as db:
            await db.execute(update(Invitation).where(Invitation.email == "late@example.org")
                             .values(expires_at=Invitation.created_at))
            await db.commit()
    expired = await client.get(link_in(mail))
    assert expired.status_code == 400
    assert select_text(expired.text, "h1") == "This invitation cannot be used"
    assert "expired" in select_text(expired.text, ".error-detail")

    await _invite(client, {"email": "late@example.org", "role": "staff"})
    latest = (await mails_to(session_factory, sudan, "late@example.org"))[-1]
    with tenant_scope(sudan):
        async with session_factory() as db:
            invitation = await db.scalar(select(Invitation).where(
                Invitation.email == "late@example.org", Invitation.revoked_at.is_(None)))
    token = await csrf_token(client, "/sudan/admin/members")
    r = await client.post(f"/sudan/admin/invitations/{invitation.id}/revoke",
                          data={"_csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    withdrawn = await client.get(link_in(latest))
    assert withdrawn.status_code == 400
    assert "withdrawn" in select_text(withdrawn.text, ".error-detail")
    use_session(client, None)


async def test_roles_change_and_the_last_admin_stays(client, missions, session_factory):
    mozambique = missions["mozambique"]
    admin = await make_user(session_factory, mozambique, "mission_admin")
    staff = await make_user(session_factory, mozambique, "staff")
    await sign_in(client, mozambique, admin.email)
    with tenant_scope(mozambique):
        async with session_factory() as db:
            ids = {m.user_id: m.id for m in await db.scalars(select(Membership))}
    token = await csrf_token(client, "/mozambique/admin/members")
    r = await client.post(f"/mozambique/admin/members/{ids[staff.id]}/role",
                          data={"role": "mission_admin", "_csrf_token": token},
                          follow_redirects=False)
    assert r.status_code == 303
    r = await client.post(f"/mozambique/admin/members/{ids[staff.id]}/revoke",
                          data={"_csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    last = await client.post(f"/mozambique/admin/members/{ids[admin.id]}/role",
                             data={"role": "staff", "_csrf_token": token})
    assert last.status_code == 400 and "at least one administrator" in last.text
    audit = await client.get("/mozambique/admin/audit?action=membership.")
    actions = {row[2] for row in table_rows(audit.text)}  # the Action column
    assert {"membership.role_changed", "membership.revoked"} <= actions
    bad = await client.get("/mozambique/admin/audit?since=31-12-2026")
    assert bad.status_code == 400 and "Use a date like" in bad.text
    mine = await client.get(f"/mozambique/admin/audit?who={admin.email}&since=2020-01-01")
    assert mine.status_code == 200
    assert "account.signed_in" in {row[2] for row in table_rows(mine.text)}
    use_session(client, None)


async def test_platform_admin_creates_suspends_and_appoints(client, missions, session_factory):
    hq = await make_user(session_factory, None, None, platform_admin=True)
    await sign_in(client, missions["sudan"], hq.email)
    token = await csrf_token(client, "/admin")
    bad = await client.post("/admin/missions", data={
        "slug": "Bad Slug", "name": "X", "country_code": "SO", "time_zone": "Africa/Mogadishu",
        "locale_en": "1", "default_locale": "en", "_csrf_token": token})
    assert bad.status_code == 400 and "slug" in bad.text
    ok = await client.post("/admin/missions", data={
        "slug": "somalia", "name": "Somalia", "country_code": "so",
        "time_zone": "Africa/Mogadishu", "locale_en": "1", "locale_ar": "1",
        "default_locale": "en", "_csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303
    assert (await client.get("/somalia/")).status_code == 200
    r = await client.post("/admin/missions/somalia/mission-admins",
                          data={"email": "head@somalia.example", "_csrf_token": token},
                          follow_redirects=False)
    assert r.status_code == 303
    r = await client.post("/admin/missions/somalia/status",
                          data={"status": "suspended", "_csrf_token": token},
                          follow_redirects=False)
    assert r.status_code == 303
    assert (await client.get("/somalia/")).status_code == 404
    assert (await client.post("/admin/missions/atlantis/status",
                              data={"status": "active", "_csrf_token": token})).status_code == 404
    use_session(client, None)


class BrokenTransport:
    async def send(self, message, mail_id):
        raise ConnectionRefusedError("SMTP server down")


async def test_outbox_delivers_to_files_and_retries_failures(missions, session_factory, tmp_path,
                                                             client, sudan_admin):
    sudan = missions["sudan"]
    await sign_in(client, sudan, sudan_admin.email)
    await _invite(client, {"email": "mailtest@example.org", "role": "staff"})
    use_session(client, None)

    assert await deliver_pending(session_factory, BrokenTransport(), "portal@example.org") == 0
    [mail] = await mails_to(session_factory, sudan, "mailtest@example.org")
    assert mail.status == "pending" and mail.attempts == 1 and "SMTP server down" in mail.last_error
    assert mail.next_attempt_at is not None  # backs off before the next try
    with tenant_scope(sudan):
        async with session_factory() as db:
            await db.execute(update(OutboxMail).values(next_attempt_at=None))
            await db.commit()

    sent = await deliver_pending(session_factory, FileTransport(tmp_path), "portal@example.org")
    assert sent >= 1
    [mail] = await mails_to(session_factory, sudan, "mailtest@example.org")
    assert mail.status == "sent"
    files = {p.name: p for p in tmp_path.glob("*.eml")}
    message = BytesParser(policy=policy.default).parsebytes(files[next(
        n for n in files if str(mail.id) in n)].read_bytes())
    assert message["To"] == "mailtest@example.org" and "/sudan/invitations/" in \
        message.get_body(("plain",)).get_content()
    # Nothing is sent twice.
    assert await deliver_pending(session_factory, FileTransport(tmp_path), "x@example.org") == 0


async def test_a_partner_users_role_change_does_not_drop_their_agency(client, missions,
                                                                      session_factory):
    """Issue 18, finding 9: changing a partner user's role silently dropped the link to
    their agency; it is refused with the way to do it (revoke, invite again)."""
    mozambique = missions["mozambique"]
    with tenant_scope(mozambique):
        async with session_factory() as db:
            agency = await db.scalar(select(PartnerAgency).limit(1))
    assert agency is not None
    admin = await make_user(session_factory, mozambique, "mission_admin")
    partner = await make_user(session_factory, mozambique, "partner_user",
                              partner_agency_id=agency.id)
    await sign_in(client, mozambique, admin.email)
    with tenant_scope(mozambique):
        async with session_factory() as db:
            membership = await db.scalar(select(Membership).where(
                Membership.user_id == partner.id))
    token = await csrf_token(client, "/mozambique/admin/members")
    r = await client.post(f"/mozambique/admin/members/{membership.id}/role",
                          data={"role": "staff", "_csrf_token": token})
    assert r.status_code == 400 and "partner agency" in r.text
    with tenant_scope(mozambique):
        async with session_factory() as db:
            after = await db.scalar(select(Membership).where(Membership.id == membership.id))
    assert after.role == "partner_user" and after.partner_agency_id == agency.id
    use_session(client, None)
