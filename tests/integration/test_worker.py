"""``flask --app app worker`` and the database queue: with ``BACKGROUND_RUNNER=queue`` a change
queues its index and mail work in its own transaction, the worker does it (emails link to
``BASE_URL``), failing work is retried with backoff until it is marked failed, two workers never
run one job, and SIGTERM ends a worker cleanly. Time is passed in; nothing sleeps."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import PROJECT_ROOT
from app.jobs import Job
from app.mail import Mailer
from app.models import QueuedJob, User, utcnow
from app.search import SearchBackend, SearchQuery
from app.services import background, notifications, queue
from tests.conftest import WikiClient, make_app
from tests.factories import edit_page, make_page, make_user

BASE_URL = "https://wiki.example.com"


def _jobs(app: Flask) -> list[tuple[str, str, int]]:
    with app.extensions["wiki.sessionmaker"]() as reader:
        rows = reader.scalars(select(QueuedJob).order_by(QueuedJob.id))
        return [(job.kind, job.state, job.attempts) for job in rows]


def _titles(backend: SearchBackend, text: str) -> list[str]:
    return [hit.title for hit in backend.search(SearchQuery(text=text)).hits]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def queue_app(
    tmp_path: Path, database_url: str, smtp_server: tuple[int, list[Any]]
) -> Iterator[Flask]:
    """An app that leaves its background work to the worker, emailing through a real server."""
    app = make_app(
        tmp_path, database_url, BACKGROUND_RUNNER="queue", BASE_URL=BASE_URL,
        SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server[0],
    )  # fmt: skip
    yield app
    app.extensions["wiki.engine"].dispose()


def _ask_for_review(session: Session) -> tuple[User, User]:
    """A published page and an edit of it sent to fatima for review (she is emailed)."""
    alex = make_user(session, username="alex")
    fatima = make_user(session, username="fatima", department="Finance", email="f@example.com")
    first = make_page(session, alex, title="Parking", body="Permits are at reception.\n")
    edit_page(session, alex, first, "Permits are at the front desk.\n", ask=fatima)
    return alex, fatima


def test_the_worker_does_the_index_and_mail_work_that_changes_queued(
    queue_app: Flask, smtp_server: tuple[int, list[Any]]
) -> None:
    _, received = smtp_server
    backend = queue_app.extensions["wiki.search"]
    with queue_app.extensions["wiki.sessionmaker"]() as session:
        _ask_for_review(session)
    assert _jobs(queue_app) == [("index", "queued", 0), ("mail", "queued", 0)]
    assert received == [] and _titles(backend, "permits") == []  # nothing done in-process
    result = queue_app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0 and "Worker stopped." in result.output, result.output
    assert _jobs(queue_app) == [] and _titles(backend, "permits") == ["Parking"]
    [email] = received
    message = email.content.decode()
    assert email.rcpt_tos == ["f@example.com"] and "Review requested" in message
    assert f"{BASE_URL}/proposals/" in message and "http://localhost" not in message
    # A request's change is queued in its own transaction, and left to the worker as well.
    queue_app.test_client_class = WikiClient
    client: WikiClient = queue_app.test_client()  # type: ignore[assignment]
    client.login("alex")
    assert client.post("/wiki/parking/archive").status_code == 302
    assert _jobs(queue_app) == [("index", "queued", 0)]
    assert _titles(backend, "permits") == ["Parking"]
    assert queue_app.test_cli_runner().invoke(args=["worker", "--once"]).exit_code == 0
    assert _titles(backend, "permits") == [] and _jobs(queue_app) == []


def test_the_deliver_command_links_to_the_configured_address(
    queue_app: Flask, smtp_server: tuple[int, list[Any]]
) -> None:
    _, received = smtp_server
    with queue_app.extensions["wiki.sessionmaker"]() as session:
        _ask_for_review(session)
    result = queue_app.test_cli_runner().invoke(args=["notifications", "deliver"])
    assert result.exit_code == 0 and "Sent 1 notification emails." in result.output
    assert f"Open it: {BASE_URL}/proposals/" in received[0].content.decode()


def test_a_failing_job_is_retried_with_backoff_and_ends_failed(
    app: Flask, session: Session, runner: Any
) -> None:
    alex = make_user(session, username="alex")
    notifications.notify(session, [alex], kind="comment", actor=None, message="Hello")
    session.commit()
    unreachable = Mailer(host="127.0.0.1", port=_free_port(), timeout=2)
    work = background.Work(
        app.extensions["wiki.sessionmaker"], app.extensions["wiki.search"], unreachable,
        base_url=BASE_URL,
    )  # fmt: skip
    start = now = utcnow()
    worker = background.Worker(work, name="w1", clock=lambda: now)
    queue.enqueue(session, Job.MAIL, max_attempts=3, now=start)
    session.commit()
    for attempt, wait in ((1, 10), (2, 20)):
        assert worker.run_next() is not None
        assert _jobs(app) == [("mail", "queued", attempt)]
        now += timedelta(seconds=wait - 1)
        assert worker.run_next() is None  # backing off
        now += timedelta(seconds=1)
    assert worker.run_next() is not None
    assert _jobs(app) == [("mail", "failed", 3)]
    now += timedelta(days=1)
    assert worker.run_next() is None  # failed jobs stay put, for people to see
    shown = runner.invoke(args=["jobs", "status"])
    assert "1 failed" in shown.output and "(mail) after 3 attempts" in shown.output
    assert "1 notification emails are still pending" in shown.output
    assert runner.invoke(args=["jobs", "retry"]).exit_code == 0
    assert _jobs(app) == [("mail", "queued", 0)]


def test_a_rebuild_is_given_back_when_the_worker_stops(
    app: Flask, session: Session, author: User
) -> None:
    make_page(session, author, title="Lockers", body="On the second floor.")
    queue.enqueue(session, Job.REBUILD)
    session.commit()
    worker = background.Worker(app.extensions["wiki.work"], name="w1", stopping=lambda: True)
    job = worker.run_next()
    assert job is not None and job.kind == "rebuild"
    assert _jobs(app) == [("rebuild", "queued", 0)]  # for the next worker, attempt not counted


@pytest.mark.parametrize(
    "engine", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_two_workers_never_run_the_same_job(
    request: pytest.FixtureRequest, app: Flask, tmp_path: Path, engine: str
) -> None:
    if engine == "postgresql":
        app = make_app(tmp_path, request.getfixturevalue("postgres_url"))
        assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    with app.extensions["wiki.sessionmaker"]() as session:
        for _ in range(30):
            queue.enqueue(session, Job.GAPS, unique=False)
        session.commit()
        queued = set(session.scalars(select(QueuedJob.id)))
    ran: dict[str, list[int]] = {"w1": [], "w2": []}

    def work_as(name: str) -> None:
        worker = background.Worker(app.extensions["wiki.work"], name=name)
        while (job := worker.run_next()) is not None:
            ran[name].append(job.id)

    threads = [threading.Thread(target=work_as, args=(name,)) for name in ran]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(ran["w1"] + ran["w2"]) == sorted(queued)  # each job once, by one worker
    assert _jobs(app) == []
    if engine == "postgresql":
        app.extensions["wiki.engine"].dispose()


def test_a_damaged_index_is_rebuilt_by_the_worker_not_the_request(queue_app: Flask) -> None:
    queue_app.extensions["wiki.search"].search = _damaged  # type: ignore[method-assign]
    client = queue_app.test_client()
    answer = client.get("/api/v1/search?q=lockers")
    assert answer.status_code == 503 and "being rebuilt" in answer.get_json()["error"]["message"]
    client.get("/api/v1/search?q=lockers").close()
    assert _jobs(queue_app) == [("rebuild", "queued", 0)]  # once, however many searches


def _damaged(_query: SearchQuery) -> Any:
    from app.search import IndexDamaged

    raise IndexDamaged("The search index cannot be read")


@pytest.fixture
def slow_smtp_server() -> Iterator[tuple[int, threading.Event, threading.Event, list[Any]]]:
    """An SMTP server that holds each message until told to accept it:
    ``(port, a message arrived, accept it, accepted envelopes)``."""
    from aiosmtpd.controller import Controller

    arrived, accept, received = threading.Event(), threading.Event(), []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            arrived.set()
            accept.wait(timeout=60)  # holds the server's loop: one message at a time
            received.append(envelope)
            return "250 OK"

    port = _free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, arrived, accept, received
    finally:
        accept.set()
        controller.stop()


def test_sigterm_lets_the_worker_finish_its_job_and_exit_cleanly(
    tmp_path: Path,
    database_url: str,
    slow_smtp_server: tuple[int, threading.Event, threading.Event, list[Any]],
) -> None:
    port, arrived, accept, received = slow_smtp_server
    url = database_url
    settings = {
        "SEARCH_BACKEND": "memory", "SECRET_KEY": "test-secret-key", "BACKGROUND_RUNNER": "queue",
        "BASE_URL": BASE_URL, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
    }  # fmt: skip
    app = make_app(tmp_path, url, **settings)
    with app.extensions["wiki.sessionmaker"]() as session:
        _ask_for_review(session)
    app.extensions["wiki.engine"].dispose()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PEERWIKI_")}
    environment.update({f"PEERWIKI_{key}": value for key, value in settings.items()})
    environment["PEERWIKI_DATABASE_URL"] = url
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker", "--poll", "0.05"],
        cwd=PROJECT_ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        assert arrived.wait(timeout=60), "the worker never sent the email"
        worker.send_signal(signal.SIGTERM)  # mid-job: the email is being sent
        accept.set()
        output, _ = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, output
    assert "Worker stopped." in output
    assert len(received) == 1 and f"{BASE_URL}/proposals/" in received[0].content.decode()
    app = make_app(tmp_path, url)
    jobs = _jobs(app)
    app.extensions["wiki.engine"].dispose()
    assert ("mail", "running", 1) not in jobs  # finished (or given back), never left running
    assert all(state == "queued" for _, state, _ in jobs)
