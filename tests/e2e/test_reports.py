"""A programme officer reads the mission dashboard in English and in Arabic: charts drawn
on the server (no script), the figures behind a toggle, the chart mirrored right to left."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot, sign_in_in_english

pytestmark = pytest.mark.e2e


async def test_officer_reads_the_dashboard_in_english_and_arabic(page, portal_url):
    await sign_in_in_english(page, portal_url, "sudan", "officer@sudan.demo")
    await page.get_by_role("link", name="Reports").click()
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
    assert page.console_errors == []
