"""Every kind of bad (and awkward but good) file, with real files: wrong types, encodings,
workbooks written by openpyxl and saved by a spreadsheet program, missing columns, unknown
values, malformed dates and levels, duplicate references; and the command line."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from app.i18n import reset_locale, set_locale
from app.imports.readers import ImportFileError, read_file
from app.imports.services import read_upload
from tests.import_helpers import DOCS, FIXTURES, count_profiles, csv_bytes, import_bytes
from tests.request_helpers import make_institution

pytestmark = pytest.mark.usefixtures("in_english")

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")
HEADER = "external_ref,full_name,email,languages,sectors,skills,availability"


def refused(data: bytes, kind: str = "experts") -> str:
    with pytest.raises(ImportFileError) as exc:
        read_upload(data, kind)
    return exc.value.message


# --- the file as a whole -------------------------------------------------------------------

def test_wrong_types_are_told_by_their_content_not_their_name():
    assert "PNG" in refused(PNG)  # a picture renamed experts.csv
    assert "PDF" in refused(b"%PDF-1.4\n\x00\x01\x02binary\n%%EOF")
    assert ".xls" in refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("word/document.xml", "<w/>")
        z.writestr("[Content_Types].xml", "<Types/>")
    assert "not a spreadsheet" in refused(archive.getvalue())
    assert "empty" in refused(b"")
    assert "binary" in refused(b"external_ref,full_name\x00\x01,email\n")


def test_utf16_without_a_byte_order_mark_is_refused_with_what_to_do():
    data = csv_bytes(HEADER, "U-1,Ana,ana@example.org,,,,", encoding="utf-16-le")
    message = refused(data)
    assert "UTF-16" in message and "CSV UTF-8" in message
    # With its byte-order mark (Excel's "Unicode text"), UTF-16 is read.
    source = read_file(b"\xff\xfe" + data, "experts")
    assert source.encoding == "utf-16" and source.rows[0].values["full_name"] == "Ana"


def test_windows_1252_from_excel_is_read_with_accents_intact():
    data = csv_bytes("external_ref;full_name;email;residence_city",
                     "W-1;José Gonçalves Müller;jose@example.org;Besançon", encoding="cp1252")
    source = read_upload(data, "experts")
    assert source.encoding == "cp1252"
    assert source.rows[0].values["full_name"] == "José Gonçalves Müller"
    assert source.rows[0].values["residence_city"] == "Besançon"
    # Bytes that are neither UTF-8 nor Windows-1252 text are refused, saying where.
    message = refused(b"external_ref,full_name,email\nX-1,Bad \x81\x8d name,x@example.org\n")
    assert "line 2" in message and "UTF-8" in message


def test_utf8_with_a_byte_order_mark(session_factory):
    data = "\ufeff".encode() + csv_bytes(HEADER, "B-1,Ahmed Bom,ahmed.bom@example.org,ar:native,"
                                                  "water_management,Hydrology,")
    source = read_upload(data, "experts")
    assert source.encoding == "utf-8-sig" and source.columns[0] == "external_ref"


async def test_a_workbook_written_by_openpyxl(session_factory, missions):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["External ref", "Full name", "Email", "Birth year", "Languages",
                  "Availability"])
    sheet.append(["X-1", "Openpyxl Written", "openpyxl.written@example.org", 1985,
                  "ar:native; en:B2", "2027-01-01..2027-02-28"])
    out = io.BytesIO()
    workbook.save(out)
    outcome = await import_bytes(session_factory, missions["sudan"], out.getvalue())
    assert outcome.written and not outcome.check.errors, outcome.check.errors
    assert outcome.check.source.format == "xlsx"
    assert await count_profiles(session_factory, missions["sudan"],
                                full_name="Openpyxl Written") == 1


async def test_a_workbook_saved_by_a_spreadsheet_program(session_factory, missions):
    """tests/fixtures/experts-libreoffice.xlsx: saved by LibreOffice Calc from a CSV (numbers
    stored as numbers, shared strings, its own styles and sizes)."""
    data = (FIXTURES / "experts-libreoffice.xlsx").read_bytes()
    outcome = await import_bytes(session_factory, missions["sudan"], data)
    assert outcome.written and not outcome.check.errors, outcome.check.errors
    assert outcome.check.created == 3
    assert await count_profiles(session_factory, missions["sudan"], full_name="يوسف أحمد") == 1
    assert await count_profiles(session_factory, missions["sudan"], birth_year=1990,
                                full_name="Élise Gonçalves") == 1


def test_missing_required_columns_are_reported_once_before_any_row():
    message = refused(csv_bytes("external_ref,name,languages", "M-1,No Email,en:B2",
                                "M-2,Nor Here,en:B2"))
    assert message == "Missing required columns: full_name, email."
    assert "institution" in refused(csv_bytes("external_ref,title", "R-1,A title"),
                                    "requests")
    assert "twice" in refused(csv_bytes("external_ref,full_name,email,Email", "a,b,c,d"))


def test_json_shapes():
    assert "list of objects" in refused(b'{"people": []}')
    assert "not valid JSON" in refused(b'[{"external_ref": "J-1",]')
    source = read_upload(json.dumps([{"external_ref": "J-1", "full_name": "A",
                                      "email": "a@example.org"}]).encode(), "experts")
    assert source.format == "json" and source.rows[0].number == 1


# --- row by row ------------------------------------------------------------------------------

async def test_row_errors_name_the_row_the_column_and_the_reason(session_factory, missions):
    rows = [
        "E-1,Good Row,good.row@example.org,en:C1,water_management,Hydrology,2027-01-01..2027-02-01",
        "E-2,Unknown Sector,e2@example.org,en:C1,space_travel,Hydrology,",
        "E-3,Unknown Skill,e3@example.org,en:C1,education,Underwater basket weaving,",
        "E-4,Unknown Language,e4@example.org,xx:C1,education,,",
        "E-5,Bad Level,e5@example.org,en:C7,education,,",
        "E-6,Bad Date,e6@example.org,en:C1,education,,2027-13-01..2027-14-01",
        "E-7,Reversed,e7@example.org,en:C1,education,,2027-05-01..2027-04-01",
        "E-1,Same Reference,e8@example.org,en:C1,education,,",
        "E-9,Same Email,GOOD.ROW@example.org,en:C1,education,,",
        "E-10,,not-an-address,,,,",
        '"E-11","Multi\nline, quoted","e11@example.org","en:B1; en:C1",,,',
        "E-12,After Quotes,e12@example.org,en,education,,",
    ]
    outcome = await import_bytes(session_factory, missions["sudan"], csv_bytes(HEADER, *rows))
    assert not outcome.written
    found = {(e.row, e.column): e.reason for e in outcome.check.errors}
    assert found[(3, "sectors")].startswith("Unknown sector “space_travel”")
    assert found[(4, "skills")] == ("Not in the mission's skills list: Underwater basket "
                                    "weaving.")
    assert found[(5, "languages")].startswith("Unknown language “xx”")
    assert found[(6, "languages")].startswith("Unknown level “C7” for en")
    assert found[(7, "availability")] == "Use a date like 2026-03-31."
    assert found[(8, "availability")] == "The end comes before the start."
    assert found[(9, "external_ref")] == "The same reference as row 2."
    assert found[(10, "email")] == "The same email address as row 2."
    assert found[(11, "full_name")] == "This field is required."
    assert found[(11, "email")].startswith("Enter a valid email address")
    assert found[(12, "languages")] == "en is listed twice."  # a quoted cell over two lines
    assert found[(13, "languages")] == "Write each language as code:level, like en:C1."
    assert (2, "external_ref") not in found and outcome.check.valid == 1
    assert await count_profiles(session_factory, missions["sudan"], full_name="Good Row") == 0


async def test_errors_speak_the_readers_language(session_factory, missions):
    token = set_locale("pt")
    try:
        outcome = await import_bytes(session_factory, missions["sudan"], csv_bytes(
            HEADER, "P-1,Sem Email,,en:C1,,,"), dry_run=True)
    finally:
        reset_locale(token)
    assert [e.reason for e in outcome.check.errors] == ["Este campo é obrigatório."]


async def test_request_rows_are_checked_like_the_request_form(session_factory, missions):
    sudan = missions["sudan"]
    async with session_factory() as db:
        await make_institution(db, sudan, name="Known Ministry of Files")
        await make_institution(db, sudan, name="Pending Authority of Files", status="pending")
    header = ("external_ref,institution,title,objectives,tasks,sector,required_skills,"
              "languages,modality,city,duration_weeks,earliest_start,latest_start")
    outcome = await import_bytes(session_factory, sudan, csv_bytes(
        header,
        "Q-1,Nobody Knows This Ministry,A title,Obj,Tasks,education,Hydrology,en:B2,remote,,4,"
        "2027-01-01,2027-02-01",
        "Q-2,known ministry of files,A title,Obj,Tasks,education,Hydrology,en:B2,remote,,4,"
        "2020-01-01,2020-02-01",
        "Q-3,Known Ministry of Files,A title,Obj,,education,Hydrology,en:B2,on_site,,4,"
        "2027-01-01,2027-02-01",
        "Q-4,Pending Authority of Files,A title,Obj,Tasks,education,Hydrology,,remote,,4,"
        "2027-01-01,2026-12-01",
        "Q-5,Known Ministry of Files,A title,Obj,Tasks,education,Hydrology,en:B2,remote,,4,"
        "2027-01-01,2027-02-01"), kind="requests", dry_run=True)
    found = {(e.row, e.column): e.reason for e in outcome.check.errors}
    assert found[(2, "institution")] == "Unknown host institution “Nobody Knows This Ministry”."
    assert found[(3, "earliest_start")] == "This date has already passed."
    assert found[(4, "tasks")] == "This field is required."
    assert found[(4, "city")] == "This field is required."
    assert found[(5, "institution")] == "The institution “Pending Authority of Files” is not approved."
    assert outcome.check.valid == 1 and outcome.check.created == 1
    # A draft needs only its reference, institution and title; JSON nests the languages.
    drafts = json.dumps({"requests": [{
        "external_ref": "QJ-1", "institution": "Known Ministry of Files", "title": "Draft",
        "languages": [{"language": "en", "min_level": "B2"}],
        "required_skills": ["Hydrology"]}]}).encode()
    outcome = await import_bytes(session_factory, sudan, drafts, kind="requests",
                                 status="draft")
    assert outcome.written and not outcome.check.errors, outcome.check.errors


# --- valid rows only, and the command line -----------------------------------------------------

async def test_the_command_line_imports_checks_and_writes_the_rejected_rows(portal, missions,
                                                                           session_factory,
                                                                           tmp_path: Path):
    good = tmp_path / "roster.csv"
    good.write_bytes((DOCS / "experts-example.csv").read_bytes().replace(b"@example.org",
                                                                        b"@cli.example.org")
                     .replace(b",SD-20", b",CLI-SD-20").replace(b"\nSD-20", b"\nCLI-SD-20"))
    ran = portal("import", "experts", str(good), "--tenant", "sudan", "--status", "verified")
    assert ran.returncode == 0, ran.stderr + ran.stdout
    assert "3 created, 0 updated, 0 rejected" in ran.stdout
    indexed = re.search(r"([\d,]+) search documents brought up to date", ran.stdout)
    assert indexed and int(indexed.group(1).replace(",", "")) >= 3, ran.stdout + ran.stderr
    again = portal("import", "experts", str(good), "--tenant", "sudan")
    assert again.returncode == 0 and "0 created, 3 updated" in again.stdout
    assert await count_profiles(session_factory, missions["sudan"], status="verified",
                                full_name="Amira Hassan Osman") >= 1

    mixed = tmp_path / "mixed.csv"
    mixed.write_text(HEADER + "\nV-1,Valid One,valid.one@cli.example.org,en:B2,,,\n"
                     "V-2,Invalid Two,valid.two@cli.example.org,en:Z9,,,\n", encoding="utf-8")
    refused_run = portal("import", "experts", str(mixed), "--tenant", "sudan")
    assert refused_run.returncode != 0
    assert "row 3, languages: Unknown level “Z9”" in refused_run.stderr
    assert "Nothing was imported" in refused_run.stderr
    assert await count_profiles(session_factory, missions["sudan"], full_name="Valid One") == 0
    dry = portal("import", "experts", str(mixed), "--tenant", "sudan", "--dry-run",
                 "--valid-only")
    assert dry.returncode == 0 and "1 would be created" in dry.stdout

    rejected = tmp_path / "out" / "rejected.csv"
    rejected.parent.mkdir()
    partial = portal("import", "experts", str(mixed), "--tenant", "sudan", "--valid-only",
                     "--rejected", str(rejected))
    assert partial.returncode == 0, partial.stderr
    assert "1 created, 0 updated, 1 rejected" in partial.stdout
    rows = list(csv.DictReader(io.StringIO(rejected.read_text(encoding="utf-8-sig"))))
    assert [(r["row"], r["external_ref"], r["full_name"]) for r in rows] == [
        ("3", "V-2", "Invalid Two")]
    assert rows[0]["error"].startswith("languages: Unknown level “Z9”")
    assert await count_profiles(session_factory, missions["sudan"], full_name="Valid One") == 1

    picture = tmp_path / "experts.csv"
    picture.write_bytes(PNG)
    bad = portal("import", "experts", str(picture), "--tenant", "sudan")
    assert bad.returncode != 0 and "PNG" in bad.stderr


def test_the_readme_documents_every_column():
    from app.config import PROJECT_ROOT
    from app.core.roster_format import COLUMNS

    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## Importing rosters", 1)[1].split("\n## ", 1)[0]
    for kind, columns in COLUMNS.items():
        for column in columns:
            assert f"| `{column.name}` |" in section, (kind, column.name)
