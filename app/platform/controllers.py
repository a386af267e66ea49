from __future__ import annotations

from litestar import Request, Router, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response

from app.core.errors import FormErrors
from app.core.roles import PLATFORM_ADMIN
from app.i18n import SUPPORTED_LOCALES, language_name, text_direction
from app.i18n import gettext as _
from app.platform import services
from app.reports import hq
from app.reports.controllers import read_period
from app.reports.exports import csv_download, present, xlsx_download
from app.reports.services import all_tables
from app.web.context import SESSION_COOKIE
from app.web.deps import CurrentActor, Db, FormData
from app.web.flash import flash
from app.web.guards import requires
from app.web.links import absolute_url
from app.web.templating import page
from tenants.provisioning import MissionSpec, ProvisioningError, active_tenants, list_tenants


async def _admin_page(request: Request, db, errors=None, form=None, status_code=200) -> Response:
    return page(request, "admin/platform.html", status_code=status_code,
                tenants=await list_tenants(db), errors=errors or {}, form=form or {},
                locale_options=[(c, language_name(c)) for c in SUPPORTED_LOCALES])


@get("/", name="platform_admin")
async def platform_admin(request: Request, db: Db) -> Response:
    return await _admin_page(request, db)


@post("/missions", name="create_mission")
async def create_mission(request: Request, db: Db, actor: CurrentActor,
                         data: FormData) -> Response:
    locales = [code for code in SUPPORTED_LOCALES if data.get(f"locale_{code}")]
    spec = MissionSpec(slug=data.get("slug", "").strip(), name=data.get("name", "").strip(),
                       country_code=data.get("country_code", "").strip().upper(),
                       default_locale=data.get("default_locale", ""), locales=locales,
                       time_zone=data.get("time_zone", "").strip())
    try:
        mission = await services.create_mission(db, actor, spec)
    except ProvisioningError as exc:
        await db.rollback()
        return await _admin_page(request, db, {"mission": str(exc)}, data, status_code=400)
    return flash(request, Redirect("/admin", status_code=303), "success",
                 _("Mission %(name)s created.") % {"name": mission.name})


@post("/missions/{slug:str}/status", name="set_mission_status")
async def set_mission_status(request: Request, db: Db, actor: CurrentActor, slug: FromPath[str],
                             data: FormData) -> Response:
    try:
        await services.set_mission_status(db, actor, slug, data.get("status", ""))
    except ProvisioningError as exc:
        await db.rollback()
        return await _admin_page(request, db, {"mission": str(exc)}, status_code=400)
    return flash(request, Redirect("/admin", status_code=303), "success", _("Mission updated."))


@post("/missions/{slug:str}/mission-admins", name="appoint_mission_admin")
async def appoint_mission_admin(request: Request, db: Db, actor: CurrentActor, slug: FromPath[str],
                                data: FormData) -> Response:
    try:
        await services.appoint_mission_admin(
            db, actor, slug, data.get("email", ""),
            lambda token: absolute_url(request, f"/{slug}/invitations/{token}"))
    except FormErrors as exc:
        await db.rollback()
        return await _admin_page(request, db, {"appoint": next(iter(exc.errors.values()))},
                                 status_code=400)
    return flash(request, Redirect("/admin", status_code=303), "success",
                 _("Invitation sent to %(email)s.") % {"email": data.get("email", "").strip()})


@post("/sign-out", name="platform_sign_out")
async def platform_sign_out(request: Request, db: Db) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await services.sign_out(db, token)
    response = flash(request, Redirect("/", status_code=303), "info", _("You are signed out."))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- HQ's figures across missions (app/reports/hq.py: the one audited way) -------------------

async def _mission_totals(request: Request, db, actor):
    flt = read_period(request.query_params)
    if flt.errors:
        return flt, []
    missions = await active_tenants(db)
    return flt, [await hq.mission_totals(db, actor, missions, flt, request.state.locale)]


def _reports_page(request: Request, flt, sections) -> Response:
    rtl = text_direction(request.state.locale) == "rtl"
    return page(request, "admin/reports.html", status_code=400 if flt.errors else 200,
                flt=flt, errors=flt.errors,
                sections=[(s, [present(t, f"{s.key}.{t.key}", rtl) for t in s.tables])
                          for s in sections])


@get("/reports", name="platform_reports")
async def platform_reports(request: Request, db: Db, actor: CurrentActor) -> Response:
    return _reports_page(request, *await _mission_totals(request, db, actor))


def _platform_export(extension: str):
    @get(f"/reports/export.{extension}", name=f"platform_reports_{extension}")
    async def handler(request: Request, db: Db, actor: CurrentActor) -> Response:
        flt, sections = await _mission_totals(request, db, actor)
        if flt.errors:
            return _reports_page(request, flt, sections)
        tables = all_tables(sections)
        if extension == "csv":
            return csv_download("missions-report", tables, one=len(tables) == 1)
        return xlsx_download("missions-report", tables)
    return handler


platform_router = Router(
    path="/admin", guards=[requires(PLATFORM_ADMIN)],
    route_handlers=[platform_admin, create_mission, set_mission_status, appoint_mission_admin,
                    platform_sign_out, platform_reports, _platform_export("csv"),
                    _platform_export("xlsx")])
