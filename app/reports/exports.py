"""A report's tables as the page shows them and as files: the same cells for the screen,
the CSV and the XLSX, so an export always equals the screen."""

from __future__ import annotations

from collections.abc import Iterable

from app.documents import download
from app.reports import labels
from app.reports.charts import bar_chart
from app.reports.tables import Table
from app.web.csv_export import XLSX, csv_text, xlsx_bytes


def present(table: Table, key: str, rtl: bool) -> dict:
    """What the page shows of a table: its cells, and its chart with a description that
    reads out every figure."""
    cells = table.cells(labels.total())
    description = "; ".join(f"{label}: {', '.join(values)}" for label, values in cells)
    return {"key": key, "table": table, "cells": cells,
            "chart": bar_chart(table, "chart-" + key.replace(".", "-"), description, rtl,
                               table.chart_column)}


def sheet(table: Table, numbers: bool = False) -> tuple[list[str], list[list]]:
    """The table as on the screen: its heading row, then its rows (figures written the same
    way, "<5" where hidden); in a workbook, whole numbers as numbers."""
    rows = [[label, *(int(v) if numbers and v.isdigit() else v for v in values)]
            for label, values in table.cells(labels.total())]
    return [table.head, *(c.label for c in table.columns)], rows


def csv_download(name: str, tables: list[tuple[str, Table]], one: bool):
    """One table, or every table one below the other under its title (none: an empty file,
    as a report with nothing chosen yet has no table)."""
    if not tables:
        return download(f"{name}.csv", "text/csv", csv_text([], []).encode("utf-8"))
    if one:
        return download(f"{name}-{tables[0][0]}.csv", "text/csv",
                        csv_text(*sheet(tables[0][1])).encode("utf-8"))
    lines: list[list] = []
    for _key, table in tables:
        header, rows = sheet(table)
        lines += [[table.title], header, *rows, []]
    return download(f"{name}.csv", "text/csv", csv_text(lines[0], lines[1:-1]).encode("utf-8"))


def xlsx_download(name: str, tables: Iterable[tuple[str, Table]]):
    """One sheet per table. A sheet's name holds 31 characters: the table's own key, with its
    section's only where two sections show the same table (a partner's agency and the
    mission)."""
    tables = list(tables)
    if not tables:
        return download(f"{name}.xlsx", XLSX, xlsx_bytes([("report", [], [])]))
    short = [table.key for _key, table in tables]
    names = short if len(set(short)) == len(short) else [key for key, _t in tables]
    return download(f"{name}.xlsx", XLSX, xlsx_bytes(
        (name, *sheet(table, numbers=True)) for name, (_key, table) in zip(names, tables,
                                                                             strict=True)))
