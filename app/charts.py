"""Draw an analytics table as an SVG chart (pygal, on the server: no script, no CDN).

Two sizes: ``wide`` for a desktop column and ``narrow`` for a phone, where the same chart drawn
wide and scaled down would shrink its labels below reading size.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable
from datetime import date
from typing import Any, Final, Literal

from app.services.analytics import Chart, Table


def _pygal() -> Any:
    """Import pygal, without the finder it appends to ``sys.meta_path`` for its world-map
    plugins (unused here): that finder lacks ``find_spec``, so every import that fails anywhere
    in the process would then warn (ImportWarning), and libraries probe imports on purpose
    (Flask-Caching's backends, rapidfuzz's CPU variants)."""
    import pygal

    sys.meta_path[:] = [
        finder for finder in sys.meta_path if not isinstance(finder, pygal.PluginImportFixer)
    ]
    return pygal


Size = Literal["wide", "narrow"]
SIZES: Final = ("wide", "narrow")

#: Colour-blind-safe series colours (Okabe-Ito), then greys.
COLOURS: Final = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442",
                  "#000000", "#7f7f7f", "#b0b0b0")  # fmt: skip
#: Fresh, due, overdue: green, amber, red.
HEALTH_COLOURS: Final = ("#009e73", "#e69f00", "#d55e00")

_FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif'
_GEOMETRY: Final[dict[str, dict[str, Any]]] = {
    "wide": {"width": 640, "height": 340, "fonts": 13, "truncate": 28, "every": 1},
    "narrow": {"width": 360, "height": 400, "fonts": 15, "truncate": 16, "every": 3},
}


def svg(chart: Chart, table: Table, size: Size = "wide") -> str:
    """Return ``table`` drawn as ``chart`` says, as an SVG document."""
    pygal = _pygal()
    geometry = _GEOMETRY[size]
    fonts = geometry["fonts"]
    style = pygal.style.Style(
        font_family=_FONT,
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#1d2330",
        foreground_strong="#1d2330",
        foreground_subtle="#5d6678",
        colors=_colours(chart),
        label_font_size=fonts - 1,
        major_label_font_size=fonts - 1,
        legend_font_size=fonts,
        value_font_size=fonts - 2,
        tooltip_font_size=fonts,
        title_font_size=fonts + 2,
        no_data_font_size=fonts + 4,
    )
    kind = {"stacked_bar": pygal.StackedBar, "line": pygal.Line,
            "horizontal_bar": pygal.HorizontalBar}[chart.kind]  # fmt: skip
    weekly = chart.x == "week"
    drawing = kind(
        style=style,
        width=geometry["width"],
        height=geometry["height"],
        explicit_size=False,
        js=[],  # pygal's tooltips script comes from a CDN: none here
        disable_xml_declaration=True,
        show_legend=False,  # the page writes it under the picture: text that fits any width
        truncate_label=geometry["truncate"],
        # On a phone the labels along the bottom would run into each other: slant them.
        x_label_rotation=40 if size == "narrow" and chart.kind != "horizontal_bar" else 0,
        show_minor_x_labels=not weekly or size == "wide",
        x_labels_major_every=geometry["every"] if weekly else None,
        print_values=False,
        allow_interruptions=True,
        margin=6,
        spacing=8,
        no_data_text="Nothing yet in this range",
        y_title=_unit_title(chart),
        value_formatter=_formatter(chart),
        min_scale=3,
        max_scale=6,
    )
    labels, series = _series(chart, table)
    if not chart.unit:  # counts: whole-number ticks, not 0.8, 1.6, 2.4
        drawing.y_labels = _whole_ticks(chart, series)
    drawing.x_labels = [_label(value, weekly) for value in labels]
    if weekly and size == "narrow":
        drawing.x_labels_major = drawing.x_labels[:: geometry["every"]]
    for name, values in series.items():
        drawing.add(name, values)
    return str(drawing.render(is_unicode=True))


def legend(chart: Chart, table: Table) -> list[tuple[str, str]]:
    """Each series of the chart with its colour, in drawing order (the key under the picture)."""
    _, series = _series(chart, table)
    colours = _colours(chart)
    return [(name, colours[n % len(colours)]) for n, name in enumerate(series)]


def _colours(chart: Chart) -> tuple[str, ...]:
    return HEALTH_COLOURS if chart.name == "verification-health" else COLOURS


def _series(chart: Chart, table: Table) -> tuple[list[Any], dict[str, list[float | None]]]:
    """The axis labels and each series' values, in the table's order."""
    column = {name: index for index, name in enumerate(table.columns)}
    labels: list[Any] = []
    for row in table.rows:
        if row[column[chart.x]] not in labels:
            labels.append(row[column[chart.x]])
    position = {label: index for index, label in enumerate(labels)}
    series: dict[str, list[float | None]] = {}
    scale = 100.0 if chart.unit == "%" else 1.0
    for row in table.rows:
        for value_column in chart.values:
            name = str(row[column[chart.series]]) if chart.series else _heading(value_column)
            values = series.setdefault(name, [None] * len(labels))
            value = row[column[value_column]]
            values[position[row[column[chart.x]]]] = None if value is None else value * scale
    if chart.kind == "horizontal_bar":  # pygal draws the first label at the bottom
        labels.reverse()
        series = {name: values[::-1] for name, values in series.items()}
    return labels, series


def _whole_ticks(chart: Chart, series: dict[str, list[float | None]]) -> list[int]:
    """About five whole-number ticks from 0 past the largest bar (a stack's total)."""
    columns = list(zip(*series.values(), strict=True)) if series else []
    if chart.kind == "stacked_bar":
        highest = max((sum(v or 0 for v in column) for column in columns), default=0)
    else:
        highest = max((v or 0 for values in series.values() for v in values), default=0)
    step = max(1, -(-int(highest) // 5))
    return list(range(0, int(highest) + step + 1, step))


def _label(value: Any, weekly: bool) -> str:
    if weekly:
        day = date.fromisoformat(str(value))
        return f"{day:%b} {day.day}"
    return str(value)


def _heading(column: str) -> str:
    """A column name as a legend entry: ``median_hours`` -> "median"."""
    words = column.replace("_hours", "").replace("p90", "90th percentile").replace("_", " ")
    return words[:1].upper() + words[1:]


def _unit_title(chart: Chart) -> str | None:
    return {"%": "% of reviews", "h": "hours"}.get(chart.unit)


def _formatter(chart: Chart) -> Callable[[float | None], str]:
    suffix = {"%": "%", "h": " h"}.get(chart.unit, "")

    def format_value(value: float | None) -> str:
        if value is None:
            return "-"
        return f"{value:,.0f}{suffix}" if value == int(value) else f"{value:,.1f}{suffix}"

    return format_value


def csv_text(table: Table) -> str:
    """Return ``table`` as CSV: a header of its column names, then its rows (empty for none)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows(["" if value is None else value for value in row] for row in table.rows)
    return out.getvalue()
