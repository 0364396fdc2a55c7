"""The job queue on a real database: one queued job per kind, safe claims, retries with backoff,
failures kept in view, and the status a health check reports. Time is passed in, never waited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import QueuedJob, utcnow
from app.services import queue
from tests.conftest import make_app

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=utcnow().tzinfo)


def _jobs(session: Session) -> list[tuple[str, str, int]]:
    session.expire_all()
    rows = session.scalars(select(QueuedJob).order_by(QueuedJob.id))
    return [(job.kind, job.state, job.attempts) for job in rows]


def test_a_burst_of_requests_queues_one_job_per_kind(session: Session) -> None:
    for _ in range(3):
        queue.enqueue(session, "index", now=T0)
        queue.enqueue(session, "mail", now=T0)
    session.commit()
    assert _jobs(session) == [("index", "queued", 0), ("mail", "queued", 0)]


def test_new_work_queues_behind_a_running_job_of_its_kind(session: Session) -> None:
    queue.enqueue(session, "index", now=T0)
    session.commit()
    running = queue.claim(session, "w1", now=T0)
    assert running is not None and running.kind == "index"
    queue.enqueue(session, "index", now=T0)  # a save committed after the run read the outbox
    session.commit()
    assert _jobs(session) == [("index", "running", 1), ("index", "queued", 0)]


def test_a_job_is_claimed_once_and_leaves_the_queue_when_done(session: Session) -> None:
    queue.enqueue(session, "gaps", now=T0)
    session.commit()
    job = queue.claim(session, "w1", now=T0)
    assert job is not None and job.locked_by == "w1" and job.attempts == 1
    assert queue.claim(session, "w2", now=T0) is None
    queue.complete(session, job)
    assert _jobs(session) == []


def test_jobs_are_not_claimed_before_they_are_due(session: Session) -> None:
    queue.enqueue(session, "rebuild", run_after=T0 + timedelta(minutes=5), now=T0)
    session.commit()
    assert queue.claim(session, "w1", now=T0) is None
    assert queue.claim(session, "w1", now=T0 + timedelta(minutes=5)) is not None


def test_a_failing_job_is_retried_with_backoff_and_then_marked_failed(session: Session) -> None:
    queue.enqueue(session, "mail", max_attempts=3, now=T0)
    session.commit()
    now = T0
    for attempt, wait in ((1, 10), (2, 20)):
        job = queue.claim(session, "w1", now=now)
        assert job is not None and job.attempts == attempt
        queue.fail(session, job, "SMTP refused", now=now)
        assert queue.claim(session, "w1", now=now + timedelta(seconds=wait - 1)) is None
        now += timedelta(seconds=wait)
    job = queue.claim(session, "w1", now=now)
    assert job is not None
    queue.fail(session, job, "SMTP refused again", now=now)
    assert queue.claim(session, "w1", now=now + timedelta(days=1)) is None
    [failed] = queue.failed(session)
    assert (failed.state, failed.attempts, failed.last_error) == ("failed", 3, "SMTP refused again")
    assert queue.status(session, now=now).failed == 1


def test_a_retry_absorbs_a_duplicate_queued_meanwhile(session: Session) -> None:
    queue.enqueue(session, "index", now=T0)
    session.commit()
    job = queue.claim(session, "w1", now=T0)
    assert job is not None
    queue.enqueue(session, "index", now=T0)
    session.commit()
    queue.fail(session, job, "index locked", now=T0)
    assert _jobs(session) == [("index", "queued", 1)]


def test_failed_jobs_can_be_queued_again(session: Session) -> None:
    queue.enqueue(session, "rebuild", max_attempts=1, now=T0)
    session.commit()
    job = queue.claim(session, "w1", now=T0)
    assert job is not None
    queue.fail(session, job, "disk full", now=T0)
    assert queue.retry_failed(session, now=T0) == 1
    assert _jobs(session) == [("rebuild", "queued", 0)]


def test_a_released_job_is_due_again_without_losing_an_attempt(session: Session) -> None:
    queue.enqueue(session, "rebuild", now=T0)
    session.commit()
    job = queue.claim(session, "w1", now=T0)
    assert job is not None
    queue.release(session, job, now=T0)
    again = queue.claim(session, "w2", now=T0)
    assert again is not None and again.attempts == 1 and again.locked_by == "w2"


def test_the_job_of_a_vanished_worker_is_claimed_again_after_its_lease(session: Session) -> None:
    queue.enqueue(session, "index", now=T0)
    session.commit()
    assert queue.claim(session, "crashed", now=T0) is not None
    assert queue.claim(session, "w2", now=T0 + queue.LEASE - timedelta(seconds=1)) is None
    taken = queue.claim(session, "w2", now=T0 + queue.LEASE + timedelta(seconds=1))
    assert taken is not None and taken.locked_by == "w2" and taken.attempts == 2


def test_status_reports_depth_the_oldest_wait_and_failures(session: Session) -> None:
    assert queue.status(session, now=T0) == queue.QueueStatus(0, 0.0, 0)
    queue.enqueue(session, "index", now=T0)
    queue.enqueue(session, "mail", now=T0 + timedelta(seconds=30))
    queue.enqueue(session, "gaps", run_after=T0 + timedelta(hours=1), now=T0)  # not due yet
    session.commit()
    assert queue.status(session, now=T0 + timedelta(seconds=90)) == queue.QueueStatus(3, 90.0, 0)


@pytest.fixture
def two_postgres_sessions(tmp_path: Path, postgres_url: str) -> Iterator[tuple[Session, Session]]:
    app = make_app(tmp_path, postgres_url)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    maker = app.extensions["wiki.sessionmaker"]
    first, second = maker(), maker()
    yield first, second
    first.close()
    second.close()
    app.extensions["wiki.engine"].dispose()


@pytest.mark.postgres
def test_two_workers_on_postgresql_never_take_the_same_job(
    two_postgres_sessions: tuple[Session, Session],
) -> None:
    first, second = two_postgres_sessions
    for kind in ("index", "mail"):
        queue.enqueue(first, kind, now=T0)
    first.commit()
    # The first worker holds its candidate's row lock (mid-claim); the second skips that row.
    locked = first.execute(
        select(QueuedJob.id).where(QueuedJob.kind == "index").with_for_update(skip_locked=True)
    ).scalar_one()
    taken = queue.claim(second, "w2", now=T0)
    assert taken is not None and taken.kind == "mail" and taken.id != locked
    first.commit()
    mine = queue.claim(first, "w1", now=T0)
    assert mine is not None and mine.kind == "index"
    assert queue.claim(first, "w1", now=T0) is None and queue.claim(second, "w2", now=T0) is None
