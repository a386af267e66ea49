"""Staff's side of the registry: the list with filters and export, the vetting queue,
a profile with its private notes and life-cycle actions, and the skills vocabulary."""

from __future__ import annotations

import uuid
from datetime import date
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response

from app.core.errors import FormErrors
from app.core.roles import EXPERTS_VET, EXPERTS_VIEW
from app.experts import labels, registry, skills_admin
from app.experts.services import ProfileActionRefused, add_note, profile_for_staff, review_profile
from app.i18n import gettext as _
from app.web.deps import CurrentActor, CurrentTenant, Db, FormData
from app.web.flash import flash
from app.web.guards import requires
from app.web.reference import countries, country_name, language_label, languages
from app.web.templating import page
from tenants.directory import mission_sectors

VIEW, VET = [requires(EXPERTS_VIEW)], [requires(EXPERTS_VET)]


def _filter(params) -> registry.RegistryFilter:
    flt = registry.RegistryFilter(
        status=params.get("status", ""), sector=params.get("sector", "")[:64],
        language=params.get("language", "")[:3], country=params.get("country", "")[:2],
        q=params.get("q", "").strip()[:100], sort=params.get("sort", "updated"))
    for name in ("available_from", "available_to"):
        raw = params.get(name, "")
        if raw:
            try:
                setattr(flt, name, date.fromisoformat(raw))
            except ValueError:
                flt.errors[name] = _("Use a date like 2026-03-31.")
    if bool(flt.available_from) != bool(flt.available_to) and not flt.errors:
        flt.errors["available_to"] = _("Give both dates of the period.")
    elif flt.available_from and flt.available_to and flt.available_to < flt.available_from:
        flt.errors["available_to"] = _("The end comes before the start.")
    return flt


@get("/experts", name="expert_registry", guards=VIEW)
async def expert_registry(request: Request, tenant: CurrentTenant, db: Db) -> Response:
    params = request.query_params
    flt = _filter(params)
    try:
        page_number = max(1, min(int(params.get("page", "1")), 100_000))
    except ValueError:
        page_number = 1
    found = (registry.RegistryPage([], 0, False) if flt.errors
             else await registry.search(db, tenant, flt, page_number))
    return await _registry_page(request, tenant, db, flt, found, page_number)


async def _registry_page(request, tenant, db, flt, found: registry.RegistryPage,
                         page_number: int) -> Response:
    locale = request.state.locale
    sectors = await mission_sectors(db, tenant)
    query = urlencode([(k, v) for k, v in request.query_params.items() if k != "page"])
    return page(request, "experts/registry.html", status_code=400 if flt.errors else 200,
                found=found, page_number=page_number, flt=flt, errors=flt.errors,
                query=query, sector_names={s.code: s.display_name(locale) for s in sectors},
                sector_options=[(s.code, s.display_name(locale)) for s in sectors],
                country_options=countries(locale), language_options=languages(locale),
                country_name=lambda code: country_name(code, locale))


@get("/experts/export.csv", name="expert_export", guards=VIEW)
async def expert_export(request: Request, tenant: CurrentTenant, db: Db,
                        actor: CurrentActor) -> Response:
    flt = _filter(request.query_params)
    if flt.errors:
        return await _registry_page(request, tenant, db, flt,
                                    registry.RegistryPage([], 0, False), 1)
    text, left_out = await registry.export_csv(db, tenant, actor, flt, request.state.locale)
    return Response(text.encode("utf-8"), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="experts-{tenant.slug}.csv"',
        "X-Rows-Left-Out-Without-Consent": str(left_out), "Cache-Control": "no-store"})


async def _profile_page(request: Request, tenant, db, actor, profile_id, errors=None,
                        status_code: int = 200) -> Response:
    locale = request.state.locale
    shown = await profile_for_staff(db, tenant, actor, profile_id)
    return page(request, "experts/staff_profile.html", status_code=status_code,
                profile=shown.profile, email=shown.email, languages=shown.languages,
                education=shown.education, work=shown.work, windows=shown.windows,
                documents=shown.documents, notes=shown.notes, skills=shown.skills,
                consents=shown.consents, actions=shown.actions, sectors=shown.sectors,
                language_label=lambda code: language_label(code, locale),
                country_name=lambda code: country_name(code, locale),
                education_levels=dict(labels.education_levels()),
                level_labels=dict(labels.language_levels()),
                modality_labels=dict(labels.modalities()), errors=errors or {})


@get("/experts/{profile_id:uuid}", name="expert_profile", guards=VIEW)
async def expert_profile(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                         profile_id: FromPath[uuid.UUID]) -> Response:
    return await _profile_page(request, tenant, db, actor, profile_id)


@post("/experts/{profile_id:uuid}/action", name="expert_action", guards=VET)
async def expert_action(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                        profile_id: FromPath[uuid.UUID], data: FormData) -> Response:
    try:
        await review_profile(db, tenant, actor, profile_id, data.get("action", ""),
                             data.get("reason", ""))
    except ProfileActionRefused as exc:
        await db.rollback()
        return await _profile_page(request, tenant, db, actor, profile_id,
                                   {"reason": exc.message}, status_code=400)
    return flash(request, Redirect(f"/{tenant.slug}/experts/{profile_id}", status_code=303),
                 "success", _("Saved."))


@post("/experts/{profile_id:uuid}/notes", name="expert_note", guards=VET)
async def expert_note(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                      profile_id: FromPath[uuid.UUID], data: FormData) -> Response:
    try:
        await add_note(db, tenant, actor, profile_id, data.get("body", ""))
    except FormErrors as exc:
        return await _profile_page(request, tenant, db, actor, profile_id, exc.errors,
                                   status_code=400)
    return flash(request, Redirect(f"/{tenant.slug}/experts/{profile_id}#notes", status_code=303),
                 "success", _("Note added."))


@get("/skills", name="skills_vocabulary", guards=VET)
async def skills_vocabulary(request: Request, tenant: CurrentTenant, db: Db) -> Response:
    return await _skills_page(request, tenant, db)


async def _skills_page(request, tenant, db, errors=None, form=None, status_code=200):
    shown = await skills_admin.vocabulary(db, tenant)
    return page(request, "experts/skills.html", status_code=status_code,
                vocabulary=shown.skills, free_tags=shown.free_tags, usage=shown.usage,
                sectors=shown.sectors, errors=errors or {}, form=form or {})


@post("/skills", name="add_skill", guards=VET)
async def add_skill(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                    data: FormData) -> Response:
    try:
        await skills_admin.add_skill(db, tenant, actor, data, request.state.locale)
    except skills_admin.SkillErrors as exc:
        await db.rollback()
        return await _skills_page(request, tenant, db, exc.errors, data, status_code=400)
    return flash(request, Redirect(f"/{tenant.slug}/skills", status_code=303), "success",
                 _("Skill added to the vocabulary."))


@post("/skills/{skill_id:uuid}/merge", name="merge_skill", guards=VET)
async def merge_skill(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                      skill_id: FromPath[uuid.UUID], data: FormData) -> Response:
    try:
        await skills_admin.merge_free_tag(db, tenant, actor, skill_id, data.get("into", ""))
    except skills_admin.SkillErrors as exc:
        await db.rollback()
        return await _skills_page(request, tenant, db, exc.errors, status_code=400)
    return flash(request, Redirect(f"/{tenant.slug}/skills", status_code=303), "success",
                 _("Tag merged into the vocabulary."))


@post("/skills/{skill_id:uuid}/promote", name="promote_skill", guards=VET)
async def promote_skill(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                        skill_id: FromPath[uuid.UUID]) -> Response:
    await skills_admin.promote_free_tag(db, tenant, actor, skill_id, request.state.locale)
    return flash(request, Redirect(f"/{tenant.slug}/skills", status_code=303), "success",
                 _("Tag added to the vocabulary."))


STAFF_EXPERT_ROUTES = [expert_registry, expert_export, expert_profile, expert_action,
                       expert_note, skills_vocabulary, add_skill, merge_skill, promote_skill]
