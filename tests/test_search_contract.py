"""One contract for every search backend (search_index.model.SearchBackend).

The embedded Tantivy backend always runs, in a fresh directory per test. Meilisearch runs
when MEILI_URL names a server (MEILI_KEY optional): every index of the run is named
test_<random>_…, and each test deletes its index afterwards. Without MEILI_URL the
Meilisearch parameter is skipped, visibly (see the -ra summary).

Where Meilisearch cannot do what the embedded backend does, the test says so and asserts
only what both promise."""

from __future__ import annotations

import itertools
import os
from uuid import uuid4

import pytest

from search_index import Filter, IndexSettings, SearchQuery, SearchResult, SearchUnavailable
from search_index.embedded import EmbeddedSearch, holds_fields

MEILI_URL = os.environ.get("MEILI_URL", "")
MEILI_KEY = os.environ.get("MEILI_KEY", "")
RUN_PREFIX = f"test_{uuid4().hex[:8]}_"
_index_numbers = itertools.count(1)

BACKENDS = [
    pytest.param("embedded", id="embedded"),
    pytest.param("meilisearch", id="meilisearch", marks=pytest.mark.skipif(
        not MEILI_URL, reason="MEILI_URL not set: Meilisearch contract tests skipped")),
]

SETTINGS = IndexSettings(
    searchable=("title", "summary"),
    keywords=("status", "languages"),
    numbers=("years",),
    stored=("note",),
    synonyms={"gis": ("geographic information systems",)},
)
FIELDS = ("id", *SETTINGS.fields)

DOCS_A = {doc["id"]: doc for doc in [
    {"id": "1", "title": "Hydrology expert",
     "summary": "Gestão da Água and river basins <script>alert(1)</script>",
     "status": "active", "languages": ["en:B2", "ar:C1"], "years": 5, "note": "stored only"},
    {"id": "2", "title": "إدارة المياه", "summary": "formação técnica em saneamento",
     "status": "retired", "languages": ["fr:C1"], "years": 12},
    {"id": "3", "title": "Mapping specialist",
     "summary": "geographic information systems for cities",
     "status": "active", "languages": ["en:C1"], "years": 1},
    {"id": "4", "title": "Internationalization engineer", "summary": "software localisation",
     "status": "pending", "languages": ["pt:C2", "en:B2"], "years": 8},
    {"id": "5", "title": "Soil and rock mechanics", "summary": "open_pit mining",
     "status": "active", "languages": [], "years": 3},
    {"id": "6", "title": "مكتبة المستشفى", "summary": "archives لغة منى أمل",
     "status": "active", "languages": ["ar:C2"], "years": 20},
]}
# Tenant B: the same id "1" as tenant A, words of A's documents, words of its own.
DOCS_B = {doc["id"]: doc for doc in [
    {"id": "1", "title": "Hydrology expert from B", "summary": "secret Gestão da Água",
     "status": "active", "languages": ["en:B2", "ar:C1"], "years": 99},
    {"id": "9", "title": "Secret mapping of B", "summary": "إدارة المياه secret",
     "status": "active", "languages": ["de:C1"], "years": 50},
]}
B_MARKERS = ("from B", "of B", "secret")


class Engine:
    """A backend with one index of its own, and short ways to call it."""

    def __init__(self, backend, index: str):
        self.backend, self.index = backend, index

    async def configure(self, settings: IndexSettings = SETTINGS) -> None:
        await self.backend.configure(self.index, settings)

    async def upsert(self, tenant: str, docs) -> None:
        await self.backend.upsert(self.index, tenant, [dict(d) for d in docs])

    async def delete(self, tenant: str, ids) -> None:
        await self.backend.delete(self.index, tenant, list(ids))

    async def drop(self, tenant: str) -> None:
        await self.backend.drop_tenant(self.index, tenant)

    async def search(self, tenant: str = "A", text: str = "", **query) -> SearchResult:
        query.setdefault("limit", 100)
        return await self.backend.search(self.index, tenant, SearchQuery(text=text, **query))

    async def ids(self, tenant: str = "A", text: str = "", **query) -> list[str]:
        return [hit.id for hit in (await self.search(tenant, text, **query)).hits]


@pytest.fixture(params=BACKENDS)
async def engine(request, tmp_path):
    index = f"experts_{next(_index_numbers)}"
    if request.param == "embedded":
        backend = EmbeddedSearch(tmp_path / "search")
        yield Engine(backend, index)
        await backend.close()
        return
    from search_index.meili import MeiliSearch
    backend = MeiliSearch(MEILI_URL, MEILI_KEY, RUN_PREFIX)
    try:
        yield Engine(backend, index)
    finally:
        await backend.client.delete_index_if_exists(f"{RUN_PREFIX}{index}")
        await backend.close()


@pytest.fixture
async def seeded(engine: Engine) -> Engine:
    """Tenant A's documents, then tenant B's (one with an id that A uses too)."""
    await engine.configure()
    await engine.upsert("A", DOCS_A.values())
    await engine.upsert("B", DOCS_B.values())
    return engine


def assert_only_a(result: SearchResult) -> None:
    for hit in result.hits:
        assert "tenant_id" not in hit.document
        assert hit.id in DOCS_A, hit
        assert hit.document["title"] == DOCS_A[hit.id]["title"], hit
        text = f"{hit.document.get('title')} {hit.document.get('summary')}"
        assert not any(marker in text for marker in B_MARKERS), hit


# --- writing and reading ------------------------------------------------------------------


async def test_search_returns_the_stored_document_with_a_score(seeded: Engine):
    result = await seeded.search("A", "hydrology")
    assert [hit.id for hit in result.hits] == ["1"]
    assert result.total == 1
    hit = result.hits[0]
    assert isinstance(hit.score, float) and hit.score > 0
    # Tenant B's document "1" was written after A's: A's is still A's, B's is B's.
    assert {f: hit.document.get(f) for f in FIELDS} == {f: DOCS_A["1"].get(f) for f in FIELDS}
    assert "tenant_id" not in hit.document
    b_hit = (await seeded.search("B", "hydrology")).hits
    assert [(h.id, h.document["title"]) for h in b_hit] == [("1", "Hydrology expert from B")]


async def test_a_tenant_id_in_the_document_is_ignored(seeded: Engine):
    await seeded.upsert("A", [{"id": "7", "tenant_id": "B", "title": "Oceanography",
                               "status": "active", "years": 2}])
    result = await seeded.search("A", "oceanography")
    assert [hit.id for hit in result.hits] == ["7"]
    assert "tenant_id" not in result.hits[0].document
    assert await seeded.ids("B", "oceanography") == []


async def test_upsert_replaces_the_document(seeded: Engine):
    await seeded.upsert("A", [{**DOCS_A["1"], "title": "Oceanography expert", "years": 7}])
    result = await seeded.search("A", "oceanography")
    assert [hit.id for hit in result.hits] == ["1"]
    assert result.hits[0].document["years"] == 7
    assert await seeded.ids("A", "hydrology") == []
    assert (await seeded.search("A")).total == len(DOCS_A)
    # B's document with the same id did not change.
    b_hits = (await seeded.search("B", "hydrology")).hits
    assert [(h.id, h.document["years"]) for h in b_hits] == [("1", 99)]


async def test_delete_by_id(seeded: Engine):
    await seeded.delete("A", ["1", "2"])
    assert sorted(await seeded.ids("A")) == ["3", "4", "5", "6"]
    # B's document "1" is untouched by A's delete of "1"; deleting B's "9" as A does nothing.
    await seeded.delete("A", ["9"])
    assert sorted(await seeded.ids("B")) == ["1", "9"]
    assert [h.document["title"] for h in (await seeded.search("B", "hydrology")).hits] == [
        "Hydrology expert from B"]


async def test_drop_tenant_removes_only_that_tenant(seeded: Engine):
    await seeded.drop("A")
    assert (await seeded.search("A")).total == 0
    assert await seeded.ids("A", "hydrology") == []
    result = await seeded.search("B")
    assert result.total == 2 and sorted(h.id for h in result.hits) == ["1", "9"]
    assert await seeded.ids("B", "hydrology") == ["1"]


# --- tenant isolation ---------------------------------------------------------------------


async def test_isolation_plain_queries(seeded: Engine):
    everything = await seeded.search("A")
    assert everything.total == len(DOCS_A)
    assert sorted(h.id for h in everything.hits) == sorted(DOCS_A)
    assert_only_a(everything)
    for text in ("secret", "hydrology", "gestao agua", "اداره المياه", "mapping", "from b"):
        for matching in ("all", "any"):
            assert_only_a(await seeded.search("A", text, matching=matching))
    assert await seeded.ids("A", "secret") == []
    assert await seeded.ids("C") == []


@pytest.mark.parametrize("text", ['tenant_id = "B"', '" OR tenant_id = "B', "tenant_id:B",
                                  "') OR tenant_id = 'B", "secret OR tenant_id = B", "*"])
async def test_isolation_query_text_is_only_text(seeded: Engine, text: str):
    for matching in ("all", "any"):
        result = await seeded.search("A", text, matching=matching, facets=("status",))
        assert_only_a(result)
        assert sum(result.facets.get("status", {}).values()) <= len(DOCS_A)


CRAFTED = 'x" OR tenant_id = "B'
CRAFTED_LIST = '"] OR tenant_id IN ["B'


async def test_isolation_filter_values_with_quotes_and_brackets(engine: Engine):
    await engine.configure()
    a_docs = [{"id": "7", "title": "Crafted A", "status": CRAFTED, "languages": [CRAFTED_LIST],
               "years": 1},
              {"id": "8", "title": "Plain A", "status": "active", "languages": ["en:B2"],
               "years": 2}]
    b_docs = [{"id": "7", "title": "Crafted B", "status": CRAFTED, "languages": [CRAFTED_LIST],
               "years": 1},
              {"id": "9", "title": "Plain B", "status": "active", "languages": ["en:B2"],
               "years": 2}]
    await engine.upsert("A", a_docs)
    await engine.upsert("B", b_docs)

    async def titles(*filters, text=""):
        result = await engine.search("A", text, filters=filters, facets=("status",))
        assert sum(result.facets.get("status", {}).values()) == len(result.hits)
        return sorted(h.document["title"] for h in result.hits)

    assert await titles(Filter("status", "eq", CRAFTED)) == ["Crafted A"]
    assert await titles(Filter("status", "eq", 'nothing" OR tenant_id = "B')) == []
    assert await titles(Filter("status", "in", [CRAFTED_LIST, "x"])) == []
    assert await titles(Filter("languages", "in", [CRAFTED_LIST])) == ["Crafted A"]
    assert await titles(Filter("languages", "eq", CRAFTED_LIST)) == ["Crafted A"]
    assert await titles(Filter("status", "not_in", [CRAFTED])) == ["Plain A"]
    assert await titles(Filter("status", "not_in", ['x"] OR tenant_id = "B'])) == [
        "Crafted A", "Plain A"]
    assert await titles(Filter("status", "eq", "active"), text="plain") == ["Plain A"]
    # A tenant id is a value too.
    assert await engine.ids('B" OR tenant_id = "A') == []
    assert await engine.ids("B' OR tenant_id = 'A") == []


async def test_isolation_facets_count_only_the_tenant(seeded: Engine):
    result = await seeded.search("A", facets=("status", "languages"))
    assert result.facets["status"] == {"active": 4, "retired": 1, "pending": 1}
    assert result.facets["languages"] == {"en:B2": 2, "ar:C1": 1, "fr:C1": 1, "en:C1": 1,
                                          "pt:C2": 1, "ar:C2": 1}
    result = await seeded.search("A", "hydrology", facets=("languages",))
    assert result.facets["languages"] == {"en:B2": 1, "ar:C1": 1}
    result = await seeded.search("B", facets=("status", "languages"))
    assert result.facets["status"] == {"active": 2}
    assert "de:C1" in result.facets["languages"] and "fr:C1" not in result.facets["languages"]


async def test_isolation_same_id_delete_and_drop(engine: Engine):
    await engine.configure()
    await engine.upsert("A", [{"id": "1", "title": "Alpha", "status": "active"}])
    await engine.upsert("B", [{"id": "1", "title": "Bravo", "status": "active"}])
    await engine.upsert("A", [{"id": "1", "title": "Alpha again", "status": "active"}])
    assert [h.document["title"] for h in (await engine.search("B")).hits] == ["Bravo"]
    assert [h.document["title"] for h in (await engine.search("A")).hits] == ["Alpha again"]
    await engine.delete("A", ["1"])
    assert (await engine.search("A")).total == 0
    assert [h.document["title"] for h in (await engine.search("B")).hits] == ["Bravo"]
    await engine.upsert("A", [{"id": "1", "title": "Alpha", "status": "active"}])
    await engine.drop("A")
    assert (await engine.search("A")).total == 0
    assert [h.document["title"] for h in (await engine.search("B")).hits] == ["Bravo"]
    await engine.drop("B")
    assert (await engine.search("B")).total == 0


# --- filters, facets, sorting, paging -----------------------------------------------------


@pytest.mark.parametrize(("filters", "expected"), [
    ((Filter("status", "eq", "active"),), {"1", "3", "5", "6"}),
    ((Filter("status", "in", ["retired", "pending", "unknown"]),), {"2", "4"}),
    ((Filter("status", "not_in", ["active"]),), {"2", "4"}),
    ((Filter("status", "not_in", ["active", "retired"]),), {"4"}),
    ((Filter("languages", "eq", "ar:C1"),), {"1"}),
    ((Filter("languages", "eq", "en:B2"),), {"1", "4"}),
    ((Filter("languages", "in", ["fr:C1", "ar:C2"]),), {"2", "6"}),
    ((Filter("languages", "not_in", ["en:B2", "en:C1"]),), {"2", "5", "6"}),
    ((Filter("years", "gte", 8),), {"2", "4", "6"}),
    ((Filter("years", "lte", 5),), {"1", "3", "5"}),
    ((Filter("years", "gte", 3), Filter("years", "lte", 8)), {"1", "4", "5"}),
    ((Filter("years", "eq", 12),), {"2"}),
    ((Filter("years", "in", [1, 3]),), {"3", "5"}),
    ((Filter("years", "not_in", [1, 3, 5]),), {"2", "4", "6"}),
    ((Filter("status", "eq", "active"), Filter("years", "gte", 4)), {"1", "6"}),
    ((Filter("status", "eq", "nothing"),), set()),
])
async def test_filters(seeded: Engine, filters, expected):
    result = await seeded.search("A", filters=filters)
    assert {h.id for h in result.hits} == expected
    assert result.total == len(expected)
    assert_only_a(result)


async def test_filters_with_text(seeded: Engine):
    assert await seeded.ids("A", "hydrology", filters=(Filter("status", "eq", "active"),)) == [
        "1"]
    assert await seeded.ids("A", "hydrology", filters=(Filter("status", "eq", "retired"),)) == []


async def test_facet_counts_follow_the_query(seeded: Engine):
    result = await seeded.search("A", filters=(Filter("status", "eq", "active"),),
                                 facets=("status", "languages"))
    assert result.facets["status"] == {"active": 4}
    assert result.facets["languages"] == {"en:B2": 1, "ar:C1": 1, "en:C1": 1, "ar:C2": 1}


@pytest.mark.parametrize("descending", [False, True])
async def test_sort_by_a_number_field(seeded: Engine, descending: bool):
    expected = [d["id"] for d in sorted(DOCS_A.values(), key=lambda d: d["years"],
                                        reverse=descending)]
    assert await seeded.ids("A", sort=("years", descending)) == expected
    active = [i for i in expected if DOCS_A[i]["status"] == "active"]
    assert await seeded.ids("A", sort=("years", descending),
                            filters=(Filter("status", "eq", "active"),)) == active


async def test_paging_with_limit_offset_and_total(seeded: Engine):
    order = [d["id"] for d in sorted(DOCS_A.values(), key=lambda d: d["years"])]
    pages = []
    for offset in (0, 2, 4):
        result = await seeded.search("A", sort=("years", False), limit=2, offset=offset)
        assert result.total == len(DOCS_A)
        assert len(result.hits) == 2
        pages.extend(h.id for h in result.hits)
    assert pages == order
    past_the_end = await seeded.search("A", sort=("years", False), limit=2, offset=6)
    assert past_the_end.hits == [] and past_the_end.total == len(DOCS_A)
    unsorted = await seeded.search("A", limit=4, offset=3)
    assert len(unsorted.hits) == 3 and unsorted.total == len(DOCS_A)


# --- matching text ------------------------------------------------------------------------


async def test_matching_any_versus_all(seeded: Engine):
    # Meilisearch's closest strategy to "any" ("last") drops words from the end of the
    # query, so the common contract is a document matching the FIRST of three words.
    assert await seeded.ids("A", "hydrology qwzxv plokij", matching="any") == ["1"]
    assert await seeded.ids("A", "hydrology qwzxv plokij", matching="all") == []
    assert await seeded.ids("A", "hydrology expert", matching="all") == ["1"]
    assert await seeded.ids("A", "hydrology mapping", matching="all") == []
    if seeded.backend.name == "embedded":
        # Embedded: any word anywhere in the query counts, and more matched words rank higher.
        assert sorted(await seeded.ids("A", "hydrology mapping", matching="any")) == ["1", "3"]
        assert await seeded.ids("A", "qwzxv plokij hydrology", matching="any") == ["1"]
        ranked = await seeded.ids("A", "soil rock hydrology", matching="any")
        assert ranked == ["5", "1"]


@pytest.mark.parametrize(("text", "expected"), [
    ("hydrology", ["1"]),         # exact
    ("hydrolgy", ["1"]),          # 8 letters, one typo (a letter missing)
    ("hydrolpgy", ["1"]),         # 9 letters, one typo
    ("hidrolagy", ["1"]),         # 9 letters, two typos
    ("internationalisation", ["4"]),  # one typo in a long word
    ("mappinq", ["3"]),           # 7 letters, one typo
    ("mabbinx", []),              # 7 letters, three typos
    ("maqqing", []),              # 7 letters, two typos: over the budget below 9 letters
    ("rock", ["5"]),              # exact short word
    ("rokc", []),                 # 4 letters: no typo allowed
    ("rick", []),                 # 4 letters: no typo allowed
])
async def test_typo_tolerance_scales_with_word_length(seeded: Engine, text, expected):
    assert await seeded.ids("A", text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("hydr", ["1"]), ("HYDRO", ["1"]), ("intern", ["4"]), ("soil ro", ["5"]),
    ("mapping spec", ["3"]), ("إدار", ["2"]),
])
async def test_prefix_search_as_you_type(seeded: Engine, text, expected):
    assert await seeded.ids("A", text, matching="all") == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("open_pit", ["5"]), ("pit", ["5"]), ("open pit mining", ["5"]), ("OPEN-PIT", ["5"]),
])
async def test_words_split_on_punctuation_and_underscores(seeded: Engine, text, expected):
    assert await seeded.ids("A", text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("gestao da agua", ["1"]), ("GESTÃO", ["1"]), ("gestão", ["1"]), ("Gestao Agua", ["1"]),
    ("formacao", ["2"]), ("FORMAÇÃO tecnica", ["2"]), ("formação", ["2"]),
])
async def test_accents_and_case_fold(seeded: Engine, text, expected):
    assert await seeded.ids("A", text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("إدارة المياه", ["2"]),      # as written
    ("اداره المياه", ["2"]),      # bare alif, haa for taa marbuta
    ("ادارة", ["2"]),             # bare alif
    ("أدارة", ["2"]),             # hamza above for hamza below
    ("إِدَارَة", ["2"]),          # with diacritics (kasra, fatha)
    ("إدارةالمياه", []),          # sanity: not every string matches
    ("مكتبه", ["6"]),             # haa for taa marbuta
    ("المستشفي", ["6"]),          # yaa for alif maqsura
    # Words too short for a typo: only the folding can make them match.
    ("لغه", ["6"]),               # haa for taa marbuta
    ("مني", ["6"]),               # yaa for alif maqsura
    ("امل", ["6"]),               # bare alif for hamza above
    ("لغو", []),                  # sanity: a different word
])
async def test_arabic_spelling_variants(seeded: Engine, text, expected):
    assert await seeded.ids("A", text) == expected


async def test_highlights_mark_the_original_words_and_escape_the_rest(seeded: Engine):
    result = await seeded.search("A", "gestao agua", highlight=("title", "summary"))
    assert [h.id for h in result.hits] == ["1"]
    marked = result.hits[0].highlights["summary"]
    assert "<mark>Gestão</mark>" in marked and "<mark>Água</mark>" in marked
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in marked
    assert "<script>" not in marked
    assert marked.replace("<mark>", "").replace("</mark>", "") == (
        "Gestão da Água and river basins &lt;script&gt;alert(1)&lt;/script&gt;")
    assert "title" not in result.hits[0].highlights  # nothing matched there
    # The stored document itself is the original text, not escaped.
    assert result.hits[0].document["summary"] == DOCS_A["1"]["summary"]

    result = await seeded.search("A", "hydrology", highlight=("title",))
    assert result.hits[0].highlights == {"title": "<mark>Hydrology</mark> expert"}
    result = await seeded.search("A", "اداره", highlight=("title",))
    assert result.hits[0].highlights["title"] == "<mark>إدارة</mark> المياه"


async def test_synonyms_from_settings(seeded: Engine):
    assert await seeded.ids("A", "gis") == ["3"]
    assert await seeded.ids("A", "GIS cities") == ["3"]


async def test_unknown_fields_are_refused(seeded: Engine):
    # Embedded: ValueError (a programming error). Meilisearch refuses the call with an API
    # error, surfaced as SearchUnavailable. Either way, no result comes back.
    expected = ValueError if seeded.backend.name == "embedded" else (ValueError,
                                                                     SearchUnavailable)
    with pytest.raises(expected):
        await seeded.search("A", filters=(Filter("nope", "eq", "x"),))
    with pytest.raises(expected):
        await seeded.search("A", sort=("nope", True))
    with pytest.raises(expected):
        await seeded.search("A", sort=("status", True))  # a keyword, not a number field
    with pytest.raises(expected):
        await seeded.search("A", facets=("nope",))


async def test_staged_writes_are_seen_only_after_commit(seeded: Engine):
    staged = seeded.backend.staged(seeded.index, "A")
    await staged.add([{"id": "7", "title": "Oceanography", "status": "active", "years": 2},
                      {**DOCS_A["2"], "title": "Oceanography of rivers"}], ["3"])
    await staged.add([], [])  # the first batch is taken by now
    assert await seeded.ids("A", "oceanography") == []
    assert "3" in await seeded.ids("A")
    await staged.commit()
    assert sorted(await seeded.ids("A", "oceanography")) == ["2", "7"]
    assert sorted(await seeded.ids("A")) == ["1", "2", "4", "5", "6", "7"]
    assert sorted(await seeded.ids("B")) == ["1", "9"]  # B's documents untouched


async def test_discarded_staged_writes_leave_nothing(seeded: Engine):
    staged = seeded.backend.staged(seeded.index, "A")
    await staged.add([{"id": "7", "title": "Oceanography", "status": "active", "years": 2}],
                     ["1"])
    await staged.add([], [])
    await staged.discard()
    assert await seeded.ids("A", "oceanography") == []
    assert sorted(await seeded.ids("A")) == sorted(DOCS_A)
    await seeded.upsert("A", [{"id": "8", "title": "Geology", "status": "active"}])
    assert await seeded.ids("A", "geology") == ["8"]  # nothing of it holds the index


async def test_embedded_a_repeated_query_word_weighs_as_often_as_it_is_said(tmp_path):
    """Matching any word, a word said three times counts three times (one clause boosted,
    not three clauses): the order follows what the query keeps coming back to, and the
    scores are those of the word's clause times the count."""
    backend = EmbeddedSearch(tmp_path / "search")
    await backend.configure("experts", SETTINGS)
    await backend.upsert("experts", "A", [{"id": "w", "title": "Water engineer"},
                                          {"id": "i", "title": "Irrigation engineer"}])

    async def scores(text: str) -> dict[str, float]:
        found = await backend.search("experts", "A", SearchQuery(text=text, matching="any"))
        return {hit.id: hit.score for hit in found.hits}

    once = await scores("water irrigation")
    assert once["w"] == pytest.approx(once["i"])
    water = await scores("water irrigation water water")
    assert water["w"] == pytest.approx(3 * once["w"]) and water["i"] == pytest.approx(once["i"])
    irrigation = await scores("irrigation water irrigation irrigation")
    assert irrigation["i"] == pytest.approx(3 * once["i"])
    assert [hit.id for hit in (await backend.search("experts", "A", SearchQuery(
        text="irrigation irrigation water", matching="any"))).hits] == ["i", "w"]
    await backend.close()


async def test_embedded_writer_is_free_as_soon_as_staged_writes_end(tmp_path):
    """Tantivy frees the index's lock only when its writer is gone: a discarded or committed
    import leaves the index writable at once, not once a worker thread has tidied up (it
    was a race: "index busy" now and then under load)."""
    backend = EmbeddedSearch(tmp_path / "search")
    await backend.configure("experts", SETTINGS)
    for i in range(200):
        staged = backend.staged("experts", "A")
        await staged.add([{"id": f"s{i}", "title": "Oceanography"}], [])
        await staged.add([], [])
        await (staged.discard() if i % 2 else staged.commit())
        await backend.upsert("experts", "A", [{"id": "g", "title": "Geology"}])
    found = await backend.search("experts", "A", SearchQuery(text="oceanography", limit=200))
    assert sorted(hit.id for hit in found.hits) == sorted(f"s{i}" for i in range(0, 200, 2))


async def test_embedded_staged_writes_hold_the_writer_until_commit(tmp_path):
    """While staged writes wait for their commit, another write finds the index busy (and
    is retried later by its caller); a staged write that finds it busy says so."""
    backend = EmbeddedSearch(tmp_path / "search")
    await backend.configure("experts", SETTINGS)
    staged = backend.staged("experts", "A")
    await staged.add([{"id": "1", "title": "Hydrology"}], [])
    await staged.add([], [])
    with pytest.raises(SearchUnavailable, match="busy"):
        await backend.upsert("experts", "A", [{"id": "2", "title": "Geology"}])
    second = backend.staged("experts", "A")
    await second.add([{"id": "3", "title": "Botany"}], [])
    with pytest.raises(SearchUnavailable, match="busy"):
        await second.commit()
    await staged.commit()
    await backend.upsert("experts", "A", [{"id": "2", "title": "Geology"}])
    found = await backend.search("experts", "A", SearchQuery(limit=10))
    assert sorted(hit.id for hit in found.hits) == ["1", "2"]


async def test_embedded_unconfigured_index_is_unavailable(tmp_path):
    backend = EmbeddedSearch(tmp_path / "search")
    with pytest.raises(SearchUnavailable):
        await backend.search("experts", "A", SearchQuery(text="x"))
    with pytest.raises(SearchUnavailable):
        await backend.upsert("experts", "A", [{"id": "1"}])


# --- values that cross the protocol -------------------------------------------------------


@pytest.mark.parametrize(("field", "op", "value"), [
    ("status", "like", "x"),          # unknown operator
    ("status", "eq", True),           # booleans are not values
    ("years", "gte", False),
    ("status", "eq", None),
    ("status", "eq", 1.5),
    ("status", "eq", ["a"]),          # a list needs in / not_in
    ("status", "in", "active"),       # in without a list
    ("status", "not_in", "active"),
    ("status", "in", ["a", True]),
    ("status", "in", ["a", {"b": 1}]),
])
def test_filter_validation(field, op, value):
    with pytest.raises(ValueError):
        Filter(field, op, value)


def test_valid_filters_are_accepted():
    Filter("status", "eq", "x")
    Filter("years", "gte", 3)
    Filter("status", "in", ("a", "b"))
    Filter("status", "not_in", {"a"})


# --- the embedded index on disk -----------------------------------------------------------


async def test_embedded_index_survives_a_restart_and_rebuilds_on_new_settings(tmp_path):
    directory = tmp_path / "search"
    # holds_fields tells `portal run` whether to fill the index first: none on disk yet
    assert not holds_fields(directory / "experts", SETTINGS)
    first = EmbeddedSearch(directory)
    await first.configure("experts", SETTINGS)
    await first.upsert("experts", "A", list(DOCS_A.values()))
    await first.upsert("experts", "B", list(DOCS_B.values()))
    await first.close()

    assert holds_fields(directory / "experts", SETTINGS)
    again = EmbeddedSearch(directory)  # a new process: nothing in memory
    await again.configure("experts", SETTINGS)
    assert (await again.search("experts", "A", SearchQuery(limit=50))).total == len(DOCS_A)
    hits = (await again.search("experts", "A", SearchQuery(text="hydrolgy"))).hits
    assert [h.id for h in hits] == ["1"] and hits[0].document["note"] == "stored only"
    assert [h.id for h in (await again.search("experts", "A", SearchQuery(text="gis"))).hits] \
        == ["3"]
    await again.upsert("experts", "A", [{**DOCS_A["3"], "years": 30}])  # still writable
    assert [h.id for h in (await again.search(
        "experts", "A", SearchQuery(sort=("years", True), limit=1))).hits] == ["3"]
    await again.close()

    changed = IndexSettings(searchable=("title", "summary", "skills"), keywords=("status",),
                            numbers=("years",))
    assert not holds_fields(directory / "experts", changed)  # an upgrade changed the fields
    rebuilt = EmbeddedSearch(directory)
    await rebuilt.configure("experts", changed)
    assert (await rebuilt.search("experts", "A", SearchQuery())).total == 0
    assert (await rebuilt.search("experts", "B", SearchQuery())).total == 0
    await rebuilt.upsert("experts", "A", [{"id": "1", "title": "Hydrology", "skills": "rivers",
                                           "status": "active", "years": 4}])
    hits = (await rebuilt.search("experts", "A", SearchQuery(
        text="rivers", filters=(Filter("status", "eq", "active"),)))).hits
    assert [h.id for h in hits] == ["1"]
    await rebuilt.close()

    # And the rebuilt index is what the next process finds.
    after = EmbeddedSearch(directory)
    await after.configure("experts", changed)
    assert (await after.search("experts", "A", SearchQuery(text="rivers"))).total == 1
    await after.close()


async def test_search_in_looks_only_in_the_fields_asked(seeded: Engine):
    assert await seeded.ids("A", "mapping", search_in=("title",)) == ["3"]
    assert await seeded.ids("A", "mapping", search_in=("summary",)) == []
    assert await seeded.ids("A", "cities", search_in=("summary",)) == ["3"]


async def test_without_typos_words_match_as_written(seeded: Engine):
    assert await seeded.ids("A", "hydrolgy") == ["1"]
    if seeded.backend.name == "embedded":  # a hint: Meilisearch has no per-query switch
        assert await seeded.ids("A", "hydrolgy", typos=False) == []
    assert await seeded.ids("A", "hydrology", typos=False) == ["1"]


@pytest.mark.parametrize("limit, offset", [(0, 0), (-1, 0), (1001, 0), (10, -1)])
def test_query_limits_are_checked_before_any_engine_sees_them(limit, offset):
    with pytest.raises(ValueError):
        SearchQuery(text="x", limit=limit, offset=offset)
