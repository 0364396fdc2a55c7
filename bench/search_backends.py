"""Compare the search backends on the same generated wiki and print one table.

Usage: PEERWIKI_BENCH_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \
       .venv/bin/python bench/search_backends.py [--pages 2000] [--queries 300]

Loads the pages once through the wiki's services (SQLite), builds every document the index
would hold, and rebuilds a Whoosh index and the PostgreSQL backend (in a throwaway database
created next to the URL's and dropped afterwards) from the same documents. The same varied
queries (bench/search_bench.py's mix: words, questions, phrases, exclusions, prefixes, filters,
typos, OR) then run on each backend in turn, query by query, so both see the same machine load;
the table gives the latency of ``backend.search`` (top 10 with snippets and facets).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.search import SearchBackend, SearchQuery, open_backend  # noqa: E402
from app.services import indexing, proposals, users  # noqa: E402
from bench.corpus import DEPARTMENTS, generate  # noqa: E402
from bench.search_bench import _percentile, _queries  # noqa: E402


@contextmanager
def _throwaway_database(base_url: str) -> Iterator[str]:
    """A new PostgreSQL database beside ``base_url``'s, dropped afterwards."""
    name = f"pw_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _app(work: Path, url: str, backend: str) -> Any:
    app = create_app({"DATABASE_URL": url, "SEARCH_INDEX": str(work / "index"), "SEARCH_BACKEND": backend,
                      "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False, "BACKGROUND_RUNNER": "inline"})  # fmt: skip
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    return app


def _load(work: Path, pages: int) -> list[Any]:
    """Every search document of a generated wiki of ``pages`` pages."""
    app = _app(work, f"sqlite:///{work / 'bench.db'}", "memory")
    session = app.extensions["wiki.sessionmaker"]()
    author = users.create_user(session, username="bench", password="bench-password", department="Engineering",
                               create_department=True)  # fmt: skip
    for department in DEPARTMENTS:
        users.ensure_department(session, department)
    started = time.perf_counter()
    for page in generate(pages):
        proposals.create_page(session, author=author, title=page.title, body=page.body, tags=page.tags,
                              department=page.department, publish=True)  # fmt: skip
    documents = list(indexing.all_documents(session))
    print(f"{pages} pages loaded through the services in {time.perf_counter() - started:.0f} s")
    session.close()
    return documents


def _timed(backend: SearchBackend, query: str) -> float:
    started = time.perf_counter()
    backend.search(SearchQuery(text=query, per_page=10))
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    base_url = os.environ.get("PEERWIKI_BENCH_POSTGRES_URL")
    if not base_url:
        raise SystemExit("Set PEERWIKI_BENCH_POSTGRES_URL to a PostgreSQL server's URL.")
    work = Path(tempfile.mkdtemp(prefix="peerwiki-backends-"))
    documents = _load(work, args.pages)
    with _throwaway_database(base_url) as url:
        postgres_app = _app(work, url, "postgres")
        backends: dict[str, SearchBackend] = {
            "whoosh": open_backend({"SEARCH_BACKEND": "whoosh", "SEARCH_INDEX": work / "whoosh",
                                    "SEARCH_LANGUAGE": "en"}),  # fmt: skip
            "postgres": postgres_app.extensions["wiki.search"],
        }
        rebuilds = {}
        for name, backend in backends.items():
            started = time.perf_counter()
            backend.rebuild(documents)
            rebuilds[name] = time.perf_counter() - started
        queries = _queries(args.queries)
        for query in queries[:30]:  # warm caches and connections
            for backend in backends.values():
                backend.search(SearchQuery(text=query))
        timings: dict[str, list[float]] = {name: [] for name in backends}
        for number, query in enumerate(queries):
            names = list(backends) if number % 2 else list(reversed(backends))
            for name in names:
                timings[name].append(_timed(backends[name], query))
        suggest = {name: [] for name in backends}
        for query in queries:
            prefix = query.split()[0][:4]
            for name, backend in backends.items():
                started = time.perf_counter()
                backend.suggest(prefix)
                suggest[name].append((time.perf_counter() - started) * 1000)
        postgres_app.extensions["wiki.engine"].dispose()
    print(f"\n{len(documents)} documents, {len(queries)} varied queries, top 10 with snippets and facets\n")
    print("| backend | rebuild s | search p50 ms | search p95 ms | search max ms | suggest p50 ms | suggest p95 ms |")
    print("|---|---|---|---|---|---|---|")
    for name in backends:
        values, typed = timings[name], suggest[name]
        print(f"| {name} | {rebuilds[name]:.1f} | {statistics.median(values):.1f} | "
              f"{_percentile(values, 0.95):.1f} | {max(values):.1f} | {statistics.median(typed):.1f} | "
              f"{_percentile(typed, 0.95):.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
