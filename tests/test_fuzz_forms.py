"""Fuzzing that reaches the bad field (issue 18): every form the portal shows, found by
walking the app's route table (so a new form is fuzzed without anyone adding it here), is
sent back as the page filled it, with ONE field at a time replaced by a generated value;
every filter form (GET) the same way. Nothing may answer 5xx, and a refused submission
(4xx) may write nothing: the row count of every table is the same before and after.

The values come from hypothesis (a fixed seed: the same inputs every run). The suite runs
a fast subset; `FUZZ_VALUES=40 pytest tests/test_fuzz_forms.py -s` runs the full sweep
(over 10,000 inputs) and prints its figures.
"""

from __future__ import annotations

import inspect
import os
import re
from collections import Counter
from dataclasses import dataclass, field

import asyncpg
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from litestar.routes import HTTPRoute

from app.accounts.services import start_session
from app.core.actor import Actor
from tenants.context import tenant_scope
from tests.accounts_helpers import make_user, use_session
from tests.html import parse
from tests.isolation import ISOLATION_CASES, a_partner_agency, fill
from tests.request_helpers import make_institution
from tests.test_authorization import ACCESS, EVERYONE, PROBES

M = "/{mission_slug:str}"
# Every field gets the core values; the full run adds FUZZ_VALUES generated ones per field.
GENERATED_PER_FIELD = int(os.environ.get("FUZZ_VALUES", "0"))
# Who looks for forms, in this order: the first role a page admits shows its forms.
ACTORS = ("mission_admin", "staff", "expert", "institution_focal_point", "partner_user",
          "anonymous")
# Forms that end the fuzzing actor's own session or language, not input to test.
SKIPPED_ACTIONS = re.compile(r"/(sign-out|lang)$")
# Tables a refused submission may write to on purpose: the audit trail of refusals that
# matter (failed sign-ins) and the throttling counts.
MAY_GROW_WHEN_REFUSED = {"audit_events", "sign_in_failures"}

# What breaks forms most often, tried on every field: a NUL byte, a very long text, a
# negative number, an impossible date, text in another script, a malformed id.
CORE = ["\x00", "x" * 5000, "-1", "2026-02-30", "🙂١٢٣" * 30, "not-a-uuid"]
TRICKY = ["", " ", "\x00", "a\x00b", "\x1b[31m", "-1", "0", "1e309", "NaN", "99999999999999999999",
          "2026-02-30", "0000-00-00", "9999-12-31", "1900-01-01", "<script>alert(1)</script>",
          "' OR 1=1 --", "../../etc/passwd", "x" * 5000, "🙂" * 50, "١٢٣", "\u202eevil",
          "00000000-0000-0000-0000-000000000000", "not-a-uuid", "%00", "on", "true", "[]", "{}"]


def generated_values(count: int) -> list[str]:
    """`count` values drawn by hypothesis with a fixed seed: text of every kind (control
    characters, other scripts, long), numbers, dates and the tricky cases above."""
    drawn: list[str] = []
    strategy = st.one_of(
        st.sampled_from(TRICKY),
        st.text(max_size=80),
        st.text(st.characters(codec="utf-8"), min_size=1, max_size=400),
        st.integers().map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        st.dates().map(str),
        st.uuids().map(str),
    )

    @settings(max_examples=count, derandomize=True, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), deadline=None)
    @given(strategy)
    def collect(value: str) -> None:
        drawn.append(value)

    collect()
    return drawn


@dataclass
class Form:
    page: str
    method: str
    action: str
    fields: list[tuple[str, str]]  # as the page filled them, in order (names may repeat)
    actor: str


@dataclass
class Sweep:
    inputs: int = 0
    forms: set[str] = field(default_factory=set)
    statuses: Counter = field(default_factory=Counter)
    server_errors: list[tuple[str, str, str, str, int]] = field(default_factory=list)
    partial_writes: list[tuple[str, str, str, dict]] = field(default_factory=list)


def forms_on(body: str, page: str, actor: str) -> list[Form]:
    """The forms of a page with the values it filled in (what a browser would send)."""
    forms = []
    for node in parse(body).css("form"):
        if "multipart" in (node.attributes.get("enctype") or ""):
            continue  # file forms: the upload tests and the import limits cover them
        method = (node.attributes.get("method") or "get").upper()
        action = node.attributes.get("action") or page.split("?")[0]
        if SKIPPED_ACTIONS.search(action) or not action.startswith("/"):
            continue
        fields: list[tuple[str, str]] = []
        for element in node.css("input, select, textarea"):
            name = element.attributes.get("name")
            if not name:
                continue
            kind = (element.attributes.get("type") or "text").lower()
            if element.tag == "select":
                chosen = element.css_first("option[selected]") or element.css_first("option")
                fields.append((name, (chosen.attributes.get("value") or chosen.text())
                               if chosen else ""))
            elif element.tag == "textarea":
                fields.append((name, element.text()))
            elif kind in ("checkbox", "radio"):
                if "checked" in element.attributes:
                    fields.append((name, element.attributes.get("value") or "on"))
            elif kind not in ("submit", "button", "file", "image", "reset"):
                fields.append((name, element.attributes.get("value") or ""))
        forms.append(Form(page, method, action, fields, actor))
    return forms


def _route_of(action: str) -> str | None:
    """The route template an action URL belongs to (for its valid form in PROBES)."""
    for method, template in PROBES:
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", template)
        if method == "POST" and re.fullmatch(pattern, action.split("?")[0]):
            return template
    return None


def valid_base(form: Form) -> list[tuple[str, str]]:
    """The page's values, with the authorization matrix's valid form for the route laid
    over them where it has one: the fuzzed field then sits in an otherwise valid form, so
    its value reaches the rules behind the first check."""
    template = _route_of(form.action) if form.method == "POST" else None
    probe = PROBES.get(("POST", template)) if template else None
    if probe is None or probe.invalid or probe.form is None or probe.status is not None:
        return form.fields
    valid = probe.form() if callable(probe.form) else probe.form
    kept = [(n, v) for n, v in form.fields if n not in valid]
    return kept + list(valid.items())


def mission_get_pages(app) -> list[str]:
    return sorted(r.path for r in app.routes if isinstance(r, HTTPRoute)
                  and r.path.startswith(M) and "GET" in r.methods)


@pytest.fixture
async def actors(missions, session_factory, settings):
    """A session per role in Sudan: the focal point's institution and the partner user's
    agency are real ones."""
    sudan = missions["sudan"]
    async with session_factory() as db:
        institution = await make_institution(db, sudan, name="Fuzz Water Authority")
        agency_id = await a_partner_agency(db, sudan)
    sessions: dict[str, str | None] = {"anonymous": None}
    for role in ACTORS[:-1]:
        user = await make_user(session_factory, sudan, role,
                               host_institution_id=institution.id
                               if role == "institution_focal_point" else None,
                               partner_agency_id=agency_id if role == "partner_user" else None)
        with tenant_scope(sudan):
            async with session_factory() as db:
                sessions[role] = await start_session(db, sudan, user, Actor(ip="127.0.0.1"),
                                                     settings, "fuzz")
    return sessions, institution.id


async def _row_counts(conn: asyncpg.Connection, tables: list[str]) -> dict[str, int]:
    query = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in tables)
    return {name: count for name, count in await conn.fetch(query)}


async def discover(app, client, missions, session_factory, sessions, institution_id) -> list[Form]:
    """Every form on every mission page the first admitting role can open: pages without
    an object, and each object page with an object made for it."""
    sudan, found = missions["sudan"], []
    for path in mission_get_pages(app):
        allowed = ACCESS.get(("GET", path))
        if allowed is None:
            continue
        actor = next((role for role in ACTORS if allowed == EVERYONE or role in allowed), None)
        if actor is None:
            continue
        params: dict[str, object] = {"mission_slug": "sudan"}
        if path.replace(M, "").count("{"):
            case = ISOLATION_CASES.get(path)
            if case is None:
                continue
            actor = case.role or "anonymous"
            kwargs = {"institution_id": institution_id} if actor == "institution_focal_point" \
                and "institution_id" in inspect.signature(case.factory).parameters else {}
            use_session(client, sessions[actor])
            async with session_factory() as db:
                try:
                    params[case.param] = await case.factory(db, sudan, **kwargs)
                except Exception:  # an object this role cannot be given: not fuzzed
                    continue
            params.update(dict(case.fixed))
        url = fill(path, **params)
        if "{" in url:
            continue
        use_session(client, sessions[actor])
        response = await client.get(url, follow_redirects=False)
        if response.status_code == 200 and "text/html" in response.headers.get(
                "content-type", ""):
            found += forms_on(response.text, url, actor)
    return found


async def test_every_form_refuses_bad_input_without_a_5xx_or_a_partial_write(
        app, client, missions, session_factory, superuser, actors):
    sessions, institution_id = actors
    forms = await discover(app, client, missions, session_factory, sessions, institution_id)
    assert len({(f.method, f.action.split("?")[0]) for f in forms}) >= 40, \
        "the sweep found fewer forms than the portal has: is discovery broken?"
    generated = generated_values(GENERATED_PER_FIELD * 50) if GENERATED_PER_FIELD else []
    conn = superuser  # every mission's rows, whatever row-level security says
    try:
        tables = [r["tablename"] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename NOT LIKE 'procrastinate%' ORDER BY tablename")]
        sweep = Sweep()
        for number, form in enumerate(forms):
            use_session(client, sessions[form.actor])
            sweep.forms.add(f"{form.method} {form.action}")
            base = valid_base(form)
            names = [n for n, _ in base if not n.startswith("_csrf")]
            for position, name in enumerate(dict.fromkeys(names)):
                start = (number * 31 + position * 7) * GENERATED_PER_FIELD
                for value in CORE + [generated[(start + k) % len(generated)]
                                     for k in range(GENERATED_PER_FIELD)]:
                    sent = [(n, value if n == name else v) for n, v in base]
                    before = await _row_counts(conn, tables) if form.method == "POST" else {}
                    if form.method == "POST":
                        response = await client.post(form.action, data=_as_form(sent),
                                                     follow_redirects=False)
                    else:
                        response = await client.get(form.action, params=sent,
                                                    follow_redirects=False)
                    sweep.inputs += 1
                    sweep.statuses[response.status_code // 100 * 100] += 1
                    if response.status_code >= 500:
                        sweep.server_errors.append((form.method, form.action, name,
                                                    value[:60], response.status_code))
                    elif form.method == "POST" and 400 <= response.status_code < 500:
                        after = await _row_counts(conn, tables)
                        grown = {t: after[t] - before.get(t, 0) for t in after
                                 if after[t] != before.get(t, 0)
                                 and t not in MAY_GROW_WHEN_REFUSED}
                        if grown:
                            sweep.partial_writes.append((form.action, name, value[:40], grown))
    finally:
        use_session(client, None)
    print(f"\nfuzz: {sweep.inputs} inputs over {len(sweep.forms)} forms "
          f"({len(CORE)} + {GENERATED_PER_FIELD} generated values per field); answers "
          f"{dict(sweep.statuses)}")
    assert not sweep.server_errors, sweep.server_errors[:20]
    assert not sweep.partial_writes, sweep.partial_writes[:20]


def _as_form(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Repeated names (checkbox groups) stay repeated, as a browser sends them."""
    form: dict[str, list[str]] = {}
    for name, value in fields:
        form.setdefault(name, []).append(value)
    return form
