"""Finding candidates for an open request: retrieve from the search engine with the hard
filters widened by the mission's near-miss margins (this mission, verified profiles
consenting to matching — only those are indexed as matchable —, required languages, free
around the work window, experience), then check every hard requirement exactly
(scoring.missed): those who meet them all are ranked with the scoring module and
explained; those who miss exactly one by a small margin are the near misses, listed
apart with what they miss. When the engine cannot answer, PostgreSQL retrieves with the
same filters and everything after is the same, except the occupation fit (the engine's
text relevance, and the job title mixed with it), which it cannot compute; the page says
so."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cached_property
from operator import methodcaller

from sqlalchemy import bindparam, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import flag_modified

from app.assignment_requests.models import AssignmentRequest, RequestLanguage, RequestSkill
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
    Skill,
    SkillLink,
)
from app.i18n import gettext as _
from app.matching.scoring import (
    CRITERIA,
    DEFAULT_WEIGHTS,
    LEVEL_RANK,
    CandidateFacts,
    NearMissMargins,
    RequestFacts,
    Score,
    clean_weights,
    duration_days,
    missed,
    near_miss,
    occupation_fit,
    rank_key,
    score,
)
from app.matching.similarity import Concept, boilerplate, remembered
from app.search.documents import expert_documents, months_between, skill_texts, work_window
from app.search.outbox import EXPERTS
from search_index import Filter, SearchBackend, SearchQuery, SearchUnavailable
from search_index.text import marked_fields, query_words
from search_index.text import words as search_words
from tenants.context import TenantContext
from tenants.models import Tenant
from tenants.services import get_mission

log = logging.getLogger(__name__)
# How many candidates the engine hands over for re-ranking.
CANDIDATE_POOL = 200
# How many near misses are listed under the ranked candidates.
NEAR_MISSES_SHOWN = 10
FACETS = ("sectors", "languages", "country", "modality")
# Skills are explained by what of the expert's matched them; snippets show where the rest of
# the text matched, in a row's reasons (marked when they are shown, not for every row).
HIGHLIGHTED = ("summary", "experience")
MATCHED_FIELDS = ("skills", "headline", "summary", "experience")


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
    misses: list[dict] = field(default_factory=list)  # a near miss: what they miss
    # The engine query's words to mark and how they matched (query_words); None when
    # PostgreSQL answered, which has no snippets.
    marking: tuple[list[str], str] | None = None

    @property
    def shares_profile(self) -> bool:
        return self.document.get("shares_profile") == "yes"

    @cached_property
    def highlights(self) -> dict[str, str]:
        """Where the request's words are in the expert's free text: escaped, with <mark>."""
        if self.marking is None:
            return {}
        words, matching = self.marking
        return marked_fields(self.document, HIGHLIGHTED, words, matching)

    def explanation(self, skill_names: dict[str, str]) -> dict:
        return explain(self.score, skill_names)


@dataclass
class Matches:
    candidates: list[Candidate]
    total: int                          # candidates passing the hard filters
    facets: dict[str, dict[str, int]]
    skill_names: dict[str, str]         # skill id -> name in the reader's language
    from_engine: bool                   # False: the engine was down, PostgreSQL answered
    near_misses: list[Candidate] = field(default_factory=list)
    # True: more experts than the pool came back, and `total` is estimated from the
    # pool's share of eligible ones
    total_estimated: bool = False


def explain(result: Score, skill_names: dict[str, str]) -> dict:
    """A score's reasons as plain data (kept with a shortlist entry, sent by the API): per
    criterion its value, weight and facts, with skill ids turned into names. Not the text
    snippets: they quote the profile as it was, and no reader of this data shows them."""
    criteria = {}
    for criterion in result.criteria:
        facts = dict(criterion.facts)
        if "skills" in facts:
            facts["skills"] = [{**found, "skill": skill_names.get(found["skill"],
                                                                  found["skill"])}
                               for found in facts["skills"]]
        criteria[criterion.name] = {"value": None if criterion.value is None
                                    else round(criterion.value, 3),
                                    "weight": criterion.weight, **facts}
    return {"score": result.total, "criteria": criteria}


async def mission_weights(db: AsyncSession, tenant: TenantContext) -> dict[str, int]:
    return (await matching_settings(db, tenant))[0]


async def matching_settings(db: AsyncSession, tenant: TenantContext
                            ) -> tuple[dict[str, int], NearMissMargins]:
    """The mission's weights of the criteria and its near-miss margins (one read)."""
    return _matching_settings((await get_mission(db, tenant)).settings or {})


def _matching_settings(settings: dict) -> tuple[dict[str, int], NearMissMargins]:
    return (clean_weights(settings.get("matching_weights", {})),
            NearMissMargins.from_settings(settings.get("matching_near_miss") or {}))


async def weights_are_customised(db: AsyncSession, tenant: TenantContext) -> bool:
    return bool(((await get_mission(db, tenant)).settings or {}).get("matching_weights"))


async def set_mission_weights(db: AsyncSession, tenant: TenantContext, actor: Actor,
                              weights: dict[str, int] | None,
                              margins: NearMissMargins | None = None) -> bool:
    """The mission's weights of the matching criteria and its near-miss margins (None:
    back to the defaults), audited with before and after. False when nothing changed.
    FormErrors, on the first weight's field, when no criterion counts."""
    if weights is not None and not any(weights.values()):
        raise FormErrors({CRITERIA[0]: _("At least one criterion must count: give it a "
                                         "weight above 0.")})
    row = await get_mission(db, tenant, for_update=True)
    settings = dict(row.settings or {})
    before = clean_weights(settings.get("matching_weights") or {})
    margins_before = NearMissMargins.from_settings(settings.get("matching_near_miss") or {})
    if weights is None:
        settings.pop("matching_weights", None)
        settings.pop("matching_near_miss", None)
        after, margins = dict(DEFAULT_WEIGHTS), NearMissMargins()
    else:
        settings["matching_weights"] = after = {name: weights[name] for name in CRITERIA}
        margins = margins or margins_before
        if margins == NearMissMargins():
            settings.pop("matching_near_miss", None)
        else:
            settings["matching_near_miss"] = margins.as_dict()
    if settings == (row.settings or {}):
        await db.rollback()
        return False
    row.settings = settings      # a new dict: SQLAlchemy sees the JSONB change
    flag_modified(row, "settings")
    record(db, tenant.id, actor, "matching.weights_changed", "tenant", tenant.id,
           before={"weights": before, "near_miss": margins_before.as_dict()},
           after={"weights": after, "near_miss": margins.as_dict(),
                  "defaults": weights is None})
    await db.commit()
    return True


async def request_facts(db: AsyncSession, tenant: TenantContext, request: AssignmentRequest,
                        locale: str) -> tuple[RequestFacts, dict[str, str], list[str]]:
    """The request as scoring sees it, skill names by id, and the words to search with."""
    facts, names, words, _settings = await _request_facts(
        db, tenant, request, locale, await _mission_boilerplate(db, tenant))
    return facts, names, words


async def request_and_settings(db: AsyncSession, tenant: TenantContext,
                               request: AssignmentRequest, locale: str
                               ) -> tuple[RequestFacts, dict[str, str], list[str],
                                          dict[str, int], NearMissMargins]:
    """request_facts and matching_settings together: all a match reads from PostgreSQL
    before it asks the engine, in two queries. The facts know no boilerplate yet
    (RequestFacts.common): find_candidates reads the mission's requests while the engine
    searches (_busy_and_boilerplate)."""
    facts, names, words, settings = await _request_facts(db, tenant, request, locale, {})
    return facts, names, words, *_matching_settings(settings)


async def _request_facts(db: AsyncSession, tenant: TenantContext, request: AssignmentRequest,
                         locale: str, common: Mapping[str, float]
                         ) -> tuple[RequestFacts, dict[str, str], list[str], dict]:
    """request_facts, and the mission's settings read with the request's languages;
    `common`: the mission's boilerplate (_mission_boilerplate), empty when not read yet."""
    required, desired, linked = await _wanted_skills(db, tenant, request, locale)
    languages, settings = await _languages_and_settings(db, tenant, request)

    def concept(skill) -> Concept:  # a free tag was typed by a person: typos forgiven
        return Concept(str(skill.id), tuple(skill_texts(skill)), typed=skill.source == "free",
                       linked=tuple(linked.get(skill.id, ())))

    facts = RequestFacts(
        required_skills=tuple(concept(s) for s in required),
        desired_skills=tuple(concept(s) for s in desired),
        sector=request.sector,
        languages=tuple((lang.language, lang.min_level) for lang in languages),
        window=work_window(request), duration_days=duration_days(request.duration_weeks),
        min_years=request.min_years_experience, modality=request.modality,
        city=request.city, country=tenant.country_code,
        text="\n".join([request.title, request.objectives or "", request.tasks or "",
                         *(label for c in [*required, *desired] for label in skill_texts(c))]),
        named="\n".join(label for c in [*required, *desired] for label in skill_texts(c)),
        common=common)
    names = {str(s.id): s.display_name(locale) for s in [*required, *desired]}
    # What the job is (title, objectives, tasks) and every way its skills are written, so
    # profiles in another language meet the request through the vocabulary's labels. The
    # engine weighs every word of the query: the request's own words count as often as it
    # uses them (what terms of reference keep coming back to is their subject), the
    # labels' words once each (a skill's labels repeat its words in every language).
    own = Counter(w for text in (request.title, request.objectives or "", request.tasks or "")
                  for w in search_words(text, drop_stopwords=True))
    labels = dict.fromkeys(w for c in [*facts.required_skills, *facts.desired_skills]
                           for text in c.labels
                           for w in search_words(text, drop_stopwords=True))
    # The most telling first, for an engine that reads only a query's first words
    # (Meilisearch: 10): what the request keeps coming back to, most said first, then its
    # skills' labels, then its other words. The embedded engine weighs each word by how
    # often it is said, whatever the order.
    repeated = sorted((w for w, n in own.items() if n > 1), key=own.__getitem__, reverse=True)
    words = [w for w in repeated for _ in range(own[w])] + list(labels) \
        + [w for w, n in own.items() if n == 1]
    return facts, names, words, settings


# The mission's latest requests that tell its boilerplate: enough to see what every one of
# them says, few enough to read at each match.
BOILERPLATE_REQUESTS = 300


async def _mission_boilerplate(db: AsyncSession, tenant: TenantContext) -> dict[str, float]:
    """similarity.boilerplate of the title, objectives and tasks of the mission's latest
    BOILERPLATE_REQUESTS requests, where job fit learns the words every request writes:
    the same texts for each of its requests (the one matched among them), so that
    boilerplate remembers one answer per mission."""
    rows = await db.execute(
        select(AssignmentRequest.title, AssignmentRequest.objectives, AssignmentRequest.tasks)
        .where(AssignmentRequest.tenant_id == tenant.id)
        .order_by(AssignmentRequest.created_at.desc()).limit(BOILERPLATE_REQUESTS))
    return boilerplate(tuple("\n".join((title, objectives or "", tasks or ""))
                             for title, objectives, tasks in rows))


async def _languages_and_settings(db: AsyncSession, tenant: TenantContext,
                                  request: AssignmentRequest
                                  ) -> tuple[list[RequestLanguage], dict]:
    """The request's languages (as languages_of gives them) and the mission's settings,
    in one query: the mission's row, on as many rows as the request has languages."""
    rows = (await db.execute(
        select(Tenant.settings, RequestLanguage)
        .outerjoin(RequestLanguage, (RequestLanguage.tenant_id == Tenant.id)
                   & (RequestLanguage.request_id == request.id))
        .where(Tenant.id == tenant.id)
        .order_by(RequestLanguage.created_at))).all()
    if not rows:  # as get_mission: resolved by the request a moment ago, deleted since
        raise LookupError(f"mission {tenant.slug!r} is gone")
    return [language for _settings, language in rows if language is not None], \
        rows[0][0] or {}


_LINKED_SKILL = aliased(Skill)
# _wanted_skills' query, built once (a match reads it every time, and building it takes
# longer than PostgreSQL takes to answer it): the mission and request as parameters.
_WANTED_SKILLS = (
    select(Skill, RequestSkill.required, SkillLink, _LINKED_SKILL)
    .join(RequestSkill, RequestSkill.skill_id == Skill.id)
    .outerjoin(SkillLink, (SkillLink.tenant_id == bindparam("tenant_id"))
               & ((SkillLink.skill_id == Skill.id) | (SkillLink.other_id == Skill.id)))
    .outerjoin(_LINKED_SKILL, _LINKED_SKILL.id == case(
        (SkillLink.skill_id == Skill.id, SkillLink.other_id), else_=SkillLink.skill_id))
    .where(RequestSkill.tenant_id == bindparam("tenant_id"),
           RequestSkill.request_id == bindparam("request_id"))
    .order_by(Skill.code))


async def _wanted_skills(db: AsyncSession, tenant: TenantContext, request: AssignmentRequest,
                         locale: str) -> tuple[list[Skill], list[Skill],
                                               dict[uuid.UUID, list[tuple[str, str, str]]]]:
    """The request's required and desired skills (as skills_of gives them) and, per skill,
    the skills the vocabulary links to it: (id, how it stands to the wanted skill, its
    name in the reader's language). A link "skill has the broader other" makes the skill
    narrower, seen from the other. One query (a page asks for every match): each wanted
    skill comes on as many rows as it has links."""
    required: list[Skill] = []
    desired: list[Skill] = []
    found: dict[uuid.UUID, list[tuple[str, str, str]]] = {}
    for skill, is_required, link, other in await db.execute(
            _WANTED_SKILLS, {"tenant_id": tenant.id, "request_id": request.id}):
        if skill.id not in found:  # its first row
            (required if is_required else desired).append(skill)
            found[skill.id] = []
        if link is not None:
            kind = link.kind if link.skill_id == skill.id \
                else "narrower" if link.kind == "broader" else link.kind
            found[skill.id].append((str(other.id), kind, other.display_name(locale)))
    for links in found.values():
        links.sort()  # the same evidence on every run when two links weigh the same
    return required, desired, {skill_id: links for skill_id, links in found.items() if links}


# "en:B2" -> ["en", "B2"]; a day as the documents write it. Called for every expert of a
# match's pool: no generator of their own.
_language_level = methodcaller("split", ":", 1)
_day = date.fromisoformat


@remembered(4096)
def _expert_levels(language_levels: tuple[str, ...]) -> dict[str, str]:
    """Language -> the expert's level, from a document's language_levels: every level up
    to the expert's own, lowest first (documents.levels_up_to), so the last of each
    language is theirs. Remembered, as the same few combinations recur across a pool (a
    fifth of the facts' cost otherwise); the dict is shared: read only."""
    return dict(map(_language_level, language_levels))


def candidate_facts(document: dict, text_fit: float | None = None) -> CandidateFacts:
    """A profile's search document (app.search.documents) as scoring sees it; `text_fit`:
    the engine's relevance for the request, normalised (None: not computed)."""
    grouped = document.get("skill_labels")  # absent from documents indexed before it
    skill_labels = tuple(zip(document.get("skill_ids") or (), grouped, strict=False)) \
        if grouped is not None else (("", tuple(document.get("skills") or ())),)
    return CandidateFacts(
        skills=frozenset(document.get("skill_ids") or []),
        sectors=frozenset(document.get("sectors") or []),
        languages=_expert_levels(tuple(document.get("language_levels") or ())),
        periods=tuple([(_day(a), _day(b)) for a, b in document.get("availability") or []]),
        years=document.get("years"), modality=document.get("modality"),
        city=document.get("city") or "", country=document.get("country") or "",
        evaluation=document.get("evaluation"), text_fit=text_fit,
        skill_labels=skill_labels,
        experience=tuple(document.get("experience") or ()),
        headline=document.get("headline") or "", summary=document.get("summary") or "")


def _level_at_least(minimum: str, margin: int) -> str:
    return LANGUAGE_LEVELS[max(0, LEVEL_RANK[minimum] - margin)]


def hard_filters(facts: RequestFacts, margins: NearMissMargins) -> tuple[Filter, ...]:
    """What the engine can narrow by, each requirement widened by its near-miss margin;
    missed() then checks every requirement exactly (availability to the day: the engine
    indexes months)."""
    filters = [Filter("status", "eq", "verified")]
    filters += [Filter("language_levels", "eq", f"{lang}:{_level_at_least(level, margins.levels)}")
                for lang, level in facts.languages]
    if facts.window:
        filters.append(Filter("available_months", "in", months_between(
            *_widened(facts.window, margins))))
    if facts.min_years:
        filters.append(Filter("years", "gte", max(0, facts.min_years - margins.years)))
    return tuple(filters)


def _widened(window: tuple[date, date], margins: NearMissMargins) -> tuple[date, date]:
    return window[0] - timedelta(days=margins.days), window[1] + timedelta(days=margins.days)


# Experts already on a confirmed assignment during the work window: assignments come later in
# the domain order and register the lookup (app/assignments/availability.py).
# (db, tenant, window, profile ids or None for everyone) -> the ids of those who are busy then
BusyLookup = Callable[[AsyncSession, TenantContext, tuple[date, date], list[uuid.UUID] | None],
                      Awaitable[set[uuid.UUID]]]
_busy_lookup: BusyLookup | None = None


def busy_experts(lookup: BusyLookup) -> BusyLookup:
    global _busy_lookup
    _busy_lookup = lookup
    return lookup


@dataclass(slots=True)
class _Retrieved:
    """One expert the engine (or PostgreSQL) handed over."""

    document: dict
    relevance: float | None             # None: PostgreSQL answered
    facts: CandidateFacts
    misses: list[dict]


async def _busy_then(db: AsyncSession, tenant: TenantContext, facts: RequestFacts) -> set[str]:
    """The ids of everyone on a confirmed assignment that overlaps the work window."""
    if not facts.window:
        return set()
    if _busy_lookup is None:  # a programming error: import app.domains first
        raise RuntimeError("no busy-expert lookup registered (import app.domains)")
    return {str(profile_id) for profile_id in await _busy_lookup(db, tenant, facts.window, None)}


async def _busy_and_boilerplate(db: AsyncSession, tenant: TenantContext, facts: RequestFacts
                                ) -> tuple[set[str], dict[str, float]]:
    """What a match asks of PostgreSQL while the engine searches: who is busy then
    (_busy_then) and the mission's boilerplate (one after the other: one session)."""
    return await _busy_then(db, tenant, facts), await _mission_boilerplate(db, tenant)


def _sorted_out(facts: RequestFacts, margins: NearMissMargins,
                pool: list[tuple[dict, float | None]], busy: set[str]
                ) -> tuple[list[_Retrieved], list[_Retrieved]]:
    """The pool split into the eligible and the near misses; the rest are dropped, and so
    is anyone busy then (_busy_then)."""
    best = max((relevance for _d, relevance in pool if relevance), default=0.0)
    eligible, near = [], []
    for document, relevance in pool:
        fit = None if relevance is None else occupation_fit(relevance, best)
        found = candidate_facts(document, fit)
        misses = missed(facts, found, margins)
        row = _Retrieved(document, relevance, found, misses)
        if not misses:
            eligible.append(row)
        elif near_miss(misses):
            near.append(row)
    if busy:
        eligible = [row for row in eligible if row.document["id"] not in busy]
        near = [row for row in near if row.document["id"] not in busy]
    return eligible, near


def _ranked(facts: RequestFacts, weights, rows: list[_Retrieved], limit: int
            ) -> list[Candidate]:
    """The one ranking of every path (workspace, shortlist, API, `portal match`). Every
    row is scored to be ranked; only the `limit` best become candidates."""
    scored = [(score(facts, row.facts, weights), row) for row in rows]
    scored.sort(key=lambda pair: rank_key(pair[0], pair[1].relevance or 0.0,
                                          pair[1].document.get("number") or 0))
    return [Candidate(profile_id=uuid.UUID(row.document["id"]),
                      number=row.document.get("number") or 0,
                      name=row.document.get("name") or "", score=result,
                      relevance=row.relevance or 0.0, document=row.document,
                      misses=row.misses)
            for result, row in scored[:limit]]


def _matches(facts: RequestFacts, weights, pool_size: int, found: int,
             eligible: list[_Retrieved], near: list[_Retrieved], facets, skill_names,
             limit: int, from_engine: bool) -> Matches:
    """`found`: how many the engine or PostgreSQL counted with the widened filters. When
    all of them were in the pool the count of eligible ones is exact; otherwise it is the
    pool's share of eligible ones applied to that count."""
    estimated = found > pool_size
    total = round(found * len(eligible) / pool_size) if estimated and pool_size \
        else len(eligible)
    return Matches(_ranked(facts, weights, eligible, limit), total, facets, skill_names,
                   from_engine=from_engine,
                   near_misses=_ranked(facts, weights, near, NEAR_MISSES_SHOWN),
                   total_estimated=estimated)


def match_query(facts: RequestFacts, words: list[str], filters: MatchFilters,
                margins: NearMissMargins) -> SearchQuery:
    """What the engine is asked for a request (request_facts gives facts and words). No
    highlights: a candidate's snippets are marked when its reasons are shown."""
    hard = hard_filters(facts, margins) + filters.engine_filters()
    if filters.q:  # staff typing within the results: every word, typos forgiven, names too
        return SearchQuery(text=filters.q, matching="all", filters=hard, facets=FACETS,
                           limit=CANDIDATE_POOL)
    # The request's own words (title, objectives, tasks, every label of its skills): any of
    # them, spelled as written, in what experts say they can do (not in their names).
    return SearchQuery(text=" ".join(words), matching="any", typos=False,
                       search_in=MATCHED_FIELDS, filters=hard, facets=FACETS,
                       limit=CANDIDATE_POOL)


async def find_candidates(db: AsyncSession, tenant: TenantContext, search: SearchBackend,
                          request: AssignmentRequest, filters: MatchFilters, locale: str,
                          limit: int = 50) -> Matches:
    facts, skill_names, words, weights, margins = await request_and_settings(db, tenant, request,
                                                                             locale)
    query = match_query(facts, words, filters, margins)
    # PostgreSQL says who is busy, and what the mission's requests all say, while the
    # engine searches (in a thread of its own): the query needs neither. Both are waited
    # for whatever happens, so that nothing is left running on the session.
    result, read = await asyncio.gather(search.search(EXPERTS, str(tenant.id), query),
                                        _busy_and_boilerplate(db, tenant, facts),
                                        return_exceptions=True)
    if isinstance(read, BaseException):
        raise read
    busy, common = read
    facts = replace(facts, common=common)
    if isinstance(result, SearchUnavailable):
        log.warning("matching from PostgreSQL, the search engine did not answer: %s", result)
        return await _from_database(db, tenant, facts, margins, filters, weights,
                                    skill_names, limit, busy)
    if isinstance(result, BaseException):
        raise result
    pool: list[tuple[dict, float | None]] = [(hit.document, hit.score) for hit in result.hits]
    eligible, near = _sorted_out(facts, margins, pool, busy)
    found = _matches(facts, weights, len(pool), result.total, eligible, near, result.facets,
                     skill_names, limit, from_engine=True)
    marking = (query_words(query.text, query.matching), query.matching)
    for candidate in [*found.candidates, *found.near_misses]:
        candidate.marking = marking
    return found


async def shortlist_score(db: AsyncSession, tenant: TenantContext, search: SearchBackend,
                          request: AssignmentRequest, profile_id: uuid.UUID, locale: str
                          ) -> tuple[int | None, dict]:
    """The score and explanation an expert has on the workspace now, kept with their
    shortlist entry: the same match, so the same criteria and the same occupation fit.
    An expert outside the ranked list and the near misses is scored alone (no occupation
    fit: it is relative to the request's other candidates); (None, {}) when they are not
    matchable at all."""
    found = await find_candidates(db, tenant, search, request, MatchFilters(), locale,
                                  limit=CANDIDATE_POOL)
    for candidate in [*found.candidates, *found.near_misses]:
        if candidate.profile_id == profile_id:
            return candidate.score.total, candidate.explanation(found.skill_names)
    document = (await expert_documents(db, tenant, [profile_id])).get(profile_id)
    if not document:
        return None, {}
    facts, skill_names, _words = await request_facts(db, tenant, request, locale)
    result = score(facts, candidate_facts(document), await mission_weights(db, tenant))
    return result.total, explain(result, skill_names)


async def _from_database(db: AsyncSession, tenant: TenantContext, facts: RequestFacts,
                         margins: NearMissMargins, filters: MatchFilters, weights,
                         skill_names, limit: int, busy: set[str]) -> Matches:
    """The engine is down: the same widened hard filters in SQL, the pool ordered by how
    many required skills each expert has, then the same checks and scoring (on the same
    documents), without the occupation fit."""
    profile = ExpertProfile
    conditions = [profile.tenant_id == tenant.id, profile.status == "verified",
                  profile.erased_at.is_(None),
                  exists().where(ExpertConsent.tenant_id == tenant.id,
                                 ExpertConsent.profile_id == profile.id,
                                 ExpertConsent.purpose == "matching",
                                 ExpertConsent.withdrawn_at.is_(None))]
    for language, minimum in facts.languages:
        lowest = _level_at_least(minimum, margins.levels)
        conditions.append(exists().where(
            ExpertLanguage.tenant_id == tenant.id, ExpertLanguage.profile_id == profile.id,
            ExpertLanguage.language == language,
            ExpertLanguage.level.in_(LANGUAGE_LEVELS[LANGUAGE_LEVELS.index(lowest):])))
    if facts.window:
        first, last = _widened(facts.window, margins)
        conditions.append(exists().where(
            ExpertAvailability.tenant_id == tenant.id,
            ExpertAvailability.profile_id == profile.id,
            ExpertAvailability.kind == "available",
            ExpertAvailability.starts_on <= last, ExpertAvailability.ends_on >= first))
    if facts.min_years:
        conditions.append(profile.years_experience >= max(0, facts.min_years - margins.years))
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
                          | profile.headline.icontains(filters.q, autoescape=True)
                          | profile.full_name.icontains(filters.q, autoescape=True))
    skill_hits = (select(func.count()).where(
        ExpertSkill.tenant_id == tenant.id, ExpertSkill.profile_id == profile.id,
        ExpertSkill.skill_id.in_([uuid.UUID(s.id) for s in facts.required_skills]))
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
    pool: list[tuple[dict, float | None]] = [(doc, None) for doc in documents]
    eligible, near = _sorted_out(facts, margins, pool, busy)
    return _matches(facts, weights, len(pool), total, eligible, near, facets, skill_names,
                    limit, from_engine=False)
