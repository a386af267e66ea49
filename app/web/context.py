"""What a request carries once app/accounts/context.py has resolved it: the mission named
by the URL, the language to speak and who is acting, on request.state for handlers,
templates and error pages."""

from __future__ import annotations

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException

from app.core.actor import Actor
from app.i18n import DEFAULT_LOCALE, LANGUAGE_COOKIE, SUPPORTED_LOCALES, choose_locale
from tenants.context import TenantContext

MISSION_PARAM = "mission_slug"
SESSION_COOKIE = "session"
# The JSON API authenticates with tokens (app/api): a session cookie means nothing there.
API_PATHS = "/api/"


def locale_for(request: Request, tenant: TenantContext | None) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if tenant is None:
        return choose_locale(chosen, SUPPORTED_LOCALES, DEFAULT_LOCALE,
                             request.headers.get("accept-language"))
    return choose_locale(chosen, tenant.locales, tenant.default_locale)


def client_ip(request: ASGIConnection) -> str:
    # uvicorn's proxy_headers already put X-Forwarded-For from trusted proxies here.
    return request.client.host if request.client else ""


def provide_tenant(request: Request) -> TenantContext:
    """The dependency mission handlers declare as `tenant: CurrentTenant`."""
    tenant = getattr(request.state, "tenant", None)
    if tenant is None:  # a mission route mounted outside the mission router
        raise NotFoundException()
    return tenant


def provide_actor(request: Request) -> Actor:
    return getattr(request.state, "actor", None) or Actor(ip=client_ip(request))
