"""Cached page views: anonymous readers get a stored copy until something they would see changes,
and nobody gets a copy meant for someone else."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy.orm import Session

from app.models import Revision, User
from app.services import pages, signup
from tests.conftest import WikiClient, make_app, recorded_statements
from tests.factories import edit_page, make_page, make_user


def _statements(app: Flask, client: Any, url: str, **kwargs: Any) -> tuple[Any, int]:
    """GET ``url``; return the response and how many SQL statements answering it took."""
    with recorded_statements(app) as statements:
        response = client.get(url, **kwargs)
    return response, len(statements)


def _text(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return str(response.get_data(as_text=True))


def test_a_repeated_anonymous_view_is_the_same_page_from_the_cache(
    app: Flask, session: Session, author: User, client: Any
) -> None:
    make_page(session, author, title="Expenses", body="Keep receipts.\n")
    first, rendered = _statements(app, client, "/wiki/expenses")
    again, cached = _statements(app, client, "/wiki/expenses")
    assert again.status_code == 200
    assert again.get_data() == first.get_data()
    assert "Keep receipts." in again.get_data(as_text=True)
    assert again.headers["ETag"] == first.headers["ETag"]
    assert cached == 1 < rendered  # the page's current version, then the stored copy
    assert again.headers["Cache-Control"] == "no-cache"
    assert "Cookie" in again.headers["Vary"]


def test_the_cached_page_holds_no_csrf_token_and_sets_no_cookie(
    session: Session, author: User, client: Any
) -> None:
    make_page(session, author, title="Expenses")
    for _ in range(2):
        response = client.get("/wiki/expenses")
        assert 'name="csrf-token"' not in response.get_data(as_text=True)
        assert "Set-Cookie" not in response.headers


def test_a_new_published_revision_replaces_the_cached_page(
    session: Session, author: User, client: Any
) -> None:
    first = make_page(session, author, title="Expenses", body="Old rule.\n")
    assert "Old rule." in _text(client, "/wiki/expenses")
    edit_page(session, author, first, "New rule.\n")
    page = _text(client, "/wiki/expenses")
    assert "New rule." in page and "Old rule." not in page


def test_a_rename_shows_at_the_new_address_and_in_the_pages_it_links_to(
    session: Session, author: User, client: Any
) -> None:
    first = make_page(session, author, title="Expenses", body="See [[Travel]].\n")
    make_page(session, author, title="Travel", body="Trains.\n")
    assert "Expenses" in _text(client, "/wiki/travel")  # linked from
    assert "Expenses" in _text(client, "/wiki/expenses")
    edit_page(session, author, first, "See [[Travel]].\n", title="Claiming costs")
    assert client.get("/wiki/expenses").headers["Location"].endswith("/wiki/claiming-costs")
    assert "Claiming costs" in _text(client, "/wiki/claiming-costs")
    linked_from = _text(client, "/wiki/travel")
    assert "Claiming costs" in linked_from and ">Expenses<" not in linked_from


def test_archiving_a_page_hides_it_and_marks_links_to_it_missing_until_restored(
    session: Session, author: User, admin: User, client: Any
) -> None:
    make_page(session, author, title="Expenses", body="See [[Travel]].\n")
    make_page(session, author, title="Travel", body="Trains.\n")
    travel = _text(client, "/wiki/travel")
    expenses = _text(client, "/wiki/expenses")
    assert "wikilink missing" not in expenses and "Expenses" in travel
    pages.archive(session, actor=admin, slug="travel")
    assert client.get("/wiki/travel").status_code == 404
    assert "wikilink missing" in _text(client, "/wiki/expenses")
    pages.restore(session, actor=admin, slug="travel")
    assert "wikilink missing" not in _text(client, "/wiki/expenses")
    assert "Expenses" in _text(client, "/wiki/travel")


def test_creating_a_page_that_a_cached_page_links_to_makes_the_link_live(
    session: Session, author: User, client: Any
) -> None:
    make_page(session, author, title="Expenses", body="See [[Travel]].\n")
    assert "wikilink missing" in _text(client, "/wiki/expenses")
    make_page(session, author, title="Travel", body="Trains.\n")
    assert "wikilink missing" not in _text(client, "/wiki/expenses")


def test_moving_a_writer_to_another_department_shows_on_their_pages(
    session: Session, author: User, admin: User, reviewer: User, client: Any
) -> None:
    make_page(session, author, title="Expenses")
    assert "Engineering" in _text(client, "/wiki/expenses")
    signup.set_department(session, actor=admin, username=author.username, department="Finance")
    written_by = _text(client, "/wiki/expenses").split("Written by")[1]
    assert "Finance" in written_by and "Engineering" not in written_by


def test_a_reader_holding_the_current_page_gets_304(
    session: Session, author: User, client: Any
) -> None:
    first = make_page(session, author, title="Expenses", body="Old rule.\n")
    response = client.get("/wiki/expenses")
    etag, modified = response.headers["ETag"], response.headers["Last-Modified"]
    for headers in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
        again = client.get("/wiki/expenses", headers=headers)
        assert again.status_code == 304, headers
        assert again.get_data() == b""
        assert again.headers["ETag"] == etag
    assert client.get("/wiki/expenses", headers={"If-None-Match": '"other"'}).status_code == 200
    edit_page(session, author, first, "New rule.\n")
    changed = client.get("/wiki/expenses", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "New rule." in changed.get_data(as_text=True)
    assert changed.headers["ETag"] != etag


def test_a_signed_in_reader_never_gets_the_anonymous_copy(
    session: Session, author: User, client: Any, reviewer_client: Any
) -> None:
    make_page(session, author, title="Expenses", body="Keep receipts.\n")
    anonymous = client.get("/wiki/expenses")
    for headers in ({}, {"If-None-Match": anonymous.headers["ETag"]}):
        member = reviewer_client.get("/wiki/expenses", headers=headers)
        assert member.status_code == 200
        page = member.get_data(as_text=True)
        assert "Keep receipts." in page and "Fatima Khan" in page and "Sign out" in page
        assert 'name="csrf-token"' in page
        assert member.headers["Cache-Control"] == "private, no-store"
        assert "ETag" not in member.headers
    assert "Sign out" not in client.get("/wiki/expenses").get_data(as_text=True)


def test_a_draft_is_never_cached_for_anyone_else(
    session: Session, author: User, reviewer: User, client: Any, author_client: Any
) -> None:
    published = make_page(session, author, title="Expenses", body="Published text.\n")
    draft = edit_page(session, author, published, "Secret draft.\n", publish=False)
    draft_url = f"/wiki/expenses/revisions/{draft.id}"
    assert "Secret draft." in _text(author_client, draft_url)
    assert "Secret draft." in _text(author_client, draft_url)
    assert client.get(draft_url).status_code == 404
    page = _text(client, "/wiki/expenses")
    assert "Published text." in page and "Secret draft." not in page
    make_page(session, author, title="Plans", body="Unpublished plan.\n", publish=False)
    assert "Unpublished plan." not in client.get("/wiki/plans").get_data(as_text=True)


def test_a_message_waiting_for_an_anonymous_reader_is_shown_not_the_cached_copy(
    session: Session, author: User, client: Any
) -> None:
    make_page(session, author, title="Expenses")
    client.get("/wiki/expenses")
    client.login(author.username)
    client.post("/logout")  # "You are signed out." waits for the next page
    page = _text(client, "/wiki/expenses")
    assert "You are signed out." in page
    assert "You are signed out." not in _text(client, "/wiki/expenses")


@pytest.fixture
def private_app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """An app whose pages only members read (``ANONYMOUS_READ=false``)."""
    application = make_app(tmp_path, database_url, ANONYMOUS_READ=False)
    application.test_client_class = WikiClient
    yield application
    application.extensions["wiki.engine"].dispose()


def test_a_private_wiki_serves_no_cached_page_to_anonymous_readers(private_app: Flask) -> None:
    maker = private_app.extensions["wiki.sessionmaker"]
    with maker() as session:
        author = _alex(session)
        make_page(session, author, title="Expenses", body="Internal.\n")
    member = private_app.test_client()
    member.login("alex")
    assert "Internal." in _text(member, "/wiki/expenses")
    anonymous = private_app.test_client()
    for _ in range(2):
        response = anonymous.get("/wiki/expenses")
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def _alex(session: Session) -> User:
    return make_user(session, username="alex", name="Alex Rivera")


def test_an_unreachable_cache_still_serves_pages(tmp_path: Path, database_url: str) -> None:
    app = make_app(tmp_path, database_url, CACHE_URL="redis://127.0.0.1:1/0")
    try:
        with app.extensions["wiki.sessionmaker"]() as session:
            make_page(session, _alex(session), title="Expenses", body="Still here.\n")
        client = app.test_client()
        for _ in range(2):
            assert "Still here." in _text(client, "/wiki/expenses")
    finally:
        app.extensions["wiki.engine"].dispose()


def test_servers_with_caches_of_their_own_agree_on_last_modified(
    tmp_path: Path, database_url: str
) -> None:
    """Last-Modified is when the wiki last changed, not when a process happened to cache the
    page: each gunicorn worker answers the same If-Modified-Since the same way."""
    apps = [make_app(tmp_path, database_url) for _ in range(2)]
    try:
        with apps[0].extensions["wiki.sessionmaker"]() as session:
            make_page(session, _alex(session), title="Expenses", body="File receipts.\n")
        first = apps[0].test_client().get("/wiki/expenses")
        time.sleep(1.1)  # HTTP dates have whole seconds: a later cache would show a later one
        second = apps[1].test_client().get("/wiki/expenses")
        assert first.headers["Last-Modified"] == second.headers["Last-Modified"]
        since = {"If-Modified-Since": first.headers["Last-Modified"]}
        assert [app.test_client().get("/wiki/expenses", headers=since).status_code
                for app in apps] == [304, 304]  # fmt: skip
    finally:
        for app in apps:
            app.extensions["wiki.engine"].dispose()


@pytest.fixture
def redis_apps(tmp_path: Path, database_url: str, redis_url: str) -> Iterator[tuple[Flask, Flask]]:
    """Two app servers on one database sharing one Redis cache (under a prefix of their own)."""
    prefix = f"peerwiki-test-{uuid.uuid4().hex[:12]}:"
    apps = tuple(
        make_app(tmp_path, database_url, CACHE_URL=redis_url, CACHE_KEY_PREFIX=prefix)
        for _ in range(2)
    )
    yield apps  # type: ignore[misc]
    for app in apps:
        app.extensions["wiki.engine"].dispose()
    connection = redis.Redis.from_url(redis_url)
    keys = list(connection.scan_iter(f"{prefix}*"))
    if keys:
        connection.delete(*keys)
    connection.close()


@pytest.mark.redis
def test_two_servers_share_the_cache_and_its_invalidation(
    redis_apps: tuple[Flask, Flask],
) -> None:
    one, two = redis_apps
    with one.extensions["wiki.sessionmaker"]() as session:
        first = make_page(session, _alex(session), title="Expenses", body="Old rule.\n").id
    rendered = one.test_client().get("/wiki/expenses")
    two.test_client().get("/login")  # a server's first request also catches up on queued work
    served, statements = _statements(two, two.test_client(), "/wiki/expenses")
    assert statements == 1  # the copy server one stored
    assert served.get_data() == rendered.get_data()
    assert served.headers["Last-Modified"] == rendered.headers["Last-Modified"]
    with two.extensions["wiki.sessionmaker"]() as session:
        revision = session.get(Revision, first)
        assert revision is not None
        edit_page(session, revision.author, revision, "New rule.\n")
    assert "New rule." in _text(one.test_client(), "/wiki/expenses")
