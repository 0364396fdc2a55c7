"""Declarative base and engine construction (the factory and ``deps`` wire them up)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import CursorResult, Engine, MetaData, create_engine, event, inspect, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Key of ``Table.info`` marking a table that a migration fills with default rows (the rubric):
#: it does not make a database count as holding data, and a restore replaces its rows.
SEEDED_BY_MIGRATION = "seeded_by_migration"


class Base(DeclarativeBase):
    """Declarative base of every model; constraint names are stable for Alembic."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout."""
    parsed = make_url(url)
    options: dict[str, Any] = {"future": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        options["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        options.update(pool_pre_ping=True, pool_size=5, max_overflow=10)
    engine = create_engine(url, **options)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Enforce foreign keys and let readers and one writer work at once."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def compare_and_set(
    session: Session,
    pointer: InstrumentedAttribute[int | None],
    row_id: int,
    *,
    expected: int | None,
    new: int,
) -> bool:
    """Point ``pointer`` of row ``row_id`` at ``new`` only if it still holds ``expected``.

    One UPDATE guarded by the value the caller read, so of two simultaneous moves of one pointer
    exactly one wins; tells whether this one did.
    """
    model = pointer.class_
    (key,) = inspect(model).primary_key
    unchanged = pointer.is_(None) if expected is None else pointer == expected
    result = session.execute(
        update(model)
        .where(key == row_id, unchanged)
        .values({pointer.key: new})
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1
