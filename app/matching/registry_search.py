"""Staff's free search of the registry through the search engine, and their saved
searches: the search form checked value by value, the engine queries with facet counts,
highlighted snippets cut to size, and the per-person saved searches with their quota."""

from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import parse_qsl, urlencode

from litestar.datastructures import MultiDict
from litestar.exceptions import NotFoundException
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.services import record
from app.core.actor import Actor
from app.core.errors import FormErrors
from app.core.locks import lock_until_commit
from app.experts.models import MODALITIES, PROFILE_STATUSES
from app.i18n import gettext as _
from app.matching.models import SavedSearch
from app.search.documents import MAX_MONTHS, NOT_INDEXED, months_between
from app.search.outbox import EXPERTS
from app.web.forms import FieldErrors
from app.web.reference import country_codes, language_codes
from search_index import Filter, SearchBackend, SearchQuery, SearchResult
from tenants.context import TenantContext
from tenants.directory import mission_sectors

PAGE_SIZE = 20
# Meilisearch answers at most 1000 hits by default: pages stop there on both backends.
MAX_OFFSET = 1000 - PAGE_SIZE
MAX_QUERY_TEXT = 200
MAX_VALUES_PER_FACET = 20
MAX_YEARS = 70
# Engine field -> query parameter (one value per checked box).
FACETS = {"sectors": "sector", "languages": "language", "country": "country",
          "modality": "modality", "status": "status"}
HIGHLIGHTED = ("name", "headline", "skills", "summary", "experience")
SNIPPET_FIELDS = ("headline", "skills", "summary", "experience")
SNIPPET_CHARS = 240
SORTS = {"relevance": None, "newest": ("number", True), "experience": ("years", True)}
# The statuses a profile can have while in the index (a withdrawn profile never is).
INDEXED_STATUSES = tuple(s for s in PROFILE_STATUSES if s not in NOT_INDEXED)
# Query parameters a search is made of (a saved search keeps these, never the page).
SEARCH_PARAMS = ("q", *FACETS.values(), "available_from", "available_to", "min_years", "sort")

MAX_SAVED_NAME = 120
MAX_SAVED_QUERY = 2000
MAX_SAVED_PER_USER = 50


# --- the search form ------------------------------------------------------------------------

@dataclass
class SearchForm:
    """A registry search as the page's query string gives it, checked value by value."""

    q: str = ""
    chosen: dict[str, list[str]] = field(default_factory=dict)   # engine field -> values
    available_from: date | None = None
    available_to: date | None = None
    min_years: int | None = None
    sort: str = "relevance"
    offset: int = 0
    raw: dict[str, str] = field(default_factory=dict)            # as typed, to show again
    errors: FieldErrors = field(default_factory=FieldErrors)

    def filters(self, without: str | None = None) -> tuple[Filter, ...]:
        """The engine filters; `without` leaves one facet's own choice out (to count the
        other values of that facet)."""
        found = [Filter("status", "not_in", sorted(NOT_INDEXED))]  # even if the index lags
        for name, values in self.chosen.items():
            if values and name != without:
                found.append(Filter(name, "in", list(values)))
        if self.available_from and self.available_to:
            found.append(Filter("available_months", "in",
                                months_between(self.available_from, self.available_to)))
        if self.min_years is not None:
            found.append(Filter("years", "gte", self.min_years))
        return tuple(found)

    def pairs(self) -> list[tuple[str, str]]:
        """The search as query-string pairs, in a fixed order (what a saved search keeps)."""
        pairs: list[tuple[str, str]] = []
        if self.q:
            pairs.append(("q", self.q))
        for name, param in FACETS.items():
            pairs += [(param, value) for value in self.chosen.get(name, [])]
        for name in ("available_from", "available_to", "min_years"):
            if self.raw.get(name):
                pairs.append((name, self.raw[name]))
        if self.sort != "relevance":
            pairs.append(("sort", self.sort))
        return pairs

    def query_string(self) -> str:
        return urlencode(self.pairs())

    def engine_sort(self) -> tuple[str, bool] | None:
        if self.sort == "relevance" and not self.q:
            return ("number", True)  # no words to rank by: newest profiles first
        return SORTS.get(self.sort)


@dataclass(frozen=True)
class Choices:
    """The values a facet may take in this mission (anything else is refused)."""

    sectors: dict[str, str]   # code -> name in the reader's language

    def allowed(self, name: str) -> frozenset[str] | set[str]:
        if name == "sectors":
            return set(self.sectors)
        if name == "languages":
            return language_codes()
        if name == "country":
            return country_codes()
        if name == "modality":
            return frozenset(MODALITIES)
        return frozenset(INDEXED_STATUSES)


def parse_search(params: MultiDict, choices: Choices) -> SearchForm:
    form, errors = SearchForm(), FieldErrors()
    form.errors = errors
    form.raw = {name: (params.get(name) or "").strip() for name in
                ("q", "available_from", "available_to", "min_years", "sort")}
    form.q = " ".join(form.raw["q"].split())
    if len(form.q) > MAX_QUERY_TEXT:
        errors["q"] = _("Use at most %(n)s characters.") % {"n": MAX_QUERY_TEXT}
    for name, param in FACETS.items():
        values = list(dict.fromkeys(v.strip() for v in params.getall(param, []) if v.strip()))
        if len(values) > MAX_VALUES_PER_FACET:
            errors[param] = _("Choose at most %(n)s values.") % {"n": MAX_VALUES_PER_FACET}
        elif any(value not in choices.allowed(name) for value in values):
            errors[param] = _("Choose one of the options listed.")
        form.chosen[name] = values[:MAX_VALUES_PER_FACET]
    form.available_from = errors.day("available_from", form.raw["available_from"],
                                     required=False)
    form.available_to = errors.day("available_to", form.raw["available_to"], required=False)
    if "available_from" not in errors and "available_to" not in errors:
        if bool(form.available_from) != bool(form.available_to):
            errors["available_to" if form.available_from else "available_from"] = _(
                "Give both dates of the period.")
        elif form.available_from and form.available_to:
            if form.available_to < form.available_from:
                errors["available_to"] = _("The end comes before the start.")
            elif (form.available_to.year * 12 + form.available_to.month) - (
                    form.available_from.year * 12 + form.available_from.month) >= MAX_MONTHS:
                errors["available_to"] = _("Choose a period of at most %(n)s months.") % {
                    "n": MAX_MONTHS}
    form.min_years = errors.integer("min_years", form.raw["min_years"], 0, MAX_YEARS)
    sort = form.raw["sort"] or "relevance"
    if sort not in SORTS:
        errors["sort"] = _("Choose one of the options listed.")
    else:
        form.sort = sort
    try:
        form.offset = max(0, min(int(params.get("offset") or 0), MAX_OFFSET))
    except ValueError:
        form.offset = 0  # a page link someone edited: start at the first page
    return form


async def choices_for(db: AsyncSession, tenant: TenantContext, locale: str) -> Choices:
    return Choices(sectors={s.code: s.display_name(locale)
                            for s in await mission_sectors(db, tenant)})


# --- searching ------------------------------------------------------------------------------

async def run_search(search: SearchBackend, tenant: TenantContext,
                     form: SearchForm) -> SearchResult:
    """The page of hits, with facet counts: a chosen facet is counted without its own
    choice (so its other values say how many more ticking them brings), every other facet
    on the results as they are."""
    narrowed = [name for name, values in form.chosen.items() if values]
    result = await search.search(EXPERTS, str(tenant.id), SearchQuery(
        text=form.q, filters=form.filters(),
        facets=tuple(name for name in FACETS if name not in narrowed),
        sort=form.engine_sort(), limit=PAGE_SIZE, offset=form.offset,
        highlight=HIGHLIGHTED if form.q else ()))
    for name in narrowed:
        counted = await search.search(EXPERTS, str(tenant.id), SearchQuery(
            text=form.q, filters=form.filters(without=name), facets=(name,), limit=1))
        result.facets[name] = counted.facets.get(name, {})
    return result


_MARKED = re.compile(r"<mark>(.*?)</mark>", re.DOTALL)


def snippet(marked: str, width: int = SNIPPET_CHARS) -> str:
    """An engine highlight (escaped text with <mark>) cut to about `width` characters around
    its first match. The text is unescaped and escaped again piece by piece, so the result
    holds nothing but escaped text and balanced <mark> tags whatever came in."""
    pieces: list[tuple[str, bool]] = []
    last = 0
    for match in _MARKED.finditer(marked):
        if match.start() > last:
            pieces.append((html.unescape(marked[last:match.start()]), False))
        pieces.append((html.unescape(match.group(1)), True))
        last = match.end()
    if last < len(marked):
        pieces.append((html.unescape(marked[last:]), False))
    plain = "".join(text_ for text_, _marked in pieces)
    first = next((sum(len(t) for t, _m in pieces[:i]) for i, (_t, m) in enumerate(pieces) if m),
                 0)
    start = max(0, first - width // 4)
    if start:  # begin at a word
        space = plain.rfind(" ", 0, start)
        start = space + 1 if space >= 0 and start - space < 20 else start
    end = min(len(plain), start + width)
    if end < len(plain):
        space = plain.find(" ", end)
        end = space if 0 <= space - end < 20 else end
    out, position = [], 0
    for piece, is_marked in pieces:
        lo, hi = max(start, position), min(end, position + len(piece))
        if lo < hi:
            part = html.escape(piece[lo - position:hi - position], quote=False)
            out.append(f"<mark>{part}</mark>" if is_marked else part)
        position += len(piece)
    return ("… " if start > 0 else "") + "".join(out) + (" …" if end < len(plain) else "")


@dataclass
class Row:
    """One hit as the results table shows it."""

    id: str
    number: int
    name: str
    status: str
    country: str
    city: str
    sectors: list[str]
    years: int | None
    name_marked: str | None        # safe HTML (escaped, with <mark>)
    snippets: list[str]            # safe HTML


def _matched_items(marked: str) -> str:
    """A list field's highlight (items joined with ' · '): only the items that matched (a
    skill's names in four languages and its synonyms are all indexed)."""
    items = [item for item in marked.split(" · ") if "<mark>" in item]
    return " · ".join(items) if items else marked


def rows_of(result: SearchResult) -> list[Row]:
    rows = []
    for hit in result.hits:
        doc = hit.document
        rows.append(Row(
            id=hit.id, number=doc.get("number") or 0, name=doc.get("name") or "",
            status=doc.get("status") or "", country=doc.get("country") or "",
            city=doc.get("city") or "", sectors=list(doc.get("sectors") or []),
            years=doc.get("years"),
            name_marked=snippet(hit.highlights["name"], 200) if hit.highlights.get("name")
            else None,
            snippets=[snippet(_matched_items(hit.highlights[name])) for name in SNIPPET_FIELDS
                      if hit.highlights.get(name)]))
    return rows


def registry_link(tenant, form: SearchForm) -> str:
    """The same search, as near as the PostgreSQL registry can take it (one value per
    filter, the words as a name)."""
    pairs = [(param, form.chosen[name][0]) for name, param in
             (("status", "status"), ("sectors", "sector"), ("languages", "language"),
              ("country", "country")) if form.chosen.get(name)]
    if form.q:
        pairs.append(("q", form.q[:100]))
    if form.available_from and form.available_to:
        pairs += [("available_from", form.raw["available_from"]),
                  ("available_to", form.raw["available_to"])]
    return f"/{tenant.slug}/experts" + (f"?{urlencode(pairs)}" if pairs else "")


# --- saved searches -------------------------------------------------------------------------

async def saved_searches(db: AsyncSession, tenant: TenantContext,
                         actor: Actor) -> list[SavedSearch]:
    """One's own saved searches in this mission (they are nobody else's to see)."""
    return list(await db.scalars(select(SavedSearch).where(
        SavedSearch.tenant_id == tenant.id, SavedSearch.user_id == actor.user_id)
        .order_by(SavedSearch.name, SavedSearch.created_at)))


def saved_search_params(raw_query: str) -> MultiDict:
    """The search parameters of a posted query string (anything else is dropped)."""
    if len(raw_query.lstrip("?")) > MAX_SAVED_QUERY:
        return MultiDict()
    return MultiDict([(k, v) for k, v in parse_qsl(raw_query.lstrip("?"), keep_blank_values=False)
                      if k in SEARCH_PARAMS])


async def save_search(db: AsyncSession, tenant: TenantContext, actor: Actor, name: str,
                      raw_query: str, locale: str) -> str:
    """Keep a search under a name (the same name replaces it), at most MAX_SAVED_PER_USER
    per person; returns the query string kept. FormErrors (on "name") when refused."""
    name = " ".join(name.split())
    errors = FieldErrors()
    too_long = _("This search is too long to keep (at most %(n)s characters).") % {
        "n": MAX_SAVED_QUERY}
    if len(raw_query.lstrip("?")) > MAX_SAVED_QUERY:
        errors["name"] = too_long
    errors.text("name", name, MAX_SAVED_NAME, required=True)
    form = parse_search(saved_search_params(raw_query), await choices_for(db, tenant, locale))
    if form.errors and "name" not in errors:
        errors["name"] = _("Correct the search before saving it.")
    query = form.query_string()
    if not errors and len(query) > MAX_SAVED_QUERY:
        errors["name"] = too_long
    if not errors:
        # One saver at a time per person and mission, so the limit holds under double clicks.
        await lock_until_commit(db, f"saved_searches:{tenant.id}:{actor.user_id}")
        same_name = await db.scalar(select(SavedSearch).where(
            SavedSearch.tenant_id == tenant.id, SavedSearch.user_id == actor.user_id,
            SavedSearch.name == name).limit(1))
        if same_name is not None:
            record(db, tenant.id, actor, "saved_search.replaced", "saved_search", same_name.id,
                   before={"name": name, "query": same_name.query},
                   after={"name": name, "query": query})
            same_name.query = query  # saving under a name already used replaces that search
        else:
            count = await db.scalar(select(func.count()).select_from(SavedSearch).where(
                SavedSearch.tenant_id == tenant.id, SavedSearch.user_id == actor.user_id)) or 0
            if count >= MAX_SAVED_PER_USER:
                errors["name"] = _("You keep %(n)s searches already: delete one first.") % {
                    "n": MAX_SAVED_PER_USER}
            else:
                saved = SavedSearch(id=uuid.uuid4(), tenant_id=tenant.id, user_id=actor.user_id,
                                    name=name, query=query)
                db.add(saved)
                record(db, tenant.id, actor, "saved_search.created", "saved_search", saved.id,
                       after={"name": name, "query": query})
    if errors:
        await db.rollback()
        raise FormErrors(errors)
    await db.commit()
    return query


async def delete_saved_search(db: AsyncSession, tenant: TenantContext, actor: Actor,
                              saved_id: uuid.UUID) -> None:
    """Another mission's row is invisible (tenant and row-level security); another person's
    row in this mission is not found either: saved searches are one's own."""
    deleted = (await db.execute(delete(SavedSearch).where(
        SavedSearch.tenant_id == tenant.id, SavedSearch.user_id == actor.user_id,
        SavedSearch.id == saved_id).returning(SavedSearch.name, SavedSearch.query))).first()
    if deleted is None:
        await db.rollback()
        raise NotFoundException()
    record(db, tenant.id, actor, "saved_search.deleted", "saved_search", saved_id,
           before={"name": deleted.name, "query": deleted.query})
    await db.commit()
