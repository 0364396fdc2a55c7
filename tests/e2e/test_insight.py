"""Reader feedback, the analytics dashboard and the expert directory in a browser, at desktop
and phone widths (screenshots in /tmp/peerwiki-shots/)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from playwright.sync_api import Browser, Page, expect

from app.models import utcnow
from app.services import analytics
from tests.analytics_seed import seed
from tests.conftest import ANALYTICS_WRONG_ON_POSTGRES
from tests.e2e.conftest import SCREENSHOTS, screenshot, sign_in
from tests.factories import make_page, make_user

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _signed_in(
    browser: Browser, live_server: str, username: str, viewport: dict[str, int], **over: Any
) -> Page:
    """A page signed in as ``username`` (on a laptop: the phone's header folds into a menu),
    then at ``viewport``."""
    page = browser.new_context(viewport=DESKTOP, **over).new_page()
    sign_in(page, live_server, username)
    page.set_viewport_size(viewport)  # type: ignore[arg-type]
    return page


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"  # type: ignore[index]


def test_a_reader_says_a_page_did_not_work_and_its_owner_reads_the_note(
    browser: Browser, live_server: str, people: dict[str, Any], db: Any
) -> None:
    make_page(
        db,
        people["alex"],
        title="VPN setup",
        body="# VPN setup\n\n1. Install the client.\n2. Sign in.\n",
    )
    reader = _signed_in(browser, live_server, "fatima", PHONE)
    reader.goto(f"{live_server}/wiki/vpn-setup")
    box = reader.locator("#feedback")
    expect(box.get_by_text("Nobody has said yet whether this version worked.")).to_be_visible()
    box.get_by_text("Add a private note to the page's owners").click()
    box.get_by_label("Note to the owners").fill("Step 2 asks for a token I do not have.")
    screenshot(reader, "feedback-reader-phone")
    _no_sideways_scroll(reader)
    box.get_by_role("button", name="This didn't work").click()
    expect(
        reader.get_by_text("Thanks: the page's owners will look at what did not work.")
    ).to_be_visible()
    expect(
        reader.locator("#feedback").get_by_text("You said this version didn't work for you")
    ).to_be_visible()
    reader.locator("#feedback").get_by_role(
        "button", name="This worked for me"
    ).click()  # changes it
    expect(
        reader.locator("#feedback").get_by_text("1 reader says this version worked for them.")
    ).to_be_visible()
    hana = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(hana, live_server, "hana")
    hana.goto(f"{live_server}/wiki/vpn-setup")
    expect(
        hana.locator("#feedback").get_by_text("1 reader says this version worked for them.")
    ).to_be_visible()
    expect(hana.get_by_text("Step 2 asks for a token")).to_have_count(0)  # private to the owners
    owner = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(owner, live_server, "alex")
    owner.goto(f"{live_server}/wiki/vpn-setup")
    notes = owner.locator(".feedback__owners")
    expect(notes.get_by_text("Step 2 asks for a token I do not have.")).to_be_visible()
    expect(owner.get_by_role("button", name="This worked for me")).to_have_count(0)  # its writer
    owner.locator("#feedback").scroll_into_view_if_needed()
    screenshot(owner, "feedback-owner-desktop")
    anonymous = browser.new_context(viewport=DESKTOP).new_page()
    anonymous.goto(f"{live_server}/wiki/vpn-setup")
    expect(anonymous.locator("#feedback").get_by_role("link", name="Sign in")).to_be_visible()
    expect(anonymous.get_by_text("readers say")).to_have_count(0)  # fmt: skip


@ANALYTICS_WRONG_ON_POSTGRES
def test_an_administrator_reads_the_dashboard_on_a_laptop_and_a_phone(
    browser: Browser, live_server: str, live_app: Flask, db: Any
) -> None:
    seed(db, live_app, now=utcnow(), weeks=10, per_week=5)
    make_user(db, username="admin", name="Ada Admin", department="Operations", is_admin=True)
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = _signed_in(browser, live_server, "admin", viewport, accept_downloads=True)
        page.goto(f"{live_server}/")
        if name == "desktop":
            page.get_by_role("link", name="Analytics").click()
        else:
            page.goto(f"{live_server}/analytics")
        expect(page.get_by_role("heading", name="Peer-learning analytics")).to_be_visible()
        for chart in analytics.CHARTS.values():
            picture = page.locator(f"#{chart.name} img")
            picture.scroll_into_view_if_needed()
            page.wait_for_function(
                "img => img.complete && img.naturalWidth > 0", arg=picture.element_handle()
            )
            expect(
                page.locator(f"#{chart.name}").get_by_role("heading", name=chart.title)
            ).to_be_visible()
        _no_sideways_scroll(page)
        for chart in ("time-to-first-review", "open-proposals"):  # one chart up close
            page.locator(f"#{chart}").screenshot(
                path=str(SCREENSHOTS / f"analytics-{chart}-{name}.png")
            )
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, f"analytics-dashboard-{name}")
    with page.expect_download() as waiting:
        page.locator("#reviews-given").get_by_role("link", name="Download CSV").click()
    download = waiting.value
    assert download.suggested_filename.startswith("peerwiki-reviews-given-")
    with open(download.path(), encoding="utf-8") as csv_file:
        assert csv_file.readline().strip() == "week,space,reviews"
    page.select_option("select[name=space]", label="Finance")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("in Finance:")).to_be_visible()  # fmt: skip


def test_a_new_hire_finds_who_knows_about_a_tag(
    browser: Browser, live_server: str, live_app: Flask, db: Any
) -> None:
    seed(db, live_app, now=utcnow(), weeks=6, per_week=5)
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = _signed_in(browser, live_server, "lena", viewport)
        page.goto(f"{live_server}/wiki?tag=vpn")
        page.get_by_role("link", name="Who knows about #vpn?").click()
        expect(
            page.get_by_role("heading", name="Who knows about pages tagged #vpn")
        ).to_be_visible()
        expect(page.locator(".expert").first).to_be_visible()
        _no_sideways_scroll(page)
        screenshot(page, f"experts-{name}")
