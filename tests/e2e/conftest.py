"""Browser tests: the system Chromium (never a downloaded browser) against `portal run`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from app.config import PROJECT_ROOT
from app.demo import DEMO_PASSWORD
from tests.test_portal_run import Portal

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = PROJECT_ROOT / "var" / "screenshots"


@pytest.fixture(scope="session")
def portal_url(tmp_path_factory):
    # Debug mode: plain-http cookies and /dev/mail, where the tests read verification links;
    # and an OpenID provider on this machine (tests/oidc_provider.py) may be configured.
    portal = Portal(tmp_path_factory.mktemp("e2e-var"), debug=True,
                    extra_env={"PORTAL_SSO_TEST_HOSTS": "127.0.0.1"})
    portal.wait_ready()
    yield portal.url
    portal.stop()


@pytest.fixture(scope="session")
async def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: scripts/bootstrap --test installs it")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"])
        yield browser
        await browser.close()


@pytest.fixture
async def page(browser):
    context = await browser.new_context(locale="en-GB")
    page = await context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    yield page
    await context.close()


@pytest.fixture
async def page_without_js(browser):
    context = await browser.new_context(java_script_enabled=False, locale="en-GB")
    yield await context.new_page()
    await context.close()


async def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def sign_in_in_english(page, portal_url: str, mission: str, email: str) -> None:
    """A demo person signs in to the mission, the pages in English."""
    await page.goto(f"{portal_url}/{mission}/sign-in")
    await page.get_by_role("button", name="English").click()
    await page.fill("#f-email", email)
    await page.fill("#f-password", DEMO_PASSWORD)
    await page.locator("main button.primary").click()
