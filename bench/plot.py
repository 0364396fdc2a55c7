"""Chart latency against page count from the JSON files of bench/load.py runs.

Usage: .venv/bin/python bench/plot.py RUN.json [RUN.json ...] [--metric p95] [--out PREFIX]

Writes one SVG per database and search backend found in the runs (``PREFIX-sqlite-whoosh.svg``),
one line per scenario, the page counts on the horizontal axis. Needs the ``bench`` extra
(``pip install -e '.[bench]'``: pygal).
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


def charts(runs: list[dict[str, Any]], metric: str) -> dict[str, pygal.Line]:
    """One line chart of ``metric`` (milliseconds) per database and search backend."""
    grouped: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    for run in runs:
        grouped[f"{run['database']}-{run['search']}"][run["pages"]] = run
    made = {}
    for name, by_pages in sorted(grouped.items()):
        counts = sorted(by_pages)
        database, search = name.split("-", 1)
        chart = pygal.Line(
            title=f"{metric} latency against page count ({database}, {search} search)",
            x_title="pages", y_title=f"{metric} (ms)", style=STYLE, dots_size=4,
            legend_at_bottom=True, legend_at_bottom_columns=3, truncate_legend=-1,
            logarithmic=True, width=900, height=500,
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
        print(path)


if __name__ == "__main__":
    main()
