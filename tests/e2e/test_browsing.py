"""A visitor finds a mission, reads it in their browser's language (or the mission's) and
switches language, with and without JavaScript."""

from __future__ import annotations

import contextlib

import pytest

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


@contextlib.asynccontextmanager
async def speaking(browser, locale: str, javascript: bool = True):
    """A page in a browser whose language (Accept-Language) is `locale`."""
    context = await browser.new_context(locale=locale, java_script_enabled=javascript)
    page = await context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    try:
        yield page
    finally:
        await context.close()


@pytest.fixture
async def arabic_page(browser):
    async with speaking(browser, "ar-SD") as page:
        yield page


async def test_an_english_browser_reads_sudan_in_english(page, portal_url):
    await page.goto(portal_url + "/sudan/")
    assert await page.get_attribute("html", "lang") == "en"
    assert await page.get_by_role("link", name="Register as an expert").is_visible()


async def test_visitor_reaches_sudan_in_arabic_and_switches_to_english(arabic_page, portal_url):
    page = arabic_page
    await page.goto(portal_url + "/")
    await screenshot(page, "landing")
    await page.locator('main a[href="/sudan/"]').first.click()  # the landing speaks Arabic too
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


async def test_mission_switcher_and_partner_page(browser, portal_url):
    async with speaking(browser, "pt-MZ") as page:
        await _switch_missions(page, portal_url)


async def _switch_missions(page, portal_url):
    await page.goto(portal_url + "/mozambique/")
    assert await page.get_attribute("html", "lang") == "pt"
    await page.get_by_role("link", name="Procuradoria-Geral da República").click()
    assert await page.get_by_role("heading", name="Procuradoria-Geral da República").is_visible()
    await screenshot(page, "mozambique-partner")
    await page.locator("summary", has_text="Missões").click()
    await page.get_by_role("link", name="Sudão").click()
    await page.wait_for_url("**/sudan/")
    assert page.console_errors == []


async def test_language_switch_works_without_javascript(browser, portal_url):
    async with speaking(browser, "ar", javascript=False) as page:
        await _switch_without_javascript(page, portal_url)


async def _switch_without_javascript(page, portal_url):
    await page.goto(portal_url + "/sudan/")
    assert await page.get_attribute("html", "dir") == "rtl"
    await page.get_by_role("button", name="English").click()
    await page.wait_for_load_state()
    assert await page.get_attribute("html", "dir") == "ltr"
    await page.goto(portal_url + "/nowhere/")
    assert await page.get_by_role("heading", name="Page not found").is_visible()
    await screenshot(page, "not-found-nojs")
