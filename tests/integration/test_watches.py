"""Watching pages, tags and spaces: publications and new proposals reach the watchers' inboxes
and email; authors watch their pages; nobody hears of what they may not see."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Notification, User, Watch
from app.review.approval import ApprovalRules, Verdict
from app.services import review, tokens, watches
from tests.conftest import TokenClient, WikiClient, make_app, recorded_statements
from tests.factories import edit_page, make_page, make_user

RULES = ApprovalRules()


def _told(session: Session, user: User, kind: str) -> list[str]:
    session.expire_all()
    found = session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id, Notification.kind == kind)
        .order_by(Notification.id)
    )
    return [item.message for item in found]


def _signed_in(app: Flask, username: str) -> WikiClient:
    app.test_client_class = WikiClient
    client: WikiClient = app.test_client()  # type: ignore[assignment]
    client.login(username)
    return client


def test_authors_watch_the_pages_they_create(session: Session, author: User) -> None:
    make_page(session, author, title="Expense Claims", body="Submit receipts monthly.")
    draft = make_page(session, author, title="Travel", body="Book early.", publish=False)
    listed = watches.watches_of(session, author)
    assert [(item.kind, item.key) for item in listed] == [
        ("page", "expense-claims"), ("page", "travel"),
    ]  # fmt: skip
    assert draft.page_id is not None


def test_a_page_watcher_hears_of_a_proposal_and_its_publication(
    session: Session, author: User, reviewer: User
) -> None:
    first = make_page(session, author, title="Expense Claims", body="Submit receipts monthly.")
    hana = make_user(session, username="hana", name="Hana Sato", department="People")
    watches.watch(session, user=hana, kind="page", key="expense-claims")
    edit = edit_page(session, author, first, "Submit receipts weekly.", ask=reviewer)
    proposed = _told(session, hana, "watch_proposal")
    assert len(proposed) == 1
    assert "proposes a change to “Expense Claims”" in proposed[0]
    assert "you watch this page" in proposed[0]
    assert _told(session, reviewer, "watch_proposal") == []  # asked to review instead
    review.add_review(session, actor=reviewer, revision_id=edit.id, verdict=Verdict.APPROVE,
                      rules=RULES)  # fmt: skip
    published = _told(session, hana, "watch_published")
    assert published == ["“Expense Claims” was published (you watch this page)."]
    assert _told(session, author, "watch_published") == []  # told as the proposal's author
    note = session.scalars(select(Notification).where(Notification.kind == "watch_published")).one()
    assert note.link == "/wiki/expense-claims" and note.email_pending


def test_tag_and_space_watchers_hear_once_with_the_closest_reason(
    session: Session, author: User, reviewer: User
) -> None:
    hana = make_user(session, username="hana", name="Hana Sato", department="People")
    eli = make_user(session, username="eli", name="Eli Brandt", department="Sales")
    first = make_page(session, author, title="Laptops", body="Ask IT.", tags=["hardware"])
    watches.watch(session, user=hana, kind="tag", key="Hardware")
    watches.watch(session, user=hana, kind="space", key=first.page.space.slug)
    watches.watch(session, user=eli, kind="tag", key="hardware")
    edit = edit_page(session, author, first, "Ask IT two weeks ahead.", ask=reviewer)
    review.add_review(session, actor=reviewer, revision_id=edit.id, verdict=Verdict.APPROVE,
                      rules=RULES)  # fmt: skip
    space = first.page.space.name
    assert _told(session, hana, "watch_published") == [
        f"“Laptops” was published (you watch the space {space})."
    ]
    assert _told(session, eli, "watch_published") == [
        "“Laptops” was published (you watch the tag hardware)."
    ]


def test_a_tag_can_be_watched_before_any_page_has_it(session: Session, author: User) -> None:
    hana = make_user(session, username="hana", department="People")
    watches.watch(session, user=hana, kind="tag", key="onboarding")
    make_page(session, author, title="First day", body="Welcome.", tags=["onboarding"])
    assert _told(session, hana, "watch_published") == [
        "“First day” was published (you watch the tag onboarding)."
    ]


def test_watchers_never_hear_of_drafts(session: Session, author: User) -> None:
    first = make_page(session, author, title="Expense Claims", body="Monthly.")
    hana = make_user(session, username="hana", department="People")
    watches.watch(session, user=hana, kind="page", key="expense-claims")
    edit_page(session, author, first, "Weekly, maybe.", publish=False)  # a draft, not sent
    assert session.scalars(select(Notification).where(Notification.user_id == hana.id)).all() == []


def test_a_resubmission_is_not_announced_again(
    session: Session, author: User, reviewer: User
) -> None:
    first = make_page(session, author, title="Expense Claims", body="Monthly.")
    hana = make_user(session, username="hana", department="People")
    watches.watch(session, user=hana, kind="page", key="expense-claims")
    edit = edit_page(session, author, first, "Weekly.", ask=reviewer)
    review.add_review(session, actor=reviewer, revision_id=edit.id, verdict=Verdict.REQUEST_CHANGES,
                      rules=RULES, comments=[{"body": "Say which day.", "line": 1}])  # fmt: skip
    fixed = edit_page(session, author, edit, "Weekly, on Fridays.", publish=False)
    review.submit(session, actor=author, revision_id=fixed.id, rules=RULES)
    assert len(_told(session, hana, "watch_proposal")) == 1


def test_a_draft_page_cannot_be_watched_by_those_who_may_not_see_it(
    app: Flask, session: Session, author: User
) -> None:
    make_page(session, author, title="Secret plan", body="Not yet.", publish=False)
    make_user(session, username="hana", department="People")
    hana = _signed_in(app, "hana")
    response = hana.post("/watches", data={"kind": "page", "key": "secret-plan"})
    assert response.status_code == 404
    assert len(session.scalars(select(Watch)).all()) == 1  # only the author's own


def test_watch_buttons_on_a_page_and_the_settings_list(
    app: Flask, session: Session, author: User
) -> None:
    make_page(session, author, title="Laptops", body="Ask IT.", tags=["hardware"])
    make_user(session, username="hana", department="People")
    hana = _signed_in(app, "hana")
    page = hana.get("/wiki/laptops").get_data(as_text=True)
    assert "Watch this page" in page and "Watch tag hardware" in page and ">Watch<" in page
    response = hana.post(
        "/watches", data={"kind": "page", "key": "laptops", "from_page": "laptops"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/wiki/laptops")
    page = hana.get("/wiki/laptops").get_data(as_text=True)
    assert "Stop watching this page" in page and ">Watching<" in page
    hana.post("/watches", data={"kind": "tag", "key": "hardware"})
    listed = hana.get("/settings/watches").get_data(as_text=True)
    assert "Laptops" in listed and "hardware" in listed and "Pages (1)" in listed
    assert "Tags (1)" in listed
    hana.post("/watches/remove", data={"kind": "page", "key": "laptops", "back": "list"})
    listed = hana.get("/settings/watches").get_data(as_text=True)
    assert "Pages (0)" in listed
    anonymous = app.test_client().get("/wiki/laptops").get_data(as_text=True)
    assert "Watch this page" not in anonymous


def test_the_watch_form_never_redirects_off_site(
    app: Flask, session: Session, author: User
) -> None:
    make_page(session, author, title="Laptops", body="Ask IT.")
    make_user(session, username="hana", department="People")
    hana = _signed_in(app, "hana")
    response = hana.post(
        "/watches",
        data={
            "kind": "page",
            "key": "laptops",
            "from_page": "//evil.example.com",
            "next": "//evil",
        },
    )
    assert response.status_code == 302
    assert re.match(r"^(http://localhost)?/wiki/", response.headers["Location"])


def test_watches_over_the_api(app: Flask, session: Session, author: User) -> None:
    make_page(session, author, title="Laptops", body="Ask IT.")
    hana = make_user(session, username="hana", department="People")
    api = TokenClient(app.test_client(), tokens.create(session, owner=hana, name="t").secret)
    created = api.post("/api/v1/watches", json={"kind": "page", "key": "laptops"})
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert body["kind"] == "page" and body["key"] == "laptops" and body["label"] == "Laptops"
    again = api.post("/api/v1/watches", json={"kind": "page", "key": "laptops"})
    assert again.status_code == 201 and again.get_json()["id"] == body["id"]
    assert api.post("/api/v1/watches", json={"kind": "page", "key": "nope"}).status_code == 404
    assert api.post("/api/v1/watches", json={"kind": "moon", "key": "x"}).status_code == 422
    listed = api.get("/api/v1/watches").get_json()["items"]
    assert [item["key"] for item in listed] == ["laptops"]
    other = TokenClient(app.test_client(), tokens.create(session, owner=author, name="t").secret)
    assert other.delete(f"/api/v1/watches/{body['id']}").status_code == 404  # not theirs
    assert api.delete(f"/api/v1/watches/{body['id']}").status_code == 204
    assert api.get("/api/v1/watches").get_json()["items"] == []


def test_watch_notifications_are_emailed_with_links_to_the_site(
    tmp_path: Path, database_url: str, smtp_server: tuple[int, list[Any]]
) -> None:
    port, received = smtp_server
    app = make_app(tmp_path, database_url, SMTP_HOST="127.0.0.1", SMTP_PORT=port,
                   BASE_URL="https://wiki.example.com")  # fmt: skip
    with app.extensions["wiki.sessionmaker"]() as db:
        alex = make_user(db, username="alex")
        fatima = make_user(db, username="fatima", department="Finance")
        make_user(db, username="hana", department="People", email="hana@example.com")
        first = make_page(db, alex, title="Laptops", body="Ask IT.")
        edit = edit_page(db, alex, first, "Ask IT early.", ask=fatima)
        revision_id = edit.id
    hana = _signed_in(app, "hana")
    hana.post("/watches", data={"kind": "page", "key": "laptops"})
    received.clear()
    fatima_client = _signed_in(app, "fatima")
    proposal = f"/proposals/{edit.proposal_id}"
    approved = fatima_client.post(
        f"{proposal}/reviews", data={"verdict": "approve", "revision_id": revision_id}
    )
    assert approved.status_code == 302
    emails = [e for e in received if e.rcpt_tos == ["hana@example.com"]]
    assert len(emails) == 1
    text = emails[0].content.decode()
    assert "Laptops" in text and "https://wiki.example.com/wiki/laptops" in text
    app.extensions["wiki.engine"].dispose()


def test_listing_watches_costs_the_same_queries_for_one_page_or_many(
    app: Flask, session: Session, author: User
) -> None:
    hana = make_user(session, username="hana", department="People")

    def statements_listing() -> int:
        session.expire_all()
        with recorded_statements(app) as statements:
            watches.watches_of(session, hana)
        return len(statements)

    make_page(session, author, title="Page 0", body="Zero.", tags=["tag0"])
    watches.watch(session, user=hana, kind="page", key="page-0")
    watches.watch(session, user=hana, kind="tag", key="tag0")
    one = statements_listing()
    for number in range(1, 6):
        make_page(session, author, title=f"Page {number}", body="More.", tags=[f"tag{number}"])
        watches.watch(session, user=hana, kind="page", key=f"page-{number}")
        watches.watch(session, user=hana, kind="tag", key=f"tag{number}")
    assert len(watches.watches_of(session, hana)) == 12
    assert statements_listing() == one
