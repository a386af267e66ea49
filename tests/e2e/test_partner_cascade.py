"""A partner agency's person records a cascade and the mission approves it (#15), in the
browser from end to end: the Sudan mission admin adds the agency's OpenID provider (the
provider of the tests, tests/oidc_provider.py, on this machine); a UNHCR person new to the
portal signs in through it (the browser goes to the provider's login page and comes back),
records a cascade session below the agency's demo training of trainers, imports its
participants from a CSV file (checked, previewed, then added), marks it held and submits
it; the programme officer approves it and the training of trainers counts it in its
cascade. Screenshots of each step are kept in the test's own directory."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from playwright.async_api import expect

from tests.e2e.conftest import sign_in_in_english
from tests.oidc_provider import running_provider

pytestmark = pytest.mark.e2e

TOT = "Mixed migration: training of trainers"  # the demo's, of UNHCR (app/demo/data/sudan)
PARTICIPANTS = """sex,age_group,institution,consent,name,role,contact
female,25_34,Ministry of Interior,yes,Rehab Adam,Border police officer,
male,35_49,Ministry of Interior,yes,Ibrahim Musa,Border police officer,
female,18_24,Kassala Women's Union,no,,,
male,25_34,,no,,,
"""


@pytest.fixture(scope="module")
def provider():
    with running_provider() as running:
        yield running


async def snap(page, folder, name: str) -> None:
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


async def add_the_provider(browser, portal_url: str, issuer: str, folder) -> str:
    """The mission admin adds UNHCR's provider for new partner users of UNHCR; returns the
    provider's name as the sign-in page shows it."""
    context = await browser.new_context(locale="en-GB")
    page = await context.new_page()
    try:
        await sign_in_in_english(page, portal_url, "sudan", "admin@sudan.demo")
        await page.wait_for_url(re.compile(r"/sudan/?$"))
        await page.goto(f"{portal_url}/sudan/admin/sso")
        name = f"UNHCR sign-in {uuid.uuid4().hex[:6]}"
        await page.fill("#f-name", name)
        await page.fill("#f-issuer", issuer)
        await page.fill("#f-client_id", "diaspora-bridge-sudan")
        await page.fill("#f-client_secret", "e2e-Client-Secret-2026")
        await page.fill("#f-allowed_domains", "unhcr.org")
        await page.select_option("#f-default_role", "partner_user")
        await page.select_option("#f-partner_agency_id", label="UN Refugee Agency")
        await page.get_by_role("button", name="Add the provider").click()
        await page.wait_for_url(re.compile(r"/sudan/admin/sso/[0-9a-f-]{36}$"))
        await expect(page.locator("main")).to_contain_text("Turned on")
        await snap(page, folder, "1-admin-adds-the-provider")
        return name
    finally:
        await context.close()


async def test_a_partner_signs_in_with_single_sign_on_records_a_cascade_and_staff_approve(
        browser, portal_url, provider, tmp_path):
    name = await add_the_provider(browser, portal_url, provider.issuer, tmp_path)
    subject = f"unhcr-e2e-{uuid.uuid4().hex[:8]}"
    email = f"{subject}@unhcr.org"
    await provider.set_user(subject, email=email, email_verified=True, name="Mariam Idris")

    partner = await browser.new_context(locale="en-GB")
    page = await partner.new_page()
    portal_errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and page.url.startswith(portal_url)
            and portal_errors.append(m.text))
    try:
        # Single sign-on: the portal sends the browser to the provider and takes it back.
        await page.goto(f"{portal_url}/sudan/sign-in")
        await page.get_by_role("button", name="English").click()
        await page.get_by_role("link", name=f"Sign in with {name}").click()
        await page.wait_for_url(provider.issuer + "/**")
        await snap(page, tmp_path, "2-the-provider-s-login")
        await page.fill('input[name="sub"]', subject)
        await page.get_by_role("button", name="Authorize").click()
        await page.wait_for_url(re.compile(re.escape(portal_url) + r"/sudan/?"))
        await expect(page.locator("header")).to_contain_text("Mariam Idris")
        await snap(page, tmp_path, "3-signed-in-as-partner")

        # A cascade session below the agency's training of trainers, listed one by one.
        await page.goto(f"{portal_url}/sudan/trainings/new")
        start = date.today() - timedelta(days=3)
        await page.fill("#f-title", "Cascade: mixed migration for Kassala border posts")
        await page.select_option("#f-kind", "cascade")
        await page.select_option("#f-thematic_area", "mixed_migration")
        await page.fill("#f-curriculum", "IOM-UNHCR Mixed Migration Curriculum")
        await page.fill("#f-start_date", start.isoformat())
        await page.fill("#f-end_date", (start + timedelta(days=1)).isoformat())
        await page.fill("#f-place", "Kassala")
        await page.fill("#f-facilitators", "Samia Hassan, Khalid Babiker")
        parent = page.locator("#f-parent_id option", has_text=TOT)
        await page.select_option("#f-parent_id", await parent.get_attribute("value"))
        await page.fill("#f-sess-0-day", start.isoformat())
        await page.fill("#f-sess-0-hours", "6")
        await page.fill("#f-sess-0-place", "Kassala")
        await page.check('input[name="participant_mode"][value="individual"]')
        await page.get_by_role("button", name="Save", exact=True).click()
        await page.wait_for_url(re.compile(r"/sudan/trainings/[0-9a-f-]{36}$"))
        training_url = page.url
        status = page.locator("strong.training-status")
        await expect(status).to_have_text("Planned")

        # The participants from a file: checked, previewed, then added all at once.
        await page.get_by_role("link", name="Import a list of participants (CSV or XLSX)").click()
        roster = tmp_path / "kassala-participants.csv"
        roster.write_text(PARTICIPANTS, encoding="utf-8")
        await page.set_input_files("#f-file", str(roster))
        await page.get_by_role("button", name="Check the file").click()
        await expect(page.locator("#preview")).to_contain_text("4 rows, all correct.")
        await snap(page, tmp_path, "4-import-preview")
        await page.get_by_role("button", name="Add these 4 participants").click()
        await page.wait_for_url(training_url + "#participants")
        people = page.locator("#people tbody tr")
        await expect(people).to_have_count(4)
        await expect(page.locator("#by-institution tbody tr").first).to_contain_text("4")
        await page.get_by_role("button", name="Mark as held").click()
        await expect(status).to_have_text("Held")
        await page.get_by_role("button", name="Submit for review").click()
        await expect(status).to_have_text("Submitted")
        await snap(page, tmp_path, "5-submitted-by-the-partner")
        # Submitted, it is no longer the agency's to change.
        await expect(page.get_by_role("button", name="Approve")).to_have_count(0)
        await expect(page.locator("#edit")).to_have_count(0)
        assert portal_errors == []
    finally:
        await partner.close()

    staff = await browser.new_context(locale="en-GB")
    page = await staff.new_page()
    try:
        await sign_in_in_english(page, portal_url, "sudan", "officer@sudan.demo")
        await page.wait_for_url(re.compile(r"/sudan/?$"))
        await page.goto(training_url)
        status = page.locator("strong.training-status")
        await expect(status).to_have_text("Submitted")
        await page.get_by_role("button", name="Approve").click()
        await expect(status).to_have_text("Approved")
        # The history says who did what: the partner (signed in by the provider), then staff.
        history = page.locator("ol.timeline li")
        await expect(history.filter(has_text="Submit for review")).to_contain_text(email)
        await expect(history.filter(has_text="Approve:")).to_contain_text("officer@sudan.demo")
        # Certificates for the two named with their consent, now that it is approved.
        await expect(page.get_by_role("link", name="Certificate (PDF)")).to_have_count(2)
        await snap(page, tmp_path, "6-approved-by-staff")
        # The training of trainers counts the new cascade session below it.
        await page.get_by_role("link", name=TOT).click()
        cascade = page.locator("#cascade")
        await expect(cascade.get_by_role(
            "link", name="Cascade: mixed migration for Kassala border posts")).to_have_count(1)
        await snap(page, tmp_path, "7-the-cascade-below-the-tot")
    finally:
        await staff.close()
