"""Importing a training's participants (issue 15), with the roster import's reader: a CSV or
XLSX file is checked and previewed row by row, then added all at once; a file with a bad
row (an unknown sex, a name without consent), a file that is not a table, one without the
required columns or an empty one adds nothing; templates to download; another agency's
training is not found."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from sqlalchemy import func, select

from app.trainings.models import Training, TrainingParticipant
from tenants.context import tenant_scope
from tests.conftest import csrf_token
from tests.html import field_error, parse, select_all, select_text
from tests.training_helpers import a_new_agency, a_training

pytestmark = pytest.mark.usefixtures("in_english")

GOOD_CSV = ("sex,age_group,institution,consent,name,role,contact\n"
            "female,25_34,Ministry of Interior,yes,Amna Osman,Inspector,amna@example.org\n"
            "\n"
            "male,35_49,Ministry of Interior,,,,\n"
            "not_recorded,not_recorded,,no,,,\n")


async def upload(client, training_id, filename: str, content: bytes):
    token = await csrf_token(client, "/sudan/")
    return await client.post(f"/sudan/trainings/{training_id}/participants/import",
                             files={"file": (filename, content)},
                             data={"_csrf_token": token}, follow_redirects=False)


async def confirm(client, training_id, rows: str, version: str = "1"):
    token = await csrf_token(client, "/sudan/")
    return await client.post(f"/sudan/trainings/{training_id}/participants/import/confirm",
                             data={"rows": rows, "version": version, "_csrf_token": token},
                             follow_redirects=False)


async def listed(session_factory, tenant, training_id) -> list[TrainingParticipant]:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return list(await db.scalars(select(TrainingParticipant).where(
                TrainingParticipant.training_id == training_id)
                .order_by(TrainingParticipant.position)))


@pytest.fixture
async def listing(signed_in_as, session_factory, missions):
    """A partner user, signed in, and a planned training of theirs that lists participants."""
    sudan = missions["sudan"]
    async with session_factory() as db:
        agency = await a_new_agency(db, sudan)
        training_id = await a_training(db, sudan, agency, female=0, male=0,
                                       participant_mode="individual")
    await signed_in_as("partner_user", partner_agency_id=agency)
    return training_id


async def test_a_csv_is_previewed_then_added_all_at_once(client, missions, session_factory,
                                                         listing):
    sudan = missions["sudan"]
    page = await client.get(f"/sudan/trainings/{listing}/participants/import")
    assert page.status_code == 200
    checked = await upload(client, listing, "list.csv", GOOD_CSV.encode("utf-8"))
    assert checked.status_code == 200, checked.text[:3000]
    assert "3 rows, all correct." in select_text(checked.text, "#preview")
    assert await listed(session_factory, sudan, listing) == []   # nothing written yet
    rows = select_all(checked.text, "#preview tbody td:first-child")
    assert rows == ["2", "4", "5"]                      # the file's own row numbers
    sent_back = next(i.attributes["value"] for i in _inputs(checked.text, "rows"))
    added = await confirm(client, listing, sent_back)
    assert added.status_code == 303, added.text[:3000]
    people = await listed(session_factory, sudan, listing)
    assert [(p.name, p.sex, p.consent) for p in people] == [
        ("Amna Osman", "female", True), ("", "male", False), ("", "not_recorded", False)]
    with tenant_scope(sudan):
        async with session_factory() as db:
            training = await db.scalar(select(Training).where(Training.id == listing))
    assert (training.female, training.male, training.not_recorded, training.total) == (
        1, 1, 1, 3)
    # The same confirmation again is a stale form: nothing is added twice.
    again = await confirm(client, listing, sent_back)
    assert again.status_code == 409
    assert len(await listed(session_factory, sudan, listing)) == 3


def _inputs(body: str, name: str):
    return parse(body).css(f'input[name="{name}"]')


def xlsx(rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_an_xlsx_with_bad_rows_adds_nothing_and_says_which(client, missions,
                                                                 session_factory, listing):
    content = xlsx([["Sex", "Age group", "Name", "Consent"],
                    ["female", "25_34", "", ""],
                    ["woman", "25_34", "", ""],            # unknown sex
                    ["male", "18_24", "Yusuf", ""],        # a name without consent
                    ["male", "18_24", "", "maybe"]])       # consent neither yes nor no
    checked = await upload(client, listing, "list.xlsx", content)
    assert checked.status_code == 422
    problems = select_all(checked.text, "#preview td.row-errors")
    assert problems[0] == "" and problems[1].startswith("sex:")
    assert problems[2].startswith("name:") and problems[3].startswith("consent:")
    assert "3 of 4 rows have a problem" in checked.text
    assert not _inputs(checked.text, "rows")            # no confirmation offered
    assert await listed(session_factory, missions["sudan"], listing) == []


@pytest.mark.parametrize(("filename", "content", "says"), [
    ("list.csv", b"", "empty"),
    ("list.csv", b"name,institution\nAmna,UNHCR\n", "Missing required columns"),
    ("list.csv", b"sex,age_group\n", "no participant"),
    ("list.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n\x00\x01\x02 stream\x03\x04", "PDF"),
    ("list.xlsx", b"PK\x03\x04 not really a workbook", ""),
])
async def test_files_that_cannot_be_used_are_refused_at_the_field(
        client, missions, session_factory, listing, filename, content, says):
    response = await upload(client, listing, filename, content)
    assert response.status_code == 400, response.text[:2000]
    message = field_error(response.text, "file")
    assert message and says in message, message
    assert await listed(session_factory, missions["sudan"], listing) == []


async def test_a_tampered_confirmation_is_checked_again(client, missions, session_factory,
                                                        listing):
    bad = json.dumps([{"sex": "female", "age_group": "25_34", "name": "No Consent"}])
    refused = await confirm(client, listing, bad)
    assert refused.status_code == 422
    assert (await confirm(client, listing, "not json")).status_code == 400
    assert (await confirm(client, listing, "[]")).status_code == 400
    assert await listed(session_factory, missions["sudan"], listing) == []


async def test_templates_and_another_agency_s_training(client, missions, session_factory,
                                                       listing):
    csv_template = await client.get("/sudan/trainings/participants-template.csv")
    assert csv_template.status_code == 200
    assert csv_template.content.decode("utf-8-sig").splitlines()[0] == \
        "sex,age_group,institution,consent,name,role,contact"
    book = openpyxl.load_workbook(io.BytesIO(
        (await client.get("/sudan/trainings/participants-template.xlsx")).content))
    assert [c.value for c in book.active[1]][:2] == ["sex", "age_group"]
    async with session_factory() as db:
        theirs = await a_training(db, missions["sudan"], await a_new_agency(db, missions["sudan"]),
                                  participant_mode="individual")
    assert (await client.get(f"/sudan/trainings/{theirs}/participants/import")
            ).status_code == 404
    assert (await upload(client, theirs, "list.csv", GOOD_CSV.encode())).status_code == 404
    with tenant_scope(missions["sudan"]):
        async with session_factory() as db:
            assert await db.scalar(select(func.count()).select_from(TrainingParticipant)
                                   .where(TrainingParticipant.training_id == theirs)) == 0
