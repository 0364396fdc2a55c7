"""Onboarding paths: made, reviewed and published like pages; assigned to people and
departments; followed step by step, with "updated since you read it" and the owners' figures."""

from __future__ import annotations

import re
from pathlib import Path as FsPath
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.exceptions import Conflict, PermissionDenied, ValidationError
from app.models import AuditEntry, Notification, PathEnrolment, PathVersion, User
from app.review.approval import ApprovalRules
from app.services import paths, signup
from tests.conftest import WikiClient, make_app
from tests.factories import edit_page, make_page, make_user

RULES = ApprovalRules()


@pytest.fixture
def wiki(session: Session, author: User, reviewer: User) -> dict[str, Any]:
    """Three published pages, and a published path over them made by alex (Engineering)."""
    first = make_page(session, author, title="Expenses Guide", body="# Expenses\n\nReceipts.\n")
    second = make_page(session, author, title="Travel Policy", body="Book early.\n")
    third = make_page(session, author, title="Payroll Calendar", body="Paid monthly.\n")
    version = paths.create(
        session, author=author, title="Your first week in Finance",
        description="What to read before your first expense claim.",
        pages=["expenses-guide", "/wiki/travel-policy", "Payroll Calendar"], submit=True,
    )  # fmt: skip
    paths.review(session, actor=reviewer, path_id=version.path_id, verdict="approve", comment="", rules=RULES)  # fmt: skip
    return {"path_id": version.path_id, "pages": [first, second, third]}


def _signed_in(app: Flask, username: str) -> WikiClient:
    app.test_client_class = WikiClient
    client: WikiClient = app.test_client()  # type: ignore[assignment]
    client.login(username)
    return client


def _text(response: Any) -> str:
    return str(response.get_data(as_text=True))


# -- making and reviewing ----------------------------------------------------------------------


def test_a_new_path_is_a_draft_only_its_author_sees_until_it_is_submitted_and_approved(
    app: Flask, session: Session, author: User, reviewer: User, author_client: WikiClient
) -> None:
    make_page(session, author, title="Expenses Guide")
    make_page(session, author, title="Travel Policy")
    response = author_client.post("/paths/new", data={
        "title": "Your first week in Finance", "description": "Start here.",
        "pages": "expenses-guide\n/wiki/travel-policy\n", "submit": "0",
    })  # fmt: skip
    assert response.status_code == 302
    path_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = _text(author_client.get(f"/paths/{path_id}"))
    assert "Your first week in Finance" in page and "not published yet" in page
    assert "Send for review" in page
    reviewer_client = _signed_in(app, "fatima")
    assert reviewer_client.get(f"/paths/{path_id}").status_code == 404  # a draft is private
    app.test_client_class = WikiClient
    assert app.test_client().get(f"/paths/{path_id}").status_code == 404

    assert author_client.post(f"/paths/{path_id}/submit").status_code == 302
    in_review = _text(reviewer_client.get(f"/paths/{path_id}"))
    assert "in review" in in_review and "Approve" in in_review
    assert "Your first week in Finance" in _text(reviewer_client.get("/paths"))

    assert "Approve" not in _text(author_client.get(f"/paths/{path_id}"))
    own = author_client.post(f"/paths/{path_id}/reviews", data={"verdict": "approve"})
    assert own.status_code == 302
    assert "would not be independent" in _text(author_client.get(f"/paths/{path_id}"))
    assert paths.get(session, path_id, reader=author).is_published is False

    approved = reviewer_client.post(f"/paths/{path_id}/reviews", data={"verdict": "approve"})
    assert approved.status_code == 302
    session.expire_all()
    assert paths.get(session, path_id, reader=None).is_published
    anonymous = _text(app.test_client().get(f"/paths/{path_id}"))
    assert "Expenses Guide" in anonymous and "Travel Policy" in anonymous
    inbox = session.scalars(select(Notification).where(Notification.user_id == author.id)).all()
    assert any(
        "is published" in item.message and item.link == f"/paths/{path_id}" for item in inbox
    )
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "path.publish"))


def test_requested_changes_block_publication_until_a_new_version_is_approved(
    session: Session, author: User, reviewer: User
) -> None:
    make_page(session, author, title="Expenses Guide")
    make_page(session, author, title="Travel Policy")
    version = paths.create(session, author=author, title="Week one", description="", pages=["expenses-guide"], submit=True)  # fmt: skip
    with pytest.raises(ValidationError, match="Say what should change"):
        paths.review(session, actor=reviewer, path_id=version.path_id, verdict="request_changes", comment="", rules=RULES)  # fmt: skip
    session.rollback()
    blocked = paths.review(session, actor=reviewer, path_id=version.path_id, verdict="request_changes", comment="Add travel.", rules=RULES)  # fmt: skip
    assert blocked.state == "changes_requested"
    second = paths.revise(session, author=author, path_id=version.path_id, title="Week one", description="", pages=["expenses-guide", "travel-policy"], submit=True)  # fmt: skip
    session.refresh(version)
    assert version.state == "withdrawn" and second.number == 2
    published = paths.review(session, actor=reviewer, path_id=version.path_id, verdict="approve", comment="", rules=RULES)  # fmt: skip
    assert published.state == "published"
    assert [step.page.slug for step in paths.progress(session, published.path, reader=None).steps] == ["expenses-guide", "travel-policy"]  # fmt: skip


def test_an_edit_of_a_published_path_waits_for_review_while_readers_follow_the_old_one(
    app: Flask, session: Session, wiki: dict[str, Any], author: User, reviewer: User
) -> None:
    path_id = wiki["path_id"]
    make_page(session, author, title="Cost Centres")
    eli = make_user(session, username="eli", department="Sales")
    paths.revise(session, author=eli, path_id=path_id, title="Your first week in Finance", description="", pages=["expenses-guide", "cost-centres"], submit=True)  # fmt: skip
    path = paths.get(session, path_id, reader=None)
    assert [s.page.slug for s in paths.progress(session, path, reader=None).steps] == ["expenses-guide", "travel-policy", "payroll-calendar"]  # fmt: skip
    page = _text(_signed_in(app, "fatima").get(f"/paths/{path_id}"))
    assert "Proposed new version" in page and "Cost Centres" in page
    paths.review(session, actor=reviewer, path_id=path_id, verdict="approve", comment="", rules=RULES)  # fmt: skip
    states = session.scalars(select(PathVersion.state).where(PathVersion.path_id == path_id).order_by(PathVersion.number)).all()  # fmt: skip
    assert states == ["superseded", "published"]
    assert paths.owner_ids(session, path) == {author.id, eli.id}


def test_unknown_pages_and_empty_titles_are_refused_with_the_form_kept(
    session: Session, author: User, author_client: WikiClient
) -> None:
    make_page(session, author, title="Expenses Guide")
    response = author_client.post("/paths/new", data={"title": "", "pages": "expenses-guide\nno-such-page"})  # fmt: skip
    page = _text(response)
    assert response.status_code == 400
    assert "Give the path a title." in page and "No published page called “no-such-page”" in page
    assert "expenses-guide" in page


# -- assigning -----------------------------------------------------------------------------------


def test_assigning_to_a_person_tells_them_by_inbox_and_email_and_is_audited(
    tmp_path: FsPath, database_url: str, smtp_server: tuple[int, list[Any]]
) -> None:
    port, received = smtp_server
    app = make_app(tmp_path, database_url, SMTP_HOST="127.0.0.1", SMTP_PORT=port, BASE_URL="https://wiki.example.com")  # fmt: skip
    db: Session = app.extensions["wiki.sessionmaker"]()
    alex = make_user(db, username="alex")
    fatima = make_user(db, username="fatima", department="Finance")
    make_user(db, username="sam", department="Finance", email="sam@example.com")
    make_page(db, alex, title="Expenses Guide")
    version = paths.create(db, author=alex, title="Finance basics", description="", pages=["expenses-guide"], submit=True)  # fmt: skip
    paths.review(db, actor=fatima, path_id=version.path_id, verdict="approve", comment="", rules=RULES)  # fmt: skip
    received.clear()
    client = _signed_in(app, "alex")
    response = client.post(f"/paths/{version.path_id}/assignments", data={"username": "sam"})
    assert response.status_code == 302
    assert "Assigned to sam" in _text(client.get(f"/paths/{version.path_id}"))
    emails = [e for e in received if e.rcpt_tos == ["sam@example.com"]]
    assert len(emails) == 1
    body = emails[0].content.decode()
    assert "Finance basics" in body and f"https://wiki.example.com/paths/{version.path_id}" in body
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "path.assign"))
    assert entry is not None and entry.actor_id == alex.id and entry.detail == {"user": "sam", "people": 1}  # fmt: skip
    mine = _text(_signed_in(app, "sam").get("/paths/mine"))
    assert "Finance basics" in mine and "assigned to you" in mine and "0 of 1 steps done" in mine
    again = client.post(f"/paths/{version.path_id}/assignments", data={"username": "sam"})
    assert again.status_code == 302
    assert "assigned there already" in _text(client.get(f"/paths/{version.path_id}"))
    db.close()
    app.extensions["wiki.engine"].dispose()


def test_a_department_assignment_reaches_its_members_and_whoever_joins_it_later(
    app: Flask, session: Session, wiki: dict[str, Any], author: User, admin: User
) -> None:
    path_id = wiki["path_id"]
    make_user(session, username="nia", department="Finance")
    paths.assign(session, actor=author, path_id=path_id, department="Finance")

    def following(username: str) -> bool:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        return any(item.path.id == path_id for item in paths.mine(session, user))

    assert following("fatima") and following("nia") and not following("alex")
    make_user(session, username="newhire", department="Finance")  # an account made later
    assert following("newhire")
    make_user(session, username="mover", department="Sales")
    assert not following("mover")
    signup.set_department(session, actor=admin, username="mover", department="Finance")
    assert following("mover")
    told = session.scalars(select(Notification).where(Notification.kind == "path_assigned")).all()
    assert sorted(item.user.username for item in told) == ["fatima", "mover", "newhire", "nia"]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "path.assign"))
    assert entry is not None and entry.detail == {"department": "Finance", "people": 2}


def test_only_owners_space_members_and_administrators_assign_and_only_published_paths(
    session: Session, wiki: dict[str, Any], author: User, reviewer: User
) -> None:
    with pytest.raises(PermissionDenied, match="Only administrators, the path's owners"):
        paths.assign(session, actor=reviewer, path_id=wiki["path_id"], username="alex")
    make_user(session, username="sam", department="Finance")
    within = paths.assign(session, actor=reviewer, path_id=wiki["path_id"], username="sam")
    assert within.user is not None and within.user.username == "sam"  # Finance's space member
    paths.assign(session, actor=reviewer, path_id=wiki["path_id"], department="Finance")
    draft = paths.create(session, author=author, title="Later", description="", pages=["expenses-guide"])  # fmt: skip
    with pytest.raises(Conflict, match="Only a published path"):
        paths.assign(session, actor=author, path_id=draft.path_id, username="fatima")


# -- following -----------------------------------------------------------------------------------


def test_following_a_path_page_by_page_with_the_path_bar_and_done(
    app: Flask, session: Session, wiki: dict[str, Any], author: User
) -> None:
    path_id, (first, second, third) = wiki["path_id"], wiki["pages"]
    paths.assign(session, actor=author, path_id=path_id, username="fatima")
    client = _signed_in(app, "fatima")
    page = _text(client.get(f"/wiki/expenses-guide?path={path_id}"))
    assert "step 1 of 3" in page and "Next: Travel Policy" in page and ">Done<" in page
    plain = _text(client.get("/wiki/expenses-guide"))
    assert "step 1 of 3" not in plain  # only when opened from the path
    response = client.post(f"/paths/{path_id}/steps/{first.page_id}/done", data={"then": "next"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/wiki/travel-policy?path={path_id}")
    after = _text(client.get(f"/wiki/expenses-guide?path={path_id}"))
    assert "✓" in after and "1 done" in after
    overview = _text(client.get(f"/paths/{path_id}"))
    assert "1 of 3" in overview and "Continue: Travel Policy" in overview
    assert "(done)" in overview
    for page_id in (second.page_id, third.page_id):
        client.post(f"/paths/{path_id}/steps/{page_id}/done", data={})
    assert "You finished this path." in _text(client.get(f"/paths/{path_id}"))
    assert "Finished" in _text(client.get("/paths/mine"))


def test_a_page_published_again_after_reading_is_marked_with_a_link_to_its_diff(
    app: Flask, session: Session, wiki: dict[str, Any], author: User, reviewer: User
) -> None:
    path_id, first = wiki["path_id"], wiki["pages"][0]
    paths.mark_done(session, actor=reviewer, path_id=path_id, page="expenses-guide")
    client = _signed_in(app, "fatima")
    assert "Updated since you read it" not in _text(client.get(f"/paths/{path_id}"))
    newer = edit_page(session, author, first, "# Expenses\n\nReceipts within 30 days.\n")
    page = _text(client.get(f"/paths/{path_id}"))
    assert "Updated since you read it" in page
    link = re.search(r'href="(/wiki/expenses-guide/diff\?[^"]+)"', page)
    assert link is not None
    target = link.group(1).replace("&amp;", "&")
    assert f"from={first.id}" in target and f"to={newer.id}" in target
    diff = client.get(target)
    assert diff.status_code == 200 and "30 days" in _text(diff)
    bar = _text(client.get(f"/wiki/expenses-guide?path={path_id}"))
    assert "Updated since you read it" in bar and "Done, read again" in bar
    client.post(f"/paths/{path_id}/steps/{first.page_id}/done", data={})
    assert "Updated since you read it" not in _text(client.get(f"/paths/{path_id}"))


def test_owners_see_who_started_finished_and_where_people_stop(
    app: Flask, session: Session, wiki: dict[str, Any], author: User
) -> None:
    path_id = wiki["path_id"]
    people = [make_user(session, username=name, department="Finance") for name in ("ana", "ben", "cat", "dan")]  # fmt: skip
    paths.assign(session, actor=author, path_id=path_id, department="Finance")
    slugs = ["expenses-guide", "travel-policy", "payroll-calendar"]
    for person, steps_done in zip(people, (3, 1, 1, 0), strict=True):
        for slug in slugs[:steps_done]:
            paths.mark_done(session, actor=person, path_id=path_id, page=slug)
    figures = paths.stats(session, actor=author, path_id=path_id)
    assert (figures.following, figures.assigned, figures.started, figures.finished) == (5, 5, 3, 1)
    assert [(row.done, row.stopped_here) for row in figures.steps] == [(3, 0), (1, 2), (1, 0)]
    page = _text(_signed_in(app, "alex").get(f"/paths/{path_id}/stats"))
    assert "Progress of readers" in page and "Travel Policy" in page
    assert _signed_in(app, "ana").get(f"/paths/{path_id}/stats").status_code == 403
    assert "Progress of readers" not in _text(_signed_in(app, "ana").get(f"/paths/{path_id}"))


def test_starting_a_path_without_an_assignment_lists_it_in_my_paths(
    app: Flask, session: Session, wiki: dict[str, Any], reviewer: User
) -> None:
    path_id = wiki["path_id"]
    client = _signed_in(app, "fatima")
    assert "No paths for you yet" in _text(client.get("/paths/mine"))
    first = wiki["pages"][0]
    client.post(f"/paths/{path_id}/steps/{first.page_id}/done", data={})
    mine = _text(client.get("/paths/mine"))
    assert "Your first week in Finance" in mine and "1 of 3 steps done" in mine
    enrolment = session.scalar(select(PathEnrolment).where(PathEnrolment.user_id == reviewer.id))
    assert enrolment is not None and enrolment.assigned is False


def test_anonymous_readers_see_a_published_path_but_no_bar_and_no_progress(
    client: Any, wiki: dict[str, Any]
) -> None:
    path_id = wiki["path_id"]
    page = _text(client.get(f"/paths/{path_id}"))
    assert "Expenses Guide" in page and "Sign in</a> to follow" in page
    assert "step 1 of 3" not in _text(client.get(f"/wiki/expenses-guide?path={path_id}"))
    assert client.post(f"/paths/{path_id}/steps/1/done").status_code == 302  # sign in first
