"""Staff's page of likely duplicate experts: the pairs side by side, merge or dismiss
(app/matching/duplicates.py, app/experts/duplicates.py)."""

from __future__ import annotations

import uuid

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response

from app.core.roles import EXPERTS_VET
from app.experts.duplicates import dismiss_duplicate
from app.i18n import gettext as _
from app.matching import duplicates
from app.web.deps import CurrentActor, CurrentTenant, Db
from app.web.flash import flash
from app.web.forms import text_form
from app.web.guards import requires
from app.web.reference import country_name
from app.web.templating import page
from tenants.directory import mission_sectors

VET = [requires(EXPERTS_VET)]


@get("/experts/duplicates", name="expert_duplicates", guards=VET)
async def expert_duplicates(request: Request, tenant: CurrentTenant, db: Db) -> Response:
    locale = request.state.locale
    return page(request, "experts/duplicates.html",
                pairs=await duplicates.pairs_side_by_side(db, tenant, locale),
                sector_names={s.code: s.display_name(locale)
                              for s in await mission_sectors(db, tenant)},
                country_name=lambda code: country_name(code, locale))


def _back(request: Request, tenant, message: str) -> Response:
    return flash(request, Redirect(f"/{tenant.slug}/experts/duplicates", status_code=303),
                 "success", message)


@post("/experts/duplicates/{duplicate_id:uuid}/dismiss", name="dismiss_expert_duplicate",
      guards=VET)
async def dismiss_expert_duplicate(request: Request, tenant: CurrentTenant, db: Db,
                                   actor: CurrentActor,
                                   duplicate_id: FromPath[uuid.UUID]) -> Response:
    await dismiss_duplicate(db, tenant, actor, duplicate_id)
    return _back(request, tenant, _("Marked as two different people: this pair will not be "
                                    "flagged again."))


@post("/experts/duplicates/{duplicate_id:uuid}/merge", name="merge_expert_duplicate",
      guards=VET)
async def merge_expert_duplicate(request: Request, tenant: CurrentTenant, db: Db,
                                 actor: CurrentActor,
                                 duplicate_id: FromPath[uuid.UUID]) -> Response:
    data = await text_form(request)
    kept = await duplicates.merge_duplicate(db, tenant, actor, duplicate_id,
                                            data.get("keep", ""))
    return _back(request, tenant, _("Merged into expert #%(number)s; the other profile is "
                                    "archived.") % {"number": kept.number})


DUPLICATE_ROUTES = [expert_duplicates, dismiss_expert_duplicate, merge_expert_duplicate]
