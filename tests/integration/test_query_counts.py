"""Deciding who sees each revision costs the same few queries however long a page's history is."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.models import Revision, User
from app.services import review
from tests.factories import edit_page, make_page

READS = (
    "/wiki/expenses", "/wiki/expenses/history", "/wiki/expenses/diff",
    "/api/v1/pages/expenses/revisions", "/users/alex",
)  # fmt: skip


def _queries(app: Flask, client: Any, url: str) -> int:
    count = 0

    def counted(*_: Any) -> None:
        nonlocal count
        count += 1

    engine = app.extensions["wiki.engine"]
    event.listen(engine, "before_cursor_execute", counted)
    try:
        client.get(url).close()
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return count


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
