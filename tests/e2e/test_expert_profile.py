"""An expert registers, confirms the address from the mail, signs in and builds the profile;
rows are added with htmx and, without JavaScript, by a plain form post."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e
PASSWORD = "river delta mango 42"
MAILBOX_LISTS = """(email) => {
    window.mailboxLists = window.mailboxLists || {};
    if (!window.mailboxAsking) {
        window.mailboxAsking = fetch("/dev/mail").then((r) => r.text()).then((text) => {
            window.mailboxLists[email] = text.includes(email);
        }).finally(() => { window.mailboxAsking = null; });
    }
    return window.mailboxLists[email] === true;
}"""


async def verification_link(page, portal_url, email) -> str:
    """The path of the link in the verification mail sent to `email`."""
    # The in-process mail worker writes the message within seconds: Playwright polls until
    # the development mailbox lists it, from a page of its own that runs scripts (this one
    # may not). The predicate cannot await, so each poll reads the answer of an earlier one.
    mailbox = await page.context.browser.new_page()
    try:
        await mailbox.goto(portal_url + "/dev/mail")
        await mailbox.wait_for_function(MAILBOX_LISTS, arg=email, polling=250, timeout=30_000)
        await mailbox.reload()
        mail = await mailbox.locator("article.card", has_text=email).locator("pre").inner_text()
    finally:
        await mailbox.close()
    match = re.search(r"https?://[^/\s]+(/sudan/verify/[\w-]+)", mail)
    assert match, f"no verification link in the mail: {mail}"
    return match.group(1)


async def register_and_sign_in(page, portal_url, email):
    await page.goto(portal_url + "/sudan/sign-up")
    await page.click("form.language-switcher button[value=en]")
    await page.fill("#f-name", "Browser Expert")
    await page.fill("#f-email", email)
    await page.fill("#f-password", PASSWORD)
    await page.fill("#f-password_confirm", PASSWORD)
    await page.click("button.primary")
    assert await page.get_by_role("heading", name="Check your email").is_visible()
    await page.goto(portal_url + await verification_link(page, portal_url, email))
    await page.get_by_role("button", name="Confirm my address").click()
    await page.wait_for_url("**/sudan/sign-in")
    await page.fill("#f-email", email)
    await page.fill("#f-password", PASSWORD)
    await page.click("button.primary")
    await page.wait_for_url("**/sudan/")


@pytest.mark.parametrize("javascript", [True, False])
async def test_expert_builds_languages_step(browser, portal_url, javascript):
    context = await browser.new_context(java_script_enabled=javascript, locale="en-GB")
    page = await context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    try:
        await register_and_sign_in(page, portal_url, f"browser.expert.{int(javascript)}@example.org")
        await page.goto(portal_url + "/sudan/me/profile/languages")
        await page.select_option("#f-lang-0-language", "ar")
        await page.select_option("#f-lang-0-level", "native")
        await page.get_by_role("button", name="Add a language").click()
        await page.wait_for_selector("#f-lang-1-language")
        assert await page.locator("#f-lang-0-language").input_value() == "ar"
        await page.select_option("#f-lang-1-language", "en")
        await page.select_option("#f-lang-1-level", "C1")
        await page.get_by_role("button", name="Save and continue").click()
        await page.wait_for_url("**/me/profile/background")
        await page.goto(portal_url + "/sudan/me/profile/languages")
        assert await page.locator("fieldset.row").count() == 2
        await screenshot(page, f"expert-languages-{'js' if javascript else 'nojs'}")
        assert errors == []
    finally:
        await context.close()
