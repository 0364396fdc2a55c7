"""Help wanted: questions asked in a space (searches that found nothing useful, "Ask the
experts"), answered by writing or naming a page; the asker is told when it is published."""

from __future__ import annotations

import re
from pathlib import Path as FsPath
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import HelpQuestion, KnowledgeGap, Notification, Space, User
from app.review.approval import ApprovalRules
from app.search import SearchQuery
from app.services import help, indexing, proposals, review, search, spaces
from tests.conftest import WikiClient, make_app
from tests.factories import make_page, make_user

RULES = ApprovalRules()
QUESTION = "flurbish reimbursement abroad"


def _signed_in(app: Flask, username: str) -> WikiClient:
    app.test_client_class = WikiClient
    client: WikiClient = app.test_client()  # type: ignore[assignment]
    client.login(username)
    return client


def _text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def _finance(session: Session) -> str:
    space = session.scalar(select(Space).where(Space.name == "Finance"))
    assert space is not None
    return str(space.slug)


@pytest.fixture
def finance_slug(session: Session, reviewer: User) -> str:
    """Fatima's department, Finance, has its space (made with the department)."""
    return _finance(session)


def test_a_search_that_finds_nothing_lands_on_the_askers_department_space(
    app: Flask, session: Session, author: User, reviewer: User, finance_slug: str
) -> None:
    make_page(session, author, title="Expenses Guide")
    fatima = _signed_in(app, "fatima")
    found = _text(fatima.get("/search", query_string={"q": QUESTION}))
    assert "Ask the experts" in found
    listing = _text(fatima.get(f"/spaces/{finance_slug}/help-wanted"))
    assert QUESTION in listing and "from searches" in listing and "asked 1× by 1 person" in listing
    engineering = session.scalar(select(Space).where(Space.name == "Engineering"))
    assert engineering is not None
    assert QUESTION not in _text(fatima.get(f"/spaces/{engineering.slug}/help-wanted"))


def test_a_search_filtered_to_a_department_lands_there_and_anonymous_askers_are_counted(
    app: Flask, session: Session, author: User, reviewer: User, finance_slug: str, client: Any
) -> None:
    make_page(session, author, title="Expenses Guide")
    _signed_in(app, "alex").get("/search", query_string={"q": QUESTION, "department": "Finance"})
    client.get("/search", query_string={"q": QUESTION, "department": "Finance"})
    client.get("/search", query_string={"q": "something nobody wrote"})  # no space: no list
    question = session.scalar(select(HelpQuestion))
    assert question is not None and question.space.slug == finance_slug
    assert (question.asked, question.askers, question.anonymous) == (2, 1, 1)
    assert session.scalars(select(HelpQuestion.question)).all() == [QUESTION]
    listing = _text(client.get(f"/spaces/{finance_slug}/help-wanted"))
    assert "and 1× anonymously" in listing
    assert "Write an answer" not in listing  # sign in to answer


def test_ask_the_experts_records_the_question_and_tells_the_maintainers(
    app: Flask, session: Session, author: User, reviewer: User, admin: User, finance_slug: str
) -> None:
    spaces.add_member(session, actor=admin, slug=finance_slug, username="fatima", role="maintainer")
    make_user(session, username="sam", department="Sales")
    sam = _signed_in(app, "sam")
    response = sam.post("/help-wanted", data={
        "space": finance_slug, "question": "Who signs off a budget over 10k?",
        "details": "The form asks for a cost centre.",
    })  # fmt: skip
    assert response.status_code == 302
    assert f"/spaces/{finance_slug}/help-wanted#question-" in response.headers["Location"]
    listing = _text(sam.get(f"/spaces/{finance_slug}/help-wanted"))
    assert "Who signs off a budget over 10k?" in listing and "asked the experts" in listing
    assert "The form asks for a cost centre." in listing
    told = session.scalars(select(Notification).where(Notification.kind == "help_wanted")).all()
    assert [item.user.username for item in told] == ["fatima"]
    assert told[0].link is not None and told[0].link.startswith(f"/spaces/{finance_slug}/help-wanted")  # fmt: skip
    empty = sam.post("/help-wanted", data={"space": finance_slug, "question": "  "})
    assert empty.status_code == 302
    assert session.scalar(select(HelpQuestion.asked)) == 1


def test_a_space_with_no_maintainers_asks_its_writers(
    session: Session, author: User, reviewer: User
) -> None:
    make_page(session, author, title="Expenses Guide", department="Engineering")
    engineering = session.scalar(select(Space).where(Space.name == "Engineering"))
    assert engineering is not None
    help.ask(session, asker=reviewer, space_slug=engineering.slug, question="Where is the VPN guide?")  # fmt: skip
    told = session.scalars(select(Notification).where(Notification.kind == "help_wanted")).all()
    assert [item.user.username for item in told] == ["alex"]


def test_writing_an_answer_tells_the_asker_by_email_when_it_is_published_and_clears_the_list(
    tmp_path: FsPath, database_url: str, smtp_server: tuple[int, list[Any]]
) -> None:
    port, received = smtp_server
    app = make_app(tmp_path, database_url, SMTP_HOST="127.0.0.1", SMTP_PORT=port, BASE_URL="https://wiki.example.com")  # fmt: skip
    db: Session = app.extensions["wiki.sessionmaker"]()
    make_user(db, username="alex", email="alex@example.com")
    make_user(db, username="fatima", department="Finance", email="fatima@example.com")
    finance_slug = _finance(db)
    asker = _signed_in(app, "fatima")
    asker.post("/help-wanted", data={"space": finance_slug, "question": "How do I claim a flurbish?"})  # fmt: skip
    question = db.scalar(select(HelpQuestion))
    assert question is not None
    anonymous: Any = app.test_client()
    anonymous.get("/search", query_string={"q": "How do I claim a flurbish?", "department": "Finance"})  # fmt: skip

    writer = _signed_in(app, "alex")
    listing = _text(writer.get(f"/spaces/{finance_slug}/help-wanted"))
    link = re.search(r'href="(/new\?[^"]*answers=\d+[^"]*)"', listing)
    assert link is not None
    editor = _text(writer.get(link.group(1).replace("&amp;", "&")))
    assert "This page answers “How do I claim a flurbish?”" in editor
    assert 'value="How do I claim a flurbish?"' in editor
    saved = writer.post("/new", data={
        "title": "Claiming a flurbish", "body": "Use the flurbish form.\n", "department": "Finance",
        "answers": str(question.id),
    })  # fmt: skip
    assert saved.status_code == 302
    proposal_id = int(saved.headers["Location"].rsplit("/", 1)[1])
    db.expire_all()
    assert db.get(HelpQuestion, question.id).answered_at is None  # type: ignore[union-attr]  # a draft answers nothing yet
    received.clear()
    alex = db.scalar(select(User).where(User.username == "alex"))
    assert alex is not None
    head = proposals.get(db, proposal_id, reader=alex).head_revision
    assert head is not None
    review.submit(db, actor=alex, revision_id=head.id, rules=RULES, reviewers=["fatima"])
    approved = asker.post(f"/proposals/{proposal_id}/reviews", data={"verdict": "approve", "revision_id": head.id})  # fmt: skip
    assert approved.status_code == 302
    db.expire_all()
    answered = db.get(HelpQuestion, question.id)
    assert answered is not None and answered.answered_at is not None
    assert (
        answered.answered_page is not None and answered.answered_page.slug == "claiming-a-flurbish"
    )
    mails = [e for e in received if e.rcpt_tos == ["fatima@example.com"] and b"has an answer" in e.content]  # fmt: skip
    assert len(mails) == 1
    assert b"https://wiki.example.com/wiki/claiming-a-flurbish" in mails[0].content
    inbox = db.scalars(select(Notification).where(Notification.kind == "gap_answered")).all()
    assert [item.user.username for item in inbox] == ["fatima"]  # anonymous askers: nobody told
    still = _text(writer.get(f"/spaces/{finance_slug}/help-wanted"))
    assert "How do I claim a flurbish?" not in still
    done = _text(writer.get(f"/spaces/{finance_slug}/help-wanted?answered=1"))
    assert "How do I claim a flurbish?" in done and "Claiming a flurbish" in done
    db.close()
    app.extensions["wiki.engine"].dispose()


def test_naming_a_published_page_answers_the_question_at_once(
    app: Flask, session: Session, author: User, reviewer: User, finance_slug: str
) -> None:
    make_page(session, author, title="Travel Policy")
    item = help.ask(session, asker=reviewer, space_slug=finance_slug, question="Can I fly business class?")  # fmt: skip
    writer = _signed_in(app, "alex")
    nothing = writer.post(f"/help-wanted/{item.id}/answer", data={"page": "no-such-page"})
    assert nothing.status_code == 302
    session.expire_all()
    assert session.get(HelpQuestion, item.id).answered_at is None  # type: ignore[union-attr]
    named = writer.post(f"/help-wanted/{item.id}/answer", data={"page": "/wiki/travel-policy"})
    assert named.status_code == 302
    session.expire_all()
    assert session.get(HelpQuestion, item.id).answered_at is not None  # type: ignore[union-attr]
    told = session.scalars(select(Notification).where(Notification.user_id == reviewer.id, Notification.kind == "gap_answered")).all()  # fmt: skip
    assert len(told) == 1 and told[0].link == "/wiki/travel-policy"
    assert writer.post(f"/help-wanted/{item.id}/answer", data={"page": "travel-policy"}).status_code == 404  # fmt: skip


def test_a_gap_answered_by_search_leaves_the_lists_it_came_from(
    app: Flask, session: Session, author: User, reviewer: User, finance_slug: str
) -> None:
    backend = app.extensions["wiki.search"]
    search.run(session, backend, SearchQuery(text="zebra crossing rules"), user=reviewer)
    assert session.scalar(select(HelpQuestion.answered_at)) is None
    make_page(session, author, title="Zebra crossing rules", body="Zebra crossing rules: stop.\n")
    indexing.process_outbox(session, backend)
    search.check_gaps_answered(session, backend)
    gap = session.scalar(select(KnowledgeGap))
    assert gap is not None and gap.answered_at is not None
    assert session.scalar(select(HelpQuestion.answered_at)) is not None
    assert "zebra crossing rules" not in _text(_signed_in(app, "fatima").get(f"/spaces/{finance_slug}/help-wanted"))  # fmt: skip


def test_spaces_are_listed_with_their_open_questions(
    client: Any, session: Session, reviewer: User, finance_slug: str
) -> None:
    help.ask(session, asker=reviewer, space_slug=finance_slug, question="Where are receipts kept?")
    page = _text(client.get("/help-wanted"))
    assert "Finance" in page and "1 open question" in page


# -- the API -------------------------------------------------------------------------------------


def test_the_api_lists_asks_and_answers_a_spaces_questions(
    client: Any, session: Session, author: User, reviewer: User, finance_slug: str, api_for: Any
) -> None:
    make_page(session, author, title="Receipts")
    fatima, alex = api_for(reviewer), api_for(author)
    asked = fatima.post(f"/api/v1/spaces/{finance_slug}/help-wanted", json={"question": "Where do receipts go?", "details": "Paper ones."})  # fmt: skip
    body = asked.get_json()
    assert asked.status_code == 201 and body["asked_directly"] is True and body["askers"] == 1
    assert f"answers={body['id']}" in body["write_url"]
    listed = client.get(f"/api/v1/spaces/{finance_slug}/help-wanted").get_json()
    assert [item["question"] for item in listed["items"]] == ["Where do receipts go?"]
    assert client.post(f"/api/v1/spaces/{finance_slug}/help-wanted", json={"question": "x"}).status_code == 401  # fmt: skip
    assert fatima.post(f"/api/v1/spaces/{finance_slug}/help-wanted", json={"question": ""}).status_code == 422  # fmt: skip
    assert client.get("/api/v1/spaces/nowhere/help-wanted").status_code == 404
    unknown = alex.post(f"/api/v1/help-wanted/{body['id']}/answer", json={"page": "nothing"})
    assert unknown.status_code == 422
    answered = alex.post(f"/api/v1/help-wanted/{body['id']}/answer", json={"page": "receipts"})
    assert answered.status_code == 200 and answered.get_json()["answered_by_page"] == "receipts"
    assert client.get(f"/api/v1/spaces/{finance_slug}/help-wanted").get_json()["items"] == []
    done = client.get(f"/api/v1/spaces/{finance_slug}/help-wanted?answered=true").get_json()
    assert [item["answered_by_page"] for item in done["items"]] == ["receipts"]
    again = alex.post(f"/api/v1/help-wanted/{body['id']}/answer", json={"page": "receipts"})
    assert again.status_code == 404
