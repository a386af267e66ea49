"""The certified OpenID provider (npm oidc-provider, tests/fixtures/oidc_provider.mjs) run
by the machine's Node.js on 127.0.0.1, a free port, for the tests that need a provider
which enforces PKCE. `sign_in` plays the person at its login and consent pages."""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "fixtures" / "oidc_provider.mjs"
REDIRECT_PREFIX = "http://testserver.local/sudan/sso/"


@dataclass(frozen=True)
class NodeProvider:
    issuer: str

    async def sign_in(self, authorization_url: str, login: str) -> str:
        """Follows the provider from the authorization request to its answer, filling the
        login and consent forms: the address it sends the browser back to."""
        async with httpx.AsyncClient(timeout=10, follow_redirects=False) as http:
            response = await http.get(authorization_url)
            for _ in range(10):
                location = response.headers.get("location")
                if location and not location.startswith(self.issuer) \
                        and not location.startswith("/"):
                    return location  # back to the portal
                if location:
                    response = await http.get(urljoin(self.issuer, location))
                    continue
                assert response.status_code == 200, (response.status_code, response.text[:300])
                action = re.search(r'<form[^>]*action="([^"]+)"', response.text)
                assert action, response.text[:300]
                fields = {}
                for attributes in re.findall(r"<input([^>]*)>", response.text):
                    name = re.search(r'name="([^"]+)"', attributes)
                    value = re.search(r'value="([^"]*)"', attributes)
                    if name:
                        fields[name.group(1)] = value.group(1) if value else (
                            login if name.group(1) == "login" else "any password")
                response = await http.post(urljoin(self.issuer, action.group(1)), data=fields)
        raise AssertionError("the provider never sent the browser back")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_node_provider(client_secret: str) -> Iterator[NodeProvider]:
    port = _free_port()
    process = subprocess.Popen(["node", str(SCRIPT), str(port), REDIRECT_PREFIX, client_secret],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    try:
        assert process.stdout is not None
        for line in process.stdout:  # its warnings first, then "ready <issuer>"
            if line.startswith("ready "):
                break
        else:
            raise RuntimeError(f"oidc-provider did not start (exit {process.wait()})")
        # Whatever it prints later is read away, so it never blocks on a full pipe.
        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield NodeProvider(issuer=f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=10)
