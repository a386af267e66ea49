"""Finding candidates for an open request: retrieve from the search engine with the hard
filters (this mission, verified profiles consenting to matching — only those are indexed
as matchable —, required languages at their minimum level, free during the work window),
then re-rank with the scoring module and explain each candidate. When the engine cannot
answer, the same candidates are found in PostgreSQL with a simpler retrieval and the page
says so."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from app.assignment_requests.models import AssignmentRequest
from app.assignment_requests.services import languages_of, skills_of
from app.audit.services import record
from app.core.actor import Actor
from app.core.errors import FormErrors
from app.experts.models import (
    LANGUAGE_LEVELS,
    ExpertAvailability,
    ExpertConsent,
    ExpertLanguage,
    ExpertProfile,
    ExpertSkill,
)
from app.i18n import gettext as _
from app.matching.scoring import (
    CRITERIA,
    DEFAULT_WEIGHTS,
    CandidateFacts,
    RequestFacts,
    Score,
    clean_weights,
    duration_days,
    rank_key,
    score,
)
from app.search.documents import expert_documents, months_between, work_window
from app.search.outbox import EXPERTS
from search_index import Filter, SearchBackend, SearchQuery, SearchUnavailable
from tenants.context import TenantContext
from tenants.services import get_mission

log = logging.getLogger(__name__)
# How many candidates the engine hands over for re-ranking.
CANDIDATE_POOL = 200
FACETS = ("sectors", "languages", "country", "modality")
# Skills are shown as matched and missing; snippets show where the rest of the text matched.
HIGHLIGHTED = ("summary", "experience")
MATCHED_FIELDS = ("skills", "summary", "experience")


@dataclass
class MatchFilters:
    """Narrowing the candidates on the workspace (facets, and text within the results)."""

    sector: str = ""
    language: str = ""
    country: str = ""
    modality: str = ""
    q: str = ""

    def engine_filters(self) -> tuple[Filter, ...]:
        pairs = (("sectors", self.sector), ("languages", self.language),
                 ("country", self.country), ("modality", self.modality))
        return tuple(Filter(name, "eq", value) for name, value in pairs if value)


@dataclass
class Candidate:
    profile_id: uuid.UUID
    number: int
    name: str
    score: Score
    relevance: float
    document: dict
    highlights: dict[str, str] = field(default_factory=dict)

    @property
    def shares_profile(self) -> bool:
        return self.document.get("shares_profile") == "yes"

    def explanation(self, skill_names: dict[str, str]) -> dict:
        return explain(self.score, skill_names, self.highlights)


@dataclass
class Matches:
    candidates: list[Candidate]
    total: int                          # candidates passing the hard filters
    facets: dict[str, dict[str, int]]
    skill_names: dict[str, str]         # skill id -> name in the reader's language
    from_engine: bool                   # False: the engine was down, PostgreSQL answered


def explain(result: Score, skill_names: dict[str, str],
            highlights: dict[str, str] | None = None) -> dict:
    """A score's reasons as plain data (kept with a shortlist entry, sent by the API): per
    criterion its value, weight and facts, with skill ids turned into names."""
    criteria = {}
    for criterion in result.criteria:
        facts = dict(criterion.facts)
        for key in ("matched", "missing"):
            if key in facts:
                facts[key] = [skill_names.get(s, s) for s in facts[key]]
        criteria[criterion.name] = {"value": None if criterion.value is None
                                    else round(criterion.value, 3),
                                    "weight": criterion.weight, **facts}
    return {"score": result.total, "criteria": criteria, "snippets": dict(highlights or {})}


async def mission_weights(db: AsyncSession, tenant: TenantContext) -> dict[str, int]:
    row = await get_mission(db, tenant)
    return clean_weights((row.settings or {}).get("matching_weights", {}))


async def weights_are_customised(db: AsyncSession, tenant: TenantContext) -> bool:
    return bool(((await get_mission(db, tenant)).settings or {}).get("matching_weights"))


async def set_mission_weights(db: AsyncSession, tenant: TenantContext, actor: Actor,
                              weights: dict[str, int] | None) -> bool:
    """The mission's weights of the matching criteria (None: back to the defaults), audited
    with before and after. False when nothing changed. FormErrors when no criterion counts."""
    if weights is not None and not any(weights.values()):
        raise FormErrors({"form": _("At least one criterion must count: give it a weight "
                                    "above 0.")})
    row = await get_mission(db, tenant, for_update=True)
    settings = dict(row.settings or {})
    before = clean_weights(settings.get("matching_weights") or {})
    if weights is None:
        settings.pop("matching_weights", None)
        after = dict(DEFAULT_WEIGHTS)
    else:
        settings["matching_weights"] = after = {name: weights[name] for name in CRITERIA}
    if settings == (row.settings or {}):
        await db.rollback()
        return False
    row.settings = settings      # a new dict: SQLAlchemy sees the JSONB change
    flag_modified(row, "settings")
    record(db, tenant.id, actor, "matching.weights_changed", "tenant", tenant.id,
           before={"weights": before}, after={"weights": after, "defaults": weights is None})
    await db.commit()
    return True


async def request_facts(db: AsyncSession, tenant: TenantContext, request: AssignmentRequest,
                        locale: str) -> tuple[RequestFacts, dict[str, str], list[str]]:
    """The request as scoring sees it, skill names by id, and the words to search with."""
    required, desired = await skills_of(db, tenant, request)
    languages = await languages_of(db, tenant, request)
    facts = RequestFacts(
        required_skills=frozenset(str(s.id) for s in required),
        desired_skills=frozenset(str(s.id) for s in desired),
        sector=request.sector,
        languages=tuple((lang.language, lang.min_level) for lang in languages),
        window=work_window(request), duration_days=duration_days(request.duration_weeks),
        min_years=request.min_years_experience, modality=request.modality,
        city=request.city, country=tenant.country_code)
    names = {str(s.id): s.display_name(locale) for s in [*required, *desired]}
    words = [request.title, *(s.display_name(locale) for s in required),
             *(s.display_name(locale) for s in desired)]
    return facts, names, words


def candidate_facts(document: dict) -> CandidateFacts:
    """A profile's search document (app.search.documents) as scoring sees it."""
    # Every level up to the expert's own, lowest first (documents.levels_up_to): the last
    # value of each language is the expert's level.
    levels = dict(value.split(":", 1) for value in document.get("language_levels") or ())
    return CandidateFacts(
        skills=frozenset(document.get("skill_ids") or []),
        sectors=frozenset(document.get("sectors") or []), languages=levels,
        periods=tuple((date.fromisoformat(a), date.fromisoformat(b))
                      for a, b in document.get("availability") or []),
        years=document.get("years"), modality=document.get("modality"),
        city=document.get("city") or "", country=document.get("country") or "",
        evaluation=document.get("evaluation"))


def hard_filters(facts: RequestFacts) -> tuple[Filter, ...]:
    """What the engine can narrow by. Availability is indexed by month, so the engine's
    answer is checked to the day afterwards (eligible())."""
    filters = [Filter("status", "eq", "verified")]
    filters += [Filter("language_levels", "eq", f"{lang}:{level}")
                for lang, level in facts.languages]
    if facts.window:
        filters.append(Filter("available_months", "in", months_between(*facts.window)))
    if facts.min_years:
        filters.append(Filter("years", "gte", facts.min_years))
    return tuple(filters)


def eligible(facts: RequestFacts, candidate: CandidateFacts) -> bool:
    """The hard requirements the engine cannot check exactly: free on at least one day of
    the work window (how much of the duration they cover stays a ranking criterion), and
    at least the minimum years of experience."""
    if facts.window and not any(start <= facts.window[1] and end >= facts.window[0]
                                for start, end in candidate.periods):
        return False
    return not facts.min_years or (candidate.years or 0) >= facts.min_years


# Experts already on a confirmed assignment during the work window: assignments come later in
# the domain order and register the lookup (app/assignments/availability.py).
# (db, tenant, window, profile ids) -> the ids of those who are busy then
BusyLookup = Callable[[AsyncSession, TenantContext, tuple[date, date], list[uuid.UUID]],
                      Awaitable[set[uuid.UUID]]]
_busy_lookup: BusyLookup | None = None


def busy_experts(lookup: BusyLookup) -> BusyLookup:
    global _busy_lookup
    _busy_lookup = lookup
    return lookup


async def _eligible_only(db: AsyncSession, tenant: TenantContext, facts: RequestFacts,
                         scored: list[tuple[dict, float, dict]]
                         ) -> list[tuple[dict, float, dict]]:
    kept = [row for row in scored if eligible(facts, candidate_facts(row[0]))]
    if facts.window and kept:
        if _busy_lookup is None:  # a programming error: import app.domains first
            raise RuntimeError("no busy-expert lookup registered (import app.domains)")
        busy = await _busy_lookup(db, tenant, facts.window,
                                  [uuid.UUID(doc["id"]) for doc, _r, _m in kept])
        kept = [row for row in kept if uuid.UUID(row[0]["id"]) not in busy]
    return kept


def _ranked(facts: RequestFacts, weights, scored: list[tuple[dict, float, dict]],
            limit: int) -> list[Candidate]:
    candidates = [Candidate(profile_id=uuid.UUID(doc["id"]), number=doc.get("number") or 0,
                            name=doc.get("name") or "", score=score(facts, candidate_facts(doc),
                                                                    weights),
                            relevance=relevance, document=doc, highlights=marks)
                  for doc, relevance, marks in scored]
    candidates.sort(key=lambda c: rank_key(c.score, c.relevance, c.number))
    return candidates[:limit]


def match_query(facts: RequestFacts, words: list[str], filters: MatchFilters) -> SearchQuery:
    """What the engine is asked for a request (request_facts gives facts and words)."""
    if filters.q:  # staff typing within the results: every word, typos forgiven, names too
        return SearchQuery(text=filters.q, matching="all",
                           filters=hard_filters(facts) + filters.engine_filters(),
                           facets=FACETS, limit=CANDIDATE_POOL, highlight=HIGHLIGHTED)
    # The request's own words (its title and vocabulary skills): any of them, spelled as
    # written, in what experts say they can do (not in their names).
    return SearchQuery(text=" ".join(words), matching="any", typos=False,
                       search_in=MATCHED_FIELDS,
                       filters=hard_filters(facts) + filters.engine_filters(), facets=FACETS,
                       limit=CANDIDATE_POOL, highlight=HIGHLIGHTED)


async def find_candidates(db: AsyncSession, tenant: TenantContext, search: SearchBackend,
                          request: AssignmentRequest, filters: MatchFilters, locale: str,
                          limit: int = 50) -> Matches:
    facts, skill_names, words = await request_facts(db, tenant, request, locale)
    weights = await mission_weights(db, tenant)
    query = match_query(facts, words, filters)
    try:
        result = await search.search(EXPERTS, str(tenant.id), query)
    except SearchUnavailable as exc:
        log.warning("matching from PostgreSQL, the search engine did not answer: %s", exc)
        return await _from_database(db, tenant, facts, filters, weights, skill_names, limit)
    scored = [(hit.document, hit.score, hit.highlights) for hit in result.hits]
    kept = await _eligible_only(db, tenant, facts, scored)
    # Exact when the engine's whole answer was in the pool; otherwise those beyond it are
    # counted as the engine counts them.
    total = result.total - (len(scored) - len(kept))
    return Matches(_ranked(facts, weights, kept, limit), total, result.facets,
                   skill_names, from_engine=True)


async def _from_database(db: AsyncSession, tenant: TenantContext, facts: RequestFacts,
                         filters: MatchFilters, weights, skill_names, limit: int) -> Matches:
    """The engine is down: the same hard filters in SQL, the pool ordered by how many
    required skills each expert has, then the same scoring (on the same documents)."""
    profile = ExpertProfile
    conditions = [profile.tenant_id == tenant.id, profile.status == "verified",
                  profile.erased_at.is_(None),
                  exists().where(ExpertConsent.tenant_id == tenant.id,
                                 ExpertConsent.profile_id == profile.id,
                                 ExpertConsent.purpose == "matching",
                                 ExpertConsent.withdrawn_at.is_(None))]
    for language, minimum in facts.languages:
        conditions.append(exists().where(
            ExpertLanguage.tenant_id == tenant.id, ExpertLanguage.profile_id == profile.id,
            ExpertLanguage.language == language,
            ExpertLanguage.level.in_(LANGUAGE_LEVELS[LANGUAGE_LEVELS.index(minimum):])))
    if facts.window:
        conditions.append(exists().where(
            ExpertAvailability.tenant_id == tenant.id,
            ExpertAvailability.profile_id == profile.id,
            ExpertAvailability.kind == "available",
            ExpertAvailability.starts_on <= facts.window[1],
            ExpertAvailability.ends_on >= facts.window[0]))
    if facts.min_years:
        conditions.append(profile.years_experience >= facts.min_years)
    if filters.sector:
        # ARRAY's any(value); the typing sees a relationship's any(criterion)
        conditions.append(profile.sectors.any(filters.sector))  # type: ignore[arg-type]
    if filters.country:
        conditions.append(profile.residence_country == filters.country)
    if filters.modality:
        conditions.append(profile.modality == filters.modality)
    if filters.language:
        conditions.append(exists().where(ExpertLanguage.tenant_id == tenant.id,
                                         ExpertLanguage.profile_id == profile.id,
                                         ExpertLanguage.language == filters.language))
    if filters.q:
        conditions.append(profile.summary.icontains(filters.q, autoescape=True)
                          | profile.full_name.icontains(filters.q, autoescape=True))
    skill_hits = (select(func.count()).where(
        ExpertSkill.tenant_id == tenant.id, ExpertSkill.profile_id == profile.id,
        ExpertSkill.skill_id.in_([uuid.UUID(s) for s in facts.required_skills]))
        .scalar_subquery())
    total = await db.scalar(select(func.count()).select_from(profile).where(*conditions)) or 0
    ids = list(await db.scalars(select(profile.id).where(*conditions)
                                .order_by(skill_hits.desc(), profile.number)
                                .limit(CANDIDATE_POOL)))
    documents = [d for d in (await expert_documents(db, tenant, ids)).values() if d]
    facets: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    for doc in documents:
        for name in FACETS:
            values = doc.get(name)
            for value in values if isinstance(values, list) else [values]:
                if value:
                    facets[name][value] = facets[name].get(value, 0) + 1
    scored: list[tuple[dict, float, dict]] = [(doc, 0.0, {}) for doc in documents]
    kept = await _eligible_only(db, tenant, facts, scored)
    return Matches(_ranked(facts, weights, kept, limit), total - (len(scored) - len(kept)),
                   facets, skill_names, from_engine=False)
