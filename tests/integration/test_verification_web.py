"""Owners and verification through the site and the API: pages, queues, forms, search."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Page, PageSchedule, Proposal, User, Verification, utcnow
from app.services import indexing, ownership, verification
from tests.conftest import WikiClient
from tests.factories import edit_page, make_page, make_user

DAY = timedelta(days=1)


def _age(session: Session, page_id: int, days: int) -> None:
    """Make the page fall due ``days`` ago: published an interval and ``days`` ago."""
    plan = session.get(PageSchedule, page_id)
    page = session.get(Page, page_id)
    assert plan is not None and page is not None and page.published_revision is not None
    page.published_revision.published_at = utcnow() - (180 + days) * DAY
    plan.due_at = utcnow() - days * DAY
    session.commit()


def _opened(session: Session, page: Any) -> Verification:
    found = verification.open_verification_early(session, page, "test")
    session.commit()
    assert found is not None
    return found


def test_a_page_shows_its_freshness_and_an_overdue_banner(
    app: Flask, session: Session, author: User, client: WikiClient
) -> None:
    page = make_page(session, author).page
    fresh = client.get(f"/wiki/{page.slug}").get_data(as_text=True)
    assert 'data-freshness="fresh"' in fresh and "next verification in 180 days" in fresh
    _age(session, page.id, 3)
    due = client.get(f"/wiki/{page.slug}?x=1").get_data(as_text=True)
    assert 'data-freshness="due"' in due and "verification due" in due
    _age(session, page.id, 20)
    overdue = client.get(f"/wiki/{page.slug}?x=2").get_data(as_text=True)
    assert "Overdue for verification." in overdue


def test_the_anonymous_cached_copy_shows_the_verification_at_once(
    app: Flask, session: Session, author: User, client: WikiClient, api_for: Any
) -> None:
    page = make_page(session, author).page
    _age(session, page.id, 20)
    opened = _opened(session, page)
    assert "Overdue for verification." in client.get(f"/wiki/{page.slug}").get_data(as_text=True)
    answer = api_for(author).post(
        f"/api/v1/verifications/{opened.id}", json={"outcome": "verified"}
    )
    assert answer.status_code == 200, answer.get_json()
    again = client.get(f"/wiki/{page.slug}").get_data(as_text=True)
    assert "Overdue" not in again and "Verified " in again and "by Alex Rivera" in again


def test_an_owner_verifies_from_the_queue_and_the_form(
    app: Flask, session: Session, author: User, author_client: WikiClient
) -> None:
    page = make_page(session, author).page
    _age(session, page.id, 1)
    [opened] = verification.open_due(session)
    listing = author_client.get("/verifications").get_data(as_text=True)
    assert "How to file expenses" in listing and f"/verifications/{opened.id}" in listing
    form = author_client.get(f"/verifications/{opened.id}").get_data(as_text=True)
    assert "Still accurate" in form and "First line." in form
    refused = author_client.post(f"/verifications/{opened.id}", data={"outcome": "needs_changes"})
    assert refused.status_code == 400 and "no longer accurate" in refused.get_data(as_text=True)
    done = author_client.post(
        f"/verifications/{opened.id}", data={"outcome": "verified", "rubric_accuracy": "4"}
    )
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/wiki/{page.slug}")
    view = author_client.get(f"/wiki/{page.slug}").get_data(as_text=True)
    assert "Verified " in view and "by Alex Rivera" in view
    session.expire_all()
    assert session.get(Verification, opened.id).rubric == {"accuracy": 4}  # type: ignore[union-attr]


def test_needs_changes_from_the_form_leads_to_the_draft_with_the_comment(
    app: Flask, session: Session, author: User, admin: User, admin_client: WikiClient,
    author_client: WikiClient,
) -> None:  # fmt: skip
    page = make_page(session, author).page
    opened = _opened(session, page)
    done = admin_client.post(
        f"/verifications/{opened.id}", data={"outcome": "needs_changes", "comment": "Portal moved."}
    )
    assert done.status_code == 302 and "/proposals/" in done.headers["Location"]
    draft = author_client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Portal moved." in draft


def test_only_owners_change_owners_on_the_site(
    app: Flask, session: Session, author: User, reviewer: User, author_client: WikiClient,
    reviewer_client: WikiClient,
) -> None:  # fmt: skip
    page = make_page(session, author).page
    shown = reviewer_client.get(f"/wiki/{page.slug}/owners").get_data(as_text=True)
    assert "Alex Rivera" in shown and "Save owners" not in shown
    assert (
        reviewer_client.post(f"/wiki/{page.slug}/owners", data={"users": "fatima"}).status_code
        == 403
    )
    saved = author_client.post(
        f"/wiki/{page.slug}/owners",
        data={"users": "alex, fatima", "require_owner_approval": "1", "review_interval_days": "90"},
    )
    assert saved.status_code == 302
    found = ownership.owners(session, page)
    assert [u.username for u in found.users] == ["alex", "fatima"]
    assert found.require_owner_approval and found.interval_days == 90


def test_the_owners_api_reads_and_changes_owners(
    app: Flask, session: Session, author: User, reviewer: User, api_for: Any
) -> None:
    page = make_page(session, author).page
    api = api_for(author)
    got = api.get(f"/api/v1/pages/{page.slug}/owners").get_json()
    assert [u["username"] for u in got["users"]] == ["alex"]
    assert (got["interval_days"], got["freshness"], got["require_owner_approval"]) == (
        180,
        "fresh",
        False,
    )
    headers = {"Authorization": api.headers["Authorization"]}
    put = api.client.put(
        f"/api/v1/pages/{page.slug}/owners", headers=headers,
        json={"users": ["alex", "fatima"], "require_owner_approval": True, "review_interval_days": 30},
    )  # fmt: skip
    assert put.status_code == 200, put.get_json()
    assert [u["username"] for u in put.get_json()["users"]] == ["alex", "fatima"]
    assert put.get_json()["interval_days"] == 30
    outsider = make_user(session, username="omar", department="Sales")
    denied = api.client.put(
        f"/api/v1/pages/{page.slug}/owners", headers={"Authorization": api_for(outsider).headers["Authorization"]},
        json={"users": ["omar"]},
    )  # fmt: skip
    assert denied.status_code == 403
    bad = api.client.put(
        f"/api/v1/pages/{page.slug}/owners", headers=headers, json={"users": ["nobody"]}
    )
    assert bad.status_code == 422


def test_the_verifications_api_lists_with_filters_and_records_outcomes(
    app: Flask, session: Session, author: User, reviewer: User, api_for: Any
) -> None:
    overdue = make_page(session, author, title="Overdue page").page
    early = make_page(session, author, title="Early page").page
    _age(session, overdue.id, 20)
    verification.open_due(session)
    _opened(session, early)
    api = api_for(author)
    every = api.get("/api/v1/verifications").get_json()["items"]
    assert [item["title"] for item in every] == ["Overdue page", "Early page"]
    assert [
        i["title"] for i in api.get("/api/v1/verifications?overdue=true").get_json()["items"]
    ] == ["Overdue page"]
    assert [i["title"] for i in api.get("/api/v1/verifications?due=true").get_json()["items"]] == [
        "Overdue page"
    ]
    assert len(api.get("/api/v1/verifications?assignee=alex").get_json()["items"]) == 2
    assert api.get("/api/v1/verifications?assignee=fatima").get_json()["items"] == []
    assert len(api.get(f"/api/v1/verifications?space={overdue.space_id}").get_json()["items"]) == 2
    assert api.get("/api/v1/verifications?space=999").get_json()["items"] == []
    target = every[0]["id"]
    assert (
        api_for(reviewer)
        .post(f"/api/v1/verifications/{target}", json={"outcome": "verified"})
        .status_code
        == 403
    )
    assert api.post(f"/api/v1/verifications/{target}", json={"outcome": "maybe"}).status_code == 422
    assert (
        api.post(f"/api/v1/verifications/{target}", json={"outcome": "needs_changes"}).status_code
        == 422
    )
    done = api.post(
        f"/api/v1/verifications/{target}",
        json={"outcome": "needs_changes", "comment": "Step 3 is gone.", "rubric": {"accuracy": 2}},
    )
    body = done.get_json()
    assert done.status_code == 200 and body["state"] == "needs_changes" and body["proposal_id"]
    assert session.get(Proposal, body["proposal_id"]) is not None
    assert (
        api.post(f"/api/v1/verifications/{target}", json={"outcome": "verified"}).status_code == 409
    )
    assert api.get("/api/v1/verifications/999").status_code == 405  # only POST names one
    assert app.test_client().get("/api/v1/verifications").status_code == 401


def test_verified_only_search_on_the_site_and_the_api(
    app: Flask, session: Session, author: User, client: WikiClient
) -> None:
    checked = make_page(session, author, title="Checked expenses guide").page
    make_page(session, author, title="Unchecked expenses notes")
    verification.complete(
        session, actor=author, verification_id=_opened(session, checked).id, outcome="verified"
    )
    indexing.process_outbox(session, app.extensions["wiki.search"])
    everything = client.get("/api/v1/search?q=expenses").get_json()
    assert {hit["title"] for hit in everything["results"]} == {
        "Checked expenses guide",
        "Unchecked expenses notes",
    }
    verified = client.get("/api/v1/search?q=expenses&verified=true").get_json()
    assert [hit["title"] for hit in verified["results"]] == ["Checked expenses guide"]
    page = client.get("/search?q=expenses&verified=1").get_data(as_text=True)
    assert "Checked expenses guide" in page and "Unchecked expenses notes" not in page


def test_overdue_pages_rank_lower_in_the_site_search(
    app: Flask, session: Session, author: User, client: WikiClient
) -> None:
    stale = make_page(
        session, author, title="Laptop setup", body="laptop laptop laptop setup\n"
    ).page
    make_page(session, author, title="Laptop returns", body="return a laptop\n")
    indexing.process_outbox(session, app.extensions["wiki.search"])
    first = client.get("/api/v1/search?q=laptop").get_json()["results"][0]["title"]
    assert first == "Laptop setup"
    _age(session, stale.id, 30)
    assert (
        client.get("/api/v1/search?q=laptop").get_json()["results"][0]["title"] == "Laptop returns"
    )


def test_the_proposal_page_says_it_needs_an_owners_approval(
    app: Flask, session: Session, author: User, reviewer: User, reviewer_client: WikiClient
) -> None:
    page = make_page(session, author).page
    ownership.set_owners(session, actor=author, slug=page.slug, require_owner_approval=True)
    editor = make_user(session, username="eve", name="Eve Editor", department="Sales")
    assert page.published_revision is not None
    change = edit_page(
        session, editor, page.published_revision, "# Changed\n\nNew.\n", ask=reviewer
    )
    reviewer_client.post(
        f"/proposals/{change.proposal_id}/reviews",
        data={"verdict": "approve", "revision_id": change.id},
    )
    shown = reviewer_client.get(f"/proposals/{change.proposal_id}").get_data(as_text=True)
    assert "Needs an owner&#39;s approval." in shown or "Needs an owner's approval." in shown
    assert (
        session.scalar(select(Proposal.state).where(Proposal.id == change.proposal_id))
        == "in_review"
    )


def test_the_space_queue_lists_its_open_verifications(
    app: Flask, session: Session, author: User, author_client: WikiClient
) -> None:
    page = make_page(session, author).page
    opened = _opened(session, page)
    shown = author_client.get(f"/spaces/{page.space.slug}/verifications").get_data(as_text=True)
    assert page.space.name in shown and f"/verifications/{opened.id}" in shown
    assert author_client.get("/spaces/nowhere/verifications").status_code == 404
