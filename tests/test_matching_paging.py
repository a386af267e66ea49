"""The matching workspace as a list an officer can scan: the best 20 first, "show more"
with or without htmx (?limit=, refused clearly when it cannot be used, another mission's
request not found whatever it says), every criterion folded under its row, and the near
misses folded in their own section, each with what it misses."""

from __future__ import annotations

import uuid

import pytest

from app.assignment_requests.models import AssignmentRequest
from app.matching import controllers
from app.matching.controllers import criterion_labels
from app.matching.services import MatchFilters, find_candidates
from tenants.context import tenant_scope
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
    # Its reasons are fetched when it is opened (most rows never are), from the list's own
    # filters and length; without JavaScript the link opens them on a page of their own.
    profile_id = first.css_first("input[name=profile_id]").attributes["value"]
    assert details.attributes["hx-get"] == f"{workspace}/{profile_id}"
    assert details.attributes["hx-trigger"] == "toggle once"
    assert not details.css("dl.criteria")
    assert details.css_first(".reasons a").attributes["href"] == f"{workspace}/{profile_id}"
    reasons = await client.get(details.attributes["hx-get"], headers={"HX-Request": "true"})
    assert select_all(reasons.text, "dl.criteria dt")[:2] == ["Required skills",
                                                             "Occupation fit"]
    # The note for the team goes with the row's "Add to the shortlist".
    form_id = first.css_first("form").attributes["id"]
    assert details.css_first("input[name=note]").attributes["form"] == form_id
    # A narrowed or longer list's rows ask for the reasons of that list.
    longer = parse((await client.get(f"{workspace}?q=Paged&limit=40")).text)
    assert longer.css_first("#rank-25 details.explanation").attributes["hx-get"].endswith(
        "?q=Paged&limit=40")


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


async def _the_lists_match(app, missions, session_factory, workspace, filters, limit):
    """What the list's own match gives (its candidates, with every row's snippets marked,
    as the list rendered them before the reasons were fetched on opening)."""
    sudan = missions["sudan"]
    request_id = uuid.UUID(workspace.split("/")[3])
    with tenant_scope(sudan):
        async with session_factory() as db:
            row = await db.get(AssignmentRequest, request_id)
            return await find_candidates(db, sudan, app.state.search, row, filters, "en",
                                         limit=limit)


def _expected_reasons(candidate, skill_names) -> dict:
    labels = criterion_labels()
    shown = [c for c in candidate.score.criteria
             if c.value is not None or c.name == "occupation_fit"]
    sources = {"skill": "from the skill", "experience": "from the work history",
               "summary": "from the summary"}
    return {
        "criteria": [labels[c.name] for c in shown],
        "values": [c.value for c in shown if c.value is not None],
        "skills": [" ".join(["✓" if s["strength"] >= 1 else "≈" if s["strength"] > 0 else "✗",
                             skill_names.get(s["skill"], s["skill"]),
                             f"{round(s['strength'] * 100)}%",
                             *([f"({sources[s['source']]}: {s['evidence']})"]
                               if s["evidence"] else [])])
                   for c in shown for s in c.facts.get("skills", ())],
        "snippets": list(candidate.highlights.values()),
    }


def _shown_reasons(body: str) -> dict:
    html = parse(body)
    return {"criteria": select_all(body, "dl.criteria dt"),
            "values": [float(m.attributes["value"]) for m in html.css("dl.criteria meter")],
            "skills": select_all(body, "dl.criteria .tags li"),
            "snippets": [p.inner_html for p in html.css("p.snippet")]}


@pytest.mark.parametrize("query", ["", "?q=Summary&limit=40"])
async def test_a_rows_reasons_are_those_the_list_scored(app, client, missions,
                                                        session_factory, workspace, query):
    """Each row's reasons, fetched on opening, are the ones the list's match gave that
    candidate: the same criteria, values, skills and snippets, near misses included (from
    the list this process just rendered, kept a few minutes)."""
    filters = MatchFilters(q="Summary") if query else MatchFilters()
    found = await _the_lists_match(app, missions, session_factory, workspace, filters,
                                   40 if query else 20)
    controllers._recent_lists.clear()
    html = parse((await client.get(f"{workspace}{query}")).text)
    assert len(controllers._recent_lists) == 1  # the list just rendered
    rows = [*html.css(ROWS), *html.css("#near-misses li.candidate")]
    listed = [*found.candidates, *found.near_misses]
    assert len(rows) == len(listed) == (26 if query else 21)
    assert query == "" or any(c.highlights for c in listed)  # the snippets are compared too
    for row, candidate in zip(rows, listed, strict=True):
        url = row.css_first("details.explanation").attributes["hx-get"]
        assert url == f"{workspace}/{candidate.profile_id}{query}"
        fragment = await client.get(url, headers={"HX-Request": "true"})
        assert fragment.status_code == 200
        assert not parse(fragment.text).css("header, h1")  # the reasons alone
        assert _shown_reasons(fragment.text) == _expected_reasons(candidate, found.skill_names)


async def test_without_javascript_the_reasons_are_a_page_of_their_own(app, client, missions,
                                                                      session_factory,
                                                                      workspace):
    found = await _the_lists_match(app, missions, session_factory, workspace,
                                   MatchFilters(), 20)
    second, near = found.candidates[1], found.near_misses[0]
    # Opened without the list rendered by this process lately: the same match runs again.
    controllers._recent_lists.clear()
    page = await client.get(f"{workspace}/{second.profile_id}")
    assert page.status_code == 200
    assert select_text(page.text, "h1") == f"Why this score: {second.name}"
    assert f'href="{workspace}#rank-2"' in page.text  # back to its row
    assert _shown_reasons(page.text) == _expected_reasons(second, found.skill_names)
    # A near miss's page says what they miss, and leads back to the near misses.
    page = await client.get(f"{workspace}/{near.profile_id}?q=&limit=20")
    assert select_all(page.text, ".miss") == ["Misses: English at B1, B2 asked"]
    assert f'href="{workspace}#near-misses"' in page.text
    assert _shown_reasons(page.text) == _expected_reasons(near, found.skill_names)


async def test_reasons_of_someone_off_the_list_are_refused_clearly(
        client, missions, session_factory, workspace):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    # An expert of the mission who is not a candidate (not verified): said so, with a 4xx.
    _u, draft = await complete_profile(session_factory, sudan, status="submitted",
                                       name="Not Verified Yet", skill_code="agronomy")
    page = await client.get(f"{workspace}/{draft.id}")
    assert page.status_code == 409
    assert f"Expert #{draft.number} is not among the candidates of this list now" \
        in select_text(page.text, ".error-detail")
    # Unknown ids, another mission's expert or request: not found. A bad length: 400.
    _u, theirs = await complete_profile(session_factory, mozambique, status="verified",
                                        skill_code="agronomy")
    their_request = await open_request(session_factory, mozambique)
    assert (await client.get(f"{workspace}/{uuid.uuid4()}")).status_code == 404
    assert (await client.get(f"{workspace}/{theirs.id}")).status_code == 404
    assert (await client.get(f"{workspace}/not-an-id")).status_code == 404
    ours = parse((await client.get(workspace)).text).css_first(
        "#rank-1 input[name=profile_id]").attributes["value"]
    assert (await client.get(
        f"/sudan/requests/{their_request.id}/matches/{ours}")).status_code == 404
    assert (await client.get(f"{workspace}/{ours}?limit=abc")).status_code == 400
