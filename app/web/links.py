"""Absolute links for mail: PORTAL_BASE_URL when set (behind a proxy), else the address
the request came to."""

from __future__ import annotations

from litestar import Request


def absolute_url(request: Request, path: str) -> str:
    base = request.app.state.settings.base_url or str(request.base_url).rstrip("/")
    return base + path
