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


def test_a_burst_asked_for_while_a_run_is_under_way_is_done_in_one_run() -> None:
    runs: list[frozenset[Job]] = []
    running, release = threading.Event(), threading.Event()

    def work(todo: frozenset[Job]) -> None:
        runs.append(todo)
        running.set()
        assert release.wait(timeout=10)

    runner = jobs.ThreadRunner()
    batcher = jobs.Batcher(runner, work)
    batcher.ask(frozenset({Job.INDEX}))
    assert running.wait(timeout=10)
    for _ in range(50):  # fifty saves while the first one's index commit runs
        batcher.ask(frozenset({Job.INDEX}))
    batcher.ask(frozenset({Job.MAIL}))
    release.set()
    done = threading.Event()
    runner.submit(done.set)
    assert done.wait(timeout=10)
    assert runs == [{Job.INDEX}, {Job.INDEX, Job.MAIL}]


def test_the_inline_batcher_does_each_ask_at_once() -> None:
    runs: list[frozenset[Job]] = []
    batcher = jobs.Batcher(jobs.InlineRunner(), runs.append)
    batcher.ask(frozenset({Job.INDEX}))
    batcher.ask(frozenset({Job.MAIL}))
    assert runs == [{Job.INDEX}, {Job.MAIL}]


def test_the_thread_runner_tidies_up_once_work_pauses() -> None:
    seen: list[str] = []
    tidied = threading.Event()

    def tidy() -> None:
        seen.append("tidy")
        tidied.set()

    runner = jobs.ThreadRunner(idle=tidy, idle_after=0.01)
    for name in ("save 1", "save 2", "save 3"):
        runner.submit(lambda name=name: seen.append(name))  # type: ignore[misc]
    assert tidied.wait(timeout=10)
    runner.stop()
    assert seen == ["save 1", "save 2", "save 3", "tidy"]


def test_a_durable_queue_gets_the_jobs_of_a_transaction_as_it_commits() -> None:
    written: list[Job] = []
    factory = sessionmaker(create_engine("sqlite://"))
    jobs.track(factory, durable=lambda _session, job: written.append(job))
    with factory() as session:
        session.execute(text("select 1"))
        jobs.after_commit(session, Job.MAIL)
        session.rollback()
        assert written == []
        session.execute(text("select 1"))
        jobs.after_commit(session, Job.MAIL)
        jobs.after_commit(session, Job.INDEX)
        session.commit()
    assert sorted(written) == [Job.INDEX, Job.MAIL]
