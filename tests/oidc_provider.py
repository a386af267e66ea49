"""A real OpenID provider for the tests: oidc-provider-mock, served in-process on 127.0.0.1
(a free port) by werkzeug in a thread, behind a small WSGI wrapper that can record what
the portal sends and play a man in the middle (re-sign the ID token, publish other keys).
Only the package's public API is used: app(), its HTTP endpoints and PUT /users/<sub>.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

# authlib's server side refuses plain http unless this is set; run_server_in_thread does not
# set it (only the mock's command line does).
os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"

import httpx  # noqa: E402
import oidc_provider_mock  # noqa: E402
import werkzeug.serving  # noqa: E402
from joserfc import jwt  # noqa: E402
from joserfc.jwk import KeySet, RSAKey  # noqa: E402

logging.getLogger("werkzeug").setLevel(logging.ERROR)
logging.getLogger("oidc_provider_mock").setLevel(logging.ERROR)


@dataclass
class Tampering:
    """What the wrapper does to the provider's answers; the tests switch it per case."""

    # Re-sign every ID token with this key (keeping the provider's header and claims).
    resign_id_token_with: RSAKey | None = None
    # ... naming this key id in the header (e.g. the provider's own, to look genuine).
    resign_kid: str | None = None
    # Publish these keys at the JWKS address instead of the provider's own.
    publish_keys: KeySet | None = None
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def reset(self) -> None:
        self.resign_id_token_with = None
        self.resign_kid = None
        self.publish_keys = None
        self.token_requests.clear()


class _Wrapper:
    def __init__(self, app, tampering: Tampering):
        self.app = app
        self.tampering = tampering

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/jwks" and self.tampering.publish_keys is not None:
            body = json.dumps(self.tampering.publish_keys.as_dict(private=False)).encode()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        if path == "/oauth2/token" and environ.get("REQUEST_METHOD") == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(size)
            environ["wsgi.input"] = io.BytesIO(raw)
            self.tampering.token_requests.append(
                {k: v[0] for k, v in parse_qs(raw.decode()).items()})
            if self.tampering.resign_id_token_with is not None:
                return self._resigned(environ, start_response)
        return self.app(environ, start_response)

    def _resigned(self, environ, start_response):
        captured = {}

        def keep(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers

        body = b"".join(self.app(environ, keep))
        if captured["status"].startswith("200"):
            payload = json.loads(body)
            header_b64, claims_b64, _sig = payload["id_token"].split(".")
            header = json.loads(_b64decode(header_b64))
            claims = json.loads(_b64decode(claims_b64))
            if self.tampering.resign_kid:
                header["kid"] = self.tampering.resign_kid
            payload["id_token"] = jwt.encode(header, claims, self.tampering.resign_id_token_with)
            body = json.dumps(payload).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@dataclass
class Provider:
    issuer: str
    tampering: Tampering

    async def set_user(self, sub: str, **claims) -> None:
        async with httpx.AsyncClient(timeout=5) as http:
            response = await http.put(f"{self.issuer}/users/{sub}", json=claims)
            assert response.status_code == 204, response.text

    async def sign_in(self, authorization_url: str, sub: str) -> str:
        """Do what a browser does at the provider: open the login form, send it with the
        subject, and return where the provider redirects back to."""
        async with httpx.AsyncClient(timeout=5, follow_redirects=False) as http:
            form = await http.get(authorization_url)
            assert form.status_code == 200 and 'name="sub"' in form.text, form.text[:300]
            answer = await http.post(authorization_url, data={"sub": sub})
            assert answer.status_code == 302, answer.text[:300]
            return answer.headers["location"]

    async def public_keys(self) -> KeySet:
        async with httpx.AsyncClient(timeout=5) as http:
            meta = (await http.get(f"{self.issuer}/.well-known/openid-configuration")).json()
            return KeySet.import_key_set((await http.get(meta["jwks_uri"])).json())


@contextlib.contextmanager
def running_provider() -> Iterator[Provider]:
    tampering = Tampering()
    server = werkzeug.serving.make_server(
        "127.0.0.1", 0, _Wrapper(oidc_provider_mock.app(), tampering), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield Provider(issuer=f"http://127.0.0.1:{server.server_port}", tampering=tampering)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(2)


def path_of(url: str) -> str:
    """The path and query of an absolute URL, for the portal's test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
