"""Links: where to go back to after a form (only this site), and absolute links for
mail: PORTAL_BASE_URL when set (behind a proxy), else the address
the request came to, but only for a host the portal answers to: a forged Host header
must never end up in a password-reset link."""

from __future__ import annotations

from litestar import Request
from litestar.exceptions import ValidationException


def public_base(request: Request) -> str:
    settings = request.app.state.settings
    if settings.base_url:
        return settings.base_url
    if (request.url.hostname or "") not in settings.hosts:
        raise ValidationException("This address is not one the portal answers to; "
                                  "set PORTAL_BASE_URL or PORTAL_ALLOWED_HOSTS.")
    return str(request.base_url).rstrip("/")


def absolute_url(request: Request, path: str) -> str:
    return public_base(request) + path


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
