"""Peer review through the site and the JSON API."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Revision, User
from app.services import proposals
from tests.factories import edit_page, make_page, make_user

BODY = "# Expenses\n\nline two\nline three\nline four\n"


def text(response: Any) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def published(session: Session, author: User) -> Revision:
    return make_page(session, author, title="Expenses", body=BODY, tags=["finance"])


def error_code(response: Any, status: int) -> str:
    assert response.status_code == status, text(response)
    return response.get_json()["error"]["code"]


def test_api_review_cycle(api_for: Any, author: User, reviewer: User, published: Revision) -> None:
    alex, fatima = api_for(author), api_for(reviewer)
    draft = alex.post(
        "/api/v1/pages/expenses/revisions",
        json={"body": BODY + "more\n", "base_revision_id": published.id},
    ).get_json()
    assert draft["status"] == "draft"
    # A draft is its author's alone: to a reviewer it does not exist yet.
    assert (
        error_code(
            fatima.post(f"/api/v1/revisions/{draft['id']}/reviews", json={"verdict": "approve"}),
            404,
        )
        == "not_found"
    )
    submitted = alex.post(f"/api/v1/revisions/{draft['id']}/submit", json={"reviewers": ["fatima"]})
    assert submitted.status_code == 200 and submitted.get_json()["state"] == "in_review"
    queue = fatima.get("/api/v1/review-queue").get_json()
    assert [p["head_revision_id"] for p in queue["waiting_for_my_review"]] == [draft["id"]]
    assert (
        error_code(
            alex.post(f"/api/v1/revisions/{draft['id']}/reviews", json={"verdict": "approve"}), 403
        )
        == "forbidden"
    )
    comment = fatima.post(
        f"/api/v1/revisions/{draft['id']}/comments", json={"body": "Which form?", "line": 3}
    )
    assert comment.status_code == 201 and comment.get_json()["anchor_text"] == "line two"
    reply = alex.post(
        f"/api/v1/revisions/{draft['id']}/comments",
        json={"body": "E-12", "parent_id": comment.get_json()["id"]},
    )
    assert reply.status_code == 201
    threads = fatima.get(f"/api/v1/revisions/{draft['id']}/comments").get_json()["items"]
    assert threads[0]["replies"][0]["body"] == "E-12"
    blocked = fatima.post(
        f"/api/v1/revisions/{draft['id']}/reviews",
        json={"verdict": "request_changes", "summary": "Name the form", "rubric": {"accuracy": 2}},
    )
    assert (
        blocked.status_code == 201
        and blocked.get_json()["proposal"]["state"] == "changes_requested"
    )
    assert "changes_requested" in [
        n["kind"] for n in alex.get("/api/v1/notifications").get_json()["items"]
    ]
    resolved = alex.post(f"/api/v1/comments/{comment.get_json()['id']}/resolve")
    assert resolved.get_json()["resolved"] is True
    second = alex.post(
        "/api/v1/pages/expenses/revisions",
        json={"body": BODY + "form E-12\n", "base_revision_id": draft["id"]},
    ).get_json()
    approved = fatima.post(
        f"/api/v1/revisions/{second['id']}/reviews", json={"verdict": "approve", "summary": "Great"}
    )
    assert approved.get_json()["proposal"]["state"] == "published"
    page = alex.get("/api/v1/pages/expenses").get_json()
    assert (
        page["published_revision"]["id"] == second["id"]
        and page["published_revision"]["status"] == "published"
    )
    record = alex.get(f"/api/v1/revisions/{second['id']}/review-record").get_json()
    assert [r["verdict"] for r in record["reviews"]] == ["request_changes", "approve"]
    assert record["reviews"][0]["rubric"] == {"accuracy": 2}
    assert [event["kind"] for event in record["timeline"]][-1] == "publish"


def test_api_validation_and_errors(
    api_for: Any, author: User, reviewer: User, published: Revision
) -> None:
    alex, fatima = api_for(author), api_for(reviewer)
    draft = alex.post(
        "/api/v1/pages/expenses/revisions", json={"body": "x\n", "base_revision_id": published.id}
    ).get_json()
    assert (
        error_code(
            alex.post(f"/api/v1/revisions/{draft['id']}/submit", json={"reviewers": ["ghost"]}), 422
        )
        == "invalid"
    )
    assert (
        error_code(
            alex.post(f"/api/v1/revisions/{draft['id']}/submit", json={"reviewers": "fatima"}), 422
        )
        == "invalid"
    )
    alex.post(f"/api/v1/revisions/{draft['id']}/submit", json={"departments": ["Finance"]})
    assert (
        error_code(
            fatima.post(f"/api/v1/revisions/{draft['id']}/reviews", json={"verdict": "maybe"}), 422
        )
        == "invalid"
    )
    assert (
        error_code(
            fatima.post(
                f"/api/v1/revisions/{draft['id']}/reviews", json={"verdict": "request_changes"}
            ),
            422,
        )
        == "invalid"
    )
    assert (
        error_code(
            fatima.post(
                f"/api/v1/revisions/{draft['id']}/comments", json={"body": "x", "line": "3"}
            ),
            422,
        )
        == "invalid"
    )
    assert (
        error_code(fatima.post("/api/v1/revisions/99999/comments", json={"body": "x"}), 404)
        == "not_found"
    )
    assert error_code(fatima.post(f"/api/v1/revisions/{draft['id']}/withdraw"), 403) == "forbidden"
    assert alex.post(f"/api/v1/revisions/{draft['id']}/withdraw").get_json()["state"] == "withdrawn"
    assert (
        error_code(alex.post(f"/api/v1/revisions/{draft['id']}/withdraw"), 409)
        == "invalid_transition"
    )
    imported = alex.post(f"/api/v1/revisions/{published.id}/submit", json={"reviewers": ["fatima"]})
    assert error_code(imported, 409) == "invalid_transition"


def test_api_suggestion_apply_and_reviewer_suggestions(
    api_for: Any, session: Session, author: User, reviewer: User, published: Revision
) -> None:
    alex, fatima = api_for(author), api_for(reviewer)
    draft = alex.post(
        "/api/v1/pages/expenses/revisions",
        json={"body": BODY + "tail\n", "base_revision_id": published.id},
    ).get_json()
    suggestions = alex.get(f"/api/v1/revisions/{draft['id']}/reviewer-suggestions").get_json()[
        "items"
    ]
    assert any(item["cross_department"] for item in suggestions)
    alex.post(f"/api/v1/revisions/{draft['id']}/submit", json={"reviewers": ["fatima"]})
    comment = fatima.post(
        f"/api/v1/revisions/{draft['id']}/comments",
        json={"body": "Shorter", "line": 5, "suggestion": "line 4"},
    ).get_json()
    assert error_code(fatima.post(f"/api/v1/comments/{comment['id']}/apply"), 403) == "forbidden"
    applied = alex.post(f"/api/v1/comments/{comment['id']}/apply")
    assert applied.status_code == 201 and "line 4" in applied.get_json()["body"]
    assert "@fatima" in applied.get_json()["summary"]


def test_proposal_page_shows_diff_comments_reviewers_and_timeline(
    author_client: Any,
    reviewer_client: Any,
    session: Session,
    author: User,
    reviewer: User,
    published: Revision,
) -> None:
    draft = edit_page(
        session,
        author,
        published,
        BODY.replace("line two", "line 2"),
        summary="shorter",
        publish=False,
    )
    page = text(author_client.get(f"/proposals/{draft.proposal_id}"))
    assert "<del>two</del>" in page and "<ins>2</ins>" in page
    assert "Ask for review" in page and "Suggested reviewers" in page
    response = author_client.post(
        f"/proposals/{draft.proposal_id}/submit", data={"reviewers": "fatima"}
    )
    assert response.status_code == 302
    form = text(reviewer_client.get(f"/proposals/{draft.proposal_id}?line=3#line-3"))
    assert "Comment on line 3" in form and "Your review of revision" in form and "Accuracy" in form
    reviewer_client.post(
        f"/proposals/{draft.proposal_id}/comments",
        data={"body": "Spell it out", "line": "3", "revision_id": str(draft.id)},
    )
    reviewer_client.post(
        f"/proposals/{draft.proposal_id}/reviews",
        data={
            "verdict": "request_changes",
            "summary": "Almost",
            "revision_id": str(draft.id),
            "rubric_clarity": "2",
        },
    )
    page = text(author_client.get(f"/proposals/{draft.proposal_id}"))
    assert "Spell it out" in page and "changes requested" in page
    assert "Changes requested by Fatima Khan" in page
    assert re.search(r"Timeline.*submit.*reviewed: request changes", page, re.S)


def test_request_changes_without_comment_is_explained(
    reviewer_client: Any,
    author_client: Any,
    session: Session,
    author: User,
    reviewer: User,
    published: Revision,
) -> None:
    draft = edit_page(session, author, published, "x\n", publish=False)
    author_client.post(f"/proposals/{draft.proposal_id}/submit", data={"reviewers": "fatima"})
    response = reviewer_client.post(
        f"/proposals/{draft.proposal_id}/reviews",
        data={"verdict": "request_changes", "revision_id": str(draft.id)},
        follow_redirects=True,
    )
    assert "Comment on the line that needs work" in text(response)


def test_page_view_banner_and_reviewed_by(
    author_client: Any,
    reviewer_client: Any,
    client: Any,
    session: Session,
    author: User,
    reviewer: User,
    published: Revision,
) -> None:
    draft = edit_page(session, author, published, BODY + "new\n", summary="add new", publish=False)
    # Nobody was asked to review the draft yet: it is not announced as waiting for review.
    own = text(author_client.get("/wiki/expenses"))
    assert "A draft change to this page is not yet sent for review" in own
    assert "waiting for review" not in own
    assert "sent for review" not in text(client.get("/wiki/expenses"))  # signed-out readers
    author_client.post(f"/proposals/{draft.proposal_id}/submit", data={"reviewers": "fatima"})
    assert "A change to this page is waiting for review" in text(
        author_client.get("/wiki/expenses")
    )
    reviewer_client.post(
        f"/proposals/{draft.proposal_id}/reviews",
        data={"verdict": "approve", "revision_id": str(draft.id)},
    )
    page = text(client.get("/wiki/expenses"))
    assert "Reviewed and approved by" in page and "Fatima Khan" in page and "review record" in page
    record = client.get(f"/proposals/{draft.proposal_id}/record.json", follow_redirects=True)
    assert record.status_code == 200 and record.get_json()["reviews"][0]["verdict"] == "approve"
    assert record.headers["Content-Disposition"].startswith("attachment;")


def test_edit_continues_own_open_proposal(
    author_client: Any, session: Session, author: User, published: Revision
) -> None:
    draft = edit_page(session, author, published, "my draft text\n", publish=False)
    page = text(author_client.get("/wiki/expenses/edit"))
    assert (
        "my draft text" in page
        and f'value="{draft.id}"' in page
        and "continuing your proposal" in page
    )


def test_queue_inbox_and_unread_count(
    author_client: Any, reviewer_client: Any, session: Session, author: User, published: Revision
) -> None:
    draft = edit_page(session, author, published, "x\n", publish=False)
    author_client.post(f"/proposals/{draft.proposal_id}/submit", data={"reviewers": "fatima"})
    home = text(reviewer_client.get("/"))
    assert 'aria-label="Inbox, 1 unread"' in home
    assert "Expenses" in text(reviewer_client.get("/review"))
    assert "asks you to review" in text(reviewer_client.get("/inbox"))
    reviewer_client.post("/inbox/read")
    assert 'aria-label="Inbox, 0 unread"' in text(reviewer_client.get("/"))


def test_rubric_admin_page(admin_client: Any, author_client: Any) -> None:
    assert "Accuracy" in text(admin_client.get("/admin/rubric"))
    assert author_client.get("/admin/rubric").status_code == 403
    admin_client.post(
        "/admin/rubric", data={"label": ["Accuracy", "Tone"], "guidance": ["Right?", "Kind?"]}
    )
    assert "Tone" in text(admin_client.get("/admin/rubric"))


def test_unpublished_new_page_is_not_visible_to_readers(
    client: Any, author_client: Any, session: Session, author: User
) -> None:
    draft = proposals.create_page(session, author=author, title="Secret Draft", body="wip")
    assert client.get("/wiki/secret-draft").status_code == 404
    assert "Secret Draft" not in text(client.get("/"))
    response = author_client.get("/wiki/secret-draft")
    assert response.status_code == 404 and f"/proposals/{draft.proposal_id}" in text(response)


def test_email_notifications_reach_a_real_smtp_server(
    tmp_path: Any, database_url: str, smtp_server: tuple[int, list[Any]]
) -> None:
    from tests.conftest import WikiClient, make_app

    port, received = smtp_server
    app = make_app(tmp_path, database_url, SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    db = app.extensions["wiki.sessionmaker"]()
    author = make_user(db, username="alex")
    make_user(db, username="fatima", department="Finance", email="fatima@example.com")
    first = make_page(db, author, title="Mail", body="hello\n")
    draft = proposals.save_revision(
        db, author=author, slug="mail", body="hello there\n", base_revision_id=first.id
    )
    app.test_client_class = WikiClient
    client = app.test_client()
    client.login("alex")
    response = client.post(f"/proposals/{draft.proposal_id}/submit", data={"reviewers": "fatima"})
    response.close()
    assert [e.rcpt_tos for e in received] == [["fatima@example.com"]]
    message = next(e for e in received if e.rcpt_tos == ["fatima@example.com"]).content.decode()
    assert "Review requested" in message and "asks you to review" in message
    db.close()
    app.extensions["wiki.engine"].dispose()


def test_admin_sets_department_review_rules(
    admin_client: Any, author_client: Any, session: Session, author: User
) -> None:
    response = admin_client.post(
        "/departments/Engineering/rules",
        data={"required_approvals": "2", "require_cross_department": "yes"},
    )
    assert response.status_code == 302
    session.refresh(author.department)
    assert (author.department.required_approvals, author.department.require_cross_department) == (
        2,
        True,
    )
    assert "Publishing needs 2 approvals, one from another department" in admin_client.get(
        "/departments"
    ).get_data(as_text=True)
    assert (
        author_client.post(
            "/departments/Engineering/rules", data={"required_approvals": "1"}
        ).status_code
        == 403
    )
    admin_client.post(
        "/departments/Engineering/rules",
        data={"required_approvals": "", "require_cross_department": ""},
    )
    session.refresh(author.department)
    assert (author.department.required_approvals, author.department.require_cross_department) == (
        None,
        None,
    )


def test_resolve_and_reopen_a_thread_from_the_proposal_page(
    author_client: Any,
    reviewer_client: Any,
    session: Session,
    author: User,
    reviewer: User,
    published: Revision,
) -> None:
    draft = edit_page(session, author, published, BODY + "x\n", ask=reviewer)
    reviewer_client.post(
        f"/proposals/{draft.proposal_id}/comments",
        data={"body": "Needs a date", "line": "3", "revision_id": str(draft.id)},
    )
    from app.models import Comment

    comment = session.scalars(select(Comment)).one()
    response = author_client.post(f"/comments/{comment.id}/resolve", data={"view": "source"})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"view=source#comment-{comment.id}"
    )
    session.refresh(comment)
    assert comment.resolved_at is not None
    author_client.post(f"/comments/{comment.id}/reopen")
    session.refresh(comment)
    assert comment.resolved_at is None


def test_proposal_page_offers_what_each_state_allows(
    author_client: Any,
    reviewer_client: Any,
    admin_client: Any,
    session: Session,
    author: User,
    published: Revision,
) -> None:
    draft = edit_page(session, author, published, BODY + "extra\n", publish=False)
    url = f"/proposals/{draft.proposal_id}"
    author_client.post(f"{url}/submit", data={"reviewers": "fatima"})
    in_review = text(author_client.get(url))
    assert "Ask more reviewers" in in_review and "Ask for review" not in in_review
    assert "Needs 1 more approval." in in_review
    reviewer_client.post(
        f"{url}/comments", data={"body": "Which form?", "line": "6", "revision_id": str(draft.id)}
    )
    reviewer_client.post(
        f"{url}/reviews",
        data={"verdict": "request_changes", "summary": "Name it", "revision_id": str(draft.id)},
    )
    blocked = text(admin_client.get(f"{url}?show=source"))
    assert 'class="status status--changes_requested">requested changes</span>' in blocked
    assert 'id="override-heading"' in blocked
    assert 'id="override-heading"' not in text(author_client.get(url))
    # the thread sits under its line of the diff, after the line's own row
    assert re.search(
        r'id="line-6".*?</div>\s*<div class="diff__threads" role="row">.*?Which form\?',
        blocked,
        re.S,
    )
    author_client.post(f"{url}/withdraw")
    withdrawn = text(author_client.get(url))
    assert "Reopen as draft" in withdrawn and "Withdraw</button>" not in withdrawn
    assert "Ask more reviewers" not in withdrawn and "Needs 1 more approval." not in withdrawn
