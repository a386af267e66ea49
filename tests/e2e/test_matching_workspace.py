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
    # A row's reasons are fetched when it is opened.
    await cards.first.locator("details.explanation > summary").click()
    await cards.first.locator("dl.criteria").wait_for()
    assert await cards.first.locator("dl.criteria dt").count() >= 3
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


async def _a_request_with_more_than_20_candidates(page, portal_url) -> str:
    await page.goto(portal_url + "/sudan/requests?status=open")
    links = await page.eval_on_selector_all(
        "table.data tbody a", "links => links.map(a => a.getAttribute('href'))")
    for href in links:
        await page.goto(f"{portal_url}{href}/matches")
        if await page.locator(".show-more a").count():
            return f"{portal_url}{href}/matches"
    raise AssertionError("no demo request has more than 20 eligible candidates")


async def test_officer_reads_the_next_candidates_and_one_explanation(page, page_without_js,
                                                                     portal_url):
    rows = "#candidate-list li.candidate"
    await sign_in_in_english(page, portal_url, "sudan", "officer@sudan.demo")
    workspace = await _a_request_with_more_than_20_candidates(page, portal_url)
    assert await page.locator(rows).count() == 20
    # Every criterion is folded under its row until the officer opens it.
    reasons = page.locator("#rank-1 dl.criteria")
    assert not await reasons.is_visible()
    await page.locator("#rank-1 details.explanation > summary").click()
    await reasons.wait_for()  # fetched when the row is opened
    assert await reasons.is_visible()
    await screenshot(page, "matching-reasons")
    assert not await page.locator("#near-misses li.candidate").first.is_visible()

    # htmx adds the next rows in place; the keyboard is on the first new one.
    await page.evaluate("window.__stayed = true")
    await page.locator(".show-more a").click()
    await page.wait_for_function(
        "() => document.querySelectorAll('#candidate-list li.candidate').length > 20")
    assert await page.evaluate("window.__stayed") is True
    assert "limit=40" in page.url
    assert await page.evaluate("document.activeElement.closest('li').id") == "rank-21"
    await screenshot(page, "matching-more")
    assert page.console_errors == []

    # Without JavaScript the same link loads the longer list at the first new row.
    await sign_in_in_english(page_without_js, portal_url, "sudan", "officer@sudan.demo")
    await page_without_js.goto(workspace)
    await page_without_js.locator(".show-more a").click()
    await page_without_js.wait_for_url("**limit=40#rank-21")
    assert await page_without_js.locator(rows).count() > 20
    # ...and an opened row leads to its reasons on a page of their own, and back to it.
    await page_without_js.locator("#rank-21 details.explanation > summary").click()
    await page_without_js.locator("#rank-21 .reasons a").click()
    assert await page_without_js.locator("dl.criteria dt").count() >= 3
    await page_without_js.get_by_role("link", name="Candidates for request").click()
    await page_without_js.wait_for_url("**limit=40#rank-21")
