"""A report's table: rows of labelled figures, the same object behind the chart, the data
table on the screen and the CSV/XLSX exports, so the three can never differ.

Small-cell protection lives here too: for anyone outside mission staff, a count of people
or activities from 1 to 4 shows as "<5", and more cells are hidden where a total or the
other cells of a row or column would give a hidden one away (complementary suppression)."""

from __future__ import annotations

from dataclasses import dataclass, field

# What a column holds: counts are what small-cell protection hides; the others are shown
# as they are (a rate, a mean or a median says nothing of one person on its own here).
COUNT, RATE, MEAN, DAYS = "count", "rate", "mean", "days"
SMALL = range(1, 5)
HIDDEN = "<5"


@dataclass
class Column:
    label: str
    kind: str = COUNT


@dataclass
class Table:
    """`rows` are (label, figures). With `total_row`, a last row sums every count column;
    `sums` names count columns that are the sum of others (a Total beside Female and Male)."""

    key: str
    title: str
    head: str                      # the heading of the label column
    columns: list[Column]
    rows: list[tuple[str, list[float | int | None]]]
    total_row: bool = False
    # The last of `rows` is the whole (All sectors) from SQL, not a sum of the others.
    overall_row: bool = False
    sums: list[tuple[int, list[int]]] = field(default_factory=list)
    note: str = ""
    # The column the chart draws (by default the last count column).
    chart_column: int = -1
    # Cells hidden by small-cell protection, as (row, column); row len(rows) is the total row.
    hidden: set[tuple[int, int]] = field(default_factory=set)

    def grid(self) -> list[list[float | int | None]]:
        """The figures with the total row, if any, as the last row."""
        figures = [list(values) for _label, values in self.rows]
        if self.total_row:
            figures.append([sum(row[c] or 0 for row in figures) if column.kind == COUNT
                            else None for c, column in enumerate(self.columns)])
        return figures

    @property
    def last_is_whole(self) -> bool:
        return self.total_row or self.overall_row

    def labels(self, total_label: str) -> list[str]:
        return [label for label, _v in self.rows] + ([total_label] if self.total_row else [])

    def cells(self, total_label: str) -> list[tuple[str, list[str]]]:
        """Every row as shown and exported: figures formatted, hidden ones as "<5"."""
        shown = []
        for r, (label, figures) in enumerate(zip(self.labels(total_label), self.grid(),
                                                 strict=True)):
            shown.append((label, [HIDDEN if (r, c) in self.hidden
                                  else format_figure(value, self.columns[c].kind)
                                  for c, value in enumerate(figures)]))
        return shown


def format_figure(value: float | int | None, kind: str) -> str:
    if value is None:
        return "–"
    if kind == RATE:
        return f"{value:.0%}"
    if kind in (MEAN, DAYS):
        return f"{value:.1f}"
    return str(int(value))


def protect(table: Table) -> Table:
    """Hide every count from 1 to 4, then, while a sum (a column with its total row, a row
    with its total column) has exactly one hidden term, hide its smallest other non-zero
    term too, so no hidden cell can be worked out by subtraction."""
    grid = table.grid()
    counts = {c for c, column in enumerate(table.columns) if column.kind == COUNT}
    hidden = {(r, c) for r, row in enumerate(grid) for c, value in enumerate(row)
              if c in counts and value in SMALL}
    # Each relation: the cells that must add up (the total among them).
    relations: list[list[tuple[int, int]]] = []
    # A total row, or an overall row from SQL (each row's count is part of it): a column
    # adds up either way.
    if table.last_is_whole and table.rows:
        relations += [[(r, c) for r in range(len(grid))] for c in counts]
    for total, parts in table.sums:
        relations += [[(r, total), *((r, p) for p in parts)] for r in range(len(grid))]
    changed = True
    while changed:
        changed = False
        for relation in relations:
            if sum(cell in hidden for cell in relation) != 1:
                continue
            visible = [cell for cell in relation if cell not in hidden
                       and grid[cell[0]][cell[1]]]
            if visible:
                hidden.add(min(visible, key=lambda cell: (grid[cell[0]][cell[1]] or 0, cell)))
                changed = True
    table.hidden = hidden
    return table
