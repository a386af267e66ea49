"""Guards: a handler declares the permission it needs, e.g. guards=[requires(AUDIT_VIEW)].
Anonymous visitors are sent to sign in; signed-in users without the permission get 403."""

from __future__ import annotations

from urllib.parse import quote

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from app.core.actor import Actor


class SignInRequired(NotAuthorizedException):
    """Rendered as a redirect to the mission's sign-in page (401 for JSON clients)."""


def requires(permission: str):
    # A coroutine: Litestar runs a plain function guard in a worker thread, a thread hop
    # on every request for two attribute reads.
    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        actor: Actor | None = getattr(connection.state, "actor", None)
        if actor is None or not actor.signed_in:
            raise SignInRequired()
        if not actor.can(permission):
            raise PermissionDeniedException()

    # read by the authorization matrix test (an attribute functions may have)
    guard.permission = permission  # type: ignore[attr-defined]
    return guard


def sign_in_url(connection: ASGIConnection) -> str:
    """Sign-in happens in a mission (it is audited there); pages outside any mission, like
    /admin, send HQ staff through the first open mission and back."""
    tenant = getattr(connection.state, "tenant", None)
    missions = getattr(connection.state, "missions", [])
    tenant = tenant or (missions[0] if missions else None)
    target = connection.url.path + (f"?{connection.url.query}" if connection.url.query else "")
    if tenant is None:
        return "/"
    return f"/{tenant.slug}/sign-in?next={quote(target, safe='/')}"
