"""A visitor finds a mission, reads it in its language and switches language, with and
without JavaScript."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


async def test_visitor_reaches_sudan_in_arabic_and_switches_to_english(page, portal_url):
    await page.goto(portal_url + "/")
    await screenshot(page, "landing")
    await page.get_by_role("link", name="Sudan").first.click()
    await page.wait_for_url("**/sudan/")
    assert await page.get_attribute("html", "dir") == "rtl"
    assert await page.get_attribute("html", "lang") == "ar"
    assert await page.get_by_text("إدارة المياه").is_visible()
    await screenshot(page, "sudan-ar")

    await page.get_by_role("button", name="English").click()
    await page.wait_for_load_state()
    assert await page.get_attribute("html", "dir") == "ltr"
    assert await page.get_by_text("Water management").is_visible()
    assert await page.evaluate("typeof window.htmx") == "object"
    assert page.console_errors == []  # no CSP violation, no missing asset


async def test_mission_switcher_and_partner_page(page, portal_url):
    await page.goto(portal_url + "/mozambique/")
    assert await page.get_attribute("html", "lang") == "pt"
    await page.get_by_role("link", name="Procuradoria-Geral da República").click()
    assert await page.get_by_role("heading", name="Procuradoria-Geral da República").is_visible()
    await screenshot(page, "mozambique-partner")
    await page.locator("summary", has_text="Missões").click()
    await page.get_by_role("link", name="Sudão").click()
    await page.wait_for_url("**/sudan/")
    assert page.console_errors == []


async def test_language_switch_works_without_javascript(page_without_js, portal_url):
    page = page_without_js
    await page.goto(portal_url + "/sudan/")
    assert await page.get_attribute("html", "dir") == "rtl"
    await page.get_by_role("button", name="English").click()
    await page.wait_for_load_state()
    assert await page.get_attribute("html", "dir") == "ltr"
    await page.goto(portal_url + "/nowhere/")
    assert await page.get_by_role("heading", name="Page not found").is_visible()
    await screenshot(page, "not-found-nojs")
