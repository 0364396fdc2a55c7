"""Flask CLI commands: schema, users, tokens, content import/export, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import ApiToken, Page, Revision, User
from app.services import users
from tests.conftest import make_app
from tests.factories import make_page

PAGE = """---
title: Submitting Expense Reports
tags: [finance, expenses]
department: Finance
---
# Expenses

Link to [[Requesting Time Off]].
"""

OTHER = """---
title: Requesting Time Off
tags: [people]
department: People
---
Ask your manager. Back to [[Submitting Expense Reports]].
"""


def write_content(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (directory / name).write_text(content, encoding="utf-8")
    return directory


def test_db_upgrade_creates_schema_on_a_new_database(tmp_path: Path) -> None:
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'fresh.db'}")
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.extensions["wiki.sessionmaker"]() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
    again = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert again.exit_code == 0


def test_users_create_with_new_department_and_admin(runner: Any, session: Session) -> None:
    result = runner.invoke(
        args=[
            "users",
            "create",
            "grace",
            "--department",
            "Legal",
            "--password",
            "a-long-password",
            "--admin",
            "--email",
            "grace@example.com",
            "--name",
            "Grace Hopper",
        ]
    )
    assert result.exit_code == 0, result.output
    user = users.get_user(session, "grace")
    assert user.is_admin and user.department.name == "Legal" and user.name == "Grace Hopper"
    assert users.authenticate(session, username="grace", password="a-long-password") is not None


def test_users_create_reports_validation_errors(runner: Any) -> None:
    result = runner.invoke(
        args=[
            "users",
            "create",
            "x!",
            "--department",
            "Legal",
            "--password",
            "pw",
            "--email",
            "bad",
        ]
    )
    assert result.exit_code != 0
    assert "username" in result.output and "email" in result.output


def test_users_create_allows_operator_chosen_short_password_with_warning(
    runner: Any, session: Session
) -> None:
    result = runner.invoke(
        args=["users", "create", "bob", "--department", "Sales", "--password", "pw"]
    )
    assert result.exit_code == 0 and "Warning" in result.stderr
    assert users.authenticate(session, username="bob", password="pw") is not None


def test_tokens_create_prints_token_last_and_stores_only_hash(
    runner: Any, session: Session, author: User, app: Flask
) -> None:
    result = runner.invoke(args=["tokens", "create", "alex"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    stored = session.scalar(select(ApiToken.token_hash))
    assert stored and token not in stored
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.get_json()["username"] == "alex"


def test_tokens_create_unknown_user_fails(runner: Any) -> None:
    result = runner.invoke(args=["tokens", "create", "ghost"])
    assert result.exit_code != 0 and "ghost" in result.output


def test_content_import_is_idempotent_and_updates_changed_files(
    runner: Any, session: Session, tmp_path: Path
) -> None:
    directory = write_content(tmp_path / "pages", {"expenses.md": PAGE, "time-off.md": OTHER})
    first = runner.invoke(args=["content", "import", str(directory)])
    assert first.exit_code == 0, first.output
    assert "2 created" in first.output
    second = runner.invoke(args=["content", "import", str(directory)])
    assert "0 created, 0 updated, 2 unchanged" in second.output
    assert session.scalar(select(func.count()).select_from(Revision)) == 2
    (directory / "time-off.md").write_text(
        OTHER.replace("Ask your manager.", "Ask your manager early.")
    )
    third = runner.invoke(args=["content", "import", str(directory)])
    assert "1 updated" in third.output
    page = session.scalar(select(Page).where(Page.slug == "requesting-time-off"))
    session.refresh(page)
    assert "early" in page.published_revision.body and page.published_revision.number == 2
    assert page.department.name == "People"


def test_content_import_reports_bad_files_and_keeps_going(
    runner: Any, session: Session, tmp_path: Path
) -> None:
    directory = write_content(
        tmp_path / "pages",
        {
            "good.md": PAGE,
            "bad.md": "---\ntitle: [unclosed\n---\nbody",
            "empty.md": "---\ntitle: Empty\n---\n",
        },
    )
    result = runner.invoke(args=["content", "import", str(directory)])
    assert result.exit_code == 1
    assert "1 created" in result.output and "2 failed" in result.output
    assert "empty.md" in result.output and "bad.md" in result.output


def test_export_then_import_into_empty_database_gives_same_pages(
    runner: Any, session: Session, author: User, tmp_path: Path
) -> None:
    make_page(
        session,
        author,
        title="Budget Planning",
        body="# Plan\n\n| q | amount |\n|---|---|\n| Q1 | 10 |\n",
        tags=["budget", "finance"],
    )
    make_page(session, author, title="Another", body="Links to [[Budget Planning]].")
    out = tmp_path / "export"
    result = runner.invoke(args=["content", "export", str(out)])
    assert result.exit_code == 0 and "Exported 2 pages" in result.output
    fresh = make_app(tmp_path / "fresh", f"sqlite:///{tmp_path / 'fresh.db'}")
    fresh_runner = fresh.test_cli_runner()
    assert fresh_runner.invoke(args=["db", "upgrade"]).exit_code == 0
    imported = fresh_runner.invoke(args=["content", "import", str(out)])
    assert "2 created" in imported.output, imported.output

    def snapshot(db: Session) -> list[tuple[Any, ...]]:
        rows = db.scalars(select(Page).order_by(Page.slug))
        return [
            (p.slug, p.title, p.tag_names, p.department.name, p.published_revision.body.strip())
            for p in rows
        ]

    with fresh.extensions["wiki.sessionmaker"]() as other:
        assert snapshot(other) == snapshot(session)
    fresh.extensions["wiki.engine"].dispose()


def test_demo_creates_accounts_and_starter_content(
    app: Flask, session: Session, tmp_path: Path
) -> None:
    write_content(Path(app.config["CONTENT_DIR"]), {"expenses.md": PAGE, "time-off.md": OTHER})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["demo"]).exit_code == 0  # repeatable
    for username in ("alex", "fatima", "hana", "admin"):
        assert users.authenticate(session, username=username, password="peerwiki-demo") is not None
    assert session.scalar(select(func.count()).select_from(Page)) == 2


def test_a_file_that_fails_to_import_leaves_nothing_behind(
    runner: Any, session: Session, tmp_path: Path
) -> None:
    directory = tmp_path / "pages"
    directory.mkdir()
    (directory / "bad.md").write_text(
        f"---\ntitle: {'Very long title ' * 20}\ndepartment: Legal\n---\nBody\n", encoding="utf-8"
    )
    (directory / "good.md").write_text("---\ntitle: Good page\n---\nBody\n", encoding="utf-8")
    result = runner.invoke(args=["content", "import", str(directory)])
    assert "bad.md" in result.output
    assert session.scalar(select(Page.title)) == "Good page"
    assert users.find_department(session, "Legal") is None
