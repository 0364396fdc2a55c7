"""Trust rules a user notices: only real peers approve, one request is one transaction, and a
wiki can be closed to anonymous readers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Page, Proposal, Revision, User
from app.review.approval import ApprovalRules
from app.services import comments, pages, review
from tests.conftest import WikiClient, make_app
from tests.factories import edit_page, make_page, make_user

RULES = ApprovalRules()


def test_an_administrator_who_edits_a_proposal_can_no_longer_approve_or_override_it(
    api_for: Any, session: Session, author: User, reviewer: User, admin: User
) -> None:
    published = make_page(session, author, title="Expenses")
    draft = edit_page(session, author, published, "Receipts within 30 days.\n", ask=reviewer)
    fixed = edit_page(session, admin, draft, "Receipts within 30 days, scanned.\n", publish=False)
    as_admin = api_for(admin)
    refused = as_admin.post(f"/api/v1/revisions/{fixed.id}/reviews", json={"verdict": "approve"})
    assert refused.status_code == 403
    assert "not be independent" in refused.get_json()["error"]["message"]
    comments.add_comment(
        session, actor=reviewer, revision_id=fixed.id, body="Which scanner?", line=1
    )
    review.add_review(session, actor=reviewer, revision_id=fixed.id, verdict="request_changes",
                      rules=RULES)  # fmt: skip
    override = as_admin.post(f"/api/v1/revisions/{fixed.id}/override", json={"reason": "fine"})
    assert override.status_code == 403
    session.expire_all()
    assert session.get(Proposal, fixed.proposal_id).state == "changes_requested"  # type: ignore[union-attr]


def test_the_proposal_page_offers_a_contributor_no_approve_button(
    admin_client: Any, session: Session, author: User, reviewer: User, admin: User
) -> None:
    published = make_page(session, author, title="Expenses")
    draft = edit_page(session, author, published, "Receipts within 30 days.\n", ask=reviewer)
    edit_page(session, admin, draft, "Receipts within 30 days, scanned.\n", publish=False)
    page = admin_client.get(f"/proposals/{draft.proposal_id}").get_data(as_text=True)
    assert 'value="approve"' not in page
    assert "you can comment but not approve it" in page


def test_creating_and_submitting_a_page_is_one_transaction(
    api_for: Any, session: Session, author: User, reviewer: User
) -> None:
    alex = api_for(author)
    attempt = {"title": "Travel policy", "body": "Book through the portal.", "submit": True}
    refused = alex.post("/api/v1/pages", json={**attempt, "reviewers": ["nobody-like-this"]})
    assert refused.status_code == 422 and "reviewers" in refused.get_json()["error"]["fields"]
    assert session.scalar(select(func.count()).select_from(Page)) == 0
    assert session.scalar(select(func.count()).select_from(Revision)) == 0
    created = alex.post("/api/v1/pages", json={**attempt, "reviewers": ["fatima"]})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["latest_revision"]["status"] == "in_review"


def test_an_edit_submitted_to_an_unknown_reviewer_is_not_saved(
    api_for: Any, session: Session, author: User, reviewer: User
) -> None:
    published = make_page(session, author, title="Expenses")
    answer = api_for(author).post(
        "/api/v1/pages/expenses/revisions",
        json={"body": "new text", "base_revision_id": published.id, "submit": True,
              "reviewers": ["ghost"]},
    )  # fmt: skip
    assert answer.status_code == 422
    assert session.scalar(select(func.count()).select_from(Revision)) == 1


def test_an_archived_page_is_for_members_only(
    client: Any, author_client: Any, session: Session, author: User
) -> None:
    make_page(session, author, title="Old VPN", body="Use the old VPN.")
    pages.archive(session, actor=author, slug="old-vpn")
    assert client.get("/wiki/old-vpn").status_code == 404
    assert client.get("/api/v1/pages/old-vpn").status_code == 404
    member_view = author_client.get("/wiki/old-vpn")
    assert member_view.status_code == 200
    assert "This page was archived" in member_view.get_data(as_text=True)


def test_a_closed_wiki_asks_anonymous_visitors_to_sign_in(
    tmp_path: Path, database_url: str
) -> None:
    app = make_app(tmp_path, database_url, ANONYMOUS_READ=False)
    try:
        with app.extensions["wiki.sessionmaker"]() as session:
            author = make_user(session, username="alex", name="Alex Rivera")
            make_page(session, author, title="Expenses", body="Internal only.")
        app.test_client_class = WikiClient
        anonymous: Any = app.test_client()
        page = anonymous.get("/wiki/expenses")
        assert page.status_code == 302 and "/login?next=/wiki/expenses" in page.headers["Location"]
        api = anonymous.get("/api/v1/pages/expenses")
        assert api.status_code == 401 and api.get_json()["error"]["code"] == "unauthorized"
        assert anonymous.get("/login").status_code == 200
        css = anonymous.get("/static/css/peerwiki.css")
        assert css.status_code == 200
        css.close()
        anonymous.login("alex")
        assert "Internal only." in anonymous.get("/wiki/expenses").get_data(as_text=True)
    finally:
        app.extensions["wiki.engine"].dispose()


def test_headers_keep_images_local_member_pages_uncached_and_production_on_https(
    tmp_path: Path, database_url: str, client: Any, author_client: Any
) -> None:
    anonymous = client.get("/")
    policy = anonymous.headers["Content-Security-Policy"]
    assert "img-src 'self' data:;" in policy and "https:" not in policy
    assert "no-store" not in anonymous.headers.get("Cache-Control", "")
    assert "Strict-Transport-Security" not in anonymous.headers
    assert author_client.get("/").headers["Cache-Control"] == "private, no-store"
    assert author_client.get("/api/v1/me").headers["Cache-Control"] == "private, no-store"
    app = make_app(tmp_path, database_url, ENV="production", SECRET_KEY="s" * 40,
                   BASE_URL="https://wiki.example.com",
                   IMAGE_HOSTS="images.example.com, http://intranet.example")  # fmt: skip
    try:
        answer = app.test_client().get("/")
        assert answer.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert (
            "img-src 'self' data: https://images.example.com http://intranet.example;"
            in answer.headers["Content-Security-Policy"]
        )
    finally:
        app.extensions["wiki.engine"].dispose()


def test_rendering_is_bounded_and_for_signed_in_writers(
    client: Any, author_client: Any, api_for: Any, session: Session, author: User
) -> None:
    assert client.post("/api/v1/render", json={"markdown": "*hi*"}).status_code == 401
    refused = author_client.post("/api/v1/render", json={"markdown": "[" * 190_000})
    assert refused.status_code == 422
    assert "at most 3,000 fit in one page" in refused.get_json()["error"]["fields"]["markdown"]
    table = "|a|b|\n|-|-|\n" + "|x|y|\n" * 20_000
    saved = api_for(author).post("/api/v1/pages", json={"title": "Huge table", "body": table})
    assert saved.status_code == 422 and "Split it" in saved.get_json()["error"]["fields"]["body"]
    assert session.scalar(select(func.count()).select_from(Page)) == 0
    assert author_client.post("/api/v1/render", json={"markdown": "*hi*"}).status_code == 200
