"""Issue 20: no internal code reaches a person. Every role of the demo walks every page it can
reach from its mission home (following links, a couple of pages of each kind), in every
language of the mission, and no state, action, purpose or other code may appear as text:
each goes through its domain's labels function."""

from __future__ import annotations

import re
from collections import Counter, deque
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.assignment_requests import labels as request_labels
from app.assignment_requests import states as request_states
from app.assignment_requests.models import PRIORITIES, REQUEST_STATUSES
from app.assignments import states as assignment_states
from app.assignments.models import ASSIGNMENT_STATUSES, EVALUATION_CRITERIA, REVIEW_STATUSES
from app.audit.services import record
from app.core.actor import Actor
from app.core.roles import permissions_for
from app.demo import DEMO_PASSWORD, seed_demo
from app.experts import states as expert_states
from app.experts.models import CONSENT_PURPOSES, MODALITIES, PROFILE_STATUSES, ExpertProfile
from app.i18n import translations
from app.institutions.models import INSTITUTION_KINDS, INSTITUTION_STATUSES
from app.matching.models import SHORTLIST_STATUSES, ShortlistEntry
from app.matching.shortlist import SHORTLIST_TRANSITIONS
from app.trainings import states as training_states
from app.trainings.models import THEMATIC_AREAS, TRAINING_KINDS, TRAINING_STATUSES
from tenants.context import tenant_scope
from tests.accounts_helpers import sign_in, use_session
from tests.conftest import speak
from tests.html import parse, select_all
from tests.request_helpers import an_assignment_request

ACTIONS = {action for (_state, action) in [*expert_states.TRANSITIONS,
                                           *request_states.TRANSITIONS,
                                           *assignment_states.TRANSITIONS,
                                           *training_states.TRANSITIONS,
                                           *SHORTLIST_TRANSITIONS]}
CODES = frozenset({*PROFILE_STATUSES, *REQUEST_STATUSES, *ASSIGNMENT_STATUSES,
                   *TRAINING_STATUSES, *INSTITUTION_STATUSES, *SHORTLIST_STATUSES,
                   *REVIEW_STATUSES, *CONSENT_PURPOSES, *ACTIONS, *MODALITIES, *PRIORITIES,
                   *TRAINING_KINDS, *THEMATIC_AREAS, *INSTITUTION_KINDS, *EVALUATION_CRITERIA,
                   # what a request's history used to show
                   "added", "shared"})
# Snake-case codes cannot be mistaken for words: they are looked for inside any text.
SNAKE = sorted(code for code in CODES if "_" in code)
SNAKE_RE = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, SNAKE)) + r")(?![\w.])")
# Other codes are ordinary words: found only standing alone, between the separators pages
# put around a label; in English only when nothing but codes stands in the text (English
# sentences list states in words that are also codes: "(submitted, open, shortlisting)").
SEPARATORS = re.compile(r"[·:—–|,()\[\]/\n]")
# Technical pages that show raw names on purpose: the audit trail's actions, the job queue.
TECHNICAL = ("/admin/audit", "/admin/jobs")
SKIP = re.compile(r"(\.csv|\.ics|/cv|/file|/document$|/sign-out|/lang)(\?|$)")
PER_KIND = 16      # pages of each kind (the same path with other ids) walked
MOST_PAGES = 300   # per role and language


@pytest.fixture(scope="module")
async def seeded(session_factory, missions):
    await seed_demo(session_factory)


async def _an_invited_expert(session_factory, tenant) -> str:
    """A demo expert with something to show: an invitation, else any verified one."""
    with tenant_scope(tenant):
        async with session_factory() as db:
            for status in ("invited", "selected", "accepted"):
                email = await db.scalar(
                    select(User.email).join(ExpertProfile, ExpertProfile.user_id == User.id)
                    .join(ShortlistEntry, ShortlistEntry.profile_id == ExpertProfile.id)
                    .where(ShortlistEntry.status == status).order_by(User.email).limit(1))
                if email:
                    return email
    raise AssertionError("the demo has no expert with an invitation")


def raw_codes(body: str, english: bool = False) -> set[str]:
    tree = parse(body)
    for node in tree.css("code, script, style, textarea, head"):
        node.decompose()
    if tree.body is None:
        return set()
    found = set()
    for node in tree.body.traverse(include_text=True):
        if node.tag != "-text":
            continue
        text = node.text_content or ""
        found.update(SNAKE_RE.findall(text))
        chunks = [c for c in (c.strip() for c in SEPARATORS.split(text)) if c]
        if not english or all(chunk in CODES for chunk in chunks):
            found.update(chunk for chunk in chunks if chunk in CODES)
    return found


def _kind(url: str) -> str:
    """The page's kind: its path with ids and numbers blanked, and its query's names."""
    parts = urlsplit(url)
    path = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}|\d+", "{}", parts.path)
    names = sorted(p.split("=")[0] for p in parts.query.split("&") if p)
    return path + "?" + "&".join(names)


async def _walk(client, slug: str, english: bool) -> dict[str, set[str]]:
    """url -> the codes it shows, for every page reached from the mission home."""
    queue, seen, kinds = deque([f"/{slug}/"]), {f"/{slug}/"}, Counter[str]()
    shown: dict[str, set[str]] = {}
    while queue and len(shown) < MOST_PAGES:
        url = queue.popleft()
        r = await client.get(url)
        assert r.status_code < 500, (url, r.status_code)
        if r.status_code != 200 or "text/html" not in r.headers.get("content-type", ""):
            continue
        if not url.split("?")[0].endswith(TECHNICAL):
            shown[url] = raw_codes(r.text, english)
        for link in parse(r.text).css("a[href]"):
            href = (link.attributes.get("href") or "").split("#")[0]
            if not href.startswith(f"/{slug}/") or SKIP.search(href) or href in seen:
                continue
            seen.add(href)
            if kinds[_kind(href)] < PER_KIND:
                kinds[_kind(href)] += 1
                queue.append(href)
    return shown


ROLES = ("admin", "officer", "focal", "partner", "donor", "expert")


@pytest.mark.parametrize(("slug", "locale"), [("sudan", "ar"), ("sudan", "en"),
                                              ("mozambique", "pt")])
async def test_no_page_shows_a_raw_code(client, missions, session_factory, seeded,
                                        slug, locale):
    tenant = missions[slug]
    leaks: dict[str, set[str]] = {}
    for role in ROLES:
        email = await _an_invited_expert(session_factory, tenant) if role == "expert" \
            else f"{role}@{slug}.demo"
        use_session(client, None)
        assert (await sign_in(client, tenant, email, DEMO_PASSWORD)).status_code == 303, email
        speak(client, locale)
        try:
            shown = await _walk(client, slug, english=locale == "en")
        finally:
            speak(client, None)
            use_session(client, None)
        assert len(shown) > 5, (role, list(shown))
        leaks.update({f"{role} {url}": codes for url, codes in shown.items() if codes})
    assert leaks == {}, "\n".join(f"{k}: {sorted(v)}" for k, v in sorted(leaks.items()))


def test_the_check_finds_codes_and_spares_labels():
    for english in (True, False):
        assert raw_codes("<body><td>in_progress</td><li>Staff · <b>invite</b></li></body>",
                         english) == {"in_progress", "invite"}
        assert raw_codes("<body><p>Open for matching. Draft</p><code>request_changes</code>"
                         "<td>Share with institutions</td></body>", english) == set()
    sentence = "<body><option>Waiting for the mission (submitted, open)</option></body>"
    assert raw_codes(sentence, english=True) == set()
    assert raw_codes(sentence, english=False) == {"submitted", "open"}
    assert raw_codes("<body><li>Staff · invite</li></body>", english=False) == {"invite"}


# The demo's requests carry no shortlist history: a request with every kind of step written
# on it shows each through its label, in every language.

async def test_every_step_of_a_request_history_has_a_label(client, missions, session_factory,
                                                           signed_in_as):
    sudan = missions["sudan"]
    async with session_factory() as db:
        request_id = await an_assignment_request(db, sudan)
    staff = Actor(email="staff@example.org", name="Staff", role="staff",
                  permissions=permissions_for("staff", False))
    steps = {*request_labels.history(), "shortlist.something_new"}
    with tenant_scope(sudan):
        async with session_factory() as db:
            for action in sorted(steps):
                record(db, sudan.id, staff, action, "assignment_request", request_id,
                       after={"expert_number": 7})
            await db.commit()
    await signed_in_as("staff")
    for locale in ("ar", "en"):
        speak(client, locale)
        try:
            body = (await client.get(f"/sudan/requests/{request_id}")).text
        finally:
            speak(client, None)
        history = " ".join(select_all(body, "ol.timeline li"))
        assert raw_codes(body, english=locale == "en") == set(), locale
        for action, label in request_labels.history().items():
            assert translations(locale).gettext(label) in history, (locale, action)
        assert "something_new" not in history
