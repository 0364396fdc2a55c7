"""Rate limits: sign-in and sign-up per address, API writes and previews per user, counted
together by every server that shares a Redis."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.services import tokens
from tests.conftest import WikiClient, make_app
from tests.factories import make_user

AppFactory = Callable[..., Flask]


@pytest.fixture
def limited_app(tmp_path: Path, database_url: str) -> Iterator[AppFactory]:
    """Make apps with rate limiting on, sharing one database (several servers)."""
    made: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        app = make_app(tmp_path, database_url, RATELIMIT_ENABLED=True, **overrides)
        app.test_client_class = WikiClient
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["wiki.engine"].dispose()


def _token(app: Flask, username: str) -> dict[str, str]:
    with app.extensions["wiki.sessionmaker"]() as session:
        user = make_user(session, username=username)
        secret = tokens.create(session, owner=user, name="tests").secret
        return {"Authorization": f"Bearer {secret}"}


def _new_page(app: Flask, headers: dict[str, str], title: str) -> Any:
    page = {"title": title, "body": "# Hello\n"}
    return app.test_client().post("/api/v1/pages", json=page, headers=headers)


def test_api_writes_are_limited_per_user(limited_app: AppFactory) -> None:
    app = limited_app(API_WRITE_RATE_LIMIT="3 per minute")
    alex, fatima = _token(app, "alex"), _token(app, "fatima")

    statuses = [_new_page(app, alex, f"Page {n}").status_code for n in range(4)]
    refused = _new_page(app, alex, "One more")

    assert statuses == [201, 201, 201, 429]
    assert refused.get_json()["error"]["message"] == (
        "Too many requests: at most 3 per 1 minute. Wait a minute and try again."
    )
    assert int(refused.headers["Retry-After"]) > 0
    assert _new_page(app, fatima, "Her page").status_code == 201  # her own allowance
    assert app.test_client().get("/api/v1/pages", headers=alex).status_code == 200  # reads


def test_previews_have_their_own_limit(limited_app: AppFactory) -> None:
    app = limited_app(API_WRITE_RATE_LIMIT="1 per minute", RENDER_RATE_LIMIT="3 per minute")
    alex = _token(app, "alex")
    client = app.test_client()

    statuses = [
        client.post("/api/v1/render", json={"markdown": "*hi*"}, headers=alex).status_code
        for _ in range(4)
    ]

    assert statuses == [200, 200, 200, 429]
    assert _new_page(app, alex, "Still allowed").status_code == 201


def test_limits_hold_when_the_counter_store_is_down(limited_app: AppFactory) -> None:
    """An unreachable Redis must not turn sign-ins into 500s: counting falls back to memory."""
    app = limited_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0", AUTH_RATE_LIMIT="2 per minute")
    client = app.test_client()

    assert [_wrong_password(client).status_code for _ in range(3)] == [400, 400, 429]


@pytest.mark.redis
def test_servers_sharing_redis_count_sign_ins_together(
    limited_app: AppFactory, redis_url: str
) -> None:
    shared = {"RATELIMIT_STORAGE_URI": redis_url, "AUTH_RATE_LIMIT": "3 per minute"}
    servers = [limited_app(**shared).test_client(), limited_app(**shared).test_client()]
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    for server in servers:  # one client, an address of its own (parallel runs never meet)
        server.environ_base["REMOTE_ADDR"] = address

    statuses = [_wrong_password(servers[n % 2]).status_code for n in range(4)]

    assert statuses == [400, 400, 400, 429]
    assert "Too many requests: at most 3 per 1 minute" in _wrong_password(servers[1]).get_data(
        as_text=True
    )


def _wrong_password(client: Any) -> Any:
    return client.post("/login", data={"username": "nobody", "password": "wrong-password"})


def test_behind_a_proxy_each_client_address_is_counted(limited_app: AppFactory) -> None:
    app = limited_app(PROXY_COUNT=1, AUTH_RATE_LIMIT="1 per minute")
    client = app.test_client()

    def attempt(address: str) -> int:
        client.environ_base["HTTP_X_FORWARDED_FOR"] = address
        return _wrong_password(client).status_code

    assert [attempt("203.0.113.7"), attempt("203.0.113.7"), attempt("198.51.100.2")] == [
        400,
        429,
        400,
    ]
