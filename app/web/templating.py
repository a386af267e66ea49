"""The Jinja environment and `page()`, which every HTML handler returns.

Templates get the mission, the language and its direction, the mission switcher and the
pending flash messages from here, so no handler assembles layout data itself.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request
from litestar.response import Template

from app.accounts.identity import Actor
from app.assignment_requests.labels import status_label as request_status_label
from app.config import PROJECT_ROOT
from app.i18n import (DEFAULT_LOCALE, SUPPORTED_LOCALES, gettext, language_name, ngettext,
                      set_locale, text_direction)
from app.web.flash import FLASH_COOKIE, clear_cookie, pending_flashes


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one Jinja environment, for pages and mail alike."""
    env = Environment(
        loader=FileSystemLoader(PROJECT_ROOT / "templates"),
        # HTML pages are escaped; plain-text mail (.txt) is not, or O'Brien becomes O&#39;Brien.
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(gettext, ngettext, newstyle=True)
    env.globals.update(language_name=language_name,
                       request_status_label=request_status_label)
    return env


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
