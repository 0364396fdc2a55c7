"""The editor's "Save draft" and "Save and request review"."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Notification, Proposal, Revision, User
from tests.factories import make_page

BODY = "# Expenses\n\nFile receipts within 30 days.\n"


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


@pytest.fixture
def published(session: Session, author: User, reviewer: User) -> Revision:
    make_page(session, reviewer, title="Travel budget", body="Budgets.\n", tags=["finance"])
    return make_page(session, author, title="Expenses", body=BODY, tags=["finance"])


def _form(author_client: Any, url: str) -> dict[str, str]:
    page = text(author_client.get(url))
    fields = dict(
        re.findall(r'name="(title|tags|base_revision_id|department)"[^>]*value="([^"]*)"', page)
    )
    return {**fields, "department": "Engineering"}


def test_editor_offers_both_saves_and_suggested_reviewers(
    author_client: Any, published: Revision
) -> None:
    page = text(author_client.get("/wiki/expenses/edit"))
    assert 'name="then" value="draft">Save draft</button>' in page
    assert 'name="then" value="review">Save and request review</button>' in page
    picker = page.split('class="review-picker"')[1].split("</fieldset>")[0]
    assert 'value="fatima"' in picker and "Wrote 1 page tagged #finance" in picker
    assert "a Finance view on an Engineering page" in picker


def test_save_and_request_review_asks_the_picked_reviewers(
    author_client: Any, reviewer_client: Any, session: Session, published: Revision
) -> None:
    data = _form(author_client, "/wiki/expenses/edit")
    response = author_client.post(
        "/wiki/expenses/edit",
        data={**data, "body": BODY + "Use form E-12.\n", "then": "review", "reviewers": "fatima"},
        follow_redirects=True,
    )
    page = text(response)
    assert "Saved and sent for review. Reviewers have been notified." in page
    assert "status--in_review" in page.split('id="status-heading"')[1]
    proposal = session.scalars(select(Proposal).order_by(Proposal.id.desc())).first()
    assert proposal is not None and proposal.state == "in_review"
    assert [request.reviewer.username for request in proposal.requests] == ["fatima"]
    queue = text(reviewer_client.get("/review"))
    assert "Expenses" in queue
    assert session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "review_requested"
    )) == 1  # fmt: skip


def test_save_and_request_review_without_reviewers_saves_nothing_and_keeps_the_text(
    author_client: Any, session: Session, published: Revision
) -> None:
    before = session.scalar(select(func.count()).select_from(Revision))
    data = _form(author_client, "/wiki/expenses/edit")
    response = author_client.post(
        "/wiki/expenses/edit", data={**data, "body": BODY + "My new line.\n", "then": "review"}
    )
    assert response.status_code == 400
    page = text(response)
    assert "Pick at least one colleague or department to review this." in page
    assert "My new line." in page
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Revision)) == before


def test_save_draft_asks_nobody(author_client: Any, session: Session, published: Revision) -> None:
    data = _form(author_client, "/wiki/expenses/edit")
    response = author_client.post(
        "/wiki/expenses/edit",
        data={**data, "body": BODY + "Draft line.\n", "then": "draft", "reviewers": "fatima"},
        follow_redirects=True,
    )
    assert "Your changes are saved in your proposal" in text(response)
    proposal = session.scalars(select(Proposal).order_by(Proposal.id.desc())).first()
    assert proposal is not None and proposal.state == "draft" and not proposal.requests


def test_a_new_page_can_be_sent_for_review_as_it_is_saved(
    author_client: Any, session: Session, reviewer: User
) -> None:
    page = text(author_client.get("/new"))
    assert "Save and request review" in page
    response = author_client.post(
        "/new",
        data={
            "title": "Parking", "body": "Park in bay 4.\n", "department": "Engineering",
            "then": "review", "departments": "Finance",
        },
        follow_redirects=True,
    )  # fmt: skip
    assert "Saved and sent for review" in text(response)
    proposal = session.scalars(select(Proposal).order_by(Proposal.id.desc())).first()
    assert proposal is not None and proposal.state == "in_review"
    assert [request.reviewer.username for request in proposal.requests] == ["fatima"]


def test_after_changes_were_requested_saving_asks_the_reviewers_again(
    author_client: Any, reviewer_client: Any, session: Session, published: Revision
) -> None:
    data = _form(author_client, "/wiki/expenses/edit")
    author_client.post(
        "/wiki/expenses/edit",
        data={**data, "body": BODY + "Form.\n", "then": "review", "reviewers": "fatima"},
    )
    proposal = session.scalars(select(Proposal).order_by(Proposal.id.desc())).first()
    assert proposal is not None
    head = proposal.head_revision_id
    url = f"/proposals/{proposal.id}"
    reviewer_client.post(
        f"{url}/comments", data={"body": "Which?", "line": "4", "revision_id": head}
    )
    reviewer_client.post(f"{url}/reviews", data={"verdict": "request_changes", "revision_id": head})
    data = _form(author_client, "/wiki/expenses/edit")
    assert "Already asked: Fatima Khan" in text(author_client.get("/wiki/expenses/edit"))
    response = author_client.post(
        "/wiki/expenses/edit",
        data={**data, "body": BODY + "Form E-12.\n", "then": "review"},
        follow_redirects=True,
    )
    assert "Saved and sent for review" in text(response)
    session.expire_all()
    assert session.get(Proposal, proposal.id).state == "in_review"  # type: ignore[union-attr]
