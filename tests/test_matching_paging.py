"""The matching workspace as a list an officer can scan: the best 20 first, "show more"
with or without htmx (?limit=, refused clearly when it cannot be used, another mission's
request not found whatever it says), every criterion folded under its row, and the near
misses folded in their own section, each with what it misses."""

from __future__ import annotations

import pytest

from tests.accounts_helpers import make_user, sign_in, use_session
from tests.expert_helpers import complete_profile
from tests.html import parse, select_all, select_text
from tests.test_matching import open_request

pytestmark = pytest.mark.usefixtures("in_english")

ROWS = "#candidate-list li.candidate"


@pytest.fixture(scope="module")
async def workspace(client, missions, session_factory, index_now):
    """A Sudan request with 25 eligible experts and one near miss (English below the level
    asked), and staff signed in: the workspace's address."""
    sudan = missions["sudan"]
    request = await open_request(session_factory, sudan)
    for n in range(25):  # the request's skill, so the engine retrieves them
        await complete_profile(session_factory, sudan, status="verified",
                               name=f"Paged Expert {n:02}", skill_code="agronomy")
    await complete_profile(session_factory, sudan, status="verified", name="Nearly Fluent",
                           skill_code="agronomy", language=("en", "B1"))
    await index_now()
    staff = await make_user(session_factory, sudan, "staff")
    use_session(client, None)
    await sign_in(client, sudan, staff.email)
    return f"/sudan/requests/{request.id}/matches"


async def test_the_best_twenty_first_and_twenty_more_at_a_time(client, workspace):
    page = await client.get(workspace)
    assert page.status_code == 200
    html = parse(page.text)
    assert len(html.css(ROWS)) == 20
    assert [node.attributes["id"] for node in html.css(ROWS)][:2] == ["rank-1", "rank-2"]
    assert "25 experts pass the requirements · the best 20 shown" in page.text
    more = html.css_first(".show-more a")
    assert more.text(strip=True) == "Show 5 more candidates"
    # Without JavaScript the link loads the longer list at the first new row; htmx swaps
    # the list alone and keeps the address in step.
    assert more.attributes["href"] == f"{workspace}?limit=40#rank-21"
    assert more.attributes["hx-get"] == f"{workspace}?limit=40"
    assert more.attributes["hx-target"] == "#candidate-list"

    longer = await client.get(f"{workspace}?limit=40")
    assert longer.status_code == 200
    assert len(parse(longer.text).css(ROWS)) == 25
    assert not parse(longer.text).css(".show-more")  # all of them are there
    assert "the best" not in select_text(longer.text, "#candidate-list > p")


async def test_show_more_through_htmx_sends_the_list_alone(client, workspace):
    fragment = await client.get(f"{workspace}?limit=40", headers={
        "HX-Request": "true", "HX-Target": "candidate-list"})
    assert fragment.status_code == 200
    html = parse(fragment.text)
    assert html.css_first("div").attributes["id"] == "candidate-list"
    assert len(html.css(ROWS)) == 25
    assert not html.css("#near-misses, aside.facets, #shortlist, header")
    # The keyboard lands on the first new row, not back at the top of the page...
    assert len(html.css("a[autofocus]")) == 1 and html.css("#rank-21 a[autofocus]")
    # ...while a whole page (back from the shortlist at #shortlist) leaves focus alone.
    assert not parse((await client.get(f"{workspace}?limit=40")).text).css("a[autofocus]")


async def test_the_filters_stay_with_show_more(client, workspace):
    page = await client.get(f"{workspace}?q=Paged&modality=hybrid")
    more = parse(page.text).css_first(".show-more a").attributes["href"]
    assert more == f"{workspace}?q=Paged&modality=hybrid&limit=40#rank-21"


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "201", "2.5", "1e3", "４０", " 40"])
async def test_a_limit_that_cannot_be_used_is_refused_clearly(client, workspace, limit):
    page = await client.get(workspace, params={"limit": limit})
    assert page.status_code == 400
    assert "is not a number of candidates to show: use a whole number from 1 to 200" \
        in select_text(page.text, ".error-detail")


async def test_a_small_limit_lists_that_many(client, workspace):
    page = await client.get(f"{workspace}?limit=3")
    assert len(parse(page.text).css(ROWS)) == 3
    assert "Show 20 more candidates" in page.text  # from the 4th to the 23rd


async def test_another_missions_request_is_not_found_whatever_the_limit(
        client, missions, session_factory, workspace):
    theirs = await open_request(session_factory, missions["mozambique"])
    for limit in ("40", "abc"):
        page = await client.get(f"/sudan/requests/{theirs.id}/matches?limit={limit}")
        assert page.status_code == 404


async def test_every_criterion_folds_out_under_its_row(client, workspace):
    page = await client.get(workspace)
    html = parse(page.text)
    first = html.css_first("#rank-1")
    # The row itself: the score, the required skills as matched, experience, availability.
    assert select_all(first.html, ".key-skills .tags li") == ["✓ Agronomy"]
    assert "12 years" in select_text(first.html, ".key-facts")
    assert "free all 28 days needed" in select_text(first.html, ".key-facts")
    details = first.css_first("details.explanation")
    assert "open" not in details.attributes  # folded
    assert select_all(details.html, "dl.criteria dt")[:2] == ["Required skills",
                                                            "Occupation fit"]
    # The note for the team goes with the row's "Add to the shortlist".
    form_id = first.css_first("form").attributes["id"]
    assert details.css_first("input[name=note]").attributes["form"] == form_id


async def test_near_misses_fold_apart_with_what_they_miss(client, workspace):
    page = await client.get(workspace)
    near = parse(page.text).css_first("details#near-misses")
    assert "open" not in near.attributes  # there are ranked candidates to read first
    assert "Near misses (1)" in near.css_first("summary").text()
    assert select_all(near.html, "li.candidate h3 a") == ["Nearly Fluent"]
    assert select_all(near.html, ".miss") == ["Misses: English at B1, B2 asked"]
    assert not near.css("li.candidate[id]")  # not ranked among the eligible


async def test_with_nobody_eligible_the_near_misses_are_open(client, missions,
                                                             session_factory, workspace):
    nobody = await open_request(session_factory, missions["sudan"], min_years_experience=13)
    page = await client.get(f"/sudan/requests/{nobody.id}/matches")
    assert "No eligible experts" in page.text
    near = parse(page.text).css_first("details#near-misses")
    assert "open" in near.attributes
    assert "12 years of experience for 13 asked" in select_all(near.html, ".miss")[0]
