"""The one Jinja environment, for pages and mail alike. Domains add the label functions
their templates need with `template_global` (app/domains.py imports them all)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from app.config import PROJECT_ROOT
from app.i18n import current_locale, gettext, language_name, ngettext


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
    # the i18n extension adds this method, which Environment's types do not know
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(language_name=language_name, static_url=static_url, number=number,
                       arrow=arrow)
    return env


STATIC_DIR = PROJECT_ROOT / "static"
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pass_context
def arrow(context: Context, way: str) -> str:
    """"back" or "forward" as the page reads: in right-to-left pages back points right."""
    rtl = context.get("dir") == "rtl"
    return ("→" if rtl else "←") if way == "back" else ("←" if rtl else "→")


@pass_context
def number(context: Context, value: object) -> str:
    """A count or amount as the mission writes it: Western digits, unless the mission chose
    Arabic-Indic ones (its `digits` setting) and the page is in Arabic."""
    text = str(value)
    tenant = context.get("tenant")
    locale = context.get("locale") or current_locale()
    if locale == "ar" and getattr(tenant, "digits", "western") == "arabic_indic":
        return text.translate(ARABIC_INDIC)
    return text


@lru_cache(maxsize=256)
def _content_stamp(path: str, modified_ns: int) -> str:
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]


def static_url(path: str) -> str:
    """/static/<path>?v=<a short hash of the file>: browsers keep static files a year
    (app/web/security.py), and a changed file has a new URL, so it is fetched at once. The
    hash is recomputed only when the file's modification time changes."""
    path = path.lstrip("/")
    file = STATIC_DIR / path
    if not file.is_file() or STATIC_DIR.resolve() not in file.resolve().parents:
        return f"/static/{path}"
    return f"/static/{path}?v={_content_stamp(path, file.stat().st_mtime_ns)}"


def template_global(name: str, function: Callable[..., Any]) -> None:
    environment().globals[name] = function
