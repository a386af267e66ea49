"""Issue 20: the ways in (register as an expert, apply as a host institution) on the mission
home page and the sign-in page, and the order in which the portal picks a language."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from app.accounts.models import User
from app.i18n import translations
from tests.accounts_helpers import make_user, sign_in, use_session
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


# --- which language -------------------------------------------------------------------------

async def test_without_any_hint_the_mission_default(client):
    assert _lang((await client.get("/sudan/")).text) == "ar"
    assert _lang((await client.get("/mozambique/")).text) == "pt"


async def test_the_browser_language_before_the_mission_default(client):
    english = {"Accept-Language": "en-GB,en;q=0.9"}
    assert _lang((await client.get("/sudan/", headers=english)).text) == "en"
    assert _lang((await client.get("/mozambique/", headers=english)).text) == "en"
    # by preference weight, among the mission's languages only
    assert _lang((await client.get("/sudan/", headers={
        "Accept-Language": "fr, en;q=0.5, ar;q=0.8"})).text) == "ar"
    assert _lang((await client.get("/mozambique/", headers={
        "Accept-Language": "de, fr;q=0.9"})).text) == "pt"
    assert _lang((await client.get("/mozambique/", headers={
        "Accept-Language": "en;q=0, pt;q=0.1"})).text) == "pt"


async def test_the_switcher_choice_before_the_browser(client):
    speak(client, "ar")
    try:
        r = await client.get("/sudan/", headers={"Accept-Language": "en"})
    finally:
        speak(client, None)
    assert _lang(r.text) == "ar"


async def _account_speaking(session_factory, missions, locale: str) -> User:
    user = await make_user(session_factory, missions["sudan"], "expert")
    async with session_factory() as db:
        await db.execute(update(User).where(User.id == user.id).values(preferred_locale=locale))
        await db.commit()
    return user


async def test_the_account_language_after_sign_in(client, session_factory, missions):
    """The language chosen at sign-up is kept once signed in, before the browser's, and the
    switcher's cookie still wins over it."""
    user = await _account_speaking(session_factory, missions, "en")
    assert (await sign_in(client, missions["sudan"], user.email)).status_code == 303
    try:
        assert _lang((await client.get("/sudan/")).text) == "en"
        assert _lang((await client.get("/sudan/", headers={"Accept-Language": "ar"})).text) == "en"
        speak(client, "ar")
        assert _lang((await client.get("/sudan/")).text) == "ar"
    finally:
        speak(client, None)
        use_session(client, None)


async def test_an_account_language_the_mission_does_not_offer_is_passed_over(
        client, session_factory, missions):
    user = await _account_speaking(session_factory, missions, "pt")
    assert (await sign_in(client, missions["sudan"], user.email)).status_code == 303
    try:
        assert _lang((await client.get("/sudan/")).text) == "ar"
        assert _lang((await client.get("/sudan/", headers={"Accept-Language": "en"})).text) == "en"
    finally:
        use_session(client, None)
