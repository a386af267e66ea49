"""What the Meilisearch backend sends, byte for byte, to a fake Meilisearch.

No Meilisearch server can run here, so a small HTTP server on 127.0.0.1 plays one: it
records every request (method, path, JSON body) and answers like Meilisearch does (task
objects, GET /tasks/{uid}, search results with _formatted, _rankingScore,
facetDistribution, estimatedTotalHits). Engine behaviour itself (typos, ranking) is the
contract suite's job (tests/test_search_contract.py, with MEILI_URL)."""

from __future__ import annotations

import json
import re
import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from app.matching.scoring import NearMissMargins, RequestFacts
from app.matching.services import CANDIDATE_POOL, MatchFilters, match_query
from app.matching.similarity import Concept
from app.search.documents import EXPERT_INDEX
from search_index import Filter, IndexSettings, SearchQuery, SearchUnavailable
from search_index.meili import KEY, MeiliSearch, document_key, filter_expression

PREFIX = "t_"
NOW = datetime.now(UTC).isoformat().replace("+00:00", "Z")
SETTINGS = IndexSettings(
    searchable=("name", "headline", "bio"),
    keywords=("status", "languages"),
    numbers=("years", "updated"),
    stored=("photo",),
    synonyms={"gis": ("geographic information systems",), "wash": ("water", "sanitation")},
)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    auth: str | None = None


@dataclass
class FakeMeili:
    """State and answers of the fake server; tests read `requests` and set the rest."""

    indexes: dict[str, str | None] = field(default_factory=dict)    # uid -> primary key
    requests: list[Request] = field(default_factory=list)
    fail_tasks: bool = False                  # GET /tasks/{uid} answers status "failed"
    search_error: dict | None = None          # search answers 400 with this error
    hits: list[dict] = field(default_factory=list)
    highlight_words: tuple[str, ...] = ()     # wrapped in the requested tags in _formatted
    facet_distribution: dict = field(default_factory=dict)
    estimated_total_hits: int | None = None
    next_task: int = 0
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def calls(self, method: str | None = None, path: str | None = None) -> list[Request]:
        return [r for r in self.requests
                if (method is None or r.method == method) and (path is None or r.path == path)]

    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.method != "GET" and not r.path.endswith("/search")]


def _handler(fake: FakeMeili):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self, code: int, payload: Any) -> None:
            body = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, code: int, message: str, error_code: str) -> None:
            self._answer(code, {"message": message, "code": error_code,
                                "type": "invalid_request",
                                "link": f"https://docs.meilisearch.com/errors#{error_code}"})

        def _record(self) -> tuple[list[str], Any]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            body = json.loads(raw) if raw else None
            with fake.lock:
                fake.requests.append(Request(self.command, url.path, parse_qs(url.query), body,
                                             self.headers.get("Authorization")))
            return url.path.strip("/").split("/"), body

        def _task(self, index_uid: str | None, kind: str) -> None:
            with fake.lock:
                fake.next_task += 1
                uid = fake.next_task
            self._answer(202, {"taskUid": uid, "indexUid": index_uid, "status": "enqueued",
                               "type": kind, "enqueuedAt": NOW})

        def do_GET(self):
            parts, _ = self._record()
            if parts[0] == "tasks" and len(parts) == 2:
                failed = fake.fail_tasks
                return self._answer(200, {
                    "uid": int(parts[1]), "indexUid": None,
                    "status": "failed" if failed else "succeeded",
                    "type": "documentAdditionOrUpdate", "details": {},
                    "error": {"message": "Index `x` not found.", "code": "index_not_found",
                              "type": "invalid_request", "link": ""} if failed else None,
                    "duration": "PT0.001S", "enqueuedAt": NOW, "startedAt": NOW,
                    "finishedAt": NOW})
            if parts[0] == "indexes" and len(parts) == 2:
                if parts[1] not in fake.indexes:
                    return self._error(404, f"Index `{parts[1]}` not found.",
                                       "index_not_found")
                return self._answer(200, {"uid": parts[1], "primaryKey": fake.indexes[parts[1]],
                                          "createdAt": NOW, "updatedAt": NOW})
            self._error(404, "not found", "not_found")

        def do_POST(self):
            parts, body = self._record()
            if parts == ["indexes"]:
                fake.indexes[body["uid"]] = body.get("primaryKey")
                return self._task(body["uid"], "indexCreation")
            if parts[0] == "indexes" and parts[-1] == "search":
                return self._search(body)
            if parts[0] == "indexes" and parts[2] == "documents":
                kind = "documentAdditionOrUpdate" if len(parts) == 3 else "documentDeletion"
                return self._task(parts[1], kind)
            self._error(404, "not found", "not_found")

        def do_PATCH(self):
            parts, _ = self._record()
            self._task(parts[1], "settingsUpdate")

        def do_DELETE(self):
            parts, _ = self._record()
            fake.indexes.pop(parts[1], None)
            self._task(parts[1], "indexDeletion")

        def _search(self, body: dict) -> None:
            if fake.search_error:
                return self._answer(400, fake.search_error)
            pre, post = body["highlightPreTag"], body["highlightPostTag"]
            hits = []
            for stored in fake.hits:
                hit = dict(stored)
                formatted = {}
                for name, value in stored.items():
                    if name.startswith("_"):
                        continue
                    if name in (body.get("attributesToHighlight") or []):
                        value = self._mark(value, pre, post)
                    formatted[name] = value
                hit["_formatted"] = formatted
                hits.append(hit)
            self._answer(200, {
                "hits": hits, "query": body.get("q") or "", "processingTimeMs": 1,
                "limit": body["limit"], "offset": body["offset"],
                "estimatedTotalHits": (fake.estimated_total_hits
                                       if fake.estimated_total_hits is not None else len(hits)),
                "facetDistribution": {k: v for k, v in fake.facet_distribution.items()
                                      if k in (body.get("facets") or [])}})

        def _mark(self, value: Any, pre: str, post: str) -> Any:
            if isinstance(value, list):
                return [self._mark(v, pre, post) for v in value]
            if not isinstance(value, str):
                return value
            for word in fake.highlight_words:
                value = value.replace(word, f"{pre}{word}{post}")
            return value

    return Handler


@pytest.fixture
def fake():
    state = FakeMeili()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
async def meili(fake):
    backend = MeiliSearch(fake.url, "test-key", PREFIX, timeout_seconds=5)
    yield backend
    await backend.close()


def search_bodies(fake: FakeMeili) -> list[dict]:
    return [r.body for r in fake.calls("POST", f"/indexes/{PREFIX}experts/search")]


# --- a small reading of Meilisearch filter syntax ---------------------------------------------


def parse_filter(expression: str) -> tuple[list[str], list[str]]:
    """(tokens outside quotes, quoted values unescaped), read the way Meilisearch's filter
    parser reads a double-quoted value: a backslash takes the next character with it, the
    first unescaped quote ends the value, then escapes (\\" \\\\ \\n …) are undone."""
    tokens, values, i = [], [], 0
    while i < len(expression):
        c = expression[i]
        if c.isspace():
            i += 1
        elif c == '"':
            i += 1
            start = i
            while i < len(expression) and expression[i] != '"':
                i += 2 if expression[i] == "\\" else 1
            assert i < len(expression), f"unterminated value in {expression!r}"
            values.append(json.loads(f'"{expression[start:i]}"'))
            tokens.append("<value>")
            i += 1
        elif c in "[],":
            tokens.append(c)
            i += 1
        else:
            word = re.match(r"[^\s\"\[\],]+", expression[i:]).group()
            tokens.append(word)
            i += len(word)
    return tokens, values


# --- configure ----------------------------------------------------------------------------


async def test_configure_sends_the_settings(fake, meili):
    await meili.configure("experts", SETTINGS)
    assert [(r.method, r.path) for r in fake.requests] == [
        ("GET", "/indexes/t_experts"),            # get_or_create_index: not there yet
        ("POST", "/indexes"),
        ("GET", "/tasks/1"),
        ("GET", "/indexes/t_experts"),
        ("PATCH", "/indexes/t_experts/settings"),
        ("GET", "/tasks/2"),                      # the settings task is waited for
    ]
    assert fake.requests[1].body == {"uid": "t_experts", "primaryKey": KEY}
    settings = fake.requests[4].body
    assert settings["searchableAttributes"] == ["name", "headline", "bio"]
    assert set(settings["filterableAttributes"]) == {"tenant_id", "id", "status", "languages",
                                                     "years", "updated"}
    assert settings["sortableAttributes"] == ["years", "updated"]
    assert settings["typoTolerance"]["enabled"] is True
    assert settings["typoTolerance"]["minWordSizeForTypos"] == {"oneTypo": 5, "twoTypos": 9}
    assert not settings["typoTolerance"].get("disableOnAttributes")
    assert settings["synonyms"] == {"gis": ["geographic information systems"],
                                    "wash": ["water", "sanitation"]}
    assert "sort" in settings["rankingRules"] and settings["rankingRules"][0] == "words"
    # Fields only shown, never searched, are not searchable.
    assert "photo" not in settings["searchableAttributes"]


async def test_configure_an_existing_index_only_updates_settings(fake, meili):
    fake.indexes["t_experts"] = KEY
    await meili.configure("experts", SETTINGS)
    assert [(r.method, r.path) for r in fake.requests] == [
        ("GET", "/indexes/t_experts"), ("PATCH", "/indexes/t_experts/settings"),
        ("GET", "/tasks/1")]


async def test_configure_refuses_an_index_keyed_by_id_alone(fake, meili):
    # An index created with primary key "id" would let tenants overwrite each other.
    fake.indexes["t_experts"] = "id"
    with pytest.raises(SearchUnavailable, match="primary key"):
        await meili.configure("experts", SETTINGS)
    assert fake.calls("PATCH") == []


# --- writes -------------------------------------------------------------------------------


async def test_upsert_sets_the_tenant_and_a_key_per_tenant(fake, meili):
    await meili.upsert("experts", "tenant-a", [
        {"id": "e1", "name": "Ana", "tenant_id": "tenant-b", "years": 3},
        {"id": 42, "name": "Omar", KEY: "forged", "languages": ["ar:C1"]},
    ])
    [add] = fake.calls("POST", "/indexes/t_experts/documents")
    assert add.query == {"primaryKey": [KEY]}
    assert add.body == [
        {"id": "e1", "name": "Ana", "tenant_id": "tenant-a", "years": 3,
         KEY: document_key("tenant-a", "e1")},
        {"id": "42", "name": "Omar", "languages": ["ar:C1"], "tenant_id": "tenant-a",
         KEY: document_key("tenant-a", "42")},
    ]
    # The task is waited for.
    assert [r.path for r in fake.requests] == ["/indexes/t_experts/documents", "/tasks/1"]
    # Two tenants with the same document id make two documents.
    assert document_key("tenant-a", "e1") != document_key("tenant-b", "e1")
    assert document_key("a", "b_c") != document_key("a_b", "c")
    assert re.fullmatch(r"[0-9a-f]{64}", document_key("tenant-a", "e1"))


async def test_empty_writes_send_nothing(fake, meili):
    await meili.upsert("experts", "A", [])
    await meili.delete("experts", "A", [])
    assert fake.requests == []


async def test_delete_and_drop_filter_by_tenant(fake, meili):
    await meili.delete("experts", "A", ["e1", 2, 'e3"] OR tenant_id = "B'])
    await meili.drop_tenant("experts", 'A" OR tenant_id = "B')
    deletes = fake.calls("POST", "/indexes/t_experts/documents/delete")
    assert [d.body for d in deletes] == [
        {"filter": 'tenant_id = "A" AND id IN ["e1", "2", "e3\\"] OR tenant_id = \\"B"]'},
        {"filter": 'tenant_id = "A\\" OR tenant_id = \\"B"'},
    ]
    tokens, values = parse_filter(deletes[0].body["filter"])
    assert tokens == ["tenant_id", "=", "<value>", "AND", "id", "IN", "[", "<value>", ",",
                      "<value>", ",", "<value>", "]"]
    assert values == ["A", "e1", "2", 'e3"] OR tenant_id = "B']
    tokens, values = parse_filter(deletes[1].body["filter"])
    assert tokens == ["tenant_id", "=", "<value>"] and values == ['A" OR tenant_id = "B']
    # Nothing deletes by bare document id (which would reach other tenants' documents).
    assert fake.calls("POST", "/indexes/t_experts/documents/delete-batch") == []
    assert [r.method for r in fake.requests if r.method == "DELETE"] == []


# --- search -------------------------------------------------------------------------------


async def test_search_body(fake, meili):
    await meili.search("experts", "A", SearchQuery(
        text="hydrology expert",
        filters=(Filter("status", "eq", "active"), Filter("languages", "in", ["en:B2", "ar:C1"]),
                 Filter("status", "not_in", ["retired"]), Filter("years", "gte", 3),
                 Filter("years", "lte", 10), Filter("updated", "in", [1, 2])),
        facets=("status", "languages"), sort=("years", True), limit=5, offset=10,
        highlight=("name", "bio"), matching="any"))
    [body] = search_bodies(fake)
    assert body["q"] == "hydrology expert"
    assert body["filter"] == (
        'tenant_id = "A" AND status = "active" AND languages IN ["en:B2", "ar:C1"] '
        'AND status NOT IN ["retired"] AND years >= 3 AND years <= 10 AND updated IN [1, 2]')
    assert body["facets"] == ["status", "languages"]
    assert body["sort"] == ["years:desc"]
    assert (body["limit"], body["offset"]) == (5, 10)
    assert body["attributesToHighlight"] == ["name", "bio"]
    assert body["highlightPreTag"] == "\x02" and body["highlightPostTag"] == "\x03"
    assert body["matchingStrategy"] == "last"
    assert body["showRankingScore"] is True


async def test_search_body_defaults(fake, meili):
    await meili.search("experts", "A", SearchQuery())
    await meili.search("experts", "A", SearchQuery(text="hydr", sort=("years", False)))
    first, second = search_bodies(fake)
    assert first["q"] is None                 # placeholder search: every document of A
    assert first["filter"] == 'tenant_id = "A"'
    assert first["facets"] is None and first["sort"] is None
    assert first["attributesToHighlight"] is None
    assert first["matchingStrategy"] == "all"
    assert (first["limit"], first["offset"]) == (20, 0)
    assert second["sort"] == ["years:asc"] and second["q"] == "hydr"


async def test_a_long_query_of_any_word_sends_its_first_ten_distinct_words(fake, meili):
    """Meilisearch reads only a query's first 10 words: a request's match sends 10 distinct
    words that are not "the" or "of", in the order the caller gave (the most telling
    first); a query of every word (typing in a search box) goes as typed."""
    text = ("water water water irrigation irrigation of the Ministry planning for the "
            "water sector Gestão da água hydrology modelling training engineers report")
    await meili.search("experts", "A", SearchQuery(text=text, matching="any"))
    await meili.search("experts", "A", SearchQuery(text="The Water of Ministry", matching="all"))
    sent, typed = search_bodies(fake)
    assert sent["q"] == ("water irrigation ministry planning sector gestao agua hydrology "
                         "modelling training")
    assert typed["q"] == "The Water of Ministry"


CRAFTED = [
    'x" OR tenant_id = "B',
    '"] OR tenant_id IN ["B',
    'x\\" OR tenant_id = \\"B',               # a backslash before the quote
    "x\\",                                    # a value ending in a backslash
    "x' OR tenant_id = 'B",
    'x") OR (tenant_id = "B',
    "multi\nline\ttab",
    "ضعيف \" OR 1",
]


@pytest.mark.parametrize("value", CRAFTED)
async def test_every_search_filter_starts_with_the_tenant_and_values_stay_values(
        fake, meili, value):
    queries = [
        SearchQuery(filters=(Filter("status", "eq", value),)),
        SearchQuery(filters=(Filter("languages", "in", [value, "en:B2"]),)),
        SearchQuery(filters=(Filter("status", "not_in", [value]),), text=value),
        SearchQuery(text=f'{value} tenant_id = "B"', matching="any"),
    ]
    for query in queries:
        await meili.search("experts", "A", query)
    await meili.search("experts", value, SearchQuery(filters=(Filter("status", "eq", "x"),)))
    bodies = search_bodies(fake)
    assert len(bodies) == 5
    for body in bodies[:4]:
        assert body["filter"].startswith('tenant_id = "A"')
        tokens, values = parse_filter(body["filter"])
        assert tokens[:4] == ["tenant_id", "=", "<value>", "AND"] or tokens == [
            "tenant_id", "=", "<value>"]
        assert values[0] == "A"
        assert "OR" not in tokens and "(" not in "".join(tokens)
        assert tokens.count("tenant_id") == 1
    assert parse_filter(bodies[0]["filter"]) == (
        ["tenant_id", "=", "<value>", "AND", "status", "=", "<value>"], ["A", value])
    assert parse_filter(bodies[1]["filter"]) == (
        ["tenant_id", "=", "<value>", "AND", "languages", "IN", "[", "<value>", ",",
         "<value>", "]"], ["A", value, "en:B2"])
    assert parse_filter(bodies[2]["filter"])[1] == ["A", value]
    assert bodies[3]["filter"] == 'tenant_id = "A"'   # query text never becomes a filter
    # A crafted tenant id is a value as well.
    tokens, values = parse_filter(bodies[4]["filter"])
    assert tokens == ["tenant_id", "=", "<value>", "AND", "status", "=", "<value>"]
    assert values == [value, "x"]


@pytest.mark.parametrize("field_name", ['status = "x" OR tenant_id', "status)", "a b", ""])
def test_a_filter_field_name_cannot_carry_syntax(field_name):
    with pytest.raises(ValueError):
        filter_expression("A", (Filter(field_name, "eq", "x"),))


async def test_hits_become_escaped_html_with_marks(fake, meili):
    fake.hits = [
        {"id": "e1", "tenant_id": "A", KEY: document_key("A", "e1"),
         "name": "Gestão <script>alert(1)</script> & co", "bio": "Água & Gestão",
         "languages": ["pt:C2", "ar:C1"], "years": 5, "_rankingScore": 0.87},
        {"id": 7, "tenant_id": "A", KEY: document_key("A", "7"), "name": "Other",
         "bio": "no match", "_rankingScore": 0.5},
    ]
    fake.highlight_words = ("Gestão", "Água", "<script>")
    fake.facet_distribution = {"status": {"active": 3, "retired": 1}, "languages": {"pt:C2": 2}}
    fake.estimated_total_hits = 42
    result = await meili.search("experts", "A", SearchQuery(
        text="gestao", highlight=("name", "bio", "languages"), facets=("status", "languages")))
    first, second = result.hits
    assert first.id == "e1" and first.score == pytest.approx(0.87)
    assert first.highlights == {
        "name": "<mark>Gestão</mark> <mark>&lt;script&gt;</mark>alert(1)&lt;/script&gt; &amp; co",
        "bio": "<mark>Água</mark> &amp; <mark>Gestão</mark>",
    }
    # The document is the stored one, without the engine's or the backend's own fields.
    assert first.document == {"id": "e1", "name": "Gestão <script>alert(1)</script> & co",
                               "bio": "Água & Gestão", "languages": ["pt:C2", "ar:C1"],
                               "years": 5}
    assert second.id == "7" and second.highlights == {} and second.score == pytest.approx(0.5)
    assert result.total == 42
    assert result.facets == {"status": {"active": 3, "retired": 1}, "languages": {"pt:C2": 2}}


async def test_an_empty_result(fake, meili):
    result = await meili.search("experts", "A", SearchQuery(text="nothing", facets=("status",)))
    assert result.hits == [] and result.total == 0 and result.facets == {}


# --- failures -----------------------------------------------------------------------------


async def test_a_failed_task_is_unavailable(fake, meili):
    fake.indexes["t_experts"] = KEY
    fake.fail_tasks = True
    with pytest.raises(SearchUnavailable, match="failed"):
        await meili.upsert("experts", "A", [{"id": "e1", "name": "Ana"}])
    with pytest.raises(SearchUnavailable, match="failed"):
        await meili.delete("experts", "A", ["e1"])
    with pytest.raises(SearchUnavailable, match="failed"):
        await meili.drop_tenant("experts", "A")
    with pytest.raises(SearchUnavailable, match="failed"):
        await meili.configure("experts", SETTINGS)
    assert len(fake.calls("GET", "/tasks/1")) == 1  # a finished task is not polled again


async def test_an_api_error_is_unavailable(fake, meili):
    fake.search_error = {"message": "Attribute `nope` is not filterable.",
                         "code": "invalid_search_filter", "type": "invalid_request",
                         "link": "https://docs.meilisearch.com/errors#invalid_search_filter"}
    with pytest.raises(SearchUnavailable, match="not filterable"):
        await meili.search("experts", "A", SearchQuery(filters=(Filter("nope", "eq", "x"),)))


async def test_nothing_listening_is_unavailable():
    with socket.socket() as probe:              # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = MeiliSearch(f"http://127.0.0.1:{port}", "", PREFIX, timeout_seconds=2)
    try:
        with pytest.raises(SearchUnavailable):
            await backend.search("experts", "A", SearchQuery(text="x"))
        with pytest.raises(SearchUnavailable):
            await backend.upsert("experts", "A", [{"id": "e1"}])
        with pytest.raises(SearchUnavailable):
            await backend.delete("experts", "A", ["e1"])
        with pytest.raises(SearchUnavailable):
            await backend.drop_tenant("experts", "A")
        with pytest.raises(SearchUnavailable):
            await backend.configure("experts", SETTINGS)
    finally:
        await backend.close()


async def test_the_api_key_is_sent(fake, meili):
    await meili.search("experts", "A", SearchQuery())
    await meili.upsert("experts", "A", [{"id": "e1"}])
    assert {r.auth for r in fake.requests} == {"Bearer test-key"}


# --- what matching asks -------------------------------------------------------------------


async def test_the_expert_index_settings_matching_relies_on(fake, meili):
    """Written in code (app/search/documents.py): the fields searched, most important
    first (the expert's headline, their trade in one line, ahead of their summary), the
    filters matching narrows by, typo tolerance as the embedded engine's."""
    await meili.configure("experts", EXPERT_INDEX)
    settings = fake.requests[4].body
    assert settings["searchableAttributes"] == ["skills", "headline", "summary", "experience",
                                                "name"]
    assert {"status", "language_levels", "available_months", "years", "sectors",
            "country", "modality"} <= set(settings["filterableAttributes"])
    typos = settings["typoTolerance"]
    assert typos["enabled"] is True and not typos.get("disableOnAttributes")
    assert typos["minWordSizeForTypos"] == {"oneTypo": 5, "twoTypos": 9}
    assert settings["rankingRules"][:2] == ["words", "typo"]


async def test_a_request_is_asked_with_widened_hard_filters_in_what_experts_can_do(
        fake, meili):
    """The matching query of a request (app.matching.services.match_query): any of its
    words, in skills, headline, summary and work history (not names); the hard
    requirements widened
    by the near-miss margins (a language level, a year, 14 days), checked exactly after."""
    facts = RequestFacts(
        required_skills=(Concept("s1", ("Hydrology", "Hidrologia")),), desired_skills=(),
        sector="water_management", languages=(("en", "B2"), ("ar", "A1")),
        window=(date(2026, 3, 10), date(2026, 4, 20)), duration_days=28, min_years=10,
        modality="on_site")
    query = match_query(facts, ["Groundwater survey", "Map the aquifers", "", "Hydrology",
                                "Hidrologia"], MatchFilters(), NearMissMargins())
    await meili.search("experts", "A", query)
    [body] = search_bodies(fake)
    assert body["q"] == "groundwater survey map aquifers hydrology hidrologia"
    assert body["matchingStrategy"] == "last"
    assert body["attributesToSearchOn"] == ["skills", "headline", "summary", "experience"]
    assert body["filter"] == (
        'tenant_id = "A" AND status = "verified" AND language_levels = "en:B1" '
        'AND language_levels = "ar:A1" '
        'AND available_months IN ["2026-02", "2026-03", "2026-04", "2026-05"] '
        'AND years >= 9')
    assert body["limit"] == CANDIDATE_POOL and body["showRankingScore"] is True
    assert body["facets"] == ["sectors", "languages", "country", "modality"]
    narrowed = match_query(facts, ["Groundwater"], MatchFilters(sector="water_management"),
                           NearMissMargins(years=0, levels=0, days=0))
    await meili.search("experts", "A", narrowed)
    assert search_bodies(fake)[-1]["filter"] == (
        'tenant_id = "A" AND status = "verified" AND language_levels = "en:B2" '
        'AND language_levels = "ar:A1" AND available_months IN ["2026-03", "2026-04"] '
        'AND years >= 10 AND sectors = "water_management"')
