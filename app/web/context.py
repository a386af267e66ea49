"""Resolves, once per request, the mission named by the URL, the language to speak and who
is acting.

Mission routes are mounted under `/{mission_slug}/`; an unknown or suspended mission is a
404 before any handler runs. The mission goes into the tenant context (which scopes every
database transaction) and, with the locale and the actor, onto request.state for handlers,
templates and error pages.
"""

from __future__ import annotations

from litestar import Request
from litestar.exceptions import NotFoundException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from app.accounts.identity import Actor, make_actor
from app.accounts.services import membership_of, session_user
from app.i18n import (DEFAULT_LOCALE, LANGUAGE_COOKIE, SUPPORTED_LOCALES, choose_locale,
                      reset_locale, set_locale)
from tenants.context import TenantContext, tenant_scope
from tenants.provisioning import active_tenants

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


def client_ip(request: Request) -> str:
    # uvicorn's proxy_headers already put X-Forwarded-For from trusted proxies here.
    return request.client.host if request.client else ""


async def resolve_actor(request: Request, tenant: TenantContext | None) -> Actor:
    ip = client_ip(request)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return Actor(ip=ip)
    factory = request.app.state.session_factory
    async with factory() as db:
        user = await session_user(db, token, request.app.state.settings)
    if user is None:
        return Actor(ip=ip)
    membership = None
    if tenant is not None:
        with tenant_scope(tenant):
            async with factory() as db:
                membership = await membership_of(db, tenant, user.id)
    return make_actor(user, membership, ip)


def _needs_no_context(scope: Scope) -> bool:
    # Static files and the health check need neither a mission nor a user.
    return scope["path"].startswith("/static/") or scope["path"] == "/healthz"


class RequestContextMiddleware(ASGIMiddleware):
    should_bypass_for_scope = staticmethod(_needs_no_context)

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
        request.state.actor = Actor(ip=client_ip(request)) \
            if scope["path"].startswith(API_PATHS) else await resolve_actor(request, tenant)
        token = set_locale(locale)
        try:
            with tenant_scope(tenant):
                await next_app(scope, receive, send)
        finally:
            reset_locale(token)


def provide_tenant(request: Request) -> TenantContext:
    """The dependency mission handlers declare as `tenant: CurrentTenant`."""
    tenant = getattr(request.state, "tenant", None)
    if tenant is None:  # a mission route mounted outside the mission router
        raise NotFoundException()
    return tenant


def provide_actor(request: Request) -> Actor:
    return getattr(request.state, "actor", None) or Actor(ip=client_ip(request))
