"""The Meilisearch backend, on the official async client (meilisearch-python-sdk).

One Meilisearch index per entity type; every document carries tenant_id, a filterable
attribute, and every search and delete adds the tenant filter itself. Settings come from
code (configure). Writes wait for their task, with a timeout; any failure surfaces as
SearchUnavailable so the caller can retry (the sync worker) or fall back (matching)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import httpx2
from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.errors import MeilisearchError
from meilisearch_python_sdk.models.settings import (
    MeilisearchSettings,
    MinWordSizeForTypos,
    TypoTolerance,
)

from search_index.model import (
    Filter,
    Hit,
    IndexSettings,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
)
from search_index.text import mark_between, query_words

TENANT, ID = "tenant_id", "id"
# The Meilisearch primary key: a hash of (tenant, id), so two tenants' documents with the
# same id are two documents (with 'id' as the primary key, tenant B's upsert of id 1 would
# replace tenant A's document 1). Set by the backend, removed from hits.
KEY = "doc_key"
FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
# Unlikely in text, so they can be turned into escaped HTML with <mark> afterwards.
PRE, POST = "\x02", "\x03"
TASK_TIMEOUT_MS = 10_000
STAGED_BATCH = 5_000
# What the client raises when the engine is down, slow or refuses a call.
ENGINE_ERRORS = (MeilisearchError, httpx2.HTTPError, OSError)


def quote(value: str | int) -> str:
    """A value inside a Meilisearch filter expression: numbers as they are, strings in
    double quotes with quotes and backslashes escaped (a value can never close its quote)."""
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


def document_key(tenant_id: str, doc_id: str) -> str:
    return hashlib.sha256(json.dumps([str(tenant_id), str(doc_id)]).encode()).hexdigest()


def filter_expression(tenant_id: str, filters: tuple[Filter, ...]) -> str:
    """The tenant condition first, then every filter, joined with AND. Field names come from
    code (IndexSettings), values are quoted: nothing typed by a user becomes syntax."""
    parts = [f"{TENANT} = {quote(tenant_id)}"]
    for flt in filters:
        if not FIELD_NAME.fullmatch(flt.field):  # a field name is syntax: never let it be more
            raise ValueError(f"not a field name: {flt.field!r}")
        if flt.op == "eq":
            parts.append(f"{flt.field} = {quote(flt.value)}")
        elif flt.op == "in":
            parts.append(f"{flt.field} IN [{', '.join(quote(v) for v in flt.value)}]")
        elif flt.op == "not_in":
            parts.append(f"{flt.field} NOT IN [{', '.join(quote(v) for v in flt.value)}]")
        elif flt.op == "gte":
            parts.append(f"{flt.field} >= {quote(int(flt.value))}")
        else:
            parts.append(f"{flt.field} <= {quote(int(flt.value))}")
    return " AND ".join(parts)


# Meilisearch reads at most the first 10 words of a query and ignores the rest (a hard
# limit: "Known limitations" in its documentation).
QUERY_WORDS = 10


def query_text(query: SearchQuery) -> str | None:
    """What Meilisearch is asked for. A query of any word (a request's match) is cut to its
    first QUERY_WORDS distinct words, without the very common ones, so none of the 10 is
    spent on a repeat or on "the": the caller puts the most telling words first."""
    if query.matching != "any" or not query.text:
        return query.text or None
    return " ".join(list(dict.fromkeys(query_words(query.text, "any")))[:QUERY_WORDS]) or None


def index_settings(settings: IndexSettings) -> MeilisearchSettings:
    return MeilisearchSettings(
        searchable_attributes=list(settings.searchable),
        filterable_attributes=[TENANT, ID, *settings.keywords, *settings.numbers],
        sortable_attributes=list(settings.numbers),
        displayed_attributes=["*"],
        ranking_rules=["words", "typo", "proximity", "attribute", "sort", "exactness"],
        synonyms={word: list(same) for word, same in settings.synonyms.items()},
        typo_tolerance=TypoTolerance(
            enabled=True, disable_on_attributes=[],
            min_word_size_for_typos=MinWordSizeForTypos(one_typo=5, two_typos=9)),
    )


class MeiliSearch:
    name = "meilisearch"

    def __init__(self, url: str, api_key: str | None, index_prefix: str = "",
                 timeout_seconds: int = 10):
        self.client = AsyncClient(url, api_key or None, timeout=timeout_seconds)
        self.prefix = index_prefix

    def _uid(self, index: str) -> str:
        return f"{self.prefix}{index}"

    async def _wait(self, task) -> None:
        result = await self.client.wait_for_task(task.task_uid, timeout_in_ms=TASK_TIMEOUT_MS)
        if result.status != "succeeded":
            raise SearchUnavailable(f"Meilisearch task {task.task_uid} {result.status}: "
                                    f"{result.error}")

    async def configure(self, index: str, settings: IndexSettings) -> None:
        try:
            handle = await self.client.get_or_create_index(self._uid(index), primary_key=KEY)
            if handle.primary_key not in (None, KEY):
                raise SearchUnavailable(f"Meilisearch index {handle.uid} has primary key "
                                        f"{handle.primary_key!r}, not {KEY!r}: delete it and "
                                        f"reindex")
            await self._wait(await handle.update_settings(index_settings(settings)))
        except ENGINE_ERRORS as exc:
            raise SearchUnavailable(str(exc)) from exc

    async def upsert(self, index: str, tenant_id: str, documents: list[dict[str, Any]]) -> None:
        if not documents:
            return
        try:
            await self._wait(await self.client.index(self._uid(index)).add_documents(
                [{**doc, ID: str(doc[ID]), TENANT: str(tenant_id),
                  KEY: document_key(tenant_id, doc[ID])} for doc in documents],
                primary_key=KEY))
        except ENGINE_ERRORS as exc:
            raise SearchUnavailable(str(exc)) from exc

    async def delete(self, index: str, tenant_id: str, ids: list[str]) -> None:
        if not ids:
            return
        await self._delete_where(index, filter_expression(
            str(tenant_id), (Filter(ID, "in", [str(i) for i in ids]),)))

    async def drop_tenant(self, index: str, tenant_id: str) -> None:
        await self._delete_where(index, filter_expression(str(tenant_id), ()))

    async def _delete_where(self, index: str, expression: str) -> None:
        try:
            await self._wait(await self.client.index(self._uid(index))
                             .delete_documents_by_filter(expression))
        except ENGINE_ERRORS as exc:
            raise SearchUnavailable(str(exc)) from exc

    async def search(self, index: str, tenant_id: str, query: SearchQuery) -> SearchResult:
        try:
            result = await self.client.index(self._uid(index)).search(
                query_text(query), offset=query.offset, limit=query.limit,
                filter=filter_expression(str(tenant_id), query.filters),
                facets=list(query.facets) or None,
                attributes_to_highlight=list(query.highlight) or None,
                highlight_pre_tag=PRE, highlight_post_tag=POST,
                sort=[f"{query.sort[0]}:{'desc' if query.sort[1] else 'asc'}"]
                if query.sort else None,
                matching_strategy="all" if query.matching == "all" else "last",
                attributes_to_search_on=list(query.search_in) or None,
                show_ranking_score=True)
        except ENGINE_ERRORS as exc:
            raise SearchUnavailable(str(exc)) from exc
        hits = []
        for raw in result.hits:
            formatted = raw.pop("_formatted", None) or {}
            score = raw.pop("_rankingScore", 0.0)
            raw.pop(TENANT, None)
            raw.pop(KEY, None)
            marks = {}
            for name in query.highlight:
                value = formatted.get(name)
                text = " · ".join(value) if isinstance(value, list) else value
                if text and PRE in text:
                    marks[name] = mark_between(text, PRE, POST)
            hits.append(Hit(id=str(raw[ID]), score=float(score), document=raw, highlights=marks))
        return SearchResult(hits=hits, total=result.estimated_total_hits or len(hits),
                            facets={k: dict(v) for k, v in (result.facet_distribution or {})
                                    .items()})

    def staged(self, index: str, tenant_id: str) -> _Staged:
        return _Staged(self, index, str(tenant_id))

    async def close(self) -> None:
        await self.client.aclose()


class _Staged:
    """Meilisearch has no write that waits for a commit: the batches are kept here and sent
    at commit(), in batches of STAGED_BATCH documents."""

    def __init__(self, backend: MeiliSearch, index: str, tenant_id: str):
        self.backend, self.index, self.tenant_id = backend, index, tenant_id
        self.documents: list[dict[str, Any]] = []
        self.deletes: list[str] = []

    async def add(self, documents: list[dict[str, Any]], deletes: list[str]) -> None:
        self.documents += documents
        self.deletes += deletes

    async def commit(self) -> None:
        for start in range(0, len(self.documents), STAGED_BATCH):
            await self.backend.upsert(self.index, self.tenant_id,
                                      self.documents[start:start + STAGED_BATCH])
        await self.backend.delete(self.index, self.tenant_id, self.deletes)
        await self.discard()

    async def discard(self) -> None:
        self.documents, self.deletes = [], []
