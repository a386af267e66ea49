"""Issue 20: right-to-left done right on the server's side: arrows that point the way the
page reads, digits as the mission writes them, and what people wrote isolated inside
Arabic mail. (tests/e2e/test_everyday.py looks at the pages in a browser.)"""

from __future__ import annotations

import dataclasses

from app.core.templates import environment
from app.notifications.services import render_mail
from tests.conftest import speak
from tests.html import parse


def _render(source: str, **context) -> str:
    return environment().from_string(source).render(**context)


def test_arrows_point_the_way_the_page_reads():
    back, forward = '{{ arrow("back") }}', '{{ arrow("forward") }}'
    assert (_render(back, dir="ltr"), _render(forward, dir="ltr")) == ("←", "→")
    assert (_render(back, dir="rtl"), _render(forward, dir="rtl")) == ("→", "←")


async def test_the_back_link_of_an_arabic_page_points_right(client):
    for locale, arrow in (("ar", "→"), ("en", "←")):
        speak(client, locale)
        try:
            listing = parse((await client.get("/sudan/partners")).text)
            first = listing.css_first('main a[href^="/sudan/partners/"]')
            assert first is not None
            detail = parse((await client.get(first.attributes["href"] or "")).text)
        finally:
            speak(client, None)
        back = detail.css_first('main a[href="/sudan/partners"]')
        assert back is not None and back.text().strip().startswith(arrow), locale


def test_digits_follow_the_mission_setting_in_arabic_pages_only(missions):
    sudan = missions["sudan"]
    assert sudan.digits == "western"  # the default, and what Sudan's mission file says
    indic = dataclasses.replace(sudan, digits="arabic_indic")
    count = "{{ number(2026) }}"
    assert _render(count, tenant=sudan, locale="ar") == "2026"
    assert _render(count, tenant=indic, locale="ar") == "٢٠٢٦"
    assert _render(count, tenant=indic, locale="en") == "2026"


def test_english_written_by_people_keeps_its_order_in_arabic_mail():
    context = {"name": "Amina", "number": 12, "title": "Train 20 engineers.",
               "status": "open", "reason": "- Assess the network first.", "link": "https://x.org/r"}
    _subject, arabic = render_mail("request_status", "ar", **context)
    assert "\u2068Train 20 engineers.\u2069" in arabic
    assert "\u2068- Assess the network first.\u2069" in arabic
    assert "\u2068Amina\u2069" in arabic
    assert "\nhttps://x.org/r\n" in arabic  # a link stays clickable: never wrapped
    _subject, english = render_mail("request_status", "en", **context)
    assert "\u2068" not in english and "“Train 20 engineers.”" in english
