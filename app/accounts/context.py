"""Resolves, once per request, the mission named by the URL, the language to speak and who
is acting, with at most one database session (none for an anonymous visitor while the
mission list is cached: tenants/directory.py).

Mission routes are mounted under `/{mission_slug}/`; an unknown or suspended mission is a
404 before any handler runs. The mission goes into the tenant context (which scopes every
database transaction) and, with the locale and the actor, onto request.state.
"""

from __future__ import annotations

from litestar import Request
from litestar.exceptions import NotFoundException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from app.accounts.services import actor_for_session
from app.core.actor import Actor
from app.i18n import reset_locale, set_locale
from app.web.context import (
    API_PATHS,
    MISSION_PARAM,
    SESSION_COOKIE,
    client_ip,
    close_request_session,
    locale_for,
    request_session,
)
from tenants.context import TenantContext, tenant_scope


async def resolve_actor(request: Request, tenant: TenantContext | None) -> Actor:
    ip = client_ip(request)
    token = request.cookies.get(SESSION_COOKIE)
    if not token or request.url.path.startswith(API_PATHS):
        # The JSON API authenticates with tokens (app/api): a session cookie means nothing there.
        return Actor(ip=ip)
    # The request's session: its transaction goes on into the handler (one BEGIN, one
    # set_config of the mission, one connection from the pool for the whole request).
    with tenant_scope(tenant):
        return await actor_for_session(request_session(request), tenant, token,
                                       request.app.state.settings, ip)


def _needs_no_context(scope: Scope) -> bool:
    # Static files and the health check need neither a mission nor a user.
    return scope["path"].startswith("/static/") or scope["path"] == "/healthz"


class RequestContextMiddleware(ASGIMiddleware):
    should_bypass_for_scope = staticmethod(_needs_no_context)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request: Request = Request(scope)
        directory = request.app.state.missions
        tenant = None
        slug = scope.get("path_params", {}).get(MISSION_PARAM)
        if slug is not None:
            tenant = await directory.by_slug(slug)
            if tenant is None:
                raise NotFoundException(f"No mission called {slug!r}")
        request.state.missions = await directory.active()
        request.state.tenant = tenant
        request.state.locale = locale_for(request, tenant)  # for an error page while resolving
        try:
            actor = await resolve_actor(request, tenant)
            request.state.actor = actor
            locale = locale_for(request, tenant, actor.preferred_locale)
            request.state.locale = locale
            token = set_locale(locale)
            try:
                with tenant_scope(tenant):
                    await next_app(scope, receive, send)
            finally:
                reset_locale(token)
        finally:
            # The handler's `db` closed it already; not when the handler had no `db`, or
            # when resolving failed.
            await close_request_session(request)
