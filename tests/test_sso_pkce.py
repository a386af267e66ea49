"""Single sign-on against a certified provider that enforces PKCE (issue 18): the npm
package oidc-provider run by Node.js (tests/oidc_node_provider.py), alongside the Python
mock of tests/test_sso.py, which does not check PKCE. The portal signs a partner user in
through it; a request without the code challenge, or a token request with another
verifier, is refused by the provider and leaves nobody signed in."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from sqlalchemy import select, update

from app.accounts import sso
from app.accounts.models import Membership, User
from app.accounts.sso_models import SsoLoginState
from app.i18n import LANGUAGE_COOKIE
from tenants.context import tenant_scope
from tests.accounts_helpers import use_session
from tests.html import select_text
from tests.oidc_node_provider import running_node_provider
from tests.oidc_provider import path_of
from tests.test_sso import SECRET, agency_id, assert_no_session, make_idp, start


@pytest.fixture(scope="module")
def node_provider():
    with running_node_provider(SECRET) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh_browser(client):
    sso._fetched.clear()
    use_session(client, None)
    client.cookies.set(LANGUAGE_COOKIE, "en", domain="testserver.local", path="/")
    yield
    use_session(client, None)


def _without_pkce(url: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()
             if k not in ("code_challenge", "code_challenge_method")}
    return urlunsplit(parts._replace(query=urlencode(query)))


async def test_a_partner_user_signs_in_through_a_provider_that_enforces_pkce(
        client, missions, session_factory, settings, node_provider):
    sudan = missions["sudan"]
    idp_id = await make_idp(session_factory, settings, sudan, node_provider.issuer,
                            name="UNHCR certified")
    url = await start(client, sudan, idp_id, "/sudan/account")
    assert "code_challenge=" in url and "code_challenge_method=S256" in url
    back = await node_provider.sign_in(url, "fatima.idris")
    assert back.startswith(f"http://testserver.local/sudan/sso/{idp_id}/callback?code="), back
    response = await client.get(path_of(back), follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == "/sudan/account" and response.cookies.get("session")
    assert "Node fatima.idris" in (await client.get("/sudan/account")).text
    async with session_factory() as db:
        user = await db.scalar(select(User).where(User.email == "fatima.idris@unhcr.org"))
    with tenant_scope(sudan):
        async with session_factory() as db:
            membership = await db.scalar(select(Membership).where(
                Membership.tenant_id == sudan.id, Membership.user_id == user.id))
    assert membership.role == "partner_user"
    assert membership.partner_agency_id == await agency_id(session_factory, sudan, "unhcr")


async def test_a_request_without_the_code_challenge_is_refused_by_the_provider(
        client, missions, session_factory, settings, node_provider):
    sudan = missions["sudan"]
    idp_id = await make_idp(session_factory, settings, sudan, node_provider.issuer,
                            name="Strict provider")
    back = await node_provider.sign_in(_without_pkce(await start(client, sudan, idp_id)),
                                       "no.pkce")
    assert "error=invalid_request" in back and "PKCE" in back
    response = await client.get(path_of(back), follow_redirects=False)
    assert response.status_code == 400
    assert select_text(response.text, ".error-detail") == (
        "Strict provider could not sign you in. Start again from the sign-in page.")
    assert_no_session(response)


async def test_a_token_request_with_another_verifier_is_refused(
        client, missions, session_factory, settings, node_provider):
    sudan = missions["sudan"]
    idp_id = await make_idp(session_factory, settings, sudan, node_provider.issuer,
                            name="Verifier check")
    url = await start(client, sudan, idp_id)
    state = parse_qs(urlsplit(url).query)["state"][0]
    # As if the code had been stolen and redeemed by someone without the verifier.
    with tenant_scope(sudan):
        async with session_factory() as db:
            await db.execute(update(SsoLoginState).where(SsoLoginState.state == state)
                             .values(code_verifier="x" * 64))
            await db.commit()
    back = await node_provider.sign_in(url, "stolen.code")
    response = await client.get(path_of(back), follow_redirects=False)
    assert response.status_code == 400
    assert select_text(response.text, ".error-detail") == (
        "Verifier check refused to complete the sign-in. Start again from the sign-in page.")
    assert_no_session(response)
    async with session_factory() as db:
        assert await db.scalar(select(User).where(User.email == "stolen.code@unhcr.org")) is None
