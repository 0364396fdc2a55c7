"""Whoosh's own concerns, beyond the contract every backend meets: its files on disk."""

from __future__ import annotations

import multiprocessing
import warnings
from pathlib import Path

from app.search import SearchQuery
from app.search.whoosh_backend import SCHEMA_VERSION, WhooshBackend
from tests.factories import search_document as doc


def test_rebuild_after_an_upgrade_starts_from_the_new_layout(tmp_path: Path) -> None:
    backend = WhooshBackend(tmp_path / "index")
    backend.index([doc(1, "Onboarding Checklist", "laptop"), doc(2, "Expenses", "receipts")])
    layout = backend.directory / "peerwiki-schema-version"
    assert layout.read_text().strip() == str(SCHEMA_VERSION)
    layout.unlink()  # an index written before this version
    assert backend.rebuild([doc(1, "Only", "one")]) == 1
    assert layout.read_text().strip() == str(SCHEMA_VERSION)
    assert [hit.title for hit in backend.search(SearchQuery(text="one")).hits] == ["Only"]
    assert backend._searcher().schema["vocabulary"].scorable


def _write_batch(directory: str, start: int) -> None:
    engine = WhooshBackend(directory)
    for number in range(start, start + 15):
        engine.index([doc(number, f"Page {number}", f"written by worker {start}")])


def test_two_worker_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    directory = str(tmp_path / "shared-index")
    WhooshBackend(directory).index([doc(1, "Seed", "first")])
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_write_batch, args=(directory, start)) for start in (100, 200)
    ]
    with warnings.catch_warnings():  # Python 3.12+ warns about fork() when threads exist
        warnings.simplefilter("ignore", DeprecationWarning)
        for worker in workers:
            worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    keys = set(WhooshBackend(directory).stamps())
    assert keys == {"page:1"} | {f"page:{n}" for n in (*range(100, 115), *range(200, 215))}
