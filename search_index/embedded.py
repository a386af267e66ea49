"""The embedded backend: Tantivy in the portal's process, one index directory per index
under var/search/. Text is folded in Python (search_index.text.fold) before Tantivy sees
it, so accents and Arabic variants match the same way on both sides; Tantivy adds word
splitting, lower-casing and ASCII folding.

Writes take the index's writer lock only for one batch, so `portal worker` and `portal
reindex` can share an index directory with `portal run`; readers see a commit after
reload() here, or about a second later in another process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import msgspec
import tantivy

from search_index.model import (
    Filter,
    Hit,
    IndexSettings,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
)
from search_index.text import fold, marked_fields, typo_budget, words
from search_index.text import query_words as search_words

TENANT, ID, SOURCE = "tenant_id", "id", "_source"
FOLDED = "folded"
# Boosts of the searchable fields, most important first; further fields get the last one.
# Experts (app/search/documents.py): skills 3, headline 2.5, summary 2, work history 1.5,
# name 1, the summary and work history as before the headline came between them (tuned on
# bench/matching_quality.py's tuning half: the headline at 2, the others one step down,
# lost 0.008 nDCG@10 on clean English); requests: title 3, skills 2.5, text 2.
FIELD_BOOSTS = (3.0, 2.5, 2.0, 1.5, 1.0)
MAX_FACET_VALUES = 100
WRITER_HEAP = 50_000_000
INT_MIN, INT_MAX = -(2**62), 2**62
# Each hit's stored source (JSON written by json.dumps): msgspec reads it in 60 % of the
# time of json.loads, and a match reads 200 of them while holding the GIL.
_decode = msgspec.json.Decoder().decode


def _analyzer():
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.ascii_fold()).build())


FINGERPRINT = "settings.json"  # the fields an index folder was built with


def _fields(settings: IndexSettings) -> str:
    return json.dumps({"searchable": settings.searchable, "keywords": settings.keywords,
                       "numbers": settings.numbers}, sort_keys=True)


def holds_fields(path: Path, settings: IndexSettings) -> bool:
    """Whether `path` holds an index built with exactly these fields; if not (none yet, or
    an upgrade changed the fields), the index must be filled from PostgreSQL."""
    fingerprint = path / FINGERPRINT
    return path.is_dir() and tantivy.Index.exists(str(path)) and fingerprint.exists() \
        and fingerprint.read_text() == _fields(settings)


class _Index:
    def __init__(self, path: Path, settings: IndexSettings):
        self.settings = settings
        builder = tantivy.SchemaBuilder()
        builder.add_text_field(ID, stored=True, tokenizer_name="raw", fast=True)
        builder.add_text_field(TENANT, stored=False, tokenizer_name="raw", fast=True)
        for name in settings.searchable:
            builder.add_text_field(name, stored=False, tokenizer_name=FOLDED)
        for name in settings.keywords:
            builder.add_text_field(name, stored=False, tokenizer_name="raw", fast=True)
        for name in settings.numbers:
            builder.add_integer_field(name, stored=False, indexed=True, fast=True)
        builder.add_bytes_field(SOURCE, stored=True, indexed=False)
        self.schema = builder.build()
        path.mkdir(parents=True, exist_ok=True)
        reuse = holds_fields(path, settings)
        if tantivy.Index.exists(str(path)) and not reuse:
            # The fields changed: the old files cannot serve the new schema. The index is a
            # copy of PostgreSQL; `portal reindex` fills it again.
            for child in path.iterdir():
                if child.is_file():
                    child.unlink()
        self.index = tantivy.Index(self.schema, path=str(path), reuse=reuse)
        self.index.register_tokenizer(FOLDED, _analyzer())
        (path / FINGERPRINT).write_text(_fields(settings))
        self.lock = threading.Lock()  # one writer at a time within this process
        self.synonyms = {fold(k): [words(v) for v in vs] for k, vs in settings.synonyms.items()}

    # --- writing ------------------------------------------------------------------------

    def _document(self, tenant_id: str, doc: dict[str, Any]) -> tantivy.Document:
        values: dict[str, Any] = {ID: str(doc[ID]), TENANT: tenant_id}
        for name in self.settings.searchable:
            text = doc.get(name)
            if text:
                values[name] = [fold(t) for t in text] if isinstance(text, list) else fold(text)
        for name in self.settings.keywords:
            value = doc.get(name)
            if value is not None and value != []:
                values[name] = [str(v) for v in value] if isinstance(value, list) else str(value)
        for name in self.settings.numbers:
            if doc.get(name) is not None:
                values[name] = int(doc[name])
        source = {k: v for k, v in doc.items() if k in self.settings.fields or k == ID}
        document = tantivy.Document.from_dict(values, self.schema)
        document.add_bytes(SOURCE, json.dumps(source, default=str).encode())
        return document

    def _tenant_docs(self, tenant_id: str, doc_ids: list[str]):
        return tantivy.Query.boolean_query([
            (tantivy.Occur.Must, tantivy.Query.term_query(self.schema, TENANT, tenant_id)),
            (tantivy.Occur.Must, tantivy.Query.term_set_query(self.schema, ID, doc_ids))])

    def write(self, tenant_id: str, upserts: list[dict], deletes: list[str],
              drop_tenant: bool = False) -> None:
        with self.lock:
            writer = self.open_writer()
            try:
                if drop_tenant:
                    writer.delete_documents_by_query(
                        tantivy.Query.term_query(self.schema, TENANT, tenant_id))
                doc_ids = [*deletes, *(str(d[ID]) for d in upserts)]
                if doc_ids:
                    # By tenant and id together: a document id of another tenant is untouched;
                    # one query for the batch (one per document was most of a large batch's
                    # time).
                    writer.delete_documents_by_query(self._tenant_docs(tenant_id, doc_ids))
                for doc in upserts:
                    writer.add_document(self._document(tenant_id, doc))
                writer.commit()
                writer.wait_merging_threads()
            except BaseException:
                writer.rollback()
                raise
            finally:
                del writer  # the lock goes with it (_Staged says why), even on failure
        self.index.reload()

    def open_writer(self):
        try:
            return self.index.writer(heap_size=WRITER_HEAP, num_threads=1)
        except ValueError as exc:  # another writer (this process's or another's) holds it
            raise SearchUnavailable(f"index busy: {exc}") from exc

    # --- searching ----------------------------------------------------------------------

    def _word_query(self, word: str, prefix: bool, fields: tuple[str, ...], typos: bool):
        """One query word: exact (scored by BM25) or within its typo budget, in the
        searchable fields asked for, more important fields weighing more; synonyms count
        too."""
        alternatives = []
        for i, name in enumerate(self.settings.searchable):
            if fields and name not in fields:
                continue
            boost = FIELD_BOOSTS[min(i, len(FIELD_BOOSTS) - 1)]
            exact = tantivy.Query.term_query(self.schema, name, word)
            budget = typo_budget(word) if typos else 0
            if budget or prefix:
                fuzzy = tantivy.Query.fuzzy_term_query(self.schema, name, word, distance=budget,
                                                       transposition_cost_one=True, prefix=prefix)
                alternatives.append(tantivy.Query.boost_query(
                    tantivy.Query.disjunction_max_query([exact, tantivy.Query.boost_query(
                        fuzzy, 0.5)]), boost))
            else:
                alternatives.append(tantivy.Query.boost_query(exact, boost))
            for synonym in self.synonyms.get(word, []):
                phrase = [(tantivy.Occur.Must, tantivy.Query.term_query(self.schema, name, w))
                          for w in synonym]
                alternatives.append(tantivy.Query.boost_query(
                    tantivy.Query.boolean_query(phrase), boost * 0.9))
        return tantivy.Query.disjunction_max_query(alternatives, tie_breaker=0.1)

    def _filter_query(self, flt: Filter):
        if flt.field in self.settings.numbers:
            low = flt.value if flt.op == "gte" else INT_MIN
            high = flt.value if flt.op == "lte" else INT_MAX
            if flt.op in ("gte", "lte"):
                return tantivy.Query.range_query(self.schema, flt.field, tantivy.FieldType.Integer,
                                                 int(low), int(high))
            values = flt.value if flt.op in ("in", "not_in") else [flt.value]
            return tantivy.Query.boolean_query([
                (tantivy.Occur.Should, tantivy.Query.range_query(
                    self.schema, flt.field, tantivy.FieldType.Integer, int(v), int(v)))
                for v in values])
        if flt.field not in self.settings.keywords:
            raise ValueError(f"{flt.field!r} is not a keyword or number field of this index")
        if flt.op in ("gte", "lte"):
            raise ValueError(f"{flt.op} works on number fields only")
        if flt.op == "eq":
            return tantivy.Query.term_query(self.schema, flt.field, str(flt.value))
        return tantivy.Query.term_set_query(self.schema, flt.field, [str(v) for v in flt.value])

    def search(self, tenant_id: str, query: SearchQuery) -> SearchResult:
        clauses = [(tantivy.Occur.Must, tantivy.Query.const_score_query(
            tantivy.Query.term_query(self.schema, TENANT, tenant_id), 0.0))]
        query_words = search_words(query.text, query.matching)
        if query_words:
            unknown = set(query.search_in) - set(self.settings.searchable)
            if unknown:
                raise ValueError(f"not searchable fields: {sorted(unknown)}")
            if query.matching == "all":  # every word; the last one may be a prefix
                words_of = [(tantivy.Occur.Must, self._word_query(
                    w, i == len(query_words) - 1, query.search_in, query.typos))
                    for i, w in enumerate(query_words)]
            else:
                # A word said n times weighs n times, as BM25 sums the clauses: one clause
                # boosted n times scores the same at a fraction of the cost (a request's
                # text keeps coming back to its subject: half its words are repeats, and
                # its match took three times as long).
                words_of = [(tantivy.Occur.Should, tantivy.Query.boost_query(
                    self._word_query(w, False, query.search_in, query.typos), float(n))
                    if n > 1 else self._word_query(w, False, query.search_in, query.typos))
                    for w, n in Counter(query_words).items()]
            clauses.append((tantivy.Occur.Must, tantivy.Query.boolean_query(words_of)))
        for flt in query.filters:
            occur = tantivy.Occur.MustNot if flt.op == "not_in" else tantivy.Occur.Must
            clauses.append((occur, tantivy.Query.const_score_query(self._filter_query(flt), 0.0)))
        if not query_words:
            clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        tantivy_query = tantivy.Query.boolean_query(clauses)
        searcher = self.index.searcher()
        if query.sort:
            field, descending = query.sort
            if field not in self.settings.numbers:
                raise ValueError(f"{field!r} is not a number field of this index")
            result = searcher.search(tantivy_query, limit=query.limit, offset=query.offset,
                                     count=True, order_by_field=field,
                                     order=tantivy.Order.Desc if descending else tantivy.Order.Asc)
        else:
            result = searcher.search(tantivy_query, limit=query.limit, offset=query.offset,
                                     count=True)
        hits = []
        for score, address in result.hits:
            stored = searcher.doc(address)
            document = _decode(stored[SOURCE][0])
            hits.append(Hit(id=document[ID], score=float(score) if not query.sort else 0.0,
                            document=document,
                            highlights=marked_fields(document, query.highlight, query_words,
                                                     query.matching)))
        facets = {}
        if query.facets:
            unknown = set(query.facets) - set(self.settings.keywords)
            if unknown:
                raise ValueError(f"not keyword fields: {sorted(unknown)}")
            aggregated = searcher.aggregate(tantivy_query, {
                name: {"terms": {"field": name, "size": MAX_FACET_VALUES}}
                for name in query.facets})
            facets = {name: {b["key"]: b["doc_count"] for b in aggregated[name]["buckets"]}
                      for name in query.facets}
        total = result.count  # type: ignore[attr-defined]  # tantivy's stub omits it
        return SearchResult(hits=hits, total=total, facets=facets)


class _Staged:
    """One writer, taken at the first add() and held until commit() or discard(): each
    batch is turned into Tantivy documents and written in a worker thread while the caller
    goes on (the documents' folding and encoding are most of an index build's time), into
    segments no reader sees before the commit. Meanwhile other writes to the index, in this
    process or another, find it busy (SearchUnavailable) and are retried later."""

    def __init__(self, index: _Index, tenant_id: str):
        self.index, self.tenant_id = index, tenant_id
        self.writer: Any = None
        self.pending: asyncio.Future | None = None  # the batch being written

    def _write(self, upserts: list[dict[str, Any]], deletes: list[str]) -> None:
        if self.writer is None:
            self.writer = self.index.open_writer()
        doc_ids = [*deletes, *(str(d[ID]) for d in upserts)]
        if doc_ids:
            self.writer.delete_documents_by_query(self.index._tenant_docs(self.tenant_id, doc_ids))
        for doc in upserts:
            self.writer.add_document(self.index._document(self.tenant_id, doc))

    async def _written(self) -> None:
        pending, self.pending = self.pending, None
        if pending is not None:
            await pending

    async def add(self, documents: list[dict[str, Any]], deletes: list[str]) -> None:
        await self._written()
        self.pending = asyncio.ensure_future(asyncio.to_thread(self._write, documents, deletes))

    # Tantivy frees the index's lock only when the writer object is gone. So the writer
    # is let go inside the worker thread's function: handed to it as an argument (a bound
    # method, say), the executor's work item would keep it alive until the thread tidies
    # up, which may be after the caller resumed and opened another writer ("index busy").
    def _commit(self) -> None:
        writer, self.writer = self.writer, None
        try:
            writer.commit()
            writer.wait_merging_threads()
        except BaseException:
            writer.rollback()
            raise
        finally:
            del writer  # not kept alive by a traceback either
        self.index.index.reload()

    def _rollback(self) -> None:
        writer, self.writer = self.writer, None
        if writer is not None:
            writer.rollback()

    async def commit(self) -> None:
        try:
            await self._written()
        except BaseException:
            await self.discard()
            raise
        if self.writer is not None:
            await asyncio.to_thread(self._commit)

    async def discard(self) -> None:
        with contextlib.suppress(Exception):  # what failed is dropped with the rest
            await self._written()
        if self.writer is not None:
            await asyncio.to_thread(self._rollback)


class EmbeddedSearch:
    """SearchBackend on Tantivy. Calls run in a worker thread: Tantivy releases the GIL
    while it searches, so the event loop keeps serving other requests."""

    name = "embedded"

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.indexes: dict[str, _Index] = {}

    def _index(self, name: str) -> _Index:
        try:
            return self.indexes[name]
        except KeyError:
            raise SearchUnavailable(f"index {name!r} is not configured") from None

    async def configure(self, index: str, settings: IndexSettings) -> None:
        if index not in self.indexes or self.indexes[index].settings != settings:
            self.indexes[index] = await asyncio.to_thread(_Index, self.directory / index, settings)

    async def upsert(self, index: str, tenant_id: str, documents: list[dict[str, Any]]) -> None:
        if documents:
            await asyncio.to_thread(self._index(index).write, str(tenant_id), documents, [])

    async def delete(self, index: str, tenant_id: str, ids: list[str]) -> None:
        if ids:
            await asyncio.to_thread(self._index(index).write, str(tenant_id), [],
                                    [str(i) for i in ids])

    async def search(self, index: str, tenant_id: str, query: SearchQuery) -> SearchResult:
        return await asyncio.to_thread(self._index(index).search, str(tenant_id), query)

    async def drop_tenant(self, index: str, tenant_id: str) -> None:
        await asyncio.to_thread(self._index(index).write, str(tenant_id), [], [],
                                drop_tenant=True)

    def staged(self, index: str, tenant_id: str) -> _Staged:
        return _Staged(self._index(index), str(tenant_id))

    async def close(self) -> None:
        self.indexes.clear()
