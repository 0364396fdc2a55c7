"""The server-rendered site through the Flask test client."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Page, User
from app.services import users
from tests.factories import FAST_PASSWORD_METHOD, PASSWORD, edit_page, make_page, make_user


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def test_home_lists_recent_pages_departments_and_tags(
    client: FlaskClient, session: Session, author: User
) -> None:
    make_page(session, author, title="Laptop setup", tags=["onboarding"])
    body = text(client.get("/"))
    assert "Laptop setup" in body and "Engineering" in body and "#onboarding" in body


def test_page_view_shows_metadata_toc_and_backlinks(
    client: FlaskClient, session: Session, author: User
) -> None:
    make_page(session, author, title="Target", body="# One\n\n## Two\n\ntext", tags=["x"])
    make_page(session, author, title="Source", body="See [[Target]]")
    body = text(client.get("/wiki/target"))
    assert '<h1 class="page__title">Target</h1>' in body
    assert "Alex Rivera" in body and "Engineering" in body and "#x" in body
    assert 'href="#two"' in body  # table of contents
    assert re.search(r"Linked from.*Source", body, re.S)
    assert "Edit</a>" not in body  # anonymous readers get no edit button


def test_old_slug_redirects_permanently(
    client: FlaskClient, session: Session, author: User
) -> None:
    first = make_page(session, author, title="Old Title")
    edit_page(session, author, first, first.body, title="New Title")
    response = client.get("/wiki/old-title")
    assert response.status_code == 301 and response.headers["Location"] == "/wiki/new-title"


def test_old_slug_of_a_diff_redirects_with_the_same_query(
    client: FlaskClient, session: Session, author: User
) -> None:
    first = make_page(session, author, title="Old Title")
    edit_page(session, author, first, first.body, title="New Title")
    query = f"from={first.id}&_external=1&_scheme=javascript"
    response = client.get(f"/wiki/old-title/diff?{query}")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/wiki/new-title/diff?{query}"


def test_missing_page_offers_to_create_it(author_client: Any) -> None:
    response = author_client.get("/wiki/not-yet?title=Not%20Yet")
    assert response.status_code == 404
    assert "/new?title=Not+Yet" in text(response)


def test_new_page_requires_sign_in(client: FlaskClient) -> None:
    response = client.get("/new")
    assert response.status_code == 302 and "/login?next=%2Fnew" in response.headers["Location"]


def test_create_page_through_form(author_client: Any, session: Session) -> None:
    response = author_client.post(
        "/new",
        data={
            "title": "Team Lunch",
            "body": "# Lunch\n\nFridays.",
            "tags": "social, food",
            "department": "Engineering",
            "summary": "new",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].startswith("/proposals/")
    page = session.scalar(select(Page).where(Page.slug == "team-lunch"))
    assert page is not None and page.published_revision_id is None
    assert (
        page.latest_revision.tags == ["social", "food"] and page.latest_revision.status == "draft"
    )


def test_invalid_form_keeps_text_and_shows_error(author_client: Any) -> None:
    response = author_client.post("/new", data={"title": "!!!", "body": "my precious text"})
    assert response.status_code == 400
    assert "my precious text" in text(response) and "at least one letter" in text(response)


def test_edit_form_carries_base_revision(
    author_client: Any, session: Session, author: User
) -> None:
    revision = make_page(session, author, title="Base")
    body = text(author_client.get("/wiki/base/edit"))
    assert f'name="base_revision_id" type="hidden" value="{revision.id}"' in body


def test_edit_conflict_keeps_text_and_shows_diff(
    author_client: Any, session: Session, author: User, reviewer: User
) -> None:
    first = make_page(session, author, title="Busy", body="line one\nline two\n")
    edit_page(session, reviewer, first, "line one\nline 2 by fatima\n")
    response = author_client.post(
        "/wiki/busy/edit",
        data={
            "title": "Busy",
            "body": "my own careful edit",
            "base_revision_id": str(first.id),
            "department": "Engineering",
        },
    )
    assert response.status_code == 409
    body = text(response)
    assert "Someone else saved this page" in body
    assert "my own careful edit" in body
    conflict = body.split('class="conflict"', 1)[1].split("</section>", 1)[0]
    assert "<del>two</del>" in conflict and "<ins>2 by fatima</ins>" in conflict
    latest = session.scalar(select(Page).where(Page.slug == "busy")).latest_revision_id
    assert f'name="base_revision_id" type="hidden" value="{latest}"' in body


def test_history_and_diff_pages(client: FlaskClient, session: Session, author: User) -> None:
    first = make_page(session, author, title="Hist", body="alpha beta\n")
    second = edit_page(session, author, first, "alpha gamma\n", summary="swap word")
    history = text(client.get("/wiki/hist/history"))
    assert "swap word" in history and "#2" in history and "#1" in history
    diff = text(client.get(f"/wiki/hist/diff?from={first.id}&to={second.id}"))
    assert "<del>beta</del>" in diff and "<ins>gamma</ins>" in diff
    old = text(client.get(f"/wiki/hist/revisions/{first.id}"))
    assert "alpha beta" in old and "You are looking at revision 1" in old


def test_archive_and_restore_buttons(author_client: Any, session: Session, author: User) -> None:
    make_page(session, author, title="Temp")
    response = author_client.post("/wiki/temp/archive")
    assert response.status_code == 302
    assert "This page was archived" in text(author_client.get("/wiki/temp"))
    author_client.post("/wiki/temp/restore")
    assert "This page was archived" not in text(author_client.get("/wiki/temp"))


def test_archive_by_non_author_is_403(reviewer_client: Any, session: Session, author: User) -> None:
    make_page(session, author, title="Not yours")
    response = reviewer_client.post("/wiki/not-yours/archive")
    assert response.status_code == 403 and "archive or restore" in text(response)


def test_forms_without_csrf_token_are_refused(author_client: Any, session: Session) -> None:
    response = author_client.post("/new", data={"title": "X", "body": "y"}, csrf=False)
    assert response.status_code == 400 and "Form expired" in text(response)
    assert session.scalar(select(Page).where(Page.slug == "x")) is None


def test_signup_creates_account_and_signs_in(client: Any, session: Session) -> None:
    make_user(session, username="seed", department="Finance")
    response = client.post(
        "/signup",
        data={
            "username": "newbie",
            "name": "New Hire",
            "email": "newbie@example.com",
            "department": "Finance",
            "password": "long-enough-pw",
            "confirm": "long-enough-pw",
        },
    )
    assert response.status_code == 302
    assert "New Hire" in text(client.get("/"))
    newbie = users.find_user(session, "newbie")
    assert newbie is not None and newbie.password_hash.startswith(f"{FAST_PASSWORD_METHOD}$")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"password": "short", "confirm": "short"}, "at least 10"),
        ({"confirm": "different-pw-1"}, "passwords differ"),
        ({"username": "seed"}, "is taken"),
        ({"department": "Nowhere"}, "Not a valid choice"),
    ],
)
def test_signup_validation(
    client: Any, session: Session, override: dict[str, str], message: str
) -> None:
    make_user(session, username="seed", department="Finance")
    data = {
        "username": "newbie",
        "name": "New Hire",
        "email": "n@example.com",
        "department": "Finance",
        "password": "long-enough-pw",
        "confirm": "long-enough-pw",
        **override,
    }
    response = client.post("/signup", data=data)
    assert response.status_code == 400 and message in text(response)


def test_login_wrong_password(client: Any, author: User) -> None:
    response = client.post("/login", data={"username": "alex", "password": "wrong"})
    assert response.status_code == 400 and "do not match" in text(response)


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/wiki/x", "/wiki/x"),
        ("https://evil.example/", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
    ],
)
def test_login_redirects_only_within_site(
    client: Any, author: User, next_url: str, expected: str
) -> None:
    response = client.post(
        "/login", data={"username": "alex", "password": PASSWORD, "next": next_url}
    )
    assert response.headers["Location"] == expected


def test_remember_me_sets_cookie(client: Any, author: User) -> None:
    response = client.post(
        "/login", data={"username": "alex", "password": PASSWORD, "remember": "y"}
    )
    assert any(
        value.startswith("remember_token=") for value in response.headers.getlist("Set-Cookie")
    )


def test_logout(author_client: Any) -> None:
    author_client.post("/logout")
    assert author_client.get("/new").status_code == 302


def test_profile_lists_pages_and_revisions(
    client: FlaskClient, session: Session, author: User
) -> None:
    make_page(session, author, title="Mine")
    body = text(client.get("/users/alex"))
    assert "Alex Rivera" in body and "Mine" in body and "Mine #1" in body
    assert client.get("/users/ghost").status_code == 404


def test_departments_admin_can_add_others_cannot(
    admin_client: Any, author_client: Any, session: Session
) -> None:
    assert admin_client.post("/departments", data={"name": "Legal"}).status_code == 302
    assert "Legal" in text(admin_client.get("/departments"))
    assert author_client.post("/departments", data={"name": "Sales"}).status_code == 403


def test_security_headers_and_styled_404(client: FlaskClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404 and "Go to the home page" in text(response)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_page_text_is_not_a_template(client: FlaskClient, session: Session, author: User) -> None:
    make_page(session, author, title="Braces", body="{{ 7*7 }} {% if true %}yes{% endif %}")
    body = text(client.get("/wiki/braces"))
    prose = body.split('<div class="prose">', 1)[1].split("</div>", 1)[0]
    assert "{{ 7*7 }}" in prose and "49" not in prose


def test_highlight_stylesheet(client: FlaskClient) -> None:
    response = client.get("/assets/highlight.css")
    assert response.status_code == 200 and ".highlight" in text(response)


def test_sign_in_is_rate_limited(tmp_path: Any, database_url: str) -> None:
    from tests.conftest import WikiClient, make_app

    app = make_app(tmp_path, database_url, RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="3 per minute")
    app.test_client_class = WikiClient
    client = app.test_client()
    statuses = [
        client.post("/login", data={"username": "x", "password": "wrong-password"}).status_code
        for _ in range(4)
    ]
    assert statuses == [400, 400, 400, 429]
    app.extensions["wiki.engine"].dispose()
