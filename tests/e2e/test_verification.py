"""In a browser: an owner verifies a due page from their queue, freshness on the page (fresh, due,
overdue), and the owners' approval rule holding a change until an owner approves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.models import Page as WikiPage
from app.models import PageSchedule, utcnow
from app.services import verification
from tests.e2e.conftest import Person, screenshot, sign_in

PHONE = {"width": 390, "height": 844}
DAY = timedelta(days=1)
BODY = "# Travel bookings\n\nBook trains through the travel portal.\n\n1. Open the portal.\n2. Pick the cheapest fare.\n"


def _make_due(live_app: Flask, slug: str, days: int) -> None:
    """Make the page fall due ``days`` ago (published an interval and ``days`` ago)."""
    with live_app.extensions["wiki.sessionmaker"]() as session:
        page = session.scalar(select(WikiPage).where(WikiPage.slug == slug))
        assert page is not None and page.published_revision is not None
        page.published_revision.published_at = utcnow() - (180 + days) * DAY
        plan = session.get(PageSchedule, page.id)
        assert plan is not None
        plan.due_at = utcnow() - days * DAY
        session.commit()
        verification.open_due(session)


def _both(
    open_page: Callable[..., Page], base: str, path: str, name: str, user: str | None
) -> None:
    """Screenshots of ``path`` at 1280 and 390 px, signed in as ``user``."""
    for label, size in (("1280", None), ("390", PHONE)):
        page = open_page()
        if user:
            sign_in(page, base, user)
        if size:
            page.set_viewport_size(size)
        page.goto(f"{base}{path}")
        screenshot(page, f"verification-{name}-{label}")
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]


def test_an_owner_verifies_a_due_page_from_the_queue(
    live_app: Flask, live_server: str, open_page: Callable[..., Page],
    make_user: Callable[..., Person], make_page: Callable[..., str],
) -> None:  # fmt: skip
    alex = make_user("alex", name="Alex Rivera")
    fresh = make_page(
        alex, "Expense reports", "# Expense reports\n\nFile receipts within 30 days.\n"
    )
    due = make_page(alex, "Travel bookings", BODY)
    stale = make_page(alex, "Office keys", "# Office keys\n\nAsk reception for a key card.\n")
    _make_due(live_app, due, 3)
    _make_due(live_app, stale, 40)

    reader = open_page()
    reader.goto(f"{live_server}/wiki/{fresh}")
    expect(reader.locator("[data-freshness=fresh]")).to_contain_text(
        "next verification in 180 days"
    )
    reader.goto(f"{live_server}/wiki/{stale}")
    expect(reader.get_by_role("status").filter(has_text="Overdue for verification")).to_be_visible()
    for name, slug in (("fresh", fresh), ("due", due), ("overdue", stale)):
        _both(open_page, live_server, f"/wiki/{slug}", f"page-{name}", None)
    _both(open_page, live_server, "/verifications", "queue", "alex")

    owner = open_page()
    sign_in(owner, live_server, "alex")
    owner.get_by_role("link", name="Verifications").first.click()
    expect(owner.get_by_role("heading", name="Waiting for me")).to_contain_text("2")
    owner.get_by_role("link", name="Travel bookings").first.click()
    expect(
        owner.get_by_role("heading", name="Is “Travel bookings” still accurate?")
    ).to_be_visible()
    _both(open_page, live_server, owner.url.removeprefix(live_server), "form", "alex")
    owner.get_by_label("Still accurate").check()
    owner.get_by_role("textbox", name="Comment").fill("Walked through the booking today.")
    owner.get_by_role("radiogroup", name="Accuracy").get_by_label("4").check()
    owner.get_by_role("button", name="Record verification").click()
    expect(owner.get_by_text("is verified: still accurate")).to_be_visible()
    expect(owner.locator("[data-freshness=fresh]")).to_contain_text("by Alex Rivera")
    expect(owner.locator("[data-freshness=fresh]")).to_contain_text("next verification in 180 days")
    reader.goto(f"{live_server}/wiki/{due}")  # the anonymous copy changed with it
    expect(reader.locator("[data-freshness=fresh]")).to_contain_text("Verified")
    owner.goto(f"{live_server}/verifications")
    expect(owner.get_by_role("heading", name="Waiting for me")).to_contain_text("1")


def test_a_change_to_an_owned_page_waits_for_an_owners_approval(
    live_app: Flask, live_server: str, open_page: Callable[..., Page],
    make_user: Callable[..., Person], make_page: Callable[..., str],
) -> None:  # fmt: skip
    make_user("alex", name="Alex Rivera")
    make_user("fatima", name="Fatima Khan", department="Finance")
    make_user("hana", name="Hana Sato", department="People")
    slug = make_page(Person("alex", "Alex Rivera", "Engineering"), "Travel bookings", BODY)

    owner = open_page()
    sign_in(owner, live_server, "alex")
    owner.goto(f"{live_server}/wiki/{slug}/owners")
    owner.get_by_label("Require an owner's approval for changes to this page").check()
    owner.get_by_role("button", name="Save owners").click()
    expect(owner.get_by_text("one of them must approve every change")).to_be_visible()

    editor = open_page()
    sign_in(editor, live_server, "hana")
    editor.goto(f"{live_server}/wiki/{slug}/edit")
    editor.get_by_label("Content (Markdown)").fill(
        BODY + "3. Forward the confirmation to finance.\n"
    )
    editor.get_by_role("button", name="Save draft").click()
    editor.wait_for_url("**/proposals/*")
    proposal_url = editor.url
    editor.get_by_label("Other people").fill("fatima")
    editor.get_by_role("button", name="Submit for review").click()
    expect(editor.get_by_text("Fatima Khan").first).to_be_visible()

    peer = open_page()
    sign_in(peer, live_server, "fatima")
    peer.goto(proposal_url)
    _approve(peer)
    expect(peer.get_by_text("Needs an owner's approval.")).to_be_visible()
    screenshot(peer, "verification-owner-approval-1280")

    owner.goto(proposal_url)
    _approve(owner)
    owner.goto(f"{live_server}/wiki/{slug}")
    expect(owner.locator(".prose")).to_contain_text("Forward the confirmation to finance.")


def _approve(page: Page) -> None:
    page.get_by_label("Approve").check()
    page.get_by_role("button", name="Submit review").click()
