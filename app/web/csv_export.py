"""CSV downloads that open safely in spreadsheet programs."""

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
