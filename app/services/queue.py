"""The durable job queue: work scheduled for ``flask --app app worker``, claimed safely by
several workers at once, retried with exponential backoff, and kept visible once it gives up.

A job says *that* work is due (apply the search outbox, send pending emails, check knowledge
gaps, rebuild the index); the tables it drains stay the record of *what* is due. Handlers are
therefore idempotent: a job run twice, or run after a crash halfway, does no harm.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import QueuedJob, utcnow

QUEUED, RUNNING, FAILED = "queued", "running", "failed"
#: Attempts a job gets before it is marked failed.
MAX_ATTEMPTS = 5
#: Delay before the first retry; each further retry waits twice as long, up to ``BACKOFF_CAP``.
BACKOFF_BASE = timedelta(seconds=10)
BACKOFF_CAP = timedelta(hours=1)
#: A running job not finished this long after its claim is taken for lost with its worker (a
#: crash, a killed container) and may be claimed again; longer than the longest rebuild.
LEASE = timedelta(hours=1)
#: Errors are kept to this many characters.
_ERROR_LENGTH = 2000


@dataclass(frozen=True)
class QueueStatus:
    """How the queue is doing, for health checks and metrics."""

    #: Jobs queued or running.
    depth: int
    #: How long the longest-waiting due job has waited, in seconds (0 when none is waiting).
    oldest_age_seconds: float
    #: Jobs that gave up after their last attempt.
    failed: int


def backoff(
    attempts: int, *, base: timedelta = BACKOFF_BASE, cap: timedelta = BACKOFF_CAP
) -> timedelta:
    """How long to wait before retrying a job that has failed ``attempts`` times: ``base``,
    then twice as long after each further failure, never more than ``cap``."""
    return min(cap, base * (1 << max(0, attempts - 1)))


def enqueue(
    session: Session,
    kind: str,
    *,
    payload: dict[str, Any] | None = None,
    unique: bool = True,
    run_after: datetime | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    now: datetime | None = None,
) -> None:
    """Queue a job of ``kind`` (the caller commits).

    With ``unique`` a job of that kind already waiting takes this one's place: a burst of saves
    queues one index run, not one each.
    """
    now = now or utcnow()
    values = {
        "kind": kind,
        "payload": payload or {},
        "state": QUEUED,
        "unique_key": kind if unique else None,
        "run_after": run_after or now,
        "attempts": 0,
        "max_attempts": max_attempts,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(QueuedJob).values(values)
    if unique:
        statement = statement.on_conflict_do_nothing(
            index_elements=[QueuedJob.unique_key], index_where=QueuedJob.state == QUEUED
        )
    session.execute(statement)


def claim(session: Session, worker: str, *, now: datetime | None = None) -> QueuedJob | None:
    """Take the next due job for ``worker`` and commit the claim; None when nothing is due.

    The claim is a conditional UPDATE on the state the candidate was read in, so of two
    workers that pick the same job exactly one gets it. On PostgreSQL the candidate is also
    read ``FOR UPDATE SKIP LOCKED``: workers pass over each other's candidates instead of
    queueing behind them. A job whose worker vanished (``LEASE``) is due again.
    """
    now = now or utcnow()
    due = or_(
        and_(QueuedJob.state == QUEUED, QueuedJob.run_after <= now),
        and_(QueuedJob.state == RUNNING, QueuedJob.locked_at < now - LEASE),
    )
    candidates = (
        select(QueuedJob.id, QueuedJob.state, QueuedJob.locked_at)
        .where(due)
        .order_by(QueuedJob.run_after, QueuedJob.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    for _ in range(5):  # another worker may win a candidate; the next one is tried
        candidate = session.execute(candidates).first()
        if candidate is None:
            session.commit()
            return None
        unchanged = (
            QueuedJob.locked_at.is_(None)
            if candidate.locked_at is None
            else QueuedJob.locked_at == candidate.locked_at
        )
        won = session.execute(
            update(QueuedJob)
            .where(QueuedJob.id == candidate.id, QueuedJob.state == candidate.state, unchanged)
            .values(state=RUNNING, locked_by=worker, locked_at=now, attempts=QueuedJob.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        assert isinstance(won, CursorResult)
        if won.rowcount == 1:
            return session.get(QueuedJob, candidate.id, populate_existing=True)
    return None


def complete(session: Session, job: QueuedJob) -> None:
    """Record that ``job`` succeeded: it leaves the queue."""
    session.execute(
        delete(QueuedJob)
        .where(QueuedJob.id == job.id, QueuedJob.locked_by == job.locked_by)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def fail(session: Session, job: QueuedJob, error: str, *, now: datetime | None = None) -> None:
    """Record that ``job``'s attempt failed: retry it after ``backoff``, or mark it failed once
    it has had ``max_attempts``."""
    now = now or utcnow()
    if job.attempts >= job.max_attempts:
        _put_back(session, job, state=FAILED, finished_at=now, last_error=error[:_ERROR_LENGTH])
    else:
        _put_back(
            session, job, state=QUEUED, run_after=now + backoff(job.attempts),
            last_error=error[:_ERROR_LENGTH],
        )  # fmt: skip


def release(session: Session, job: QueuedJob, *, now: datetime | None = None) -> None:
    """Give ``job`` back unfinished (its worker is stopping): due at once, attempt not counted."""
    _put_back(session, job, state=QUEUED, run_after=now or utcnow(), attempts=job.attempts - 1)


def _put_back(session: Session, job: QueuedJob, **values: Any) -> None:
    """Update ``job`` (still held by its worker) and unlock it; a job put back in the queue
    absorbs a duplicate queued meanwhile (it does that work too)."""
    for attempt in range(2):  # a duplicate may be queued between the delete and the update
        if values["state"] == QUEUED and job.unique_key is not None:
            session.execute(
                delete(QueuedJob)
                .where(QueuedJob.unique_key == job.unique_key, QueuedJob.state == QUEUED)
                .execution_options(synchronize_session=False)
            )
        try:
            session.execute(
                update(QueuedJob)
                .where(QueuedJob.id == job.id, QueuedJob.locked_by == job.locked_by)
                .values(locked_by=None, locked_at=None, **values)
                .execution_options(synchronize_session=False)
            )
            session.commit()
            session.expire(job)
            return
        except IntegrityError:
            session.rollback()
            if attempt:
                raise


def status(session: Session, *, now: datetime | None = None) -> QueueStatus:
    """Return the queue's depth, the wait of its oldest due job, and how many jobs failed."""
    now = now or utcnow()
    counts: dict[str, int] = {
        state: count
        for state, count in session.execute(
            select(QueuedJob.state, func.count()).group_by(QueuedJob.state)
        )
    }
    oldest = session.scalar(
        select(func.min(QueuedJob.run_after)).where(
            QueuedJob.state == QUEUED, QueuedJob.run_after <= now
        )
    )
    session.commit()  # a health check holds no transaction open
    return QueueStatus(
        depth=counts.get(QUEUED, 0) + counts.get(RUNNING, 0),
        oldest_age_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        failed=counts.get(FAILED, 0),
    )


def failed(session: Session) -> list[QueuedJob]:
    """Return the jobs that gave up, newest first."""
    return list(
        session.scalars(
            select(QueuedJob)
            .where(QueuedJob.state == FAILED)
            .order_by(QueuedJob.id.desc())
            .execution_options(populate_existing=True)
        )
    )


def retry_failed(session: Session, *, now: datetime | None = None) -> int:
    """Queue every failed job again with fresh attempts; return how many."""
    now = now or utcnow()
    retried = 0
    for job in failed(session):
        if job.unique_key is not None:  # a queued duplicate does the same work already
            waiting = select(QueuedJob.id).where(
                QueuedJob.unique_key == job.unique_key, QueuedJob.state == QUEUED
            )
            if session.scalar(waiting) is not None:
                session.delete(job)
                retried += 1
                continue
        job.state, job.attempts, job.run_after, job.finished_at = QUEUED, 0, now, None
        session.flush()
        retried += 1
    session.commit()
    return retried
