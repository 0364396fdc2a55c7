"""Whoosh index work for bursts of saves: one commit per save (merging segments on the way, as
every commit did before the indexer batched), one commit per save without merging, and one
batched commit per burst without merging (what the indexer thread and the worker do), with the
merge that follows once work pauses measured on its own.

Each strategy gets its own copy of one index of ``--pages`` documents; rounds are interleaved.

    .venv/bin/python bench/index_bench.py --pages 10000 --burst 20 --bursts 5
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.search import SearchDocument  # noqa: E402
from app.search.whoosh_backend import WhooshBackend, _fields  # noqa: E402
from bench.corpus import generate  # noqa: E402
from tests.factories import search_document  # noqa: E402


def _documents(pages: int) -> list[SearchDocument]:
    return [
        search_document(number, page.title, page.body, tags=tuple(page.tags))
        for number, page in enumerate(generate(pages), start=1)
    ]


def _merging_commits(backend: WhooshBackend, burst: list[SearchDocument]) -> list[float]:
    """Before: each save's index run was one commit, and Whoosh merged small segments in it."""
    times = []
    for document in burst:
        started = time.perf_counter()
        writer = backend._open().writer()
        writer.update_document(**_fields(document))
        writer.commit()  # Whoosh's default: merge small segments now
        times.append(time.perf_counter() - started)
    return times


def _plain_commits(backend: WhooshBackend, burst: list[SearchDocument]) -> list[float]:
    times = []
    for document in burst:
        started = time.perf_counter()
        backend.index([document])  # commits without merging
        times.append(time.perf_counter() - started)
    return times


def _batched_commit(backend: WhooshBackend, burst: list[SearchDocument]) -> list[float]:
    started = time.perf_counter()
    backend.index(burst)  # the burst's saves share one index run
    return [time.perf_counter() - started]


STRATEGIES: dict[str, Callable[[WhooshBackend, list[SearchDocument]], list[float]]] = {
    "one commit per save, merging (before)": _merging_commits,
    "one commit per save, no merge": _plain_commits,
    "one commit per burst, no merge (now)": _batched_commit,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--burst", type=int, default=20, help="saves per burst")
    parser.add_argument("--bursts", type=int, default=5, help="bursts per strategy")
    args = parser.parse_args()
    documents = _documents(args.pages)
    with tempfile.TemporaryDirectory(prefix="peerwiki-index-bench-") as temporary:
        seed = Path(temporary) / "seed"
        WhooshBackend(seed).rebuild(documents)
        backends = {}
        for number, name in enumerate(STRATEGIES):
            shutil.copytree(seed, Path(temporary) / str(number))
            backends[name] = WhooshBackend(Path(temporary) / str(number))
        totals: dict[str, list[float]] = {name: [] for name in STRATEGIES}
        commits: dict[str, list[float]] = {name: [] for name in STRATEGIES}
        merges: list[float] = []
        for round_number in range(args.bursts):
            start = round_number * args.burst
            burst = documents[start : start + args.burst]
            for name, strategy in STRATEGIES.items():
                times = strategy(backends[name], burst)
                totals[name].append(sum(times))
                commits[name].extend(times)
            started = time.perf_counter()
            backends["one commit per burst, no merge (now)"].merge_segments()  # the pause
            merges.append(time.perf_counter() - started)
    print(
        f"\nWhoosh index work for {args.bursts} bursts of {args.burst} saves, "
        f"{args.pages:,} pages (interleaved)\n"
    )
    print("| strategy | index work per burst, ms (median) | per save, ms | slowest commit, ms |")
    print("|---|---|---|---|")
    for name in STRATEGIES:
        per_burst = statistics.median(totals[name]) * 1000
        print(
            f"| {name} | {per_burst:.0f} | {per_burst / args.burst:.1f} "
            f"| {max(commits[name]) * 1000:.0f} |"
        )
    print(
        f"| merge when work pauses (after each burst, now) | {statistics.median(merges) * 1000:.0f} "
        f"| - | {max(merges) * 1000:.0f} |"
    )


if __name__ == "__main__":
    main()
