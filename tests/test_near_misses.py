"""The matching workspace when nobody meets every requirement: a clear "no eligible
experts" page with the near misses, each saying what they miss (a module of its own: its
experts would be candidates for the other modules' requests)."""

from __future__ import annotations

import pytest

from tests.accounts_helpers import make_user, sign_in, use_session
from tests.expert_helpers import complete_profile
from tests.test_matching import open_request

pytestmark = pytest.mark.usefixtures("in_english")


async def test_no_eligible_expert_shows_a_clear_page_with_the_near_misses(
        app, client, missions, session_factory, index_now):
    sudan = missions["sudan"]
    request = await open_request(session_factory, sudan, min_years_experience=13)
    _u, expert = await complete_profile(session_factory, sudan, status="verified",
                                        name="Twelve Years Of Work",  # 12 years
                                        skill_code="agronomy")  # the request's skill
    await index_now()
    staff = await make_user(session_factory, sudan, "staff")
    use_session(client, None)
    await sign_in(client, sudan, staff.email)
    page = await client.get(f"/sudan/requests/{request.id}/matches")
    assert page.status_code == 200
    assert "No eligible experts" in page.text
    near = page.text.split("Near misses", 1)[1]
    assert "Twelve Years Of Work" in near
    assert "12 years of experience for 13 asked" in near
