"""Staff's board by status: a card moves on with exactly the rules of the assignment's page
(the same service), by htmx (only the board comes back, a refusal shown on its card) or by
a plain form without JavaScript (back to the board; a refusal with its status)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.assignment_requests.models import AssignmentRequest
from app.assignments import services
from app.assignments.models import Assignment, Milestone
from tenants.context import tenant_scope
from tests.assignment_helpers import an_assignment
from tests.conftest import csrf_token
from tests.html import field_error, parse, select_all

pytestmark = pytest.mark.usefixtures("in_english")
HTMX = {"HX-Request": "true", "HX-Target": "board"}


async def stored(session_factory, tenant, assignment_id) -> Assignment:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(Assignment).where(Assignment.id == assignment_id))


async def test_cards_move_with_the_page_s_rules(client, missions, session_factory, officer):
    sudan = missions["sudan"]
    async with session_factory() as db:
        assignment_id = await an_assignment(db, sudan)
    with tenant_scope(sudan):
        async with session_factory() as db:
            await services.ensure_checklist(db, sudan)  # the mission's preparation checklist
            await db.commit()
    row = await stored(session_factory, sudan, assignment_id)
    board = await client.get("/sudan/assignments/board")
    assert board.status_code == 200
    assert select_all(board.text, f'section[aria-labelledby="col-planned"] #card-{assignment_id}')
    token = await csrf_token(client, "/sudan/assignments/board")
    url = f"/sudan/assignments/{assignment_id}/move"
    form = {"action": "contract", "version": str(row.version), "next": "board",
            "_csrf_token": token}
    # Without JavaScript: the form posts and the board comes back.
    plain = await client.post(url, data=form, follow_redirects=False)
    assert plain.status_code == 303 and plain.headers["location"] == "/sudan/assignments/board"
    assert (await stored(session_factory, sudan, assignment_id)).status == "contracted"
    # With htmx: the gate refuses the start, on the card, and only the board is sent.
    refused = await client.post(url, headers=HTMX, data={
        **form, "action": "start", "version": str(row.version + 1)})
    assert refused.status_code == 200 and "<html" not in refused.text, refused.text[:300]
    assert select_all(refused.text, f"#card-{assignment_id} .error")[0].startswith(
        "The preparation checklist is not complete")
    assert (await stored(session_factory, sudan, assignment_id)).status == "contracted"
    # Without JavaScript the same refusal keeps its status.
    again = await client.post(url, data={**form, "action": "start",
                                         "version": str(row.version + 1)})
    assert again.status_code == 409 and "checklist is not complete" in again.text
    # A stale card (someone moved it meanwhile) is refused, not applied.
    stale = await client.post(url, headers=HTMX, data={**form, "action": "cancel"})
    assert "changed this assignment" in stale.text
    # A move that needs a reason is not offered on the board.
    assert not select_all(stale.text, f'#card-{assignment_id} input[value="cancel"]')
    assert select_all(stale.text,
                      f'section[aria-labelledby="col-contracted"] #card-{assignment_id}')


async def test_who_is_where_when(client, missions, session_factory, officer):
    sudan = missions["sudan"]
    today = services.mission_today(sudan)
    ids = {}
    for name, status, start in (("now", "in_progress", today - timedelta(days=3)),
                                ("far", "planned", today + timedelta(weeks=40)),
                                ("off", "cancelled", today)):
        async with session_factory() as db:
            ids[name] = await an_assignment(db, sudan, status=status)
        with tenant_scope(sudan):
            async with session_factory() as db:
                row = await db.scalar(select(Assignment).where(Assignment.id == ids[name]))
                row.planned_start, row.planned_end = start, start + timedelta(weeks=3)
                row.duty_station = f"Station {name}"
                await db.commit()
    page = await client.get("/sudan/assignments/timeline")
    assert page.status_code == 200
    assert "Station now" in page.text
    assert "Station far" not in page.text and "Station off" not in page.text
    [row] = [tr for tr in parse(page.text).css("tbody tr") if "Station now" in tr.text()]
    bar = row.css_first("td.bar")
    # Four weeks of history first, then the bar over the assignment's weeks.
    assert int(row.css_first("td").attributes["colspan"]) in (3, 4)
    assert int(bar.attributes["colspan"]) in (3, 4)
    assert len(parse(page.text).css("thead th.week")) == services.TIMELINE_WEEKS


async def test_the_board_and_the_timeline_take_the_list_s_filters(client, missions,
                                                                  session_factory, officer):
    """The same filters as the list (one form, one reading), held in the address; a card
    moved on a filtered board brings the filtered board back, with or without htmx."""
    sudan = missions["sudan"]
    start = services.mission_today(sudan) + timedelta(days=7)
    ids = {}
    for word in ("Kestrel", "Heron"):
        async with session_factory() as db:
            ids[word] = await an_assignment(db, sudan)
        with tenant_scope(sudan):
            async with session_factory() as db:
                row = await db.scalar(select(Assignment).where(Assignment.id == ids[word]))
                row.planned_start, row.planned_end = start, start + timedelta(weeks=2)
                row.duty_station = f"Station {word}"
                request = await db.scalar(select(AssignmentRequest).where(
                    AssignmentRequest.id == row.request_id))
                request.title = f"{word} water survey"
                await db.commit()
    board = await client.get("/sudan/assignments/board?q=Kestrel&status=planned")
    assert board.status_code == 200
    cards = parse(board.text).css("li.board-card")
    assert [c.attributes["id"] for c in cards] == [f"card-{ids['Kestrel']}"]
    page = parse(board.text)
    assert page.css_first("#f-q").attributes["value"] == "Kestrel"
    assert page.css_first('#f-status option[selected]').attributes["value"] == "planned"
    # The way back to the list and on to the timeline keeps them.
    links = [a.attributes["href"] for a in page.css("main a")]
    assert "/sudan/assignments?status=planned&q=Kestrel" in links
    assert "/sudan/assignments/timeline?status=planned&q=Kestrel" in links
    # A move from the filtered board: the same board comes back.
    token = await csrf_token(client, "/sudan/assignments/board")
    url = f"/sudan/assignments/{ids['Kestrel']}/move"
    form = {"action": "contract", "version": "1", "next": "board",
            "filters": "status=planned&q=Kestrel", "_csrf_token": token}
    plain = await client.post(url, data=form, follow_redirects=False)
    assert plain.status_code == 303
    assert plain.headers["location"] == "/sudan/assignments/board?status=planned&q=Kestrel"
    moved = await client.post(f"/sudan/assignments/{ids['Heron']}/move", headers=HTMX, data={
        **form, "filters": "q=Kestrel"})
    assert moved.status_code == 200
    assert [c.attributes["id"] for c in parse(moved.text).css("li.board-card")] == \
        [f"card-{ids['Kestrel']}"]
    assert (await stored(session_factory, sudan, ids["Heron"])).status == "contracted"
    # The timeline reads them too, and marks what is overdue like every list.
    with tenant_scope(sudan):
        async with session_factory() as db:
            db.add(Milestone(tenant_id=sudan.id, assignment_id=ids["Heron"], title="Plan",
                             due_date=services.mission_today(sudan) - timedelta(days=1)))
            await db.commit()
    timeline = await client.get("/sudan/assignments/timeline?q=Heron")
    assert timeline.status_code == 200
    assert "Station Heron" in timeline.text and "Station Kestrel" not in timeline.text
    assert select_all(timeline.text, "tr.overdue-row .overdue") == ["1 milestone overdue"]
    overdue = await client.get("/sudan/assignments/timeline?overdue=1&q=water+survey")
    assert "Station Heron" in overdue.text and "Station Kestrel" not in overdue.text
    # A filter that cannot be read is refused at its field, on each of them.
    for path in ("/sudan/assignments/board", "/sudan/assignments/timeline"):
        bad = await client.get(f"{path}?from=2027-03-01&to=2027-02-01&status=lost")
        assert bad.status_code == 400
        assert field_error(bad.text, "to") == "The end comes before the start."
        assert field_error(bad.text, "status")
        assert not parse(bad.text).css("li.board-card, td.bar")
