"""Issue 20: the ways in (register as an expert, apply as a host institution) on the mission
home page and the sign-in page."""

from __future__ import annotations

import pytest

from app.i18n import translations
from tests.conftest import speak
from tests.html import parse

ENTRY_POINTS = {"#register-expert": ("sign-up", "Register as an expert"),
                "#apply-institution": ("institutions/apply", "Apply as a host institution")}


def _link(body: str, css: str) -> tuple[str, str]:
    nodes = parse(body).css(css)
    assert len(nodes) == 1, f"expected one {css}, found {len(nodes)}"
    return nodes[0].attributes.get("href") or "", " ".join(nodes[0].text().split())


def _lang(body: str) -> str:
    html = parse(body).css_first("html")
    assert html is not None
    return html.attributes.get("lang") or ""


@pytest.mark.parametrize("page", ["", "sign-in"])
@pytest.mark.parametrize(("mission", "locale"),
                         [("sudan", "ar"), ("sudan", "en"), ("mozambique", "pt"),
                          ("mozambique", "en")])
async def test_entry_points_on_home_and_sign_in_in_every_language(client, mission, locale, page):
    speak(client, locale)
    try:
        r = await client.get(f"/{mission}/{page}")
    finally:
        speak(client, None)
    assert r.status_code == 200 and _lang(r.text) == locale
    for css, (path, text) in ENTRY_POINTS.items():
        href, shown = _link(r.text, css)
        assert href == f"/{mission}/{path}"
        assert shown == translations(locale).gettext(text)
        if locale != "en":
            assert shown != text  # translated, not the English fallback
        assert (await client.get(href)).status_code == 200


def test_entry_points_are_translated_in_french():
    for _, text in ENTRY_POINTS.values():
        assert translations("fr").gettext(text) != text
