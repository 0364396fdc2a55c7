"""The bulk loader: a page it writes reads, lists and searches like one made through the
services."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.exceptions import ValidationError
from app.models import Page, Revision
from app.review.approval import ApprovalRules, Verdict
from app.services import bulk, indexing, proposals, review
from tests import factories
from tests.conftest import make_app, search_backend

EXPENSES_V1 = "# Travel expenses\n\nKeep every receipt.\n\n## Per diem\n\nSee [[Per diem rates]].\n"
EXPENSES_V2 = (
    EXPENSES_V1 + "\n## Mileage\n\nLog the kilometres driven, then ask [[Finance desk]].\n"
)
PER_DIEM = "# Per diem rates\n\nDaily allowances by city; claims follow [[Travel expenses]].\n"
#: When the loaded history happened: recently, so its pages are as fresh (not yet due for
#: verification) as the ones written through the services a moment ago.
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)

HISTORIES = [
    bulk.PageHistory(
        title="Travel expenses", department="Engineering", tags=["travel", "Money"],
        versions=[
            bulk.Version(author="alex", reviewer="fatima", body=EXPENSES_V1, summary="First draft",
                         review="Clear.", proposed_at=START, published_at=START),
            bulk.Version(author="fatima", reviewer="alex", body=EXPENSES_V2, summary="Mileage",
                         review="Thanks!", proposed_at=START, published_at=START),
        ],
    ),
    bulk.PageHistory(
        title="Per diem rates", department="Finance", tags=["money"],
        versions=[bulk.Version(author="fatima", reviewer="alex", body=PER_DIEM,
                               proposed_at=START, published_at=START)],
    ),
]  # fmt: skip

#: What two wikis may differ in: times, and tokens made per response.
_VOLATILE = [
    (re.compile(r"<time [^>]*>[^<]*</time>"), "<time>"),
    (re.compile(r"\d{1,2} [A-Z][a-z]+ \d{4}"), "DATE"),
    (re.compile(r"in \d+ days"), "in N days"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(\+00:00|Z| UTC)?"), "TIME"),
    (re.compile(r'(nonce|content|value)="[A-Za-z0-9._\-+/=]{20,}"'), r'\1="TOKEN"'),
]
PATHS = [
    "/", "/wiki", "/wiki/travel-expenses", "/wiki/travel-expenses/history",
    "/wiki/per-diem-rates", "/wiki/travel-expenses/diff", "/proposals/2", "/users/alex",
    "/wiki?tag=money", "/departments", "/api/v1/pages/travel-expenses",
    "/api/v1/pages/travel-expenses/revisions", "/api/v1/pages?tag=money",
    "/api/v1/search?q=receipt", "/api/v1/search?q=allowances%20tag:money",
    "/api/v1/search/suggest?q=trav",
]  # fmt: skip


def _normalised(text: str) -> str:
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def _people(session: Session) -> None:
    factories.make_user(session, username="alex", name="Alex Rivera", department="Engineering")
    factories.make_user(session, username="fatima", name="Fatima Khan", department="Finance")


def _through_services(session: Session) -> None:
    """The pages of ``HISTORIES``, written the way people write them."""
    alex, fatima = (factories.users.get_user(session, name) for name in ("alex", "fatima"))
    rules = ApprovalRules()
    first = proposals.create_page(
        session, author=alex, title="Travel expenses", body=EXPENSES_V1, tags=["travel", "Money"],
        department="Engineering", summary="First draft",
        then=review.submission(session, actor=alex, rules=rules, reviewers=["fatima"]),
    )  # fmt: skip
    review.add_review(session, actor=fatima, revision_id=first.id, verdict=Verdict.APPROVE,
                      rules=rules, summary="Clear.")  # fmt: skip
    second = proposals.save_revision(
        session, author=fatima, slug="travel-expenses", body=EXPENSES_V2,
        base_revision_id=first.id, summary="Mileage",
        then=review.submission(session, actor=fatima, rules=rules, reviewers=["alex"]),
    )  # fmt: skip
    review.add_review(session, actor=alex, revision_id=second.id, verdict=Verdict.APPROVE,
                      rules=rules, summary="Thanks!")  # fmt: skip
    per_diem = proposals.create_page(
        session, author=fatima, title="Per diem rates", body=PER_DIEM, tags=["money"],
        department="Finance",
        then=review.submission(session, actor=fatima, rules=rules, reviewers=["alex"]),
    )  # fmt: skip
    review.add_review(session, actor=alex, revision_id=per_diem.id, verdict=Verdict.APPROVE,
                      rules=rules)  # fmt: skip


@pytest.fixture
def bulk_app(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite: Path
) -> Iterator[Flask]:
    """A second wiki, loaded by the bulk path."""
    (tmp_path / "bulk").mkdir()
    database = tmp_path / "bulk" / "peerwiki.db"
    shutil.copy(migrated_sqlite, database)
    application = make_app(
        tmp_path / "bulk", f"sqlite:///{database}", SEARCH_BACKEND=search_backend(request)
    )
    yield application
    application.extensions["wiki.engine"].dispose()


@pytest.mark.whoosh
@pytest.mark.sqlite  # the second wiki is a SQLite copy, so the first must be SQLite too
def test_bulk_pages_read_and_search_like_pages_made_through_the_services(
    app: Flask, session: Session, bulk_app: Flask
) -> None:
    _people(session)
    _through_services(session)
    indexing.process_outbox(session, app.extensions["wiki.search"])
    with bulk_app.extensions["wiki.sessionmaker"]() as loading:
        _people(loading)
        assert bulk.load(loading, HISTORIES) == 2
        indexing.rebuild(loading, bulk_app.extensions["wiki.search"])

    made, loaded = app.test_client(), bulk_app.test_client()
    for path in PATHS:
        expected, actual = made.get(path), loaded.get(path)
        assert (actual.status_code, path) == (expected.status_code, path)
        assert _normalised(actual.get_data(as_text=True)) == _normalised(
            expected.get_data(as_text=True)
        ), path
    found = loaded.get("/api/v1/search?q=receipt").get_json()["results"]
    assert [hit["slug"] for hit in found] == ["travel-expenses"]
    page = loaded.get("/wiki/per-diem-rates").get_data(as_text=True)
    assert "Travel expenses" in page and "Alex Rivera" in page  # a backlink, the approver


def test_bulk_load_writes_in_batches_with_renderers_and_refuses_a_taken_title(
    session: Session,
) -> None:
    _people(session)
    many = [
        bulk.PageHistory(
            title=f"Page {number}", department="Engineering",
            versions=[bulk.Version(author="alex", reviewer="fatima", body=f"Text {number}.",
                                   proposed_at=START, published_at=START + timedelta(hours=1))],
        )
        for number in range(7)
    ]  # fmt: skip
    assert bulk.load(session, many, batch=3, processes=2) == 7
    assert session.scalar(select(func.count()).select_from(Page)) == 7
    assert (
        session.scalar(select(Revision.html).where(Revision.body == "Text 6."))
        == "<p>Text 6.</p>\n"
    )

    with pytest.raises(ValidationError, match="Title in use"):
        bulk.load(session, many[:1])
    with pytest.raises(ValidationError, match="Nobody approves their own"):
        bulk.load(
            session,
            [bulk.PageHistory(title="Mine", department="Engineering",
                              versions=[bulk.Version(author="alex", reviewer="alex", body="x",
                                                     proposed_at=START, published_at=START)])],
        )  # fmt: skip
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Page)) == 7


@pytest.mark.postgres
def test_services_go_on_writing_after_a_bulk_load_on_postgres(
    tmp_path: Path, postgres_url: str
) -> None:
    app = make_app(tmp_path, postgres_url)
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    try:
        with app.extensions["wiki.sessionmaker"]() as session:
            _people(session)
            assert bulk.load(session, HISTORIES) == 2
            alex = factories.users.get_user(session, "alex")
            made = factories.make_page(
                session, alex, title="Hotel bookings"
            )  # new ids from the sequences
            assert made.page_id == 3 and made.id == 4
        client = app.test_client()
        assert "Mileage" in client.get("/wiki/travel-expenses").get_data(as_text=True)
        assert client.get("/wiki/hotel-bookings").status_code == 200
    finally:
        app.extensions["wiki.engine"].dispose()
