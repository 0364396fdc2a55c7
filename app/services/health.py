"""What ``/healthz`` reports: whether the database, the search index and the work queue serve.

Each part is checked on its own, so one that is down does not hide the state of the others, and
a report names only what failed (an exception's class), never its message: messages can carry
host names, paths or queries, and ``/healthz`` is open to anyone who reaches the server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.search import SearchBackend, SearchUnavailable
from app.services import queue
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
    session: Session, backend: SearchBackend, repair: Repair, *, max_queue_age: float
) -> Report:
    """Check each part; ``max_queue_age`` seconds (0: no limit) is how long the oldest queued
    item may wait before the queue counts as down (nothing is working it off)."""
    return Report(
        database=_database(session),
        search=_search(backend, repair),
        queue=_queue(session, max_queue_age),
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


def _queue(session: Session, max_age: float) -> Part:
    try:
        status = queue.status(session)
    except SQLAlchemyError as exc:
        session.rollback()
        return Part(DOWN, {"error": type(exc).__name__})
    detail = {
        "depth": status.depth,
        "oldest_age_seconds": round(status.oldest_age_seconds, 3),
        "failed": status.failed,
    }
    stalled = 0 < max_age < status.oldest_age_seconds
    return Part(DOWN if stalled else OK, detail)
