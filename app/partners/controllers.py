"""Partner agencies: UN agencies, ministries, committees and NGOs that report trainings; and
the mission admins' pages of the mission's funding projects."""
from __future__ import annotations

import uuid

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response

from app.core.errors import FormErrors, StaleForm
from app.core.roles import PARTNERS_MANAGE
from app.i18n import gettext as _
from app.partners import funding, labels, services
from app.partners.links import agency_links
from app.partners.services import get_partner_agency, list_partner_agencies
from app.web.deps import CurrentActor, CurrentTenant, Db
from app.web.flash import flash
from app.web.forms import form_version, text_form
from app.web.guards import requires
from app.web.templating import page

MANAGE = [requires(PARTNERS_MANAGE)]


@get("/partners", name="partner_list")
async def partner_list(request: Request, tenant: CurrentTenant, db: Db) -> Response:
    return page(request, "partners/list.html",
                partner_agencies=await list_partner_agencies(db, tenant))


@get("/partners/{partner_id:uuid}", name="partner_detail")
async def partner_detail(request: Request, tenant: CurrentTenant, db: Db,
                         partner_id: FromPath[uuid.UUID]) -> Response:
    return page(request, "partners/detail.html",
                partner=await get_partner_agency(db, tenant, partner_id))


# --- funding projects -----------------------------------------------------------------------

def _funding_url(tenant, project_id=None) -> str:
    return f"/{tenant.slug}/admin/funding" + (f"/{project_id}" if project_id else "")


def _read_funding(data) -> funding.FundingForm:
    return funding.FundingForm(code=data.get("code", ""), name=data.get("name", ""),
                               donor=data.get("donor", ""),
                               start_date=data.get("start_date", ""),
                               end_date=data.get("end_date", ""),
                               version=form_version(data.get("version")))


async def _funding_page(request: Request, tenant, db, errors: dict | None = None,
                        form: dict | None = None, status_code: int = 200) -> Response:
    return page(request, "partners/funding.html", status_code=status_code,
                projects=await funding.list_funding_projects(db, tenant),
                errors=errors or {}, form=form or {})


@get("/admin/funding", name="funding_list", guards=MANAGE)
async def funding_list(request: Request, tenant: CurrentTenant, db: Db) -> Response:
    return await _funding_page(request, tenant, db)


@post("/admin/funding", name="funding_add", guards=MANAGE)
async def funding_add(request: Request, tenant: CurrentTenant, db: Db,
                      actor: CurrentActor) -> Response:
    data = await text_form(request)
    try:
        await funding.add_funding_project(db, tenant, actor, _read_funding(data))
    except FormErrors as exc:
        await db.rollback()
        return await _funding_page(request, tenant, db, exc.errors, dict(data), exc.status)
    return flash(request, Redirect(_funding_url(tenant), status_code=303), "success",
                 _("The funding project is added."))


async def _project_page(request: Request, tenant, db, project_id: uuid.UUID,
                        errors: dict | None = None, form: dict | None = None,
                        status_code: int = 200) -> Response:
    project = await funding.get_funding_project(db, tenant, project_id)
    values = {"code": project.code, "name": project.name, "donor": project.donor,
              "start_date": project.start_date, "end_date": project.end_date}
    return page(request, "partners/funding_edit.html", status_code=status_code,
                project=project, errors=errors or {},
                form=form if form is not None else values)


@get("/admin/funding/{project_id:uuid}", name="funding_detail", guards=MANAGE)
async def funding_detail(request: Request, tenant: CurrentTenant, db: Db,
                         project_id: FromPath[uuid.UUID]) -> Response:
    return await _project_page(request, tenant, db, project_id)


@post("/admin/funding/{project_id:uuid}", name="funding_edit", guards=MANAGE)
async def funding_edit(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                       project_id: FromPath[uuid.UUID]) -> Response:
    data = await text_form(request)
    try:
        await funding.update_funding_project(db, tenant, actor, project_id,
                                             _read_funding(data))
    except (FormErrors, StaleForm) as exc:
        await db.rollback()
        keep = not isinstance(exc, StaleForm)
        return await _project_page(request, tenant, db, project_id, exc.errors,
                                   dict(data) if keep else None, exc.status)
    return flash(request, Redirect(_funding_url(tenant), status_code=303), "success",
                 _("The funding project is saved."))


@post("/admin/funding/{project_id:uuid}/status", name="funding_status", guards=MANAGE)
async def funding_status(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                         project_id: FromPath[uuid.UUID]) -> Response:
    data = await text_form(request)
    try:
        project = await funding.set_funding_status(db, tenant, actor, project_id,
                                                   data.get("status", ""),
                                                   form_version(data.get("version")))
    except StaleForm as exc:
        await db.rollback()
        return await _project_page(request, tenant, db, project_id, exc.errors,
                                   status_code=exc.status)
    message = (_("The funding project is closed.") if project.status == "closed"
               else _("The funding project is open again."))
    return flash(request, Redirect(_funding_url(tenant), status_code=303), "success", message)


# --- partner agencies, for mission admins ---------------------------------------------------

def _agency_url(tenant, agency_id=None) -> str:
    return f"/{tenant.slug}/admin/partners" + (f"/{agency_id}" if agency_id else "")


def _read_agency(data) -> services.AgencyForm:
    return services.AgencyForm(name=data.get("name", ""), short_name=data.get("short_name", ""),
                               kind=data.get("kind", ""),
                               version=form_version(data.get("version")))


async def _agencies_page(request: Request, tenant, db, errors: dict | None = None,
                         form: dict | None = None, status_code: int = 200) -> Response:
    return page(request, "partners/admin_list.html", status_code=status_code,
                agencies=await services.all_partner_agencies(db, tenant),
                kinds=labels.kinds(), errors=errors or {}, form=form or {})


@get("/admin/partners", name="partner_admin_list", guards=MANAGE)
async def partner_admin_list(request: Request, tenant: CurrentTenant, db: Db) -> Response:
    return await _agencies_page(request, tenant, db)


@post("/admin/partners", name="partner_add", guards=MANAGE)
async def partner_add(request: Request, tenant: CurrentTenant, db: Db,
                      actor: CurrentActor) -> Response:
    data = await text_form(request)
    try:
        agency = await services.add_partner_agency(db, tenant, actor, _read_agency(data))
    except FormErrors as exc:
        await db.rollback()
        return await _agencies_page(request, tenant, db, exc.errors, dict(data), exc.status)
    return flash(request, Redirect(_agency_url(tenant, agency.id), status_code=303), "success",
                 _("The partner agency is added. Invite its focal points on the People page."))


async def _agency_page(request: Request, tenant, db, agency_id: uuid.UUID,
                       errors: dict | None = None, form: dict | None = None,
                       status_code: int = 200) -> Response:
    agency = await services.get_partner_agency(db, tenant, agency_id)
    values = {"name": agency.name, "short_name": agency.short_name, "kind": agency.kind}
    return page(request, "partners/admin_edit.html", status_code=status_code, agency=agency,
                links=await agency_links(db, tenant, agency.id), kinds=labels.kinds(),
                errors=errors or {}, form=form if form is not None else values)


@get("/admin/partners/{partner_id:uuid}", name="partner_admin_detail", guards=MANAGE)
async def partner_admin_detail(request: Request, tenant: CurrentTenant, db: Db,
                               partner_id: FromPath[uuid.UUID]) -> Response:
    return await _agency_page(request, tenant, db, partner_id)


@post("/admin/partners/{partner_id:uuid}", name="partner_edit", guards=MANAGE)
async def partner_edit(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                       partner_id: FromPath[uuid.UUID]) -> Response:
    data = await text_form(request)
    try:
        await services.update_partner_agency(db, tenant, actor, partner_id, _read_agency(data))
    except (FormErrors, StaleForm) as exc:
        await db.rollback()
        keep = not isinstance(exc, StaleForm)
        return await _agency_page(request, tenant, db, partner_id, exc.errors,
                                  dict(data) if keep else None, exc.status)
    return flash(request, Redirect(_agency_url(tenant), status_code=303), "success",
                 _("The partner agency is saved."))


@post("/admin/partners/{partner_id:uuid}/status", name="partner_status", guards=MANAGE)
async def partner_status(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                         partner_id: FromPath[uuid.UUID]) -> Response:
    data = await text_form(request)
    try:
        agency = await services.set_agency_status(db, tenant, actor, partner_id,
                                                  data.get("status", ""),
                                                  form_version(data.get("version")))
    except StaleForm as exc:
        await db.rollback()
        return await _agency_page(request, tenant, db, partner_id, exc.errors,
                                  status_code=exc.status)
    message = (_("The partner agency is deactivated.") if agency.status == "inactive"
               else _("The partner agency is active again."))
    return flash(request, Redirect(_agency_url(tenant), status_code=303), "success", message)


PARTNER_ROUTES = [partner_list, partner_detail, funding_list, funding_add, funding_detail,
                  funding_edit, funding_status, partner_admin_list, partner_add,
                  partner_admin_detail, partner_edit, partner_status]
