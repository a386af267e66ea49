"""Reports (issue 19): every figure of the dashboards against values computed by hand on the
fixed data set of tests/reports_helpers.py; filters in the URL; small-cell protection for
partners (and none for staff or for a partner's own agency); exports equal to the screen."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.core.errors import FormErrors
from app.reports.charts import bar_chart
from app.reports.tables import COUNT, MEAN, Column, Table, protect
from tenants.context import tenant_scope
from tests.accounts_helpers import make_user, sign_in, use_session
from tests.api_helpers import api_token, bearer
from tests.html import field_error, parse, select_all, table_rows
from tests.reports_helpers import ReportData, fill_report_data

pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture(scope="module")
async def data(session_factory, missions) -> ReportData:
    return await fill_report_data(session_factory, missions["sudan"])


def figures(body: str, key: str) -> list[list[str]]:
    return table_rows(body, f'table[data-table="{key}"]')


async def dashboard(client, url: str = "/sudan/reports") -> str:
    response = await client.get(url)
    assert response.status_code == 200, response.text[:2000]
    return response.text


# --- the mission dashboard ------------------------------------------------------------------

async def test_registry_figures(client, data, officer):
    body = await dashboard(client)
    assert figures(body, "registry.experts_by_status") == [
        ["Draft", "1"], ["Submitted", "1"], ["Verified", "5"], ["Inactive", "0"],
        ["Withdrawn", "0"], ["Rejected", "1"], ["Total", "8"]]
    assert figures(body, "registry.experts_by_sector") == [
        ["Education", "5"], ["Water management", "4"]]
    assert figures(body, "registry.experts_by_country") == [
        ["Netherlands", "3"], ["Germany", "2"], ["United Kingdom", "2"], ["Not stated", "1"],
        ["Total", "8"]]
    assert figures(body, "registry.experts_by_sex") == [
        ["Female", "4"], ["Male", "2"], ["Other", "1"], ["Prefer not to say", "1"],
        ["Total", "8"]]
    assert figures(body, "registry.experts_by_language") == [
        ["Arabic", "4"], ["English", "3"], ["German", "1"]]
    assert figures(body, "registry.registrations_by_month") == [
        ["2026-01", "2"], ["2026-02", "2"], ["2026-03", "4"], ["Total", "8"]]


async def test_demand_figures(client, data, officer):
    body = await dashboard(client)
    assert figures(body, "demand.requests_by_state") == [
        ["Draft", "1"], ["Submitted to the mission", "0"], ["Open for matching", "1"],
        ["Shortlisting", "1"], ["Filled", "2"], ["Closed", "0"], ["Not accepted", "0"],
        ["Cancelled", "1"], ["Total", "6"]]
    assert figures(body, "demand.requests_by_sector") == [
        ["Water management", "3"], ["Education", "2"], ["No sector", "1"], ["Total", "6"]]
    # Opened: 1, 2, 3, 4, 6; filled: 1 and 4 (6's assignment was cancelled). Days to the
    # shortlist: 4 (1), 6 (2), 2 (4); to the first selection: 10 (1), 8 (4), 10 (6).
    assert figures(body, "demand.time_to_fill") == [
        ["Water management", "3", "1", "33%", "5.0", "10.0"],
        ["Education", "2", "1", "50%", "2.0", "8.0"],
        ["All sectors", "5", "2", "40%", "4.0", "10.0"]]


async def test_assignment_figures(client, data, officer):
    body = await dashboard(client)
    assert figures(body, "assignments.assignments_by_status") == [
        ["Planned", "0"], ["Contracted", "0"], ["In progress", "1"], ["Completed", "1"],
        ["Evaluated", "0"], ["Cancelled", "1"], ["Total", "3"]]
    # The one accepted evaluation: (5 + 4 + 3 + 4 + 4) / 5.
    assert figures(body, "assignments.assignments_by_sector") == [
        ["Water management", "2", "1", "4.0"], ["Education", "1", "0", "–"],
        ["All sectors", "3", "1", "4.0"]]
    assert figures(body, "assignments.completed_by_quarter") == [
        ["2026-Q2", "1"], ["Total", "1"]]


async def test_training_figures_for_staff_are_not_suppressed(client, data, officer):
    body = await dashboard(client)
    assert figures(body, "trainings.trainings_by_quarter") == [
        ["2026-Q1", "2", "19"], ["2026-Q2", "2", "27"], ["Total", "4", "46"]]
    assert figures(body, "trainings.participants_by_sex") == [
        ["Female", "23"], ["Male", "19"], ["Other", "1"], ["Not recorded", "3"],
        ["Total", "46"]]
    assert figures(body, "trainings.trainings_by_target_group") == [
        ["Not stated", "1", "23"], ["Police officers", "2", "13"], ["Prosecutors", "1", "10"],
        ["Total", "4", "46"]]
    assert figures(body, "trainings.trainings_by_area") == [
        ["Counter-trafficking", "3", "11", "11", "1", "0", "23"],
        ["Protection", "1", "12", "8", "0", "3", "23"],
        ["Total", "4", "23", "19", "1", "3", "46"]]
    assert figures(body, "trainings.trainings_by_agency") == [
        ["Agency Alpha", "2", "9", "9", "1", "0", "19"],
        ["Agency Beta", "2", "14", "10", "0", "3", "27"],
        ["Total", "4", "23", "19", "1", "3", "46"]]
    # T1 trained 10; below it T2 (9, Alpha) and T3 (4, Beta), at any depth.
    assert figures(body, "trainings.cascade_reach") == [
        ["training_of_trainers 2026-01-12", "2", "10", "13"], ["Total", "2", "10", "13"]]
    assert "&lt;5" not in body


# --- people trained, counted once --------------------------------------------------------------

async def test_people_trained_count_a_linked_activity_once(client, data, officer):
    body = await dashboard(client)
    # Activities held: T1 3 + 7, T2 6 + 2 + 1, T3 2 + 2, T4 12 + 8 + 3 not recorded. Assignment
    # 1's outputs (5 + 7) are T1's participants, linked to it: not counted again. Assignment
    # 2's (2 + 1 + 4 not recorded) count: its only linked activity is still planned.
    assert figures(body, "outputs.people_trained") == [
        ["Activities of partner agencies", "23", "19", "1", "3", "46"],
        ["Assignments without a linked activity", "2", "1", "0", "4", "7"],
        ["Total", "25", "20", "1", "7", "53"]]
    # The project paid for assignment 1, T1 and T2: 19 people, not 19 + 12.
    body = await dashboard(client, f"/sudan/reports/project?project={data.project_id}")
    assert figures(body, "outputs.people_trained") == [
        ["Activities of partner agencies", "9", "9", "1", "0", "19"],
        ["Assignments without a linked activity", "0", "0", "0", "0", "0"],
        ["Total", "9", "9", "1", "0", "19"]]
    # T1 is before the period: assignment 1 (ended in April) still does not count its people,
    # who are counted once, in January, with T1.
    body = await dashboard(client, f"/sudan/reports/project?project={data.project_id}"
                                   "&from=2026-02-01")
    assert figures(body, "outputs.people_trained") == [
        ["Activities of partner agencies", "6", "2", "1", "0", "9"],
        ["Assignments without a linked activity", "0", "0", "0", "0", "0"],
        ["Total", "6", "2", "1", "0", "9"]]
    # A filter one record does not carry leaves it out: activities have no sector,
    # assignments no partner agency.
    body = await dashboard(client, "/sudan/reports?sector=education")
    assert figures(body, "outputs.people_trained") == [
        ["Assignments without a linked activity", "2", "1", "0", "4", "7"],
        ["Total", "2", "1", "0", "4", "7"]]
    body = await dashboard(client, f"/sudan/reports?agency={data.agency_x}")
    assert figures(body, "outputs.people_trained") == [
        ["Activities of partner agencies", "9", "9", "1", "0", "19"],
        ["Total", "9", "9", "1", "0", "19"]]


async def test_filters_are_in_the_url(client, data, officer):
    body = await dashboard(client, "/sudan/reports?from=2026-02-01&to=2026-03-31")
    assert figures(body, "registry.experts_by_status")[-1] == ["Total", "6"]
    assert figures(body, "trainings.trainings_by_quarter") == [["2026-Q1", "1", "9"],
                                                               ["Total", "1", "9"]]
    body = await dashboard(client, "/sudan/reports?sector=education")
    assert figures(body, "registry.experts_by_status")[2] == ["Verified", "4"]
    assert figures(body, "demand.requests_by_sector") == [["Education", "2"], ["Total", "2"]]
    body = await dashboard(client, f"/sudan/reports?agency={data.agency_x}"
                                   "&area=counter_trafficking")
    assert figures(body, "trainings.trainings_by_quarter") == [["2026-Q1", "2", "19"],
                                                               ["Total", "2", "19"]]
    # The form shows the filters chosen, and the exports carry them.
    assert parse(body).css_first("#f-area option[selected]").attributes["value"] \
        == "counter_trafficking"
    assert all(f"agency={data.agency_x}" in (link.attributes["href"] or "")
               for link in parse(body).css(".downloads a"))


async def test_bad_filters_are_refused_next_to_the_field(client, data, officer):
    response = await client.get("/sudan/reports?from=2026-13-01&sector=astrology&agency=x")
    assert response.status_code == 400
    assert field_error(response.text, "from") == "Use a date like 2026-03-31."
    assert field_error(response.text, "sector") == "Choose one of the options listed."
    assert field_error(response.text, "agency") == "Choose one of the options listed."
    response = await client.get("/sudan/reports?from=2026-03-01&to=2026-02-01")
    assert field_error(response.text, "to") == "The end comes before the start."
    response = await client.get("/sudan/reports/export.csv?table=registry.experts_by_status"
                                "&from=yesterday")
    assert response.status_code == 400
    response = await client.get("/sudan/reports/export.csv?table=nothing")
    assert response.status_code == 400
    assert select_all(response.text, ".flash-error") == [
        "Choose a table of the report to download."]


# --- supply against demand ------------------------------------------------------------------

async def test_supply_against_demand(client, data, officer):
    body = await dashboard(client, "/sudan/reports/supply")
    # Open: 2 (water, wants 2, leak detection) and 3 (education, wants 1, leak detection and
    # syllabus design). Available now: 901 (water) and 908 (education), both with leak
    # detection; 902 is on an assignment, 903 is not verified, 905 withdrew consent, 907 is
    # away today.
    assert figures(body, "supply.supply_by_sector") == [
        ["Water management", "1", "2", "1", "1"], ["Education", "1", "1", "1", "0"]]
    assert figures(body, "supply.supply_by_skill") == [
        ["Leak detection", "2", "3", "2", "1"], ["Syllabus design", "1", "1", "0", "1"]]
    body = await dashboard(client, "/sudan/reports/supply?sector=education")
    assert figures(body, "supply.supply_by_sector") == [["Education", "1", "1", "1", "0"]]
    # The skill's experts are all who hold it, whatever their sectors.
    assert figures(body, "supply.supply_by_skill") == [
        ["Syllabus design", "1", "1", "0", "1"], ["Leak detection", "1", "1", "2", "0"]]


# --- partners -------------------------------------------------------------------------------

async def test_a_partner_sees_their_agency_as_it_is_and_the_mission_protected(
        client, data, signed_in_as):
    await signed_in_as("partner_user", partner_agency_id=data.agency_x)
    body = await dashboard(client, "/sudan/reports/partner")
    # Their own agency: the small figures as they are (one "other" participant).
    assert figures(body, "own.participants_by_sex") == [
        ["Female", "9"], ["Male", "9"], ["Other", "1"], ["Not recorded", "0"], ["Total", "19"]]
    assert figures(body, "own.trainings_by_agency") == [
        ["Agency Alpha", "2", "9", "9", "1", "0", "19"],
        ["Total", "2", "9", "9", "1", "0", "19"]]
    # Their cascades, not another agency's session below them.
    assert figures(body, "own.cascade_reach") == [
        ["training_of_trainers 2026-01-12", "1", "10", "9"], ["Total", "1", "10", "9"]]
    # The other agencies (Beta's two activities): 1 to 4 hidden, and the counts that would
    # give them away. Not the whole mission: less Alpha's own figures, it would tell them.
    assert figures(body, "others.participants_by_sex") == [
        ["Female", "14"], ["Male", "<5"], ["Other", "0"], ["Not recorded", "<5"],
        ["Total", "27"]]
    assert figures(body, "others.trainings_by_quarter") == [
        ["2026-Q2", "<5", "27"], ["Total", "<5", "27"]]
    # Counter-trafficking's small counts hide protection's in their columns (else the
    # totals tell them); then the total row's men hide with its not-recorded count.
    assert figures(body, "others.trainings_by_area") == [
        ["Counter-trafficking", "<5", "<5", "<5", "0", "0", "<5"],
        ["Protection", "<5", "<5", "<5", "0", "<5", "<5"],
        ["Total", "<5", "14", "<5", "0", "<5", "27"]]
    assert figures(body, "others.trainings_by_agency") == [
        ["Agency Beta", "<5", "14", "<5", "0", "<5", "27"],
        ["Total", "<5", "14", "<5", "0", "<5", "27"]]
    assert not select_all(body, 'table[data-table="others.cascade_reach"]')
    # Neither the mission's pages nor another agency's own figures.
    assert (await client.get("/sudan/reports")).status_code == 403
    assert (await client.get("/sudan/reports/supply")).status_code == 403


async def test_a_partner_export_is_protected_like_the_screen(client, data, signed_in_as):
    await signed_in_as("partner_user", partner_agency_id=data.agency_x)
    body = await dashboard(client, "/sudan/reports/partner")
    response = await client.get("/sudan/reports/partner/export.csv?table=others.trainings_by_area")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[1:] == figures(body, "others.trainings_by_area")


# --- funding projects -----------------------------------------------------------------------

async def test_a_project_report_shows_what_the_project_paid_for(client, data, officer):
    body = await dashboard(client, "/sudan/reports/project")
    assert not select_all(body, "table[data-table]")  # nothing until a project is chosen
    body = await dashboard(client, f"/sudan/reports/project?project={data.project_id}")
    assert "Reports test project" in select_all(body, "#project-heading")
    assert figures(body, "assignments.assignments_by_status")[-1] == ["Total", "1"]
    assert figures(body, "assignments.completed_by_quarter") == [["2026-Q2", "1"],
                                                                 ["Total", "1"]]
    assert figures(body, "trainings.trainings_by_quarter") == [["2026-Q1", "2", "19"],
                                                               ["Total", "2", "19"]]
    # The cascades below the project's training of trainers count, whoever paid for them.
    assert figures(body, "trainings.cascade_reach") == [
        ["training_of_trainers 2026-01-12", "2", "10", "13"], ["Total", "2", "10", "13"]]
    body = await dashboard(client, f"/sudan/reports/project?project={data.project_id}"
                                   "&from=2026-02-01")
    assert figures(body, "trainings.trainings_by_quarter") == [["2026-Q1", "1", "9"],
                                                               ["Total", "1", "9"]]
    # The dashboard filters on it too: what the project paid for, the registry as it is.
    body = await dashboard(client, f"/sudan/reports?project={data.project_id}")
    assert figures(body, "registry.experts_by_status")[-1] == ["Total", "8"]
    assert figures(body, "trainings.participants_by_sex")[-1] == ["Total", "19"]
    response = await client.get(f"/sudan/reports/project?project={data.agency_x}")
    assert response.status_code == 400
    assert field_error(response.text, "project") == "Choose one of the options listed."


# --- the JSON API ---------------------------------------------------------------------------

async def test_the_api_gives_the_same_figures_as_the_page(client, data, officer, session_factory,
                                                        missions):
    body = await dashboard(client, f"/sudan/reports?project={data.project_id}")
    use_session(client, None)
    token = await api_token(session_factory, missions["sudan"], "reports")
    response = await client.get(f"/api/v1/sudan/reports/dashboard?project={data.project_id}",
                                headers=bearer(token))
    assert response.status_code == 200, response.text
    tables = {f"{s['key']}.{t['key']}": t for s in response.json()["sections"]
              for t in s["tables"]}
    assert list(tables) == [t.attributes["data-table"]
                            for t in parse(body).css("table[data-table]")]
    for key, table in tables.items():
        assert [[row["label"], *row["values"]] for row in table["rows"]] == figures(body, key)
    response = await client.get("/api/v1/sudan/reports/supply?sector=education",
                                headers=bearer(token))
    assert response.json()["sections"][0]["tables"][0]["rows"] == [
        {"label": "Education", "values": ["1", "1", "1", "0"]}]
    for query in ("sector=astrology", f"agency={data.project_id}", "from=2026-03-01&to=2026-01-01",
                  "area=cooking"):
        response = await client.get(f"/api/v1/sudan/reports/dashboard?{query}",
                                    headers=bearer(token))
        assert response.status_code == 400, query
        assert response.json()["error"]["details"], query


async def test_a_token_limited_to_aggregates_reads_protected_figures_only(
        client, data, session_factory, missions):
    token = await api_token(session_factory, missions["sudan"], "donor tool", "aggregates")
    for path in ("experts", "requests"):
        response = await client.get(f"/api/v1/sudan/{path}", headers=bearer(token))
        assert response.status_code == 403
        assert response.json()["error"]["message"] == \
            "this API token reads the report figures only"
    response = await client.get("/api/v1/sudan/reports/dashboard", headers=bearer(token))
    tables = {f"{s['key']}.{t['key']}": [[row["label"], *row["values"]] for row in t["rows"]]
              for s in response.json()["sections"] for t in s["tables"]}
    assert tables["trainings.participants_by_sex"] == [
        ["Female", "23"], ["Male", "19"], ["Other", "<5"], ["Not recorded", "<5"],
        ["Total", "46"]]
    assert tables["registry.experts_by_sex"] == [
        ["Female", "<5"], ["Male", "<5"], ["Other", "<5"], ["Prefer not to say", "<5"],
        ["Total", "8"]]
    # Every table, people trained included: no count from 1 to 4 left to read.
    assert "outputs.people_trained" in tables
    assert not {"1", "2", "3", "4"} & {value for rows in tables.values() for row in rows
                                       for value in row[1:]}
    with pytest.raises(FormErrors):
        await api_token(session_factory, missions["sudan"], "odd", "everything")


# --- HQ -------------------------------------------------------------------------------------

async def test_hq_reads_every_mission_through_one_audited_path(client, data, missions,
                                                               session_factory):
    hq = await make_user(session_factory, None, None, platform_admin=True)
    assert (await sign_in(client, missions["sudan"], hq.email)).status_code == 303
    body = await dashboard(client, "/admin/reports?from=2026-01-01")
    # Sudan: 8 experts (5 verified), requests 2 and 3 open, 1 assignment completed, 4
    # activities held with 46 participants (23 women), and 7 people (2 women) trained by
    # assignment 2; assignment 1's are T1's participants, counted there. Mozambique has none.
    assert figures(body, "missions.mission_totals") == [
        ["Mozambique", "0", "0", "0", "0", "0", "0", "0"],
        ["Sudan", "8", "5", "2", "1", "4", "25", "53"],
        ["Total", "8", "5", "2", "1", "4", "25", "53"]]
    response = await client.get("/admin/reports/export.csv?from=2026-01-01")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[1:] == figures(body, "missions.mission_totals")
    for mission in missions.values():
        with tenant_scope(mission):
            async with session_factory() as db:
                reads = list(await db.scalars(select(AuditEvent).where(
                    AuditEvent.action == "report.cross_mission_read",
                    AuditEvent.actor_id == hq.id)))
        assert len(reads) == 2 and reads[0].after == {"from": "2026-01-01", "to": ""}
    use_session(client, None)


# --- exports --------------------------------------------------------------------------------

async def test_exports_equal_the_screen(client, data, officer):
    query = "from=2026-01-01&to=2026-12-31"
    body = await dashboard(client, f"/sudan/reports?{query}")
    keys = [t.attributes["data-table"] for t in parse(body).css("table[data-table]")]
    assert len(keys) == 20
    response = await client.get(f"/sudan/reports/export.xlsx?{query}")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == [key.split(".")[1] for key in keys]
    for key in keys:
        shown = figures(body, key)
        heading = [th.text(deep=True).strip() for th in
                   parse(body).css(f'table[data-table="{key}"] thead th')]
        response = await client.get(f"/sudan/reports/export.csv?{query}&table={key}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
        assert rows == [heading, *shown], key
        sheet = [["" if v is None else str(v) for v in row]
                 for row in workbook[key.split(".")[1]].iter_rows(values_only=True)]
        assert sheet == [heading, *shown], key
    # Every table in one CSV: each under its title, then a blank line.
    response = await client.get(f"/sudan/reports/export.csv?{query}")
    everything = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert everything[:3] == [["Experts by status"], ["Status", "Experts"], ["Draft", "1"]]
    assert everything.count([]) == len(keys) - 1


# --- charts and small-cell protection, one by one -------------------------------------------

async def test_charts_are_accessible_svg_in_both_directions(client, data, officer):
    body = await dashboard(client)
    svg = parse(body).css_first('figure[id="registry.experts_by_status"] svg')
    assert svg.attributes["role"] == "img"
    assert svg.css_first("title").text() == "Experts by status"
    assert "Verified: 5" in svg.css_first("desc").text()
    assert "<script" not in body.split("</head>")[1]
    table = Table("t", "Figures", "Head", [Column("n")], [("a", [4]), ("b", [8])])
    ltr, rtl = bar_chart(table, "c", "", rtl=False), bar_chart(table, "c", "", rtl=True)
    assert ltr and rtl
    assert ltr.bars[1].bar_width == rtl.bars[1].bar_width == 2 * ltr.bars[0].bar_width
    assert ltr.bars[0].bar_x == 200 and rtl.bars[0].bar_x + rtl.bars[0].bar_width == 440
    hidden = bar_chart(protect(Table("t", "T", "H", [Column("n")], [("a", [4]), ("b", [8])])),
                       "c", "", rtl=False)
    assert hidden and hidden.bars[0].bar_width == 0 and hidden.bars[0].shown == "<5"


def test_protection_hides_small_counts_and_what_gives_them_away():
    # One small cell in a column with a total: the next smallest hides with it.
    table = protect(Table("t", "T", "H", [Column("n")], [("a", [3]), ("b", [7]), ("c", [9])],
                          total_row=True))
    assert table.cells("Total") == [("a", ["<5"]), ("b", ["<5"]), ("c", ["9"]),
                                    ("Total", ["19"])]
    # Zero is shown; a total of 1..4 is small itself; means are not counts.
    table = protect(Table("t", "T", "H", [Column("n"), Column("m", MEAN)],
                          [("a", [0, 2.0]), ("b", [2, 4.5])], total_row=True))
    assert table.cells("Total") == [("a", ["0", "2.0"]), ("b", ["<5", "4.5"]),
                                    ("Total", ["<5", "–"])]
    # An overall row from SQL (All sectors) gives a hidden cell away like a total row.
    table = protect(Table("t", "T", "H", [Column("n")], [("a", [3]), ("b", [7]), ("all", [10])],
                          overall_row=True))
    assert table.cells("Total") == [("a", ["<5"]), ("b", ["<5"]), ("all", ["10"])]
    # Nothing small: nothing hidden.
    table = protect(Table("t", "T", "H", [Column("n", COUNT)], [("a", [5]), ("b", [0])],
                          total_row=True))
    assert not table.hidden
