"""Mission admins' page for API tokens: list, create (the token is shown once, on the page
answering the form, never again) and revoke."""

from __future__ import annotations

import uuid

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response

from app.api import tokens
from app.api.controllers import API_PREFIX, SCHEMA_PATH
from app.core.errors import FormErrors
from app.core.roles import API_TOKENS_MANAGE
from app.i18n import gettext as _
from app.web.deps import CurrentActor, CurrentTenant, Db, FormData
from app.web.flash import flash
from app.web.guards import requires
from app.web.templating import page

MANAGE = [requires(API_TOKENS_MANAGE)]


async def _tokens_page(request: Request, tenant, db, *, created=None, plain: str = "",
                       errors=None, form=None, status_code: int = 200) -> Response:
    response = page(request, "admin/api_tokens.html", status_code=status_code,
                    tokens=await tokens.list_tokens(db, tenant), created=created, plain=plain,
                    api_base=f"{API_PREFIX}/{tenant.slug}", schema_path=SCHEMA_PATH,
                    errors=errors or {}, form=form or {})
    if plain:  # the only page that ever holds the token: keep it out of every cache
        response.headers["Cache-Control"] = "no-store"
    return response


@get("/admin/api-tokens", name="api_tokens", guards=MANAGE)
async def api_tokens(request: Request, tenant: CurrentTenant, db: Db) -> Response:
    return await _tokens_page(request, tenant, db)


@post("/admin/api-tokens", name="create_api_token", guards=MANAGE)
async def create_api_token(request: Request, tenant: CurrentTenant, db: Db,
                           actor: CurrentActor, data: FormData) -> Response:
    try:
        token, plain = await tokens.create_token(db, tenant, actor, data.get("name", ""),
                                                 data.get("scope", "full"))
    except FormErrors as exc:
        await db.rollback()
        return await _tokens_page(request, tenant, db, errors=exc.errors, form=data,
                                  status_code=400)
    return await _tokens_page(request, tenant, db, created=token, plain=plain,
                              status_code=201)


@post("/admin/api-tokens/{token_id:uuid}/revoke", name="revoke_api_token", guards=MANAGE)
async def revoke_api_token(request: Request, tenant: CurrentTenant, db: Db,
                           actor: CurrentActor, token_id: FromPath[uuid.UUID]) -> Response:
    token = await tokens.revoke_token(db, tenant, actor, token_id)
    return flash(request, Redirect(f"/{tenant.slug}/admin/api-tokens", status_code=303),
                 "success", _("The token “%(name)s” is revoked: it no longer opens the API.")
                 % {"name": token.name})


API_TOKEN_ROUTES = [api_tokens, create_api_token, revoke_api_token]
