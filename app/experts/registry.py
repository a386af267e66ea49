"""The staff's registry: filtered, sorted, paginated lists of expert profiles and the CSV
export. Filters are structured values; user text only ever reaches SQL as a bound value."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    bindparam,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.audit.services import record
from app.core.actor import Actor
from app.core.kept import Kept
from app.core.roster_format import EXPERT_COLUMNS, NO_CONSENT, join_items
from app.db.session import committed_writes
from app.experts.models import (
    PROFILE_STATUSES,
    ExpertAvailability,
    ExpertConsent,
    ExpertEducation,
    ExpertLanguage,
    ExpertProfile,
    ExpertSector,
    ExpertSkill,
    ExpertWork,
    Skill,
)
from app.web.csv_export import csv_text
from tenants.context import TenantContext

PAGE_SIZE = 25
# The registry counts matches up to this many: an exact count of a large mission costs a
# scan of every matching profile on each page (about 100 ms at 100,000 experts), while the
# page itself is read from an index. Past it the page says "more than" and staff narrow.
COUNT_LIMIT = 1000
# The registry's queries are Core statements built once per shape (which filters are set,
# which sort) with every value a bound parameter: a page then neither builds nor walks an
# expression tree to find SQLAlchemy's compiled form, and reads plain rows.
P = ExpertProfile.__table__.c
SORTS = {
    "number": P.number,
    "name": P.full_name,
    "updated": P.updated_at.desc().nulls_last(),
    "experience": P.years_experience.desc().nulls_last(),
}
# What the list shows of a profile.
LISTED = (P.id, P.number, P.full_name, P.headline, P.status, P.residence_city,
          P.residence_country, P.sectors, P.years_experience)
LIKE_ESCAPE = "/"


@dataclass
class RegistryFilter:
    status: str = ""
    sector: str = ""
    language: str = ""
    country: str = ""
    available_from: date | None = None
    available_to: date | None = None
    q: str = ""
    sort: str = "updated"
    errors: dict[str, str] = field(default_factory=dict)

    def shape(self) -> tuple[bool, ...]:
        """Which filters are set: the statements are built once per shape."""
        return (self.status in PROFILE_STATUSES, bool(self.sector), bool(self.country),
                bool(self.q), bool(self.language),
                bool(self.available_from and self.available_to))


@cache  # at most 2^6 shapes
def _conditions(shape: tuple[bool, ...]) -> tuple[ColumnElement[bool], ...]:
    status, sector, country, q, language, window = shape
    conds = [P.tenant_id == bindparam("tenant_id"), P.erased_at.is_(None)]
    if status:
        conds.append(P.status == bindparam("status"))
    if sector:
        # Through expert_sectors, not `sectors @> ARRAY[code]`: under row-level security only
        # leakproof operators (equality) are read from an index (migration 0031).
        S = ExpertSector.__table__.c
        conds.append(exists().where(S.tenant_id == bindparam("tenant_id"), S.profile_id == P.id,
                                    S.sector == bindparam("sector")))
    if country:
        conds.append(P.residence_country == bindparam("country"))
    if q:
        conds.append(P.full_name.ilike(bindparam("q"), escape=LIKE_ESCAPE))
    if language:
        L = ExpertLanguage.__table__.c
        conds.append(exists().where(L.tenant_id == bindparam("tenant_id"), L.profile_id == P.id,
                                    L.language == bindparam("language")))
    if window:
        W = ExpertAvailability.__table__.c
        # Available for the whole span, and no declared absence inside it.
        conds.append(exists().where(W.tenant_id == bindparam("tenant_id"), W.profile_id == P.id,
                                    W.kind == "available",
                                    W.starts_on <= bindparam("available_from"),
                                    W.ends_on >= bindparam("available_to")))
        conds.append(~exists().where(W.tenant_id == bindparam("tenant_id"), W.profile_id == P.id,
                                     W.kind == "unavailable",
                                     W.starts_on <= bindparam("available_to"),
                                     W.ends_on >= bindparam("available_from")))
    return tuple(conds)


def _values(tenant: TenantContext, flt: RegistryFilter) -> dict[str, Any]:
    """The bound values of _conditions(flt.shape())."""
    q = flt.q
    for special in (LIKE_ESCAPE, "%", "_"):  # the name as typed, never a pattern
        q = q.replace(special, LIKE_ESCAPE + special)
    return {"tenant_id": tenant.id, "status": flt.status, "sector": flt.sector,
            "country": flt.country, "q": f"%{q}%", "language": flt.language,
            "available_from": flt.available_from, "available_to": flt.available_to}


@cache
def _count_statement(shape: tuple[bool, ...]) -> Select:
    matches = select(literal(1)).select_from(ExpertProfile.__table__).where(*_conditions(shape))
    return select(func.count()).select_from(matches.limit(bindparam("count_limit")).subquery())


@cache
def _page_statement(shape: tuple[bool, ...], sort: str) -> Select:
    """The page's rows, each with the count (computed once: it is not correlated), so that
    a page is one round trip to the database."""
    return (select(*LISTED, _count_statement(shape).scalar_subquery().label("counted"))
            .where(*_conditions(shape)).order_by(SORTS[sort], P.number)
            .offset(bindparam("offset")).limit(bindparam("limit")))


@cache
def _rows_statement(shape: tuple[bool, ...], sort: str) -> Select:
    """The page's rows alone, when the count is known (see search())."""
    return (select(*LISTED).where(*_conditions(shape)).order_by(SORTS[sort], P.number)
            .offset(bindparam("offset")).limit(bindparam("limit")))


@dataclass
class RegistryPage:
    profiles: Sequence[Row]  # LISTED's columns, by name
    total: int       # matches counted, at most COUNT_LIMIT
    more: bool       # more than COUNT_LIMIT match

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


# The count is most of what a page costs PostgreSQL (at 100,000 experts, a common sector:
# some 3 ms of its CPU, the page's rows 1 ms), and staff page through, sort and come back to
# the same filters: a count is kept per filter for COUNT_MAX_AGE seconds, and forgotten at
# once when this process commits a write to a table the filters read (app/db/session.py:
# committed_writes); another process's change shows in the count when its time is up. The
# rows are always read anew.
COUNT_MAX_AGE = 5.0
COUNTED_TABLES = tuple(model.__tablename__ for model in (
    ExpertProfile, ExpertSector, ExpertLanguage, ExpertAvailability))
COUNTS_KEPT = 512  # filters per engine, the least recently used forgotten first
# per engine (one per process; the tests' apps each have theirs):
# (mission, shape, values) -> (write generation, count)
_counts: weakref.WeakKeyDictionary[Any, Kept[tuple[int, int]]] = weakref.WeakKeyDictionary()


def _kept_count(db: AsyncSession, key: tuple) -> int | None:
    counts = _counts.get(db.get_bind())
    kept = counts.get(key) if counts is not None else None
    if kept is None or kept[0] != committed_writes(*COUNTED_TABLES):
        return None
    return kept[1]


def _keep_count(db: AsyncSession, key: tuple, generation: int, counted: int) -> None:
    counts = _counts.get(db.get_bind())
    if counts is None:
        counts = _counts[db.get_bind()] = Kept(seconds=COUNT_MAX_AGE, most=COUNTS_KEPT)
    counts.put(key, (generation, counted))


async def search(db: AsyncSession, tenant: TenantContext, flt: RegistryFilter,
                 page: int) -> RegistryPage:
    shape = flt.shape()
    values = {**_values(tenant, flt), "count_limit": COUNT_LIMIT + 1}
    key = (shape, *sorted(values.items()))
    counted = _kept_count(db, key)
    generation = committed_writes(*COUNTED_TABLES)
    sort = flt.sort if flt.sort in SORTS else "updated"
    if counted is None:
        rows = (await db.execute(_page_statement(shape, sort), {
            **values, "offset": (page - 1) * PAGE_SIZE, "limit": PAGE_SIZE})).all()
        if rows:
            counted = rows[0].counted
        elif page == 1:
            counted = 0
        else:  # a page past the end: the count alone
            counted = await db.scalar(_count_statement(shape), values) or 0
        _keep_count(db, key, generation, counted)
    else:
        rows = (await db.execute(_rows_statement(shape, sort), {
            **values, "offset": (page - 1) * PAGE_SIZE, "limit": PAGE_SIZE})).all()
    return RegistryPage(rows, min(counted, COUNT_LIMIT), counted > COUNT_LIMIT)


# The export writes the expert import schema (app/core/roster_format.py): exporting the registry
# and importing the file (into another mission, or after a loss) gives the same profiles.
EXPORT_COLUMNS = [c.name for c in EXPERT_COLUMNS]


async def export_csv(db: AsyncSession, tenant: TenantContext, actor: Actor,
                     flt: RegistryFilter, locale: str) -> tuple[str, int]:
    """The filtered registry as CSV (UTF-8 with BOM, which Excel needs for Arabic), in the
    import schema's columns and cell encodings. Only experts who currently consent to the
    registry ('matching') are exported; returns the text and the rows left out for lack of
    consent. The audit trail records who took how many rows with which filters."""
    conds, values = _conditions(flt.shape()), _values(tenant, flt)
    consenting = exists().where(ExpertConsent.tenant_id == tenant.id,
                                ExpertConsent.profile_id == ExpertProfile.id,
                                ExpertConsent.purpose == "matching",
                                ExpertConsent.withdrawn_at.is_(None))
    rows = (await db.execute(
        select(ExpertProfile, User.email).outerjoin(User, User.id == ExpertProfile.user_id)
        .where(*conds, consenting).order_by(ExpertProfile.number), values)).all()
    left_out = await db.scalar(select(func.count()).select_from(ExpertProfile)
                               .where(*conds, ~consenting), values)
    ids = [p.id for p, _ in rows]

    async def grouped(model, *order) -> dict:
        out: dict = {}
        for r in await db.scalars(select(model).where(model.tenant_id == tenant.id,
                                                      model.profile_id.in_(ids))
                                  .order_by(*order)):
            out.setdefault(r.profile_id, []).append(r)
        return out

    languages = await grouped(ExpertLanguage, ExpertLanguage.language)
    education = await grouped(ExpertEducation, ExpertEducation.year.desc().nulls_last(),
                              ExpertEducation.field)
    work = await grouped(ExpertWork, ExpertWork.started_on.desc(), ExpertWork.title)
    windows = await grouped(ExpertAvailability, ExpertAvailability.starts_on,
                            ExpertAvailability.kind)
    consents = await grouped(ExpertConsent, ExpertConsent.purpose)
    skills: dict = {}
    for profile_id, skill in (await db.execute(
            select(ExpertSkill.profile_id, Skill).join(Skill, Skill.id == ExpertSkill.skill_id)
            .where(ExpertSkill.tenant_id == tenant.id, ExpertSkill.profile_id.in_(ids)))).all():
        skills.setdefault(profile_id, []).append(skill.display_name(locale))

    def day(value) -> str:
        return value.isoformat() if value else ""

    lines = []
    for profile, email in rows:
        pid = profile.id
        values = {
            "external_ref": profile.external_ref or str(profile.number),
            "full_name": profile.full_name, "email": email, "phone": profile.phone,
            "gender": profile.gender, "birth_year": profile.birth_year,
            "nationality": profile.nationality, "residence_country": profile.residence_country,
            "residence_city": profile.residence_city,
            "languages": join_items([[r.language, r.level] for r in languages.get(pid, [])],
                                    ":"),
            "education": join_items([[e.level, e.field, e.institution, e.year or ""]
                                     for e in education.get(pid, [])]),
            "work_history": join_items([[w.title, w.employer, w.country or "",
                                         day(w.started_on), day(w.ended_on), w.description]
                                        for w in work.get(pid, [])]),
            "sectors": join_items(profile.sectors),
            "skills": join_items(sorted(skills.get(pid, []))),
            "years_experience": profile.years_experience, "headline": profile.headline,
            "summary": profile.summary,
            "modality": profile.modality, "min_weeks": profile.min_weeks,
            "max_weeks": profile.max_weeks,
            "availability": join_items([
                f"{day(w.starts_on)}..{day(w.ends_on)}" if w.kind == "available"
                else f"{w.kind}:{day(w.starts_on)}..{day(w.ends_on)}"
                for w in windows.get(pid, [])]),
            # "none", not an empty cell: imported again, empty would mean matching.
            "consents": join_items(sorted({c.purpose for c in consents.get(pid, [])
                                           if c.withdrawn_at is None})) or NO_CONSENT,
            "number": profile.number, "status": profile.status,
            "updated_at": profile.updated_at.isoformat() if profile.updated_at else "",
        }
        lines.append([values[c] for c in EXPORT_COLUMNS])
    record(db, tenant.id, actor, "expert_registry.exported", "expert_profile", None,
           after={"rows": len(rows), "left_out_without_consent": left_out or 0,
                  "filters": {k: str(v) for k, v in vars(flt).items() if v and k != "errors"}})
    await db.commit()
    return csv_text(EXPORT_COLUMNS, lines), left_out or 0
