"""What the search engine holds, built from PostgreSQL: the index settings and, for a batch
of ids, the document of each expert profile and assignment request (or None: the object
must leave the index).

An expert is in the index only while their profile is not withdrawn or erased and they
consent to matching; status and the other consents are fields that searches filter on."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import any_, bindparam, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.assignment_requests.models import AssignmentRequest, RequestLanguage, RequestSkill
from app.experts.models import (
    LANGUAGE_LEVELS,
    ExpertAvailability,
    ExpertConsent,
    ExpertEducation,
    ExpertLanguage,
    ExpertProfile,
    ExpertSkill,
    ExpertWork,
    Skill,
)
from app.institutions.models import HostInstitution
from app.search.outbox import EXPERTS, REQUESTS
from search_index import IndexSettings
from tenants.context import TenantContext

# Searchable fields, most important first (the embedded engine boosts them in this order,
# Meilisearch ranks by it): the expert's headline, their own one line on their trade,
# ahead of their summary. A field added here needs `portal reindex` (README, Search).
EXPERT_INDEX = IndexSettings(
    searchable=("skills", "headline", "summary", "experience", "name"),
    keywords=("status", "sectors", "skill_ids", "languages", "language_levels", "country",
              "nationality", "modality", "available_months", "shares_profile"),
    numbers=("number", "years", "education"),
    stored=("availability", "city", "min_weeks", "max_weeks", "evaluation", "skill_labels"),
)
REQUEST_INDEX = IndexSettings(
    searchable=("title", "skills", "text"),
    keywords=("status", "sector", "skill_ids", "languages", "language_levels", "modality",
              "institution_id", "months"),
    numbers=("number", "experts_wanted"),
    stored=("institution", "earliest_start", "latest_start", "duration_weeks", "city"),
)
INDEXES = {EXPERTS: EXPERT_INDEX, REQUESTS: REQUEST_INDEX}
# A profile stays out of the engine in these states (the expert left or was erased).
NOT_INDEXED = frozenset({"withdrawn"})
MAX_MONTHS = 36


def levels_up_to(language: str, level: str) -> list[str]:
    """'en:B2' for a B2 speaker also says A1..B1: a filter for 'at least B1' is then one
    exact value ('en:B1') that every stronger speaker carries. Lowest first, so the last
    one is the speaker's level (matching reads it so)."""
    if level not in LANGUAGE_LEVELS:
        return []
    return [f"{language}:{lvl}" for lvl in LANGUAGE_LEVELS[:LANGUAGE_LEVELS.index(level) + 1]]


def months_between(start: date, end: date) -> list[str]:
    """'YYYY-MM' of every month the period touches (at most MAX_MONTHS)."""
    months: list[str] = []
    current = date(start.year, start.month, 1)
    while current <= end and len(months) < MAX_MONTHS:
        months.append(f"{current.year:04d}-{current.month:02d}")
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def free_periods(windows) -> list[tuple[date, date]]:
    """The days an expert is available: their available windows minus the periods they
    said they are not, merged and in order."""
    periods = sorted((w.starts_on, w.ends_on) for w in windows if w.kind == "available")
    for blocked in (w for w in windows if w.kind == "unavailable"):
        cut = []
        for start, end in periods:
            if blocked.ends_on < start or blocked.starts_on > end:
                cut.append((start, end))
                continue
            if blocked.starts_on > start:
                cut.append((start, blocked.starts_on - timedelta(days=1)))
            if blocked.ends_on < end:
                cut.append((blocked.ends_on + timedelta(days=1), end))
        periods = cut
    merged: list[tuple[date, date]] = []
    for start, end in sorted(periods):
        if merged and start <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def skill_texts(skill) -> list[str]:
    """Every way a skill is written: its names in all languages and its synonyms."""
    return list(dict.fromkeys([*skill.names.values(), *skill.synonyms]))


async def _rows(db: AsyncSession, model, tenant: TenantContext, key, ids) -> dict:
    grouped: dict[uuid.UUID, list] = {}
    for row in await db.scalars(select(model).where(model.tenant_id == tenant.id,
                                                    key.in_(ids))):
        grouped.setdefault(getattr(row, key.key), []).append(row)
    return grouped


def among(column, ids: list[uuid.UUID]):
    """`column = ANY(:ids)`: one array parameter however many ids (an IN list of thousands
    of parameters costs more to compile and send than the query costs to run)."""
    return column == any_(bindparam(None, list(ids), type_=ARRAY(PG_UUID(as_uuid=True))))


async def _fetch(conn: AsyncConnection, statement) -> list:
    """The statement's rows as the driver gives them (records read by column name): for a
    batch of thousands of documents, SQLAlchemy's handling of each row cost more than
    PostgreSQL's work. Same connection, same transaction and mission scope."""
    compiled = statement.compile(dialect=conn.dialect)
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None
    if not raw.is_in_transaction():
        # The session's BEGIN, which scopes it to the mission, goes with its first statement
        # through SQLAlchemy: send one, so that this read is inside that transaction.
        await conn.execute(select(literal(1)))
    return await raw.fetch(compiled.string,
                           *(compiled.params[name] for name in compiled.positiontup or ()))


async def _grouped(conn: AsyncConnection, statement) -> dict[uuid.UUID, list]:
    """Rows whose first column is the profile id, grouped by it."""
    grouped: dict[uuid.UUID, list] = {}
    for row in await _fetch(conn, statement):
        grouped.setdefault(row[0], []).append(row)
    return grouped


class Window(NamedTuple):
    kind: str
    starts_on: date
    ends_on: date


async def expert_documents(db: AsyncSession, tenant: TenantContext,
                           ids: list[uuid.UUID]) -> dict[uuid.UUID, dict | None]:
    """Documents of a batch of profiles (thousands at once): one query per table for the
    whole batch, only the columns a document needs, each skill read once per batch, the
    rows as the driver returns them (see _fetch)."""
    P = ExpertProfile
    conn = await db.connection()
    profiles = {row["id"]: row for row in await _fetch(conn, select(
        P.id, P.number, P.full_name, P.status, P.headline, P.summary, P.sectors,
        P.residence_country,
        P.nationality, P.residence_city, P.modality, P.years_experience, P.min_weeks,
        P.max_weeks, P.erased_at).where(P.tenant_id == tenant.id, among(P.id, ids)))}
    ids = list(ids)

    def of(model, *columns):
        return select(model.profile_id, *columns).where(model.tenant_id == tenant.id,
                                                        among(model.profile_id, ids))

    consents: dict[uuid.UUID, set[str]] = {}
    for profile_id, purpose in await _fetch(conn, of(
            ExpertConsent, ExpertConsent.purpose).where(ExpertConsent.withdrawn_at.is_(None))):
        consents.setdefault(profile_id, set()).add(purpose)
    indexed = [i for i in ids if (p := profiles.get(i)) is not None and not p["erased_at"]
               and p["status"] not in NOT_INDEXED and "matching" in consents.get(i, set())]
    documents: dict[uuid.UUID, dict | None] = dict.fromkeys(ids)
    if not indexed:
        return documents
    ids = indexed
    languages = await _grouped(conn, of(ExpertLanguage, ExpertLanguage.language,
                                      ExpertLanguage.level))
    windows = await _grouped(conn, of(ExpertAvailability, ExpertAvailability.kind,
                                    ExpertAvailability.starts_on, ExpertAvailability.ends_on))
    education = await _grouped(conn, of(ExpertEducation, ExpertEducation.field,
                                      ExpertEducation.level))
    work = await _grouped(conn, of(ExpertWork, ExpertWork.title, ExpertWork.employer))
    skill_ids = await _grouped(conn, of(ExpertSkill, ExpertSkill.skill_id))
    wanted = {row["skill_id"] for rows in skill_ids.values() for row in rows}
    skills = {row.id: (str(row.id), skill_texts(row)) for row in await conn.execute(
        select(Skill.id, Skill.names, Skill.synonyms).where(
            Skill.tenant_id == tenant.id, among(Skill.id, list(wanted))))} if wanted else {}
    evaluations = await _evaluations(db, tenant, list(ids))
    for profile_id in ids:
        documents[profile_id] = expert_document(
            profile_id, profiles[profile_id],
            skills=[skills[row["skill_id"]] for row in skill_ids.get(profile_id, [])
                    if row["skill_id"] in skills],
            languages=[(lang["language"], lang["level"])
                       for lang in languages.get(profile_id, [])],
            windows=[Window(w["kind"], w["starts_on"], w["ends_on"])
                     for w in windows.get(profile_id, [])],
            education=[(e["field"], e["level"]) for e in education.get(profile_id, [])],
            work=[(w["title"], w["employer"]) for w in work.get(profile_id, [])],
            consents=consents.get(profile_id, set()),
            evaluation=evaluations.get(profile_id))
    return documents


def expert_document(profile_id: uuid.UUID, profile: Mapping[str, Any], *,
                    skills: list[tuple[str, list[str]]], languages: list[tuple[str, str]],
                    windows: list[Window], education: list[tuple[str, str]],
                    work: list[tuple[str, str]], consents: set[str],
                    evaluation: float | None) -> dict:
    """One indexed profile's document from its values: the profile's columns by name, and
    its parts (skills as (id, texts), languages as (language, level), availability windows,
    education as (field, level), jobs as (title, employer)). expert_documents gives it
    what PostgreSQL holds; a roster import, what it is writing (app.imports.experts)."""
    periods = _free_periods(tuple(windows))
    # In the skills' order, whatever order the rows came in (PostgreSQL's depends on the plan)
    skills = sorted(skills, key=lambda skill: skill[0])
    return {
        "id": str(profile_id), "number": profile["number"], "name": profile["full_name"],
        "status": profile["status"], "headline": profile["headline"],
        "summary": profile["summary"],
        "skills": [text for _, texts in skills for text in texts],
        "skill_ids": [skill_id for skill_id, _ in skills],
        # the labels of each skill, in skill_ids' order (matching compares them by skill)
        "skill_labels": [texts for _, texts in skills],
        "experience": [*(f"{title} — {employer}" for title, employer in work),
                       *(field for field, _ in education)],
        "sectors": list(profile["sectors"]),
        "languages": [language for language, _ in languages],
        "language_levels": list(_levels(tuple(languages))),
        "country": profile["residence_country"], "nationality": profile["nationality"],
        "city": profile["residence_city"], "modality": profile["modality"],
        "years": profile["years_experience"],
        "education": max((int(level) for _, level in education), default=None),
        "available_months": list(_months(periods)),
        "availability": [[start.isoformat(), end.isoformat()] for start, end in periods],
        "min_weeks": profile["min_weeks"], "max_weeks": profile["max_weeks"],
        "shares_profile": "yes" if "share_with_institutions" in consents else "no",
        "evaluation": evaluation,
    }


# Rosters and registries repeat the same languages and availability windows profile after
# profile: each distinct one is worked out once (as tuples: each document gets its own list).
@lru_cache(maxsize=4096)
def _levels(languages: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    return tuple(value for language, level in languages
                 for value in levels_up_to(language, level))


@lru_cache(maxsize=4096)
def _free_periods(windows: tuple[Window, ...]) -> tuple[tuple[date, date], ...]:
    return tuple(free_periods(windows))


@lru_cache(maxsize=4096)
def _months(periods: tuple[tuple[date, date], ...]) -> tuple[str, ...]:
    return tuple(sorted({m for start, end in periods for m in months_between(start, end)}))


def work_window(request: AssignmentRequest) -> tuple[date, date] | None:
    """From the earliest start to the latest start plus the duration: when the expert
    would be needed."""
    if not (request.earliest_start and request.latest_start and request.duration_weeks):
        return None
    return request.earliest_start, request.latest_start + timedelta(weeks=request.duration_weeks)


async def request_documents(db: AsyncSession, tenant: TenantContext,
                            ids: list[uuid.UUID]) -> dict[uuid.UUID, dict | None]:
    requests = {r.id: r for r in await db.scalars(select(AssignmentRequest).where(
        AssignmentRequest.tenant_id == tenant.id, AssignmentRequest.id.in_(ids)))}
    institutions = {i.id: i for i in await db.scalars(select(HostInstitution).where(
        HostInstitution.tenant_id == tenant.id,
        HostInstitution.id.in_({r.institution_id for r in requests.values()})))}
    languages = await _rows(db, RequestLanguage, tenant, RequestLanguage.request_id, ids)
    skills: dict[uuid.UUID, list[tuple[Skill, bool]]] = {}
    for request_id, required, skill in (await db.execute(
            select(RequestSkill.request_id, RequestSkill.required, Skill)
            .join(Skill, Skill.id == RequestSkill.skill_id)
            .where(RequestSkill.tenant_id == tenant.id, RequestSkill.request_id.in_(ids)))).all():
        skills.setdefault(request_id, []).append((skill, required))
    documents: dict[uuid.UUID, dict | None] = {}
    for request_id in ids:
        request = requests.get(request_id)
        if request is None or request.status == "draft":
            documents[request_id] = None
            continue
        window = work_window(request)
        institution = institutions.get(request.institution_id)
        documents[request_id] = {
            "id": str(request.id), "number": request.number, "title": request.title,
            "status": request.status,
            "skills": [text for s, _ in skills.get(request_id, []) for text in skill_texts(s)],
            "skill_ids": [str(s.id) for s, _ in skills.get(request_id, [])],
            "text": "\n".join(filter(None, [request.objectives, request.tasks,
                                            request.background, request.expected_outputs])),
            "sector": request.sector, "modality": request.modality,
            "languages": [lang.language for lang in languages.get(request_id, [])],
            "language_levels": [f"{lang.language}:{lang.min_level}"
                                for lang in languages.get(request_id, [])],
            "institution_id": str(request.institution_id),
            "institution": institution.name if institution else "",
            "months": months_between(*window) if window else [],
            "experts_wanted": request.experts_wanted,
            "earliest_start": request.earliest_start.isoformat() if request.earliest_start
            else None,
            "latest_start": request.latest_start.isoformat() if request.latest_start else None,
            "duration_weeks": request.duration_weeks, "city": request.city,
        }
    return documents


BUILDERS = {EXPERTS: expert_documents, REQUESTS: request_documents}


# The experts' past evaluations come from a later domain (app/assignments registers the
# lookup): (db, tenant, profile ids) -> {profile id: mean from 0 to 1}.
EvaluationLookup = Callable[[AsyncSession, TenantContext, list[uuid.UUID]],
                            Awaitable[dict[uuid.UUID, float]]]
_evaluation_lookup: EvaluationLookup | None = None


def expert_evaluations(lookup: EvaluationLookup) -> EvaluationLookup:
    global _evaluation_lookup
    _evaluation_lookup = lookup
    return lookup


async def _evaluations(db: AsyncSession, tenant: TenantContext,
                       ids: list[uuid.UUID]) -> dict[uuid.UUID, float]:
    if _evaluation_lookup is None:  # a programming error: import app.domains first
        raise RuntimeError("no expert evaluation lookup registered (import app.domains)")
    return await _evaluation_lookup(db, tenant, ids)
