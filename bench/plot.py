"""Chart latency against page count from the JSON files of bench/load.py runs.

Usage: .venv/bin/python bench/plot.py RUN.json [RUN.json ...] [--metric p95] [--out PREFIX]

Writes one SVG per database and search backend found in the runs (``PREFIX-sqlite-whoosh.svg``),
one line per scenario, the page counts on the horizontal axis, and prints a Markdown table of
the same runs side by side. Needs the ``bench`` extra (``pip install -e '.[bench]'``: pygal).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pygal
from pygal.style import Style

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import BARE, SCENARIOS  # noqa: E402

#: One colour per scenario (in SCENARIOS order); the bare apps are grey and dashed.
STYLE = Style(
    colors=("#7f7f7f", "#b0b0b0", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"),
    background="white",
    plot_background="white",
)


def grouped(runs: list[dict[str, Any]]) -> dict[str, dict[int, dict[str, Any]]]:
    """Runs by database and search backend ("sqlite-whoosh"), then by page count."""
    groups: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    for run in runs:
        groups[f"{run['database']}-{run['search']}"][run["pages"]] = run
    return dict(sorted(groups.items()))


def table(by_pages: dict[int, dict[str, Any]], metric: str) -> str:
    """Requests/s, ``metric`` and the ratio to bare "hello" for each page count."""
    counts = sorted(by_pages)
    heads = [f"{label} {count:,}" for label in ("req/s", f"{metric} ms", "× hello")
             for count in counts]  # fmt: skip
    lines = ["| scenario | " + " | ".join(heads) + " |", "|---|" + "---:|" * len(heads)]
    for scenario in SCENARIOS:
        rows = [by_pages[count]["results"].get(scenario.name) for count in counts]
        if not any(rows):
            continue
        cells = [f"{row['rps']:,.0f}" if row else "-" for row in rows]
        cells += [f"{row[metric]:.1f}" if row else "-" for row in rows]
        cells += [f"{row['x_hello']:.2f}" if row and "x_hello" in row else "-" for row in rows]
        lines.append(f"| {scenario.label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def charts(runs: list[dict[str, Any]], metric: str) -> dict[str, pygal.Line]:
    """One line chart of ``metric`` (milliseconds) per database and search backend."""
    made = {}
    for name, by_pages in grouped(runs).items():
        counts = sorted(by_pages)
        database, search = name.split("-", 1)
        chart = pygal.Line(
            title=f"{metric} latency against page count ({database}, {search} search)",
            x_title="pages", y_title=f"{metric} (ms)", style=STYLE, dots_size=4,
            legend_at_bottom=True, legend_at_bottom_columns=3, truncate_legend=-1,
            logarithmic=True, width=900, height=540,
        )  # fmt: skip
        chart.x_labels = [f"{count:,}" for count in counts]
        for scenario in SCENARIOS:
            values = [
                by_pages[count]["results"].get(scenario.name, {}).get(metric) for count in counts
            ]
            dashed = {"dasharray": "6, 4"} if scenario.name in BARE else {}
            chart.add(scenario.label, values, stroke_style=dashed)
        made[name] = chart
    return made


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="JSON files written by load.py --json")
    parser.add_argument("--metric", choices=["p50", "p95", "p99"], default="p95")
    parser.add_argument("--out", type=Path, default=Path("latency"), help="file name prefix")
    args = parser.parse_args(argv)
    runs = [json.loads(path.read_text()) for path in args.runs]
    for name, chart in charts(runs, args.metric).items():
        path = args.out.with_name(f"{args.out.name}-{name}.svg")
        chart.render_to_file(str(path))
        print(f"{path}\n")
        print(table(grouped(runs)[name], args.metric) + "\n")


if __name__ == "__main__":
    main()
