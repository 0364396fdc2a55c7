"""bench/load.py runs end to end: it seeds, serves with gunicorn, measures every scenario, and
bench/plot.py charts what it wrote."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.sqlite  # the benchmark seeds a SQLite wiki of its own, whatever the run's database
@pytest.mark.skipif(shutil.which("wrk") is None, reason="needs wrk (apt-get install -y wrk)")
def test_quick_load_run_measures_every_scenario_and_charts_them(tmp_path: Path) -> None:
    report_file = tmp_path / "run.json"
    run = subprocess.run(
        [sys.executable, "bench/load.py", "--quick", "--pages", "50", "--workdir",
         str(tmp_path / "work"), "--json", str(report_file)],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(report_file.read_text())
    assert report["pages"] == 50 and report["database"] == "sqlite"
    assert set(report["results"]) == {
        "hello", "page20k", "view", "view_signed_in", "search", "suggest", "save", "queue",
    }  # fmt: skip
    for name, figures in report["results"].items():
        assert figures["requests"] > 0 and figures["errors"] == 0, name
    assert "| page view, anonymous |" in run.stdout and "| API save (new revision) |" in run.stdout

    subprocess.run(
        [sys.executable, "bench/plot.py", str(report_file), "--out", str(tmp_path / "latency")],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    chart = (tmp_path / "latency-sqlite-whoosh.svg").read_text()
    assert "page view, anonymous" in chart and "review queue" in chart
