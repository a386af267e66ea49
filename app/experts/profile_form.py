"""Saving the steps of the expert's profile form. Each step is validated whole before
anything is written: a step either saves completely or not at all."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.services import record
from app.core.actor import Actor
from app.core.clock import now
from app.core.kept import Kept
from app.experts.duplicates import flag_likely_duplicates
from app.experts.models import (
    AVAILABILITY_KINDS,
    EDUCATION_LEVELS,
    GENDERS,
    HEADLINE_LENGTH,
    LANGUAGE_LEVELS,
    MODALITIES,
    ExpertAvailability,
    ExpertDocument,
    ExpertEducation,
    ExpertLanguage,
    ExpertProfile,
    ExpertSkill,
    ExpertWork,
    Skill,
)
from app.experts.services import (
    ProfileActionRefused,
    current_notice,
    lock_profile,
    own_profile,
    set_consents,
)
from app.experts.states import EXPERT, next_state
from app.i18n import gettext as _
from app.web.forms import FieldErrors, language_rows, rows
from app.web.reference import country_codes
from search_index.text import fold
from tenants.context import TenantContext
from tenants.services import list_sectors

STEPS = ("personal", "languages", "background", "expertise", "availability", "cv", "consent")
PHONE = re.compile(r"^\+?[0-9 ()./-]{6,25}$")
EDITABLE = frozenset({"draft", "submitted", "verified", "inactive", "rejected"})


def one_line(raw: str) -> str:
    """A headline as one line: spaces and line breaks between its words made one space."""
    return " ".join(raw.split())


def _check_editable(profile: ExpertProfile) -> None:
    if profile.status not in EDITABLE:
        raise ProfileActionRefused(_("A withdrawn profile cannot be edited. Rejoin first."))


async def _done(db: AsyncSession, tenant: TenantContext, actor: Actor, profile: ExpertProfile,
                step: str) -> None:
    profile.updated_at = now()
    before = profile.status
    profile.status = next_state(before, "edit", EXPERT) or before
    record(db, tenant.id, actor, "expert_profile.edited", "expert_profile", profile.id,
           before={"status": before}, after={"step": step, "status": profile.status})
    await db.commit()


async def save_personal(db, tenant, actor, profile, form) -> FieldErrors:
    _check_editable(profile)
    errors = FieldErrors()
    full_name = errors.text("full_name", form.get("full_name", "").strip(), 200, required=True)
    gender = errors.choice("gender", form.get("gender", ""), GENDERS)
    this_year = date.today().year
    birth_year = errors.integer("birth_year", form.get("birth_year", "").strip(), 1930,
                                this_year - 18)
    nationality = errors.choice("nationality", form.get("nationality", ""), country_codes(),
                                required=True)
    residence = errors.choice("residence_country", form.get("residence_country", ""),
                              country_codes(), required=True)
    city = errors.text("residence_city", form.get("residence_city", "").strip(), 120)
    phone = form.get("phone", "").strip()
    if phone and not PHONE.match(phone):
        errors["phone"] = _("Enter a phone number with digits only, like +31 6 1234 5678.")
    if errors:
        return errors
    profile.full_name, profile.gender, profile.birth_year = full_name, gender, birth_year
    profile.nationality, profile.residence_country = nationality, residence
    profile.residence_city, profile.phone = city, phone
    await db.flush()
    # Someone registering again under another address meets their earlier profile here.
    await flag_likely_duplicates(db, tenant, [profile.id])
    await _done(db, tenant, actor, profile, "personal")
    return errors


async def save_languages(db, tenant, actor, profile, form) -> FieldErrors:
    _check_editable(profile)
    errors = FieldErrors()
    keep = language_rows(errors, form, "level", LANGUAGE_LEVELS)
    if not keep and not errors:
        errors["lang"] = _("Add at least one language.")
    if errors:
        return errors
    await db.execute(delete(ExpertLanguage).where(ExpertLanguage.tenant_id == tenant.id,
                                                  ExpertLanguage.profile_id == profile.id))
    db.add_all(ExpertLanguage(tenant_id=tenant.id, profile_id=profile.id, language=code,
                              level=level) for code, level in keep)
    await _done(db, tenant, actor, profile, "languages")
    return errors


async def save_background(db, tenant, actor, profile, form) -> FieldErrors:
    _check_editable(profile)
    errors, education, work = FieldErrors(), [], []
    today = date.today()
    for i, row in rows(form, "edu"):
        level = errors.choice(f"edu-{i}-level", row.get("level", ""), EDUCATION_LEVELS,
                              required=True)
        field = errors.text(f"edu-{i}-field", row.get("field", ""), 200, required=True)
        institution = errors.text(f"edu-{i}-institution", row.get("institution", ""), 200,
                                  required=True)
        year = errors.integer(f"edu-{i}-year", row.get("year", ""), 1950, today.year)
        education.append(dict(level=level, field=field, institution=institution, year=year))
    for i, row in rows(form, "work"):
        title = errors.text(f"work-{i}-title", row.get("title", ""), 200, required=True)
        employer = errors.text(f"work-{i}-employer", row.get("employer", ""), 200, required=True)
        country = errors.choice(f"work-{i}-country", row.get("country", ""), country_codes())
        started = errors.day(f"work-{i}-started_on", row.get("started_on", ""))
        ended = errors.day(f"work-{i}-ended_on", row.get("ended_on", ""), required=False)
        if started and started > today:
            errors[f"work-{i}-started_on"] = _("A past job cannot start in the future.")
        if started and ended and ended < started:
            errors[f"work-{i}-ended_on"] = _("The end comes before the start.")
        description = errors.text(f"work-{i}-description", row.get("description", ""), 2000)
        work.append(dict(title=title, employer=employer, country=country, started_on=started,
                         ended_on=ended, description=description))
    if errors:
        return errors
    for model in (ExpertEducation, ExpertWork):
        await db.execute(delete(model).where(model.tenant_id == tenant.id,
                                             model.profile_id == profile.id))
    db.add_all(ExpertEducation(tenant_id=tenant.id, profile_id=profile.id, **e) for e in education)
    db.add_all(ExpertWork(tenant_id=tenant.id, profile_id=profile.id, **w) for w in work)
    await _done(db, tenant, actor, profile, "background")
    return errors


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9\u0600-\u06ff]+", "-", fold(text)).strip("-")[:100] or "skill"


async def skill_index(db: AsyncSession, tenant: TenantContext) -> dict[str, Skill]:
    """Every name, synonym and code of the mission's skills, folded, to its skill."""
    index: dict[str, Skill] = {}
    for skill in await db.scalars(select(Skill).where(Skill.tenant_id == tenant.id)):
        for label in [*skill.names.values(), *skill.synonyms, skill.code]:
            index.setdefault(fold(label), skill)
    return index


def split_skill_names(raw: str) -> list[str]:
    """Skills typed in one box, separated by commas, semicolons or lines."""
    return [n.strip() for n in re.split(r"[,\n;،]", raw) if n.strip()]


async def resolve_skill_names(db: AsyncSession, tenant: TenantContext, names: list[str],
                              locale: str) -> dict[str, Skill]:
    """Each typed name to its vocabulary skill (any language or synonym); a name that
    matches nothing becomes a free tag that staff can later merge into the vocabulary.
    The profile form and the roster import both add free tags through here."""
    index = await skill_index(db, tenant)
    found: dict[str, Skill] = {}
    for name in names:
        skill = index.get(fold(name))
        if skill is None:
            skill = Skill(tenant_id=tenant.id, code=f"free:{slugify(name)}",
                          names={locale: name.strip()}, synonyms=[], source="free")
            existing = index.get(fold(skill.code))
            if existing is not None:
                skill = existing
            else:
                db.add(skill)
                await db.flush()
                index[fold(name)] = index[fold(skill.code)] = skill
        found[name] = skill
    return found


async def resolve_skills(db: AsyncSession, tenant: TenantContext, names: list[str],
                         locale: str) -> list[Skill]:
    """The skills of the typed names, each once (see resolve_skill_names)."""
    return list({s.id: s for s in (await resolve_skill_names(db, tenant, names,
                                                              locale)).values()}.values())


async def save_expertise(db, tenant, actor, profile, form, locale: str) -> FieldErrors:
    _check_editable(profile)
    errors = FieldErrors()
    mission_sectors = {s.code for s in await list_sectors(db, tenant, active_only=True)}
    sectors = [s for s in form.getall("sectors", []) if s]
    if not sectors:
        errors["sectors"] = _("Choose at least one sector.")
    elif not set(sectors) <= mission_sectors:
        errors["sectors"] = _("Choose one of the options listed.")
    years = errors.integer("years_experience", form.get("years_experience", "").strip(), 0, 60,
                           required=True)
    headline = errors.text("headline", one_line(form.get("headline", "")), HEADLINE_LENGTH)
    summary = errors.text("summary", form.get("summary", "").strip(), 3000)
    kept_ids = set(form.getall("skill_ids", []))
    typed = split_skill_names(form.get("new_skills", ""))
    if any(len(n) > 120 for n in typed):
        errors["new_skills"] = _("Use at most %(n)s characters.") % {"n": 120}
    if len(typed) > 30:
        errors["new_skills"] = _("Add at most %(n)s skills at a time.") % {"n": 30}
    current = {es.skill_id: es for es in await db.scalars(select(ExpertSkill).where(
        ExpertSkill.tenant_id == tenant.id, ExpertSkill.profile_id == profile.id))}
    kept = {skill_id for skill_id in current if str(skill_id) in kept_ids}
    if not kept and not typed:
        errors["new_skills"] = _("Add at least one skill.")
    if errors:
        return errors
    wanted = kept | {skill.id for skill in await resolve_skills(db, tenant, typed, locale)}
    for skill_id, link in current.items():
        if skill_id not in wanted:
            await db.delete(link)
    db.add_all(ExpertSkill(tenant_id=tenant.id, profile_id=profile.id, skill_id=skill_id)
               for skill_id in wanted - set(current))
    profile.sectors, profile.years_experience, profile.summary = sectors, years, summary
    profile.headline = headline
    await _done(db, tenant, actor, profile, "expertise")
    return errors


async def save_availability(db, tenant, actor, profile, form) -> FieldErrors:
    _check_editable(profile)
    errors = FieldErrors()
    modality = errors.choice("modality", form.get("modality", ""), MODALITIES, required=True)
    min_weeks = errors.integer("min_weeks", form.get("min_weeks", "").strip(), 1, 104)
    max_weeks = errors.integer("max_weeks", form.get("max_weeks", "").strip(), 1, 104)
    if min_weeks and max_weeks and max_weeks < min_weeks:
        errors["max_weeks"] = _("The longest assignment cannot be shorter than the shortest.")
    windows, today = [], date.today()
    for i, row in rows(form, "window"):
        kind = errors.choice(f"window-{i}-kind", row.get("kind", ""), AVAILABILITY_KINDS,
                             required=True)
        starts = errors.day(f"window-{i}-starts_on", row.get("starts_on", ""))
        ends = errors.day(f"window-{i}-ends_on", row.get("ends_on", ""))
        if ends and ends < today:
            errors[f"window-{i}-ends_on"] = _("This period is already over.")
        elif starts and ends and ends < starts:
            errors[f"window-{i}-ends_on"] = _("The end comes before the start.")
        windows.append(dict(kind=kind, starts_on=starts, ends_on=ends))
    if not any(w["kind"] == "available" for w in windows) and "window" not in errors:
        if not any(k.startswith("window-") for k in errors):
            errors["window"] = _("Add at least one period when you are available.")
    if errors:
        return errors
    await db.execute(delete(ExpertAvailability).where(
        ExpertAvailability.tenant_id == tenant.id, ExpertAvailability.profile_id == profile.id))
    db.add_all(ExpertAvailability(tenant_id=tenant.id, profile_id=profile.id, **w)
               for w in windows)
    profile.modality, profile.min_weeks, profile.max_weeks = modality, min_weeks, max_weeks
    await _done(db, tenant, actor, profile, "availability")
    return errors


# --- the form as a whole ---------------------------------------------------------------------

async def stored_parts(db: AsyncSession, tenant: TenantContext, profile: ExpertProfile) -> dict:
    """The profile's rows as the form shows them (same shape as a posted form)."""
    def where(model):
        return select(model).where(model.tenant_id == tenant.id, model.profile_id == profile.id)

    skills = list(await db.scalars(select(Skill).join(ExpertSkill, ExpertSkill.skill_id == Skill.id)
                                   .where(ExpertSkill.tenant_id == tenant.id,
                                          ExpertSkill.profile_id == profile.id)
                                   .order_by(Skill.code)))
    return {
        "lang": [{"language": r.language, "level": r.level}
                 for r in await db.scalars(where(ExpertLanguage).order_by(ExpertLanguage.created_at))],
        "edu": [{"level": r.level, "field": r.field, "institution": r.institution,
                 "year": str(r.year or "")}
                for r in await db.scalars(where(ExpertEducation).order_by(ExpertEducation.created_at))],
        "work": [{"title": r.title, "employer": r.employer, "country": r.country or "",
                  "started_on": r.started_on.isoformat(),
                  "ended_on": r.ended_on.isoformat() if r.ended_on else "",
                  "description": r.description}
                 for r in await db.scalars(where(ExpertWork).order_by(ExpertWork.started_on.desc()))],
        "window": [{"kind": r.kind, "starts_on": r.starts_on.isoformat(),
                    "ends_on": r.ends_on.isoformat()}
                   for r in await db.scalars(where(ExpertAvailability)
                                             .order_by(ExpertAvailability.starts_on))],
        "skills": skills,
        "cv": await db.scalar(where(ExpertDocument)),
    }


async def save_step(db: AsyncSession, tenant: TenantContext, actor: Actor, step: str, form,
                    locale: str) -> FieldErrors:
    """Save one step of the expert's own form (the CV has its own page); the errors, field
    by field, if it cannot be saved. The profile is locked first: two tabs saving at once
    write one after the other."""
    profile = await lock_profile(db, await own_profile(db, tenant, actor, create=True))
    if step == "consent":
        # Consent is given to the notice the expert is reading now.
        notice = await current_notice(db, tenant, locale)
        chosen = {p for p in form.getall("purposes", []) if p}
        await set_consents(db, tenant, actor, profile, chosen, notice.version if notice else 1)
        return FieldErrors()
    if step == "expertise":
        return await save_expertise(db, tenant, actor, profile, form, locale)
    saver = {"personal": save_personal, "languages": save_languages,
             "background": save_background, "availability": save_availability}[step]
    return await saver(db, tenant, actor, profile, form)


# Folded labels of each mission's vocabulary, kept a minute: suggestions run on every
# keystroke and a vocabulary imported from ESCO has thousands of skills in several languages.
_suggestion_indexes: Kept[list[tuple[list[str], Skill]]] = Kept(seconds=60, most=64)
MAX_SUGGESTIONS = 20


async def _suggestion_index(db: AsyncSession,
                            tenant: TenantContext) -> list[tuple[list[str], Skill]]:
    if (kept := _suggestion_indexes.get(tenant.id)) is not None:
        return kept
    index = [([fold(label) for label in (*skill.names.values(), *skill.synonyms)], skill)
             for skill in await db.scalars(select(Skill).where(Skill.tenant_id == tenant.id,
                                                               Skill.source != "free"))]
    _suggestion_indexes.put(tenant.id, index)
    return index


async def suggest_skills(db: AsyncSession, tenant: TenantContext, typed: str,
                         locale: str) -> list[str]:
    """Vocabulary skills whose name or synonym contains what is being typed (the part
    after the last comma), in the reader's language, sorted."""
    needle = fold(re.split(r"[,;،\n]", typed)[-1])[:60]
    found: list[str] = []
    if len(needle) >= 2:
        for labels, skill in await _suggestion_index(db, tenant):
            if any(needle in label for label in labels):
                found.append(skill.display_name(locale))
                if len(found) >= MAX_SUGGESTIONS:
                    break
    return sorted(found)
