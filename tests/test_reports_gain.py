"""The reports' average pre/post-test gain by thematic area (issue 15) against figures
computed by hand, on the mission dashboard and a partner's, with the same filters, and
its exports equal to the screen. Mozambique, one agency of its own (the agency filter
keeps other tests' trainings out)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from app.reports.charts import bar_chart
from app.reports.tables import MEAN, Column, Table
from app.trainings.models import Training, TrainingParticipant
from tenants.context import tenant_scope
from tests.html import select_all, table_rows
from tests.training_helpers import a_new_agency

pytestmark = pytest.mark.usefixtures("in_english")
KEY = "trainings.gain_by_area"
# Counter-trafficking: a list (40→70, 50→65; 60 took no post-test: left out) and 8 counted
# at 48→70.5: 10 persons, pre (90 + 384) / 10 = 47.4, post (135 + 564) / 10 = 69.9,
# gain 22.5. Protection: 5 at 30→60. All: 15, pre 624 / 15 = 41.6, post 999 / 15 = 66.6,
# gain 25.0. The planned training and the one without tests count nowhere.
EXPECTED = [["Counter-trafficking", "10", "47.4", "69.9", "22.5"],
            ["Protection", "5", "30.0", "60.0", "30.0"],
            ["All thematic areas", "15", "41.6", "66.6", "25.0"]]


@pytest.fixture(scope="module")
async def agency(session_factory, missions):
    moz = missions["mozambique"]
    async with session_factory() as db:
        agency_id = await a_new_agency(db, moz, "Gain Agency")
    with tenant_scope(moz):
        async with session_factory() as db:
            def training(area, status, mode="counts", tested=None, pre=None, post=None,
                         day=date(2026, 5, 4), female=10):
                row = Training(tenant_id=moz.id, partner_agency_id=agency_id,
                               title=f"Gain {area} {status}", kind="training",
                               thematic_area=area, start_date=day, end_date=day,
                               female=female, status=status, version=1,
                               participant_mode=mode, tested=tested,
                               pre_score_avg=None if pre is None else Decimal(pre),
                               post_score_avg=None if post is None else Decimal(post))
                db.add(row)
                return row
            listed = training("counter_trafficking", "held", "individual", female=3)
            planned = training("counter_trafficking", "planned", "individual", female=1)
            training("counter_trafficking", "approved", tested=8, pre="48", post="70.5")
            training("protection", "submitted", tested=5, pre="30", post="60",
                     day=date(2026, 7, 1))
            training("border_management", "approved")
            await db.flush()
            for training_row, scores in ((listed, [(40, 70), (50, 65), (60, None)]),
                                         (planned, [(0, 100)])):
                db.add_all(TrainingParticipant(
                    tenant_id=moz.id, training_id=training_row.id, position=i, sex="female",
                    age_group="25_34", pre_score=Decimal(pre),
                    post_score=None if post is None else Decimal(post))
                    for i, (pre, post) in enumerate(scores))
            await db.commit()
    return agency_id


def figures(body: str, key: str = KEY) -> list[list[str]]:
    return table_rows(body, f'table[data-table="{key}"]')


async def test_the_gain_by_area_on_the_mission_dashboard(client, agency, signed_in_as,
                                                         missions):
    await signed_in_as("staff", missions["mozambique"])
    base = f"/mozambique/reports?agency={agency}"
    body = (await client.get(base)).text
    assert figures(body) == EXPECTED
    # The chart draws the gain of each area (not the whole).
    assert select_all(body, f'figure[id="{KEY}"] text.chart-value') == ["22.5", "30.0"]
    # The same filters as every table: the period, the thematic area.
    body = (await client.get(f"{base}&from=2026-06-01")).text
    assert figures(body) == [["Protection", "5", "30.0", "60.0", "30.0"],
                             ["All thematic areas", "5", "30.0", "60.0", "30.0"]]
    body = (await client.get(f"{base}&area=border_management")).text
    assert figures(body) == []
    # The exports equal the screen.
    body = (await client.get(base)).text
    heading = ["Thematic area", "Persons tested", "Average pre-test score",
               "Average post-test score", "Average gain (points)"]
    response = await client.get(f"/mozambique/reports/export.csv?agency={agency}&table={KEY}")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows == [heading, *figures(body)]
    response = await client.get(f"/mozambique/reports/export.xlsx?agency={agency}"
                                f"&table={KEY}")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)["gain_by_area"]
    assert [["" if v is None else str(v) for v in row]
            for row in sheet.iter_rows(values_only=True)] == [heading, *EXPECTED]


async def test_a_partner_sees_their_agency_s_gain(client, agency, signed_in_as, missions):
    await signed_in_as("partner_user", missions["mozambique"], partner_agency_id=agency)
    body = (await client.get("/mozambique/reports/partner")).text
    assert figures(body, "own.gain_by_area") == EXPECTED
    assert "Gain Agency" not in str(figures(body, "others.gain_by_area"))
    response = await client.get("/mozambique/reports/partner/export.csv?table=own.gain_by_area")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[1:] == EXPECTED


def test_a_fall_in_scores_draws_no_bar_below_zero():
    table = Table("gain_by_area", "Gain", "Thematic area",
                  [Column("Persons tested"), Column("Average gain", MEAN)],
                  [("Protection", [6, -4.5]), ("Other", [5, 9.0])], chart_column=1)
    chart = bar_chart(table, "chart-gain", "", rtl=False, column=1)
    assert chart is not None
    assert [(bar.shown, bar.bar_width) for bar in chart.bars] == [("-4.5", 0.0),
                                                                   ("9.0", 384.0)]
