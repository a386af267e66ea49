"""The protocol the app depends on, and the values that cross it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Operator = Literal["eq", "in", "not_in", "gte", "lte"]
OPERATORS = ("eq", "in", "not_in", "gte", "lte")


class SearchUnavailable(Exception):
    """The engine cannot answer (down, timed out, refused the call). Callers fall back."""


@dataclass(frozen=True)
class IndexSettings:
    """What an index holds. Documents are flat dicts with an 'id'; the backend adds
    'tenant_id' itself (callers never set it)."""

    searchable: tuple[str, ...]                   # text fields, most important first
    keywords: tuple[str, ...] = ()                # exact values: filters and facets (lists ok)
    numbers: tuple[str, ...] = ()                 # integers: range filters and sorting
    stored: tuple[str, ...] = ()                  # returned with hits, never searched
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)  # word -> same-meaning words

    @property
    def fields(self) -> tuple[str, ...]:
        return (*self.searchable, *self.keywords, *self.numbers, *self.stored)


@dataclass(frozen=True)
class Filter:
    """A structured condition on a keyword or number field (never a string from a user)."""

    field: str
    op: Operator
    value: Any

    def __post_init__(self):
        if self.op not in OPERATORS:
            raise ValueError(f"unknown operator {self.op!r}")
        values = self.value if self.op in ("in", "not_in") else [self.value]
        if self.op in ("in", "not_in") and not isinstance(self.value, (list, tuple, set,
                                                                      frozenset)):
            raise ValueError(f"{self.op} takes a list of values")
        for value in values:
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise ValueError(f"filter values are strings or integers, not {value!r}")


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    filters: tuple[Filter, ...] = ()
    facets: tuple[str, ...] = ()                  # keyword fields to count values of
    sort: tuple[str, bool] | None = None          # (number field, descending); None: relevance
    limit: int = 20
    offset: int = 0
    highlight: tuple[str, ...] = ()               # searchable fields to mark matches in
    # 'all': every word must match (search as you type); 'any': the more words the better
    # (matching: a request's whole text against profiles).
    matching: Literal["all", "any"] = "all"
    search_in: tuple[str, ...] = ()               # searchable fields to look in; () all of them
    # Forgive typos (words typed by a person). False is a hint for text that is written
    # with care, like a request's skills from the vocabulary: an engine that can skips the
    # (costly) fuzzy matching.
    typos: bool = True
    MAX_LIMIT = 1000

    def __post_init__(self):
        if not 1 <= self.limit <= self.MAX_LIMIT or self.offset < 0:
            raise ValueError(f"limit must be 1..{self.MAX_LIMIT} and offset >= 0")


@dataclass
class Hit:
    id: str
    score: float
    document: dict[str, Any]
    # field -> the field's text, HTML-escaped, with matches in <mark>…</mark>
    highlights: dict[str, str] = field(default_factory=dict)


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


class StagedWrites(Protocol):
    """Upserts and deletions of one tenant's documents in one index, handed over while a long
    transaction runs and visible to searches only after commit(); discard() drops them all.
    add() may return before the engine has taken a batch: its failure (SearchUnavailable)
    surfaces at the next call."""

    async def add(self, documents: list[dict[str, Any]], deletes: list[str]) -> None: ...

    async def commit(self) -> None: ...

    async def discard(self) -> None: ...


@runtime_checkable  # handlers receive it as a typed dependency, which is checked
class SearchBackend(Protocol):
    """Every call names the tenant; no call can read or change another tenant's documents."""

    name: str

    async def configure(self, index: str, settings: IndexSettings) -> None: ...

    async def upsert(self, index: str, tenant_id: str, documents: list[dict[str, Any]]) -> None: ...

    async def delete(self, index: str, tenant_id: str, ids: list[str]) -> None: ...

    async def search(self, index: str, tenant_id: str, query: SearchQuery) -> SearchResult: ...

    async def drop_tenant(self, index: str, tenant_id: str) -> None: ...

    def staged(self, index: str, tenant_id: str) -> StagedWrites: ...

    async def close(self) -> None: ...
