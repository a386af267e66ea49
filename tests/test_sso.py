"""Single sign-on with OpenID Connect, end to end: the portal (test client, real database)
against a real OpenID provider (oidc-provider-mock on 127.0.0.1, tests/oidc_provider.py)."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import func, select

from app.accounts import sso
from app.accounts.models import Membership, User
from app.accounts.sso_models import IdentityProvider, SsoLoginState, UserIdentity
from app.audit.models import AuditEvent
from app.core.actor import Actor
from app.i18n import LANGUAGE_COOKIE
from app.partners.models import PartnerAgency
from tenants.context import TenantContext, tenant_scope
from tests.accounts_helpers import make_user, sign_in, use_session
from tests.conftest import csrf_token
from tests.oidc_provider import Provider, path_of, running_provider

SECRET = "idp-Client-Secret-4711"


@pytest.fixture(scope="module")
def provider():
    with running_provider() as running:
        yield running


@pytest.fixture(autouse=True)
def fresh_browser(client, provider):
    """Each test starts as a new, signed-out browser (reading English, whatever the
    mission's default), an untampered provider and nothing cached of it."""
    provider.tampering.reset()
    # Provider metadata and keys are cached for minutes (app/accounts/sso.py): each test
    # starts from what the provider publishes now, as after the cache's lifetime.
    sso._fetched.clear()
    use_session(client, None)
    _forget_cookie(client, "sso_browser")
    client.cookies.set(LANGUAGE_COOKIE, "en", domain="testserver.local", path="/")
    yield
    provider.tampering.reset()
    use_session(client, None)


def _forget_cookie(client, name: str) -> None:
    for cookie in [c for c in client.cookies.jar if c.name == name]:
        client.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)


async def agency_id(session_factory, tenant: TenantContext, code: str) -> uuid.UUID:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(PartnerAgency.id).where(
                PartnerAgency.tenant_id == tenant.id, PartnerAgency.code == code))


async def make_idp(session_factory, settings, tenant: TenantContext, issuer: str,
                   **changes) -> uuid.UUID:
    """An identity provider configured through the service, as a mission admin would."""
    values = {"name": f"UNHCR {uuid.uuid4().hex[:6]}", "issuer": issuer,
              "client_id": "diaspora-portal", "client_secret": SECRET,
              "allowed_domains": "unhcr.org", "default_role": "partner_user",
              "partner_agency_id": str(await agency_id(session_factory, tenant, "unhcr")),
              "existing_members_only": False, **changes}
    with tenant_scope(tenant):
        async with session_factory() as db:
            created = await sso.create_provider(db, tenant, Actor(email="setup@example.org"),
                                                sso.ProviderForm(**values), settings)
    return created.id


async def start(client, tenant: TenantContext, idp_id, next_path: str | None = None) -> str:
    query = f"?{urlencode({'next': next_path})}" if next_path else ""
    response = await client.get(f"/{tenant.slug}/sso/{idp_id}/start{query}",
                                follow_redirects=False)
    assert response.status_code == 302, (response.status_code, response.text[:500])
    return response.headers["location"]


async def sign_in_through(client, provider: Provider, tenant: TenantContext, idp_id, sub: str,
                          next_path: str | None = None, change_url=None):
    """Start at the portal, sign in at the provider, come back: the callback's response and
    the callback path (to replay it)."""
    authorization_url = await start(client, tenant, idp_id, next_path)
    if change_url:
        authorization_url = change_url(authorization_url)
    back = await provider.sign_in(authorization_url, sub)
    assert back.startswith(f"http://testserver.local/{tenant.slug}/sso/{idp_id}/callback?"), back
    callback = path_of(back)
    return await client.get(callback, follow_redirects=False), callback


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def count(session_factory, tenant, model, *where) -> int:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(func.count()).select_from(model).where(*where))


async def audit_reasons(session_factory, tenant, idp_id) -> list[str]:
    with tenant_scope(tenant):
        async with session_factory() as db:
            events = await db.scalars(select(AuditEvent).where(
                AuditEvent.tenant_id == tenant.id, AuditEvent.action == "sso.sign_in_failed",
                AuditEvent.object_id == str(idp_id)))
            return [e.after["reason"] for e in events]


def assert_no_session(response) -> None:
    assert "session" not in response.cookies, response.headers.get("set-cookie")


# --- the sign-in flow ----------------------------------------------------------------------

async def test_authorization_request_carries_pkce_s256_state_and_nonce(
        client, missions, session_factory, settings, provider):
    sudan = missions["sudan"]
    idp_id = await make_idp(session_factory, settings, sudan, provider.issuer)
    url = await start(client, sudan, idp_id)
    assert url.startswith(f"{provider.issuer}/oauth2/authorize?")
    params = query_of(url)
    assert params["response_type"] == "code" and params["client_id"] == "diaspora-portal"
    assert params["redirect_uri"] == f"http://testserver.local/sudan/sso/{idp_id}/callback"
    assert set(params["scope"].split()) == {"openid", "email", "profile"}
    assert params["code_challenge_method"] == "S256"
    assert "code_verifier" not in params

    # State, nonce and verifier are kept server-side; the challenge is S256 of the verifier.
    with tenant_scope(sudan):
        async with session_factory() as db:
            login = await db.scalar(select(SsoLoginState).where(
                SsoLoginState.state == params["state"]))
    assert login is not None and login.provider_id == idp_id and login.used_at is None
    assert login.nonce == params["nonce"]
    digest = hashlib.sha256(login.code_verifier.encode()).digest()
    assert params["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert 43 <= len(login.code_verifier) <= 128

    # ... and the token request sends the verifier back (what the provider received).
    await provider.set_user("pkce-check", email="pkce.check@unhcr.org", email_verified=True)
    back = await provider.sign_in(url, "pkce-check")
    response = await client.get(path_of(back), follow_redirects=False)
    assert response.status_code == 303
    [token_request] = provider.tampering.token_requests
    assert token_request["code_verifier"] == login.code_verifier
    assert token_request["grant_type"] == "authorization_code"


async def test_partner_user_signs_in_gets_role_agency_session_and_a_linked_subject(
        client, missions, session_factory, settings, provider):
    sudan = missions["sudan"]
    unhcr = await agency_id(session_factory, sudan, "unhcr")
    idp_id = await make_idp(session_factory, settings, sudan, provider.issuer,
                            name="UNHCR Sudan staff")
    assert "Sign in with UNHCR Sudan staff" in (await client.get("/sudan/sign-in")).text
    await provider.set_user("u-amira-7781", email="Amira.Hassan@unhcr.org",
                            email_verified=True, name="Amira Hassan")

    response, _ = await sign_in_through(client, provider, sudan, idp_id, "u-amira-7781",
                                        next_path="/sudan/partners")
    assert response.status_code == 303 and response.headers["location"] == "/sudan/partners"
    assert response.cookies.get("session")
    account = await client.get("/sudan/account")
    assert account.status_code == 200 and "Amira Hassan" in account.text

    async with session_factory() as db:
        user = await db.scalar(select(User).where(User.email == "amira.hassan@unhcr.org"))
    assert user is not None and not user.has_password
    assert user.email_verified_at is not None
    with tenant_scope(sudan):
        async with session_factory() as db:
            membership = await db.scalar(select(Membership).where(
                Membership.tenant_id == sudan.id, Membership.user_id == user.id))
            identity = await db.scalar(select(UserIdentity).where(
                UserIdentity.provider_id == idp_id))
            actions = set(await db.scalars(select(AuditEvent.action).where(
                AuditEvent.actor_id == user.id)))
    assert membership.role == "partner_user" and membership.partner_agency_id == unhcr
    assert identity.subject == "u-amira-7781" and identity.user_id == user.id
    assert {"account.created_by_sso", "sso.member_added", "sso.identity_linked",
            "sso.signed_in", "account.signed_in"} <= actions

    # A second sign-in (new browser session) finds the same person through the link.
    use_session(client, None)
    again, _ = await sign_in_through(client, provider, sudan, idp_id, "u-amira-7781")
    assert again.status_code == 303 and again.headers["location"] == "/sudan/"
    assert again.cookies.get("session")
    async with session_factory() as db:
        assert await db.scalar(select(func.count()).select_from(User).where(
            User.email == "amira.hassan@unhcr.org")) == 1
    assert await count(session_factory, sudan, UserIdentity,
                       UserIdentity.provider_id == idp_id) == 1
    assert await count(session_factory, sudan, Membership, Membership.user_id == user.id) == 1
    assert "Amira Hassan" in (await client.get("/sudan/account")).text


async def test_callback_with_a_state_never_issued_is_refused(
        client, missions, session_factory, settings, provider):
    sudan = missions["sudan"]
    idp_id = await make_idp(session_factory, settings, sudan, provider.issuer)
    await start(client, sudan, idp_id)  # this browser has a sign-in in flight, not this one
    response = await client.get(
        f"/sudan/sso/{idp_id}/callback?state=made-up-state&code=made-up-code",
        follow_redirects=False)
    assert response.status_code == 400
    assert "This sign-in was not started here" in response.text
    assert_no_session(response)
    assert (await client.get("/sudan/account", follow_redirects=False)).status_code == 303
    assert "unknown_state" in await audit_reasons(session_factory, sudan, idp_id)


async def test_replayed_callback_is_refused(client, missions, session_factory, settings,
                                            provider):
    sudan = missions["sudan"]
    idp_id = await make_idp(session_factory, settings, sudan, provider.issuer)
    await provider.set_user("u-replay", email="replay@unhcr.org", email_verified=True)
    first, callback = await sign_in_through(client, provider, sudan, idp_id, "u-replay")
    assert first.status_code == 303
    use_session(client, None)
    second = await client.get(callback, follow_redirects=False)
    assert second.status_code == 400 and "already been used" in second.text
    assert_no_session(second)
    assert "replayed" in await audit_reasons(session_factory, sudan, idp_id)


async def test_callback_in_another_browser_is_refused(client, missions, session_factory,
                                                      settings, provider):
    """A callback URL carried to someone else's browser (login CSRF) signs nobody in."""
    sudan = missions["sudan"]
    idp_id = await make_idp(session_factory, settings, sudan, provider.issuer)
    await provider.set_user("u-attacker", email="attacker@unhcr.org", email_verified=True)
    back = await provider.sign_in(await start(client, sudan, idp_id), "u-attacker")
    _forget_cookie(client, "sso_browser")  # the victim's browser never started this sign-in
    response = await client.get(path_of(back), follow_redirects=False)
    assert response.status_code == 400 and "another browser" in response.text
    assert_no_session(response)


async def test_id_token_with_another_nonce_is_refused(client, missions, session_factory,
                                                      settings, provider):
    sudan = missions["sudan"]
    idp_id = await make_idp(session_factory, settings, sudan, provider.issuer)
    await provider.set_user("u-nonce", email="nonce@unhcr.org", email_verified=True)

    def other_nonce(url: str) -> str:
        parts = urlsplit(url)
        query = {**query_of(url), "nonce": "a-nonce-the-portal-never-issued"}
        return urlunsplit(parts._replace(query=urlencode(query)))

    response, _ = await sign_in_through(client, provider, sudan, idp_id, "u-nonce",
                                        change_url=other_nonce)
    assert response.status_code == 400 and "could not be verified" in response.text
    assert_no_session(response)
    assert "bad_id_token" in await audit_reasons(session_factory, sudan, idp_id)
    async with session_factory() as db:
        assert await db.scalar(select(User).where(User.email == "nonce@unhcr.org")) is None


@pytest.mark.parametrize("attack", ["token re-signed with another key",
                                    "keys published do not match the signature"])
async def test_id_token_not_signed_by_the_published_keys_is_refused(
        client, missions, session_factory, settings, provider, attack):
    sudan = missions["sudan"]
    idp_id = await make_idp(session_factory, settings, sudan, provider.issuer)
    await provider.set_user("u-forged", email="forged@unhcr.org", email_verified=True)
    [genuine] = (await provider.public_keys()).keys
    other_key = RSAKey.generate_key(2048, parameters={"kid": genuine.kid})
    if attack == "token re-signed with another key":
        provider.tampering.resign_id_token_with = other_key
        provider.tampering.resign_kid = genuine.kid
    else:
        provider.tampering.publish_keys = KeySet([other_key])

    response, _ = await sign_in_through(client, provider, sudan, idp_id, "u-forged")
    assert response.status_code == 400 and "could not be verified" in response.text
    assert_no_session(response)
    assert "bad_id_token" in await audit_reasons(session_factory, sudan, idp_id)
    async with session_factory() as db:
        assert await db.scalar(select(User).where(User.email == "forged@unhcr.org")) is None


async def test_email_domain_not_allowed_is_refused_with_a_clear_message(
        client, missions, session_factory, settings, provider):
    sudan = missions["sudan"]
    idp_id = await make_idp(session_factory, settings, sudan, provider.issuer,
                            name="UNHCR directory")
    await provider.set_user("u-guest", email="someone@gmail.com", email_verified=True)
    response, _ = await sign_in_through(client, provider, sudan, idp_id, "u-guest")
    assert response.status_code == 403
    assert ("someone@gmail.com cannot sign in with UNHCR directory in this mission: "
            "only addresses at unhcr.org are accepted.") in response.text
    assert_no_session(response)
    assert "domain_not_allowed" in await audit_reasons(session_factory, sudan, idp_id)
    async with session_factory() as db:
        assert await db.scalar(select(User).where(User.email == "someone@gmail.com")) is None


async def test_a_provider_of_another_mission_is_not_found(client, missions, session_factory,
                                                          settings, provider):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    idp_id = await make_idp(session_factory, settings, sudan, provider.issuer)
    assert (await client.get(f"/mozambique/sso/{idp_id}/start",
                             follow_redirects=False)).status_code == 404
    # Even with a genuine answer from the provider for the Sudan sign-in.
    await provider.set_user("u-cross", email="cross@unhcr.org", email_verified=True)
    back = await provider.sign_in(await start(client, sudan, idp_id), "u-cross")
    crossed = path_of(back).replace("/sudan/", "/mozambique/", 1)
    response = await client.get(crossed, follow_redirects=False)
    assert response.status_code == 404
    assert_no_session(response)
    # The admin pages of Mozambique do not know it either.
    admin = await make_user(session_factory, mozambique, "mission_admin")
    assert (await sign_in(client, mozambique, admin.email)).status_code == 303
    assert (await client.get(f"/mozambique/admin/sso/{idp_id}")).status_code == 404
    token = await csrf_token(client, "/mozambique/admin/sso")
    posted = await client.post(f"/mozambique/admin/sso/{idp_id}",
                               data={"_csrf_token": token, "action": "disable"},
                               follow_redirects=False)
    assert posted.status_code == 404
    with tenant_scope(sudan):  # the Sudan provider itself is untouched
        async with session_factory() as db:
            assert (await db.get(IdentityProvider, idp_id)).enabled is True


async def test_existing_members_only_refuses_strangers_and_admits_members(
        client, missions, session_factory, settings, provider):
    sudan = missions["sudan"]
    idp_id = await make_idp(session_factory, settings, sudan, provider.issuer,
                            name="UNODC", allowed_domains="unodc.org",
                            partner_agency_id="", default_role="staff",
                            existing_members_only=True)
    await provider.set_user("u-stranger", email="stranger@unodc.org", email_verified=True)
    refused, _ = await sign_in_through(client, provider, sudan, idp_id, "u-stranger")
    assert refused.status_code == 403
    assert "open only to people who already have access to this mission" in refused.text
    assert_no_session(refused)
    assert "not_a_member" in await audit_reasons(session_factory, sudan, idp_id)
    async with session_factory() as db:
        assert await db.scalar(select(User).where(User.email == "stranger@unodc.org")) is None

    member = await make_user(session_factory, sudan, "institution_focal_point",
                             email="karim.osman@unodc.org")
    await provider.set_user("u-karim", email="karim.osman@unodc.org", email_verified=True)
    # The first time, the member proves the portal account is theirs (password), and the
    # sign-in connects the two accounts ...
    assert (await sign_in(client, sudan, member.email)).status_code == 303
    linked, _ = await sign_in_through(client, provider, sudan, idp_id, "u-karim")
    assert linked.status_code == 303 and linked.cookies.get("session")
    # ... from then on the organisation account alone lets them in.
    use_session(client, None)
    admitted, _ = await sign_in_through(client, provider, sudan, idp_id, "u-karim")
    assert admitted.status_code == 303 and admitted.cookies.get("session")
    assert "Test institution_focal_point" in (await client.get("/sudan/account")).text
    with tenant_scope(sudan):
        async with session_factory() as db:
            identity = await db.scalar(select(UserIdentity).where(
                UserIdentity.provider_id == idp_id, UserIdentity.subject == "u-karim"))
            membership = await db.scalar(select(Membership).where(
                Membership.tenant_id == sudan.id, Membership.user_id == member.id))
    assert identity.user_id == member.id
    assert membership.role == "institution_focal_point"  # signing in never changes a role


async def test_an_existing_account_is_not_taken_over_by_its_email_address(
        client, missions, session_factory, settings, provider):
    """Whoever controls a provider could assert any address in its domains: an account that
    exists already is only connected from a browser signed in to it."""
    sudan = missions["sudan"]
    idp_id = await make_idp(session_factory, settings, sudan, provider.issuer)
    hq = await make_user(session_factory, None, None, email="hq.admin@unhcr.org",
                         platform_admin=True)
    await provider.set_user("u-impostor", email="hq.admin@unhcr.org", email_verified=True)
    response, _ = await sign_in_through(client, provider, sudan, idp_id, "u-impostor")
    assert response.status_code == 409
    assert "already exists. Sign in with its password first" in response.text
    assert_no_session(response)
    assert "account_exists" in await audit_reasons(session_factory, sudan, idp_id)
    assert await count(session_factory, sudan, UserIdentity,
                       UserIdentity.provider_id == idp_id) == 0
    assert await count(session_factory, sudan, Membership, Membership.user_id == hq.id) == 0


async def test_the_issuer_of_a_provider_in_use_cannot_change(client, missions, session_factory,
                                                            settings, provider):
    sudan = missions["sudan"]
    unhcr = await agency_id(session_factory, sudan, "unhcr")
    idp_id = await make_idp(session_factory, settings, sudan, provider.issuer, name="In use")
    await provider.set_user("u-in-use", email="in.use@unhcr.org", email_verified=True)
    assert (await sign_in_through(client, provider, sudan, idp_id,
                                  "u-in-use"))[0].status_code == 303
    await _as_mission_admin(client, session_factory, sudan)
    with running_provider() as other:
        response = await _post(client, f"/sudan/admin/sso/{idp_id}",
                               **_valid_form(other.issuer, unhcr, name="In use",
                                             client_secret="", allowed_domains="unhcr.org"))
    assert response.status_code == 400 and "its issuer cannot change" in response.text
    with tenant_scope(sudan):
        async with session_factory() as db:
            assert (await db.get(IdentityProvider, idp_id)).issuer == provider.issuer


async def test_provider_that_is_down_gives_a_clear_page(client, missions, session_factory,
                                                        settings):
    sudan = missions["sudan"]
    with running_provider() as short_lived:
        idp_id = await make_idp(session_factory, settings, sudan, short_lived.issuer,
                                name="Gone tomorrow")
    response = await client.get(f"/sudan/sso/{idp_id}/start", follow_redirects=False)
    assert response.status_code == 502
    assert "Gone tomorrow cannot be reached right now" in response.text


async def test_callback_without_an_answer_goes_back_to_sign_in(client, missions,
                                                               session_factory, settings,
                                                               provider):
    sudan = missions["sudan"]
    idp_id = await make_idp(session_factory, settings, sudan, provider.issuer, name="Bookmark")
    response = await client.get(f"/sudan/sso/{idp_id}/callback", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/sudan/sign-in"
    page = await client.get("/sudan/sign-in")
    assert "The sign-in with Bookmark did not finish" in page.text


async def test_provider_error_answer_is_refused(client, missions, session_factory, settings,
                                                provider):
    sudan = missions["sudan"]
    idp_id = await make_idp(session_factory, settings, sudan, provider.issuer, name="Denier")
    state = query_of(await start(client, sudan, idp_id))["state"]
    response = await client.get(
        f"/sudan/sso/{idp_id}/callback?{urlencode({'state': state, 'error': 'access_denied'})}",
        follow_redirects=False)
    assert response.status_code == 400
    assert "You did not finish signing in at Denier" in response.text
    assert_no_session(response)


# --- the mission admin's pages ------------------------------------------------------------

async def _as_mission_admin(client, session_factory, tenant):
    admin = await make_user(session_factory, tenant, "mission_admin")
    assert (await sign_in(client, tenant, admin.email)).status_code == 303
    return admin


async def _post(client, path: str, **data):
    token = await csrf_token(client, "/sudan/")
    return await client.post(path, data={"_csrf_token": token, **data}, follow_redirects=False)


def _valid_form(running_issuer: str, agency: uuid.UUID, **changes: str) -> dict[str, str]:
    form = {"name": "UNICEF Sudan", "issuer": running_issuer, "client_id": "portal-sudan",
            "client_secret": SECRET, "allowed_domains": "unicef.org, @UN.org",
            "default_role": "partner_user", "partner_agency_id": str(agency)}
    return {**form, **changes}


async def test_admin_creates_edits_and_turns_off_a_provider(client, missions, session_factory,
                                                            settings, provider):
    sudan = missions["sudan"]
    await _as_mission_admin(client, session_factory, sudan)
    unicef = await agency_id(session_factory, sudan, "unicef")
    assert (await client.get("/sudan/admin/sso")).status_code == 200

    created = await _post(client, "/sudan/admin/sso", **_valid_form(provider.issuer, unicef))
    assert created.status_code == 303, created.text
    idp_id = uuid.UUID(created.headers["location"].rsplit("/", 1)[1])
    edit = await client.get(created.headers["location"])
    assert edit.status_code == 200
    assert f"http://testserver.local/sudan/sso/{idp_id}/callback" in edit.text
    assert SECRET not in edit.text

    with tenant_scope(sudan):
        async with session_factory() as db:
            stored = await db.get(IdentityProvider, idp_id)
    assert stored.allowed_domains == ["unicef.org", "un.org"]
    assert stored.partner_agency_id == unicef and stored.enabled
    assert SECRET not in stored.client_secret_encrypted
    assert sso.secret_box(settings).decrypt(stored.client_secret_encrypted.encode()) \
        == SECRET.encode()
    first_ciphertext = stored.client_secret_encrypted

    # Edit without a secret keeps the stored one; a new secret replaces it.
    saved = await _post(client, f"/sudan/admin/sso/{idp_id}",
                        **_valid_form(provider.issuer, unicef, name="UNICEF",
                                      client_secret=""))
    assert saved.status_code == 303
    with tenant_scope(sudan):
        async with session_factory() as db:
            stored = await db.get(IdentityProvider, idp_id)
    assert stored.name == "UNICEF" and stored.client_secret_encrypted == first_ciphertext
    await _post(client, f"/sudan/admin/sso/{idp_id}",
                **_valid_form(provider.issuer, unicef, name="UNICEF",
                              client_secret="a-new-secret-99"))
    with tenant_scope(sudan):
        async with session_factory() as db:
            stored = await db.get(IdentityProvider, idp_id)
    assert sso.secret_box(settings).decrypt(stored.client_secret_encrypted.encode()) \
        == b"a-new-secret-99"
    assert "a-new-secret-99" not in (await client.get(f"/sudan/admin/sso/{idp_id}")).text

    # Turned off: gone from the sign-in page, and its start leads back there.
    assert "Sign in with UNICEF" in (await client.get("/sudan/sign-in")).text
    off = await _post(client, f"/sudan/admin/sso/{idp_id}", action="disable")
    assert off.status_code == 303
    assert "Sign in with UNICEF" not in (await client.get("/sudan/sign-in")).text
    started = await client.get(f"/sudan/sso/{idp_id}/start", follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"] == "/sudan/sign-in"
    assert "turned off" in (await client.get("/sudan/sign-in")).text

    with tenant_scope(sudan):
        async with session_factory() as db:
            events = list(await db.scalars(select(AuditEvent).where(
                AuditEvent.object_id == str(idp_id)).order_by(AuditEvent.created_at)))
    assert [e.action for e in events] == ["sso.provider_created", "sso.provider_changed",
                                          "sso.provider_changed", "sso.provider_disabled"]
    trail = json.dumps([[e.before, e.after] for e in events])
    assert SECRET not in trail and "a-new-secret-99" not in trail


async def test_admin_form_refuses_bad_input_with_messages(client, missions, session_factory,
                                                          settings, provider):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    await _as_mission_admin(client, session_factory, sudan)
    unicef = await agency_id(session_factory, sudan, "unicef")
    mozambique_unhcr = await agency_id(session_factory, mozambique, "unhcr")
    cases = [
        ({"issuer": "not a web address"}, "issuer", "starting with https://"),
        ({"issuer": "http://login.example.org"}, "issuer", "starting with https://"),
        ({"issuer": "https://login.example.org/?tenant=x"}, "issuer", "question mark"),
        ({"issuer": "http://127.0.0.1:9"}, "issuer", "No OpenID provider answered"),
        ({"issuer": provider.issuer + "/"}, "issuer", "The provider calls itself"),
        ({"client_id": "  "}, "client_id", "Enter the client ID"),
        ({"client_secret": ""}, "client_secret", "Enter the client secret"),
        ({"name": ""}, "name", "Enter a name"),
        ({"allowed_domains": "unicef.org, not a domain!"}, "allowed_domains",
         "is not a domain name"),
        ({"allowed_domains": ""}, "allowed_domains", "Enter at least one email domain"),
        ({"default_role": "mission_admin"}, "default_role", "Choose one of the roles listed"),
        ({"default_role": "wizard"}, "default_role", "Choose one of the roles listed"),
        ({"partner_agency_id": str(mozambique_unhcr)}, "partner_agency_id",
         "Choose one of this mission&#39;s partner agencies"),
        ({"partner_agency_id": "not-an-id"}, "partner_agency_id",
         "Choose one of this mission&#39;s partner agencies"),
        ({"partner_agency_id": ""}, "partner_agency_id", "belong to a partner agency"),
    ]
    before = await count(session_factory, sudan, IdentityProvider)
    for change, field, message in cases:
        response = await _post(client, "/sudan/admin/sso",
                               **_valid_form(provider.issuer, unicef, **change))
        assert response.status_code == 400, (change, response.status_code)
        assert f'id="e-{field}"' in response.text and message in response.text, change
        assert SECRET not in response.text, change
    assert await count(session_factory, sudan, IdentityProvider) == before

    # The same rules when editing; nothing changes on a refusal.
    created = await _post(client, "/sudan/admin/sso",
                          **_valid_form(provider.issuer, unicef, name="UNICEF form test"))
    assert created.status_code == 303
    path = created.headers["location"]
    refused = await _post(client, path, **_valid_form(provider.issuer, unicef,
                                                      name="Renamed", default_role="root"))
    assert refused.status_code == 400 and "Choose one of the roles listed" in refused.text
    clash = await _post(client, "/sudan/admin/sso",
                        **_valid_form(provider.issuer, unicef, name="UNICEF form test"))
    assert clash.status_code == 400 and "has this name" in clash.text
    with tenant_scope(sudan):
        async with session_factory() as db:
            assert (await db.get(IdentityProvider, uuid.UUID(path.rsplit("/", 1)[1]))).name \
                == "UNICEF form test"


@pytest.mark.parametrize("role", [None, "expert", "partner_user", "staff", "mission_admin"])
async def test_only_mission_admins_reach_the_sso_pages(client, missions, session_factory,
                                                       settings, provider, role):
    sudan = missions["sudan"]
    idp_id = await make_idp(session_factory, settings, sudan, provider.issuer)
    if role is not None:
        user = await make_user(session_factory, sudan, role)
        assert (await sign_in(client, sudan, user.email)).status_code == 303
    for path in ("/sudan/admin/sso", f"/sudan/admin/sso/{idp_id}"):
        got = await client.get(path, follow_redirects=False)
        posted = await _post(client, path, action="disable")
        if role is None:
            for response in (got, posted):
                assert response.status_code == 303
                assert response.headers["location"].startswith(
                    "/sudan/sign-in?next=/sudan/admin/sso")
        elif role == "mission_admin":
            assert got.status_code == 200
            assert posted.status_code in (303, 400)
        else:
            assert got.status_code == 403 and posted.status_code == 403
    with tenant_scope(sudan):
        async with session_factory() as db:
            assert (await db.get(IdentityProvider, idp_id)).enabled is (role != "mission_admin")
