"""Demo experts for `portal seed-demo` (and the first `portal run`): a few hundred realistic
experts per mission, each with an account, a membership and a full profile, drawn from the
material in app/demo/data/ (app.demo.content). Deterministic (expert k of a mission is drawn
from its own seeded generator, so the vocabulary changing later never renames anyone) and
idempotent (keyed by the demo email address; what exists is skipped). Written as the
mission (row-level security, inside `tenant_scope`), one executemany per table.

The benchmarks' bulk generator (bench/expert_generator.py) draws its people with the same
`draw_identity`, `diaspora_for` and `Vocabulary`.
"""

from __future__ import annotations

import random
import re
import unicodedata
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from babel.core import Locale
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.models import Membership, User
from app.accounts.passwords import hash_password
from app.core.numbering import next_number
from app.demo.content import Diaspora, SectorText, accounts, diaspora
from app.demo.content import expert_material as _m
from app.experts.models import (
    HEADLINE_LENGTH,
    ConsentNotice,
    ExpertAvailability,
    ExpertConsent,
    ExpertEducation,
    ExpertLanguage,
    ExpertProfile,
    ExpertSkill,
    ExpertWork,
    Skill,
)
from tenants.context import TenantContext, tenant_scope
from tenants.models import Sector

DEMO_EXPERTS_PER_MISSION = 300
DEMO_EMAIL_DOMAIN = "experts.demo"


@lru_cache(maxsize=1)
def demo_password_hash() -> str:
    """Argon2 is deliberately slow (~50 ms): hash the demo password once per process."""
    return hash_password(accounts().password)


@lru_cache(maxsize=4096)
def ascii_fold(text_: str) -> str:
    """'Macuácua' -> 'macuacua', 'da Silva' -> 'dasilva': the part of an email address."""
    decomposed = unicodedata.normalize("NFKD", text_.casefold())
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in decomposed
                                          if not unicodedata.combining(c)))


def diaspora_for(tenant: TenantContext) -> Diaspora:
    """The mission's diaspora; a mission without its own material borrows Sudan's names
    but keeps its own nationality."""
    known = diaspora(tenant.slug)
    if known is not None:
        return known
    sudan = diaspora("sudan")
    assert sudan is not None  # app/demo/data ships Sudan's material
    return replace(sudan, nationality=tenant.country_code)


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def fill_digits(rng: random.Random, pattern: str) -> str:
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


def draw_identity(rng: random.Random, diaspora: Diaspora) -> Identity:
    roll = rng.random()
    gender = "female" if roll < 0.42 else "male" if roll < 0.98 else "undisclosed"
    given = rng.choice(diaspora.female if gender == "female" else
                       diaspora.male if gender == "male" else diaspora.male + diaspora.female)
    family = rng.choice(diaspora.family)
    middle: tuple[str, str] | None
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



def _title(pair: tuple[str, str], portuguese: bool, gender: str) -> str:
    if not portuguese:
        return pair[0]
    if gender != "female":
        return pair[1]
    return " ".join(_m().feminine_pt.get(word, word) for word in pair[1].split())


def _sector_text(code: str) -> SectorText:
    return _m().sector(code)


def _lower_first(s: str) -> str:
    return s[:1].lower() + s[1:] if s[:1].isupper() and not s[1:2].isupper() else s


def _join(items: list[str], word: str) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"


@lru_cache(maxsize=4)
def _territories(locale: str) -> dict[str, str]:
    return dict(Locale.parse(locale).territories)


def _languages(rng: random.Random, diaspora: Diaspora,
               residence: str) -> list[tuple[str, str]]:
    langs = {diaspora.native: "native"}
    if "en" not in langs:
        english = [("C1", 40), ("C2", 35), ("B2", 25)] if _m().residence_languages.get(
            residence) == "en" else ENGLISH_LEVELS
        if _m().residence_languages.get(residence) == "en" or rng.random() < 0.85:
            langs["en"] = _weighted(rng, english)
    local = _m().residence_languages.get(residence)
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
    options = [(name, cc) for cc in countries for name in _m().universities.get(cc, [])]
    return rng.choice(options or [(n, "SD") for n in _m().universities["SD"]])


def draw_education(rng: random.Random, diaspora, sector: str, residence: str,
               birth_year: int, this_year: int) -> list[dict]:
    text_ = _sector_text(sector)
    rows = []
    short = rng.random() < 0.12
    first_year = min(this_year - 1,
                     birth_year + (rng.randint(20, 21) if short else rng.randint(22, 24)))
    def field_in(country: str) -> str:  # the degree's name in the university's language
        return rng.choice(text_.fields)[1 if country in _m().portuguese_countries else 0]

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


def draw_work(rng: random.Random, diaspora, sector: str, residence: str, gender: str,
          years: int, today: date) -> list[dict]:
    text_ = _sector_text(sector)
    rows = []
    local = [e for e, cc in text_.employers_abroad if cc == residence]
    employer = rng.choice(local) if local and rng.random() < 0.75 \
        else rng.choice(_m().international_employers)
    pt = residence in _m().portuguese_countries
    started = today - timedelta(days=rng.randint(200, 365 * max(1, min(years, 9))))
    rows.append(dict(title=_title(rng.choice(text_.titles), pt, gender), employer=employer,
                     country=residence, started_on=started, ended_on=None,
                     description=rng.choice(text_.achievements)[1 if pt else 0]))
    home = text_.home_employers.get(diaspora.nationality)
    career_start = date(today.year - years, rng.randint(1, 12), 1)
    ended = started - timedelta(days=rng.randint(30, 180))
    if home and rng.random() < 0.75 and ended > career_start:
        pt_home = diaspora.nationality in _m().portuguese_countries
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


def _headline(ident: Identity, locale: str, title: str, sectors: list[str],
              vocab: Vocabulary) -> str:
    """Their trade in one line, as CVs open: the title, then the sectors they work in."""
    names = dict(vocab.sectors)
    labels = [names.get(code, {}).get(locale) or names.get(code, {}).get("en") or code
              for code in sectors]
    if locale == "ar":
        noun = "خبيرة" if ident.gender == "female" else "خبير"
        line = f"{noun} في {' و'.join(labels)}" if labels else noun
    elif labels:
        word = "e" if locale == "pt" else "and"
        line = f"{title} | {_join([_lower_first(x) for x in labels], word)}"
    else:
        line = title
    return line if len(line) <= HEADLINE_LENGTH else title[:HEADLINE_LENGTH]


def build_demo_expert(slug: str, ordinal: int, diaspora: Diaspora, vocab: Vocabulary,
                      now: datetime) -> DemoExpert:
    """Expert number `ordinal` of the mission's demo: the same person every time."""
    rng = random.Random(f"{slug}:expert:{ordinal}")
    ident = draw_identity(rng, diaspora)  # first, so name and email never depend on the rest
    email = f"{ident.email_local}.{ordinal}@{DEMO_EMAIL_DOMAIN}"
    today = now.date()
    residence = _weighted(rng, diaspora.residence)
    city = rng.choice(_m().cities.get(residence, [""]))
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
    works = draw_work(rng, diaspora, primary, residence, ident.gender, years, today)
    # The current job's title when it is in the summary's language, else one of the sector's.
    portuguese = locale == "pt"
    title = works[0]["title"] if portuguese == (residence in _m().portuguese_countries) \
        else _title(rng.choice(_sector_text(primary).titles), portuguese, ident.gender)
    summary = _summary(ident, locale, title, years, sectors, vocab, city, residence,
                       rng.choice(_sector_text(primary).achievements), modality,
                       (min_weeks, max_weeks))

    # A draft has no headline yet half the time (a generator of its own: the rest of the
    # expert stays as it was before headlines).
    headline = "" if status == "draft" and random.Random(
        f"{slug}:expert:{ordinal}:headline").random() < 0.5 \
        else _headline(ident, locale, title, sectors, vocab)

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
        else fill_digits(rng, _m().phones.get(residence, "+## ### ### ###")),
        residence_country=residence, residence_city=city, years_experience=years,
        headline=headline, summary="" if draft and rng.random() < 0.5 else summary, modality=modality,
        min_weeks=min_weeks, max_weeks=max_weeks, sectors=sectors,
        status_reason=rng.choice(_m().inactive_reasons) if status == "inactive" else "",
        created_at=created, submitted_at=submitted, verified_at=verified, updated_at=updated)
    expert = DemoExpert(identity=ident, email=email, locale=locale, profile=profile,
                        languages=_languages(rng, diaspora, residence))
    # Drafts are half-filled, as drafts are; everything else is complete.
    if not draft or rng.random() < 0.6:
        expert.education = draw_education(rng, diaspora, primary, residence, birth_year, today.year)
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

            # A sign-up's numbering (it takes the mission's numbering lock, held until this
            # transaction commits, so a live registration cannot collide); then one by one.
            number = await next_number(db, tenant, ExpertProfile.number) - 1
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


