"""The one Jinja environment, for pages and mail alike. Domains add the label functions
their templates need with `template_global` (app/domains.py imports them all)."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context
from markupsafe import Markup, escape

from app.config import PROJECT_ROOT, get_settings
from app.i18n import current_locale, gettext, language_name, ngettext

# The contexts of the render going on (the template's, then those of the templates it
# imports with context or includes), to be emptied when it ends.
_rendering: ContextVar[list[Context] | None] = ContextVar("_rendering", default=None)


@contextmanager
def render_context(template: Template, variables: dict[str, Any]) -> Iterator[Context]:
    """The context to render `template` with, emptied once the render is done.

    A template that defines or imports macros renders in a reference cycle (the context
    holds the macros, each macro's function holds the context), so everything the
    context reaches (the request, its database session, the page's rows, the response's
    brotli compressor with 1.4-2 MB of its own) waited for the collector's next full
    pass, which a web process makes rarely (app/core/collector.py): at 100,000 experts,
    ~40 MB per web process at the end of a load burst. Emptied, the cycle holds only
    Jinja's own small objects and the rest is freed when the request ends."""
    made = [template.new_context(variables)]
    token = _rendering.set(made)
    try:
        yield made[0]
    finally:
        _rendering.reset(token)
        for context in made:
            context.parent, context.vars = {}, {}


class _Template(Template):
    """Renders through render_context, and lists there the contexts of its imports."""

    def new_context(self, vars: dict[str, Any] | None = None, shared: bool = False,
                    locals: Mapping[str, Any] | None = None) -> Context:
        context = super().new_context(vars, shared, locals)
        made = _rendering.get()
        # Shared: an import with context or an include, holding the page's variables.
        # Not the module of an import without context, which Jinja keeps for every render.
        if shared and made is not None:
            made.append(context)
        return context

    def render(self, *args: Any, **kwargs: Any) -> str:
        with render_context(self, dict(*args, **kwargs)) as context:
            try:
                return self.environment.concat(self.root_render_func(context))
            except Exception:
                self.environment.handle_exception()


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
        # Compiled once per process: checking each template file of a page for changes on
        # every render (a stat a file) cost 25 µs for a page of four templates, 10x the
        # lookup itself. With PORTAL_DEBUG an edited template is reloaded.
        auto_reload=get_settings().debug,
    )
    env.template_class = _Template
    # the i18n extension adds this method, which Environment's types do not know
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    # Jinja's newstyle callables, replaced by ours that also write the numbers put into the
    # text in the mission's digits (the extension's `{% trans %}` calls them too).
    env.globals.update(_=_gettext, gettext=_gettext, ngettext=_ngettext)
    env.globals.update(language_name=language_name, static_url=static_url, number=number,
                       arrow=arrow, select_options=select_options)
    return env


STATIC_DIR = PROJECT_ROOT / "static"
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pass_context
def arrow(context: Context, way: str) -> str:
    """"back" or "forward" as the page reads: in right-to-left pages back points right."""
    rtl = context.get("dir") == "rtl"
    return ("→" if rtl else "←") if way == "back" else ("←" if rtl else "→")


def _arabic_indic(context: Context) -> bool:
    """Whether this page or mail writes Arabic-Indic digits: the mission chose them (its
    `digits` setting) and it is in Arabic."""
    locale = context.get("locale") or current_locale()
    return locale == "ar" and getattr(context.get("tenant"), "digits", "") == "arabic_indic"


@pass_context
def number(context: Context, value: object) -> str:
    """A count or amount as the mission writes it: Western digits unless _arabic_indic."""
    return str(value).translate(ARABIC_INDIC) if _arabic_indic(context) else str(value)


def _in_digits(context: Context, variables: dict[str, Any]) -> dict[str, Any]:
    """The numbers given to a text written as number() writes them."""
    return {key: number(context, value)
            if isinstance(value, int | float) and not isinstance(value, bool) else value
            for key, value in variables.items()}


# What Jinja's newstyle gettext and ngettext do (the text translated, marked safe where the
# template escapes, then always %-formatted, escaping the values), with the numbers in the
# mission's digits (the plural is still chosen by the number itself). One call per text:
# a page has hundreds (the matching workspace a fifth of its rendering), and wrapping
# Jinja's own callables cost each a second call through the template context.
@pass_context
def _gettext(context: Context, message: str, /, **variables: Any) -> str:
    text = gettext(message)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    if variables and _arabic_indic(context):
        variables = _in_digits(context, variables)
    return text % variables


@pass_context
def _ngettext(context: Context, singular: str, plural: str, num: int, /,
              **variables: Any) -> str:
    variables.setdefault("num", num)
    text = ngettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    if _arabic_indic(context):
        variables = _in_digits(context, variables)
    return text % variables


def select_options(options: Iterable[tuple[Any, Any]], chosen: object) -> Markup:
    """A select's <option>s, the chosen one selected. In Python rather than a template loop,
    each list escaped once: the country and language lists have some 250 options each, and
    the loop was a third of the registry page's rendering."""
    listed = tuple(options)
    try:
        rendered = _rendered_options(listed)
    except TypeError:  # an option not hashable: rendered without the cache
        rendered = _rendered_options.__wrapped__(listed)
    return Markup("".join(selected if code == chosen else plain
                          for code, plain, selected in rendered))


@lru_cache(maxsize=64)
def _rendered_options(options: tuple[tuple[Any, Any], ...]) -> tuple[tuple[Any, str, str], ...]:
    """Each option as (its value, its HTML, its HTML selected)."""
    rendered = []
    for code, text in options:
        value, label = escape(code), escape(text)
        rendered.append((code, f'<option value="{value}">{label}</option>',
                         f'<option value="{value}" selected>{label}</option>'))
    return tuple(rendered)


@lru_cache(maxsize=256)
def _content_stamp(path: str, modified_ns: int) -> str:
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]


def static_url(path: str) -> str:
    """/static/<path>?v=<a short hash of the file>: browsers keep static files a year
    (app/web/security.py), and a changed file has a new URL, so it is fetched at once. The
    hash is recomputed only when the file's modification time changes."""
    path = path.lstrip("/")
    try:
        found = os.stat(STATIC_DIR / path)
    except OSError:
        found = None
    if found is None or not stat.S_ISREG(found.st_mode) or not _inside(STATIC_DIR, path):
        return f"/static/{path}"
    return f"/static/{path}?v={_content_stamp(path, found.st_mtime_ns)}"


@lru_cache(maxsize=256)
def _inside(static_dir: Path, path: str) -> bool:
    """Whether the path stays inside the static folder (resolving it is a system call per
    folder of the path: once per path, not on every page)."""
    return static_dir.resolve() in (static_dir / path).resolve().parents


def template_global(name: str, function: Callable[..., Any]) -> None:
    environment().globals[name] = function
