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

from app.models import Notification, SearchOutbox, utcnow
from app.search import SearchBackend, SearchUnavailable
from app.services import notifications, queue
from app.services.background import Repair

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


def check(
    session: Session,
    backend: SearchBackend,
    repair: Repair,
    *,
    max_queue_age: float,
    sends_email: bool,
) -> Report:
    """Check each part; ``max_queue_age`` seconds (0: no limit) is how long the oldest queued
    job, index update or (when the wiki ``sends_email``) email may wait before its part counts
    as down (nothing is working it off)."""
    return Report(
        database=_database(session),
        search=_search(session, backend, repair, max_queue_age),
        queue=_queue(session, max_queue_age, sends_email=sends_email),
    )


def _database(session: Session) -> Part:
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        session.rollback()
        return Part(DOWN, {"error": type(exc).__name__})
    return Part(OK)


def _search(session: Session, backend: SearchBackend, repair: Repair, max_age: float) -> Part:
    if repair.running:  # searches answer 503 until the rebuild is done
        return Part(DOWN, {"rebuilding": True, "done": repair.done, "total": repair.total})
    try:
        documents = backend.document_count()
    except (SearchUnavailable, OSError) as exc:
        return Part(DOWN, {"rebuilding": False, "error": type(exc).__name__})
    detail: dict[str, Any] = {"rebuilding": False, "documents": documents}
    try:  # the index updates waiting in the database (unknown while it is down)
        waiting, oldest = _waiting(session, SearchOutbox.created_at, SearchOutbox.id.is_not(None))
    except SQLAlchemyError:
        session.rollback()
        return Part(OK, detail | {"updates_waiting": None})
    detail |= {"updates_waiting": waiting, "oldest_update_age_seconds": oldest}
    return Part(DOWN if 0 < max_age < oldest else OK, detail)


def _waiting(session: Session, created: Any, *where: Any) -> tuple[int, float]:
    """How many rows wait (matching ``where``) and the age in seconds of the oldest."""
    count, oldest = session.execute(select(func.count(), func.min(created)).where(*where)).one()
    return int(count or 0), _age(oldest)


def _age(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    return round(max((utcnow() - moment).total_seconds(), 0.0), 3)


def _queue(session: Session, max_age: float, *, sends_email: bool) -> Part:
    try:
        status = queue.status(session)
    except SQLAlchemyError as exc:
        session.rollback()
        return Part(DOWN, {"error": type(exc).__name__})
    emails = (0, 0.0)
    if sends_email:  # without a mail server, pending emails simply lapse
        emails = _waiting(
            session, Notification.created_at, Notification.email_pending.is_(True),
            Notification.created_at >= utcnow() - notifications.EMAIL_MAX_AGE,
        )  # fmt: skip
    detail = {
        "depth": status.depth,
        "oldest_age_seconds": round(status.oldest_age_seconds, 3),
        "failed": status.failed,
        "emails_pending": emails[0],
        "oldest_email_age_seconds": emails[1],
    }
    stalled = 0 < max_age < max(status.oldest_age_seconds, emails[1])
    return Part(DOWN if stalled else OK, detail)
