"""What operators see: /healthz, log lines with request ids, and Prometheus metrics."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.models import Notification, SearchOutbox, User, utcnow
from app.services import indexing, notifications, queue
from tests.conftest import WikiClient, make_app
from tests.factories import make_page


@pytest.fixture
def configured(tmp_path: Path, database_url: str) -> Iterator[Any]:
    """Make apps on this test's database with settings of the test's choosing."""
    made: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        made.append(make_app(tmp_path, database_url, **overrides))
        made[-1].test_client_class = WikiClient
        return made[-1]

    yield make
    for application in made:
        application.extensions["wiki.engine"].dispose()


def _lines(err: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def _access(err: str, path: str) -> list[dict[str, Any]]:
    return [line for line in _lines(err) if line.get("path") == path]


# -- /healthz


def test_healthz_reports_the_database_search_and_queue(
    client: FlaskClient, session: Session, author: User
) -> None:
    make_page(session, author, title="Lockers", body="Lockers are on the second floor.")
    queue.enqueue(session, "mail")
    session.commit()
    first = client.get("/healthz")
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    waiting = first.get_json()["search"]["updates_waiting"]
    assert waiting >= 1  # the new page's index update, applied after this request
    assert first.get_json() == {
        "status": "ok",
        "database": {"status": "ok"},
        "search": {
            "status": "ok", "rebuilding": False, "documents": 0, "updates_waiting": waiting,
            "oldest_update_age_seconds": pytest.approx(0, abs=60),
        },
        "queue": {
            "status": "ok", "depth": 1, "failed": 0,
            "oldest_age_seconds": pytest.approx(0, abs=60),
            "emails_pending": 0, "oldest_email_age_seconds": 0.0,
        },
    }  # fmt: skip
    after = client.get("/healthz").get_json()  # the first request caught the index up
    assert after["search"]["documents"] == 1 and after["search"]["updates_waiting"] == 0


def test_healthz_answers_503_when_index_updates_or_emails_wait_too_long(
    configured: Any, session: Session, author: User
) -> None:
    app = configured(HEALTH_QUEUE_MAX_AGE=600, SMTP_HOST="127.0.0.1", SMTP_PORT=1)
    client = app.test_client()
    client.get("/healthz").close()  # the first request catches up: nothing waits
    an_hour_ago = utcnow() - timedelta(hours=1)
    session.add(SearchOutbox(page_id=12345, created_at=an_hour_ago))
    notifications.notify(session, [author], kind="comment", actor=None, message="Hello")
    session.commit()
    body = client.get("/healthz").get_json()
    assert body["search"]["status"] == "down" and body["search"]["updates_waiting"] == 1
    assert body["search"]["oldest_update_age_seconds"] >= 3600
    assert body["queue"]["status"] == "ok" and body["queue"]["emails_pending"] == 1
    for note in session.scalars(select(Notification)):
        note.created_at = an_hour_ago
    session.execute(delete(SearchOutbox))
    session.commit()
    late = client.get("/healthz")
    assert late.status_code == 503
    body = late.get_json()
    assert body["search"]["status"] == "ok" and body["queue"]["status"] == "down"
    assert body["queue"]["oldest_email_age_seconds"] >= 3600


def test_healthz_answers_503_when_the_queue_has_stalled(
    configured: Any, session: Session, author: User
) -> None:
    client = configured(HEALTH_QUEUE_MAX_AGE=600).test_client()
    queue.enqueue(session, "index", now=utcnow() - timedelta(hours=1))
    session.commit()
    stalled = client.get("/healthz")
    assert stalled.status_code == 503
    body = stalled.get_json()
    assert body["status"] == "down" and body["database"] == {"status": "ok"}
    assert body["queue"]["status"] == "down" and body["queue"]["depth"] == 1
    assert body["queue"]["oldest_age_seconds"] >= 3600


def test_healthz_answers_503_naming_no_secret_when_the_database_is_down(
    configured: Any, tmp_path: Path
) -> None:
    unreachable = tmp_path / "not-a-database"
    unreachable.mkdir()  # SQLite cannot open a directory
    app = make_app(tmp_path, f"sqlite:///{unreachable}", SECRET_KEY="s3cret-healthz-key")
    try:
        response = app.test_client().get("/healthz")
    finally:
        app.extensions["wiki.engine"].dispose()
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "down"
    assert body["database"] == {"status": "down", "error": "OperationalError"}
    assert body["queue"] == {"status": "down", "error": "OperationalError"}
    assert body["search"]["status"] == "ok"
    text = response.get_data(as_text=True)
    assert str(tmp_path) not in text and "s3cret" not in text and "sqlite" not in text


# Whoosh leaves the file of an unreadable table of contents open; it is closed with a warning.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.whoosh
def test_healthz_answers_503_when_the_search_index_is_damaged_or_rebuilding(
    app: Flask, client: FlaskClient, session: Session, author: User
) -> None:
    make_page(session, author, title="Lockers", body="Lockers are on the second floor.")
    backend = app.extensions["wiki.search"]
    indexing.process_outbox(session, backend)
    assert client.get("/healthz").get_json()["search"]["documents"] == 1
    for path in backend.directory.glob("*.toc"):
        path.write_bytes(b"\0" * path.stat().st_size)
    backend.close()  # as a fresh worker process would start
    damaged = client.get("/healthz")
    assert damaged.status_code == 503
    assert damaged.get_json()["search"] == {
        "status": "down", "rebuilding": False, "error": "IndexDamaged"
    }  # fmt: skip
    client.get("/search?q=lockers")  # the first search that meets the damage starts a rebuild
    assert app.extensions["wiki.search_repair"].wait(timeout=60)  # on a background thread
    healed = client.get("/healthz")
    assert healed.status_code == 200 and healed.get_json()["search"]["documents"] == 1


def test_healthz_is_open_to_monitors_when_reading_needs_sign_in_and_never_rate_limited(
    configured: Any,
) -> None:
    app = configured(ANONYMOUS_READ=False, RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per minute")
    client = app.test_client()
    assert [client.get("/healthz").status_code for _ in range(4)] == [200] * 4
    home = client.get("/")
    assert home.status_code == 302 and "/login" in home.headers["Location"]
    assert [client.get("/login").status_code for _ in range(3)][-1] == 429  # the limit holds


# -- logs


def test_each_request_is_logged_as_one_json_line_with_its_request_id(
    configured: Any, session: Session, author: User, capsys: pytest.CaptureFixture[str]
) -> None:
    make_page(session, author, title="Lockers", body="Lockers are on the second floor.")
    client = configured(LOG_FORMAT="json").test_client()
    client.login("alex")
    response = client.get("/wiki/lockers", headers={"X-Request-Id": "lb-7f3a.42"})
    assert response.status_code == 200 and response.headers["X-Request-Id"] == "lb-7f3a.42"
    (line,) = _access(capsys.readouterr().err, "/wiki/lockers")
    assert line["request_id"] == "lb-7f3a.42" and line["logger"] == "peerwiki.access"
    assert (line["method"], line["status"], line["user_id"]) == ("GET", 200, author.id)
    assert line["level"] == "INFO" and line["duration_ms"] >= 0 and line["time"]


@pytest.mark.parametrize("given", ["", "two words", "x" * 129, "<script>", "a\tb"])
def test_a_missing_or_odd_request_id_is_replaced_by_a_new_one(
    configured: Any, capsys: pytest.CaptureFixture[str], given: str
) -> None:
    client = configured(LOG_FORMAT="json").test_client()
    headers = {"X-Request-Id": given} if given else {}
    first, second = (client.get("/login", headers=headers) for _ in range(2))
    ids = [first.headers["X-Request-Id"], second.headers["X-Request-Id"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in ids) and ids[0] != ids[1]
    logged = _access(capsys.readouterr().err, "/login")
    assert [line["request_id"] for line in logged] == ids
    assert [line["user_id"] for line in logged] == [None, None]


def test_an_error_is_logged_with_the_id_of_the_request_that_met_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unreachable = tmp_path / "not-a-database"
    unreachable.mkdir()
    app = make_app(tmp_path, f"sqlite:///{unreachable}", LOG_FORMAT="json")
    try:
        response = app.test_client().get("/wiki/lockers", headers={"X-Request-Id": "req-500"})
    finally:
        app.extensions["wiki.engine"].dispose()
    assert response.status_code == 500 and response.headers["X-Request-Id"] == "req-500"
    lines = [line for line in _lines(capsys.readouterr().err) if line["request_id"] == "req-500"]
    error = next(line for line in lines if line["level"] == "ERROR")
    assert "OperationalError" in error["exc_info"]
    assert lines[-1]["logger"] == "peerwiki.access" and lines[-1]["status"] == 500


def test_the_worker_logs_json_lines_too_and_text_is_a_choice(
    configured: Any, session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    queue.enqueue(session, "gaps")
    session.commit()
    worker = configured(LOG_FORMAT="json").test_cli_runner()
    result = worker.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    ran = [line for line in _lines(result.output) if "(gaps, attempt 1)" in line["message"]]
    assert len(ran) == 1 and ran[0]["level"] == "INFO" and ran[0]["request_id"] is None
    client = configured(LOG_FORMAT="text").test_client()
    client.get("/login", headers={"X-Request-Id": "req-text"})
    assert re.search(
        r"INFO \[req-text\] peerwiki\.access: GET /login 200$", capsys.readouterr().err, re.M
    )


# -- metrics


def test_metrics_are_off_unless_asked_for(client: FlaskClient) -> None:
    assert client.get("/metrics").status_code == 404


def _sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus' text format (0 when absent)."""
    for line in metrics.splitlines():
        sample, _, value = line.rpartition(" ")
        base, _, label_text = sample.partition("{")
        found = dict(re.findall(r'(\w+)="([^"]*)"', label_text))
        if base == name and all(found.get(key) == want for key, want in labels.items()):
            return float(value)
    return 0.0


def test_metrics_count_requests_by_endpoint_time_searches_and_read_the_queue(
    configured: Any, session: Session, author: User
) -> None:
    make_page(session, author, title="Lockers", body="Lockers are on the second floor.")
    client = configured(METRICS=True, ANONYMOUS_READ=False).test_client()
    first = client.get("/metrics")  # open to the scraper though reading needs sign-in
    assert first.status_code == 200 and first.mimetype == "text/plain"
    assert _sample(first.get_data(as_text=True), "peerwiki_queue_depth") == 0
    queue.enqueue(session, "index", now=utcnow() - timedelta(minutes=5))
    session.commit()
    client.login("alex")
    for _ in range(3):
        assert client.get("/wiki/lockers").status_code == 200
    assert client.get("/search?q=lockers").status_code == 200
    assert client.get("/api/v1/search?q=lockers").status_code == 200
    assert client.get("/wiki/no-such-page").status_code == 404
    metrics = client.get("/metrics").get_data(as_text=True)
    latency = "peerwiki_http_request_duration_seconds_count"
    assert _sample(metrics, latency, endpoint="pages.view", status="200") == 3
    assert _sample(metrics, latency, endpoint="pages.view", status="404") == 1
    assert _sample(metrics, latency, endpoint="search.results") == 1
    assert _sample(metrics, "peerwiki_search_duration_seconds_count") == 2
    assert _sample(metrics, "peerwiki_queue_depth") == 1
    assert _sample(metrics, "peerwiki_queue_oldest_age_seconds") >= 300
