"""Demo and benchmark experts.

- `seed_demo_experts`: a few hundred realistic experts per mission for `portal seed-demo`
  (and the first `portal run`), each with an account, a membership and a full profile.
  Deterministic (expert k of a mission is drawn from its own seeded generator, so the
  vocabulary changing later never renames anyone) and idempotent (keyed by the demo email
  address; what exists is skipped).
- `generate_experts`: N verified, consenting experts as fast as PostgreSQL takes them, for
  benchmarks and load tests. Rows are streamed with COPY (bench/generate_experts.py).

Both write as the mission (row-level security): the seed inside `tenant_scope`, the
generator with `set_config('app.tenant_id', ..., true)` first in each transaction.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import re
import time
import unicodedata
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import asyncpg
from babel.core import Locale
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.accounts.models import Membership, User
from app.accounts.passwords import hash_password
from app.db.server import asyncpg_dsn, to_asyncpg_url
from app.experts import demo_data as data
from app.experts.models import (ConsentNotice, ExpertAvailability, ExpertConsent,
                                ExpertEducation, ExpertLanguage, ExpertProfile, ExpertSkill,
                                ExpertWork, Skill)
from tenants.context import TenantContext, tenant_scope
from tenants.models import Sector

DEMO_EXPERTS_PER_MISSION = 300
DEMO_EMAIL_DOMAIN = "experts.demo"


@lru_cache(maxsize=1)
def demo_password_hash() -> str:
    """Argon2 is deliberately slow (~50 ms): hash the demo password once per process."""
    from app.demo import DEMO_PASSWORD  # app.demo imports this module

    return hash_password(DEMO_PASSWORD)


@lru_cache(maxsize=4096)
def ascii_fold(text_: str) -> str:
    """'Macuácua' -> 'macuacua', 'da Silva' -> 'dasilva': the part of an email address."""
    decomposed = unicodedata.normalize("NFKD", text_.casefold())
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in decomposed
                                          if not unicodedata.combining(c)))


def diaspora_for(tenant: TenantContext) -> data.Diaspora:
    """The mission's diaspora; a mission without its own material borrows Sudan's names
    but keeps its own nationality."""
    known = data.DIASPORAS.get(tenant.slug)
    if known is not None:
        return known
    base = data.DIASPORAS["sudan"]
    return data.Diaspora(**{**base.__dict__, "nationality": tenant.country_code})


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _digits(rng: random.Random, pattern: str) -> str:
    template, count = _digit_template(pattern)
    return template.format(*f"{rng.randrange(10 ** count):0{count}d}")


@lru_cache(maxsize=64)
def _digit_template(pattern: str) -> tuple[str, int]:
    return pattern.replace("{", "{{").replace("}", "}}").replace("#", "{}"), pattern.count("#")


# --- who the expert is -----------------------------------------------------------------------

@dataclass(frozen=True)
class Identity:
    gender: str
    name: str  # as typed by the expert (Latin or Arabic script)
    email_local: str  # "firstname.lastname"
    arabic_script: bool


def draw_identity(rng: random.Random, diaspora: data.Diaspora) -> Identity:
    roll = rng.random()
    gender = "female" if roll < 0.42 else "male" if roll < 0.98 else "undisclosed"
    given = rng.choice(diaspora.female if gender == "female" else
                       diaspora.male if gender == "male" else diaspora.male + diaspora.female)
    family = rng.choice(diaspora.family)
    if diaspora.three_part_names:
        middle = rng.choice(diaspora.male)  # the father's given name
    else:
        middle = rng.choice(diaspora.family) if rng.random() < 0.35 else None
        if middle == family:
            middle = None
    parts = [given, middle, family] if middle else [given, family]
    latin = " ".join(p[0] for p in parts)
    arabic = rng.random() < diaspora.arabic_script_share and all(p[1] for p in parts)
    name = " ".join(p[1] for p in parts) if arabic else latin
    return Identity(gender=gender, name=name, arabic_script=arabic,
                    email_local=f"{ascii_fold(given[0])}.{ascii_fold(family[0])}")


# --- the mission's vocabulary ----------------------------------------------------------------

@dataclass
class Vocabulary:
    sectors: list[tuple[str, dict[str, str]]]  # (code, names) in the mission's order
    skills_by_sector: dict[str | None, list[uuid.UUID]]
    notice_version: int

    @property
    def all_skills(self) -> list[uuid.UUID]:
        return [s for ids in self.skills_by_sector.values() for s in ids]

    @classmethod
    def from_rows(cls, sectors, skills, notice_version) -> Vocabulary:
        by_sector: dict[str | None, list[uuid.UUID]] = {}
        for skill_id, sector in skills:
            by_sector.setdefault(sector, []).append(skill_id)
        return cls(sectors=[(c, dict(n)) for c, n in sectors], skills_by_sector=by_sector,
                   notice_version=notice_version or 1)


async def load_vocabulary(db: AsyncSession, tenant: TenantContext) -> Vocabulary:
    """Sectors and the mission's own skills (source 'mission': an imported taxonomy of
    thousands of skills must not change what the demo looks like)."""
    sectors = (await db.execute(select(Sector.code, Sector.names).where(
        Sector.tenant_id == tenant.id).order_by(Sector.position, Sector.code))).all()
    skills = (await db.execute(select(Skill.id, Skill.sector).where(
        Skill.tenant_id == tenant.id, Skill.source == "mission").order_by(Skill.code))).all()
    version = await db.scalar(select(func.max(ConsentNotice.version)).where(
        ConsentNotice.tenant_id == tenant.id))
    return Vocabulary.from_rows(sectors, skills, version)


# --- a full demo profile ---------------------------------------------------------------------

@dataclass
class DemoExpert:
    """Everything about one demo expert, before ids are given."""

    identity: Identity
    email: str
    locale: str
    profile: dict
    languages: list[tuple[str, str]] = field(default_factory=list)
    education: list[dict] = field(default_factory=list)
    work: list[dict] = field(default_factory=list)
    availability: list[tuple[str, date, date]] = field(default_factory=list)
    skills: list[uuid.UUID] = field(default_factory=list)
    consents: list[tuple[str, datetime, datetime | None]] = field(default_factory=list)


STATUS_WEIGHTS = [("verified", 72), ("submitted", 12), ("draft", 9), ("inactive", 7)]
MODALITY_WEIGHTS = [("on_site", 50), ("hybrid", 30), ("remote", 20)]
ENGLISH_LEVELS = [("B1", 12), ("B2", 30), ("C1", 35), ("C2", 18), ("A2", 5)]
SECOND_LEVELS = [("A2", 20), ("B1", 30), ("B2", 25), ("C1", 20), ("C2", 5)]
# Portuguese job titles in the feminine, word by word (the pools list the masculine).
FEMININE_PT = {"Engenheiro": "Engenheira", "Hidráulico": "Hidráulica", "Gestor": "Gestora",
               "Hidrólogo": "Hidróloga", "universitário": "universitária",
               "Assessor": "Assessora", "Director": "Directora", "Formador": "Formadora",
               "Médico": "Médica", "Coordenador": "Coordenadora", "Enfermeiro": "Enfermeira",
               "Agrónomo": "Agrónoma", "Secretário": "Secretária",
               "Investigador": "Investigadora", "Procurador": "Procuradora",
               "Instrutor": "Instrutora", "Professor": "Professora", "Editor": "Editora",
               "Produtor": "Produtora", "Consultor": "Consultora"}


def _title(pair: tuple[str, str], portuguese: bool, gender: str) -> str:
    if not portuguese:
        return pair[0]
    if gender != "female":
        return pair[1]
    return " ".join(FEMININE_PT.get(word, word) for word in pair[1].split())


def _sector_text(code: str) -> data.SectorText:
    return data.SECTORS.get(code, data.GENERIC_SECTOR)


def _lower_first(s: str) -> str:
    return s[:1].lower() + s[1:] if s[:1].isupper() and not s[1:2].isupper() else s


def _join(items: list[str], word: str) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"


@lru_cache(maxsize=4)
def _territories(locale: str) -> dict[str, str]:
    return dict(Locale.parse(locale).territories)


def _languages(rng: random.Random, diaspora: data.Diaspora,
               residence: str) -> list[tuple[str, str]]:
    langs = {diaspora.native: "native"}
    if "en" not in langs:
        english = [("C1", 40), ("C2", 35), ("B2", 25)] if data.RESIDENCE_LANGUAGE.get(
            residence) == "en" else ENGLISH_LEVELS
        if data.RESIDENCE_LANGUAGE.get(residence) == "en" or rng.random() < 0.85:
            langs["en"] = _weighted(rng, english)
    local = data.RESIDENCE_LANGUAGE.get(residence)
    if local and local not in langs:
        langs[local] = _weighted(rng, [("A2", 10), ("B1", 25), ("B2", 30), ("C1", 25),
                                       ("C2", 10)])
    for code, share in diaspora.others:
        if code not in langs and rng.random() < share:
            # Mozambicans who speak Changana or Nyanja mostly grew up with it.
            langs[code] = "native" if code in {"ts", "ny"} and rng.random() < 0.6 \
                else _weighted(rng, SECOND_LEVELS)
    return list(langs.items())


def _sectors(rng: random.Random, vocab: Vocabulary) -> list[str]:
    codes = [c for c, _ in vocab.sectors]
    if not codes:
        return []
    k = 1 if rng.random() < 0.62 else 2 if rng.random() < 0.8 else 3
    return rng.sample(codes, min(k, len(codes)))


def _skills(rng: random.Random, vocab: Vocabulary, sectors: list[str]) -> list[uuid.UUID]:
    chosen: list[uuid.UUID] = []
    for code in sectors:
        pool = vocab.skills_by_sector.get(code, [])
        chosen += rng.sample(pool, min(len(pool), rng.choice((1, 1, 2))))
    pm = vocab.skills_by_sector.get("project_management", [])
    if pm and rng.random() < 0.3:
        chosen.append(pm[0])
    if not chosen and vocab.all_skills:
        chosen.append(rng.choice(vocab.all_skills))
    return list(dict.fromkeys(chosen))


def _university(rng: random.Random, countries: list[str]) -> tuple[str, str]:
    options = [(name, cc) for cc in countries for name in data.UNIVERSITIES.get(cc, [])]
    return rng.choice(options or [(n, "SD") for n in data.UNIVERSITIES["SD"]])


def _education(rng: random.Random, diaspora, sector: str, residence: str,
               birth_year: int, this_year: int) -> list[dict]:
    text_ = _sector_text(sector)
    rows = []
    short = rng.random() < 0.12
    first_year = min(this_year - 1,
                     birth_year + (rng.randint(20, 21) if short else rng.randint(22, 24)))
    def field_in(country: str) -> str:  # the degree's name in the university's language
        return rng.choice(text_.fields)[1 if country in data.PORTUGUESE_COUNTRIES else 0]

    inst, cc = _university(rng, [diaspora.nationality])
    rows.append(dict(level="5" if short else "6", year=first_year, institution=inst,
                     field=field_in(cc)))
    if rng.random() < 0.65:
        year = min(this_year - 1, first_year + rng.randint(2, 9))
        inst, cc = _university(rng, [residence] if rng.random() < 0.7
                               else [diaspora.nationality, "GB", "NL"])
        rows.append(dict(level="7", year=year, institution=inst, field=field_in(cc)))
        if rng.random() < 0.2 and year + 3 < this_year:
            inst, cc = _university(rng, [residence])
            rows.append(dict(level="8", year=min(this_year - 1, year + rng.randint(3, 6)),
                             institution=inst, field=field_in(cc)))
    return rows


def _work(rng: random.Random, diaspora, sector: str, residence: str, gender: str,
          years: int, today: date) -> list[dict]:
    text_ = _sector_text(sector)
    rows = []
    local = [e for e, cc in text_.employers_abroad if cc == residence]
    employer = rng.choice(local) if local and rng.random() < 0.75 \
        else rng.choice(data.INTERNATIONAL)
    pt = residence in data.PORTUGUESE_COUNTRIES
    started = today - timedelta(days=rng.randint(200, 365 * max(1, min(years, 9))))
    rows.append(dict(title=_title(rng.choice(text_.titles), pt, gender), employer=employer,
                     country=residence, started_on=started, ended_on=None,
                     description=rng.choice(text_.achievements)[1 if pt else 0]))
    home = text_.home_employers.get(diaspora.nationality)
    career_start = date(today.year - years, rng.randint(1, 12), 1)
    ended = started - timedelta(days=rng.randint(30, 180))
    if home and rng.random() < 0.75 and ended > career_start:
        pt_home = diaspora.nationality in data.PORTUGUESE_COUNTRIES
        rows.append(dict(title=_title(rng.choice(text_.titles), pt_home, gender),
                         employer=rng.choice(home), country=diaspora.nationality,
                         started_on=career_start, ended_on=ended,
                         description=rng.choice(text_.achievements)[1 if pt_home else 0]))
    return rows


def _availability(rng: random.Random, today: date) -> list[tuple[str, date, date]]:
    start = today + timedelta(days=rng.randint(7, 120))
    end = start + timedelta(days=rng.randint(28, 180))
    rows = [("available", start, end)]
    if rng.random() < 0.35:
        later = end + timedelta(days=rng.randint(30, 120))
        rows.append(("available", later, later + timedelta(days=rng.randint(28, 120))))
    if rng.random() < 0.3:
        off = start + timedelta(days=rng.randint(0, max(0, (end - start).days - 7)))
        rows.append(("unavailable", off, off + timedelta(days=rng.randint(5, 30))))
    return rows


def _summary(ident: Identity, locale: str, title: str, years: int, sectors: list[str],
             vocab: Vocabulary, city: str, residence: str, achievement: tuple[str, str],
             modality: str, weeks: tuple[int, int]) -> str:
    names = dict(vocab.sectors)
    labels = [names.get(code, {}).get(locale) or names.get(code, {}).get("en") or code
              for code in sectors]
    country = _territories(locale).get(residence, residence)
    if locale == "ar":
        noun = "خبيرة" if ident.gender == "female" else "خبير"
        span = f"{weeks[0]}" if weeks[0] == weeks[1] else f"من {weeks[0]} إلى {weeks[1]}"
        return (f"{noun} في {' و'.join(labels)}. سنوات الخبرة: {years}. "
                f"الإقامة: {city}، {country}. المدة المفضلة للمهام بالأسابيع: {span}.")
    if locale == "pt":
        how = {"on_site": "presenciais", "hybrid": "híbridas", "remote": "remotas"}[modality]
        return (f"{title} com {years} anos de experiência em "
                f"{_join([_lower_first(x) for x in labels], 'e')}. {achievement[1]} "
                f"Reside em {city} ({country}); disponível para missões {how} de "
                f"{weeks[0] if weeks[0] == weeks[1] else f'{weeks[0]} a {weeks[1]}'} semanas.")
    how = {"on_site": "on-site", "hybrid": "hybrid", "remote": "remote"}[modality]
    return (f"{title} with {years} years of experience in "
            f"{_join([_lower_first(x) for x in labels], 'and')}. {achievement[0]} "
            f"Based in {city}, {country}; available for {how} assignments of "
            f"{weeks[0] if weeks[0] == weeks[1] else f'{weeks[0]} to {weeks[1]}'} weeks.")


def build_demo_expert(slug: str, ordinal: int, diaspora: data.Diaspora, vocab: Vocabulary,
                      now: datetime) -> DemoExpert:
    """Expert number `ordinal` of the mission's demo: the same person every time."""
    rng = random.Random(f"{slug}:expert:{ordinal}")
    ident = draw_identity(rng, diaspora)  # first, so name and email never depend on the rest
    email = f"{ident.email_local}.{ordinal}@{DEMO_EMAIL_DOMAIN}"
    today = now.date()
    residence = _weighted(rng, diaspora.residence)
    city = rng.choice(data.CITIES.get(residence, [""]))
    years = rng.choice([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 18, 20, 22, 25, 28, 32])
    birth_year = today.year - years - rng.randint(22, 30)
    status = _weighted(rng, STATUS_WEIGHTS)
    sectors = _sectors(rng, vocab)
    primary = sectors[0] if sectors else ""
    modality = _weighted(rng, MODALITY_WEIGHTS)
    min_weeks = rng.choice([1, 2, 2, 3, 4, 4, 6])
    max_weeks = rng.choice([w for w in (4, 6, 8, 12, 16, 26) if w >= min_weeks])
    if diaspora.native == "ar":
        locale = "ar" if ident.arabic_script else "en"
    else:
        locale = "en" if residence in {"GB", "ZA", "DE"} and rng.random() < 0.5 else "pt"
    works = _work(rng, diaspora, primary, residence, ident.gender, years, today)
    # The current job's title when it is in the summary's language, else one of the sector's.
    portuguese = locale == "pt"
    title = works[0]["title"] if portuguese == (residence in data.PORTUGUESE_COUNTRIES) \
        else _title(rng.choice(_sector_text(primary).titles), portuguese, ident.gender)
    summary = _summary(ident, locale, title, years, sectors, vocab, city, residence,
                       rng.choice(_sector_text(primary).achievements), modality,
                       (min_weeks, max_weeks))

    created = now - timedelta(days=rng.randint(20, 900), minutes=rng.randint(0, 1440))
    submitted = verified = None
    if status == "submitted":
        created = now - timedelta(days=rng.randint(3, 60))
        submitted = created + timedelta(days=rng.randint(0, 2), hours=rng.randint(1, 20))
    elif status in {"verified", "inactive"}:
        submitted = created + timedelta(days=rng.randint(0, 14), hours=rng.randint(1, 20))
        verified = submitted + timedelta(days=rng.randint(1, 12), hours=rng.randint(1, 8))
    updated = max(t for t in (created, submitted, verified) if t is not None)
    draft = status == "draft"
    profile = dict(
        status=status, full_name=ident.name, gender=ident.gender, birth_year=birth_year,
        nationality=diaspora.nationality,
        phone="" if rng.random() < 0.08
        else _digits(rng, data.PHONES.get(residence, "+## ### ### ###")),
        residence_country=residence, residence_city=city, years_experience=years,
        summary="" if draft and rng.random() < 0.5 else summary, modality=modality,
        min_weeks=min_weeks, max_weeks=max_weeks, sectors=sectors,
        status_reason=rng.choice(data.INACTIVE_REASONS) if status == "inactive" else "",
        created_at=created, submitted_at=submitted, verified_at=verified, updated_at=updated)
    expert = DemoExpert(identity=ident, email=email, locale=locale, profile=profile,
                        languages=_languages(rng, diaspora, residence))
    # Drafts are half-filled, as drafts are; everything else is complete.
    if not draft or rng.random() < 0.6:
        expert.education = _education(rng, diaspora, primary, residence, birth_year, today.year)
        expert.work = works
    if not draft or rng.random() < 0.5:
        expert.skills = _skills(rng, vocab, sectors)
        expert.availability = _availability(rng, today)
    granted = submitted or created + timedelta(hours=rng.randint(1, 48))
    chances = {"draft": (0.4, 0.25, 0.15), "submitted": (1.0, 0.7, 0.4)}.get(
        status, (1.0, 0.8, 0.5))
    for purpose, chance in zip(("matching", "share_with_institutions", "future_contact"),
                               chances, strict=True):
        if rng.random() < chance:
            withdrawn = None
            if purpose != "matching" and not draft and rng.random() < 0.05:
                withdrawn = granted + (now - granted) * rng.uniform(0.2, 0.9)
            expert.consents.append((purpose, granted, withdrawn))
    return expert


async def seed_demo_experts(session_factory: async_sessionmaker[AsyncSession],
                            tenant: TenantContext, count: int = DEMO_EXPERTS_PER_MISSION) -> int:
    """Add the mission's demo experts that are missing; returns how many were created."""
    diaspora = diaspora_for(tenant)
    with tenant_scope(tenant):
        async with session_factory() as db:
            emails = {}
            for k in range(1, count + 1):
                ident = draw_identity(random.Random(f"{tenant.slug}:expert:{k}"), diaspora)
                emails[k] = f"{ident.email_local}.{k}@{DEMO_EMAIL_DOMAIN}"
            users = dict((await db.execute(select(User.email, User.id).where(
                User.email.in_(list(emails.values()))))).all())
            members = set(await db.scalars(select(Membership.user_id).where(
                Membership.tenant_id == tenant.id, Membership.user_id.in_(list(users.values())))))
            profiled = set(await db.scalars(select(ExpertProfile.user_id).where(
                ExpertProfile.tenant_id == tenant.id,
                ExpertProfile.user_id.in_(list(users.values())))))
            todo = [k for k, email in emails.items()
                    if email not in users or users[email] not in members
                    or users[email] not in profiled]
            if not todo:
                return 0

            # Same lock as a sign-up's numbering, so a live registration cannot collide.
            await db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                             {"key": f"expert-number:{tenant.id}"})
            number = await db.scalar(select(func.max(ExpertProfile.number)).where(
                ExpertProfile.tenant_id == tenant.id)) or 0
            vocab = await load_vocabulary(db, tenant)
            now = datetime.now(UTC).replace(microsecond=0)
            rows: dict[type, list[dict]] = {m: [] for m in (
                User, Membership, ExpertProfile, ExpertLanguage, ExpertEducation, ExpertWork,
                ExpertAvailability, ExpertSkill, ExpertConsent)}
            tid = tenant.id
            created_profiles = 0
            for k in todo:
                expert = build_demo_expert(tenant.slug, k, diaspora, vocab, now)
                user_id = users.get(expert.email)
                if user_id is None:
                    user_id = uuid.uuid4()
                    rows[User].append(dict(
                        id=user_id, email=expert.email, name=expert.identity.name,
                        preferred_locale=expert.locale, password_hash=demo_password_hash(),
                        status="active", email_verified_at=expert.profile["created_at"],
                        is_platform_admin=False, created_at=expert.profile["created_at"]))
                if user_id not in members:
                    rows[Membership].append(dict(id=uuid.uuid4(), tenant_id=tid, user_id=user_id,
                                                 role="expert", status="active"))
                if user_id in profiled:
                    continue
                number += 1
                created_profiles += 1
                pid = uuid.uuid4()
                rows[ExpertProfile].append(dict(id=pid, tenant_id=tid, user_id=user_id,
                                                number=number, **expert.profile))
                rows[ExpertLanguage] += [dict(id=uuid.uuid4(), tenant_id=tid, profile_id=pid,
                                              language=code, level=level)
                                         for code, level in expert.languages]
                rows[ExpertEducation] += [dict(id=uuid.uuid4(), tenant_id=tid, profile_id=pid, **e)
                                          for e in expert.education]
                rows[ExpertWork] += [dict(id=uuid.uuid4(), tenant_id=tid, profile_id=pid, **w)
                                     for w in expert.work]
                rows[ExpertAvailability] += [dict(id=uuid.uuid4(), tenant_id=tid, profile_id=pid,
                                                  kind=kind, starts_on=s, ends_on=e)
                                             for kind, s, e in expert.availability]
                rows[ExpertSkill] += [dict(id=uuid.uuid4(), tenant_id=tid, profile_id=pid,
                                           skill_id=skill_id) for skill_id in expert.skills]
                rows[ExpertConsent] += [dict(id=uuid.uuid4(), tenant_id=tid, profile_id=pid,
                                             purpose=purpose, notice_version=vocab.notice_version,
                                             source="expert", granted_at=granted,
                                             withdrawn_at=withdrawn)
                                        for purpose, granted, withdrawn in expert.consents]
            # One executemany per table (parents first), all in this one transaction.
            for model, batch in rows.items():
                if batch:
                    await db.execute(insert(model), batch)
            await db.commit()
            return created_profiles


# --- bulk generation for benchmarks ------------------------------------------------------------

# Column lists of what the generator writes; the rest take their defaults.
BULK_COLUMNS = {
    "users": ("id", "email", "name", "preferred_locale", "password_hash", "status",
              "email_verified_at"),
    "memberships": ("id", "tenant_id", "user_id", "role", "status"),
    "expert_profiles": ("id", "tenant_id", "user_id", "number", "status", "full_name", "gender",
                        "birth_year", "nationality", "phone", "residence_country",
                        "residence_city", "years_experience", "summary", "modality",
                        "min_weeks", "max_weeks", "sectors", "submitted_at", "verified_at",
                        "updated_at"),
    "expert_languages": ("id", "tenant_id", "profile_id", "language", "level"),
    "expert_skills": ("id", "tenant_id", "profile_id", "skill_id"),
    "expert_availability": ("id", "tenant_id", "profile_id", "kind", "starts_on", "ends_on"),
    "expert_consents": ("id", "tenant_id", "profile_id", "purpose", "notice_version", "source",
                        "granted_at"),
}
# Tables without row-level security (users are global): COPY straight in. PostgreSQL refuses
# COPY FROM into a table with row-level security, so the others are COPYed into a temporary
# staging table and moved with one INSERT ... SELECT, which the policy's WITH CHECK still sees.
UNSECURED_TABLES = frozenset({"users"})


@dataclass
class GenerationResult:
    experts: int
    rows: dict[str, int]
    seconds: float
    method: str
    first_number: int

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


class BulkBuilder:
    """Records for verified, consenting experts, in BULK_COLUMNS order, a chunk at a time.
    One seeded generator across chunks, so the same seed gives the same experts."""

    def __init__(self, tenant: TenantContext, vocab: Vocabulary, seed: int, first_number: int,
                 password_hash: str, now: datetime):
        self.tenant, self.vocab, self.password_hash, self.now = tenant, vocab, password_hash, now
        self.rng = random.Random(seed)
        self.diaspora = diaspora_for(tenant)
        self.next_number = first_number
        # Keys: a random prefix per run (UUID version 4 layout) and a counter. uuid4() per row
        # costs more than building the rest of the row, and sequential keys append to the
        # primary-key indexes instead of touching random pages.
        prefix = os.urandom(8).hex()
        self.next_id = map(f"{prefix[:12]}4{prefix[13:16]}8{{:015x}}".format,
                           itertools.count(1)).__next__

    def build(self, n: int) -> dict[str, list[tuple]]:
        rng, diaspora, vocab, now = self.rng, self.diaspora, self.vocab, self.now
        uuid4, tid, today = self.next_id, self.tenant.id, now.date()
        out: dict[str, list[tuple]] = {t: [] for t in BULK_COLUMNS}
        users, members, profiles = out["users"], out["memberships"], out["expert_profiles"]
        langs, skills, avail, consents = (out["expert_languages"], out["expert_skills"],
                                          out["expert_availability"], out["expert_consents"])
        sector_codes = [c for c, _ in vocab.sectors]
        all_skills = vocab.all_skills
        residences = rng.choices([c for c, _ in diaspora.residence],
                                 weights=[w for _, w in diaspora.residence], k=n)
        domain = f"{self.tenant.slug}.{DEMO_EMAIL_DOMAIN}"
        version = vocab.notice_version
        for i in range(n):
            number = self.next_number + i
            ident = draw_identity(rng, diaspora)
            uid, pid = uuid4(), uuid4()
            residence = residences[i]
            years = rng.randint(3, 32)
            users.append((uid, f"{ident.email_local}.{number}@{domain}", ident.name,
                          "ar" if ident.arabic_script else "en", self.password_hash, "active",
                          now))
            members.append((uuid4(), tid, uid, "expert", "active"))
            sectors = rng.sample(sector_codes, 1 + (rng.random() < 0.35)) if sector_codes else []
            profiles.append((
                pid, tid, uid, number, "verified", ident.name, ident.gender,
                today.year - years - rng.randint(22, 30), diaspora.nationality,
                _digits(rng, data.PHONES.get(residence, "+## ### ### ###")), residence,
                rng.choice(data.CITIES.get(residence, [""])), years,
                f"{years} years of experience in {', '.join(sectors)}.",
                rng.choice(("on_site", "on_site", "hybrid", "remote")), rng.choice((1, 2, 3, 4)),
                rng.choice((4, 6, 8, 12, 26)), sectors, now, now, now))
            langs.append((uuid4(), tid, pid, diaspora.native, "native"))
            if diaspora.native != "en":
                langs.append((uuid4(), tid, pid, "en", rng.choice(("B1", "B2", "C1", "C2"))))
            local = data.RESIDENCE_LANGUAGE.get(residence)
            if local and local not in (diaspora.native, "en") and rng.random() < 0.6:
                langs.append((uuid4(), tid, pid, local, rng.choice(("A2", "B1", "B2", "C1"))))
            picked: dict[uuid.UUID, None] = {}
            for code in sectors:
                pool = vocab.skills_by_sector.get(code) or all_skills
                if pool:
                    picked[rng.choice(pool)] = None
                    if len(pool) > 1 and rng.random() < 0.5:
                        picked[rng.choice(pool)] = None
            skills += [(uuid4(), tid, pid, skill_id) for skill_id in picked]
            start = today + timedelta(days=rng.randint(7, 150))
            avail.append((uuid4(), tid, pid, "available", start,
                          start + timedelta(days=rng.randint(28, 180))))
            if rng.random() < 0.2:
                off = start + timedelta(days=rng.randint(0, 20))
                avail.append((uuid4(), tid, pid, "unavailable", off, off + timedelta(days=14)))
            consents.append((uuid4(), tid, pid, "matching", version, "expert", now))
            if rng.random() < 0.8:
                consents.append((uuid4(), tid, pid, "share_with_institutions", version,
                                 "expert", now))
            if rng.random() < 0.5:
                consents.append((uuid4(), tid, pid, "future_contact", version, "expert", now))
        self.next_number += n
        return out


class CopyWriter:
    """COPY, for the tables row-level security allows it on; through a temporary staging
    table and one INSERT ... SELECT per chunk for the others."""

    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn
        self.staged: set[str] = set()

    async def write(self, table: str, columns: tuple[str, ...], records: list[tuple]) -> None:
        if not records:
            return
        if table in UNSECURED_TABLES:
            await self.conn.copy_records_to_table(table, records=records, columns=columns)
            return
        stage, cols = f"_stage_{table}", ", ".join(columns)
        if table not in self.staged:
            await self.conn.execute(f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS "
                                    f"SELECT {cols} FROM {table} WITH NO DATA")
            self.staged.add(table)
        await self.conn.copy_records_to_table(stage, records=records, columns=columns)
        await self.conn.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage}")
        await self.conn.execute(f"TRUNCATE {stage}")


class ExecutemanyWriter:
    """The baseline benchmarks compare COPY with: one prepared INSERT, many parameter sets."""

    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def write(self, table: str, columns: tuple[str, ...], records: list[tuple]) -> None:
        if records:
            marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
            await self.conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", records)


WRITERS = {"copy": CopyWriter, "executemany": ExecutemanyWriter}
CHUNK = 5_000  # experts per chunk: ~50,000 rows


async def _vocabulary_raw(conn: asyncpg.Connection, tenant: TenantContext) -> Vocabulary:
    sectors = await conn.fetch("SELECT code, names FROM sectors WHERE tenant_id = $1 "
                               "ORDER BY position, code", tenant.id)
    skills = await conn.fetch("SELECT id, sector FROM skills WHERE tenant_id = $1 "
                              "AND source = 'mission' ORDER BY code", tenant.id)
    version = await conn.fetchval("SELECT max(version) FROM consent_notices WHERE tenant_id = $1",
                                  tenant.id)
    # A connection from SQLAlchemy's pool decodes JSONB; a bare asyncpg one returns text.
    return Vocabulary.from_rows([(r["code"], r["names"] if isinstance(r["names"], dict)
                                  else json.loads(r["names"])) for r in sectors],
                                [(r["id"], r["sector"]) for r in skills], version)


async def _write_all(conn: asyncpg.Connection, writer, builder: BulkBuilder,
                     n: int) -> dict[str, int]:
    """Build chunk k+1 in a thread while PostgreSQL ingests chunk k: the two cores work at
    once (the thread holds the GIL, but the event loop only needs it to hand over data)."""
    sizes = [min(CHUNK, n - done) for done in range(0, n, CHUNK)]
    counts = dict.fromkeys(BULK_COLUMNS, 0)
    pending = asyncio.ensure_future(asyncio.to_thread(builder.build, sizes[0])) if sizes else None
    try:
        for i in range(len(sizes)):
            records = await pending
            pending = asyncio.ensure_future(asyncio.to_thread(builder.build, sizes[i + 1])) \
                if i + 1 < len(sizes) else None
            for table, rows in records.items():  # parents first: BULK_COLUMNS order
                await writer.write(table, BULK_COLUMNS[table], rows)
                counts[table] += len(rows)
    finally:
        if pending is not None:  # a write failed: let the running build finish, drop it
            await asyncio.gather(pending, return_exceptions=True)
    return counts


@asynccontextmanager
async def _connection(target: str | URL | AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """An asyncpg connection: borrowed from the engine's pool, or opened from a URL."""
    if isinstance(target, AsyncEngine):
        async with target.connect() as sa_conn:
            yield (await sa_conn.get_raw_connection()).driver_connection
        return
    conn = await asyncpg.connect(asyncpg_dsn(to_asyncpg_url(target)))
    try:
        yield conn
    finally:
        await conn.close()


async def _scoped(conn: asyncpg.Connection, tenant: TenantContext) -> None:
    await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant.id))


async def generate_experts(target: str | URL | AsyncEngine, tenant: TenantContext, n: int,
                           seed: int = 0, *, method: str = "copy", workers: int = 1,
                           password_hash: str | None = None) -> GenerationResult:
    """Create N verified, consenting experts of the mission.

    `target`: a database URL (the owner's or the runtime role's; row-level security applies
    to both) or an AsyncEngine whose pool lends the connections. `method` 'executemany' is
    the slow baseline for benchmarks.

    With one worker everything is one transaction: N experts or none. Most of the time goes
    to PostgreSQL's foreign-key checks (about two per row), which one backend runs on one
    core; `workers=2` splits the experts over two connections and transactions to use a
    second core, at the price of atomicity: if one worker fails, the other's experts may
    already be committed.

    Numbers continue after the mission's highest, reserved under the same advisory lock
    sign-ups take; email addresses carry the number, so calling again adds more experts.
    """
    if method not in WRITERS:
        raise ValueError(f"method {method!r}: choose from {', '.join(WRITERS)}")
    if n < 0 or workers < 1:
        raise ValueError("n must be >= 0 and workers >= 1")
    password_hash = password_hash or demo_password_hash()
    started = time.perf_counter()
    lock_key = f"expert-number:{tenant.id}"
    now = datetime.now(UTC)
    shares = [n // workers + (1 if i < n % workers else 0) for i in range(workers)]

    async def work(conn: asyncpg.Connection, vocab: Vocabulary, first: int, index: int,
                   count: int) -> dict[str, int]:
        builder = BulkBuilder(tenant, vocab, seed * 1000 + index, first, password_hash, now)
        return await _write_all(conn, WRITERS[method](conn), builder, count)

    async with _connection(target) as conn:
        if workers == 1:
            async with conn.transaction():
                await _scoped(conn, tenant)
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", lock_key)
                first = 1 + await conn.fetchval("SELECT coalesce(max(number), 0) "
                                                "FROM expert_profiles WHERE tenant_id = $1",
                                                tenant.id)
                counts = await work(conn, await _vocabulary_raw(conn, tenant), first, 0, n)
        else:
            # A session-level lock on the numbering key, held while the workers write: it
            # excludes sign-ups' transaction-level lock on the same key just the same.
            await conn.execute("SELECT pg_advisory_lock(hashtext($1))", lock_key)
            try:
                async with conn.transaction():
                    await _scoped(conn, tenant)
                    first = 1 + await conn.fetchval("SELECT coalesce(max(number), 0) "
                                                    "FROM expert_profiles WHERE tenant_id = $1",
                                                    tenant.id)
                    vocab = await _vocabulary_raw(conn, tenant)

                async def worker(index: int) -> dict[str, int]:
                    async with _connection(target) as own, own.transaction():
                        await _scoped(own, tenant)
                        return await work(own, vocab, first + sum(shares[:index]), index,
                                          shares[index])

                results = await asyncio.gather(*(worker(i) for i in range(workers)))
            finally:
                await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", lock_key)
            counts = {t: sum(r[t] for r in results) for t in BULK_COLUMNS}
    return GenerationResult(experts=n, rows=counts, seconds=time.perf_counter() - started,
                            method=method, first_number=first)
