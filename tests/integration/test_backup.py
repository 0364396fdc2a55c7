"""``flask backup`` / ``flask restore``: every row of every table survives, between engines too."""

from __future__ import annotations

import gzip
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import Base
from app.models import Page
from app.review.approval import ApprovalRules, Verdict
from app.search import SearchQuery
from app.services import (
    accounts,
    attachments,
    backup,
    demo,
    feedback,
    help,
    paths,
    proposals,
    queue,
    review,
    search,
    signup,
    spaces,
    tokens,
    users,
    verification,
)
from app.services import synonyms as synonym_sets
from tests.conftest import WikiClient, make_app, table_rows
from tests.factories import FAST_PASSWORD_METHOD, PASSWORD, edit_page, make_page, make_user

RULES = ApprovalRules()


def _populate(session: Session, app: Flask) -> None:
    """A wiki with a row in every table: people, pages with history and aliases, proposals in
    every state with reviews, comments and suggestions, notifications, tokens, invitations,
    searches, knowledge gaps, synonyms and a queued job."""
    alex = make_user(session, username="alex", name="Alex Rivera", department="Engineering")
    fatima = make_user(session, username="fatima", name="Fatima Khan", department="Finance")
    hana = make_user(session, username="hana", name="Hana Sato", department="People")
    admin = make_user(session, username="admin", department="Operations", is_admin=True)
    users.update_review_rules(session, actor=admin, name="Finance", required_approvals=2,
                              require_cross_department=True)  # fmt: skip
    first = make_page(session, alex, title="Expenses Guide", tags=["finance", "howto"],
                      body="# Expenses\n\nSee [[Time Off]] and [[Missing Page]].\n")  # fmt: skip
    renamed = edit_page(session, alex, first, "# Expenses\n\nRenamed, with **more** detail: [[Time Off]].\n",
                        title="Expense Claims")  # fmt: skip
    make_page(session, fatima, title="Time Off", body="# Time off\n\nAsk early. Ünïcödé ✓\n")
    make_page(session, admin, title="Onboarding", tags=["people"])
    demo.seed_proposals(session, RULES)  # in review, changes requested, a draft, published
    withdrawn = edit_page(session, fatima, renamed, "# Expenses\n\nA change nobody wanted.\n",
                          ask=alex)  # fmt: skip
    review.withdraw(session, actor=fatima, revision_id=withdrawn.id)
    published = edit_page(
        session, hana, renamed, "# Expenses\n\nReviewed: [[Time Off]].\n", ask=alex
    )
    review.add_review(session, actor=alex, revision_id=published.id, verdict=Verdict.APPROVE,
                      rules=RULES, rubric={"accuracy": 3})  # fmt: skip
    tokens.create(session, owner=alex, name="nightly export", scope=tokens.Scope.READ)
    accounts.sign_in(session, username="alex", password=PASSWORD, password_method=FAST_PASSWORD_METHOD,
                     client=accounts.Client(address="127.0.0.1", user_agent="Firefox"))  # fmt: skip
    signup.invite(session, actor=admin, department="Finance", email="new@example.com")
    backend = app.extensions["wiki.search"]
    search.run(session, backend, SearchQuery(text="expenses"), user=alex)
    search.run(session, backend, SearchQuery(text="flurbish widgets"), user=fatima)
    queue.enqueue(session, "gaps")  # work waiting for a worker
    synonym_sets.add_set(session, actor=admin, terms=["PTO", "time off"])
    synonym_sets.note_pair(session, first="vacation", then="pto", user_id=fatima.id)
    for reader in (fatima, hana, alex):  # three "didn't work": a verification opens early
        feedback.give(session, reader=reader, slug="onboarding", worked=False, note="Step 2 fails")
    spaces.create_space(session, actor=admin, name="Handbook", home_page="onboarding",
                        members=["hana"], maintainers=["fatima"])  # fmt: skip
    path = paths.create(session, author=alex, title="First week", description="Read these.",
                        pages=["time-off", "onboarding"], submit=True)  # fmt: skip
    paths.review(session, actor=fatima, path_id=path.path_id, verdict="approve", comment="", rules=RULES)  # fmt: skip
    paths.assign(session, actor=alex, path_id=path.path_id, department="People")
    paths.mark_done(session, actor=hana, path_id=path.path_id, page="time-off")
    asked = help.ask(session, asker=hana, space_slug=None, question="Where is the handbook?")
    proposals.create_page(session, author=alex, title="Handbook location", body="Shelf 3.\n",
                          then=help.answer_draft(session, asked.id))  # fmt: skip
    time_off = session.scalars(select(Page).where(Page.slug == "time-off")).one()
    verification.open_verification_early(session, time_off, "Readers say step 2 fails")
    attachments.upload(
        session, app.extensions["wiki.storage"], uploader=fatima, slug="time-off",
        filename="calendar.png", data=_png(), max_bytes=10**6,
    )  # fmt: skip
    session.commit()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), "orange").save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> Iterator[Flask]:
    """A populated SQLite wiki (read-only for the tests)."""
    directory = tmp_path_factory.mktemp("backup-source")
    shutil.copy(migrated_sqlite, directory / "source.db")
    app = make_app(directory, f"sqlite:///{directory / 'source.db'}")
    with app.extensions["wiki.sessionmaker"]() as session:
        _populate(session, app)
    empty = [name for name, rows in table_rows(app).items() if not rows]
    assert not empty, f"_populate leaves {empty} empty: add rows so the backup covers them"
    yield app
    app.extensions["wiki.engine"].dispose()


@pytest.fixture(scope="module")
def backup_file(source: Flask, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backup-file") / "wiki.jsonl.gz"
    result = source.test_cli_runner().invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert f"of {len(Base.metadata.tables)} tables" in result.output
    return path


def _contents(app: Flask) -> list[Any]:
    """Every line of a backup of ``app`` but the header (which says when and from where)."""
    out = io.StringIO()
    with app.extensions["wiki.sessionmaker"]() as session:
        backup.write(session, out, files=app.extensions["wiki.storage"])
    return [json.loads(line) for line in out.getvalue().splitlines()[1:]]


def _applied(contents: list[Any]) -> list[Any]:
    """``contents`` once its search log is applied, as a restore's index rebuild does."""
    kept, in_log = [], False
    for item in contents:
        if isinstance(item, dict) and "end" in item:
            item = {**item, "end": {**item["end"], "search_outbox": 0}}
        if isinstance(item, dict):
            in_log = item.get("table") == "search_outbox"
        elif in_log:
            continue
        kept.append(item)
    return kept


def _restore(app: Flask, path: Path) -> Any:
    return app.test_cli_runner().invoke(args=["restore", str(path)])


def _check_restored_wiki_works(app: Flask) -> None:
    """Passwords, tokens and the rebuilt search index work, and new rows get fresh ids."""
    app.test_client_class = WikiClient
    client: WikiClient = app.test_client()  # type: ignore[assignment]
    client.login("alex", PASSWORD)
    assert "Expense Claims" in client.get("/wiki/expense-claims").get_data(as_text=True)
    assert client.get("/wiki/expenses-guide").status_code in (301, 302, 308)  # the old slug
    found = client.get("/api/v1/search?q=expenses").get_json()
    assert [hit["slug"] for hit in found["results"]][:1] == ["expense-claims"]
    with app.extensions["wiki.sessionmaker"]() as session:
        alex = users.get_user(session, "alex")
        before = session.scalar(select(func.max(Page.id)))
        make_page(session, alex, title="Written after the restore")
        assert session.scalar(select(func.max(Page.id))) == (before or 0) + 1
        new = tokens.create(session, owner=alex, name="after the restore")
        found = tokens.authenticate(session, new.secret)
        assert found is not None and found.user == alex
    # The uploaded image came along, from the backup into this wiki's own upload folder.
    client.post("/logout")
    client.login("fatima", PASSWORD)
    listed = client.get("/api/v1/pages/time-off/attachments").get_json()["items"]
    assert [item["filename"] for item in listed] == ["calendar.png"]
    image = client.get(listed[0]["url"])
    assert image.status_code == 200 and Image.open(io.BytesIO(image.data)).size == (30, 20)
    assert client.get(listed[0]["thumbnail_url"]).status_code == 200


def test_backup_is_private_and_restores_every_row_into_sqlite(
    source: Flask, backup_file: Path, app: Flask
) -> None:
    assert backup_file.stat().st_mode & 0o077 == 0  # password and token hashes inside
    with gzip.open(backup_file, "rt") as file:
        header = json.loads(file.readline())
    assert header["format"] == "peerwiki-backup" and header["version"] == 2

    result = _restore(app, backup_file)

    assert result.exit_code == 0, result.output
    assert "search index was rebuilt" in result.output
    assert _contents(app) == _applied(_contents(source))
    _check_restored_wiki_works(app)


@pytest.mark.postgres
def test_sqlite_to_postgres_and_back_keeps_every_row(
    source: Flask, backup_file: Path, tmp_path: Path, postgres_url: str
) -> None:
    target = make_app(tmp_path, postgres_url)
    try:
        assert target.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
        result = _restore(target, backup_file)
        assert result.exit_code == 0, result.output

        again = tmp_path / "from-postgres.jsonl"
        assert target.test_cli_runner().invoke(args=["backup", str(again)]).exit_code == 0
        lines = again.read_text(encoding="utf-8").splitlines()
        assert json.loads(lines[0])["source"] == "postgresql"
        assert [json.loads(line) for line in lines[1:]] == _applied(_contents(source))
        _check_restored_wiki_works(target)
    finally:
        target.extensions["wiki.engine"].dispose()


def test_restore_refuses_a_database_that_holds_data(source: Flask, backup_file: Path) -> None:
    before = table_rows(source)

    result = _restore(source, backup_file)

    assert result.exit_code == 1
    assert "The database is not empty: departments (" in result.output
    assert "nothing was changed" in result.output
    assert table_rows(source) == before


def _lines(path: Path) -> list[str]:
    with gzip.open(path, "rt") as file:
        return file.read().splitlines(keepends=True)


def _break_a_revision(lines: list[str]) -> list[str]:
    """Point the last revision at a page that does not exist (refused by the foreign key)."""
    start = lines.index(next(line for line in lines if line.startswith('{"table":"revisions"')))
    columns = json.loads(lines[start])["columns"]
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("{"))
    row = json.loads(lines[end - 1])
    row[columns.index("page_id")] = 999_999
    return [*lines[: end - 1], json.dumps(row) + "\n", *lines[end:]]


def _swap_a_file(lines: list[str]) -> list[str]:
    """Replace the bytes of a stored upload by others (its key no longer names them)."""
    at = next(i for i, line in enumerate(lines) if line.startswith('{"file"'))
    item = json.loads(lines[at]) | {"data": "b3RoZXIgYnl0ZXM="}
    return [*lines[:at], json.dumps(item) + "\n", *lines[at + 1 :]]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda lines: lines[:-1], "the end marker is missing, so the file is truncated"),
        (lambda lines: [*lines[:-3], lines[-3][:20]], "is not JSON"),
        (lambda lines: [*lines[:40], "{oops\n", *lines[40:]], "line 41 is not JSON"),
        (lambda lines: [*lines[:-1], '{"end":{"users":1}}\n'], "the end marker counts"),
        (_break_a_revision, "the database refused rows of revisions"),
        (_swap_a_file, "does not have that SHA-256"),
        (lambda lines: ["name,email\n", *lines], "line 1 is not JSON"),
        (
            lambda lines: [json.dumps({"format": "peerwiki-backup", "version": 9}) + "\n"],
            "format version 9 is not 1 or 2",
        ),  # fmt: skip
        (
            lambda lines: [lines[0].replace('"schema":"', '"schema":"0001-'), *lines[1:]],
            "Restore into an empty database at the backup's revision",
        ),  # fmt: skip
    ],
    ids=[
        "truncated",
        "cut-mid-line",
        "garbage-line",
        "wrong-counts",
        "broken-foreign-key",
        "swapped-file",
        "not-a-backup",
        "future-version",
        "other-schema",
    ],  # fmt: skip
)
def test_a_damaged_backup_is_refused_and_changes_nothing(
    backup_file: Path, app: Flask, tmp_path: Path, damage: Any, message: str
) -> None:
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text("".join(damage(_lines(backup_file))), encoding="utf-8")
    before = table_rows(app)

    result = _restore(app, damaged)

    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert table_rows(app) == before  # the migration's rubric is still there, nothing else


def test_a_damaged_gzip_file_is_refused(backup_file: Path, app: Flask, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.jsonl.gz"
    damaged.write_bytes(backup_file.read_bytes()[:-200])
    before = table_rows(app)

    result = _restore(app, damaged)

    assert result.exit_code == 1
    assert "the file cannot be read after line" in result.output
    assert table_rows(app) == before


def test_a_backup_that_cannot_be_written_says_why(source: Flask, tmp_path: Path) -> None:
    target = tmp_path / "no-such-directory" / "wiki.jsonl"

    result = source.test_cli_runner().invoke(args=["backup", str(target)])

    assert result.exit_code == 1
    assert f"Cannot write {target}: No such file or directory." in result.output
    assert not target.parent.exists()
