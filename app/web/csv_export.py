"""CSV and Excel downloads that open safely in spreadsheet programs."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable


def safe_cell(value) -> str:
    """Spreadsheet programs run cells that start with = + - @ as formulas: neutralise them."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_text(header: list[str], rows: Iterable[Iterable]) -> str:
    """UTF-8 text with a byte-order mark, which Excel needs to read Arabic correctly."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_bytes(sheets: Iterable[tuple[str, list[str], Iterable[Iterable]]]) -> bytes:
    """A workbook of (sheet name, header, rows): the header in bold, text made safe like the
    CSV's (a cell starting with = would be a formula), whole numbers stored as numbers."""
    import openpyxl
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, header, rows in sheets:
        sheet = workbook.create_sheet(name[:31])
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([value if isinstance(value, int) else safe_cell(value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
