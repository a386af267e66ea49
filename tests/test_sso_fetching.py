"""What single sign-on lets the server fetch (issue 18, finding 7): provider metadata and
keys only from public https hosts, a host named in PORTAL_SSO_TEST_HOSTS excepted in
debug mode only, within a size limit, and cached for a while."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.accounts import sso
from app.config import load_settings
from tests.oidc_provider import running_provider

pytestmark = pytest.mark.usefixtures("in_english")


@pytest.mark.parametrize("url", [
    "http://login.example.org", "https://127.0.0.1", "https://localhost:8443",
    "https://10.0.0.7", "https://192.168.1.1/x", "https://172.16.0.1", "https://[::1]",
    "https://169.254.169.254/latest/meta-data", "https://[fe80::1]", "https://0.0.0.0",
    "https://100.64.0.1", "https://224.0.0.1", "http://127.0.0.1:8080",
])
async def test_internal_and_plain_http_addresses_are_refused(url):
    assert await sso.fetch_problem(url) is not None
    with pytest.raises(sso.DiscoveryFailed):
        await sso.discover(url)


async def test_a_named_test_host_is_exempt_in_debug_only():
    base = load_settings()
    named = replace(base, sso_test_hosts=("127.0.0.1",))
    assert sso.test_hosts(replace(named, debug=True)) == ("127.0.0.1",)
    assert sso.test_hosts(replace(named, debug=False)) == ()
    exempt = sso.test_hosts(replace(named, debug=True))
    assert await sso.fetch_problem("http://127.0.0.1:8080/x", exempt) is None
    assert await sso.fetch_problem("http://10.0.0.7/x", exempt) is not None


async def test_metadata_is_cached_for_a_while():
    sso._fetched.clear()
    with running_provider() as provider:
        exempt = ("127.0.0.1",)
        first = await sso.discover(provider.issuer, exempt)
        keys_uri = first.jwks_uri
        await sso._signing_keys("Test", keys_uri, exempt)
    # The provider is gone: within the cache's lifetime nothing is fetched again.
    assert await sso.discover(provider.issuer, exempt) == first
    assert await sso._signing_keys("Test", keys_uri, exempt)
    sso._fetched.clear()
    with pytest.raises(sso.DiscoveryFailed):
        await sso.discover(provider.issuer, exempt)


async def test_an_oversized_answer_is_refused(monkeypatch):
    sso._fetched.clear()
    monkeypatch.setattr(sso, "MAX_FETCH_BYTES", 100)
    with running_provider() as provider, pytest.raises(sso.DiscoveryFailed):
        await sso.discover(provider.issuer, ("127.0.0.1",))
    sso._fetched.clear()
