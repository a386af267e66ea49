"""Reading an uploaded roster: CSV, XLSX or JSON, told apart by the bytes (never by the file
name), into rows of cells keyed by column name, with the row number the user sees in the
spreadsheet (the header is row 1; JSON: the object's position in the list).

CSV text may be UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark
(Excel's "Unicode text"), or Windows-1252 (Excel's plain "CSV" on Windows), and the result
says which one was used. Anything else (UTF-16 without a byte-order mark, images,
documents, old .xls workbooks, other binary data) is refused with a message saying what it
looks like and what to do."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from defusedxml import DefusedXmlException

from app.core.errors import Refusal
from app.core.roster_format import MAX_ROWS, columns_of, join_items, normalise_header
from app.i18n import gettext as _

MB = 1024 * 1024
MAX_XLSX_UNPACKED = 400 * MB
MAX_XLSX_ENTRIES = 10_000
# A roster is a list of objects holding lists of objects: a few levels. Deeper nesting is
# refused before parsing (json.loads recurses: 100,000 levels raised RecursionError, a 500).
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_OPENS_CLOSES = re.compile(r"[\[\]{}]")


class ImportFileError(Refusal):
    """The file as a whole cannot be read; the message says why (in the reader's language)."""

    status = 400


@dataclass
class SourceRow:
    number: int                      # the row as the user sees it (header = 1)
    values: dict[str, Any]           # canonical column -> str (CSV/XLSX) or JSON value
    original: list[str]              # the row's cells as written, for the rejected-rows file


@dataclass
class SourceFile:
    format: str                      # csv, xlsx, json
    encoding: str | None             # for CSV: utf-8, utf-8-sig, utf-16, cp1252
    header: list[str]                # the columns as written in the file
    columns: list[str]               # the same, normalised (column names of the schema)
    rows: list[SourceRow] = field(default_factory=list)


# --- telling the format apart -----------------------------------------------------------------

_SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF"),
    (b"%PDF-", "PDF"), (b"\x1f\x8b", "gzip"), (b"Rar!", "RAR"), (b"7z\xbc\xaf", "7-Zip"),
    (b"RIFF", "RIFF"), (b"BM", "BMP"),
]
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Office files: .xls, .doc


def detect_format(data: bytes) -> str:
    """xlsx or text (CSV or JSON, told apart once decoded); ImportFileError for anything
    else."""
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if data.startswith(_OLE2):
        raise ImportFileError(_("This is an old Excel workbook (.xls). Save it as an Excel "
                                "workbook (.xlsx) or as “CSV UTF-8” and upload it again."))
    if data.startswith(b"PK\x03\x04"):
        if _is_xlsx(data):
            return "xlsx"
        raise ImportFileError(_("This is a ZIP archive or an office document, not a "
                                "spreadsheet. Upload a CSV, XLSX or JSON file."))
    for signature, kind in _SIGNATURES:
        if data.startswith(signature) and not _mostly_text(data):
            raise ImportFileError(_("This is not a CSV, XLSX or JSON file: it looks like a "
                                    "%(kind)s file.") % {"kind": kind})
    return "text"


def _mostly_text(data: bytes) -> bool:
    sample = data[:4096]
    return not any(b < 9 or 13 < b < 32 for b in sample)


def _is_xlsx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        return False
    return "xl/workbook.xml" in names and "[Content_Types].xml" in names


# --- text ------------------------------------------------------------------------------------

def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding used). UTF-8 first (a BOM is fine); Windows-1252 only when the bytes are
    not UTF-8 but are valid Windows-1252 text; UTF-16 only with its byte-order mark."""
    for bom in (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE):
        if data.startswith(bom):
            raise ImportFileError(_("This file is UTF-32 text. Save it as “CSV UTF-8” and "
                                    "upload it again."))
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        try:
            return _checked(data.decode("utf-16")), "utf-16"
        except UnicodeDecodeError:
            raise ImportFileError(_("This file contains binary data, not text. Upload a CSV, "
                                    "XLSX or JSON file.")) from None
    if _looks_like_utf16(data):
        raise ImportFileError(_("This file is UTF-16 text without a byte-order mark. Save it as "
                                "“CSV UTF-8” and upload it again."))
    if b"\x00" in data:
        raise ImportFileError(_("This file contains binary data, not text. Upload a CSV, "
                                "XLSX or JSON file."))
    encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        return _checked(data.decode(encoding)), encoding
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    try:
        return _checked(data.decode("cp1252")), "cp1252"
    except UnicodeDecodeError:
        line = data.count(b"\n", 0, first_bad) + 1
        raise ImportFileError(_(
            "The file is neither UTF-8 nor Windows-1252 text (byte 0x%(byte)s on line %(line)s). "
            "Save it as “CSV UTF-8” and upload it again.")
            % {"byte": f"{data[first_bad]:02x}", "line": line}) from None


def _looks_like_utf16(data: bytes) -> bool:
    """UTF-16 text of mostly Latin letters has a zero byte in every other position."""
    sample = data[:2000]
    if len(sample) < 4:
        return False
    even, odd = sample[0::2], sample[1::2]
    return (even.count(0) > 0.4 * len(even)) != (odd.count(0) > 0.4 * len(odd))


def _checked(text: str) -> str:
    """Text with control characters (other than tab and line ends) is binary data."""
    if any(ord(c) < 32 and c not in "\t\r\n" for c in text[:100_000]):
        raise ImportFileError(_("This file contains binary data, not text. Upload a CSV, "
                                "XLSX or JSON file."))
    return text


_NEUTRALISED = ("'=", "'+", "'-", "'@", "'\t", "'\r")


def unneutralise(cell: str) -> str:
    """The portal's CSV downloads put a ' before a cell starting with = + - @ (so that
    spreadsheet programs do not run it as a formula): read such a cell as it was."""
    return cell[1:] if cell.startswith(_NEUTRALISED) else cell


def _delimiter(header_line: str) -> str:
    """Comma normally; Excel in many European locales writes ';', 'Unicode text' tabs."""
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


# --- readers ---------------------------------------------------------------------------------

def read_file(data: bytes, kind: str, max_rows: int = MAX_ROWS) -> SourceFile:
    """The rows of a CSV, XLSX or JSON file; more than max_rows (the setting
    PORTAL_IMPORT_MAX_ROWS) is refused."""
    fmt = detect_format(data)
    if fmt == "xlsx":
        return read_xlsx(data, kind, max_rows)
    text, encoding = decode_text(data)
    if text.lstrip("\ufeff \t\r\n")[:1] in ("[", "{"):
        return read_json(text, kind, encoding, max_rows)
    return read_csv(text, kind, encoding, max_rows)


def _header(cells: list[str]) -> tuple[list[str], list[str]]:
    header = [("" if c is None else str(c)).strip().lstrip("\ufeff") for c in cells]
    while header and not header[-1]:
        header.pop()
    if not any(header):
        raise ImportFileError(_("The file has no header row: its first row must name the "
                                "columns."))
    columns = [normalise_header(h) for h in header]
    seen = set()
    for name, written in zip(columns, header, strict=True):
        if name and name in seen:
            raise ImportFileError(_("The column “%(column)s” appears twice.") % {"column": written})
        seen.add(name)
    return header, columns


def _too_many(max_rows: int) -> ImportFileError:
    return ImportFileError(_("The file has more than %(n)s rows. Split it into smaller files.")
                           % {"n": f"{max_rows:,}"})


def read_csv(text: str, kind: str, encoding: str | None,
             max_rows: int = MAX_ROWS) -> SourceFile:
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""),
                        delimiter=_delimiter(first_line), strict=True)
    try:
        header, columns = _header(next(reader))
    except StopIteration:
        raise ImportFileError(_("The file is empty.")) from None
    except csv.Error as exc:
        raise ImportFileError(_("The CSV file cannot be read at row %(row)s: %(reason)s")
                              % {"row": 1, "reason": str(exc)}) from None
    source = SourceFile("csv", encoding, header, columns)
    number = 1
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ImportFileError(_("The CSV file cannot be read at row %(row)s: %(reason)s")
                                  % {"row": number, "reason": str(exc)}) from None
        if not any(c.strip() for c in cells):
            continue  # a blank line: a blank row in the spreadsheet
        if len(source.rows) >= max_rows:
            raise _too_many(max_rows)
        cells = [unneutralise(c.strip()) for c in cells]
        values = {col: cells[i] if i < len(cells) else "" for i, col in enumerate(columns)
                  if col}
        source.rows.append(SourceRow(number, values, cells))
    return source


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_xlsx(data: bytes, kind: str, max_rows: int = MAX_ROWS) -> SourceFile:
    """The first worksheet of the workbook (read-only: rows stream, nothing is evaluated;
    cached values of formulas are read)."""
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_XLSX_ENTRIES or \
                    sum(e.file_size for e in entries) > MAX_XLSX_UNPACKED:
                raise ImportFileError(_("The workbook is too large once unpacked. Split it "
                                        "into smaller files."))
        # openpyxl parses the workbook's XML with defusedxml when it is installed (it is a
        # dependency): entity declarations (billion laughs) and external entities raise.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ImportFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for damaged files
        if _defused(exc):  # openpyxl wraps defusedxml's refusal in its own error
            raise _unsafe_xml() from None
        raise ImportFileError(_("The workbook cannot be read: %(reason)s")
                              % {"reason": str(exc)[:200]}) from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some programs write a wrong size: read what is there
        rows = sheet.iter_rows(values_only=False)
        source = None
        for row in rows:
            cells = [unneutralise(_cell_text(c.value)) if hasattr(c, "value") else ""
                     for c in row]
            row_number = next((c.row for c in row if hasattr(c, "row")), None)
            if source is None:
                if not any(cells):
                    continue
                header, columns = _header(cells)
                source = SourceFile("xlsx", None, header, columns)
                continue
            if not any(cells):
                continue
            if len(source.rows) >= max_rows:
                raise _too_many(max_rows)
            values = {col: cells[i] if i < len(cells) else "" for i, col in enumerate(
                source.columns) if col}
            source.rows.append(SourceRow(row_number or len(source.rows) + 2, values,
                                         cells[:len(source.header)]))
    except Exception as exc:
        if _defused(exc):
            raise _unsafe_xml() from None
        raise
    finally:
        workbook.close()
    if source is None:
        raise ImportFileError(_("The file has no header row: its first row must name the "
                                "columns."))
    return source


def _defused(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, DefusedXmlException):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _unsafe_xml() -> ImportFileError:
    return ImportFileError(_("The workbook contains XML entity or document type declarations, "
                             "which are not allowed. Save it again from your spreadsheet "
                             "program as a normal Excel workbook (.xlsx)."))


def json_depth(text: str) -> int:
    """How deeply the JSON text nests lists and objects (strings left out), without
    parsing it: linear, no recursion."""
    depth = deepest = 0
    for match in _JSON_OPENS_CLOSES.finditer(_JSON_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def read_json(text: str, kind: str, encoding: str | None,
              max_rows: int = MAX_ROWS) -> SourceFile:
    """A list of objects, or an object holding the list under the entity's name
    ({"experts": [...]})."""
    if json_depth(text) > MAX_JSON_DEPTH:
        raise ImportFileError(_("The JSON file nests lists and objects more than %(n)s levels "
                                "deep. A roster needs only a few levels.")
                              % {"n": MAX_JSON_DEPTH})
    try:
        document = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise ImportFileError(_("The file is not valid JSON: %(reason)s (line %(line)s).")
                              % {"reason": exc.msg, "line": exc.lineno}) from None
    if isinstance(document, dict) and isinstance(document.get(kind), list):
        document = document[kind]
    if not isinstance(document, list) or not all(isinstance(i, dict) for i in document):
        raise ImportFileError(_("The JSON file must hold a list of objects, or an object with "
                                "the list under “%(key)s”.") % {"key": kind})
    if len(document) > max_rows:
        raise _too_many(max_rows)
    known = [c.name for c in columns_of(kind)]
    seen: dict[str, None] = {}
    for item in document:
        for key in item:
            seen.setdefault(normalise_header(key), None)
    columns = [c for c in known if c in seen] + [c for c in seen if c not in known]
    source = SourceFile("json", encoding, list(columns), list(columns))
    for position, item in enumerate(document, start=1):
        values = {normalise_header(k): v for k, v in item.items()}
        source.rows.append(SourceRow(position, values,
                                     [_json_cell(values.get(c)) for c in columns]))
    return source


def _json_cell(value: Any) -> str:
    """A JSON value written as a CSV cell (for the rejected-rows file)."""
    if value is None:
        return ""
    if isinstance(value, list):
        items = []
        for item in value:
            if isinstance(item, dict):
                items.append([("" if v is None else v) for v in item.values()])
            else:
                items.append(item)
        return join_items(items)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (with BOM)", "utf-16": "UTF-16",
                  "cp1252": "Windows-1252"}
