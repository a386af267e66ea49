"""Signing in with an organisation's identity provider, and the mission admin's pages to
set providers up. All under /<mission>/; every form works without JavaScript."""

from __future__ import annotations

import secrets
import uuid

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response

from app.accounts import second_factor, services, sso
from app.accounts.controllers import _set_session_cookie
from app.accounts.sso import ProviderDisabled, ProviderForm, SignInNotStarted, SsoRefused
from app.accounts.sso_models import SSO_ROLES, IdentityProvider
from app.core.errors import FormErrors
from app.core.roles import SSO_CONFIGURE
from app.i18n import gettext as _
from app.partners.services import list_partner_agencies
from app.web.context import SESSION_COOKIE
from app.web.deps import CurrentActor, CurrentTenant, Db, FormData
from app.web.flash import flash
from app.web.guards import requires
from app.web.links import absolute_url, safe_next
from app.web.templating import page
from tenants.context import TenantContext

# Ties a sign-in to the browser that started it; reused across sign-ins so that two tabs
# signing in at once do not undo each other.
BROWSER_COOKIE = "sso_browser"
BROWSER_COOKIE_SECONDS = 24 * 3600


def callback_url(request: Request, tenant: TenantContext, provider_id: uuid.UUID) -> str:
    """The redirect URI to register at the provider: absolute, one per provider."""
    return absolute_url(request, f"/{tenant.slug}/sso/{provider_id}/callback")


def _back_to_sign_in(request: Request, tenant: TenantContext, message: str) -> Response:
    return flash(request, Redirect(f"/{tenant.slug}/sign-in", status_code=303), "warning",
                 message)


def _problem(request: Request, exc: SsoRefused) -> Response:
    return page(request, "accounts/sso_problem.html", status_code=exc.status,
                message=exc.message)


@get("/sso/{provider_id:uuid}/start", name="sso_start", cache=False)
async def sso_start(request: Request, tenant: CurrentTenant, db: Db,
                    provider_id: FromPath[uuid.UUID], next: FromQuery[str] = "") -> Response:
    browser = request.cookies.get(BROWSER_COOKIE) or secrets.token_urlsafe(32)
    try:
        url = await sso.start_login(db, tenant, provider_id, browser,
                                    callback_url(request, tenant, provider_id),
                                    safe_next(next) if next else "",
                                    request.app.state.settings)
    except ProviderDisabled as exc:
        return _back_to_sign_in(request, tenant, exc.message)
    except SsoRefused as exc:
        return _problem(request, exc)
    response = Redirect(url, status_code=302)
    response.set_cookie(BROWSER_COOKIE, browser, path=f"/{tenant.slug}/sso/", httponly=True,
                        samesite="lax", secure=request.app.state.secure_cookies,
                        max_age=BROWSER_COOKIE_SECONDS)
    return response


@get("/sso/{provider_id:uuid}/callback", name="sso_callback", cache=False)
async def sso_callback(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                       provider_id: FromPath[uuid.UUID]) -> Response:
    params = {key: request.query_params.get(key) or ""
              for key in ("state", "code", "error")}
    try:
        result = await sso.finish_login(db, tenant, provider_id, params,
                                        request.cookies.get(BROWSER_COOKIE),
                                        callback_url(request, tenant, provider_id), actor,
                                        request.app.state.settings)
    except (ProviderDisabled, SignInNotStarted) as exc:
        return _back_to_sign_in(request, tenant, exc.message)
    except SsoRefused as exc:
        return _problem(request, exc)
    token = await services.start_session(db, tenant, result.user, actor,
                                         request.app.state.settings,
                                         request.headers.get("user-agent", ""),
                                         previous_token=request.cookies.get(SESSION_COOKIE))
    response = Redirect(result.next_path or f"/{tenant.slug}/", status_code=303)
    _set_session_cookie(request, response, token)
    return response


# --- the mission admin's pages -------------------------------------------------------------

async def _form_context(request: Request, tenant: TenantContext, db) -> dict:
    return {"roles": SSO_ROLES, "partner_agencies": await list_partner_agencies(db, tenant)}


async def _list_page(request: Request, tenant: TenantContext, db, form: ProviderForm,
                     errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return page(request, "admin/sso_list.html", status_code=status_code,
                providers=await sso.list_providers(db, tenant), form=form.shown(),
                errors=errors or {}, **await _form_context(request, tenant, db),
                second_factor_for_staff=await second_factor.staff_must_use(db, tenant))


async def _edit_page(request: Request, tenant: TenantContext, db, provider: IdentityProvider,
                     form: ProviderForm, errors: dict[str, str] | None = None,
                     status_code: int = 200) -> Response:
    return page(request, "admin/sso_edit.html", status_code=status_code, provider=provider,
                form=form.shown(), errors=errors or {},
                redirect_uri=callback_url(request, tenant, provider.id),
                **await _form_context(request, tenant, db))


@get("/admin/sso", name="sso_providers", guards=[requires(SSO_CONFIGURE)])
async def sso_providers(request: Request, tenant: CurrentTenant, db: Db) -> Response:
    return await _list_page(request, tenant, db, ProviderForm())


@post("/admin/sso", name="create_sso_provider", guards=[requires(SSO_CONFIGURE)])
async def create_sso_provider(request: Request, tenant: CurrentTenant, db: Db,
                              actor: CurrentActor, data: FormData) -> Response:
    form = ProviderForm.from_data(data)
    try:
        provider = await sso.create_provider(db, tenant, actor, form,
                                             request.app.state.settings)
    except FormErrors as exc:
        await db.rollback()
        return await _list_page(request, tenant, db, form, exc.errors, status_code=400)
    return flash(request, Redirect(f"/{tenant.slug}/admin/sso/{provider.id}", status_code=303),
                 "success", _("%(name)s is set up. Register the redirect address shown below "
                              "at the provider.") % {"name": provider.name})


@post("/admin/second-factor", name="second_factor_rule", guards=[requires(SSO_CONFIGURE)])
async def second_factor_rule(request: Request, tenant: CurrentTenant, db: Db,
                             actor: CurrentActor, data: FormData) -> Response:
    required = data.get("required") == "yes"
    changed = await second_factor.set_staff_requirement(db, tenant, actor, required)
    message = (_("Programme officers and mission admins now need two-step sign-in.") if required
               else _("Two-step sign-in is now each officer's and admin's own choice."))
    return flash(request, Redirect(f"/{tenant.slug}/admin/sso", status_code=303), "success",
                 message if changed else _("Nothing changed."))


@get("/admin/sso/{provider_id:uuid}", name="sso_provider", guards=[requires(SSO_CONFIGURE)])
async def sso_provider(request: Request, tenant: CurrentTenant, db: Db,
                       provider_id: FromPath[uuid.UUID]) -> Response:
    provider = await sso.get_provider(db, tenant, provider_id)
    return await _edit_page(request, tenant, db, provider, ProviderForm.of(provider))


@post("/admin/sso/{provider_id:uuid}", name="update_sso_provider",
      guards=[requires(SSO_CONFIGURE)])
async def update_sso_provider(request: Request, tenant: CurrentTenant, db: Db,
                              actor: CurrentActor, provider_id: FromPath[uuid.UUID],
                              data: FormData) -> Response:
    provider = await sso.get_provider(db, tenant, provider_id)
    here = f"/{tenant.slug}/admin/sso/{provider.id}"
    action = data.get("action", "save")
    if action in ("disable", "enable"):
        await sso.set_provider_enabled(db, tenant, actor, provider, action == "enable")
        message = (_("%(name)s is turned on: people can sign in with it.") if action == "enable"
                   else _("%(name)s is turned off: nobody can sign in with it until it is "
                          "turned on again.")) % {"name": provider.name}
        return flash(request, Redirect(here, status_code=303), "success", message)
    form = ProviderForm.from_data(data)
    try:
        await sso.update_provider(db, tenant, actor, provider, form, request.app.state.settings)
    except FormErrors as exc:
        await db.rollback()
        provider = await sso.get_provider(db, tenant, provider_id)
        return await _edit_page(request, tenant, db, provider, form, exc.errors,
                                status_code=400)
    return flash(request, Redirect(here, status_code=303), "success",
                 _("Changes to %(name)s are saved.") % {"name": provider.name})


SSO_ROUTES = [sso_start, sso_callback, sso_providers, create_sso_provider, sso_provider,
              update_sso_provider, second_factor_rule]
