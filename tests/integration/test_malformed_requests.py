"""Every request gets a clear answer: numbers out of range, NUL characters and text that is not
UTF-8 anywhere in a request answer 400 or 404, never 500, on SQLite and on PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import WikiClient, make_app
from tests.factories import make_page, make_user

HUGE = "721054205112029255024246784"
#: (method, path, body): what a careless or hostile client might send.
REQUESTS: list[tuple[str, str, Any]] = [
    ("GET", f"/api/v1/revisions/{HUGE}", None),
    ("GET", f"/api/v1/revisions/{HUGE}/review-record", None),
    ("POST", f"/api/v1/comments/{HUGE}/resolve", {}),
    ("GET", f"/wiki/expenses/revisions/{HUGE}", None),
    ("GET", f"/proposals/{HUGE}", None),
    ("POST", f"/comments/{HUGE}/resolve", {}),
    ("GET", f"/gaps/{HUGE}/askers", None),
    ("GET", f"/wiki/expenses/diff?from={HUGE}", None),
    ("GET", f"/wiki/expenses/diff?to={HUGE}", None),
    ("GET", f"/wiki?page={HUGE}", None),
    ("GET", f"/search?q=expenses&page={HUGE}", None),
    ("GET", f"/search/open/{HUGE}/expenses", None),
    ("GET", "/wiki/exp%00enses", None),
    ("GET", "/wiki/%FF%FE", None),
    ("GET", "/search?q=%00", None),
    ("GET", "/search?q=caf%E9", None),
    ("GET", "/api/v1/search?q=%00", None),
    ("GET", "/api/v1/pages/%C3%28", None),
    ("POST", "/api/v1/pages", {"title": "Nul\u0000title", "body": "x"}),
    ("POST", "/api/v1/pages", {"title": "Lone \ud800 surrogate", "body": "x"}),
    ("POST", "/api/v1/render", {"markdown": "a\u0000b"}),
    ("POST", "/new", "form:title=Nul%00page&body=x&department=Engineering"),
    ("POST", "/new", "form:title=Bad%FFbyte&body=x&department=Engineering"),
]


def _send(client: Any, method: str, path: str, body: Any) -> Any:
    if method == "GET":
        return client.get(path)
    if isinstance(body, str) and body.startswith("form:"):
        token = client.csrf_token()
        return client.post(
            path, data=f"{body[5:]}&csrf_token={token}".encode(), csrf=False,
            content_type="application/x-www-form-urlencoded",
        )  # fmt: skip
    return client.post(path, json=body)


def _answers(app: Flask) -> list[tuple[str, str, int]]:
    with app.extensions["wiki.sessionmaker"]() as session:
        author = make_user(session, username="alex", name="Alex Rivera", is_admin=True)
        make_page(session, author, title="Expenses")
    app.test_client_class = WikiClient
    client: Any = app.test_client()
    client.login("alex")
    answers = []
    for method, path, body in REQUESTS:
        response = _send(client, method, path, body)
        answers.append((method, path, response.status_code))
        response.close()
    return answers


def _assert_clear(answers: list[tuple[str, str, int]]) -> None:
    unclear = [(m, p, status) for m, p, status in answers if status not in (400, 404, 422)]
    assert unclear == []


@pytest.mark.sqlite
def test_malformed_requests_get_a_clear_answer_on_sqlite(
    tmp_path: Path, migrated_sqlite: Path
) -> None:
    database = tmp_path / "w.db"
    shutil.copy(migrated_sqlite, database)
    app = make_app(tmp_path, f"sqlite:///{database}")
    try:
        _assert_clear(_answers(app))
    finally:
        app.extensions["wiki.engine"].dispose()


@pytest.mark.postgres
def test_malformed_requests_get_a_clear_answer_on_postgres(
    tmp_path: Path, postgres_url: str
) -> None:
    app = make_app(tmp_path, postgres_url)
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    try:
        _assert_clear(_answers(app))
    finally:
        app.extensions["wiki.engine"].dispose()
