"""What ``/healthz`` reports: whether the database, the search index and the work queue serve.

Each part is checked on its own, so one that is down does not hide the state of the others, and
a report names only what failed (an exception's class), never its message: messages can carry
host names, paths or queries, and ``/healthz`` is open to anyone who reaches the server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.models import Notification, utcnow
from app.search import SearchBackend, SearchUnavailable
from app.services import indexing
from app.services.background import Repair
from app.services.notifications import EMAIL_MAX_AGE

OK, DOWN = "ok", "down"


@dataclass(frozen=True)
class Part:
    """The state of one part: ``ok`` or ``down``, with what an operator wants to know."""

    status: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, **self.detail}


@dataclass(frozen=True)
class Report:
    """The state of every part; the whole is ``ok`` only when every part is."""

    database: Part
    search: Part
    queue: Part

    @property
    def ok(self) -> bool:
        return all(part.status == OK for part in (self.database, self.search, self.queue))

    def to_json(self) -> dict[str, Any]:
        return {
            "status": OK if self.ok else DOWN,
            "database": self.database.to_json(),
            "search": self.search.to_json(),
            "queue": self.queue.to_json(),
        }


@dataclass(frozen=True)
class QueueStatus:
    """How much work waits, and for how long the oldest item has (None: nothing waits)."""

    depth: int
    oldest_age: float | None


def check(
    session: Session, backend: SearchBackend, repair: Repair, *, mail: bool, max_queue_age: float
) -> Report:
    """Check each part; ``max_queue_age`` seconds (0: no limit) is how long the oldest queued
    item may wait before the queue counts as down (nothing is working it off)."""
    return Report(
        database=_database(session),
        search=_search(backend, repair),
        queue=_queue(session, backend, mail, max_queue_age),
    )


def _database(session: Session) -> Part:
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        session.rollback()
        return Part(DOWN, {"error": type(exc).__name__})
    return Part(OK)


def _search(backend: SearchBackend, repair: Repair) -> Part:
    if repair.running:  # searches answer 503 until the rebuild is done
        return Part(DOWN, {"rebuilding": True, "done": repair.done, "total": repair.total})
    try:
        documents = backend.document_count()
    except (SearchUnavailable, OSError) as exc:
        return Part(DOWN, {"rebuilding": False, "error": type(exc).__name__})
    return Part(OK, {"rebuilding": False, "documents": documents})


def _queue(session: Session, backend: SearchBackend, mail: bool, max_age: float) -> Part:
    try:
        status = queue_status(session, backend, mail=mail)
    except SQLAlchemyError as exc:
        session.rollback()
        return Part(DOWN, {"error": type(exc).__name__})
    detail = {"depth": status.depth, "oldest_age_seconds": status.oldest_age}
    stalled = max_age > 0 and status.oldest_age is not None and status.oldest_age > max_age
    return Part(DOWN if stalled else OK, detail)


def queue_status(session: Session, backend: SearchBackend, *, mail: bool) -> QueueStatus:
    """The work that waits: the search log rows this index has yet to apply and, when email is
    on (``mail``), the notifications waiting to be emailed."""
    depth, oldest = indexing.backlog(session, backend)
    if mail:
        emails, first_email = session.execute(
            select(func.count(Notification.id), func.min(Notification.created_at)).where(
                Notification.email_pending.is_(True),
                Notification.created_at >= utcnow() - EMAIL_MAX_AGE,
            )
        ).one()
        depth += emails
        oldest = min((when for when in (oldest, first_email) if when is not None), default=None)
    return QueueStatus(depth, _age(oldest))


def _age(since: datetime | None) -> float | None:
    return None if since is None else round(max(0.0, (utcnow() - since).total_seconds()), 3)
