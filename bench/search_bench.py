"""Benchmark search at wiki scale and print the figures.

Usage: .venv/bin/python bench/search_bench.py [--pages 10000] [--queries 200]

Generates a corpus, loads it through the same code path as the wiki (services on a SQLite
database), rebuilds the Whoosh index, then measures the search API (top 10 with highlighted
snippets) and how long one published edit takes to become searchable.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.models import Page  # noqa: E402
from app.services import indexing, proposals, users  # noqa: E402
from bench.corpus import DEPARTMENTS, NOUNS, TOPICS, VERBS, generate  # noqa: E402


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _queries(count: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    topics = [topic for group in TOPICS.values() for topic in group]
    makers = [
        lambda: rng.choice(topics),
        lambda: f"how do I {rng.choice(VERBS)} {rng.choice(topics)}",
        lambda: f'"{rng.choice(topics)}"',
        lambda: f"{rng.choice(NOUNS)} {rng.choice(NOUNS)} -{rng.choice(NOUNS)}",
        lambda: f"{rng.choice(topics)[:5].strip()}*",
        lambda: f"{rng.choice(NOUNS)} department:{rng.choice(DEPARTMENTS).lower()}",
        lambda: rng.choice(topics).replace("e", "a", 1),  # a typo
        lambda: f"{rng.choice(NOUNS)} OR {rng.choice(NOUNS)}",
    ]
    return [rng.choice(makers)() for _ in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--reuse", type=Path, help="work directory of an earlier run: skip loading")
    args = parser.parse_args()
    work = args.reuse or Path(tempfile.mkdtemp(prefix="peerwiki-bench-"))
    app = create_app({"DATABASE_URL": f"sqlite:///{work / 'bench.db'}", "SEARCH_INDEX": str(work / "index"),
                      "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})  # fmt: skip
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    session = app.extensions["wiki.sessionmaker"]()
    backend = app.extensions["wiki.search"]
    if args.reuse:
        _measure(app, session, backend, work, args, users.get_user(session, "bench"))
        return
    author = users.create_user(session, username="bench", password="bench-password", department="Engineering",
                               create_department=True)  # fmt: skip
    for department in DEPARTMENTS:
        users.ensure_department(session, department)
    session.commit()

    started = time.perf_counter()
    for page in generate(args.pages):
        proposals.create_page(session, author=author, title=page.title, body=page.body, tags=page.tags,
                                         department=page.department, publish=True)  # fmt: skip
    load_seconds = time.perf_counter() - started
    print(f"pages loaded through the services: {args.pages} in {load_seconds:.1f} s")

    _measure(app, session, backend, work, args, author)


def _measure(
    app: Any, session: Any, backend: Any, work: Path, args: argparse.Namespace, author: Any
) -> None:
    started = time.perf_counter()
    indexed = indexing.rebuild(session, backend)
    rebuild_seconds = time.perf_counter() - started
    size = sum(path.stat().st_size for path in (work / "index").iterdir())
    print(f"full rebuild: {indexed} documents in {rebuild_seconds:.1f} s (target < 60 s)")
    print(f"index size: {size / 1_048_576:.1f} MiB")

    client = app.test_client()
    client.get("/api/v1/search?q=warmup")
    timings = []
    for text in _queries(args.queries):
        started = time.perf_counter()
        response = client.get("/api/v1/search", query_string={"q": text, "per_page": 10})
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)
    print(f"search API, {len(timings)} varied queries, top 10 with snippets: "
          f"p50 {statistics.median(timings):.1f} ms, p95 {_percentile(timings, 0.95):.1f} ms, "
          f"max {max(timings):.1f} ms (target p95 < 50 ms)")  # fmt: skip

    page = session.scalars(select(Page).order_by(Page.id.desc()).limit(1)).one()
    marker = "zanzibarquokka"
    started = time.perf_counter()
    proposals.save_revision(session, author=author, slug=page.slug, body=page.published_revision.body + f"\n{marker}\n",
                            base_revision_id=page.published_revision_id, publish=True)  # fmt: skip
    indexing.process_outbox(session, backend)
    found = client.get("/api/v1/search", query_string={"q": marker}).get_json()["total"]
    update_ms = (time.perf_counter() - started) * 1000
    print(
        f"one published edit visible in search after {update_ms:.0f} ms (found: {found}; target < 1000 ms)"
    )
    print(f"work directory: {work}")


if __name__ == "__main__":
    main()
