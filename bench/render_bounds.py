"""How long the worst page bodies the editor accepts take to render, against a normal page.

    .venv/bin/python bench/render_bounds.py

Each input is built at (or just under) the limits of ``app/render.py``; inputs beyond them are
refused before rendering (the last rows show how fast the refusal is). Medians of 3 runs, in
seconds, with the ratio to a normal 20 KB how-to rendered in the same run.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from app import render

LIMITS = render.MARKUP_LIMITS


def _normal_page() -> str:
    section = (
        "## Filing an expense\n\nOpen the *finance* form, attach the receipt and pick the "
        "project. See [[Travel policy]] and [the portal](https://example.com/portal).\n\n"
        "- Keep receipts for **seven years**\n- Ask `finance@` when unsure\n\n"
        "| Step | Who |\n|---|---|\n| Submit | you |\n| Approve | manager |\n\n"
    )
    return (section * (20_000 // len(section) + 1))[:20_000]


CASES: dict[str, str] = {
    "normal 20 KB how-to (baseline)": _normal_page(),
    "unclosed [ at the limit": "[" * LIMITS["["],
    "< at the limit": "<" * LIMITS["<&"],
    "& at the limit": "&" * LIMITS["<&"],
    "1,400 links (under the element limit)": "[a](b) " * 1_400,
    "emphasis runs at the limit": "*a " * LIMITS["*_"],
    "underscores at the limit": "_a" * LIMITS["*_"],
    "table of 590 rows (under the element limit)": "|a|b|\n|-|-|\n" + "|x|y|\n" * 590,
    "nested quotes": ">" * 5_000 + " x",
    "nested lists": "".join("  " * depth + "- x\n" for depth in range(400)),
    "1,400 short paragraphs (under the limit)": "\n\n".join(["Plain words here."] * 1_400),
    "links and text, 200 KB": ("See [the guide](https://example.com/a) first. " * 4_000)[:199_000],
    "refused: 1,600 links": "[a](b) " * 1_600,
    "refused: 190,000 [": "[" * 190_000,
    "refused: 20,000-row table": "|a|b|\n|-|-|\n" + "|x|y|\n" * 20_000,
}


def _time(work: Callable[[], object]) -> float:
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        try:
            work()
        except render.TooComplex:
            pass
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    baseline = _time(lambda: render.render_markdown(CASES["normal 20 KB how-to (baseline)"]))
    print(f"{'input':42} {'chars':>8} {'outcome':>9} {'seconds':>8} {'x baseline':>10}")
    for name, source in CASES.items():
        try:
            render.render_markdown(source)
            outcome = "rendered"
        except render.TooComplex:
            outcome = "refused"
        seconds = _time(lambda source=source: render.render_markdown(source))  # type: ignore[misc]
        print(f"{name:42} {len(source):8} {outcome:>9} {seconds:8.3f} {seconds / baseline:10.1f}")


if __name__ == "__main__":
    main()
