"""The Alembic migrations build exactly the models' schema, and undo it, on every engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import Engine, MetaData, insert, inspect, select, update

from app.db import Base
from app.models import Department, Page, Revision, Space, User
from app.search import postgres_backend
from app.services import pages
from tests.conftest import make_app


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty database: a fresh SQLite file, or a private PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    app = make_app(tmp_path, url)
    yield app
    app.extensions["wiki.engine"].dispose()


def _migrate(app: Flask, *args: str) -> None:
    """Run ``flask db ARGS``, the command deployments migrate with."""
    runner: FlaskCliRunner = app.test_cli_runner()
    result = runner.invoke(args=["db", *args])
    assert result.exit_code == 0, result.output


def _schema(engine: Engine) -> list[MetaData]:
    """The tables migrations build: the models', and on PostgreSQL its search tables."""
    if engine.dialect.name == "postgresql":
        return [Base.metadata, postgres_backend.METADATA]
    return [Base.metadata]


def _drift(engine: Engine) -> list[Any]:
    """What autogenerate would write to make the database match the models (nothing, ideally)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, _schema(engine)))  # type: ignore[arg-type]


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def _expected_tables(engine: Engine) -> set[str]:
    return {name for metadata in _schema(engine) for name in metadata.tables}


def test_upgrade_from_empty_builds_the_models_schema(empty_app: Flask) -> None:
    engine = empty_app.extensions["wiki.engine"]
    _migrate(empty_app, "upgrade")
    assert _tables(engine) == _expected_tables(engine)
    assert _drift(engine) == []


def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(
    empty_app: Flask,
) -> None:
    engine = empty_app.extensions["wiki.engine"]
    _migrate(empty_app, "upgrade")
    _migrate(empty_app, "downgrade", "base")
    assert _tables(engine) == set()
    _migrate(empty_app, "upgrade")
    assert _drift(engine) == []


def test_upgrade_lists_the_writers_of_the_published_history_already_there(
    empty_app: Flask,
) -> None:
    engine = empty_app.extensions["wiki.engine"]
    _migrate(empty_app, "upgrade", "0009")
    with engine.begin() as connection:

        def add(model: Any, **values: Any) -> int:
            key: int = connection.execute(insert(model.__table__).values(**values)).inserted_primary_key[0]  # fmt: skip
            return key

        team = add(Department, name="Engineering")
        alex, sam = (
            add(User, username=name, name=name, email=f"{name}@example.com",
                password_hash="-", department_id=team)
            for name in ("alex", "sam")
        )  # fmt: skip
        page = add(Page, slug="expenses", title="Expenses", created_by_id=alex)
        history = [(alex, "superseded"), (sam, "superseded"), (alex, "published"), (sam, "draft")]
        for number, (author, status) in enumerate(history, start=1):
            latest = add(Revision, page_id=page, number=number, author_id=author, title="Expenses",
                         body="-", html="-", status=status)  # fmt: skip
            if status == "published":
                connection.execute(
                    update(Page).where(Page.id == page).values(published_revision_id=latest)
                )
    _migrate(empty_app, "upgrade")
    with empty_app.extensions["wiki.sessionmaker"]() as session:
        found = session.get(Page, page)
        assert found is not None
        assert [user.username for user in pages.contributors(session, found)] == ["alex", "sam"]
        version = pages.published_version(session, "expenses")
        assert version is not None and version.generation == 0


def test_upgrade_puts_every_page_in_its_departments_space_and_the_rest_in_general(
    empty_app: Flask,
) -> None:
    engine = empty_app.extensions["wiki.engine"]
    _migrate(empty_app, "upgrade", "0014")
    with engine.begin() as connection:

        def add(model: Any, **values: Any) -> int:
            key: int = connection.execute(insert(model.__table__).values(**values)).inserted_primary_key[0]  # fmt: skip
            return key

        engineering, general = add(Department, name="Engineering"), add(Department, name="General")
        alex = add(User, username="alex", name="Alex", email="alex@example.com",
                   password_hash="-", department_id=engineering)  # fmt: skip
        deploys = add(Page, slug="deploys", title="Deploys", created_by_id=alex,
                      department_id=engineering)  # fmt: skip
        add(Page, slug="lunch", title="Lunch", created_by_id=alex, department_id=general)
        add(Page, slug="orphan", title="Orphan", created_by_id=alex)
        revision = add(Revision, page_id=deploys, number=1, author_id=alex, title="Deploys",
                       body="-", html="-", status="published")  # fmt: skip
        connection.execute(
            update(Page).where(Page.id == deploys).values(published_revision_id=revision)
        )
    _migrate(empty_app, "upgrade")
    with empty_app.extensions["wiki.sessionmaker"]() as session:
        found = {page.slug: page for page in session.scalars(select(Page))}
        assert {slug: (p.space.slug, p.space.kind) for slug, p in found.items()} == {
            "deploys": ("engineering", "department"),
            # The department called General keeps "general"; the homeless pages' space steps aside.
            "lunch": ("general", "department"),
            "orphan": ("general-2", "project"),
        }
        assert found["deploys"].parent_id is None and found["deploys"].position == 0
        # Rebuilding the pages table deleted nothing that refers to it.
        kept = session.get(Revision, revision)
        assert kept is not None and kept.space is not None and kept.space.slug == "engineering"
        assert found["deploys"].published_revision_id == revision
        spaces_by_department = {
            space.department.name: space.slug
            for space in session.scalars(select(Space))
            if space.department is not None
        }
        assert spaces_by_department == {"Engineering": "engineering", "General": "general"}
    _migrate(empty_app, "downgrade", "0014")
    _migrate(empty_app, "upgrade")


def test_upgrade_of_an_empty_database_adds_no_space(empty_app: Flask) -> None:
    _migrate(empty_app, "upgrade")
    with empty_app.extensions["wiki.sessionmaker"]() as session:
        assert session.scalars(select(Space)).all() == []
