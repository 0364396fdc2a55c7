"""Whoosh's own concerns, beyond the contract every backend meets: its files on disk, and that
every query the syntax allows translates into one Whoosh answers."""

from __future__ import annotations

import multiprocessing
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_an_exclusion_in_parentheses_excludes_only_there(tmp_path: Path) -> None:
    backend = WhooshBackend(tmp_path / "index")
    backend.index([doc(1, "Invoices", "invoice team"), doc(2, "Budget", "budget"),
                   doc(3, "Budget review", "budget"), doc(4, "Team budget", "budget team"),
                   doc(5, "Other", "nothing")])  # fmt: skip
    found = backend.search(SearchQuery(text="invoice OR (budget -team)"))
    assert {hit.title for hit in found.hits} == {"Invoices", "Budget", "Budget review"}
    assert not found.fuzzy


#: Pieces of the query syntax, so generated queries exercise its every part, also misused.
_SYNTAX = st.sampled_from(
    [" ", " ", "AND", "OR", "NOT", "TO", "-", "(", ")", '"', "*", "~", "~2", "~2/1", "~9", "/",
     "[", "]", "{", "}", ":", "tag:", "tags:", "department:", "dept:", "author:", "by:",
     "title:", "headings:", "body:", "reviewers:", "foo:", "laptop", "Onboarding", "café",
     "the", "a", "o", "post-mortem", "how-to", "receipts", "\\", "'", ",", "é", "1", "_"]
)  # fmt: skip


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory) -> WhooshBackend:
    engine = WhooshBackend(tmp_path_factory.mktemp("fuzz") / "index")
    engine.index(
        [
            doc(1, "Onboarding Checklist", "Your first week: laptop, accounts and a buddy.",
                tags=("onboarding", "people"), department="People"),
            doc(2, "Submitting Expense Reports", "Claim travel costs and receipts.",
                tags=("finance",), department="Finance", author="fatima"),
            doc(3, "Café Etiquette", "A post-mortem of the how-to café.", headings="The machine"),
            doc(4, "Draft", "laptop receipts", visible_to=("hana",), key="proposal:4", proposal_id=4),
        ]
    )  # fmt: skip
    return engine


def _answers(engine: WhooshBackend, text: str, **kw: Any) -> None:
    results = engine.search(SearchQuery(text=text, **kw))  # IndexDamaged would fail the test
    assert len(results.hits) <= results.total <= 4
    assert all(hit.key != "proposal:4" for hit in results.hits) or kw.get("pending_for")


@settings(max_examples=300, deadline=None, database=None)
@given(text=st.text(max_size=40))
def test_any_text_is_searched_without_errors(searched: WhooshBackend, text: str) -> None:
    _answers(searched, text)


@settings(max_examples=600, deadline=None, database=None)
@given(
    text=st.lists(st.one_of(_SYNTAX, st.text(max_size=4)), max_size=14).map("".join),
    pending_for=st.sampled_from([None, "hana"]),
    sort=st.sampled_from(["relevance", "date"]),
)
def test_any_syntax_is_searched_without_errors(
    searched: WhooshBackend, text: str, pending_for: str | None, sort: str
) -> None:
    _answers(searched, text, pending_for=pending_for, sort=sort)


def test_saves_commit_without_merging_and_a_merge_later_keeps_every_change(
    tmp_path: Path,
) -> None:
    backend = WhooshBackend(tmp_path / "index")
    for number in range(1, 9):  # eight saves, eight commits
        backend.index([doc(number, f"Page {number}", "parking permits")])
    backend.index([doc(3, "Page 3", "bicycle racks")])  # an edit
    backend.remove(["page:5"])  # an archive
    segments = len(backend._open()._segments())
    assert segments >= 8  # nothing was merged on the way
    found = sorted(hit.title for hit in backend.search(SearchQuery(text="parking")).hits)
    backend.merge_segments()
    assert len(backend._open()._segments()) < segments
    merged = sorted(hit.title for hit in backend.search(SearchQuery(text="parking")).hits)
    assert merged == found == [f"Page {n}" for n in (1, 2, 4, 6, 7, 8)]
    assert [hit.title for hit in backend.search(SearchQuery(text="bicycle")).hits] == ["Page 3"]
