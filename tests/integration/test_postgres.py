"""The same behaviour on PostgreSQL (the company-scale engine). Skipped without a URL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from app.exceptions import Conflict, EditConflict, ValidationError
from app.models import Revision, User
from app.review.policy import SYSTEM
from app.services import pages, proposals, tokens, users
from tests.conftest import POSTGRES_URL_VARIABLE, make_app
from tests.factories import edit_page, make_page, make_user

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get(POSTGRES_URL_VARIABLE),
        reason=f"PostgreSQL tests need {POSTGRES_URL_VARIABLE} (see README)",
    ),
]


@pytest.fixture
def pg_app(tmp_path: Path, postgres_url: str) -> Iterator[Flask]:
    """An app on a private schema of the test database, migrated with Alembic."""
    app = make_app(tmp_path, postgres_url)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    yield app
    app.extensions["wiki.engine"].dispose()


@pytest.fixture
def pg_session(pg_app: Flask) -> Iterator[Session]:
    session: Session = pg_app.extensions["wiki.sessionmaker"]()
    yield session
    session.close()


def test_pages_and_revisions_on_postgres(pg_session: Session) -> None:
    author = make_user(pg_session, username="alex")
    first = make_page(pg_session, author, title="Laptop Setup", tags=["onboarding"])
    second = edit_page(pg_session, author, first, "new body", title="Laptop Setup Guide")
    page = pages.lookup(pg_session, "laptop-setup", reader=SYSTEM)
    assert page.slug == "laptop-setup-guide" and page.published_revision_id == second.id
    assert pages.list_pages(pg_session, tag="onboarding").total == 1
    assert pages.tag_counts(pg_session) == [("onboarding", 1)]


def test_concurrent_saves_conflict_on_postgres(pg_app: Flask, pg_session: Session) -> None:
    author = make_user(pg_session, username="alex")
    other_user = make_user(pg_session, username="fatima", department="Finance")
    first = make_page(pg_session, author)
    draft = edit_page(pg_session, author, first, "draft", publish=False)
    other: Session = pg_app.extensions["wiki.sessionmaker"]()
    try:
        pages.lookup(
            other, first.page.slug, reader=SYSTEM
        )  # the second tab read the page before the first saved
        edit_page(pg_session, author, draft, "first tab", publish=False)
        with pytest.raises(EditConflict):
            proposals.save_revision(
                other, author=author, slug=first.page.slug, body="second", base_revision_id=draft.id
            )
        with pytest.raises(EditConflict):  # someone else's draft is no base to edit on
            proposals.save_revision(
                other, author=other_user, slug=first.page.slug, body="x",
                base_revision_id=other.get(Revision, draft.id).proposal.head_revision_id,
            )  # fmt: skip
    finally:
        other.close()
    assert [r.body for r in pages.history(pg_session, first.page, reader=SYSTEM)][0] == "first tab"


def test_concurrent_publications_of_one_page_fail_loudly_on_postgres(
    pg_app: Flask, pg_session: Session
) -> None:
    author = make_user(pg_session, username="alex")
    first = make_page(pg_session, author)
    other: Session = pg_app.extensions["wiki.sessionmaker"]()
    try:
        stale = pages.lookup(other, first.page.slug, reader=SYSTEM)
        stale_published = stale.published_revision
        edit_page(pg_session, author, first, "published first")
        late = edit_page(other, other.get(User, author.id), stale_published, "late", publish=False)
        with pytest.raises(Conflict):
            pages.publish_revision(other, stale, late)
        other.rollback()
    finally:
        other.close()
    page = pages.lookup(pg_session, first.page.slug, reader=SYSTEM)
    pg_session.refresh(page)
    assert page.published_revision.body == "published first"


def test_duplicate_username_and_email_on_postgres(pg_session: Session) -> None:
    make_user(pg_session, username="alex")
    with pytest.raises(ValidationError):
        users.create_user(
            pg_session, username="ALEX", password="long-password", department="Engineering"
        )


def test_api_round_trip_on_postgres(pg_app: Flask, pg_session: Session) -> None:
    author = make_user(pg_session, username="alex")
    token = tokens.create(pg_session, owner=author, name="tests").secret
    client = pg_app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    created: Any = client.post(
        "/api/v1/pages", json={"title": "Budget", "body": "# B"}, headers=headers
    )
    assert created.status_code == 201
    base = created.get_json()["latest_revision"]["id"]
    assert (
        client.post(
            "/api/v1/pages/budget/revisions",
            json={"body": "v2", "base_revision_id": base},
            headers=headers,
        ).status_code
        == 201
    )
    assert (
        client.post(
            "/api/v1/pages/budget/revisions",
            json={"body": "v3", "base_revision_id": base},
            headers=headers,
        ).status_code
        == 409
    )
