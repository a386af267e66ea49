"""Issue 20, in the browser: the main pages in Arabic keep everything inside the page and
people's English text in its own order; on a 375 px phone no page scrolls sideways."""

from __future__ import annotations

import contextlib

import pytest

from app.demo import DEMO_PASSWORD
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@contextlib.asynccontextmanager
async def signed_in(browser, portal_url: str, email: str | None, lang: str, viewport: dict,
                    bypass_csp: bool = False):
    """A browser signed in to Sudan as a demo account (None: a visitor), speaking `lang`."""
    context = await browser.new_context(locale="en-GB", viewport=viewport, bypass_csp=bypass_csp)
    page = await context.new_page()
    try:
        await page.goto(portal_url + "/sudan/sign-in")
        await page.get_by_role("button", name="English").click()
        if email is not None:
            await page.fill("#f-email", email)
            await page.fill("#f-password", DEMO_PASSWORD)
            await page.locator("main button.primary").click()
            await page.wait_for_url("**/sudan/**")
        if lang != "en":
            await page.locator(f'.language-switcher button[value="{lang}"]').click()
            await page.wait_for_load_state()
        yield page
    finally:
        await context.close()


# Elements sticking out of the viewport, except inside a box that scrolls by itself (tables
# on phones) or one deliberately hidden (the skip link until it has the focus).
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const inScrollBox = el => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (s.overflowX === 'auto' || s.overflowX === 'scroll' || s.overflowX === 'hidden') return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || el.closest('.skip-link, .visually-hidden')) continue;
    if ((r.right > width + 1 || r.left < -1) && !inScrollBox(el))
      out.push(el.tagName + '.' + el.className + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, out: out.slice(0, 5)};
}"""

# For an element whose text is English ending in punctuation: is the last character drawn after
# the one before it (to its right), as in English, instead of jumping to the line's start?
PUNCTUATION_KEPT = """(element) => {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  let node, last = null;
  while ((node = walker.nextNode())) if (node.textContent.trim()) last = node;
  const text = last.textContent.replace(/\\s+$/, '');
  const rect = i => { const r = document.createRange(); r.setStart(last, i); r.setEnd(last, i + 1);
                      return r.getBoundingClientRect(); };
  const end = rect(text.length - 1), before = rect(text.length - 2);
  return {char: text[text.length - 1], after: end.left >= before.right - 1,
          sameLine: Math.abs(end.top - before.top) < 2};
}"""

ARABIC_PAGES = ["/sudan/", "/sudan/requests", "/sudan/experts", "/sudan/assignments",
                "/sudan/trainings"]


async def test_main_pages_in_arabic_fit_and_keep_english_punctuation(browser, portal_url):
    async with signed_in(browser, portal_url, "officer@sudan.demo", "ar", DESKTOP) as page:
        for path in ARABIC_PAGES:
            await page.goto(portal_url + path)
            assert await page.get_attribute("html", "dir") == "rtl"
            await screenshot(page, "rtl" + path.replace("/", "-").rstrip("-"))
            layout = await page.evaluate(OVERFLOWING)
            assert layout["scrollWidth"] <= layout["width"], (path, layout)
            assert layout["out"] == [], (path, layout)
        # A request's English terms of reference: each paragraph's full stop stays at its end.
        await page.goto(portal_url + "/sudan/requests")
        await page.locator("table.data tbody a").first.click()
        await page.wait_for_url("**/sudan/requests/*")
        terms = page.locator("p.prewrap")
        assert await terms.count() > 0
        ending = [await terms.nth(i).evaluate(PUNCTUATION_KEPT)
                  for i in range(await terms.count())]
        ending = [kept for kept in ending if kept["char"] == "."]
        assert ending and all(kept["after"] and kept["sameLine"] for kept in ending), ending
        back = page.locator('main a[href="/sudan/requests"]')
        assert (await back.first.inner_text()).strip().startswith("→")


PHONE_PAGES = ["/sudan/", "/sudan/requests", "/sudan/experts", "/sudan/search",
               "/sudan/assignments", "/sudan/trainings", "/sudan/institutions",
               "/sudan/partners", "/sudan/admin/members", "/sudan/admin/audit"]


@pytest.mark.parametrize("lang", ["en", "ar"])
async def test_ten_pages_fit_a_phone(browser, portal_url, lang):
    async with signed_in(browser, portal_url, "admin@sudan.demo", lang, PHONE) as page:
        for path in PHONE_PAGES:
            response = await page.goto(portal_url + path)
            assert response is not None and response.status == 200, path
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], (path, width)
        # The navigation is folded into a menu that opens without JavaScript.
        nav = page.locator("nav.mission-nav")
        assert not await nav.is_visible()
        await page.locator(".nav-menu > summary").click()
        assert await nav.is_visible()
        await screenshot(page, f"phone-menu-{lang}")
