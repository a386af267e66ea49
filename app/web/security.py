"""Security headers on every response, error pages included. No inline script anywhere:
scripts come from /static."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
# Browsers ignore it over plain http; sent whenever the app is not in debug (local) mode.
HSTS = "max-age=31536000; includeSubDomains"
# Pages, exports and API answers carry personal data: no cache keeps them. Static files
# carry none and are worth caching on a slow link: a URL stamped with the file's content
# (`static_url`, app/core/templates.py: /static/css/portal.css?v=<hash>) never changes
# meaning, so it is kept a year; an unstamped one an hour, so a change is seen soon.
NO_STORE = "no-store"
STATIC_PREFIX = "/static/"
STATIC_STAMPED = "public, max-age=31536000, immutable"
STATIC_UNSTAMPED = "public, max-age=3600"
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


async def security_headers(message: Message, scope: Scope) -> None:
    """A before_send hook: runs for every response, including 404s no route matched."""
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        for name, value in HEADERS.items():
            headers[name] = value
        settings = getattr(getattr(scope.get("app"), "state", None), "settings", None)
        if settings is not None and not settings.debug:
            headers["Strict-Transport-Security"] = HSTS
        if str(scope.get("path", "")).startswith(STATIC_PREFIX):
            if message["status"] == 200:
                stamped = b"v=" in scope.get("query_string", b"")
                headers["Cache-Control"] = STATIC_STAMPED if stamped else STATIC_UNSTAMPED
        elif "cache-control" not in headers:
            headers["Cache-Control"] = NO_STORE
