"""Backups: every row of every table in one file, and back into an empty database.

The file is JSON Lines (gzip-compressed when its name ends in ``.gz``), one value per line::

    {"format": "peerwiki-backup", "version": 1, "schema": "0005", "created_at": "…", "source": "sqlite"}
    {"table": "departments", "columns": ["id", "name", …]}
    [1, "Engineering", …]                       one array per row, in the order of "columns"
    …
    {"file": "<sha256>", "data": "<base64>"}     each stored upload (version 2), after the tables
    …
    {"end": {"departments": 3, "users": 4, …}, "files": 2}  rows per table, uploads; a file
                                                without it is truncated

Tables come in dependency order from ``Base.metadata.sorted_tables``, so a table added to the
models is backed up and restored with no change here. Datetimes are ISO 8601 strings in UTC and
binary values base64; everything else is plain JSON. Both directions stream: a large wiki is
never held in memory.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Final, Literal

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Connection, Integer, Table, and_, bindparam, delete, func, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable
from sqlalchemy.types import TypeDecorator, TypeEngine

from app import models  # noqa: F401 - every table on Base.metadata
from app.db import SEEDED_BY_MIGRATION, Base
from app.exceptions import Conflict, ValidationError
from app.models import Attachment, utcnow
from app.search import SearchBackend
from app.services import indexing
from app.storage import BlobStore, key_of
from app.storage import read as read_blob

FORMAT: Final = "peerwiki-backup"
#: 2 added the uploaded files; version 1 files (without them) still restore.
VERSION: Final = 2
READABLE_VERSIONS: Final = (1, 2)
#: Rows read or written per database round trip.
BATCH: Final = 500
_GZIP_MAGIC: Final = b"\x1f\x8b"


def write_file(session: Session, path: Path, *, files: BlobStore) -> dict[str, int]:
    """Back up the database and the uploaded ``files`` to ``path`` (readable by its owner
    only); return rows per table.

    The rows go to a ``.partial`` file renamed into place at the end, so an interrupted backup
    never leaves a file that looks finished.
    """
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with (
            open(descriptor, "wb") as raw,
            _text(raw, mode="w", compress=path.suffix == ".gz") as out,
        ):
            counts = write(session, out, files=files)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return counts


def write(session: Session, out: IO[str], *, files: BlobStore | None) -> dict[str, int]:
    """Write every row of every table to ``out``, all read from one snapshot of the database,
    then each uploaded file those rows name, from ``files`` (None: rows only, for comparing)."""
    connection = _snapshot(session)
    try:
        _write_line(out, {
            "format": FORMAT, "version": VERSION, "schema": _schema_revision(connection),
            "created_at": utcnow().isoformat(), "source": connection.dialect.name,
        })  # fmt: skip
        counts: dict[str, int] = {}
        for table in Base.metadata.sorted_tables:
            _write_line(out, {"table": table.name, "columns": [column.name for column in table.c]})
            rows = connection.execution_options(yield_per=BATCH).execute(
                select(table).order_by(*table.primary_key.columns)
            )
            counts[table.name] = 0
            for row in rows:
                _write_line(out, list(row))
                counts[table.name] += 1
        stored = _write_files(connection, out, files) if files is not None else 0
        _write_line(out, {"end": counts, "files": stored})
    finally:
        session.rollback()  # ends the snapshot
    return counts


def _write_files(connection: Connection, out: IO[str], files: BlobStore) -> int:
    """Write each stored upload the attachments name, once; return how many."""
    keys: set[str] = set()
    for key, thumbnail in connection.execute(
        select(Attachment.sha256, Attachment.thumbnail_sha256)
    ):
        keys.update(k for k in (key, thumbnail) if k)
    for key in sorted(keys):
        data = base64.b64encode(read_blob(files, key)).decode("ascii")
        _write_line(out, {"file": key, "data": data})
    return len(keys)


def restore_file(
    session: Session,
    backend: SearchBackend,
    path: Path,
    progress: Callable[[int], Any] | None = None,
    *,
    files: BlobStore,
) -> dict[str, int]:
    """Restore the backup at ``path`` (see ``restore``)."""
    with path.open("rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        with _text(raw, mode="r", compress=compressed) as lines:
            return restore(session, backend, lines, progress, files=files)


def restore(
    session: Session,
    backend: SearchBackend,
    lines: Iterable[str],
    progress: Callable[[int], Any] | None = None,
    *,
    files: BlobStore,
) -> dict[str, int]:
    """Load a backup into an empty, migrated database in one transaction (its uploaded files
    into ``files``), then rebuild the search index from it; return rows per table.

    :raises Conflict: the database already holds data, or is at another schema revision.
    :raises ValidationError: the file is not a complete Peerwiki backup (nothing is written).
    """
    try:
        counts = _load(session.connection(), _Lines(lines), files)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    indexing.rebuild(session, backend, progress)
    return counts


class _Lines:
    """The parsed lines of a backup, numbered for error messages."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self.number = 0

    def __iter__(self) -> Iterator[Any]:
        while True:
            try:
                line = next(self._lines, None)
            except (OSError, EOFError, UnicodeDecodeError) as exc:  # gzip and UTF-8 decoding
                raise self.error(
                    f"the file cannot be read after line {self.number} ({exc})"
                ) from exc
            if line is None:
                return
            self.number += 1
            try:
                yield json.loads(line)
            except ValueError as exc:
                raise self.error(f"line {self.number} is not JSON ({exc})") from exc

    def error(self, problem: str) -> ValidationError:
        """An error saying what is wrong, at the current line unless ``problem`` says where."""
        where = "" if problem.startswith(("line ", "the file")) else f"line {self.number}: "
        return ValidationError(
            f"Not a complete Peerwiki backup: {where}{problem}. Nothing was restored."
        )


def _load(connection: Connection, lines: _Lines, files: BlobStore) -> dict[str, int]:
    items = iter(lines)
    header = next(items, None)
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise lines.error("it does not start with a Peerwiki backup header")
    if header.get("version") not in READABLE_VERSIONS:
        readable = " or ".join(str(version) for version in READABLE_VERSIONS)
        raise lines.error(f"format version {header.get('version')!r} is not {readable}")
    _require_schema(connection, header.get("schema"))
    _require_empty(connection)
    for table in Base.metadata.sorted_tables:
        if table.info.get(SEEDED_BY_MIGRATION):
            connection.execute(delete(table))
    loader: _TableLoader | None = None
    loaded: dict[str, int] = {}
    deferred: list[_TableLoader] = []
    stored = 0
    for item in items:
        if isinstance(item, list) and loader is not None:
            loader.add(item, lines)
            continue
        if loader is not None:
            loaded[loader.table.name] = loader.finish(lines)
            deferred.append(loader)
            loader = None
        if isinstance(item, dict) and "table" in item:
            loader = _TableLoader.start(connection, item, loaded, lines)
        elif isinstance(item, dict) and "file" in item:
            _restore_blob(item, files, lines)
            stored += 1
        elif isinstance(item, dict) and "end" in item:
            _require_counts(item["end"], loaded, lines)
            if item.get("files", 0) != stored:
                raise lines.error(
                    f"the end marker counts {item.get('files')!r} files, the file holds {stored}"
                )
            break
        else:
            raise lines.error("a row came before any table, or the line is not a row")
    else:
        raise lines.error("the end marker is missing, so the file is truncated")
    for loader in deferred:
        loader.apply_deferred(lines)
    if connection.dialect.name == "postgresql":
        reset_sequences(connection)
    return loaded


def _restore_blob(item: dict[str, Any], files: BlobStore, lines: _Lines) -> None:
    """Store one uploaded file of a backup, checking that it is the file its key names."""
    try:
        data = base64.b64decode(str(item.get("data", "")), validate=True)
    except ValueError as exc:
        raise lines.error("a stored file is not base64") from exc
    if key_of(data) != item["file"]:
        raise lines.error(f"the stored file {item['file']!r} does not have that SHA-256")
    files.put(data)


class _TableLoader:
    """Inserts one table's rows in batches. Foreign keys to rows not loaded yet (to a later
    table, or within the table) are written as NULL and set once every table is in."""

    def __init__(self, connection: Connection, table: Table, columns: list[Column[Any]],
                 loaded: dict[str, int]) -> None:  # fmt: skip
        self.connection, self.table, self.columns = connection, table, columns
        self.decoders = [_decoder(column) for column in columns]
        self.deferred = {
            column.name for column in columns
            if any(key.column.table.name not in loaded for key in column.foreign_keys)
        }  # fmt: skip
        self.primary_key = [column.name for column in table.primary_key.columns]
        self.batch: list[dict[str, Any]] = []
        self.pointers: list[dict[str, Any]] = []
        self.count = 0

    @classmethod
    def start(cls, connection: Connection, item: dict[str, Any], loaded: dict[str, int],
              lines: _Lines) -> _TableLoader:  # fmt: skip
        name = item["table"]
        table = Base.metadata.tables.get(name) if isinstance(name, str) else None
        if table is None or name in loaded:
            raise lines.error(f"table {name!r} is unknown or listed twice")
        names = item.get("columns")
        if not isinstance(names, list) or sorted(map(str, names)) != sorted(table.c.keys()):
            raise lines.error(
                f"the columns of {name} are {names!r}, this database's are {table.c.keys()!r}"
            )
        return cls(connection, table, [table.c[column] for column in names], loaded)

    def add(self, values: list[Any], lines: _Lines) -> None:
        if len(values) != len(self.columns):
            raise lines.error(
                f"a row of {self.table.name} has {len(values)} values, not {len(self.columns)}"
            )
        try:
            row = {
                column.name: decode(value)
                for column, decode, value in zip(self.columns, self.decoders, values, strict=True)
            }
        except (TypeError, ValueError) as exc:
            raise lines.error(f"a value of {self.table.name} is malformed ({exc})") from exc
        later = {name: row[name] for name in self.deferred if row[name] is not None}
        if later:
            self.pointers.append({**{f"_key_{name}": row[name] for name in self.primary_key},
                                  **{f"_new_{name}": row[name] for name in self.deferred}})  # fmt: skip
            row.update(dict.fromkeys(later))
        self.batch.append(row)
        if len(self.batch) >= BATCH:
            self._flush(lines)

    def finish(self, lines: _Lines) -> int:
        self._flush(lines)
        return self.count

    def apply_deferred(self, lines: _Lines) -> None:
        if not self.pointers:
            return
        statement = (
            sql_update(self.table)
            .where(
                and_(
                    *(self.table.c[name] == bindparam(f"_key_{name}") for name in self.primary_key)
                )
            )
            .values({name: bindparam(f"_new_{name}") for name in self.deferred})
        )
        for start in range(0, len(self.pointers), BATCH):
            self._run(statement, self.pointers[start : start + BATCH], lines)

    def _flush(self, lines: _Lines) -> None:
        if self.batch:
            self._run(self.table.insert(), self.batch, lines)
            self.count += len(self.batch)
            self.batch = []

    def _run(self, statement: Executable, rows: list[dict[str, Any]], lines: _Lines) -> None:
        try:
            self.connection.execute(statement, rows)
        except StatementError as exc:
            raise lines.error(
                f"the database refused rows of {self.table.name} ({exc.orig})"
            ) from exc


def _require_schema(connection: Connection, schema: object) -> None:
    current = MigrationContext.configure(connection).get_current_revision()
    if current is None:
        raise Conflict("The database has no schema yet: run `flask --app app db upgrade` first.")
    if schema != current:
        raise Conflict(
            f"The backup was made at schema revision {schema}, the database is at {current}. "
            f"Restore into an empty database at the backup's revision "
            f"(`flask --app app db upgrade {schema}`), then run `flask --app app db upgrade`."
        )


def _require_empty(connection: Connection) -> None:
    filled = [
        f"{table.name} ({rows} rows)"
        for table in Base.metadata.sorted_tables
        if not table.info.get(SEEDED_BY_MIGRATION)
        and (rows := connection.scalar(select(func.count()).select_from(table)))
    ]
    if filled:
        raise Conflict(
            "The database is not empty: " + ", ".join(filled) + ". Restore only into a new "
            "database that `flask --app app db upgrade` has just created; nothing was changed."
        )


def _require_counts(expected: object, loaded: dict[str, int], lines: _Lines) -> None:
    missing = sorted(set(Base.metadata.tables) - set(loaded))
    if missing:
        raise lines.error(f"the tables {', '.join(missing)} are missing")
    if expected != loaded:
        raise lines.error(f"the end marker counts {expected!r} rows, the file holds {loaded!r}")


def reset_sequences(connection: Connection) -> None:
    """Point each id sequence past the largest restored id, or new rows would collide."""
    for table in Base.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        largest = select(func.max(keys[0])).scalar_subquery()
        name = connection.dialect.identifier_preparer.format_table(table)
        connection.execute(
            select(func.setval(func.pg_get_serial_sequence(name, keys[0].name),
                               func.coalesce(largest, 1), largest.is_not(None)))
        )  # fmt: skip


def _snapshot(session: Session) -> Connection:
    """The session's connection, reading one consistent state of the database throughout."""
    if session.get_bind().dialect.name == "postgresql":
        return session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        # pysqlite opens transactions only before writes; without one each SELECT would see the
        # database as it is at that moment, and a concurrent edit could split the backup.
        connection.exec_driver_sql("BEGIN")
    return connection


def _schema_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _write_line(out: IO[str], value: object) -> None:
    out.write(json.dumps(value, default=_encode, separators=(",", ":")))
    out.write("\n")


def _encode(value: object) -> object:
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot back up a value of type {type(value).__name__}")


_DECODERS: Final[dict[type, Callable[[Any], Any]]] = {
    datetime: datetime.fromisoformat,
    date: date.fromisoformat,
    time: time.fromisoformat,
    bytes: base64.b64decode,
    Decimal: Decimal,
}


def _decoder(column: Column[Any]) -> Callable[[Any], Any]:
    """How to turn the JSON of ``column`` back into the value the column type takes."""
    decode = _DECODERS.get(_python_type(column.type))
    if decode is None:
        return lambda value: value
    return lambda value: None if value is None else decode(value)


def _python_type(column_type: TypeEngine[Any]) -> type:
    try:
        python_type = column_type.python_type
    except NotImplementedError:
        python_type = object
    if python_type is object and isinstance(column_type, TypeDecorator):
        return _python_type(column_type.impl_instance)  # a decorator says nothing: its base does
    return python_type


def _text(raw: IO[bytes], *, mode: Literal["r", "w"], compress: bool) -> IO[str]:
    """UTF-8 text over ``raw``, through gzip when ``compress``."""
    if compress:
        return io.TextIOWrapper(gzip.GzipFile(fileobj=raw, mode=f"{mode}b"), encoding="utf-8")
    return io.TextIOWrapper(raw, encoding="utf-8")
