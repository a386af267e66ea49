"""What a request costs the portal before its handler does any work of its own.

Every request first resolves the mission from the URL, the session cookie and the
membership (app/accounts/context.py). This benchmark serves three kinds of request
in-process (no network, no server) against a throw-away database:

- a public page, anonymous (the mission's home page);
- the same page, signed in as a programme officer;
- an htmx keystroke of the registry search, signed in (only the results block comes back);

and for each prints the median and 95th-percentile time per request, the database sessions
(pool checkouts) and SQL statements per request, and the ratio of the median to a baseline
measured in the same run: a minimal Litestar app rendering a small Jinja2 page through the
same test client. The counts are exact and do not depend on the machine; the times do.

    .venv/bin/python bench/request_overhead.py [--requests 300]

It runs against older commits too (it only uses what the app had from the start), to
compare before and after a change: copy it into a worktree of the old commit and run it
there with this venv's Python and PYTHONPATH set to that worktree (the venv's editable
install would otherwise import this checkout's app).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import secrets
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from jinja2 import DictLoader, Environment  # noqa: E402
from litestar import Litestar, get  # noqa: E402
from litestar.contrib.jinja import JinjaTemplateEngine  # noqa: E402
from litestar.response import Template  # noqa: E402
from litestar.template.config import TemplateConfig  # noqa: E402
from litestar.testing import AsyncTestClient  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.pool import Pool  # noqa: E402

from app.accounts.models import Membership, User, UserSession  # noqa: E402
from app.main import create_app  # noqa: E402
from tenants.context import tenant_scope  # noqa: E402

from scratch_database import scratch_database  # noqa: E402  (puts the project on sys.path)

HOST = "testserver.local"


class Counter:
    """Pool checkouts (database sessions that reached a connection) and SQL statements."""

    def __init__(self) -> None:
        self.checkouts = self.statements = 0
        event.listen(Pool, "checkout", self._checkout)
        event.listen(Engine, "before_cursor_execute", self._statement)

    def _checkout(self, *args) -> None:
        self.checkouts += 1

    def _statement(self, *args) -> None:
        self.statements += 1


def baseline_app() -> Litestar:
    """The framework alone: one route rendering a small template with a little context."""
    env = Environment(loader=DictLoader({"page.html": (
        "<!doctype html><html lang='{{ lang }}'><title>{{ title }}</title><body><h1>{{ title }}"
        "</h1><ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ul></body></html>")}),
        autoescape=True)

    @get("/")
    async def home() -> Template:
        return Template("page.html", context={"lang": "en", "title": "Missions",
                                              "items": ["Sudan", "Mozambique"]})

    return Litestar([home], template_config=TemplateConfig(
        instance=JinjaTemplateEngine.from_environment(env)))


async def officer_session(scratch) -> str:
    """A programme officer of the mission with a live session; the cookie's value."""
    token = secrets.token_urlsafe(32)
    moment = datetime.now(UTC)
    async with scratch.factory() as db:
        user = User(email=f"officer-{secrets.token_hex(4)}@example.org", name="Bench Officer",
                    preferred_locale="en", password_hash="-", status="active",
                    email_verified_at=moment, is_platform_admin=False)
        db.add(user)
        await db.flush()
        db.add(UserSession(token_hash=hashlib.sha256(token.encode()).hexdigest(),
                           user_id=user.id, last_seen_at=moment,
                           expires_at=moment + timedelta(hours=8), ip="127.0.0.1",
                           user_agent="bench"))
        await db.commit()
    with tenant_scope(scratch.tenant):
        async with scratch.factory() as db:
            db.add(Membership(tenant_id=scratch.tenant.id, user_id=user.id, role="staff",
                              status="active"))
            await db.commit()
    return token


async def measure(send: Callable[[], Awaitable[int]], n: int,
                  counter: Counter | None = None) -> dict:
    for _ in range(min(20, n)):  # warm caches (templates, the mission list, the pool)
        assert await send() == 200
    before = (counter.checkouts, counter.statements) if counter else (0, 0)
    times = []
    for _ in range(n):
        started = time.perf_counter()
        status = await send()
        times.append(time.perf_counter() - started)
        assert status == 200, status
    times.sort()
    figures = {"median_ms": statistics.median(times) * 1000,
               "p95_ms": times[int(len(times) * 0.95) - 1] * 1000}
    if counter:
        figures["sessions"] = (counter.checkouts - before[0]) / n
        figures["statements"] = (counter.statements - before[1]) / n
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    load = os.getloadavg()
    async with AsyncTestClient(app=baseline_app()) as plain:
        async def framework() -> int:
            return (await plain.get("/")).status_code
        baseline = await measure(framework, args.requests)

    async with scratch_database("request_overhead") as scratch:
        settings = replace(scratch.settings, allowed_hosts=(HOST,), debug=True,
                           secret_key="bench-secret-key", search_backend="embedded")
        token = await officer_session(scratch)
        counter = Counter()
        slug = scratch.tenant.slug
        async with AsyncTestClient(app=create_app(scratch.urls.app, settings),
                                   base_url=f"http://{HOST}") as client:
            async def public() -> int:
                client.cookies.clear()
                return (await client.get(f"/{slug}/")).status_code

            async def signed_in() -> int:
                client.cookies.set("session", token, domain=HOST)
                return (await client.get(f"/{slug}/")).status_code

            async def keystroke() -> int:
                client.cookies.set("session", token, domain=HOST)
                return (await client.get(f"/{slug}/search", params={"q": "water"}, headers={
                    "HX-Request": "true", "HX-Target": "search-results"})).status_code

            rows = [("public page, anonymous", await measure(public, args.requests, counter)),
                    ("same page, signed in", await measure(signed_in, args.requests, counter)),
                    ("htmx search keystroke", await measure(keystroke, args.requests, counter))]

    print(f"request overhead: {args.requests} requests each, in-process "
          f"(load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})")
    print(f"  baseline (Litestar + Jinja2, one small page): median {baseline['median_ms']:.2f} ms")
    print(f"  {'request':<26}{'median ms':>10}{'p95 ms':>9}{'x baseline':>12}"
          f"{'db sessions':>13}{'statements':>12}")
    for name, f in rows:
        print(f"  {name:<26}{f['median_ms']:>10.2f}{f['p95_ms']:>9.2f}"
              f"{f['median_ms'] / baseline['median_ms']:>12.1f}{f['sessions']:>13.2f}"
              f"{f['statements']:>12.2f}")


if __name__ == "__main__":
    asyncio.run(main())
