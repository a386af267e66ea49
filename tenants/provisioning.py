"""Creating and configuring missions: from a missions/*.toml file or the command line.

Provisioning is idempotent: it upserts the mission and its partner agencies by their stable
codes, so running it twice changes nothing. Sectors are only inserted when missing: once a
mission exists its admins keep its sectors in the portal (add, rename, deactivate), and a
mission file provisioned again must not undo what they changed.
"""

from __future__ import annotations

import re
import tomllib
import uuid
import zoneinfo
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from babel.core import Locale
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Refusal
from app.i18n import SUPPORTED_LOCALES
from tenants.context import TenantContext, tenant_scope
from tenants.directory import missions_changed
from tenants.models import TENANT_STATUSES, Sector, Tenant
from tenants.services import get_tenant_by_slug, to_context

MISSIONS_DIR = Path(__file__).parent / "missions"
DIGITS = ("western", "arabic_indic")
SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
# First path segments the portal itself uses: a mission cannot be named like them.
RESERVED_SLUGS = frozenset({"static", "healthz", "admin", "api", "lang", "auth", "account",
                            "dev", "favicon.ico", "robots.txt"})
_COUNTRIES = frozenset(Locale("en").territories)


class ProvisioningError(Refusal):
    """A mission definition that cannot be used; the message says which field and why."""

    status = 400


@dataclass
class SectorSpec:
    code: str
    names: dict[str, str]


@dataclass
class PartnerAgencySpec:
    code: str
    name: str
    kind: str
    short_name: str = ""


@dataclass
class FundingProjectSpec:
    code: str
    name: str
    donor: str
    start: date
    end: date


@dataclass
class SkillSpec:
    code: str
    names: dict[str, str]
    synonyms: list[str] = field(default_factory=list)
    sector: str | None = None
    # codes of the mission's skills: wider concepts of this one, and related skills
    broader: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)


@dataclass
class TermSpec:
    """A named choice of a mission's list (a thematic area, a curriculum)."""
    code: str
    names: dict[str, str]


@dataclass
class MissionSpec:
    slug: str
    name: str
    country_code: str
    default_locale: str
    locales: list[str]
    time_zone: str
    names: dict[str, str] = field(default_factory=dict)
    sectors: list[SectorSpec] = field(default_factory=list)
    partner_agencies: list[PartnerAgencySpec] = field(default_factory=list)
    funding_projects: list[FundingProjectSpec] = field(default_factory=list)
    skills: list[SkillSpec] = field(default_factory=list)
    thematic_areas: list[TermSpec] = field(default_factory=list)
    curricula: list[TermSpec] = field(default_factory=list)
    consent_version: int = 1
    consent_texts: dict[str, str] = field(default_factory=dict)  # locale -> notice text
    digits: str = "western"  # numbers in Arabic pages: "western" or "arabic_indic"

    def validate(self) -> None:
        errors = []
        if not SLUG_RE.match(self.slug):
            errors.append(f"slug {self.slug!r}: use 2-40 lower-case letters, digits or '-', "
                          "starting with a letter")
        elif self.slug in RESERVED_SLUGS:
            errors.append(f"slug {self.slug!r} is reserved by the portal")
        if not self.name.strip():
            errors.append("name: must not be empty")
        if self.country_code not in _COUNTRIES:
            errors.append(f"country code {self.country_code!r}: not an ISO 3166 country code")
        unknown = [loc for loc in self.locales if loc not in SUPPORTED_LOCALES]
        if not self.locales or unknown:
            errors.append(f"locales {self.locales!r}: choose from {', '.join(SUPPORTED_LOCALES)}")
        if self.default_locale not in self.locales:
            errors.append(f"default locale {self.default_locale!r} must be one of the locales")
        try:
            zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            errors.append(f"time zone {self.time_zone!r}: not a known IANA time zone")
        if self.digits not in DIGITS:
            errors.append(f"digits {self.digits!r}: choose from {', '.join(DIGITS)}")
        codes = [s.code for s in self.sectors]
        if len(codes) != len(set(codes)):
            errors.append("sectors: codes must be unique")
        for step in _STEPS:
            errors.extend(step.check(self))
        if errors:
            raise ProvisioningError("; ".join(errors))


@dataclass(frozen=True)
class ProvisioningStep:
    """A domain's part of a mission file (its partner agencies, its skills, ...): the domain
    registers it, so the tenants package writes no domain's tables itself."""
    sections: tuple[str, ...]     # the MissionSpec fields this step owns
    check: Callable[[MissionSpec], list[str]]
    apply: Callable[[AsyncSession, Tenant, MissionSpec], Awaitable[None]]


_STEPS: list[ProvisioningStep] = []


def provisioning_step(step: ProvisioningStep) -> None:
    _STEPS.append(step)


def _unowned_sections(spec: MissionSpec) -> list[str]:
    """Sections with content that no registered step would write (a domain not imported)."""
    owned = {section for step in _STEPS for section in step.sections}
    return [name for name in ("partner_agencies", "funding_projects", "skills",
                                 "consent_texts", "thematic_areas", "curricula")
            if getattr(spec, name) and name not in owned]


def load_mission(path: Path) -> MissionSpec:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        spec = MissionSpec(
            slug=data["slug"], name=data["name"], country_code=data["country_code"],
            default_locale=data["default_locale"], locales=list(data["locales"]),
            time_zone=data["time_zone"], names=dict(data.get("names", {})),
            sectors=[SectorSpec(code=s["code"], names=dict(s["names"]))
                     for s in data.get("sectors", [])],
            partner_agencies=[PartnerAgencySpec(**p) for p in data.get("partner_agencies", [])],
            funding_projects=[FundingProjectSpec(**p) for p in data.get("funding_projects", [])],
            skills=[SkillSpec(code=k["code"], names=dict(k["names"]),
                              synonyms=list(k.get("synonyms", [])), sector=k.get("sector"),
                              broader=list(k.get("broader", [])),
                              related=list(k.get("related", [])))
                    for k in data.get("skills", [])],
            thematic_areas=[TermSpec(code=t["code"], names=dict(t["names"]))
                            for t in data.get("thematic_areas", [])],
            curricula=[TermSpec(code=t["code"], names=dict(t["names"]))
                       for t in data.get("curricula", [])],
            consent_version=int(data.get("consent_notice", {}).get("version", 1)),
            consent_texts={k: v for k, v in data.get("consent_notice", {}).items()
                           if k != "version"},
            digits=data.get("digits", "western"),
        )
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise ProvisioningError(f"{path.name}: {exc.__class__.__name__}: {exc}") from exc
    try:
        spec.validate()
    except ProvisioningError as exc:
        raise ProvisioningError(f"{path.name}: {exc}") from exc
    return spec


def mission_files() -> list[Path]:
    return sorted(MISSIONS_DIR.glob("*.toml"))


async def get_tenant_context(session: AsyncSession, tenant_id: uuid.UUID) -> TenantContext:
    """A mission by id, suspended or not (a background job names its mission so); LookupError
    when it no longer exists."""
    tenant = await session.scalar(select(Tenant).where(Tenant.id == tenant_id))
    if tenant is None:
        raise LookupError(f"no mission {tenant_id}")
    return to_context(tenant)


async def create_tenant(session: AsyncSession, spec: MissionSpec) -> Tenant:
    """A new, empty mission (no sectors or partners yet); refuses an existing slug."""
    spec.validate()
    if await get_tenant_by_slug(session, spec.slug):
        raise ProvisioningError(f"a mission with slug {spec.slug!r} already exists")
    tenant = Tenant(slug=spec.slug, name=spec.name, names=spec.names,
                    country_code=spec.country_code, default_locale=spec.default_locale,
                    locales=spec.locales, time_zone=spec.time_zone, status="active", settings={})
    session.add(tenant)
    await session.commit()
    missions_changed()
    return tenant


async def provision_mission(session: AsyncSession, spec: MissionSpec) -> Tenant:
    """Create or update a mission and its configuration from its spec (status is kept)."""
    spec.validate()
    if unowned := _unowned_sections(spec):  # a programming error: import app.domains first
        raise RuntimeError(f"no domain registered a provisioning step for {unowned}")
    tenant = await get_tenant_by_slug(session, spec.slug)
    if tenant is None:
        tenant = Tenant(slug=spec.slug, status="active", settings={})
        session.add(tenant)
    tenant.name, tenant.names = spec.name, spec.names
    tenant.country_code, tenant.time_zone = spec.country_code, spec.time_zone
    tenant.default_locale, tenant.locales = spec.default_locale, spec.locales
    tenant.settings = {**(tenant.settings or {}), "digits": spec.digits}
    await session.commit()

    # Sectors and the domains' rows are row-level secured: write them as the mission.
    with tenant_scope(to_context(tenant)):
        for position, sector in enumerate(spec.sectors):
            # Missing rows only: the portal's renames, order and deactivations win.
            await session.execute(insert(Sector).values(
                tenant_id=tenant.id, code=sector.code, names=sector.names, position=position,
            ).on_conflict_do_nothing(index_elements=["tenant_id", "code"]))
        for step in _STEPS:
            await step.apply(session, tenant, spec)
        await session.commit()
    missions_changed()
    return tenant


async def set_tenant_status(session: AsyncSession, slug: str, status: str) -> Tenant:
    if status not in TENANT_STATUSES:
        raise ProvisioningError(f"status {status!r}: choose from {', '.join(TENANT_STATUSES)}")
    tenant = await get_tenant_by_slug(session, slug)
    if tenant is None:
        raise ProvisioningError(f"no mission with slug {slug!r}")
    tenant.status = status
    await session.commit()
    missions_changed()
    return tenant


async def list_tenants(session: AsyncSession) -> list[Tenant]:
    return list(await session.scalars(select(Tenant).order_by(Tenant.name)))


async def all_tenants(session: AsyncSession) -> list[TenantContext]:
    """Every mission, suspended ones included: background jobs still finish their work."""
    return [to_context(t) for t in await list_tenants(session)]


async def active_tenants(session: AsyncSession) -> list[TenantContext]:
    rows = await session.scalars(
        select(Tenant).where(Tenant.status == "active").order_by(Tenant.name))
    return [to_context(t) for t in rows]
