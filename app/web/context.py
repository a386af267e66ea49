"""What a request carries once app/accounts/context.py has resolved it: the mission named
by the URL, the language to speak and who is acting, on request.state for handlers,
templates and error pages."""

from __future__ import annotations

import ipaddress

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.i18n import DEFAULT_LOCALE, LANGUAGE_COOKIE, SUPPORTED_LOCALES, choose_locale
from tenants.context import TenantContext

MISSION_PARAM = "mission_slug"
SESSION_COOKIE = "session"
# The JSON API authenticates with tokens (app/api): a session cookie means nothing there.
API_PATHS = "/api/"


def locale_for(request: Request, tenant: TenantContext | None, preferred: str | None = None) -> str:
    """The switcher's cookie, then the signed-in person's preferred language, then the
    browser's Accept-Language, then the mission's default (app.i18n.choose_locale)."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    accept = request.headers.get("accept-language")
    if tenant is None:
        return choose_locale(chosen, SUPPORTED_LOCALES, DEFAULT_LOCALE, accept, preferred)
    return choose_locale(chosen, tenant.locales, tenant.default_locale, accept, preferred)


def _trusted(address: str, proxies: tuple[str, ...]) -> bool:
    for proxy in proxies:
        if address == proxy:
            return True
        try:
            if ipaddress.ip_address(address) in ipaddress.ip_network(proxy, strict=False):
                return True
        except ValueError:  # a name, or a malformed entry: only the exact match above
            continue
    return False


def client_ip(request: ASGIConnection) -> str:
    """The client's address: the connection's, unless it is one of the trusted proxies
    (PORTAL_TRUSTED_PROXIES, default none); then X-Forwarded-For is read from the right,
    skipping the trusted proxies, and the first other address is the client. A client
    cannot forge its address by sending the header itself."""
    peer = request.client.host if request.client else ""
    settings = getattr(request.app.state, "settings", None)
    proxies: tuple[str, ...] = getattr(settings, "trusted_proxies", ())
    if not proxies or not _trusted(peer, proxies):
        return peer
    hops = [hop.strip() for value in request.headers.getall("x-forwarded-for", [])
            for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop[:64]
    return peer


def request_session(connection: ASGIConnection) -> AsyncSession:
    """The request's one database session, made when first needed: by the middleware to read
    who is acting, then by the handler (`db: Db`), in the same transaction. It holds a
    connection only from its first statement on."""
    db: AsyncSession | None = connection.state.get("db")
    if db is None:
        db = connection.app.state.session_factory()
        connection.state.db = db
    return db


async def close_request_session(connection: ASGIConnection) -> None:
    """Ends the request's transaction (rolled back unless a service committed) and gives the
    connection back to the pool; again later, it does nothing."""
    db: AsyncSession | None = connection.state.get("db")
    if db is not None:
        await db.close()


def provide_tenant(request: Request) -> TenantContext:
    """The dependency mission handlers declare as `tenant: CurrentTenant`."""
    tenant = getattr(request.state, "tenant", None)
    if tenant is None:  # a mission route mounted outside the mission router
        raise NotFoundException()
    return tenant


def provide_actor(request: Request) -> Actor:
    return getattr(request.state, "actor", None) or Actor(ip=client_ip(request))
