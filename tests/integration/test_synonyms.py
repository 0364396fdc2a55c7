"""Synonym sets: kept by administrators (site and API), applied by every search backend at once,
and suggested from what people searched for and then opened."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEntry, SynonymSet, SynonymSuggestion, User
from app.search import BACKENDS, SearchQuery
from app.services import indexing, search, synonyms, tokens
from tests.conftest import TokenClient, WikiClient, make_app
from tests.factories import make_page, make_user

PTO_PAGE = "Planning your PTO"
PTO_BODY = "Ask your manager two weeks ahead. PTO days carry over until March."


def _publish_pto_page(app: Flask) -> None:
    with app.extensions["wiki.sessionmaker"]() as session:
        author = make_user(session, username="alex", name="Alex Rivera")
        make_page(session, author, title=PTO_PAGE, body=PTO_BODY)
        make_page(session, author, title="Laptops", body="Ask IT for a new laptop.")
        indexing.process_outbox(session, app.extensions["wiki.search"])


def found(client: Any, text: str) -> list[str]:
    response = client.get("/api/v1/search", query_string={"q": text})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [hit["title"] for hit in response.get_json()["results"]]


# -- every backend applies the sets at query time ----------------------------------------------


#: Every backend; PostgreSQL's tests are marked ``postgres`` (skipped, saying why, without a URL).
EVERY_BACKEND = [
    pytest.param(name, marks=pytest.mark.postgres) if name == "postgres" else name
    for name in sorted(BACKENDS)
]


@pytest.fixture(params=EVERY_BACKEND)
def any_backend_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """A wiki searching with each backend (PostgreSQL's in a migrated database of its own)."""
    if request.param == "postgres":
        application = make_app(
            tmp_path, request.getfixturevalue("postgres_url"), SEARCH_BACKEND="postgres"
        )
        result = application.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
    else:
        application = make_app(
            tmp_path, request.getfixturevalue("database_url"), SEARCH_BACKEND=request.param
        )
    yield application
    application.extensions["wiki.engine"].dispose()


def test_a_set_applies_to_searches_at_once_and_its_deletion_too(any_backend_app: Flask) -> None:
    app = any_backend_app
    _publish_pto_page(app)
    with app.extensions["wiki.sessionmaker"]() as session:
        admin = make_user(session, username="admin", name="Ada Admin", is_admin=True)
        api = TokenClient(app.test_client(), tokens.create(session, owner=admin, name="t").secret)
    client = app.test_client()
    assert found(client, "vacation") == []

    created = api.post("/api/v1/synonyms", json={"terms": ["PTO", "vacation", "time off"]})
    assert created.status_code == 201, created.get_data(as_text=True)
    # no rebuild: the next search uses the set, in any word form, case or field (a backend
    # matches SearchQuery.tree(), which carries the synonyms, rather than parsing the text)
    assert found(client, "vacation") == [PTO_PAGE]
    assert found(client, "Vacations") == [PTO_PAGE]
    assert found(client, "title:vacation") == [PTO_PAGE]
    assert found(client, "vacation carry") == [PTO_PAGE]
    assert PTO_PAGE not in found(client, "ask -vacation")  # excluding a term excludes its set
    assert found(client, "ask -vacation") == ["Laptops"]
    assert found(client, "tag:vacation") == []  # filters are exact values, not words

    assert api.delete(f"/api/v1/synonyms/{created.get_json()['id']}").status_code == 204
    assert found(client, "vacation") == []


def test_the_results_page_marks_the_synonym_that_matched(client: Any, app: Flask) -> None:
    _publish_pto_page(app)
    with app.extensions["wiki.sessionmaker"]() as session:
        admin = make_user(session, username="admin", name="Ada Admin", is_admin=True)
        synonyms.add_set(session, actor=admin, terms=["pto", "vacation"])
    page = client.get("/search?q=vacation").get_data(as_text=True)
    assert PTO_PAGE in page and "<mark>PTO</mark>" in page


# -- the API -------------------------------------------------------------------------------------


def test_only_administrators_use_the_api(
    client: Any, session: Session, author: User, admin: User, api_for: Any
) -> None:
    member = api_for(author)
    body = {"terms": ["pto", "vacation"]}
    assert client.get("/api/v1/synonyms").status_code == 401
    assert client.post("/api/v1/synonyms", json=body).status_code == 401
    assert client.delete("/api/v1/synonyms/1").status_code == 401
    assert member.get("/api/v1/synonyms").status_code == 403
    assert member.post("/api/v1/synonyms", json=body).status_code == 403
    assert member.delete("/api/v1/synonyms/1").status_code == 403
    assert session.scalars(select(SynonymSet)).all() == []


def test_administrators_add_list_and_delete_sets(
    session: Session, admin: User, api_for: Any
) -> None:
    api = api_for(admin)
    created = api.post("/api/v1/synonyms", json={"terms": ["pto", "vacation", " time  off "]})
    assert created.status_code == 201
    body = created.get_json()
    assert body["terms"] == ["pto", "vacation", "time off"] and isinstance(body["id"], int)
    assert body["created_by"]["username"] == "admin"
    listed = api.get("/api/v1/synonyms").get_json()["items"]
    assert [item["terms"] for item in listed] == [["pto", "vacation", "time off"]]

    assert api.delete(f"/api/v1/synonyms/{body['id']}").status_code == 204
    assert api.get("/api/v1/synonyms").get_json()["items"] == []
    missing = api.delete(f"/api/v1/synonyms/{body['id']}")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.target.like("synonyms:%")))
    assert list(actions) == ["synonyms.add", "synonyms.delete"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"terms": ["pto"]}, "terms"),
        ({"terms": ["pto", "PTO", " pto "]}, "terms"),
        ({"terms": ["pto", "", "  "]}, "terms"),
        ({"terms": []}, "terms"),
        ({"terms": ["pto", "x" * 101]}, "terms.1"),
        ({"terms": ["pto", "!!!"]}, "terms.1"),
        ({"terms": ["pto", "bell\x07ring"]}, "terms.1"),
        ({"terms": [f"term {n}" for n in range(21)]}, "terms"),
        ({"terms": "pto, vacation"}, "terms"),
        ({"terms": ["pto", 7]}, "terms"),
        ({}, "terms"),
    ],
)
def test_invalid_sets_are_refused_naming_the_field(
    session: Session, admin: User, api_for: Any, body: dict[str, Any], field: str
) -> None:
    response = api_for(admin).post("/api/v1/synonyms", json=body)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in response.get_json()["error"]["fields"]
    assert session.scalars(select(SynonymSet)).all() == []


# -- the admin page ------------------------------------------------------------------------------


def test_the_admin_page_adds_and_deletes_sets(
    admin_client: WikiClient, author_client: WikiClient, client: Any, session: Session
) -> None:
    assert author_client.get("/admin/synonyms").status_code == 403
    assert client.get("/admin/synonyms").status_code == 302  # to sign in
    assert author_client.post("/admin/synonyms", data={"terms": "a, b"}).status_code == 403
    assert (
        admin_client.post("/admin/synonyms", data={"terms": "a, b"}, csrf=False).status_code == 400
    )

    added = admin_client.post(
        "/admin/synonyms", data={"terms": "laptop, Notebook"}, follow_redirects=True
    )
    text = added.get_data(as_text=True)
    assert "now find each other" in text and "laptop, Notebook" in text
    refused = admin_client.post("/admin/synonyms", data={"terms": "laptop"}, follow_redirects=True)
    assert "at least two different terms" in refused.get_data(as_text=True)

    (kept,) = session.scalars(select(SynonymSet)).all()
    deleted = admin_client.post(f"/admin/synonyms/{kept.id}/delete", follow_redirects=True)
    assert "No synonym sets yet" in deleted.get_data(as_text=True)
    assert session.scalars(select(SynonymSet)).all() == []


# -- suggestions from behaviour ------------------------------------------------------------------


def _try_then_open(app: Flask, username: str, first: str, then: str) -> None:
    """``username`` searches ``first``, opens nothing, then searches ``then`` and opens its
    first result."""
    app.test_client_class = WikiClient
    person: WikiClient = app.test_client()  # type: ignore[assignment]
    person.login(username)
    person.get("/search", query_string={"q": first})
    results = person.get("/search", query_string={"q": then}).get_data(as_text=True)
    link = re.search(r'href="(/search/open/\d+/[^"]+)"', results)
    assert link, results
    assert person.get(link.group(1)).status_code == 302


def _suggested(admin_client: WikiClient) -> list[str]:
    page = admin_client.get("/admin/synonyms").get_data(as_text=True)
    return re.findall(r"<td>([^<]+ ↔ [^<]+)</td>", page)


def test_a_pair_three_people_showed_is_suggested_and_accepting_it_works(
    app: Flask, admin_client: WikiClient, client: Any, session: Session
) -> None:
    _publish_pto_page(app)
    for username in ("bo", "cy"):
        make_user(session, username=username)
        _try_then_open(app, username, "vacation policy", "pto policy")
    _try_then_open(app, "bo", "vacation policy", "pto policy")  # the same person counts once
    assert _suggested(admin_client) == []

    make_user(session, username="di")
    _try_then_open(app, "di", "Vacation", "PTO")
    assert _suggested(admin_client) == ["pto ↔ vacation"]

    (pair,) = session.scalars(select(SynonymSuggestion)).all()
    accepted = admin_client.post(
        f"/admin/synonyms/suggestions/{pair.id}/accept", follow_redirects=True
    )
    assert "Accepted" in accepted.get_data(as_text=True)
    assert _suggested(admin_client) == []
    assert found(client, "vacation") == [PTO_PAGE]
    again = admin_client.post(
        f"/admin/synonyms/suggestions/{pair.id}/accept", follow_redirects=True
    )
    assert "accepted already" in again.get_data(as_text=True)


def test_an_accepted_pair_joins_a_set_holding_one_of_its_terms(
    session: Session, admin: User
) -> None:
    existing = synonyms.add_set(session, actor=admin, terms=["PTO", "time off"])
    pair = SynonymSuggestion(term_a="pto", term_b="vacation", evidence=3, status="suggested")
    session.add(pair)
    session.commit()
    joined = synonyms.accept(session, actor=admin, suggestion_id=pair.id)
    assert joined.id == existing.id and joined.terms == ["PTO", "time off", "vacation"]
    assert session.scalars(select(SynonymSet)).all() == [existing]


def test_a_dismissed_pair_is_never_suggested_again(
    app: Flask, admin_client: WikiClient, session: Session
) -> None:
    _publish_pto_page(app)
    for username in ("bo", "cy", "di"):
        make_user(session, username=username)
        _try_then_open(app, username, "notebook", "laptop")
    (pair,) = session.scalars(select(SynonymSuggestion)).all()
    assert _suggested(admin_client) == ["laptop ↔ notebook"]
    admin_client.post(f"/admin/synonyms/suggestions/{pair.id}/dismiss")
    make_user(session, username="ed")
    _try_then_open(app, "ed", "notebook", "laptop")
    assert _suggested(admin_client) == []
    session.refresh(pair)
    assert (pair.status, pair.evidence) == ("dismissed", 3)


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("laptop", "laptop policy"),  # a refinement adds words
        ("laptops policy", "laptop policy"),  # a word form
        ("lapotp", "laptop"),  # a typo: close spellings handle it
    ],
)
def test_refinements_and_typos_suggest_nothing(
    app: Flask, session: Session, first: str, then: str
) -> None:
    _publish_pto_page(app)
    for username in ("bo", "cy", "di"):
        make_user(session, username=username)
        _try_then_open(app, username, first, then)
    assert session.scalars(select(SynonymSuggestion)).all() == []


def test_a_new_set_answers_the_knowledge_gaps_it_covers(
    app: Flask, session: Session, admin: User
) -> None:
    _publish_pto_page(app)
    backend = app.extensions["wiki.search"]
    asker = make_user(session, username="bo")
    search.run(session, backend, SearchQuery(text="vacation"), user=asker)
    assert search.check_gaps_answered(session, backend) == 0
    synonyms.add_set(session, actor=admin, terms=["PTO", "vacation"])
    assert search.check_gaps_answered(session, backend) == 1
    (gap,) = search.gaps(session, answered=True).items
    assert (gap.question, gap.answered_page.title if gap.answered_page else None) == (
        "vacation",
        PTO_PAGE,
    )
