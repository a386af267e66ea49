"""Saving the steps of the assignment request form. Each step is validated whole before
anything is written: a step either saves completely or not at all."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from app.assignment_requests.models import (
    PRIORITIES,
    AssignmentRequest,
    RequestLanguage,
    RequestSkill,
)
from app.assignment_requests.services import (
    RequestActionRefused,
    acting_as,
    create_request,
    languages_of,
    skills_of,
)
from app.assignment_requests.states import EDITABLE
from app.audit.services import record
from app.core.actor import Actor
from app.core.clock import now
from app.experts.models import EDUCATION_LEVELS, LANGUAGE_LEVELS, MODALITIES
from app.experts.profile_form import resolve_skills, skill_index, split_skill_names
from app.i18n import gettext as _
from app.institutions.models import HostInstitution
from app.web.forms import FieldErrors, language_rows
from search_index.text import fold
from tenants.context import TenantContext
from tenants.services import list_sectors

STEPS = ("terms", "profile", "logistics", "document")
MAX_SKILLS = 30
MAX_TEXT = 10_000


def check_editable(actor: Actor, request: AssignmentRequest) -> None:
    who = acting_as(actor, request)
    if who is None or request.status not in EDITABLE[who]:
        raise RequestActionRefused(
            _("This request cannot be changed in its current state."), "form")


def _terms_fields(form, errors: FieldErrors) -> dict:
    return dict(
        title=errors.text("title", form.get("title", "").strip(), 200, required=True),
        background=errors.text("background", form.get("background", "").strip(), MAX_TEXT),
        objectives=errors.text("objectives", form.get("objectives", "").strip(), MAX_TEXT,
                               required=True),
        tasks=errors.text("tasks", form.get("tasks", "").strip(), MAX_TEXT, required=True),
        deliverables=errors.text("deliverables", form.get("deliverables", "").strip(), MAX_TEXT),
        expected_outputs=errors.text("expected_outputs", form.get("expected_outputs", "").strip(),
                                     2000),
    )


async def _edited(db: AsyncSession, tenant: TenantContext, actor: Actor,
                  request: AssignmentRequest, step: str) -> None:
    request.updated_at = now()
    record(db, tenant.id, actor, "assignment_request.edited", "assignment_request", request.id,
           after={"step": step, "status": request.status})
    await db.commit()


async def start_request(db: AsyncSession, tenant: TenantContext, actor: Actor,
                        institution: HostInstitution, form) -> tuple[AssignmentRequest | None,
                                                                     FieldErrors]:
    """The first step of a new request creates its draft."""
    errors = FieldErrors()
    fields = _terms_fields(form, errors)
    if errors:
        return None, errors
    request = await create_request(db, tenant, actor, institution, fields)
    await db.commit()
    return request, errors


async def save_terms(db, tenant, actor, request, form) -> FieldErrors:
    check_editable(actor, request)
    errors = FieldErrors()
    fields = _terms_fields(form, errors)
    if errors:
        return errors
    for key, value in fields.items():
        setattr(request, key, value)
    await _edited(db, tenant, actor, request, "terms")
    return errors


async def _skills(db, tenant, errors: FieldErrors, name: str, raw: str, add_new: bool,
                  locale: str):
    """The skills typed in one box: vocabulary names (any language or synonym) resolve;
    others are refused unless the writer asked to add them as new skills."""
    names = split_skill_names(raw)
    if len(names) > MAX_SKILLS:
        errors[name] = _("List at most %(n)s skills.") % {"n": MAX_SKILLS}
        return []
    if any(len(n) > 120 for n in names):
        errors[name] = _("Use at most %(n)s characters.") % {"n": 120}
        return []
    index = await skill_index(db, tenant)
    unknown = [n for n in names if fold(n) not in index]
    if unknown and not add_new:
        errors[name] = _("Not in the mission's skills list: %(names)s. Correct the spelling, "
                         "or tick “add skills that are not listed” to add them.") \
            % {"names": ", ".join(unknown)}
        return []
    return names


async def save_profile(db, tenant, actor, request, form, locale: str) -> FieldErrors:
    check_editable(actor, request)
    errors = FieldErrors()
    offered = await list_sectors(db, tenant, active_only=True)
    sector = errors.choice("sector", form.get("sector", ""), {s.code for s in offered},
                           required=True)
    add_new = form.get("add_new_skills") == "1"
    required_names = await _skills(db, tenant, errors, "required_skills",
                                   form.get("required_skills", ""), add_new, locale)
    desired_names = await _skills(db, tenant, errors, "desired_skills",
                                  form.get("desired_skills", ""), add_new, locale)
    if not required_names and "required_skills" not in errors:
        errors["required_skills"] = _("Name at least one skill the expert must have.")
    min_years = errors.integer("min_years_experience",
                               form.get("min_years_experience", "").strip(), 0, 50)
    education = errors.choice("education_level", form.get("education_level", ""),
                              EDUCATION_LEVELS)
    languages = language_rows(errors, form, "min_level", LANGUAGE_LEVELS)
    if errors:
        return errors
    required = await resolve_skills(db, tenant, required_names, locale)
    desired = [s for s in await resolve_skills(db, tenant, desired_names, locale)
               if s not in required]
    await db.execute(delete(RequestSkill).where(RequestSkill.tenant_id == tenant.id,
                                                RequestSkill.request_id == request.id))
    await db.execute(delete(RequestLanguage).where(RequestLanguage.tenant_id == tenant.id,
                                                   RequestLanguage.request_id == request.id))
    db.add_all(RequestSkill(tenant_id=tenant.id, request_id=request.id, skill_id=s.id,
                            required=True) for s in required)
    db.add_all(RequestSkill(tenant_id=tenant.id, request_id=request.id, skill_id=s.id,
                            required=False) for s in desired)
    db.add_all(RequestLanguage(tenant_id=tenant.id, request_id=request.id, language=code,
                               min_level=level) for code, level in languages)
    request.sector, request.min_years_experience = sector, min_years
    request.education_level = education
    await _edited(db, tenant, actor, request, "profile")
    return errors


def check_dates(errors: FieldErrors, request: AssignmentRequest, earliest: date | None,
                latest: date | None, finish_by: date | None, weeks: int | None) -> None:
    """The start window must lie ahead and be in order, and the work must fit before the
    end date. A date already stored may stay as it is (an open request ages)."""
    today = date.today()
    if earliest and earliest < today and earliest != request.earliest_start:
        errors["earliest_start"] = _("This date has already passed.")
    if latest and latest < today and latest != request.latest_start:
        errors["latest_start"] = _("This date has already passed.")
    elif earliest and latest and latest < earliest:
        errors["latest_start"] = _("The latest start comes before the earliest start.")
    if finish_by and earliest and finish_by <= earliest:
        errors["finish_by"] = _("The end date must come after the earliest start.")
    elif finish_by and weeks and earliest and "latest_start" not in errors:
        if earliest + timedelta(weeks=weeks) > finish_by:
            errors["duration_weeks"] = _(
                "%(n)s weeks do not fit between the earliest start and the end date.") \
                % {"n": weeks}
        elif latest and latest + timedelta(weeks=weeks) > finish_by:
            errors["latest_start"] = _(
                "Starting this late, the work would end after the end date. Choose an earlier "
                "latest start or a later end date.")


async def save_logistics(db, tenant, actor, request, form) -> FieldErrors:
    check_editable(actor, request)
    errors = FieldErrors()
    modality = errors.choice("modality", form.get("modality", ""), MODALITIES, required=True)
    city = errors.text("city", form.get("city", "").strip(), 120,
                       required=modality in ("on_site", "hybrid"))
    weeks = errors.integer("duration_weeks", form.get("duration_weeks", "").strip(), 1, 104,
                           required=True)
    earliest = errors.day("earliest_start", form.get("earliest_start", "").strip())
    latest = errors.day("latest_start", form.get("latest_start", "").strip())
    finish_by = errors.day("finish_by", form.get("finish_by", "").strip(), required=False)
    check_dates(errors, request, earliest, latest, finish_by, weeks)
    wanted = errors.integer("experts_wanted", form.get("experts_wanted", "").strip(), 1, 50,
                            required=True)
    priority = errors.choice("priority", form.get("priority", "") or "normal", PRIORITIES)
    if errors:
        return errors
    request.modality, request.city, request.duration_weeks = modality, city, weeks
    request.earliest_start, request.latest_start, request.finish_by = earliest, latest, finish_by
    request.experts_wanted, request.priority = wanted, priority
    await _edited(db, tenant, actor, request, "logistics")
    return errors


async def form_values(db: AsyncSession, tenant: TenantContext, request: AssignmentRequest,
                      locale: str) -> dict:
    """The stored request in the shape of a posted form, to fill the form's fields."""
    required, desired = await skills_of(db, tenant, request)
    values = {key: getattr(request, key) for key in (
        "title", "background", "objectives", "tasks", "deliverables", "expected_outputs",
        "sector", "education_level", "modality", "city", "priority")}
    for key in ("min_years_experience", "duration_weeks", "experts_wanted", "earliest_start",
                "latest_start", "finish_by"):
        value = getattr(request, key)
        values[key] = value.isoformat() if isinstance(value, date) else value
    values = {k: "" if v is None else str(v) for k, v in values.items()}
    values["required_skills"] = "\n".join(s.display_name(locale) for s in required)
    values["desired_skills"] = "\n".join(s.display_name(locale) for s in desired)
    values["lang"] = [{"language": r.language, "min_level": r.min_level}
                      for r in await languages_of(db, tenant, request)]
    return values

