"""A programme officer takes a demo assignment from planned to evaluated in the browser:
the contract, the preparation checklist ticked item by item, the start, the outputs, the
completion, and the close without the institution's evaluation (with a reason); then the
completion letter is there. On the way, two evidence files of one milestone, one removed
again. A screenshot at each step (var/screenshots/assignment-*.png)."""

from __future__ import annotations

import pytest

from tests.documents_helpers import minimal_pdf
from tests.e2e.conftest import screenshot, sign_in_in_english

pytestmark = pytest.mark.e2e


async def move(page, action: str) -> None:
    await page.locator(f'form[action$="/move"] button[value="{action}"]').click()
    await page.wait_for_load_state()


async def hand_in(page, milestone, path) -> None:
    await milestone.locator('input[type="file"]').set_input_files(str(path))
    await milestone.get_by_role("button", name="Hand in").click()
    await page.wait_for_load_state()


async def test_officer_moves_an_assignment_from_planned_to_evaluated(page, portal_url,
                                                                     tmp_path):
    await sign_in_in_english(page, portal_url, "sudan", "officer@sudan.demo")
    await page.goto(portal_url + "/sudan/assignments?status=planned")
    await page.locator("table.data tbody a").first.click()
    await page.wait_for_url("**/assignments/*")
    status = page.locator("main > p strong").first
    assert await status.inner_text() == "Planned"
    # The milestones came from the request's terms of reference.
    assert await page.locator("#milestones tbody tr").count() > 0
    await screenshot(page, "assignment-1-planned")

    await move(page, "contract")
    assert await status.inner_text() == "Contracted"
    # Starting before the checklist is done is refused, saying what is missing.
    await move(page, "start")
    assert "checklist is not complete" in await page.locator(".flash-error").inner_text()
    while await page.locator('#checklist button[aria-pressed="false"]').count():
        await page.locator('#checklist button[aria-pressed="false"]').first.click()
        await page.wait_for_load_state()
    await screenshot(page, "assignment-2-prepared")
    await move(page, "start")
    assert await status.inner_text() == "In progress"

    await page.fill("#f-trained_female", "11")
    await page.fill("#f-trained_male", "9")
    await page.fill("#f-sessions_held", "6")
    await page.get_by_role("button", name="Save the outputs").click()
    await page.wait_for_load_state()
    assert await page.input_value("#f-trained_female") == "11"
    # A milestone keeps several evidence files; staff remove the one handed in by mistake.
    for name in ("inception-note.pdf", "wrong-version.pdf"):
        (tmp_path / name).write_bytes(minimal_pdf(name))
    milestone = page.locator("#milestones tbody tr").first
    await hand_in(page, milestone, tmp_path / "inception-note.pdf")
    await hand_in(page, milestone, tmp_path / "wrong-version.pdf")
    files = milestone.locator("li a")
    assert await files.all_inner_texts() == ["inception-note.pdf", "wrong-version.pdf"]
    await milestone.get_by_role("button", name="Remove the evidence file wrong-version.pdf").click()
    await page.wait_for_load_state()
    assert await files.all_inner_texts() == ["inception-note.pdf"]
    await screenshot(page, "assignment-3-in-progress")

    await move(page, "complete")
    assert await status.inner_text() == "Completed"
    await screenshot(page, "assignment-4-completed")
    # No report, no evaluation: staff close it all the same, and say why.
    await page.fill("#f-move-reason", "The institution did not answer three reminders.")
    await move(page, "close_without_evaluation")
    assert await status.inner_text() == "Evaluated"
    letter = page.get_by_role("link", name="Download the completion letter (PDF)")
    response = await page.request.get(portal_url + await letter.get_attribute("href"))
    assert response.status == 200 and (await response.body()).startswith(b"%PDF-")
    history = await page.locator("ol.timeline").inner_text()
    assert "Close without the institution's evaluation" in history
    await screenshot(page, "assignment-5-evaluated")
    # The one refused start (409) is the only error the browser saw.
    assert [e for e in page.console_errors if "409" not in e] == []


async def test_the_board_moves_a_card_without_reloading(page, portal_url):
    await sign_in_in_english(page, portal_url, "mozambique", "officer@mozambique.demo")
    await page.goto(portal_url + "/mozambique/assignments/board")
    planned = page.locator('section[aria-labelledby="col-planned"] li.board-card').first
    card_id = await planned.get_attribute("id")
    await page.evaluate("window.__stayed = true")
    await planned.get_by_role("button", name="Contract signed →").click()
    contracted = page.locator(f'section[aria-labelledby="col-contracted"] li#{card_id}')
    await contracted.wait_for()
    assert await page.evaluate("window.__stayed") is True  # htmx swapped the board only
    # The gate's refusal shows on the card.
    await contracted.get_by_role("button", name="Start the assignment →").click()
    await page.locator(f"li#{card_id} .error").wait_for()
    assert "checklist is not complete" in await page.locator(f"li#{card_id} .error").inner_text()
    await screenshot(page, "assignment-board")
    assert page.console_errors == []


async def test_the_institution_evaluates_and_staff_accept_both_parts_then_evaluate(
        page, browser, portal_url):
    """The usual way to evaluated: the demo's completed assignment has the expert's final
    report; the institution's focal point sends its evaluation from "Our experts", and the
    officer accepts the report and the evaluation, then marks it evaluated."""
    await sign_in_in_english(page, portal_url, "mozambique", "focal@mozambique.demo")
    await page.goto(portal_url + "/mozambique/assignments")
    assert await page.locator("h1").inner_text() == "Our experts"
    row = page.locator("table.data tbody tr", has_text="Completed").first
    await row.locator("a").first.click()
    await page.wait_for_url("**/assignments/*")
    url = page.url
    for criterion, score in (("relevance", 5), ("quality", 4), ("timeliness", 4),
                             ("knowledge_transfer", 5), ("would_host_again", 5)):
        await page.check(f'#evaluation input[name="{criterion}"][value="{score}"]')
    await page.fill("#f-comments", "The team now runs the tests on its own.")
    await page.get_by_role("button", name="Send the evaluation to the mission").click()
    await page.wait_for_load_state()
    assert "Waiting for the mission's review" in await page.locator("#evaluation h2").inner_text()
    await screenshot(page, "assignment-6-evaluation-sent")
    assert page.console_errors == []

    context = await browser.new_context(locale="en-GB")
    staff = await context.new_page()
    try:
        await sign_in_in_english(staff, portal_url, "mozambique", "officer@mozambique.demo")
        await staff.wait_for_url("**/mozambique/**")
        await staff.goto(url)
        # Evaluating waits for both parts to be accepted.
        await move(staff, "evaluate")
        assert await staff.locator(".flash-error").count() == 1
        for part in ("report", "evaluation"):
            await staff.locator(f'#{part} button[value="accept"]').click()
            await staff.wait_for_load_state()
            assert "Accepted" in await staff.locator(f"#{part} h2").inner_text()
        await move(staff, "evaluate")
        assert await staff.locator("main > p strong").first.inner_text() == "Evaluated"
        await staff.get_by_role("link", name="Download the completion letter (PDF)").wait_for()
        await screenshot(staff, "assignment-7-evaluated-after-review")
    finally:
        await context.close()
