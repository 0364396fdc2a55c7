"""Search kept in PostgreSQL: written in the transaction of each change, so there is nothing to
catch up on. The behaviour every backend shares is in test_search_contract.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app import jobs
from app.jobs import Job
from app.models import KnowledgeGap, SearchOutbox, User
from app.review.approval import ApprovalRules
from app.search import SearchBackend, SearchQuery
from app.services import pages, review, search
from tests.conftest import make_app
from tests.factories import edit_page, make_page, make_user

pytestmark = pytest.mark.postgres
RULES = ApprovalRules()


@pytest.fixture
def pg_app(tmp_path: Path, postgres_url: str) -> Iterator[Flask]:
    """An app searching with PostgreSQL, on a private schema migrated with Alembic."""
    app = make_app(tmp_path, postgres_url, SEARCH_BACKEND="postgres")
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    yield app
    app.extensions["wiki.engine"].dispose()


@pytest.fixture
def pg_session(pg_app: Flask) -> Iterator[Session]:
    session: Session = pg_app.extensions["wiki.sessionmaker"]()
    yield session
    session.close()


@pytest.fixture
def backend(pg_app: Flask) -> SearchBackend:
    found: SearchBackend = pg_app.extensions["wiki.search"]
    return found


@pytest.fixture
def alex(pg_session: Session) -> User:
    return make_user(pg_session, username="alex")


def titles(backend: SearchBackend, text: str, **kw: Any) -> list[str]:
    return [hit.title for hit in backend.search(SearchQuery(text=text, **kw)).hits]


def test_a_published_page_is_found_as_soon_as_its_publication_commits(
    pg_session: Session, alex: User, backend: SearchBackend
) -> None:
    # No index work runs here (services never run it; only a request's end does).
    first = make_page(pg_session, alex, title="Laptop Setup", body="Install the VPN client.")
    assert titles(backend, "vpn") == ["Laptop Setup"]
    edit_page(pg_session, alex, first, "Install the VPN client, then Docker.", title="Laptop Guide")
    assert titles(backend, "docker") == ["Laptop Guide"]
    pages.archive(pg_session, actor=alex, slug="laptop-guide")
    assert titles(backend, "vpn") == []
    pages.restore(pg_session, actor=alex, slug="laptop-guide")
    assert titles(backend, "vpn") == ["Laptop Guide"]
    assert pg_session.scalar(select(func.count()).select_from(SearchOutbox)) == 0


def test_proposals_are_found_by_their_people_from_the_moment_they_commit(
    pg_session: Session, alex: User, backend: SearchBackend
) -> None:
    fatima = make_user(pg_session, username="fatima", department="Finance")
    first = make_page(pg_session, alex, title="Expenses", body="Submit receipts monthly.")
    draft = edit_page(pg_session, alex, first, "Submit receipts weekly via Concur.", publish=False)
    review.submit(pg_session, actor=alex, revision_id=draft.id, reviewers=["fatima"], rules=RULES)
    assert titles(backend, "concur") == []
    assert titles(backend, "concur", pending_for="alex") == ["Expenses"]
    assert titles(backend, "concur", pending_for="fatima") == ["Expenses"]
    review.add_review(
        pg_session, actor=fatima, revision_id=draft.id, verdict="approve", rules=RULES
    )
    assert titles(backend, "concur") == ["Expenses"]


def test_a_change_that_rolls_back_leaves_search_as_it_was(
    pg_app: Flask, pg_session: Session, alex: User, backend: SearchBackend
) -> None:
    make_page(pg_session, alex, title="Parking", body="Book a parking spot.")
    pg_session.execute(text("CREATE FUNCTION fail() RETURNS trigger LANGUAGE plpgsql AS "
                            "$$ BEGIN RAISE EXCEPTION 'refused'; END $$"))  # fmt: skip
    pg_session.execute(
        text("CREATE TRIGGER refuse BEFORE INSERT ON audit_log EXECUTE FUNCTION fail()")
    )
    pg_session.commit()
    with pytest.raises(Exception, match="refused"):
        pages.archive(pg_session, actor=alex, slug="parking")  # its audit row fails the commit
    pg_session.rollback()
    assert titles(backend, "parking") == ["Parking"]


def test_knowledge_gaps_are_answered_once_a_page_answers_them(
    pg_app: Flask, pg_session: Session, alex: User, backend: SearchBackend
) -> None:
    search.run(pg_session, backend, SearchQuery(text="parking spot"), user=alex)
    make_page(pg_session, alex, title="Parking", body="Book a parking spot in the app.")
    todo = jobs.take_committed(pg_session)  # what a request's end hands to the runner
    assert todo == {Job.GAPS}  # the index was written with the publication
    pg_app.extensions["wiki.work"].run(todo)
    gap = pg_session.scalar(select(KnowledgeGap))
    assert gap is not None
    pg_session.refresh(gap)
    assert gap.answered_at is not None and gap.answered_page.title == "Parking"


def test_cli_rebuild_and_check(pg_app: Flask, pg_session: Session, alex: User) -> None:
    make_page(pg_session, alex, title="Alpha", body="one")
    runner = pg_app.test_cli_runner()
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    pg_session.execute(text("DELETE FROM search_documents"))
    pg_session.commit()
    failing = runner.invoke(args=["search", "check"])
    assert failing.exit_code == 1 and "missing: 1" in failing.output
    rebuilt = runner.invoke(args=["search", "rebuild"])
    assert rebuilt.exit_code == 0 and "Indexed 1 documents" in rebuilt.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0
