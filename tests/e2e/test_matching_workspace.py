"""A programme officer finds candidates for a demo request: the ranked list with its
reasons, search within the candidates as they type (htmx swaps only the list), and
adding an expert to the shortlist."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot, sign_in_in_english

pytestmark = pytest.mark.e2e


async def test_officer_narrows_candidates_as_they_type_and_shortlists(page, portal_url):
    await sign_in_in_english(page, portal_url, "mozambique", "officer@mozambique.demo")
    await page.goto(portal_url + "/mozambique/requests?status=open")
    await page.locator("table.data a").first.click()
    await page.get_by_role("link", name="Find candidates and manage the shortlist").click()
    await page.wait_for_url("**/matches")
    cards = page.locator("#candidates li.candidate")
    assert await cards.count() > 0
    first_score = int(await cards.first.locator(".score").inner_text())
    assert 0 <= first_score <= 100
    assert await cards.first.locator("dl.criteria dt").count() >= 3  # reasons shown
    await screenshot(page, "matching-workspace")

    # Typing narrows the list without reloading the page: the marker survives the swap.
    await page.evaluate("window.__stayed = true")
    name = (await cards.first.locator("h2 a").inner_text()).split()[-1]  # a family name
    ranked = page.locator("#candidates li.candidate h2 a")  # the near misses are h3
    before = await ranked.count()
    await page.fill("#f-q", name)
    await page.wait_for_function(
        "([n, before]) => { const names = [...document.querySelectorAll("
        "'#candidates li.candidate h2 a')].map(a => a.textContent);"
        " return names.length < before && names.some(x => x.includes(n)); }",
        arg=[name, before])
    assert await page.evaluate("window.__stayed") is True
    assert "q=" in page.url  # the address follows, so the narrowed list can be shared
    await screenshot(page, "matching-typed")

    chosen = cards.filter(has_text=name).first
    chosen_name = await chosen.locator("h2 a").inner_text()
    await chosen.locator("button", has_text="Add to the shortlist").click()
    await page.wait_for_url("**#shortlist")
    assert await page.locator("#shortlist tbody tr", has_text=chosen_name).count() == 1
    assert page.console_errors == []
