"""Two app servers on one PostgreSQL database, as a company that outgrew one machine runs them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.services import tokens
from tests.conftest import TokenClient, make_app
from tests.factories import make_user

pytestmark = pytest.mark.postgres

#: How soon a page published through one server must be found through the other.
WITHIN = 1.0


@pytest.fixture
def servers(tmp_path: Path, postgres_url: str) -> Iterator[tuple[Flask, Flask]]:
    """Two servers as production runs them: background work on their own threads, search in the
    shared database (Whoosh keeps its index on one machine, so it is not for several servers)."""
    settings: dict[str, Any] = {"SEARCH_BACKEND": "postgres", "BACKGROUND_RUNNER": "thread"}
    first = make_app(tmp_path / "one", postgres_url, SEARCH_INDEX=str(tmp_path / "one"), **settings)
    assert first.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    second = make_app(
        tmp_path / "two", postgres_url, SEARCH_INDEX=str(tmp_path / "two"), **settings
    )
    yield first, second
    for server in (first, second):
        server.extensions["wiki.jobs"].stop()
        server.extensions["wiki.engine"].dispose()


def _found(api: TokenClient, words: str) -> list[str]:
    answer = api.get(f"/api/v1/search?q={words}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return [hit["slug"] for hit in answer.get_json()["results"]]


def _state(api: TokenClient, revision_id: int) -> str:
    answer = api.get(f"/api/v1/revisions/{revision_id}/proposal")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    state: str = answer.get_json()["state"]
    return state


def _waiting_for(api: TokenClient) -> list[str]:
    queue = api.get("/api/v1/review-queue").get_json()
    return [proposal["title"] for proposal in queue["waiting_for_my_review"]]


def test_a_page_published_through_one_server_is_found_through_the_other(
    servers: tuple[Flask, Flask],
) -> None:
    one, two = servers
    with one.extensions["wiki.sessionmaker"]() as session:
        alex = make_user(session, username="alex", department="Engineering")
        fatima = make_user(session, username="fatima", department="Finance")
        secrets = {user.username: tokens.create(session, owner=user, name="t").secret
                   for user in (alex, fatima)}  # fmt: skip
    alex_one, fatima_one = (TokenClient(one.test_client(), secrets[name]) for name in secrets)
    alex_two, fatima_two = (TokenClient(two.test_client(), secrets[name]) for name in secrets)
    assert _found(alex_two, "quokka") == []  # the second server has started and searched

    created = alex_one.post("/api/v1/pages", json={
        "title": "Quokka Visits", "body": "Quokkas visit the office garden on Fridays.",
        "submit": True, "reviewers": ["fatima"],
    })  # fmt: skip
    assert created.status_code == 201, created.get_data(as_text=True)
    revision_id = created.get_json()["latest_revision"]["id"]
    assert _state(alex_one, revision_id) == _state(fatima_two, revision_id) == "in_review"
    assert _waiting_for(fatima_two) == ["Quokka Visits"]

    approved = fatima_one.post(
        f"/api/v1/revisions/{revision_id}/reviews", json={"verdict": "approve"}
    )
    assert approved.status_code == 201, approved.get_data(as_text=True)
    if one.config["SEARCH_BACKEND"] == "postgres":  # written with the publication itself
        assert _found(alex_two, "quokka") == ["quokka-visits"]
    published = time.monotonic()
    while _found(alex_two, "quokka") != ["quokka-visits"]:
        assert time.monotonic() - published < WITHIN, "the second server did not find it in time"
        time.sleep(0.02)
    assert _state(alex_one, revision_id) == _state(alex_two, revision_id) == "published"
    assert _waiting_for(fatima_two) == []
    page = alex_two.get("/api/v1/pages/quokka-visits").get_json()
    assert page["published_revision"]["id"] == revision_id
