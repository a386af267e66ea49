"""Bar charts drawn on the server: the geometry of an SVG for one column of a table, which
templates/reports/_chart.html turns into markup (role="img", a title, a description, the
figures in a table beside it). No script, no library, nothing from another host; in a
right-to-left language the labels stand on the right and the bars grow to the left."""

from __future__ import annotations

from dataclasses import dataclass

from app.reports.tables import COUNT, HIDDEN, Table, format_figure

WIDTH = 640
LABEL_WIDTH = 200      # the category names
VALUE_WIDTH = 56       # the figure after each bar
BAR_HEIGHT = 18
ROW_HEIGHT = 26
MAX_BARS = 15          # more categories: the chart shows the largest, the table all of them
LABEL_CHARS = 28


@dataclass
class Bar:
    label: str
    shown: str          # the figure as written beside the bar ("<5" when hidden)
    bar_x: float
    bar_width: float
    y: float
    label_x: float
    value_x: float


@dataclass
class Chart:
    id: str
    title: str
    description: str
    height: int
    bars: list[Bar]
    label_anchor: str
    value_anchor: str
    axis_x: float


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…"


def bar_chart(table: Table, chart_id: str, description: str, rtl: bool,
              column: int = -1) -> Chart | None:
    """Bars for the table's `column` (by default its last count column), its total or
    overall row left out; None when there is nothing to draw."""
    if column < 0:
        counts = [i for i, c in enumerate(table.columns) if c.kind == COUNT]
        if not counts:
            return None
        column = counts[-1]
    kind = table.columns[column].kind
    parts = table.rows[:-1] if table.overall_row else table.rows  # the whole is no bar
    rows = [(label, values[column], (r, column) in table.hidden)
            for r, (label, values) in enumerate(parts)]
    rows = [row for row in rows if row[1] is not None]
    if not rows:
        return None
    rows = sorted(rows, key=lambda row: -(row[1] or 0))[:MAX_BARS] \
        if len(rows) > MAX_BARS else rows
    # Hidden cells draw no bar: its length would tell what "<5" hides. Nor does a value
    # below zero (a fall in test scores): the figure beside it says it.
    top = max((value or 0 for _l, value, hidden in rows if not hidden), default=0)
    top = top if top > 0 else 1
    track = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = []
    for i, (label, value, hidden) in enumerate(rows):
        length = 0.0 if hidden or (value or 0) <= 0 else \
            round(track * float(value or 0) / float(top), 1)
        y = i * ROW_HEIGHT + 4
        if rtl:
            bar_x = WIDTH - LABEL_WIDTH - length
            label_x, value_x = WIDTH - LABEL_WIDTH + 8, bar_x - 6
        else:
            bar_x = LABEL_WIDTH
            label_x, value_x = LABEL_WIDTH - 8, bar_x + length + 6
        bars.append(Bar(_short(label), HIDDEN if hidden else format_figure(value, kind),
                        bar_x, length, y, label_x, value_x))
    return Chart(chart_id, table.title, description, len(rows) * ROW_HEIGHT + 8, bars,
                 # text-anchor is physical: "start" is the left edge of the text.
                 label_anchor="start" if rtl else "end", value_anchor="end" if rtl else "start",
                 axis_x=WIDTH - LABEL_WIDTH if rtl else LABEL_WIDTH)
