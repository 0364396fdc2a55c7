"""Restoring an old version: it comes back as a new proposal, reviewed like any edit."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Page, Proposal, User
from app.review.approval import ApprovalRules, Verdict
from app.services import review
from tests.conftest import WikiClient
from tests.factories import edit_page, make_page, make_user

V1 = "# Expenses\n\nSubmit receipts monthly.\n"
V2 = "# Expenses\n\nSubmit receipts whenever.\n"


def _signed_in(app: Flask, username: str) -> WikiClient:
    app.test_client_class = WikiClient
    client: WikiClient = app.test_client()  # type: ignore[assignment]
    client.login(username)
    return client


def test_an_old_version_is_restored_through_review(
    app: Flask, session: Session, author: User, reviewer: User
) -> None:
    first = make_page(session, author, title="Expense Claims", body=V1, tags=["finance"])
    edit_page(session, author, first, V2, title="Expense Notes", tags=["money"])
    alex = _signed_in(app, author.username)
    old = alex.get(f"/wiki/expense-notes/revisions/{first.id}").get_data(as_text=True)
    assert "Restore this version" in old
    response = alex.post(f"/wiki/expense-notes/revisions/{first.id}/restore")
    assert response.status_code == 302 and "/proposals/" in response.headers["Location"]
    detail = alex.get(response.headers["Location"]).get_data(as_text=True)
    assert "A proposal that restores this version is saved as a draft" in detail
    proposal = session.scalars(select(Proposal).order_by(Proposal.id.desc())).first()
    assert proposal is not None and proposal.head_revision is not None
    head = proposal.head_revision
    assert (head.body, head.title, head.tags, head.summary) == (
        V1, "Expense Claims", ["finance"], "Restore revision 1",
    )  # fmt: skip
    page = session.scalars(select(Page)).one()
    assert page.published_revision is not None and page.published_revision.body == V2  # not yet
    review.submit(session, actor=author, revision_id=head.id, rules=ApprovalRules(),
                  reviewers=[reviewer.username])  # fmt: skip
    review.add_review(session, actor=reviewer, revision_id=head.id, verdict=Verdict.APPROVE,
                      rules=ApprovalRules())  # fmt: skip
    session.expire_all()
    page = session.scalars(select(Page)).one()
    assert page.published_revision is not None and page.published_revision.body == V1
    assert page.title == "Expense Claims"


def test_the_published_version_is_not_restored_over_itself(
    app: Flask, session: Session, author: User
) -> None:
    current = make_page(session, author, title="Expense Claims", body=V1)
    alex = _signed_in(app, author.username)
    response = alex.post(f"/wiki/expense-claims/revisions/{current.id}/restore")
    assert response.status_code == 302
    shown = alex.get(response.headers["Location"]).get_data(as_text=True)
    assert "This is the published version already." in shown
    assert len(session.scalars(select(Proposal)).all()) == 1  # only the page's own


def test_a_draft_revision_of_someone_else_cannot_be_restored(
    app: Flask, session: Session, author: User
) -> None:
    first = make_page(session, author, title="Expense Claims", body=V1)
    draft = edit_page(session, author, first, V2, publish=False)
    make_user(session, username="hana", department="People")
    hana = _signed_in(app, "hana")
    response = hana.post(f"/wiki/expense-claims/revisions/{draft.id}/restore")
    assert response.status_code == 404
    assert len(session.scalars(select(Proposal)).all()) == 2
