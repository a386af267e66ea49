"""Issue 20: the main pages pass axe-core (the npm package, injected from node_modules) with
no serious or critical violation, in English and in Arabic, for a visitor and each role."""

from __future__ import annotations

import pytest

from app.config import PROJECT_ROOT
from tests.e2e.test_everyday import DESKTOP, signed_in

pytestmark = pytest.mark.e2e

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
  .filter(v => v.impact === 'serious' || v.impact === 'critical')
  .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))"""

PAGES = {
    None: ["/sudan/", "/sudan/sign-in", "/sudan/sign-up", "/sudan/institutions/apply"],
    "officer@sudan.demo": ["/sudan/", "/sudan/requests", "/sudan/experts", "/sudan/search",
                           "/sudan/assignments", "/sudan/trainings", "/sudan/institutions",
                           "/sudan/requests/new"],
    "focal@sudan.demo": ["/sudan/", "/sudan/institution", "/sudan/assignments"],
    "partner@sudan.demo": ["/sudan/", "/sudan/trainings", "/sudan/trainings/new"],
    "admin@sudan.demo": ["/sudan/", "/sudan/admin/members", "/sudan/admin/jobs"],
}


async def serious_violations(page) -> list[str]:
    await page.add_script_tag(path=str(AXE))
    return await page.evaluate(SERIOUS)


def test_axe_core_is_installed_from_npm():
    assert AXE.is_file(), "npm ci installs axe-core (package.json devDependencies)"


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("who", list(PAGES), ids=lambda who: (who or "visitor").split("@")[0])
async def test_main_pages_have_no_serious_accessibility_violation(browser, portal_url, who,
                                                                  lang):
    # The page's Content-Security-Policy forbids inline scripts, so axe's script is let in
    # by the browser context (bypass_csp), not by loosening the portal's policy.
    async with signed_in(browser, portal_url, who, lang, DESKTOP, bypass_csp=True) as page:
        found = {}
        for path in PAGES[who]:
            await page.goto(portal_url + path)
            if violations := await serious_violations(page):
                found[path] = violations
        assert found == {}
