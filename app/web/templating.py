"""The Jinja environment and `page()`, which every HTML handler returns.

Templates get the mission, the language and its direction, the mission switcher and the
pending flash messages from here, so no handler assembles layout data itself.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from app.core.actor import Actor
from app.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES, set_locale, text_direction
from app.web.flash import FLASH_COOKIE, clear_cookie, pending_flashes


def layout_context(request: Request) -> dict[str, Any]:
    state = request.state
    tenant = getattr(state, "tenant", None)
    locale = getattr(state, "locale", DEFAULT_LOCALE)
    return {
        "tenant": tenant,
        "locale": locale,
        "dir": text_direction(locale),
        "missions": getattr(state, "missions", []),
        "ui_languages": tenant.locales if tenant else SUPPORTED_LOCALES,
        "flashes": pending_flashes(request),
        "actor": getattr(state, "actor", None) or Actor(),
    }


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Template:
    """A full page (or, for htmx, the same template's fragment) with the layout context."""
    ctx = layout_context(request)
    # Error pages render outside the request middleware: speak the request's language there too.
    set_locale(ctx["locale"])
    ctx.update(context)
    cookies = [clear_cookie()] if FLASH_COOKIE in request.cookies else []
    return Template(template_name=template, context=ctx, status_code=status_code,
                    cookies=cookies)
