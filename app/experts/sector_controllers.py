"""The mission admins' sectors pages (app/experts/sector_admin.py)."""

from __future__ import annotations

import uuid

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response

from app.core.errors import FormErrors
from app.core.roles import SECTORS_MANAGE
from app.experts import sector_admin
from app.i18n import gettext as _
from app.web.deps import CurrentActor, CurrentTenant, Db
from app.web.flash import flash
from app.web.forms import text_form
from app.web.guards import requires
from app.web.reference import language_label
from app.web.templating import page

MANAGE = [requires(SECTORS_MANAGE)]


def _languages(request: Request, tenant) -> list[tuple[str, str]]:
    return [(code, language_label(code, request.state.locale)) for code in tenant.locales]


async def _list_page(request: Request, tenant, db, errors: dict | None = None,
                     form: dict | None = None, status_code: int = 200) -> Response:
    shown = await sector_admin.sector_list(db, tenant)
    return page(request, "experts/sectors.html", status_code=status_code,
                sectors=shown.sectors, experts=shown.experts,
                languages=_languages(request, tenant), errors=errors or {}, form=form or {})


@get("/admin/sectors", name="sector_admin_list", guards=MANAGE)
async def sector_admin_list(request: Request, tenant: CurrentTenant, db: Db) -> Response:
    return await _list_page(request, tenant, db)


@post("/admin/sectors", name="sector_add", guards=MANAGE)
async def sector_add(request: Request, tenant: CurrentTenant, db: Db,
                     actor: CurrentActor) -> Response:
    data = dict(await text_form(request))
    try:
        await sector_admin.add_sector(db, tenant, actor, data)
    except FormErrors as exc:
        await db.rollback()
        return await _list_page(request, tenant, db, exc.errors, data, exc.status)
    return flash(request, Redirect(f"/{tenant.slug}/admin/sectors", status_code=303), "success",
                 _("The sector is added."))


async def _edit_page(request: Request, tenant, db, sector_id: uuid.UUID,
                     errors: dict | None = None, form: dict | None = None,
                     status_code: int = 200) -> Response:
    sector = await sector_admin.get_sector(db, tenant, sector_id)
    values = {f"name_{code}": sector.names.get(code, "") for code in tenant.locales}
    return page(request, "experts/sector_edit.html", status_code=status_code, sector=sector,
                languages=_languages(request, tenant), errors=errors or {},
                form=form if form is not None else values)


@get("/admin/sectors/{sector_id:uuid}", name="sector_admin_detail", guards=MANAGE)
async def sector_admin_detail(request: Request, tenant: CurrentTenant, db: Db,
                              sector_id: FromPath[uuid.UUID]) -> Response:
    return await _edit_page(request, tenant, db, sector_id)


@post("/admin/sectors/{sector_id:uuid}", name="sector_rename", guards=MANAGE)
async def sector_rename(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                        sector_id: FromPath[uuid.UUID]) -> Response:
    data = dict(await text_form(request))
    try:
        await sector_admin.rename_sector(db, tenant, actor, sector_id, data)
    except FormErrors as exc:
        await db.rollback()
        return await _edit_page(request, tenant, db, sector_id, exc.errors, data, exc.status)
    return flash(request, Redirect(f"/{tenant.slug}/admin/sectors", status_code=303), "success",
                 _("The sector is saved."))


@post("/admin/sectors/{sector_id:uuid}/status", name="sector_status", guards=MANAGE)
async def sector_status(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                        sector_id: FromPath[uuid.UUID]) -> Response:
    data = await text_form(request)
    sector = await sector_admin.set_sector_active(db, tenant, actor, sector_id,
                                                  data.get("active") == "1")
    message = (_("The sector is offered again.") if sector.active
               else _("The sector is deactivated: it is no longer offered for new choices."))
    return flash(request, Redirect(f"/{tenant.slug}/admin/sectors", status_code=303), "success",
                 message)


SECTOR_ROUTES = [sector_admin_list, sector_add, sector_admin_detail, sector_rename,
                 sector_status]
