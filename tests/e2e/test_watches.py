"""A reader watches a page, and hears in the inbox when a change to it is proposed and then
published."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, expect

from app.review.approval import ApprovalRules, Verdict
from app.services import review
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import edit_page, make_page


def test_a_watched_page_notifies_its_watcher(
    browser: Browser, live_server: str, people: dict[str, Any], db: Any
) -> None:
    first = make_page(db, people["alex"], title="Laptop Returns", body="Bring it to the IT desk.")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, live_server, "hana")
    page.goto(f"{live_server}/wiki/laptop-returns")
    page.locator(".watch-menu > summary").click()
    screenshot(page, "watches-menu-desktop")
    page.get_by_role("button", name="Watch this page").click()
    expect(page.get_by_text("You are watching Laptop Returns")).to_be_visible()
    expect(page.locator(".watch-menu > summary")).to_have_text("Watching")

    edit = edit_page(
        db, people["alex"], first, "Bring it to the IT desk, wiped.", ask=people["fatima"]
    )
    page.goto(f"{live_server}/inbox")
    expect(
        page.get_by_text("proposes a change to “Laptop Returns” (you watch this page)")
    ).to_be_visible()
    review.add_review(db, actor=people["fatima"], revision_id=edit.id, verdict=Verdict.APPROVE,
                      rules=ApprovalRules())  # fmt: skip
    page.reload()
    expect(
        page.get_by_text("“Laptop Returns” was published (you watch this page).")
    ).to_be_visible()
    screenshot(page, "watches-inbox-desktop")
    page.get_by_role("link", name="“Laptop Returns” was published (you watch this page).").click()
    expect(page.get_by_text("wiped")).to_be_visible()

    phone = browser.new_context(viewport={"width": 390, "height": 844})
    small = phone.new_page()
    sign_in(small, live_server, "hana")
    small.goto(f"{live_server}/wiki/laptop-returns")
    small.locator(".watch-menu > summary").click()
    screenshot(small, "watches-menu-phone")
    box = small.locator(".watch-menu__panel").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390  # on the screen
    small.goto(f"{live_server}/settings/watches")
    expect(small.get_by_role("link", name="Laptop Returns")).to_be_visible()
    screenshot(small, "watches-settings-phone")
    context.close()
    phone.close()
