"""The expert's own space under /<mission>/me: dashboard and the profile form, one step
per page. Every step works as a plain HTML form; htmx (when present) swaps just the form."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response

from app.core.clock import now
from app.core.errors import FormErrors
from app.core.roles import PROFILE_OWN
from app.experts import labels, privacy, profile_form
from app.experts.profile_form import STEPS
from app.experts.services import (
    ProfileActionRefused,
    active_consents,
    apply_action,
    completeness,
    current_notice,
    own_profile,
)
from app.experts.states import EXPERT, allowed_actions
from app.i18n import gettext as _
from app.storage import storage_for
from app.web.context import SESSION_COOKIE
from app.web.deps import CurrentActor, CurrentTenant, Db, FormData
from app.web.flash import flash
from app.web.forms import FieldErrors, rows, text_form
from app.web.guards import requires
from app.web.links import absolute_url
from app.web.reference import countries, languages
from app.web.templating import page
from tenants.directory import mission_sectors

OWN = [requires(PROFILE_OWN)]


def _posted_rows(form, prefix: str, keep_blank: bool) -> list[dict]:
    return [row for _index, row in rows(form, prefix, keep_blank)]


async def _step_page(request: Request, tenant, db, actor, profile, step: str, errors=None,
                     posted=None, status_code: int = 200, extra_row: str | None = None):
    parts = await profile_form.stored_parts(db, tenant, profile)
    if posted is not None:  # show what was typed, not what is stored
        for prefix in ("lang", "edu", "work", "window"):
            if any(k.startswith(prefix + "-") for k in posted.keys()):
                parts[prefix] = _posted_rows(posted, prefix, keep_blank=extra_row == prefix)
    for prefix in ("lang", "edu", "work", "window"):
        if extra_row == prefix or not parts[prefix]:
            parts[prefix] = [*parts[prefix], {}]
    return page(
        request, f"experts/step_{step}.html", status_code=status_code, step=step, steps=STEPS,
        profile=profile, parts=parts, errors=errors or {}, form=posted or {},
        progress=await completeness(db, tenant, profile),
        country_options=countries(request.state.locale),
        language_options=languages(request.state.locale),
        genders=labels.genders(), levels=labels.language_levels(),
        education_levels=labels.education_levels(), modalities=labels.modalities(),
        kinds=labels.availability_kinds(),
        sectors=await mission_sectors(db, tenant, active_only=True),
        consents=await active_consents(db, tenant, profile.id),
        purposes=labels.consent_purposes(),
        notice=await current_notice(db, tenant, request.state.locale))


@get("/me", name="expert_home", guards=OWN)
async def expert_home(request: Request, tenant: CurrentTenant, db: Db,
                      actor: CurrentActor) -> Response:
    profile = await own_profile(db, tenant, actor, create=True)
    return page(request, "experts/me.html", profile=profile, steps=STEPS,
                progress=await completeness(db, tenant, profile),
                actions=allowed_actions(profile.status, EXPERT),
                consents=await active_consents(db, tenant, profile.id))


@get("/me/profile/{step:str}", name="profile_step", guards=OWN)
async def profile_step(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                       step: FromPath[str]) -> Response:
    if step not in STEPS or step == "cv":
        raise NotFoundException()
    profile = await own_profile(db, tenant, actor, create=True)
    return await _step_page(request, tenant, db, actor, profile, step)


@post("/me/profile/{step:str}", name="save_profile_step", guards=OWN)
async def save_profile_step(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                            step: FromPath[str]) -> Response:
    if step not in STEPS or step == "cv":
        raise NotFoundException()
    form = await text_form(request)
    if form.get("add_row") in ("lang", "edu", "work", "window"):  # nothing saved yet
        profile = await own_profile(db, tenant, actor, create=True)
        return await _step_page(request, tenant, db, actor, profile, step, posted=form,
                                extra_row=form.get("add_row"))
    try:
        errors = await profile_form.save_step(db, tenant, actor, step, form,
                                              request.state.locale)
    except ProfileActionRefused as exc:
        errors = FieldErrors(form=exc.message)
    if errors:
        await db.rollback()  # nothing of a refused step is kept; reload what is stored
        stored = await own_profile(db, tenant, actor)
        return await _step_page(request, tenant, db, actor, stored, step, errors=errors,
                                posted=form, status_code=400)
    if "save_next" not in form:
        target = f"/{tenant.slug}/me/profile/{step}"
    elif step == STEPS[-1]:
        target = f"/{tenant.slug}/me"
    else:
        target = f"/{tenant.slug}/me/profile/{STEPS[STEPS.index(step) + 1]}"
    return flash(request, Redirect(target, status_code=303), "success", _("Saved."))


@post("/me/profile/action/{action:str}", name="profile_action", guards=OWN)
async def profile_action(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                         action: FromPath[str]) -> Response:
    profile = await own_profile(db, tenant, actor, create=True)
    try:
        await apply_action(db, tenant, actor, profile, action, review_link=absolute_url(
            request, f"/{tenant.slug}/experts/{profile.id}"))
    except ProfileActionRefused as exc:
        await db.rollback()
        return flash(request, Redirect(f"/{tenant.slug}/me", status_code=303), "error",
                     exc.message)
    messages = {"submit": _("Your profile is submitted. The mission will review it."),
                "withdraw": _("Your profile is withdrawn: nobody will be matched to it."),
                "rejoin": _("Your profile is back as a draft. Submit it when it is ready.")}
    return flash(request, Redirect(f"/{tenant.slug}/me", status_code=303), "success",
                 messages.get(action, _("Saved.")))


@get("/me/skills/suggest", name="skill_suggestions", guards=OWN)
async def skill_suggestions(request: Request, tenant: CurrentTenant, db: Db,
                            new_skills: FromQuery[str] = "") -> Response:
    """<option>s for the skills datalist as the expert types (htmx sends the field as is;
    the part after the last comma is what is being typed)."""
    return page(request, "experts/_skill_options.html", options=await profile_form.suggest_skills(
        db, tenant, new_skills, request.state.locale))


ME_ROUTES = [expert_home, profile_step, save_profile_step, profile_action, skill_suggestions]


@get("/me/views", name="profile_views", guards=OWN)
async def my_profile_views(request: Request, tenant: CurrentTenant, db: Db,
                           actor: CurrentActor) -> Response:
    profile = await own_profile(db, tenant, actor, create=True)
    return page(request, "experts/views.html", views=await privacy.profile_views(db, tenant, profile))


@get("/me/data", name="download_my_data", guards=OWN)
async def download_my_data(request: Request, tenant: CurrentTenant, db: Db,
                           actor: CurrentActor) -> Response:
    archive = await privacy.export_data(db, tenant, actor,
                                        storage_for(request.app.state.settings))
    stamp = now().strftime("%Y%m%d")
    return Response(archive, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="diaspora-bridge-{tenant.slug}-{stamp}.zip"',
        "Cache-Control": "no-store"})


@get("/me/delete", name="delete_account_form", guards=OWN)
async def delete_account_form(request: Request, tenant: CurrentTenant) -> Response:
    return page(request, "experts/delete.html", errors={})


@post("/me/delete", name="delete_account", guards=OWN)
async def delete_account(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                         data: FormData) -> Response:
    try:
        await privacy.erase_own_account(db, request.app.state.session_factory, actor,
                                        storage_for(request.app.state.settings),
                                        data.get("password", ""), data.get("confirm", ""))
    except FormErrors as exc:
        return page(request, "experts/delete.html", status_code=400, errors=exc.errors)
    response = flash(request, Redirect(f"/{tenant.slug}/", status_code=303), "success",
                     _("Your account and your personal data have been deleted."))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


ME_ROUTES += [my_profile_views, download_my_data, delete_account_form, delete_account]
