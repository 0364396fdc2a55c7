"""Work queued after a commit: kept only when the transaction commits, run off the caller's thread."""

from __future__ import annotations

import logging
import threading

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from app import jobs
from app.jobs import Job


@pytest.fixture
def maker() -> sessionmaker[Session]:
    factory = sessionmaker(create_engine("sqlite://"))
    jobs.track(factory)
    return factory


def test_a_commit_keeps_the_jobs_its_transaction_asked_for(maker: sessionmaker[Session]) -> None:
    with maker() as session:
        session.execute(text("select 1"))
        jobs.after_commit(session, Job.INDEX)
        jobs.after_commit(session, Job.INDEX)
        assert jobs.take_committed(session) == frozenset()  # not committed yet
        session.commit()
        assert jobs.take_committed(session) == {Job.INDEX}
        assert jobs.take_committed(session) == frozenset()  # taken once


def test_a_rollback_forgets_the_jobs_of_its_transaction(maker: sessionmaker[Session]) -> None:
    with maker() as session:
        session.execute(text("select 1"))
        jobs.after_commit(session, Job.MAIL)
        session.commit()
        session.execute(text("select 1"))
        jobs.after_commit(session, Job.INDEX)
        session.rollback()
        assert jobs.take_committed(session) == {Job.MAIL}


def test_the_thread_runner_works_off_the_callers_thread_in_order_and_survives_failures(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runner = jobs.ThreadRunner()
    done = threading.Event()
    seen: list[tuple[str, bool]] = []

    def failing() -> None:
        raise RuntimeError("index locked")

    def record(name: str) -> None:
        seen.append((name, threading.current_thread() is threading.main_thread()))

    with caplog.at_level(logging.ERROR, logger="app.jobs"):
        runner.submit(lambda: record("first"))
        runner.submit(failing)
        runner.submit(lambda: record("after the failure"))
        runner.submit(done.set)
        assert done.wait(timeout=10)
    assert seen == [("first", False), ("after the failure", False)]
    assert "stays queued" in caplog.text and "index locked" in caplog.text


def test_the_inline_runner_works_at_once_and_logs_failures(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[str] = []
    runner = jobs.InlineRunner()
    with caplog.at_level(logging.ERROR, logger="app.jobs"):
        runner.submit(lambda: seen.append("ran"))
        runner.submit(lambda: 1 / 0)  # type: ignore[func-returns-value]
    assert seen == ["ran"] and "ZeroDivisionError" in caplog.text
