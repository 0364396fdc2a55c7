"""Load-test Peerwiki under gunicorn, with bare Flask apps measured in the same run as a ceiling.

Usage: .venv/bin/python bench/load.py [--pages 10000] [--database URL] [--search whoosh|postgres]
           [--rounds 3] [--duration 10] [--quick] [--json FILE]

1. Seeds a new database: ``--pages`` generated pages with ``--revisions`` published versions
   each (proposed by one person, approved by a colleague in another department), tags,
   departments, links between pages and a few people, through the bulk path
   (``app/services/bulk.py``); then ``--proposals`` open proposals through the services; then
   one rebuild of the search index. A PostgreSQL ``--database`` is created here and dropped at
   the end (it must not exist yet).
2. Starts Peerwiki, a bare Flask "hello" app and a bare Flask app sending a 20 KB page
   (``bench/bare.py``) under identical gunicorn settings (``--workers`` sync workers).
3. Runs wrk (``--connections``) against each scenario for ``--duration`` seconds, round after
   round (``--rounds``, scenarios interleaved), and prints the medians over rounds: requests/s,
   p50/p95/p99 latency and the ratio of requests/s to each bare app, as a Markdown table;
   ``--json`` also writes them with the machine, the commit and the seeding times.

Needs ``wrk`` (``apt-get install -y wrk``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app, deps  # noqa: E402
from app.models import Page, Revision  # noqa: E402
from app.services import bulk, indexing, proposals, review, tokens, users  # noqa: E402
from bench import corpus  # noqa: E402

PASSWORD = "bench-password-2026"
#: Sign-ins are not measured: cheap password hashes spare seconds of seeding (and of --quick).
FAST_HASH = "pbkdf2:sha256:1"
#: The people who write and review the generated history (two per department).
PEOPLE = [(f"{dept.lower()[:3]}{n}", dept) for dept in corpus.DEPARTMENTS for n in (1, 2)]
READER, WRITER, REVIEWER = "bench-reader", "bench-writer", "bench-reviewer"
#: Requests of each kind that wrk cycles through (pages, queries, save targets).
SAMPLES = 400
SAVE_TARGETS = 100
#: What --seed-only leaves in its --workdir for --seeded runs.
SEED_FILE = "seed.json"


@dataclass(frozen=True)
class Scenario:
    """One measured kind of request."""

    name: str
    label: str
    server: str  # "wiki", "hello" or "page"


SCENARIOS = [
    Scenario("hello", 'bare Flask "hello"', "hello"),
    Scenario("page20k", "bare Flask, 20 KB page", "page"),
    Scenario("view", "page view, anonymous", "wiki"),
    Scenario("view_signed_in", "page view, signed in", "wiki"),
    Scenario("search", "search API", "wiki"),
    Scenario("suggest", "as-you-type suggestions", "wiki"),
    Scenario("save", "API save (new revision)", "wiki"),
    Scenario("queue", "review queue", "wiki"),
]
BARE = ("hello", "page20k")


# -- seeding -------------------------------------------------------------------------------------


def histories(
    count: int, revisions: int, *, seed: int, now: datetime
) -> Iterator[bulk.PageHistory]:
    """Generated pages, each with ``revisions`` versions that grow section by section; the
    last adds links to three earlier pages (and now and then to one nobody wrote yet)."""
    rng = random.Random(seed)
    titles: list[str] = []
    start = now - timedelta(days=400)
    for number, generated in enumerate(corpus.generate(count, seed=seed), start=1):
        head, *sections = generated.body.rstrip("\n").split("\n\n## ")
        related = [f"- [[{title}]]" for title in rng.sample(titles, min(3, len(titles)))]
        if number % 10 == 0:
            related.append(f"- [[{generated.topic.capitalize()} glossary]]")
        bodies = [
            "\n\n## ".join(
                [head, *sections[: max(1, round(len(sections) * k / max(1, revisions - 1)))]]
            )
            for k in range(1, revisions)
        ]
        full = "\n\n## ".join([head, *sections])
        bodies.append(full + ("\n\n## Related pages\n\n" + "\n".join(related) if related else ""))
        first = start + timedelta(days=300 * number / count)
        versions = []
        for k, body in enumerate(bodies):
            author = PEOPLE[(number + k) % len(PEOPLE)][0]
            reviewer = PEOPLE[(number + k + len(PEOPLE) // 2) % len(PEOPLE)][0]
            proposed = first + timedelta(days=7 * k)
            versions.append(
                bulk.Version(
                    author=author, reviewer=reviewer, body=body + "\n", proposed_at=proposed,
                    published_at=proposed + timedelta(hours=2),
                    summary="First version" if k == 0 else f"Add section {k + 1}",
                    review="Checked the steps; reads well.",
                )
            )  # fmt: skip
        titles.append(generated.title)
        yield bulk.PageHistory(
            title=generated.title, department=generated.department, versions=versions,
            tags=generated.tags,
        )  # fmt: skip


@dataclass
class Seeded:
    """What the seeding made that the scenarios need, and how long it took."""

    slugs: list[str]
    save_targets: list[tuple[str, int, str]]
    token: str
    seconds: dict[str, float] = field(default_factory=dict)


def seed(app: Any, args: argparse.Namespace) -> Seeded:
    """Fill the app's (new, migrated) database and search index."""
    timings: dict[str, float] = {}
    session = app.extensions["wiki.sessionmaker"]()
    backend = app.extensions["wiki.search"]
    with app.app_context():
        rules = deps.approval_rules()
    started = time.perf_counter()
    for username, department in [*PEOPLE, (READER, "Engineering"), (WRITER, "Engineering"),
                                 (REVIEWER, "Finance")]:  # fmt: skip
        users.create_user(session, username=username, password=PASSWORD, department=department,
                          create_department=True, password_method=FAST_HASH)  # fmt: skip
    for department in corpus.DEPARTMENTS:
        users.ensure_department(session, department)
    session.commit()
    timings["people"] = time.perf_counter() - started

    started = time.perf_counter()
    generated = histories(args.pages, args.revisions, seed=args.seed, now=datetime.now(UTC))
    written = bulk.load(session, generated, processes=args.processes)
    timings["pages (bulk)"] = time.perf_counter() - started
    print(f"  {written:,} pages with {args.revisions} revisions each: "
          f"{timings['pages (bulk)']:.1f} s", flush=True)  # fmt: skip

    rng = random.Random(args.seed)
    live = list(session.execute(select(Page.slug, Page.published_revision_id).order_by(Page.id)))
    started = time.perf_counter()
    for number, (slug, revision_id) in enumerate(rng.sample(live, min(args.proposals, len(live)))):
        author = PEOPLE[number % len(PEOPLE)][0]
        colleague = PEOPLE[(number + len(PEOPLE) // 2) % len(PEOPLE)][0]  # another department
        reviewers = [colleague, *([REVIEWER] if number % 4 == 0 else [])]
        body = session.get(Revision, revision_id).body
        proposals.save_revision(
            session, author=users.get_user(session, author), slug=slug,
            body=body + f"\nA clarification proposed for review ({number + 1}).\n",
            base_revision_id=revision_id, summary="Clarify a step",
            then=review.submission(session, actor=users.get_user(session, author), rules=rules,
                                   reviewers=reviewers),
        )  # fmt: skip
    timings["open proposals (services)"] = time.perf_counter() - started

    started = time.perf_counter()
    indexing.rebuild(session, backend)
    timings["search index (rebuild)"] = time.perf_counter() - started
    print(f"  {args.proposals} open proposals: {timings['open proposals (services)']:.1f} s, "
          f"search index: {timings['search index (rebuild)']:.1f} s", flush=True)  # fmt: skip

    writer = users.get_user(session, WRITER)
    token = tokens.create(session, owner=writer, name="bench").secret
    slugs = [slug for slug, _ in rng.sample(live, min(SAMPLES, len(live)))]
    targets = []
    for slug, revision_id in rng.sample(live, min(SAVE_TARGETS, len(live))):
        targets.append((slug, revision_id, session.get(Revision, revision_id).body))
    session.close()
    return Seeded(slugs=slugs, save_targets=targets, token=token, seconds=timings)


# -- servers ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(targets: dict[str, str], env: dict[str, str], args: argparse.Namespace,
            work: Path) -> Iterator[dict[str, tuple[str, int]]]:  # fmt: skip
    """Serve each of ``targets`` (name: "module:factory()") with the same gunicorn settings;
    yield their base URLs and master process ids once all answer."""
    processes: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
    try:
        for name, target in targets.items():
            port = free_port()
            command = [
                sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--bind",
                f"127.0.0.1:{port}", "--chdir", str(ROOT), "--log-level", "warning",
                "--error-logfile", str(work / f"{name}.log"), target,
            ]  # fmt: skip
            with (work / f"{name}.out").open("ab") as output:  # the app's own (access) logs
                processes[name] = (
                    subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=output),
                    f"http://127.0.0.1:{port}",
                )
        for name, (process, base) in processes.items():
            _wait_until_up(base, process, work / f"{name}.log")
        yield {name: (base, process.pid) for name, (process, base) in processes.items()}
    finally:
        for process, _ in processes.values():
            process.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown: the figures are in
        for process, _ in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}; see {log}")
        try:
            status, _, _ = fetch(base, "GET", "/")
        except OSError:
            time.sleep(0.2)
            continue
        if status < 500:
            return
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer at {base} within a minute; see {log}")


def fetch(base: str, method: str, path: str, body: str | None = None,
          headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:  # fmt: skip
    """One HTTP request: status, cookies set, response text."""
    url = urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        cookies = dict(
            cookie.split(";", 1)[0].split("=", 1)
            for cookie in response.headers.get_all("Set-Cookie") or []
        )
        return response.status, cookies, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def sign_in(base: str, username: str) -> str:
    """Sign in through the form; return the Cookie header of the signed-in browser."""
    status, cookies, html = fetch(base, "GET", "/login")
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if status != 200 or not found:
        raise SystemExit(f"GET /login answered {status} without a CSRF token")
    form = urlencode({"username": username, "password": PASSWORD, "csrf_token": found.group(1)})
    status, more, _ = fetch(base, "POST", "/login", form, {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": _cookie_header(cookies)})  # fmt: skip
    if status != 302:
        raise SystemExit(f"Signing in as {username} answered {status}")
    return _cookie_header({**cookies, **more})


def _cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def workers(master: int) -> list[int]:
    """The process ids of a gunicorn master's workers (Linux)."""
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def worker_memory_mib(master: int) -> float:
    """Resident memory of the largest of a gunicorn master's workers."""
    largest = 0
    for pid in workers(master):
        with suppress(OSError):
            status = Path(f"/proc/{pid}/status").read_text()
            largest = max(largest, int(re.search(r"VmRSS:\s+(\d+)", status).group(1)))  # type: ignore[union-attr]
    return round(largest / 1024, 1)


def wait_until_idle(master: int, *, limit: float = 30) -> None:
    """Wait until a master's workers use under 5% of a core: the work that follows a save (index
    updates on a background thread) is done before the next scenario starts."""
    ticks = os.sysconf("SC_CLK_TCK")
    deadline = time.monotonic() + limit

    def busy() -> int:
        total = 0
        for pid in workers(master):
            with suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime + stime
        return total

    while time.monotonic() < deadline:
        before = busy()
        time.sleep(0.3)
        if (busy() - before) / ticks < 0.05 * 0.3:
            return


# -- load generation -----------------------------------------------------------------------------

LUA = """
local items = {ITEMS}
local headers = {HEADERS}
local counter = 0
local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  counter = (id or 0) * 7919
end

function request()
  counter = counter + 1
  local item = items[(counter % #items) + 1]
  local body = nil
  if item[3] ~= nil then
    body = item[3] .. " (save " .. tostring(id or 0) .. "-" .. tostring(counter) .. ')"}'
  end
  return wrk.format(item[1], item[2], headers, body)
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "errors": %d, "p50": %d, "p95": %d, "p99": %d}\\n',
    summary.requests, summary.duration, errors, latency:percentile(50), latency:percentile(95),
    latency:percentile(99)))
end
"""


def _lua_string(value: str) -> str:
    level = "=" * (max((len(run) for run in re.findall(r"\](=*)\]", value)), default=0) + 1)
    return f"[{level}[{value}]{level}]"


def lua_script(items: list[tuple[str, str, str | None]], headers: dict[str, str]) -> str:
    """A wrk script cycling through ``items`` (method, path, JSON body prefix or None)."""
    rows = ",\n".join(
        "{" + ", ".join(_lua_string(part) if part is not None else "nil" for part in item) + "}"
        for item in items
    )
    header_rows = ", ".join(f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items())
    return LUA.replace("{ITEMS}", "{\n" + rows + "\n}").replace(
        "{HEADERS}", "{" + header_rows + "}"
    )


def scenario_requests(
    seeded: Seeded, cookies: dict[str, str]
) -> dict[str, tuple[list[tuple[str, str, str | None]], dict[str, str]]]:
    """What each scenario asks for, and with which headers."""
    rng = random.Random(5)
    topics = [topic for group in corpus.TOPICS.values() for topic in group]
    queries = [
        rng.choice([
            lambda: rng.choice(topics),
            lambda: f"how to {rng.choice(corpus.VERBS)} {rng.choice(topics)}",
            lambda: f"{rng.choice(corpus.NOUNS)} {rng.choice(corpus.NOUNS)}",
            lambda: f"{rng.choice(corpus.NOUNS)} department:{rng.choice(corpus.DEPARTMENTS).lower()}",
        ])()
        for _ in range(SAMPLES)
    ]  # fmt: skip
    prefixes = [rng.choice(topics)[: rng.randint(3, 8)].strip() for _ in range(SAMPLES)]
    saves = [
        ("POST", f"/api/v1/pages/{slug}/revisions",
         json.dumps({"base_revision_id": revision_id, "summary": "Benchmark edit",
                     "body": body})[:-2])  # the script closes the body and the object
        for slug, revision_id, body in seeded.save_targets
    ]  # fmt: skip
    views = [("GET", f"/wiki/{slug}", None) for slug in seeded.slugs]
    json_headers = {"Accept": "application/json"}
    return {
        "hello": ([("GET", "/", None)], {}),
        "page20k": ([("GET", "/", None)], {}),
        "view": (views, {}),
        "view_signed_in": (views, {"Cookie": cookies[READER]}),
        "search": ([("GET", f"/api/v1/search?q={quote(q)}", None) for q in queries], json_headers),
        "suggest": (
            [("GET", f"/api/v1/search/suggest?q={quote(p)}", None) for p in prefixes],
            json_headers,
        ),  # fmt: skip
        "save": (
            saves,
            {
                "Authorization": f"Bearer {seeded.token}",
                "Content-Type": "application/json",
                **json_headers,
            },
        ),  # fmt: skip
        "queue": ([("GET", "/review", None)], {"Cookie": cookies[REVIEWER]}),
    }


def check(base: str, items: list[tuple[str, str, str | None]], headers: dict[str, str],
          name: str) -> None:  # fmt: skip
    """Make one request of the scenario by hand: a misconfigured one fails loudly, not fast."""
    method, path, body = items[0]
    payload = body + ' (check)"}' if body is not None else None
    status, _, text_ = fetch(base, method, path, payload, headers)
    if status not in (200, 201):
        raise SystemExit(f"{name}: {method} {path} answered {status}: {text_[:300]}")


def run_wrk(base: str, script: Path, args: argparse.Namespace,
            duration: int | None = None) -> dict[str, float]:  # fmt: skip
    """One round of one scenario."""
    command = [
        "wrk", "-t", str(min(2, args.connections)), "-c", str(args.connections),
        "-d", f"{duration or args.duration}s", "--timeout", "30s", "-s", str(script), base,
    ]  # fmt: skip
    finished = subprocess.run(command, capture_output=True, text=True, check=True)
    output = finished.stdout + finished.stderr
    line = next((line for line in output.splitlines() if line.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no figures:\n{output}")
    raw = json.loads(line.removeprefix("BENCH "))
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50": raw["p50"] / 1000,
        "p95": raw["p95"] / 1000,
        "p99": raw["p99"] / 1000,
        "errors": raw["errors"],
        "requests": raw["requests"],
    }


def summarise(rounds: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Medians over rounds, and requests/s relative to the bare apps."""
    result = {}
    for name, runs in rounds.items():
        result[name] = {key: statistics.median(run[key] for run in runs)
                        for key in ("rps", "p50", "p95", "p99")}  # fmt: skip
        result[name]["errors"] = sum(run["errors"] for run in runs)
        result[name]["requests"] = sum(run["requests"] for run in runs)
    for name in result:
        for bare in BARE:
            if bare in result:
                result[name][f"x_{bare}"] = result[name]["rps"] / result[bare]["rps"]
    return result


def markdown(summary: dict[str, dict[str, float]]) -> str:
    lines = [
        '| scenario | requests/s | p50 ms | p95 ms | p99 ms | errors | × "hello" | × 20 KB |',
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scenario in SCENARIOS:
        row = summary.get(scenario.name)
        if row is None:
            continue
        ratios = [f"{row[f'x_{bare}']:.2f}" if f"x_{bare}" in row else "-" for bare in BARE]
        lines.append(
            f"| {scenario.label} | {row['rps']:,.0f} | {row['p50']:.1f} | {row['p95']:.1f} | "
            f"{row['p99']:.1f} | {int(row['errors'])} | {' | '.join(ratios)} |"
        )
    return "\n".join(lines)


# -- the run ------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())  # fmt: skip
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()  # fmt: skip
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()  # fmt: skip
    return {
        "cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "commit": commit + ("+changes" if dirty else ""), "load_average": os.getloadavg(),
        "wrk": subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split(" [")[0],
    }  # fmt: skip


@contextmanager
def database(args: argparse.Namespace, work: Path, *, template: str | None = None) -> Iterator[str]:
    """The run's database URL: a SQLite file in ``work`` (a copy of ``template``'s file when
    given), or a PostgreSQL database made for the run (from ``template``) and dropped after it,
    unless the run only seeds (``--seed-only``): ``--seeded`` runs copy that one."""
    if not args.database:
        if template:
            for suffix in ("", "-wal", "-shm"):
                with suppress(FileNotFoundError):
                    shutil.copy(make_url(template).database + suffix, work / f"bench.db{suffix}")
        yield f"sqlite:///{work / 'bench.db'}"
        return
    url = make_url(args.database)
    if url.get_backend_name() != "postgresql":
        raise SystemExit("--database takes a PostgreSQL URL (the default is a SQLite file)")
    name = url.database
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            raise SystemExit(
                f"Database {name!r} exists; name a new one (it is dropped afterwards)."
            )
        copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
        connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        if args.seed_only:
            print(f'Kept database {name!r} for --seeded runs (DROP DATABASE "{name}" when done)')
        else:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, help="pages to seed (10,000; 50 with --quick)")
    parser.add_argument("--revisions", type=int, default=5, help="published versions per page")
    parser.add_argument("--proposals", type=int, help="open proposals (100; 8 with --quick)")
    parser.add_argument("--database", help="SQLAlchemy URL; PostgreSQL: a database to create")
    parser.add_argument("--search", choices=["whoosh", "postgres"],
                        help="search backend (whoosh, or the --seeded run's)")  # fmt: skip
    parser.add_argument("--rounds", type=int, help="rounds of every scenario (3; 1 with --quick)")
    parser.add_argument("--duration", type=int, help="seconds per scenario and round (10; 1)")
    parser.add_argument("--warmup", type=int, help="seconds of each scenario before round 1 (2; 0)")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per app")
    parser.add_argument("--scenarios", help="comma-separated subset of: "
                        + ", ".join(s.name for s in SCENARIOS))  # fmt: skip
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--processes", type=int, default=min(2, os.cpu_count() or 1),
                        help="processes rendering the seeded revisions")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="a small, short run (a smoke test)")
    parser.add_argument(
        "--seed-only",
        action="store_true",
        help="seed into --workdir (and keep a PostgreSQL database), then stop",
    )
    parser.add_argument("--seeded", type=Path, metavar="DIR",
                        help="measure a copy of what --seed-only --workdir DIR made (migrated "
                        "to this commit's schema) instead of seeding")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--workdir", type=Path, help="keep the database and logs here")
    args = parser.parse_args(argv)
    for key, normal, quick in (("pages", 10_000, 50), ("proposals", 100, 8), ("rounds", 3, 1),
                               ("duration", 10, 1), ("warmup", 2, 0)):  # fmt: skip
        if getattr(args, key) is None:
            setattr(args, key, quick if args.quick else normal)
    wanted = args.scenarios.split(",") if args.scenarios else [s.name for s in SCENARIOS]
    unknown = set(wanted) - {s.name for s in SCENARIOS}
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    args.scenarios = [s for s in SCENARIOS if s.name in wanted]
    args.search = args.search or (None if args.seeded else "whoosh")
    if args.seed_only and not args.workdir:
        parser.error("--seed-only needs --workdir (where the seed is kept)")
    if args.seeded and args.workdir and args.seeded.resolve() == args.workdir.resolve():
        parser.error("--workdir must differ from --seeded (runs change their copy)")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    with ExitStack() as stack:
        if args.workdir:
            args.workdir.mkdir(parents=True, exist_ok=True)
            work = args.workdir
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="peerwiki-load-")))
        state = json.loads((args.seeded / SEED_FILE).read_text()) if args.seeded else None
        if state is not None:
            for key in ("pages", "revisions", "proposals"):
                setattr(args, key, state[key])
            reindex = args.search not in (None, state["search"])
            args.search = args.search or state["search"]
            if make_url(state["database"]).get_backend_name() != "sqlite" and not args.database:
                raise SystemExit("The seed is in PostgreSQL: name the copy with --database URL")
            if args.seeded.resolve() != work.resolve():
                shutil.copytree(args.seeded / "index", work / "index", dirs_exist_ok=True)
        url = stack.enter_context(database(args, work, template=state and state["database"]))
        config = {
            "DATABASE_URL": url, "SEARCH_BACKEND": args.search, "SEARCH_INDEX": str(work / "index"),
            "SECRET_KEY": "load-benchmark-" + "x" * 32, "RATELIMIT_ENABLED": False,
        }  # fmt: skip
        app = create_app(config)
        migrated = app.test_cli_runner().invoke(args=["db", "upgrade"])
        if migrated.exit_code != 0:
            raise SystemExit(f"Migrations failed:\n{migrated.output}")
        if state is not None:
            seeded = Seeded(**state["seeded"])
            if reindex:  # the seed was indexed for another backend
                with app.extensions["wiki.sessionmaker"]() as session:
                    indexing.rebuild(session, app.extensions["wiki.search"])
        else:
            print(
                f"Seeding {args.pages:,} pages into {make_url(url).render_as_string()}", flush=True
            )
            seeded = seed(app, args)
        if args.seed_only:
            app.extensions["wiki.engine"].dispose()
            (work / SEED_FILE).write_text(json.dumps({
                "pages": args.pages, "revisions": args.revisions, "proposals": args.proposals,
                "search": args.search, "database": url, "commit": machine()["commit"],
                "seeded": asdict(seeded),
            }))  # fmt: skip
            return {"pages": args.pages, "seed_seconds": seeded.seconds}
        env = {**os.environ, **{f"PEERWIKI_{key}": json.dumps(value) if isinstance(value, bool)
                                else str(value) for key, value in config.items()}}  # fmt: skip
        targets = {"wiki": "app:create_app()", "hello": "bench.bare:hello()",
                   "page": "bench.bare:page()"}  # fmt: skip
        served = stack.enter_context(serving(targets, env, args, work))
        servers = {name: base for name, (base, _) in served.items()}
        masters = {name: master for name, (_, master) in served.items()}
        cookies = {name: sign_in(servers["wiki"], name) for name in (READER, REVIEWER)}
        plans = scenario_requests(seeded, cookies)
        scripts = {}
        for scenario in args.scenarios:
            items, headers = plans[scenario.name]
            check(servers[scenario.server], items, headers, scenario.name)
            scripts[scenario.name] = work / f"{scenario.name}.lua"
            scripts[scenario.name].write_text(lua_script(items, headers))
        if args.warmup:
            for scenario in args.scenarios:  # first requests compile templates, open indexes
                run_wrk(servers[scenario.server], scripts[scenario.name], args, args.warmup)
        load_before = os.getloadavg()
        rounds: dict[str, list[dict[str, float]]] = {s.name: [] for s in args.scenarios}
        for number in range(1, args.rounds + 1):
            for scenario in args.scenarios:
                for master in masters.values():
                    wait_until_idle(master)
                result = run_wrk(servers[scenario.server], scripts[scenario.name], args)
                rounds[scenario.name].append(result)
                print(f"  round {number} {scenario.name:15} {result['rps']:8,.0f}/s "
                      f"p50 {result['p50']:6.1f} ms p95 {result['p95']:6.1f} ms", flush=True)  # fmt: skip
        memory = {name: worker_memory_mib(master) for name, master in masters.items()}
        summary = summarise(rounds)
    report = {
        "pages": args.pages, "revisions": args.revisions, "proposals": args.proposals,
        "database": make_url(url).get_backend_name(), "search": args.search,
        "rounds": args.rounds, "duration": args.duration, "connections": args.connections,
        "workers": args.workers, "machine": {**machine(), "load_before": load_before},
        "seed_seconds": seeded.seconds, "seed_commit": state["commit"] if state else None,
        "worker_rss_mib": memory,
        "command": " ".join([Path(sys.executable).name, "bench/load.py", *(argv or sys.argv[1:])]),
        "results": summary, "runs": rounds,
    }  # fmt: skip
    print()
    print(f"{args.pages:,} pages, {report['database']} + {args.search}, gunicorn -w {args.workers}, "
          f"wrk -c {args.connections}, median of {args.rounds} x {args.duration} s, "
          f"commit {report['machine']['commit']}")  # fmt: skip
    print(markdown(summary))
    print(f"worker memory (MiB): {memory}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return report


if __name__ == "__main__":
    main()
