"""Shared column types and helpers: aware UTC datetimes, password hashing defaults."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from functools import cache

from sqlalchemy import (
    DateTime,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from werkzeug.security import check_password_hash, generate_password_hash

#: How passwords are hashed unless the caller says otherwise: werkzeug's default, slow on purpose
#: so that stolen hashes are hard to guess.
DEFAULT_PASSWORD_METHOD = "scrypt"


def check_no_password(password: str, method: str = DEFAULT_PASSWORD_METHOD) -> None:
    """Take as long as checking ``password`` against a hash made with ``method``: a sign-in as
    an unknown user then costs as much as one with a wrong password, so timing does not tell
    which usernames exist."""
    check_password_hash(_unguessable_hash(method), password)


@cache
def _unguessable_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(32), method=method)


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every engine (SQLite stores them without an offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value
