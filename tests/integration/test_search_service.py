"""Search wired to the wiki: the outbox, visibility, the web page, the API, the CLI and gaps."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import jobs
from app.models import KnowledgeGap, SearchLog, SearchOutbox, User
from app.review.approval import ApprovalRules
from app.review.policy import SYSTEM
from app.search import SearchBackend, SearchQuery, SearchUnavailable, whoosh_backend
from app.search.whoosh_backend import WhooshBackend
from app.services import indexing, notifications, pages, review, search
from tests.factories import edit_page, make_page, make_user

#: Search wired to the wiki is tested on the index deployments use (damaged files included).
pytestmark = pytest.mark.whoosh
RULES = ApprovalRules()


@pytest.fixture
def backend(app: Flask) -> SearchBackend:
    engine: SearchBackend = app.extensions["wiki.search"]
    return engine


def sync(session: Session, backend: SearchBackend) -> None:
    indexing.process_outbox(session, backend)


def titles(backend: SearchBackend, text: str, **kw: Any) -> list[str]:
    return [hit.title for hit in backend.search(SearchQuery(text=text, **kw)).hits]


def test_publishing_renaming_archiving_restoring_update_the_index(
    session: Session, author: User, backend: SearchBackend
) -> None:
    first = make_page(session, author, title="Laptop Setup", body="Install the VPN client first.")
    sync(session, backend)
    assert titles(backend, "vpn") == ["Laptop Setup"]
    edit_page(
        session,
        author,
        first,
        "Install the VPN client first. Then Docker.",
        title="Laptop Setup Guide",
    )
    sync(session, backend)
    hit = backend.search(SearchQuery(text="docker")).hits[0]
    assert hit.title == "Laptop Setup Guide" and hit.slug == "laptop-setup-guide"
    pages.archive(session, actor=author, slug="laptop-setup-guide")
    sync(session, backend)
    assert titles(backend, "vpn") == []
    pages.restore(session, actor=author, slug="laptop-setup-guide")
    sync(session, backend)
    assert titles(backend, "vpn") == ["Laptop Setup Guide"]


def test_only_published_text_is_public_and_pending_is_private(
    session: Session, author: User, reviewer: User, backend: SearchBackend
) -> None:
    hana = make_user(session, username="hana", department="People")
    first = make_page(session, author, title="Expenses", body="Submit receipts monthly.")
    draft = edit_page(session, author, first, "Submit receipts weekly via Concur.", publish=False)
    review.submit(session, actor=author, revision_id=draft.id, reviewers=["fatima"], rules=RULES)
    sync(session, backend)
    assert titles(backend, "concur") == []
    assert titles(backend, "concur", pending_for="alex") == ["Expenses"]
    assert titles(backend, "concur", pending_for="fatima") == ["Expenses"]
    assert titles(backend, "concur", pending_for="hana") == []
    review.add_review(session, actor=reviewer, revision_id=draft.id, verdict="approve", rules=RULES)
    sync(session, backend)
    assert titles(backend, "concur") == ["Expenses"]
    assert [
        h.proposal_id for h in backend.search(SearchQuery(text="concur", pending_for="alex")).hits
    ] == [None]
    del hana


def test_index_failure_keeps_work_queued_until_it_succeeds(
    session: Session, author: User, backend: SearchBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_page(session, author, title="Crash Safe", body="kept in the outbox")

    def broken(_documents: Any) -> None:
        raise SearchUnavailable("locked")

    monkeypatch.setattr(backend, "index", broken)
    assert indexing.process_outbox(session, backend).rows == 0
    row = session.scalar(select(SearchOutbox))
    assert row is not None and row.attempts == 1 and "locked" in (row.last_error or "")
    monkeypatch.undo()
    assert indexing.process_outbox(session, backend).rows >= 1
    assert indexing.queued(session, backend) == (0, None)
    assert titles(backend, "outbox") == ["Crash Safe"]


def test_check_reports_missing_stale_extra_and_rebuild_fixes(
    session: Session, author: User, backend: SearchBackend
) -> None:
    first = make_page(session, author, title="One", body="alpha")
    make_page(session, author, title="Two", body="beta")
    sync(session, backend)
    assert indexing.check(session, backend).ok
    edit_page(session, author, first, "alpha changed")  # not synced: stale
    make_page(session, author, title="Three", body="gamma")  # not synced: missing
    two = indexing.page_document(pages.lookup(session, "two", reader=SYSTEM))
    assert two is not None
    backend.index([replace(two, key="page:999")])
    report = indexing.check(session, backend)
    assert report.stale == [f"page:{first.page_id}"]
    assert len(report.missing) == 1 and report.extra == ["page:999"]
    indexing.rebuild(session, backend)
    assert indexing.check(session, backend).ok


def test_search_page_filters_facets_and_empty_state(
    client: Any, session: Session, author: User, reviewer: User, backend: SearchBackend
) -> None:
    make_page(
        session,
        author,
        title="Onboarding Checklist",
        body="Laptop and accounts.",
        tags=["onboarding"],
    )
    make_page(
        session,
        reviewer,
        title="Expense Reports",
        body="Receipts and laptop purchases.",
        tags=["finance"],
        department="Finance",
    )
    sync(session, backend)
    page = client.get("/search?q=laptop").get_data(as_text=True)
    assert "2 results" in page and "<mark>Laptop</mark>" in page
    assert 'href="/search?q=laptop&amp;department=Finance&amp;page=1"' in page
    filtered = client.get("/search?q=laptop&department=Finance").get_data(as_text=True)
    assert "1 result" in filtered and "Expense Reports" in filtered
    empty = client.get("/search?q=teleportation+policy")
    assert empty.status_code == 200 and "Nobody has written this down yet" in empty.get_data(
        as_text=True
    )
    assert "Did you mean" in client.get("/search?q=onbording+checklst").get_data(as_text=True)


def test_api_search_shape(
    client: Any, session: Session, author: User, backend: SearchBackend
) -> None:
    make_page(
        session,
        author,
        title="Onboarding Checklist",
        body="Laptop and accounts.",
        tags=["onboarding"],
    )
    sync(session, backend)
    body = client.get("/api/v1/search?q=onboard&per_page=5").get_json()
    assert body["total"] == 1 and body["suggestion"] is None  # one good result: no "did you mean"
    assert "<mark>" in body["results"][0]["snippet_html"]
    result = body["results"][0]
    assert set(result) >= {
        "slug",
        "title",
        "snippet_html",
        "score",
        "department",
        "tags",
        "updated_at",
    }
    assert body["facets"]["department"] == {"Engineering": 1} and body["facets"]["tag"] == {
        "onboarding": 1
    }
    assert client.get("/api/v1/search/suggest?q=onbo").get_json()["suggestions"] == [
        {"title": "Onboarding Checklist", "slug": "onboarding-checklist"}
    ]


def test_broken_index_gives_a_clear_error(client: Any, app: Flask, tmp_path: Path) -> None:
    not_a_directory = tmp_path / "index-file"
    not_a_directory.write_text("this is not an index")
    app.extensions["wiki.search"] = WhooshBackend(not_a_directory)
    first = client.get("/api/v1/search?q=x")
    assert first.status_code == 503 and "being rebuilt" in first.get_json()["error"]["message"]
    assert app.extensions["wiki.search_repair"].wait(timeout=60)
    response = client.get("/api/v1/search?q=x")  # the failed rebuild is not retried at once
    assert (
        response.status_code == 503 and response.get_json()["error"]["code"] == "search_unavailable"
    )
    assert "could not be rebuilt" in response.get_json()["error"]["message"]
    page = client.get("/search?q=x")
    assert page.status_code == 503 and "could not be rebuilt" in page.get_data(as_text=True)


def test_gaps_recorded_normalised_and_answered(
    app: Flask, session: Session, author: User, reviewer: User, backend: SearchBackend
) -> None:
    hana = make_user(session, username="hana", department="People")
    for user, text in (
        (reviewer, "How do I book a parking spot?"),
        (hana, "parking spot book"),
        (hana, "Parking  SPOT book?"),
    ):
        search.run(session, backend, SearchQuery(text=text), user=user)
    gap = session.scalar(select(KnowledgeGap))
    assert gap is not None and gap.normalized == "book parking spot"
    assert (gap.asked, gap.askers) == (3, 2)
    listed = search.gaps(session).items
    assert [g.id for g in listed] == [gap.id]
    make_page(session, author, title="Parking", body="Book a parking spot in the app.")
    sync(session, backend)
    assert search.check_gaps_answered(session, backend) == 1
    session.refresh(gap)
    assert gap.answered_at is not None and gap.answered_page.title == "Parking"
    assert [n.kind for n in notifications.inbox(session, hana).items] == ["gap_answered"]
    assert [n.kind for n in notifications.inbox(session, reviewer).items] == ["gap_answered"]


def test_answer_checks_after_an_update_look_at_the_most_asked_gaps_only(
    session: Session, author: User, reviewer: User, backend: SearchBackend,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(search, "GAP_CHECKS_PER_UPDATE", 1)
    search.run(session, backend, SearchQuery(text="kayak storage"), user=reviewer)
    for user in (reviewer, author):
        search.run(session, backend, SearchQuery(text="canoe storage"), user=user)
    make_page(session, author, title="Boats", body="Kayak and canoe storage is in the shed.")
    sync(session, backend)
    assert search.check_gaps_answered(session, backend) == 1
    answered = session.scalars(select(KnowledgeGap).where(KnowledgeGap.answered_at.is_not(None)))
    assert [gap.normalized for gap in answered] == ["canoe storage"]


def test_only_published_pages_count_as_changed_pages_for_gap_checks(
    session: Session, author: User, backend: SearchBackend
) -> None:
    published = make_page(session, author, title="Ferry", body="The ferry leaves at nine.")
    assert indexing.process_outbox(session, backend).pages_changed
    edit_page(session, author, published, "The ferry leaves at ten.", publish=False)
    draft_only = indexing.process_outbox(session, backend)
    assert draft_only.rows >= 1 and not draft_only.pages_changed


def test_a_gap_found_answered_by_two_servers_at_once_notifies_once(
    app: Flask, session: Session, author: User, reviewer: User, backend: SearchBackend
) -> None:
    search.run(session, backend, SearchQuery(text="kayak rental"), user=reviewer)
    other_server = app.extensions["wiki.sessionmaker"]()
    seen_there = other_server.scalar(select(KnowledgeGap))  # loaded before the answer
    make_page(session, author, title="Kayaks", body="Kayak rental is at the lake.")
    sync(session, backend)
    assert search.check_gaps_answered(session, backend) == 1
    assert not search._answer(other_server, seen_there, None)
    other_server.commit()
    assert [n.kind for n in notifications.inbox(session, reviewer).items] == ["gap_answered"]
    other_server.close()


def test_unopened_results_become_gaps_and_opening_answers(
    client: Any, session: Session, author: User, reviewer: User, backend: SearchBackend
) -> None:
    make_page(session, author, title="Wifi", body="The guest wifi password is on the board.")
    sync(session, backend)
    outcome = search.run(session, backend, SearchQuery(text="wifi password"), user=reviewer)
    entry = session.get(SearchLog, outcome.log_id)
    entry.created_at = entry.created_at - search.UNOPENED_AFTER * 2
    session.commit()
    assert search.gaps(session).items == []  # reading the gaps counts nothing
    again = search.run(session, backend, SearchQuery(text="wifi password"), user=reviewer)
    gap = session.scalar(select(KnowledgeGap))  # the next search counted the unopened one
    assert gap.asked == 1 and gap.answered_at is None
    search.run(session, backend, SearchQuery(text="guest wifi"), user=reviewer)
    session.refresh(gap)
    assert gap.asked == 1  # once
    response = client.get(f"/search/open/{again.log_id}/wifi")
    assert response.status_code == 302 and response.headers["Location"] == "/wiki/wifi"
    session.refresh(gap)
    assert gap.answered_at is not None


def test_gap_askers_are_for_admins_only(
    client: Any,
    admin_client: Any,
    author_client: Any,
    session: Session,
    reviewer: User,
    backend: SearchBackend,
) -> None:
    search.run(session, backend, SearchQuery(text="secret question nobody answers"), user=reviewer)
    gap = session.scalar(select(KnowledgeGap))
    assert "secret question" in client.get("/gaps").get_data(as_text=True)
    assert "fatima" not in client.get("/gaps").get_data(as_text=True)
    assert "fatima" in admin_client.get("/gaps").get_data(as_text=True)
    assert author_client.get(f"/gaps/{gap.id}/askers").status_code == 403
    assert "fatima" in admin_client.get(f"/gaps/{gap.id}/askers").get_data(as_text=True)
    api = client.get("/api/v1/gaps").get_json()
    assert api["items"][0]["asked"] == 1 and "askers_list" not in api["items"][0]


def test_cli_rebuild_check_and_sync(
    runner: Any, session: Session, author: User, backend: SearchBackend
) -> None:
    make_page(session, author, title="Alpha", body="one")
    failing = runner.invoke(args=["search", "check"])
    assert failing.exit_code == 1 and "missing: 1" in failing.output
    assert runner.invoke(args=["search", "sync"]).exit_code == 0
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    rebuilt = runner.invoke(args=["search", "rebuild"])
    assert rebuilt.exit_code == 0 and "Indexed 1 documents" in rebuilt.output


# Whoosh leaves the file of an unreadable table of contents open; it is closed with a warning.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("damaged", ["*.seg", "*.toc"])
def test_a_damaged_index_is_reported_and_rebuilt_in_the_background(
    app: Flask,
    client: Any,
    runner: Any,
    session: Session,
    author: User,
    backend: Any,
    damaged: str,
) -> None:
    make_page(session, author, title="Lockers", body="Lockers are on the second floor.")
    sync(session, backend)
    for path in backend.directory.glob(damaged):
        path.write_bytes(b"\0" * path.stat().st_size)
    backend.close()  # as a fresh worker process would start
    checked = runner.invoke(args=["search", "check"])
    assert checked.exit_code == 1 and "cannot be read" in checked.output
    make_page(session, author, title="Bikes", body="Bike racks are by the entrance.")
    synced = runner.invoke(args=["search", "sync"])  # the work stays queued for later
    assert synced.exit_code == 1 and "updates are still queued: The search index" in synced.output
    assert indexing.queued(session, backend)[0] >= 1
    # While a rebuild runs, searchers are told how far it is; pages keep serving.
    repair = app.extensions["wiki.search_repair"]
    repair.running, repair.done, repair.total = True, 3, 10
    busy = client.get("/api/v1/search?q=lockers")
    assert busy.status_code == 503 and "3 of 10 pages" in busy.get_json()["error"]["message"]
    assert client.get("/wiki/lockers").status_code == 200
    # Nobody types a command: the first search that meets the damage starts the rebuild, on a
    # background thread (never in the request's).
    repair.running = False
    page = client.get("/search?q=lockers")
    assert page.status_code == 503 and "being rebuilt" in page.get_data(as_text=True)
    assert repair.wait(timeout=60) and repair.failure is None
    assert titles(backend, "lockers") == ["Lockers"] and titles(backend, "bike") == ["Bikes"]
    assert client.get("/api/v1/search?q=lockers").status_code == 200
    assert indexing.queued(session, backend) == (0, None)


def test_applied_changes_leave_the_log(session: Session, author: User, backend: Any) -> None:
    make_page(session, author, title="Canteen", body="The canteen opens at noon.")
    assert indexing.queued(session, backend)[0] >= 1
    sync(session, backend)
    assert titles(backend, "canteen") == ["Canteen"]
    assert session.scalar(select(func.count(SearchOutbox.id))) == 0
    assert indexing.queued(session, backend) == (0, None)


def test_passes_over_the_log_take_turns_across_processes(
    session: Session, author: User, backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(whoosh_backend, "WRITE_LOCK_TIMEOUT", 0.2)
    other_process = WhooshBackend(backend.directory)  # its own lock file handle, as a process has
    make_page(session, author, title="Gym", body="The gym is in the basement.")
    with backend.applying():
        with pytest.raises(SearchUnavailable):
            indexing.process_outbox(session, other_process)
    assert indexing.queued(session, backend)[0] >= 1  # the work waits; nothing was lost
    assert indexing.process_outbox(session, other_process).rows >= 1
    assert titles(backend, "gym") == ["Gym"] and indexing.queued(session, backend) == (0, None)
    other_process.close()


def test_a_new_server_with_an_empty_index_rebuilds_it_after_its_first_request(
    app: Flask, client: Any, session: Session, author: User, backend: Any, tmp_path: Path
) -> None:
    make_page(session, author, title="Archive room", body="The archive room is locked.")
    for row in session.scalars(select(SearchOutbox)):  # older than the log keeps
        session.delete(row)
    session.commit()
    new_server = WhooshBackend(tmp_path / "new-server-index")
    app.extensions["wiki.search"] = app.extensions["wiki.work"].backend = new_server
    app.extensions["wiki.search_synced"] = False  # this process has served nothing yet
    client.get("/").close()
    assert titles(new_server, "archive") == ["Archive room"]
    new_server.close()


def test_writes_trigger_indexing_after_the_response(
    author_client: Any, session: Session, author: User, reviewer: User, backend: SearchBackend
) -> None:
    make_page(session, author, title="Badge", body="Pick up your badge at reception.")
    indexing.process_outbox(session, backend)
    assert titles(backend, "badge") == ["Badge"]
    response = author_client.post("/wiki/badge/archive")
    response.close()
    assert titles(backend, "badge") == []


def test_by_default_the_index_is_updated_on_a_background_thread_after_the_response(
    app: Flask, author_client: Any, session: Session, author: User, backend: SearchBackend
) -> None:
    runner = jobs.ThreadRunner()  # the default outside tests
    app.extensions["wiki.batcher"] = jobs.Batcher(runner, app.extensions["wiki.work"].run)
    make_page(session, author, title="Parking", body="Parking permits are at reception.")
    sync(session, backend)
    response = author_client.post("/wiki/parking/archive")
    assert response.status_code == 302
    done = threading.Event()
    runner.submit(done.set)  # work runs in order: once this runs, the archive's work has
    assert done.wait(timeout=30)
    assert titles(backend, "parking") == []


def test_rebuild_progress_count_matches_the_documents(
    session: Session, author: User, reviewer: User
) -> None:
    first = make_page(session, author, title="Counted", body="one")
    make_page(session, author, title="Archived", body="two")
    pages.archive(session, actor=author, slug="archived")
    edit_page(session, author, first, "draft text", publish=False)
    assert indexing.count_documents(session) == len(list(indexing.all_documents(session))) == 2


def test_after_response_work_runs_only_for_requests_that_queued_some(
    author_client: Any, session: Session, author: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_page(session, author, title="Quiet", body="text")
    runs: list[int] = []
    monkeypatch.setattr(indexing, "process_outbox", lambda *_: runs.append(1) or 0)
    author_client.get("/").close()  # the process's first request catches up once
    runs.clear()
    author_client.post("/api/v1/render", json={"markdown": "*preview*"}).close()
    author_client.get("/wiki/quiet").close()
    assert runs == []
    author_client.post("/wiki/quiet/archive").close()
    assert runs == [1]


ODD_QUERIES = [
    '"unbalanced', "-", "OR OR", "*", "tag:", "(", ")", "a AND", "NOT", "x" * 5000, "日本語 テスト",
    '"" ""', "author:", 'department:"', "-*", "a OR", "^2", "title:x", "[a TO b]", "~", "a~2",
    "\\", "'", "AND OR NOT", "*a*", "a^", "{", "}", "::",
    "NOT OR | TO (", "title: OR NOT OR ) -- + x - policy",
]  # fmt: skip


def test_odd_query_syntax_is_searched_not_reported_as_a_damaged_index(
    client: Any, session: Session, author: User, backend: SearchBackend
) -> None:
    make_page(session, author, title="Expenses", body="Receipts within 30 days.")
    sync(session, backend)
    for text in ODD_QUERIES:
        for url in ("/search", "/api/v1/search"):
            response = client.get(url, query_string={"q": text})
            assert response.status_code in (200, 422), (url, text[:30], response.status_code)
            response.close()
    found = client.get("/api/v1/search", query_string={"q": '"receipts within'}).get_json()
    assert [hit["title"] for hit in found["results"]] == ["Expenses"]
