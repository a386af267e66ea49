"""Headers and the client's address (issue 18, findings 5 and 9): HSTS outside debug,
no-store on every page and export with personal data, X-Forwarded-For believed only from
the proxies named in PORTAL_TRUSTED_PROXIES (default: none)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from app.accounts.models import SignInFailure
from app.config import load_settings
from app.main import create_app
from tests.accounts_helpers import sign_out, signed_in
from tests.conftest import csrf_token

pytestmark = pytest.mark.usefixtures("in_english")


async def test_no_hsts_in_debug_and_no_store_on_pages(client, missions, session_factory):
    sudan = missions["sudan"]
    r = await client.get(f"/{sudan.slug}/sign-in")
    assert "strict-transport-security" not in r.headers  # the tests run in debug mode
    assert r.headers["cache-control"] == "no-store"
    await signed_in(client, session_factory, sudan, "mission_admin")
    for path in ("experts", "institutions", "experts/export.csv", "account"):
        page = await client.get(f"/{sudan.slug}/{path}")
        assert page.status_code == 200, path
        assert "no-store" in page.headers["cache-control"], path
    missing = await client.get(f"/{sudan.slug}/no-such-page")
    assert missing.headers["cache-control"] == "no-store"
    await sign_out(client, sudan)


async def test_static_files_are_not_marked_no_store(client, missions):
    r = await client.get("/static/css/portal.css")
    assert r.status_code == 200
    assert r.headers.get("cache-control") != "no-store"


async def test_hsts_when_not_in_debug(database, settings, missions, search_dir):
    app = create_app(database.urls.app, replace(settings, debug=False,
                                                search_root=str(search_dir)))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        r = await c.get("/sudan/sign-in")
        assert r.headers["strict-transport-security"].startswith("max-age=")
        assert r.headers["cache-control"] == "no-store"


async def _fail_sign_in(c, address: str) -> None:
    token = await csrf_token(c, "/sudan/sign-in")
    await c.post("/sudan/sign-in", data={"email": address, "password": "wrong one here",
                                         "_csrf_token": token},
                 headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.9"},
                 follow_redirects=False)


async def _failure_ip(session_factory, address: str) -> str:
    async with session_factory() as db:
        return (await db.scalars(select(SignInFailure.ip)
                                 .where(SignInFailure.email == address))).one()


async def test_forwarded_for_is_ignored_without_trusted_proxies(client, missions,
                                                                session_factory):
    await _fail_sign_in(client, "forwarded-untrusted@example.org")
    assert await _failure_ip(session_factory, "forwarded-untrusted@example.org") == "testclient"


async def test_forwarded_for_is_read_from_a_trusted_proxy(database, settings, missions,
                                                          session_factory, search_dir):
    # The test client's connection comes from "testclient": named as the proxy here.
    app = create_app(database.urls.app, replace(settings, trusted_proxies=("testclient",),
                                                search_root=str(search_dir)))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        await _fail_sign_in(c, "forwarded-trusted@example.org")
    # The right-most address that is not a trusted proxy: what the proxy saw.
    assert await _failure_ip(session_factory, "forwarded-trusted@example.org") == "203.0.113.9"


def test_trusted_proxies_from_the_environment(monkeypatch):
    monkeypatch.setenv("PORTAL_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/24")
    assert load_settings().trusted_proxies == ("10.0.0.5", "10.1.0.0/24")
    monkeypatch.delenv("PORTAL_TRUSTED_PROXIES")
    assert load_settings().trusted_proxies == ()


def test_trusted_networks():
    from app.web.context import _trusted
    assert _trusted("10.1.0.77", ("10.1.0.0/24",))
    assert not _trusted("10.1.1.77", ("10.1.0.0/24",))
    assert not _trusted("127.0.0.1", ())
