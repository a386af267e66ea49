"""Import files' limits (issue 18, finding 4): a JSON file nested too deep and a workbook
whose XML declares entities are each refused with their own message, never a 500."""

from __future__ import annotations

import io
import json
import zipfile

import openpyxl
import pytest

from app.imports.readers import MAX_JSON_DEPTH, ImportFileError, json_depth
from app.imports.services import read_upload

pytestmark = pytest.mark.usefixtures("in_english")

BOMB = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>\n')


def refused(data: bytes, kind: str = "experts") -> str:
    with pytest.raises(ImportFileError) as exc:
        read_upload(data, kind)
    return exc.value.message


def test_json_nested_100000_deep_is_refused_with_its_own_message():
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    message = refused(deep)
    assert f"more than {MAX_JSON_DEPTH} levels deep" in message
    half = ('{"experts": [{"full_name": "A", "x": ' + "[" * 40 + "]" * 40 + "}]}").encode()
    assert "levels deep" in refused(half)


def test_json_depth_ignores_brackets_inside_strings():
    text = json.dumps([{"full_name": "[[[[{{{{" * 100, "note": 'a \\" [ quote'}])
    assert json_depth(text) == 2
    assert json_depth("[[[]]]") == 3 and json_depth("{}") == 1 and json_depth('"["') == 0


def test_a_roster_of_normal_depth_is_read():
    data = json.dumps({"experts": [{"external_ref": "E1", "full_name": "Amal Osman",
                                    "email": "amal@example.org",
                                    "languages": [{"language": "ar", "level": "native"}]}]})
    source = read_upload(data.encode(), "experts")
    assert len(source.rows) == 1


def _workbook(**replace: bytes) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["external_ref", "full_name", "email"])
    book.active.append(["E1", "Amal Osman", "amal@example.org"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename in replace:
                body = replace[item.filename]
            dst.writestr(item, body)
    return out.getvalue()


def test_openpyxl_reads_through_defusedxml():
    assert openpyxl.DEFUSEDXML is True


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/workbook.xml"])
def test_workbook_xml_with_entity_declarations_is_refused(part):
    with zipfile.ZipFile(io.BytesIO(_workbook())) as archive:
        original = archive.read(part)
    body = original.split(b"?>", 1)[-1].lstrip()  # without its XML declaration, if any
    # The entity is used in the document, as an attack would.
    body = body.replace(b">", b">&lol2;", 1) if part.endswith("sheet1.xml") else body
    message = refused(_workbook(**{part: BOMB + body}))
    assert "entity or document type declarations" in message


def test_a_plain_workbook_is_still_read():
    source = read_upload(_workbook(), "experts")
    assert [row.values["full_name"] for row in source.rows] == ["Amal Osman"]


def test_the_row_limit_is_one_setting_for_every_format(monkeypatch):
    """PORTAL_IMPORT_MAX_ROWS (default 100,000: a roster of 100,000 experts fits), the same
    for CSV, XLSX and JSON, each refused with the limit named."""
    from app.config import Settings, load_settings
    assert Settings.import_max_rows == 100_000
    monkeypatch.setenv("PORTAL_IMPORT_MAX_ROWS", "2")
    limit = load_settings().import_max_rows
    assert limit == 2
    rows = [{"external_ref": f"L-{n}", "full_name": f"Row {n}", "email": f"r{n}@example.org"}
            for n in range(3)]
    csv_file = ("external_ref,full_name,email\n" + "".join(
        f"{r['external_ref']},{r['full_name']},{r['email']}\n" for r in rows)).encode()
    workbook = openpyxl.Workbook()
    workbook.active.append(list(rows[0]))
    for r in rows:
        workbook.active.append(list(r.values()))
    xlsx_file = io.BytesIO()
    workbook.save(xlsx_file)
    for data in (csv_file, xlsx_file.getvalue(), json.dumps(rows).encode()):
        with pytest.raises(ImportFileError) as exc:
            read_upload(data, "experts", limit)
        assert exc.value.message == "The file has more than 2 rows. Split it into smaller files."
        assert len(read_upload(data, "experts", 3).rows) == 3
