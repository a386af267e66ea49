"""Reading pages as HTML (selectolax's lexbor parser) instead of searching their text: an
assertion names the element that must hold a value (a status cell, a heading, the error
next to a field), so a word elsewhere on the page cannot satisfy it by accident."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, LexborNode


def parse(body: str) -> LexborHTMLParser:
    return LexborHTMLParser(body)


def _text(node: LexborNode) -> str:
    return " ".join(node.text(deep=True, separator=" ").split())


def select_all(body: str, css: str) -> list[str]:
    """The text of every element matching `css`, whitespace collapsed."""
    return [_text(node) for node in parse(body).css(css)]


def select_text(body: str, css: str) -> str:
    """The text of the one element matching `css` (fails when none or several match)."""
    found = select_all(body, css)
    assert len(found) == 1, f"expected one element for {css!r}, found {len(found)}: {found}"
    return found[0]


def field_error(body: str, name: str) -> str | None:
    """The message the form macros show next to field `name` (<p class="error" id="e-NAME">),
    or None when the field has none."""
    found = select_all(body, f"#e-{name}")
    return found[0] if found else None


def table_rows(body: str, css: str = "table") -> list[list[str]]:
    """The body rows of the first table matching `css`, as lists of cell texts."""
    table = parse(body).css_first(css)
    assert table is not None, f"no table for {css!r}"
    return [[_text(cell) for cell in row.css("td, th")] for row in table.css("tbody tr")]
