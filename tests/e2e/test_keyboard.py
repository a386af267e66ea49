"""Issue 20: keyboard only. A focal point writes and submits a whole assignment request, and
an expert registers and completes the whole profile, pressing Tab, Shift+Tab, Enter, Space
and typing, never the mouse; at every step the focused element shows a visible focus ring.
(Opening the mailed link and going back to a step are address-bar moves, as a person's.)"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.demo import DEMO_PASSWORD
from tests.documents_helpers import minimal_pdf
from tests.e2e.conftest import screenshot
from tests.e2e.test_expert_profile import verification_link

pytestmark = pytest.mark.e2e

# The focused element: is its focus ring drawn (an outline of at least 2 px) and on screen?
FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {ok: false, what: 'nothing focused'};
  const s = getComputedStyle(el), r = el.getBoundingClientRect();
  return {ok: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2
              && r.width > 0 && r.height > 0,
          what: el.tagName + '#' + el.id + ' ' + (el.textContent || '').trim().slice(0, 40)};
}"""


async def tab_to(page, selector: str, key: str = "Tab", limit: int = 150) -> None:
    """Press Tab (or Shift+Tab) until the element is focused, checking the focus ring of
    every element passed on the way."""
    for _ in range(limit):
        if await page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
        await page.keyboard.press(key)
        focus = await page.evaluate(FOCUS)
        assert focus["ok"], f"no visible focus on {focus['what']} (looking for {selector})"
    raise AssertionError(f"{selector} cannot be reached with {key}")


async def type_into(page, selector: str, text: str) -> None:
    await tab_to(page, selector)
    await page.keyboard.type(text)


async def choose(page, selector: str, option_text: str) -> None:
    """A closed <select> picks the option whose text is typed."""
    await tab_to(page, selector)
    await page.keyboard.type(option_text)
    chosen = await page.eval_on_selector(selector, "e => e.options[e.selectedIndex].text")
    assert chosen.startswith(option_text), (selector, chosen)


async def type_date(page, selector: str, day: date) -> None:
    """Date fields keep the browser's own picker, whose order of day and month follows the
    browser's language: a first date tells the order, Shift+Tab goes back to retype it."""
    await tab_to(page, selector)
    await page.keyboard.type("01022030")
    probe = await page.eval_on_selector(selector, "e => e.value")
    assert probe in ("2030-01-02", "2030-02-01"), probe
    for _ in range(2):
        await page.keyboard.press("Shift+Tab")
    await page.keyboard.type(day.strftime("%m%d%Y" if probe == "2030-01-02" else "%d%m%Y"))
    assert await page.eval_on_selector(selector, "e => e.value") == day.isoformat()


async def activate(page, selector: str, key: str = "Enter") -> None:
    """Reach a link or button and press it; the next page has loaded on return."""
    await tab_to(page, selector)
    async with page.expect_navigation():
        await page.keyboard.press(key)


async def upload(page, selector: str, path) -> None:
    await tab_to(page, selector)
    async with page.expect_file_chooser() as chooser:
        await page.keyboard.press("Space")
    await (await chooser.value).set_files(str(path))


async def sign_in(page, portal_url: str, email: str, password: str) -> None:
    await page.goto(portal_url + "/sudan/sign-in")
    await activate(page, '.language-switcher button[value="en"]')
    await type_into(page, "#f-email", email)
    await type_into(page, "#f-password", password)
    async with page.expect_navigation():
        await page.keyboard.press("Enter")  # submits the form from its last field


@pytest.fixture
async def keyboard_page(browser):
    context = await browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    yield page
    await context.close()


async def test_a_focal_point_writes_and_submits_a_request_by_keyboard(keyboard_page, portal_url,
                                                                      tmp_path):
    page = keyboard_page
    await sign_in(page, portal_url, "focal@sudan.demo", DEMO_PASSWORD)
    await activate(page, 'nav a[href="/sudan/institution"]')
    await activate(page, 'main a[href="/sudan/requests/new"]')

    await type_into(page, "#f-title", "Train 20 engineers in leak detection")
    await type_into(page, "#f-objectives", "Reduce water losses in the capital.")
    await type_into(page, "#f-tasks", "Run a two-week course.")
    await activate(page, "button[name=save_next]")
    assert page.url.endswith("/edit/profile")

    await choose(page, "#f-sector", "Water management")
    await type_into(page, "#f-required_skills", "Water treatment")
    await type_into(page, "#f-min_years_experience", "5")
    await choose(page, "#f-lang-0-language", "English")
    await choose(page, "#f-lang-0-min_level", "B2")
    await activate(page, "button[name=save_next]")
    assert page.url.endswith("/edit/logistics")

    start = date.today() + timedelta(days=40)
    await choose(page, "#f-modality", "On site")
    await type_into(page, "#f-city", "Port Sudan")
    await type_into(page, "#f-duration_weeks", "4")
    await type_date(page, "#f-earliest_start", start)
    await type_date(page, "#f-latest_start", start + timedelta(days=30))
    await activate(page, "button[name=save_next]")
    assert page.url.endswith("/document")

    terms = tmp_path / "terms.pdf"
    terms.write_bytes(minimal_pdf("Terms of reference"))
    await upload(page, "#f-document", terms)
    await activate(page, "main form button[type=submit]")
    await activate(page, 'button[name=action][value="submit"]')
    status = page.locator("main strong").first
    assert await status.inner_text() == "Submitted to the mission"
    await screenshot(page, "keyboard-request-submitted")


async def test_an_expert_registers_and_completes_the_profile_by_keyboard(keyboard_page,
                                                                         portal_url, tmp_path):
    page, email, password = keyboard_page, "keyboard.expert@example.org", "river delta mango 42"
    await page.goto(portal_url + "/sudan/sign-up")
    await activate(page, '.language-switcher button[value="en"]')
    await type_into(page, "#f-name", "Keyboard Expert")
    await type_into(page, "#f-email", email)
    await type_into(page, "#f-password", password)
    await type_into(page, "#f-password_confirm", password)
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert await page.locator("main h1").inner_text() == "Check your email"
    await page.goto(portal_url + await verification_link(page, portal_url, email))
    await activate(page, "main button.primary")  # Confirm my address
    await sign_in(page, portal_url, email, password)
    await activate(page, 'nav a[href="/sudan/me"]')
    await activate(page, 'main a[href="/sudan/me/profile/personal"]')

    await choose(page, "#f-gender", "Female")
    await type_into(page, "#f-birth_year", "1980")
    await choose(page, "#f-nationality", "Sudan")
    await choose(page, "#f-residence_country", "Netherlands")
    await type_into(page, "#f-residence_city", "Utrecht")
    await type_into(page, "#f-phone", "+31 6 1234 5678")
    await activate(page, "button[name=save_next]")

    await choose(page, "#f-lang-0-language", "Arabic")
    await choose(page, "#f-lang-0-level", "Native")
    await activate(page, "button[name=save_next]")

    await choose(page, "#f-edu-0-level", "Master")
    await type_into(page, "#f-edu-0-field", "Hydraulic engineering")
    await type_into(page, "#f-edu-0-institution", "Delft University of Technology")
    await type_into(page, "#f-edu-0-year", "2008")
    await type_into(page, "#f-work-0-title", "Water engineer")
    await type_into(page, "#f-work-0-employer", "Vitens")
    await choose(page, "#f-work-0-country", "Netherlands")
    await type_date(page, "#f-work-0-started_on", date(2009, 3, 1))
    await type_into(page, "#f-work-0-description", "Leak detection in city networks.")
    await activate(page, "button[name=save_next]")

    await tab_to(page, 'input[name=sectors][value="water_management"]')
    await page.keyboard.press("Space")
    await type_into(page, "#f-new_skills", "Water treatment")
    await type_into(page, "#f-years_experience", "15")
    await type_into(page, "#f-summary", "Water engineer, 15 years in leak detection.")
    await activate(page, "button[name=save_next]")

    await choose(page, "#f-modality", "Hybrid")
    await type_into(page, "#f-min_weeks", "2")
    await type_into(page, "#f-max_weeks", "8")
    await choose(page, "#f-window-0-kind", "Available")
    await type_date(page, "#f-window-0-starts_on", date.today() + timedelta(days=30))
    await type_date(page, "#f-window-0-ends_on", date.today() + timedelta(days=200))
    await activate(page, "button[name=save_next]")

    cv = tmp_path / "cv.pdf"
    cv.write_bytes(minimal_pdf("Curriculum vitae of a water engineer"))
    await upload(page, "#f-cv", cv)
    await activate(page, "main form button[type=submit]")

    await page.goto(portal_url + "/sudan/me/profile/consent")
    await tab_to(page, 'input[name=purposes][value="matching"]')
    await page.keyboard.press("Space")
    await activate(page, "button[name=save_next]")

    await page.goto(portal_url + "/sudan/me")
    assert await page.locator("main progress").get_attribute("value") == "100"
    await activate(page, "main form button.primary")  # Submit my profile for review
    assert "Submitted for review" in await page.locator("main").inner_text()
    await screenshot(page, "keyboard-profile-submitted")
