"""Reads cost the same few queries however long a page's history is, or a reviewer's queue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from app.models import Revision, User
from app.review.approval import ApprovalRules
from app.services import review
from tests.conftest import make_app, recorded_statements
from tests.factories import edit_page, make_page, make_user

READS = (
    "/wiki/expenses", "/wiki/expenses/history", "/wiki/expenses/diff",
    "/api/v1/pages/expenses/revisions", "/users/alex",
)  # fmt: skip


@pytest.fixture(params=["cached", "uncached"])
def app(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """Every count holds with the page cache (a repeated view) and without it (a full render)."""
    cache_url = "" if request.param == "cached" else "none"
    application = make_app(tmp_path, database_url, CACHE_URL=cache_url)
    yield application
    application.extensions["wiki.engine"].dispose()


def _queries(app: Flask, client: Any, url: str) -> int:
    """The SQL statements of a GET of ``url`` (the second in a row, so the cache holds what it
    keeps)."""
    client.get(url).close()
    with recorded_statements(app) as statements:
        client.get(url).close()
    return len(statements)


def _propose(
    session: Session, author: User, reviewer: User, published: Revision, count: int
) -> None:
    """``count`` more edits of the page in review, every other one withdrawn (private again)."""
    for number in range(count):
        draft = edit_page(session, author, published, f"edit {number}\n", ask=reviewer)
        if number % 2:
            review.withdraw(session, actor=author, revision_id=draft.id)


@pytest.mark.parametrize("url", READS)
def test_reading_a_long_history_costs_as_many_queries_as_a_short_one(
    app: Flask, session: Session, author: User, reviewer: User, reviewer_client: Any, url: str
) -> None:
    published = make_page(session, author, title="Expenses", body="v0\n")
    _propose(session, author, reviewer, published, 4)
    short = _queries(app, reviewer_client, url)
    _propose(session, author, reviewer, published, 30)
    assert _queries(app, reviewer_client, url) == short


def _approved(
    session: Session, author: User, reviewer: User, title: str, base: Revision | None
) -> Revision:
    """A change by ``author`` approved (so published) by ``reviewer``: a new page without a base."""
    body = "Links to [[Other page]].\n"
    submit = review.submission(
        session, actor=author, rules=ApprovalRules(), reviewers=[reviewer.username]
    )
    if base is None:
        draft = make_page(session, author, title=title, body=body, publish=False, then=submit)
    else:
        draft = edit_page(session, author, base, f"Final. {body}", publish=False, then=submit)
    review.add_review(
        session, actor=reviewer, revision_id=draft.id, verdict="approve", rules=ApprovalRules()
    )
    return draft


def _page(session: Session, author: User, reviewer: User, title: str, count: int) -> str:
    """Make a page with ``count`` published revisions by several writers (the last one reviewed
    and approved), linked from another page; return its address."""
    writers = [author, *(make_user(session, username=f"{title.lower()}{n}") for n in range(3))]
    revision = None
    if count > 1:
        revision = make_page(session, author, title=title, body="v1\n")
        for number in range(2, count):
            revision = edit_page(session, writers[number % len(writers)], revision, f"v{number}\n")
    _approved(session, author, reviewer, title, revision)
    make_page(session, reviewer, title=f"About {title}", body=f"See [[{title}]].\n")
    return f"/wiki/{title.lower()}"


def test_a_page_view_costs_as_many_queries_for_200_revisions_as_for_one(
    app: Flask, session: Session, author: User, reviewer: User, client: Any,
    reviewer_client: Any,
) -> None:  # fmt: skip
    short = _page(session, author, reviewer, "Expenses", 1)
    long = _page(session, author, reviewer, "Budget", 200)
    for reading in (client, reviewer_client):  # anonymous, signed in
        for url, title in ((short, "Expenses"), (long, "Budget")):
            page = reading.get(url).get_data(as_text=True)
            assert "Fatima Khan" in page and f"About {title}" in page  # approved by; linked from
        assert _queries(app, reading, short) == _queries(app, reading, long)
    if app.config["CACHE_URL"] == "":
        assert _queries(app, client, long) == 1  # which version is current; the page is cached


def test_the_review_queue_costs_as_many_queries_for_30_proposals_as_for_two(
    app: Flask, session: Session, author: User, reviewer: User, reviewer_client: Any,
    author_client: Any,
) -> None:  # fmt: skip
    def propose(numbers: range) -> None:
        for number in numbers:
            draft = make_page(session, author, title=f"Page {number}", body="D\n", publish=False)
            review.submit(session, actor=author, revision_id=draft.id, rules=ApprovalRules(),
                          reviewers=[reviewer.username])  # fmt: skip

    propose(range(2))
    few = (_queries(app, reviewer_client, "/review"), _queries(app, author_client, "/review"))
    propose(range(2, 30))
    assert reviewer_client.get("/review").get_data(as_text=True).count("Page ") == 30
    many = (_queries(app, reviewer_client, "/review"), _queries(app, author_client, "/review"))
    assert many == few
