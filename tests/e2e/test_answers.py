"""A new hire asks a question, reads the direct answer and follows it to the section."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, expect

from app.services import content
from tests.e2e.conftest import screenshot, sign_in

CONTENT = Path(__file__).resolve().parents[2] / "content"


def test_a_new_hire_finds_the_answer_and_follows_it_to_the_section(
    browser: Browser, live_server: str, people: dict[str, Any], db: Any, sync_index: Any
) -> None:
    report = content.import_directory(db, CONTENT)  # the starter content
    assert not report.failed, report.failed
    sync_index()
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server, "hana")
    for width, name in ((1280, "desktop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900})
        if width == 1280:  # the header's search box (on phones it sits in the menu)
            page.locator("#header-q").fill("unused leave carry over")
            page.locator("#header-q").press("Enter")
        else:
            page.goto(f"{live_server}/search?q=unused+leave+carry+over")
        answer = page.locator(".direct-answer")
        expect(answer).to_be_visible()
        expect(answer.locator(".direct-answer__heading")).to_have_text("Unused days and carry over")
        expect(page.locator("#results-more")).to_contain_text("more")
        screenshot(page, f"answers-direct-answer-{name}")

        page.goto(f"{live_server}/search?q=parental+leave+policy+for+contractors+in+Japan")
        more = page.locator("#results-more")
        expect(more).to_be_visible()
        shown = page.locator("li.result").count()
        assert shown < 5
        screenshot(page, f"answers-cut-off-{name}")
        more.get_by_role("link", name="more").click()
        expect(page.locator("li.result")).to_have_count(10)  # the first page of every result

        page.goto(f"{live_server}/search?q=unused+leave+carry+over")
        page.locator(".direct-answer__heading a").click()
        expect(page).to_have_url(
            f"{live_server}/wiki/requesting-time-off#unused-days-and-carry-over"
        )
        expect(page.locator("#unused-days-and-carry-over")).to_be_in_viewport()
        screenshot(page, f"answers-followed-{name}")
