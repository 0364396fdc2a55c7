"""The JSON API v1: every endpoint, its errors, and the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.models import User
from tests.factories import edit_page, make_page


@pytest.fixture
def api(api_for: Any, author: User) -> Any:
    return api_for(author)


def assert_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] and error["message"]
    return error


def test_create_page_returns_201_with_draft_latest_revision(api: Any) -> None:
    response = api.post(
        "/api/v1/pages",
        json={
            "title": "Expense Reports",
            "body": "# How\n\nSee [[Budget]].",
            "tags": ["Finance"],
            "summary": "first",
        },
    )
    assert response.status_code == 201
    assert response.headers["Location"].endswith("/api/v1/pages/expense-reports")
    page = response.get_json()
    assert page["slug"] == "expense-reports"
    assert page["published_revision"] is None  # readers see nothing until it is reviewed
    latest = page["latest_revision"]
    assert {"id", "body", "html", "author", "created_at", "status"} <= set(latest)
    assert latest["status"] == "draft" and latest["tags"] == ["finance"]
    assert latest["author"]["username"] == "alex"
    assert 'class="wikilink missing"' in latest["html"]


def test_create_page_with_submit_shortcut(api: Any, reviewer: User) -> None:
    response = api.post(
        "/api/v1/pages",
        json={"title": "Laptops", "body": "x", "submit": True, "reviewers": ["fatima"]},
    )
    assert response.status_code == 201
    assert response.get_json()["latest_revision"]["status"] == "in_review"


def test_get_page_and_list_with_filters(
    api: Any, session: Session, author: User, reviewer: User
) -> None:
    make_page(session, author, title="Laptop setup", tags=["onboarding"])
    make_page(session, reviewer, title="Budget cycle", tags=["budget"])
    listing = api.get("/api/v1/pages?tag=onboarding").get_json()
    assert [item["slug"] for item in listing["items"]] == ["laptop-setup"]
    listing = api.get("/api/v1/pages?department=Finance&per_page=1&page=1").get_json()
    assert (
        listing["total"] == 1
        and listing["per_page"] == 1
        and listing["items"][0]["title"] == "Budget cycle"
    )
    page = api.get("/api/v1/pages/laptop-setup").get_json()
    assert page["published_revision"]["id"] == page["latest_revision"]["id"]


def test_reads_work_without_authentication(app: Flask, session: Session, author: User) -> None:
    make_page(session, author, title="Public")
    assert app.test_client().get("/api/v1/pages/public").status_code == 200


def test_new_revision_is_a_draft_proposal_and_stale_base_conflicts(
    api: Any, session: Session, author: User
) -> None:
    first = make_page(session, author, title="Leave")
    response = api.post(
        "/api/v1/pages/leave/revisions",
        json={"body": "v2", "base_revision_id": first.id, "summary": "s"},
    )
    assert response.status_code == 201
    second = response.get_json()
    assert second["number"] == 2 and second["parent_id"] == first.id and second["status"] == "draft"
    page = api.get("/api/v1/pages/leave").get_json()
    assert page["published_revision"]["id"] == first.id  # readers still see the old version
    assert page["latest_revision"]["id"] == second["id"]
    third = api.post(
        "/api/v1/pages/leave/revisions", json={"body": "v3", "base_revision_id": second["id"]}
    )
    assert third.status_code == 201 and third.get_json()["proposal_id"] == second["proposal_id"]
    stale = api.post(
        "/api/v1/pages/leave/revisions", json={"body": "v4", "base_revision_id": second["id"]}
    )
    error = assert_error(stale, 409)
    assert error["code"] == "edit_conflict"
    assert stale.get_json()["current_revision"]["id"] == third.get_json()["id"]
    assert stale.get_json()["current_revision"]["body"] == "v3"


def test_revisions_list_revision_and_diff(api: Any, session: Session, author: User) -> None:
    first = make_page(session, author, title="Diffs", body="a\nb c\n")
    second = edit_page(session, author, first, "a\nb d\n")
    revisions = api.get("/api/v1/pages/diffs/revisions").get_json()
    assert [r["number"] for r in revisions["items"]] == [2, 1]
    assert api.get(f"/api/v1/revisions/{first.id}").get_json()["body"] == "a\nb c\n"
    diff = api.get(f"/api/v1/pages/diffs/diff?from={first.id}&to={second.id}").get_json()
    assert diff["added"] == 1 and diff["removed"] == 1
    changed = [line for hunk in diff["hunks"] for line in hunk["lines"] if line["kind"] == "added"][
        0
    ]
    assert changed["new_number"] == 2
    assert [s["text"] for s in changed["segments"] if s["changed"]] == ["d"]


def test_render_matches_page_view(api: Any, session: Session, author: User) -> None:
    revision = make_page(
        session, author, title="Render me", body="**bold** <script>x</script> [[Nowhere]]"
    )
    html = api.post("/api/v1/render", json={"markdown": revision.body}).get_json()["html"]
    assert html == api.get("/api/v1/pages/render-me").get_json()["published_revision"]["html"]
    assert "<strong>bold</strong>" in html and "<script>" not in html


@pytest.mark.parametrize(
    ("method", "url", "payload"),
    [
        ("post", "/api/v1/pages", {"title": "x", "body": "y"}),
        ("get", "/api/v1/me", None),
    ],
)
def test_writes_need_authentication(app: Flask, method: str, url: str, payload: Any) -> None:
    response = getattr(app.test_client(), method)(url, json=payload)
    assert_error(response, 401)


def test_invalid_token_is_401_even_for_reads(app: Flask) -> None:
    response = app.test_client().get("/api/v1/pages", headers={"Authorization": "Bearer nope"})
    assert_error(response, 401)
    assert "Bearer" in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"title": "", "body": "x"}, 422, "title"),
        ({"title": "T", "body": 5}, 422, "body"),
        ({"title": "T"}, 422, "body"),
        ({"title": "T", "body": "b", "tags": "a,b"}, 422, "tags"),
        ({"title": "T", "body": "b", "department": "Nowhere"}, 422, "department"),
    ],
)
def test_create_page_validation_errors(
    api: Any, payload: dict[str, Any], status: int, field: str
) -> None:
    error = assert_error(api.post("/api/v1/pages", json=payload), status)
    assert field in error["fields"]


def test_malformed_json_is_400(api: Any) -> None:
    response = api.post("/api/v1/pages", data="{not json", content_type="application/json")
    assert assert_error(response, 400)["code"] == "bad_request"


def test_missing_base_revision_is_422(api: Any, session: Session, author: User) -> None:
    make_page(session, author, title="Base")
    error = assert_error(api.post("/api/v1/pages/base/revisions", json={"body": "x"}), 422)
    assert "base_revision_id" in error["fields"]


def test_unknown_things_are_404(api: Any) -> None:
    assert_error(api.get("/api/v1/pages/none"), 404)
    assert_error(api.get("/api/v1/revisions/12345"), 404)
    assert_error(api.get("/api/v1/no-such-endpoint"), 404)
    assert_error(api.get("/api/v1/users/ghost"), 404)


def test_archive_by_other_user_is_403(
    app: Flask, api: Any, session: Session, reviewer: User
) -> None:
    make_page(session, reviewer, title="Theirs")
    assert_error(api.post("/api/v1/pages/theirs/archive"), 403)


def test_archive_and_restore(api: Any, session: Session, author: User) -> None:
    make_page(session, author, title="Mine")
    assert api.post("/api/v1/pages/mine/archive").get_json()["archived"] is True
    assert api.get("/api/v1/pages").get_json()["total"] == 0
    assert_error(api.post("/api/v1/pages/mine/archive"), 409)
    assert api.post("/api/v1/pages/mine/restore").get_json()["archived"] is False


def test_session_authenticated_writes_need_csrf_token(author_client: Any) -> None:
    refused = author_client.post("/api/v1/render", json={"markdown": "x"}, csrf=False)
    assert assert_error(refused, 400)["code"] == "csrf_failed"
    assert author_client.post("/api/v1/render", json={"markdown": "x"}).status_code == 200


def test_render_is_for_signed_in_writers(app: Flask, author_client: Any) -> None:
    anonymous = app.test_client().post("/api/v1/render", json={"markdown": "*hi*"})
    assert anonymous.status_code == 401
    response = author_client.post("/api/v1/render", json={"markdown": "*hi*"})
    assert response.get_json() == {"html": "<p><em>hi</em></p>\n"}


def test_render_refuses_huge_input_with_clear_message(api: Any) -> None:
    error = assert_error(api.post("/api/v1/render", json={"markdown": "x" * 200_001}), 422)
    assert "limit" in error["fields"]["markdown"]


def test_me_describes_token_owner(api: Any) -> None:
    assert api.get("/api/v1/me").get_json()["username"] == "alex"


def test_openapi_documents_every_api_route(app: Flask, client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = {
        (path, method.upper()) for path, item in document["paths"].items() for method in item
    }
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = rule.rule.removeprefix("/api/v1")
        for converter in ("<int:", "<"):
            path = path.replace(converter, "{")
        path = path.replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, f"{method} {path} is not in openapi.json"
