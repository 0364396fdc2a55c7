"""The wiki as production runs it: gunicorn with two worker processes over a prepared wiki."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.config import PROJECT_ROOT
from tests.conftest import make_app

#: How long gunicorn may take to start its workers, or to stop, on a busy machine.
PATIENCE = 60


@dataclass
class Server:
    """A running gunicorn: its address and the file its processes write their logs to."""

    url: str
    log: Path
    process: subprocess.Popen[bytes]

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any, str]:
        """GET ``path``: status, headers and body (errors are answers too)."""
        request = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    """A demo wiki (starter content, demo accounts) on this test's database, served by
    ``gunicorn -w 2`` on a free loopback port with JSON logs and metrics on."""
    settings = {
        "SEARCH_BACKEND": "whoosh",
        "SEARCH_INDEX": str(tmp_path / "index"),
        "SECRET_KEY": "gunicorn-test-secret-key",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "CONTENT_DIR": str(PROJECT_ROOT / "content"),
    }
    setup = make_app(tmp_path, database_url, **settings)  # the README's `flask --app app demo`
    result = setup.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    setup.extensions["wiki.search"].close()
    setup.extensions["wiki.engine"].dispose()

    metrics = tmp_path / "metrics"
    metrics.mkdir()
    log = tmp_path / "server.log"
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith("PEERWIKI_")},
        **{f"PEERWIKI_{key}": value for key, value in settings.items()},
        "PEERWIKI_DATABASE_URL": database_url,
        "PEERWIKI_LOG_FORMAT": "json",
        "PEERWIKI_METRICS": "true",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", "127.0.0.1:0",
             "app:create_app()"],
            cwd=PROJECT_ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield Server(_listening(log, process), log, process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _listening(log: Path, process: subprocess.Popen[bytes]) -> str:
    """Wait until both workers have booted; return the address gunicorn chose."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        text = log.read_text()
        address = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", text)
        if address and text.count("Booting worker") >= 2:
            return address.group(1)
        assert process.poll() is None, f"gunicorn exited:\n{text}"
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not start in {PATIENCE} s:\n{log.read_text()}")


def test_gunicorn_with_two_workers_serves_the_site_and_stops_cleanly(server: Server) -> None:
    walk = {
        "/": "Requesting Time Off",
        "/wiki/requesting-time-off": "25 days of paid time off",
        "/search?q=holiday": "Requesting Time Off",
        "/login": "Sign in",
        "/static/css/peerwiki.css": "{",
    }
    for number, (path, expected) in enumerate(walk.items()):
        status, _, body = server.get(path, {"X-Request-Id": f"walk-{number}"})
        assert status == 200 and expected in body, (path, status, body[:500])
    status, _, body = server.get("/healthz", {"X-Request-Id": "walk-health"})
    assert status == 200 and json.loads(body)["status"] == "ok", body
    status, headers, body = server.get("/api/v1/pages/requesting-time-off")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body)["title"] == "Requesting Time Off"
    assert server.get("/wiki/no-such-page")[0] == 404

    # Both workers count into one set of metrics (PROMETHEUS_MULTIPROC_DIR).
    for _ in range(6):
        assert server.get("/login")[0] == 200
    _, _, metrics = server.get("/metrics")
    counted = re.search(
        r'peerwiki_http_request_duration_seconds_count\{endpoint="auth.login",'
        r'method="GET",status="200"\} (\S+)',
        metrics,
    )
    assert counted and float(counted.group(1)) == 7

    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=PATIENCE) == 0
    lines = server.log.read_text().splitlines()
    assert any("Shutting down: Master" in line for line in lines)
    access = [json.loads(line) for line in lines if '"peerwiki.access"' in line]
    walked = {line["path"]: line for line in access if line["request_id"].startswith("walk-")}
    assert walked.keys() == {path.partition("?")[0] for path in walk} | {"/healthz"}
    assert {line["status"] for line in walked.values()} == {200}
    assert all(isinstance(line["duration_ms"], float) for line in walked.values())
    assert not [line for line in lines if "Traceback" in line or '"level": "ERROR"' in line]
