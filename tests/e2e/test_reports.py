"""A programme officer reads the mission dashboard in English and in Arabic: charts drawn
on the server (no script), the figures behind a toggle, the chart mirrored right to left.
A donor viewer goes from their home to their project's report, small counts hidden."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.test_accessibility import serious_violations
from tests.e2e.test_everyday import DESKTOP, PHONE, signed_in

pytestmark = pytest.mark.e2e


async def test_officer_reads_the_dashboard_in_english_and_arabic(browser, portal_url):
    async with signed_in(browser, portal_url, "officer@sudan.demo", "en",
                         DESKTOP) as page:
        await page.get_by_role("link", name="Reports", exact=True).click()
        await page.wait_for_url("**/sudan/reports")
        chart = page.get_by_role("img", name="Experts by status")
        assert await chart.is_visible()
        figures = page.locator('table[data-table="registry.experts_by_status"]')
        assert not await figures.is_visible()
        await page.locator('figure[id="registry.experts_by_status"] summary').click()
        assert await figures.is_visible()
        await screenshot(page, "reports-dashboard-en")

        await page.get_by_role("button", name="العربية").click()
        await page.wait_for_url("**/sudan/reports")
        assert await page.get_attribute("html", "dir") == "rtl"
        chart = page.get_by_role("img", name="الخبراء حسب الحالة")
        box, bar = await chart.bounding_box(), await chart.locator("rect").first.bounding_box()
        assert box and bar
        # Right to left: the bars grow from the labels on the right towards the left.
        assert bar["x"] + bar["width"] > box["x"] + box["width"] / 2
        await screenshot(page, "reports-dashboard-ar")


async def test_a_donor_opens_their_project_report_from_home(browser, portal_url):
    async with signed_in(browser, portal_url, "donor@sudan.demo", "en", DESKTOP) as page:
        await page.goto(portal_url + "/sudan/")
        await page.locator("#donor-projects").get_by_role(
            "link", name="Counter-trafficking in the Horn of Africa").click()
        await page.wait_for_url("**/sudan/reports/project?project=*")
        assert await page.locator("#project-heading").inner_text() == \
            "Counter-trafficking in the Horn of Africa"
        assert await page.get_by_role("img", name="People trained, each counted once") \
            .is_visible()
        assert await page.get_by_text("Figures from 1 to 4 show as").is_visible()
        await screenshot(page, "reports-donor-project-en")
        await page.get_by_role("button", name="العربية").click()
        await page.wait_for_load_state()
        assert await page.get_attribute("html", "dir") == "rtl"
        await screenshot(page, "reports-donor-project-ar")


@pytest.mark.parametrize("lang", ["en", "ar"])
async def test_report_pages_pass_axe_and_fit_a_phone(browser, portal_url, lang):
    """No serious or critical axe-core violation on the reports (charts included); on a phone
    the page itself never scrolls sideways (wide tables scroll in their own box)."""
    pages = {"officer@sudan.demo": ["/sudan/reports", "/sudan/reports/supply",
                                    "/sudan/reports/project"],
             "partner@sudan.demo": ["/sudan/reports/partner"],
             "donor@sudan.demo": ["/sudan/", "/sudan/reports/project"]}
    for who, paths in pages.items():
        async with signed_in(browser, portal_url, who, lang, DESKTOP, bypass_csp=True) as page:
            found = {}
            for path in paths:
                await page.goto(portal_url + path)
                if violations := await serious_violations(page):
                    found[path] = violations
            assert found == {}
        async with signed_in(browser, portal_url, who, lang, PHONE) as page:
            for path in paths:
                await page.goto(portal_url + path)
                assert await page.evaluate(
                    "document.documentElement.scrollWidth <= window.innerWidth"), path
