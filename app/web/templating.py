"""`page()`, which every HTML handler returns: the whole page, or for htmx only the blocks
of the same template that the request swaps.

Templates get the mission, the language and its direction, the mission switcher and the
pending flash messages from here, so no handler assembles layout data itself.

Fragments: htmx names the element it swaps in the HX-Target header. When the page's
template (or a template it extends) has a block named like that element's id ("step-form"
-> `{% block step_form %}`), only that block is rendered and sent, plus any `with_blocks`
(which the template marks `hx-swap-oob` when `fragment` is true). One template serves the
page and its fragment, and a slow link receives only the fragment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from jinja2 import Environment, nodes
from litestar import Request
from litestar.background_tasks import BackgroundTask, BackgroundTasks
from litestar.datastructures import Cookie
from litestar.enums import MediaType
from litestar.response import Template
from litestar.response.base import ASGIResponse

from app.core.actor import Actor
from app.core.templates import environment, render_context
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


def is_htmx(request: Request) -> bool:
    """An htmx request that swaps part of the page (a history restore wants the whole page)."""
    return request.headers.get("hx-request") == "true" \
        and request.headers.get("hx-history-restore-request") != "true"


@lru_cache(maxsize=512)
def _has_block(template: str, block: str) -> bool:
    """Whether the template or one it extends defines the block."""
    env = environment()
    name: str | None = template
    while name is not None:
        compiled = env.get_template(name)
        if block in compiled.blocks:
            return True
        name = _parent_of(env, name)
    return False


def _parent_of(env: Environment, name: str) -> str | None:
    source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
    extends = next(env.parse(source).find_all(nodes.Extends), None)
    return extends.template.value if extends and isinstance(extends.template, nodes.Const) \
        else None


def render_blocks(env: Environment, template_name: str, blocks: Sequence[str],
                  context: dict[str, Any]) -> str:
    """The blocks of a template, rendered as the whole page would render them.

    The template's top-level code runs until the page's first output: by then every
    template of the `extends` chain has made its imports and registered its blocks. The
    rest of the page is never rendered."""
    template = env.get_template(template_name)
    with render_context(template, context) as ctx:
        top = template.root_render_func(ctx)
        next(top, None)
        top.close()  # type: ignore[attr-defined]  # typed Iterator, is a generator
        return "".join(env.concat(ctx.blocks[name][0](ctx)) for name in blocks)


class Fragment(Template):
    """A page template's blocks instead of the whole page (an htmx swap)."""

    def __init__(self, blocks: Sequence[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.blocks = tuple(blocks)

    def to_asgi_response(self, app: Any, request: Request, *,
                         background: BackgroundTask | BackgroundTasks | None = None,
                         cookies: Iterable[Cookie] | None = None,
                         encoded_headers: Iterable[tuple[bytes, bytes]] | None = None,
                         headers: dict[str, str] | None = None,
                         is_head_response: bool = False, media_type: MediaType | str | None = None,
                         status_code: int | None = None, type_encoders: Any = None) -> ASGIResponse:
        body = render_blocks(environment(), str(self.template_name), self.blocks,
                             self.create_template_context(request))
        return ASGIResponse(
            background=self.background or background, body=body.encode(self.encoding),
            cookies=[*self.cookies, *(cookies or [])], encoded_headers=encoded_headers,
            encoding=self.encoding, headers={**(headers or {}), **self.headers},
            is_head_response=is_head_response, media_type=MediaType.HTML,
            status_code=self.status_code or status_code)


def page(request: Request, template: str, status_code: int = 200,
         with_blocks: Sequence[str] = (), **context: Any) -> Template:
    """A full page or, for htmx, the same template's swapped block (see the module's doc)."""
    ctx = layout_context(request)
    # Error pages render outside the request middleware: speak the request's language there too.
    set_locale(ctx["locale"])
    ctx.update(context)
    cookies = [clear_cookie()] if FLASH_COOKIE in request.cookies else []
    # Caches must not hand a fragment to a full-page request or the other way round.
    headers = {"Vary": "HX-Request, HX-Target"}
    block = (request.headers.get("hx-target") or "").replace("-", "_")
    if block.isidentifier() and is_htmx(request) and _has_block(template, block):
        ctx["fragment"] = True
        return Fragment(blocks=(block, *with_blocks), template_name=template, context=ctx,
                        status_code=status_code, cookies=cookies, headers=headers)
    ctx.setdefault("fragment", False)
    return Template(template_name=template, context=ctx, status_code=status_code,
                    cookies=cookies, headers=headers)
