"""A reviewer who does not read Markdown: the rendered change, approved; and the editor's
"Save and request review"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Person, screenshot, sign_in

BODY = """# Travel expenses

File your receipts within 30 days of the trip.

## What is covered

- Taxi to the airport
- Hotel, up to 120 EUR a night
- Meals

| Item | Limit |
|---|---|
| Dinner | 40 EUR |
| Lunch | 20 EUR |
"""
CHANGED = (
    BODY.replace("within 30 days", "within 14 days, using form E-12,")
    .replace("- Meals\n", "- Meals\n- Train tickets (second class)\n")
    .replace("| Dinner | 40 EUR |", "| Dinner | 45 EUR |")
    .replace("Hotel, up to 120", "Hotel, up to 140")
)


#: What this feature adds to a screen; none of it may reach past a phone's edge (the header is
#: another part's: it collapses into a menu there).
OWN_PARTS = (
    ".review-picker, .editor__buttons, .tabs, .rendered-inline, .rendered-sbs, .rendered-page"
)


def _phone(page: Page, name: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, f"{name}-390")
    widest = page.evaluate(
        "sel => Math.max(0, ...[...document.querySelectorAll(sel)].map("
        "e => Math.max(e.getBoundingClientRect().right, e.getBoundingClientRect().left + e.scrollWidth)))",
        OWN_PARTS,
    )
    assert widest <= 390, f"{name}: a part reaches {widest} px at 390 px"
    page.set_viewport_size({"width": 1280, "height": 800})


def test_author_saves_and_requests_review_and_reviewer_approves_the_rendered_change(
    live_server: str,
    open_page: Callable[[], Page],
    make_user: Callable[..., Person],
    make_page: Callable[..., str],
) -> None:
    alex = make_user("alex", name="Alex Rivera")
    fatima = make_user("fatima", name="Fatima Khan", department="Finance")
    make_page(fatima, "Travel budget", "Budgets per trip.\n", tags=["travel"])
    slug = make_page(alex, "Travel expenses", BODY, tags=["travel"])

    author = open_page()
    sign_in(author, live_server, alex.username)
    author.goto(f"/wiki/{slug}/edit")
    author.locator("textarea[name=body]").fill(CHANGED)
    author.get_by_label("Edit summary").fill("Shorter deadline, trains covered")
    picker = author.locator(".review-picker")
    expect(picker).to_contain_text("Wrote 1 page tagged #travel")
    picker.get_by_label("Fatima Khan").check()
    screenshot(author, "review-editor-1280")
    _phone(author, "review-editor")
    author.get_by_role("button", name="Save and request review").click()
    expect(
        author.get_by_text("Saved and sent for review. Reviewers have been notified.")
    ).to_be_visible()
    expect(author.locator(".status-box .status").first).to_have_text("in review")
    proposal_url = author.url

    reviewer = open_page()
    sign_in(reviewer, live_server, fatima.username)
    reviewer.goto("/review")
    reviewer.get_by_role("link", name="Travel expenses").first.click()
    # The default view is the rendered page: words, not Markdown, with the changes marked.
    inline = reviewer.locator(".rendered-inline")
    expect(reviewer.get_by_role("link", name="Rendered")).to_have_attribute("aria-current", "page")
    expect(inline.locator("del", has_text="30 days")).to_be_visible()
    expect(inline.locator("ins", has_text="14 days")).to_be_visible()
    expect(inline.locator("li ins", has_text="Train tickets (second class)")).to_be_visible()
    expect(inline.locator("td del", has_text="40")).to_be_visible()
    expect(inline.locator("td ins", has_text="45")).to_be_visible()
    expect(inline).not_to_contain_text("| Dinner |")
    screenshot(reviewer, "review-rendered-inline-1280")
    _phone(reviewer, "review-rendered-inline")

    reviewer.get_by_role("link", name="Side by side", exact=True).click()
    expect(reviewer).to_have_url(f"{proposal_url}?show=side")
    row = reviewer.locator(".rendered-sbs__row--changed").first
    expect(row.locator(".rendered-sbs__old del")).to_contain_text("30 days")
    expect(row.locator(".rendered-sbs__new ins")).to_contain_text("14 days")
    screenshot(reviewer, "review-rendered-side-1280")
    _phone(reviewer, "review-rendered-side")

    reviewer.get_by_role("link", name="Markdown source", exact=True).click()
    expect(reviewer.locator(".diff .diff__line--added").first).to_be_visible()
    screenshot(reviewer, "review-source-1280")
    _phone(reviewer, "review-source")

    reviewer.get_by_role("link", name="Proposed page").click()
    expect(reviewer.locator(".rendered-page td", has_text="45 EUR")).to_be_visible()
    screenshot(reviewer, "review-proposed-page-1280")

    reviewer.get_by_role("link", name="Changes against the published version").click()
    reviewer.get_by_label("Approve").check()
    reviewer.get_by_role("button", name="Submit review").click()
    expect(reviewer.get_by_text("Published: readers see the new version now.")).to_be_visible()
    reader = open_page()
    reader.goto(f"/wiki/{slug}")
    expect(reader.locator(".prose").first).to_contain_text("within 14 days, using form E-12,")


def test_without_javascript_the_tabs_still_switch(
    live_server: str,
    new_context: Callable[..., Any],
    make_user: Callable[..., Person],
    make_page: Callable[..., str],
) -> None:
    alex = make_user("alex", name="Alex Rivera")
    fatima = make_user("fatima", name="Fatima Khan", department="Finance")
    slug = make_page(alex, "Travel expenses", BODY)
    author = new_context().new_page()
    sign_in(author, live_server, alex.username)
    author.goto(f"/wiki/{slug}/edit")
    author.locator("textarea[name=body]").fill(CHANGED)
    author.get_by_label("Other people").fill(fatima.username)
    author.get_by_role("button", name="Save and request review").click()
    expect(author.get_by_text("Saved and sent for review")).to_be_visible()
    url = author.url
    no_js = new_context(java_script_enabled=False).new_page()
    sign_in(no_js, live_server, fatima.username)
    no_js.goto(url)
    no_js.get_by_role("link", name="Side by side", exact=True).click()
    expect(no_js.locator(".rendered-sbs__new ins").first).to_be_visible()
