"""Resolves, once per request, the mission named by the URL and the language to speak.

Mission routes are mounted under `/{mission_slug}/`; an unknown or suspended mission is a
404 before any handler runs. The mission goes into the tenant context (which scopes every
database transaction) and, with the locale, onto request.state for templates and error pages.
"""

from __future__ import annotations

from litestar import Request
from litestar.exceptions import NotFoundException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from app.i18n import (DEFAULT_LOCALE, LANGUAGE_COOKIE, SUPPORTED_LOCALES, choose_locale,
                      reset_locale, set_locale)
from tenants.context import TenantContext, tenant_scope
from tenants.provisioning import active_tenants

MISSION_PARAM = "mission_slug"


def locale_for(request: Request, tenant: TenantContext | None) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if tenant is None:
        return choose_locale(chosen, SUPPORTED_LOCALES, DEFAULT_LOCALE,
                             request.headers.get("accept-language"))
    return choose_locale(chosen, tenant.locales, tenant.default_locale)


class RequestContextMiddleware(ASGIMiddleware):
    exclude_path_pattern = ("^/static/", "^/healthz")

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request: Request = Request(scope)
        async with request.app.state.session_factory() as session:
            missions = await active_tenants(session)
        tenant = None
        slug = scope.get("path_params", {}).get(MISSION_PARAM)
        if slug is not None:
            tenant = next((m for m in missions if m.slug == slug), None)
            if tenant is None:
                raise NotFoundException(f"No mission called {slug!r}")
        locale = locale_for(request, tenant)
        request.state.missions = missions
        request.state.tenant = tenant
        request.state.locale = locale
        token = set_locale(locale)
        try:
            with tenant_scope(tenant):
                await next_app(scope, receive, send)
        finally:
            reset_locale(token)


def provide_tenant(request: Request) -> TenantContext:
    """The dependency mission handlers declare as `tenant: TenantContext`."""
    tenant = getattr(request.state, "tenant", None)
    if tenant is None:  # a mission route mounted outside the mission router
        raise NotFoundException()
    return tenant
