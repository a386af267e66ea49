"""The trainings' list (issue 15): words, kind, thematic area, agency, funding project,
period and state as filters kept in the URL, and the same list as CSV (staff: the
mission's; a partner user: their agency's), formulas neutralised, audited."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from sqlalchemy import select, update

from app.audit.models import AuditEvent
from app.partners.models import FundingProject
from app.trainings.models import Training
from app.trainings.services import EXPORT_COLUMNS
from tenants.context import tenant_scope
from tests.html import field_error, select_all
from tests.training_helpers import a_new_agency, a_training

pytestmark = pytest.mark.usefixtures("in_english")


def titles(body: str) -> set[str]:
    return set(select_all(body, "table.data tbody td:first-child a"))


def rows_of(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture
async def trainings(missions, session_factory):
    sudan = missions["sudan"]
    with tenant_scope(sudan):
        async with session_factory() as db:
            eu = await db.scalar(select(FundingProject.id).where(
                FundingProject.code == "eu-ctip-horn"))
    async with session_factory() as db:
        first, second = await a_new_agency(db, sudan), await a_new_agency(db, sudan)
        ids = {
            "tot": await a_training(db, sudan, first, kind="training_of_trainers",
                                    title="Trainers for Kassala"),
            "funded": await a_training(db, sudan, first, title="Prosecutors in Port Sudan",
                                       status="approved"),
            "formula": await a_training(db, sudan, second, title="=HYPERLINK(\"x\")"),
        }
    with tenant_scope(sudan):
        async with session_factory() as db:
            await db.execute(update(Training).where(Training.id == ids["funded"])
                             .values(funding_project_id=eu, curriculum="Trafficking basics"))
            await db.commit()
    return first, second, eu, ids


async def test_staff_filter_and_the_filters_stay_in_the_url(client, trainings, officer):
    first, _second, eu, _ids = trainings
    assert {"Trainers for Kassala", "Prosecutors in Port Sudan"} <= titles(
        (await client.get(f"/sudan/trainings?agency={first}")).text)
    by_kind = await client.get("/sudan/trainings?kind=training_of_trainers")
    assert "Trainers for Kassala" in titles(by_kind.text)
    assert "Prosecutors in Port Sudan" not in titles(by_kind.text)
    by_project = await client.get(f"/sudan/trainings?project={eu}&status=approved")
    assert titles(by_project.text) == {"Prosecutors in Port Sudan"}
    by_words = await client.get("/sudan/trainings?q=trafficking+basics")
    assert titles(by_words.text) == {"Prosecutors in Port Sudan"}
    # The form shows what the URL says, and the export link carries it.
    assert select_all(by_words.text, "#f-q") == [""] and 'value="trafficking basics"' in \
        by_words.text
    assert "/sudan/trainings/export.csv?q=trafficking+basics" in by_words.text
    bad = await client.get("/sudan/trainings?kind=party&project=nope")
    assert bad.status_code == 400
    assert field_error(bad.text, "kind") and field_error(bad.text, "project")


async def test_the_csv_export_follows_the_filters_and_is_audited(client, missions,
                                                                 session_factory, trainings,
                                                                 officer):
    first, _second, _eu, _ids = trainings
    response = await client.get(f"/sudan/trainings/export.csv?agency={first}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = rows_of(response)
    assert {r["title"] for r in rows} == {"Trainers for Kassala", "Prosecutors in Port Sudan"}
    funded = next(r for r in rows if r["title"] == "Prosecutors in Port Sudan")
    assert (funded["funding_project"], funded["donor"], funded["total"]) == (
        "eu-ctip-horn", "European Commission", "9")
    everything = rows_of(await client.get("/sudan/trainings/export.csv"))
    assert "'=HYPERLINK(\"x\")" in {r["title"] for r in everything}
    with tenant_scope(missions["sudan"]):
        async with session_factory() as db:
            event = await db.scalar(select(AuditEvent).where(
                AuditEvent.action == "training.exported").order_by(
                AuditEvent.created_at).limit(1))
    assert event is not None and event.after == {"rows": 2, "filters": {"agency": str(first)},
                                                 "format": "csv"}
    assert (await client.get("/sudan/trainings/export.csv?from=2027-13-01")).status_code == 400


async def test_a_partner_user_exports_only_their_agency_s(client, trainings, signed_in_as):
    first, second, _eu, _ids = trainings
    await signed_in_as("partner_user", partner_agency_id=second)
    rows = rows_of(await client.get(f"/sudan/trainings/export.csv?agency={first}"))
    assert [r["title"] for r in rows] == ["'=HYPERLINK(\"x\")"]


async def test_the_xlsx_export_holds_the_csv_s_rows(client, trainings, officer, signed_in_as):
    """The same filters, the same columns and cells as the CSV (a workbook stores whole
    numbers as numbers); a partner user's holds only their agency's."""
    first, second, _eu, _ids = trainings
    for query in (f"agency={first}", "", "kind=cascade&q=kassala"):
        csv_rows = list(csv.reader(io.StringIO((await client.get(
            f"/sudan/trainings/export.csv?{query}")).content.decode("utf-8-sig"))))
        response = await client.get(f"/sudan/trainings/export.xlsx?{query}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
        sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)["trainings"]
        assert [["" if v is None else str(v) for v in row]
                for row in sheet.iter_rows(values_only=True)] == csv_rows, query
    assert (await client.get("/sudan/trainings/export.xlsx?from=2027-13-01")).status_code == 400
    await signed_in_as("partner_user", partner_agency_id=second)
    response = await client.get(f"/sudan/trainings/export.xlsx?agency={first}")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)["trainings"]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "'=HYPERLINK(\"x\")"]


async def test_the_hxl_export_tags_every_column(client, missions, session_factory, trainings,
                                                officer):
    first, _second, _eu, _ids = trainings
    response = await client.get(f"/sudan/trainings/export.hxl.csv?agency={first}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "-hxl.csv" in response.headers["content-disposition"]
    header, tags, *rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header == EXPORT_COLUMNS
    # HXL's second header row: a hashtag over every column, the people reached by sex.
    assert all(tag.startswith("#") and " " not in tag for tag in tags)
    tagged = dict(zip(header, tags, strict=True))
    assert (tagged["partner_agency"], tagged["title"], tagged["start_date"], tagged["female"],
            tagged["male"], tagged["total"]) == ("#org+impl+name", "#activity+name",
                                                 "#date+start", "#reached+f", "#reached+m",
                                                 "#reached+total")
    # The rows are the CSV export's, with its filters.
    plain = list(csv.reader(io.StringIO((await client.get(
        f"/sudan/trainings/export.csv?agency={first}")).content.decode("utf-8-sig"))))
    assert rows == plain[1:] and len(rows) == 2
    with tenant_scope(missions["sudan"]):
        async with session_factory() as db:
            formats = set(await db.scalars(select(AuditEvent.after["format"].astext).where(
                AuditEvent.action == "training.exported")))
    assert "hxl" in formats
    assert (await client.get("/sudan/trainings/export.hxl.csv?from=2027-13-01")).status_code \
        == 400
