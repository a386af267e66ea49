"""Host institutions' pages: the public application form, and for staff the list, the
institution page (details, focal points, requests, status actions) and its form."""

from __future__ import annotations

import uuid

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response

from app.accounts import invitations
from app.accounts.member_controllers import invitation_link
from app.core.errors import FormErrors
from app.core.roles import INSTITUTIONS_MANAGE
from app.i18n import gettext as _
from app.institutions import labels, services
from app.institutions.models import INSTITUTION_STATUSES
from app.web.deps import CurrentActor, CurrentTenant, Db
from app.web.flash import flash
from app.web.forms import text_form
from app.web.guards import requires
from app.web.links import public_base
from app.web.templating import page
from tenants.directory import mission_sectors

MANAGE = [requires(INSTITUTIONS_MANAGE)]


async def _form_page(request: Request, tenant, db, template: str, form=None, errors=None,
                     status_code: int = 200, **extra) -> Response:
    locale = request.state.locale
    return page(request, template, status_code=status_code, form=form or {},
                errors=errors or {}, kinds=labels.kinds(),
                sector_options=[(s.code, s.display_name(locale))
                                for s in await mission_sectors(db, tenant, active_only=True)],
                **extra)


def _values(form) -> dict:
    """A posted form as the templates read it (sectors is a list)."""
    return {**{key: form.get(key) for key in form.keys()}, "sectors": form.getall("sectors", [])}


# --- the public application --------------------------------------------------------------

@get("/institutions/apply", name="institution_apply")
async def institution_apply(request: Request, tenant: CurrentTenant, db: Db) -> Response:
    return await _form_page(request, tenant, db, "institutions/apply.html")


@post("/institutions/apply", name="send_institution_application")
async def send_institution_application(request: Request, tenant: CurrentTenant, db: Db,
                                       actor: CurrentActor) -> Response:
    form = await text_form(request)
    base = public_base(request)
    try:
        await services.apply(db, tenant, actor, form,
                             lambda iid: f"{base}/{tenant.slug}/institutions/{iid}")
    except FormErrors as exc:
        await db.rollback()
        return await _form_page(request, tenant, db, "institutions/apply.html", _values(form),
                                exc.errors, status_code=400)
    return page(request, "institutions/applied.html")


# --- staff -------------------------------------------------------------------------------

@get("/institutions", name="institution_list", guards=MANAGE)
async def institution_list(request: Request, tenant: CurrentTenant, db: Db) -> Response:
    params = request.query_params
    status = params.get("status", "")
    status = status if status in INSTITUTION_STATUSES else ""
    kind = params.get("kind", "")
    kind = kind if kind in dict(labels.kinds()) else ""
    q = params.get("q", "").strip()[:100]
    return page(request, "institutions/list.html",
                institutions=await services.list_institutions(db, tenant, status, kind, q),
                status=status, kind=kind, q=q, kinds=labels.kinds(),
                statuses=labels.statuses(), status_names=dict(labels.statuses()),
                sector_names={s.code: s.display_name(request.state.locale)
                              for s in await mission_sectors(db, tenant)})


@get("/institutions/new", name="new_institution", guards=MANAGE)
async def new_institution(request: Request, tenant: CurrentTenant, db: Db) -> Response:
    return await _form_page(request, tenant, db, "institutions/edit.html", institution=None)


@post("/institutions/new", name="create_institution", guards=MANAGE)
async def create_institution(request: Request, tenant: CurrentTenant, db: Db,
                             actor: CurrentActor) -> Response:
    form = await text_form(request)
    try:
        institution = await services.create_institution(db, tenant, actor, form)
    except FormErrors as exc:
        await db.rollback()
        return await _form_page(request, tenant, db, "institutions/edit.html", _values(form),
                                exc.errors, status_code=400, institution=None)
    return flash(request, Redirect(f"/{tenant.slug}/institutions/{institution.id}",
                                   status_code=303), "success", _("Institution added."))


async def _institution_page(request: Request, tenant, db, actor, institution, errors=None,
                            form=None, status_code: int = 200) -> Response:
    return page(request, "institutions/detail.html", status_code=status_code,
                institution=institution, errors=errors or {}, form=form or {},
                focal_points=await invitations.list_members(db, tenant, institution.id),
                **await services.institution_page_context(db, tenant, institution),
                actions=services.allowed_actions(institution.status),
                kind_names=dict(labels.kinds()), status_names=dict(labels.statuses()),
                sector_names={s.code: s.display_name(request.state.locale)
                              for s in await mission_sectors(db, tenant)})


@get("/institutions/{institution_id:uuid}", name="institution_detail", guards=MANAGE)
async def institution_detail(request: Request, tenant: CurrentTenant, db: Db,
                             actor: CurrentActor, institution_id: FromPath[uuid.UUID]) -> Response:
    institution = await services.get_institution(db, tenant, actor, institution_id)
    return await _institution_page(request, tenant, db, actor, institution)


@get("/institutions/{institution_id:uuid}/edit", name="edit_institution", guards=MANAGE)
async def edit_institution(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                           institution_id: FromPath[uuid.UUID]) -> Response:
    institution = await services.get_institution(db, tenant, actor, institution_id)
    form = {key: getattr(institution, key) for key in (
        "name", "other_name", "kind", "city", "address", "website")}
    form["sectors"] = institution.sectors
    return await _form_page(request, tenant, db, "institutions/edit.html", form,
                            institution=institution)


@post("/institutions/{institution_id:uuid}/edit", name="save_institution", guards=MANAGE)
async def save_institution(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                           institution_id: FromPath[uuid.UUID]) -> Response:
    institution = await services.get_institution(db, tenant, actor, institution_id)
    form = await text_form(request)
    try:
        await services.update_institution(db, tenant, actor, institution, form)
    except FormErrors as exc:
        await db.rollback()
        institution = await services.get_institution(db, tenant, actor, institution_id)
        return await _form_page(request, tenant, db, "institutions/edit.html", _values(form),
                                exc.errors, status_code=400, institution=institution)
    return flash(request, Redirect(f"/{tenant.slug}/institutions/{institution_id}",
                                   status_code=303), "success", _("Saved."))


@post("/institutions/{institution_id:uuid}/action", name="institution_action", guards=MANAGE)
async def institution_action(request: Request, tenant: CurrentTenant, db: Db,
                             actor: CurrentActor, institution_id: FromPath[uuid.UUID]) -> Response:
    institution = await services.get_institution(db, tenant, actor, institution_id)
    form = await text_form(request)
    try:
        await services.change_status(db, tenant, actor, institution, form.get("action", ""),
                                     form.get("reason", ""), invitation_link(request, tenant))
    except FormErrors as exc:
        await db.rollback()
        institution = await services.get_institution(db, tenant, actor, institution_id)
        return await _institution_page(request, tenant, db, actor, institution, exc.errors,
                                       form, status_code=400)
    return flash(request, Redirect(f"/{tenant.slug}/institutions/{institution_id}",
                                   status_code=303), "success", _("Saved."))


@post("/institutions/{institution_id:uuid}/focal-points", name="invite_focal_point",
      guards=MANAGE)
async def invite_focal_point(request: Request, tenant: CurrentTenant, db: Db,
                             actor: CurrentActor, institution_id: FromPath[uuid.UUID]) -> Response:
    institution = await services.get_institution(db, tenant, actor, institution_id)
    form = await text_form(request)
    try:
        await services.invite_focal_point(db, tenant, actor, institution, form.get("email", ""),
                                          invitation_link(request, tenant))
    except FormErrors as exc:
        await db.rollback()
        institution = await services.get_institution(db, tenant, actor, institution_id)
        errors = dict(exc.errors)
        if "host_institution_id" in errors:  # shown by the email field on this page
            errors["email"] = errors.pop("host_institution_id")
        return await _institution_page(request, tenant, db, actor, institution, errors, form,
                                       status_code=400)
    return flash(request, Redirect(f"/{tenant.slug}/institutions/{institution_id}#focal-points",
                                   status_code=303), "success", _("Invitation sent."))


INSTITUTION_ROUTES = [institution_apply, send_institution_application, institution_list,
                      new_institution, create_institution, institution_detail, edit_institution,
                      save_institution, institution_action, invite_focal_point]
