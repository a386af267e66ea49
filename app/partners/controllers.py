from __future__ import annotations

import uuid

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Response

from app.partners.services import get_partner_agency, list_partner_agencies
from app.web.deps import CurrentTenant, Db
from app.web.templating import page


@get("/partners", name="partner_list")
async def partner_list(request: Request, tenant: CurrentTenant, db: Db) -> Response:
    return page(request, "partners/list.html",
                partner_agencies=await list_partner_agencies(db, tenant))


@get("/partners/{partner_id:uuid}", name="partner_detail")
async def partner_detail(request: Request, tenant: CurrentTenant, db: Db,
                         partner_id: FromPath[uuid.UUID]) -> Response:
    return page(request, "partners/detail.html",
                partner=await get_partner_agency(db, tenant, partner_id))
