"""API saves under load: requests/s and latency of ``POST /api/v1/pages/<slug>/revisions``.

Seeds a SQLite wiki with ``--pages`` published pages and a Whoosh index, serves it with
``gunicorn -w 2`` and has ``--clients`` clients save edits of their own page for ``--seconds``;
then it measures how long the index takes to hold the last save (searchable by its author),
after a warm-up in which each server caught up with the seeding.
Each configuration is one way the work after a save runs:

- ``thread``: on a background thread of each app process (the default; batched index runs,
  Whoosh merges when work pauses);
- ``queue``: in the database queue, done by one ``flask --app app worker`` process;
- ``baseline``: ``thread`` on another checkout (``--baseline DIR``, e.g. a worktree of the commit
  before the worker), measured in the same run for comparison.

Rounds are interleaved, so all configurations meet the same machine load.

    .venv/bin/python bench/save_bench.py --pages 2000 --seconds 10 --rounds 2 --baseline DIR
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent

SEED = """
import random, sys
from app import create_app
from tests.factories import make_page, make_user
app = create_app()
words = "budget invoice laptop travel policy review team deadline report approval".split()
rng = random.Random(7)
with app.extensions["wiki.sessionmaker"]() as session:
    author = make_user(session, username="bench", department="Engineering", is_admin=True)
    for number in range(int(sys.argv[1])):
        body = " ".join(rng.choice(words) for _ in range(300))
        make_page(session, author, title=f"Page {number}", body=f"# Page {number}\\n\\n{body}\\n")
"""


@dataclass
class Config:
    """One way of running the wiki."""

    label: str
    project: Path
    runner: str
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    lags: list[float] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _environment(work: Path, runner: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PEERWIKI_")}
    environment.update(
        PEERWIKI_DATABASE_URL=f"sqlite:///{work / 'wiki.db'}",
        PEERWIKI_SEARCH_INDEX=str(work / "index"),
        PEERWIKI_SECRET_KEY="bench-secret-key-bench-secret-key",
        PEERWIKI_PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
        PEERWIKI_RATELIMIT_ENABLED="false",
        PEERWIKI_BACKGROUND_RUNNER=runner,
        PEERWIKI_BASE_URL="http://127.0.0.1",
        PEERWIKI_LOG_LEVEL="WARNING",
    )
    return environment


def _flask(project: Path, environment: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=project, env=environment, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


def _prepare(config: Config, work: Path, pages: int) -> str:
    """Seed the wiki of ``config`` in ``work``; return an API token."""
    environment = _environment(work, config.runner)
    _flask(config.project, environment, "db", "upgrade")
    subprocess.run(
        [sys.executable, "-c", SEED, str(pages)],
        cwd=config.project, env=environment, check=True,
    )  # fmt: skip
    _flask(config.project, environment, "search", "rebuild")
    return _flask(config.project, environment, "tokens", "create", "bench").strip().splitlines()[-1]


@contextmanager
def _serving(config: Config, work: Path) -> Any:
    environment = _environment(work, config.runner)
    port = _free_port()
    log = (work / "server.log").open("ab")
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
             "app:create_app()"],
            cwd=config.project, env=environment, stdout=log, stderr=subprocess.STDOUT,
        )
    ]  # fmt: skip
    if config.runner == "queue":
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", "worker", "--poll", "0.05"],
                cwd=config.project,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(url + "/api/v1/departments", timeout=30):
                    break
            except OSError:  # not listening yet, or its workers still starting
                time.sleep(0.1)
        yield url
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        log.close()


def _call(url: str, token: str, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        url + path, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _load(config: Config, url: str, token: str, clients: int, seconds: float) -> str:
    """Save edits from ``clients`` threads for ``seconds``; return the last save's marker."""
    stop_at = time.perf_counter() + seconds
    markers: list[str] = []

    def client(number: int) -> None:
        slug = f"page-{number}"
        base = _call(url, token, "GET", f"/api/v1/pages/{slug}")["latest_revision"]["id"]
        edit = 0
        while edit == 0 or time.perf_counter() < stop_at:  # one save at least
            edit += 1
            marker = f"zq{number}x{edit}x{int(time.time() * 1000)}"
            body = {"body": f"# Page {number}\n\nEdit {edit}: {marker} budget review.\n",
                    "base_revision_id": base}  # fmt: skip
            started = time.perf_counter()
            saved = _call(url, token, "POST", f"/api/v1/pages/{slug}/revisions", body)
            config.latencies.append(time.perf_counter() - started)
            base = saved["id"]
            markers.append(marker)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    config.seconds += time.perf_counter() - started
    return markers[-1]


def _lag(url: str, token: str, marker: str) -> float:
    """Seconds until the last save is found by its author's search (pending proposals)."""
    started = time.perf_counter()
    while time.perf_counter() - started < 120:
        found = _call(url, token, "GET", f"/api/v1/search?q={marker}&pending=1")
        if found.get("total"):
            break
        time.sleep(0.02)
    return time.perf_counter() - started


def _workspace(keep: Path | None) -> Any:
    """A directory for the wikis: temporary, or kept inside ``keep``."""
    if keep is None:
        return tempfile.TemporaryDirectory(prefix="peerwiki-save-bench-")
    keep.mkdir(parents=True, exist_ok=True)
    return nullcontext(tempfile.mkdtemp(prefix="peerwiki-save-bench-", dir=keep))


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--baseline", type=Path, help="another checkout, measured as 'baseline'")
    parser.add_argument(
        "--keep", type=Path, help="keep the wikis and server logs in this directory"
    )
    args = parser.parse_args()
    configs = [Config("thread", PROJECT, "thread"), Config("queue + worker", PROJECT, "queue")]
    if args.baseline:
        configs.insert(0, Config("baseline (thread)", args.baseline.resolve(), "thread"))
    with _workspace(args.keep) as temporary:
        tokens = {}
        for number, config in enumerate(configs):
            work = Path(temporary) / str(number)
            work.mkdir()
            tokens[config.label] = _prepare(config, work, args.pages)
        for _ in range(args.rounds):
            for number, config in enumerate(configs):
                work = Path(temporary) / str(number)
                print(f"round: {config.label}", file=sys.stderr)
                with _serving(config, work) as url:
                    # Warm up: the first save is searchable once each process has caught up.
                    warm = Config(config.label, config.project, config.runner)
                    _lag(url, tokens[config.label], _load(warm, url, tokens[config.label], 1, 0.1))
                    marker = _load(config, url, tokens[config.label], args.clients, args.seconds)
                    config.lags.append(_lag(url, tokens[config.label], marker))
    print(
        f"\nAPI saves, {args.pages:,} pages, gunicorn -w 2, {args.clients} clients, "
        f"{args.rounds} x {args.seconds:.0f} s per configuration (interleaved)\n"
    )
    print("| configuration | saves/s | p50 ms | p95 ms | p99 ms | max ms | index lag s |")
    print("|---|---|---|---|---|---|---|")
    for config in configs:
        ms = [value * 1000 for value in config.latencies]
        print(
            f"| {config.label} | {len(ms) / config.seconds:.1f} | {statistics.median(ms):.0f} "
            f"| {_percentile(ms, 0.95):.0f} | {_percentile(ms, 0.99):.0f} | {max(ms):.0f} "
            f"| {max(config.lags):.2f} |"
        )


if __name__ == "__main__":
    main()
