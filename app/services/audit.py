"""The audit log: an append-only record of sign-ins, account changes and moderation.

Use cases call :func:`record` before their own commit, so an entry exists exactly when what it
describes happened.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEntry, User
from app.pagination import Paginated, paginate
from app.review import policy

#: Longest ``target`` kept; longer ones (a made-up username at sign-in) are cut.
MAX_TARGET_CHARS = 200


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to list: an action, an actor's username, and days (inclusive, UTC)."""

    action: str | None = None
    actor: str | None = None
    since: date | None = None
    until: date | None = None


def record(
    session: Session,
    action: str,
    *,
    actor: User | None,
    target: str,
    detail: Mapping[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Add an entry (``target`` as ``kind:key``) to the session; the caller commits."""
    entry = AuditEntry(
        action=action,
        actor=actor,
        target=target[:MAX_TARGET_CHARS],
        detail=dict(detail) if detail is not None else None,
        ip=ip,
    )
    session.add(entry)
    return entry


def entries(
    session: Session, *, reader: User, wanted: AuditFilter, page: int = 1, per_page: int = 50
) -> Paginated[AuditEntry]:
    """Return the entries ``wanted`` names, newest first (administrators only)."""
    policy.require_read_audit(reader)
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if wanted.action:
        query = query.where(AuditEntry.action == wanted.action)
    if wanted.actor:
        query = query.join(User, AuditEntry.actor_id == User.id).where(
            User.username == wanted.actor.strip().lower()
        )
    if wanted.since is not None:
        query = query.where(AuditEntry.created_at >= _midnight(wanted.since))
    if wanted.until is not None and wanted.until < date.max:
        query = query.where(AuditEntry.created_at < _midnight(wanted.until + timedelta(days=1)))
    return paginate(session, query, page=page, per_page=per_page)


def actions(session: Session) -> list[str]:
    """Return every action the log holds, by name (to filter on)."""
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
