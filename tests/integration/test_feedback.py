"""Readers' feedback on a page: once per reader and version, notes for the owners only, the
threshold of "didn't work" since the last verification, and the page view's cache."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import PageFeedback, PageSchedule, Space, User, Verification, utcnow
from app.services import feedback
from tests.conftest import WikiClient
from tests.factories import edit_page, make_page, make_user


def _readers(session: Session, count: int) -> list[User]:
    return [
        make_user(session, username=f"reader{n}", name=f"Reader {n}", department="Sales")
        for n in range(count)
    ]


def _client(app: Flask, user: User) -> WikiClient:
    app.test_client_class = WikiClient
    client: WikiClient = app.test_client()  # type: ignore[assignment]
    client.login(user.username)
    return client


def test_a_reader_counts_once_per_version_and_a_second_vote_replaces_the_first(
    session: Session, author: User, reviewer: User
) -> None:
    published = make_page(session, author, title="VPN setup")
    feedback.give(session, reader=reviewer, slug="vpn-setup", worked=False, note="Fails on Mac")
    outcome = feedback.give(session, reader=reviewer, slug="vpn-setup", worked=True)
    assert (outcome.tally.worked, outcome.tally.not_worked) == (1, 0)
    assert session.scalar(select(func.count(PageFeedback.id))) == 1
    edit_page(session, author, published, "# VPN setup\n\nNew steps.\n")
    again = feedback.give(session, reader=reviewer, slug="vpn-setup", worked=True)
    assert again.tally.worked == 1  # the new version's count starts again
    assert session.scalar(select(func.count(PageFeedback.id))) == 2  # one per version


def test_the_report_that_reaches_the_threshold_since_the_last_verification_opens_one(
    session: Session, author: User
) -> None:
    published = make_page(session, author, title="VPN setup")
    first, second, third, fourth = _readers(session, 4)
    assert not feedback.give(
        session, reader=first, slug="vpn-setup", worked=False
    ).opened_verification
    assert not feedback.give(
        session, reader=second, slug="vpn-setup", worked=True
    ).opened_verification
    assert not feedback.give(
        session, reader=second, slug="vpn-setup", worked=False
    ).opened_verification
    assert session.scalar(select(func.count(Verification.id))) == 0
    reached = feedback.give(session, reader=third, slug="vpn-setup", worked=False)
    assert reached.opened_verification and reached.tally.not_worked_since_verified == 3
    opened = session.scalars(select(Verification)).one()
    assert opened.is_open and opened.page_id == published.page_id
    assert opened.reason == "3 readers said it did not work"
    assert not feedback.give(
        session, reader=fourth, slug="vpn-setup", worked=False
    ).opened_verification
    # A new version (until pages are verified, its publication is when counting restarts):
    # the reports about the old one no longer count.
    edit_page(session, author, published, "# VPN setup\n\nFixed.\n")
    fresh = feedback.give(session, reader=first, slug="vpn-setup", worked=False)
    assert fresh.tally.not_worked_since_verified == 1 and not fresh.opened_verification


def test_reports_before_the_last_verification_do_not_count(session: Session, author: User) -> None:
    published = make_page(session, author, title="VPN setup")
    readers = _readers(session, 3)
    for reader in readers[:2]:
        feedback.give(session, reader=reader, slug="vpn-setup", worked=False)
    plan = session.get(PageSchedule, published.page_id)
    assert plan is not None
    plan.verified_at = utcnow()  # verified "still accurate" after those two reports
    session.commit()
    outcome = feedback.give(session, reader=readers[2], slug="vpn-setup", worked=False)
    assert outcome.tally.not_worked == 3 and outcome.tally.not_worked_since_verified == 1
    assert not outcome.opened_verification


def test_a_space_sets_how_many_reports_open_a_verification(session: Session, author: User) -> None:
    published = make_page(session, author, title="VPN setup")
    space = session.get(Space, published.page.space_id)
    assert space is not None
    space.feedback_threshold = 1
    session.commit()
    (reader,) = _readers(session, 1)
    assert feedback.give(session, reader=reader, slug="vpn-setup", worked=False).opened_verification
    assert session.scalar(select(func.count(Verification.id))) == 1


def test_the_writer_of_the_version_cannot_vouch_for_it(
    author: User, author_client: Any, session: Session
) -> None:
    make_page(session, author, title="VPN setup")
    answer = author_client.post("/api/v1/pages/vpn-setup/feedback", json={"worked": True})
    assert answer.status_code == 403
    assert session.scalar(select(func.count(PageFeedback.id))) == 0


def test_api_readers_see_the_worked_count_and_owners_see_the_rest_and_the_notes(
    app: Flask, session: Session, author: User, reviewer: User, admin: User, client: Any,
    author_client: Any, reviewer_client: Any, admin_client: Any,
) -> None:  # fmt: skip
    make_page(session, author, title="VPN setup")
    answer = reviewer_client.post(
        "/api/v1/pages/vpn-setup/feedback", json={"worked": False, "note": "Step 3 times out"}
    )
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["worked"] == 0 and body["owners"] is None
    assert body["mine"]["worked"] is False and body["mine"]["note"] == "Step 3 times out"
    hana = _client(app, make_user(session, username="hana", name="Hana", department="People"))
    assert hana.post("/api/v1/pages/vpn-setup/feedback", json={"worked": True}).status_code == 200
    anonymous = client.get("/api/v1/pages/vpn-setup/feedback").get_json()
    assert anonymous == {
        "revision_id": anonymous["revision_id"], "worked": 1, "mine": None, "owners": None,
        "verification_opened": False,
    }  # fmt: skip
    for owner in (author_client, admin_client):
        owners = owner.get("/api/v1/pages/vpn-setup/feedback").get_json()["owners"]
        assert owners["not_worked"] == 1 and owners["threshold"] == feedback.DEFAULT_THRESHOLD
        assert [note["note"] for note in owners["notes"]] == ["Step 3 times out"]
        assert owners["notes"][0]["user"]["username"] == "fatima"
    assert "Step 3" not in hana.get("/api/v1/pages/vpn-setup/feedback").get_data(as_text=True)


def test_api_refuses_anonymous_votes_bad_bodies_and_long_notes(
    session: Session, author: User, client: Any, reviewer_client: Any
) -> None:
    make_page(session, author, title="VPN setup")
    assert client.post("/api/v1/pages/vpn-setup/feedback", json={"worked": True}).status_code == 401
    wrong_type = reviewer_client.post("/api/v1/pages/vpn-setup/feedback", json={"worked": "yes"})
    assert wrong_type.status_code == 422 and "worked" in wrong_type.get_json()["error"]["fields"]
    long = reviewer_client.post(
        "/api/v1/pages/vpn-setup/feedback", json={"worked": False, "note": "x" * 1001}
    )
    assert long.status_code == 422 and "note" in long.get_json()["error"]["fields"]
    missing = reviewer_client.post("/api/v1/pages/no-such-page/feedback", json={"worked": True})
    assert missing.status_code == 404
    assert session.scalar(select(func.count(PageFeedback.id))) == 0


def test_the_page_view_shows_each_reader_their_own_box_and_anonymous_readers_a_sign_in(
    app: Flask, session: Session, author: User, reviewer: User, client: Any,
    author_client: Any, reviewer_client: Any,
) -> None:  # fmt: skip
    make_page(session, author, title="VPN setup")
    before = client.get("/wiki/vpn-setup").get_data(as_text=True)  # cached for anonymous readers
    assert "Sign in</a> to tell the page's owners" in before and "This worked for me" not in before
    answer = reviewer_client.post(
        "/wiki/vpn-setup/feedback", data={"worked": "yes", "note": "Worked on Linux"}
    )
    assert answer.status_code == 302
    page = reviewer_client.get("/wiki/vpn-setup").get_data(as_text=True)
    assert "1 reader says this version worked for them." in page
    assert 'value="yes" aria-pressed="true"' in page and "Worked on Linux" in page
    assert "For the page's owners" not in page
    owner = author_client.get("/wiki/vpn-setup").get_data(as_text=True)
    assert "For the page's owners" in owner and "Worked on Linux" in owner
    assert "This worked for me" not in owner  # its writer does not vote
    assert client.get("/wiki/vpn-setup").get_data(as_text=True) == before  # nothing stale in it


def test_the_site_form_refuses_a_missing_choice_and_a_long_note(
    session: Session, author: User, reviewer_client: Any
) -> None:
    make_page(session, author, title="VPN setup")
    reviewer_client.post("/wiki/vpn-setup/feedback", data={"note": "hm"})
    assert "Choose whether the page worked" in reviewer_client.get("/wiki/vpn-setup").get_data(
        as_text=True
    )
    reviewer_client.post("/wiki/vpn-setup/feedback", data={"worked": "no", "note": "x" * 1001})
    assert "Keep the note under 1000" in reviewer_client.get("/wiki/vpn-setup").get_data(
        as_text=True
    )
    assert session.scalar(select(func.count(PageFeedback.id))) == 0
