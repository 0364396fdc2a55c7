"""Real journeys in a real browser: write and edit pages, review them, and search."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import shot, sign_in
from tests.factories import make_page

PAGE_BODY = """# Laptop Returns

## Steps

| Item | Return to |
|---|---|
| Laptop | IT desk |

```python
print("wipe the disk")
```

See [[Existing Guide]] and [[Nowhere Yet]].
"""


def test_sign_up_write_preview_review_edit_and_resolve_a_conflict(
    browser: Browser, live_server: str, people: dict[str, Any], db: Any
) -> None:
    make_page(db, people["fatima"], title="Existing Guide", body="An existing page.")
    newcomer = browser.new_context()
    page = newcomer.new_page()
    page.goto(f"{live_server}/signup")
    page.get_by_label("Username").fill("nora")
    page.get_by_label("Full name").fill("Nora New")
    page.get_by_label("Work email").fill("nora@example.com")
    page.get_by_label("Department").select_option("Engineering")
    page.get_by_label("Password", exact=True).fill("a-long-password")
    page.get_by_label("Repeat password").fill("a-long-password")
    shot(page, "signup")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Welcome to Peerwiki, Nora New")).to_be_visible()

    page.get_by_role("link", name="New page").click()
    page.get_by_label("Title").fill("Laptop Returns")
    page.get_by_label("Tags").fill("laptops, offboarding")
    page.locator("textarea[name=body]").fill(PAGE_BODY)
    preview = page.locator("#preview")
    expect(preview.locator("table")).to_be_visible()
    expect(preview.locator("pre.highlight")).to_contain_text('print("wipe the disk")')
    expect(preview.locator("a.wikilink", has_text="Existing Guide")).not_to_have_class(
        re.compile("missing")
    )
    expect(preview.locator("a.wikilink.missing", has_text="Nowhere Yet")).to_be_visible()
    shot(page, "editor-preview")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", name=re.compile("Laptop Returns")).first).to_be_visible()
    expect(page.locator(".status").first).to_have_text("draft")

    # Ask a reviewer from Finance, who approves; the page is published.
    page.get_by_label("Other people").fill("fatima")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review")).to_be_visible()
    reviewer = browser.new_context().new_page()
    sign_in(reviewer, live_server, "fatima")
    reviewer.goto(page.url)
    reviewer.get_by_label("Approve").check()
    reviewer.get_by_role("button", name="Submit review").click()
    expect(reviewer.get_by_text("Published: readers see the new version now.")).to_be_visible()

    page.goto(f"{live_server}/wiki/laptop-returns")
    article = page.locator(".prose").first
    expect(article.locator("table td", has_text="IT desk")).to_be_visible()
    expect(article.locator("pre.highlight")).to_be_visible()
    expect(page.locator(".toc")).to_contain_text("Steps")
    expect(page.get_by_text("Reviewed and approved by")).to_be_visible()
    shot(page, "page-view")
    page.goto(f"{live_server}/wiki/existing-guide")
    expect(page.locator("#backlinks-heading + ul")).to_contain_text("Laptop Returns")

    # Two tabs of the same author edit the same proposal: the second save is refused, nothing lost.
    tab_a = page
    tab_b = newcomer.new_page()
    tab_a.goto(f"{live_server}/wiki/laptop-returns/edit")
    tab_a.locator("textarea[name=body]").fill(PAGE_BODY.replace("IT desk", "IT help desk"))
    tab_a.get_by_role("button", name="Save draft").click()
    expect(tab_a.get_by_text("Your changes are saved in your proposal")).to_be_visible()
    tab_b.goto(f"{live_server}/wiki/laptop-returns/edit")
    tab_a.goto(f"{live_server}/wiki/laptop-returns/edit")
    tab_a.locator("textarea[name=body]").fill(PAGE_BODY.replace("IT desk", "IT help desk, floor 2"))
    tab_a.get_by_role("button", name="Save revision").click()
    expect(tab_a.get_by_text("Your changes are saved in your proposal")).to_be_visible()
    mine = PAGE_BODY.replace("Laptop | IT desk", "Laptop | IT desk (tab B)")
    tab_b.locator("textarea[name=body]").fill(mine)
    tab_b.get_by_role("button", name="Save revision").click()
    expect(tab_b.get_by_text("Someone else saved this page while you were editing")).to_be_visible()
    expect(tab_b.locator("textarea[name=body]")).to_have_value(mine)
    expect(tab_b.locator(".conflict .diff ins").first).to_contain_text("floor 2")
    shot(tab_b, "conflict")
    tab_b.get_by_role("button", name="Save revision").click()
    expect(tab_b.get_by_text("Your changes are saved in your proposal")).to_be_visible()

    # History and diff of the published page.
    tab_b.goto(f"{live_server}/wiki/laptop-returns/history")
    shot(tab_b, "history")
    expect(tab_b.locator("table.history tbody tr")).to_have_count(4)


def test_three_people_review_a_change_while_readers_keep_the_old_version(
    browser: Browser, live_server: str, people: dict[str, Any], db: Any
) -> None:
    old = "# Expenses\n\nSubmit receipts.\nWithin 60 days.\nAsk Finance.\n"
    make_page(db, people["alex"], title="Expenses", body=old)
    engineer, finance, reader = (browser.new_context().new_page() for _ in range(3))
    sign_in(engineer, live_server, "alex")
    sign_in(finance, live_server, "fatima")

    engineer.goto(f"{live_server}/wiki/expenses/edit")
    engineer.locator("textarea[name=body]").fill(old.replace("Within 60 days.", "Within 30 days."))
    engineer.get_by_label("Edit summary").fill("Shorter deadline")
    engineer.get_by_role("button", name="Save draft").click()
    proposal_url = engineer.url
    engineer.get_by_label("Other people").fill("fatima")
    engineer.get_by_role("button", name="Submit for review").click()

    reader.goto(f"{live_server}/wiki/expenses")
    expect(reader.locator(".prose")).to_contain_text("Within 60 days")

    finance.goto(f"{live_server}/review")
    finance.get_by_role("link", name="Expenses").click()
    expect(finance.locator(".rendered-inline del")).to_contain_text("60")  # the rendered change
    finance.get_by_role("link", name="Markdown source", exact=True).click()  # line comments
    finance.get_by_role("link", name="Comment on line 3").click()
    finance.get_by_role("textbox", name="Comment on line 3").fill(
        "Which receipts? Say scanned or paper."
    )
    finance.get_by_role("button", name="Add comment").first.click()
    expect(finance.locator(".thread")).to_contain_text("Which receipts?")
    finance.get_by_label("Request changes").check()
    finance.get_by_label("Summary").fill("Almost there")
    finance.get_by_role("button", name="Submit review").click()
    expect(finance.locator("h1 .status")).to_have_text("changes requested")
    shot(finance, "review-changes-requested")

    engineer.reload()
    expect(engineer.locator(".inbox-link .pill")).to_be_visible()
    engineer.goto(f"{live_server}/wiki/expenses/edit")
    engineer.locator("textarea[name=body]").fill(
        old.replace("Within 60 days.", "Within 30 days.").replace(
            "Submit receipts.", "Submit scanned receipts."
        )
    )
    engineer.get_by_role("button", name="Save revision").click()

    finance.goto(proposal_url)
    finance.get_by_role("link", name=re.compile("Changes since your last review")).click()
    diff = finance.locator(".rendered-inline")
    expect(diff.locator("ins")).to_have_text([re.compile(r"^\s*scanned\s*$")])
    expect(diff).not_to_contain_text("60 days")  # only what changed since the last review
    shot(finance, "review-since-last")
    reader.goto(f"{live_server}/wiki/expenses")
    expect(reader.locator(".prose")).to_contain_text("Within 60 days")
    finance.get_by_label("Approve").check()
    finance.get_by_role("button", name="Submit review").click()
    expect(finance.get_by_text("Published: readers see the new version now.")).to_be_visible()

    reader.goto(f"{live_server}/wiki/expenses")
    expect(reader.locator(".prose")).to_contain_text("Submit scanned receipts")
    expect(reader.locator(".prose")).to_contain_text("Within 30 days")
    expect(reader.get_by_text("Fatima Khan")).to_be_visible()


def test_search_facets_did_you_mean_and_knowledge_gaps(
    browser: Browser, live_server: str, people: dict[str, Any], db: Any, sync_index: Any
) -> None:
    make_page(
        db,
        people["hana"],
        title="Onboarding Checklist",
        body="Your first week: laptop, badge and a buddy.",
        tags=["onboarding"],
        department="People",
    )
    make_page(
        db,
        people["fatima"],
        title="Laptop Budget",
        body="Each laptop purchase needs a budget line.",
        tags=["finance"],
        department="Finance",
    )
    sync_index()
    page = browser.new_context().new_page()
    sign_in(page, live_server, "alex")
    header_search = page.locator("#header-q")
    header_search.fill("onbo")
    expect(page.locator("#header-suggestions")).to_contain_text("Onboarding Checklist")
    header_search.fill("laptop")
    header_search.press("Enter")
    expect(page.locator(".results-count")).to_contain_text("2 results")
    page.locator(".facets").get_by_role("link", name="Finance", exact=True).click()
    expect(page.locator(".results-count")).to_contain_text("1 result")
    expect(page.locator(".result__title")).to_have_text("Laptop Budget")
    shot(page, "search-facet")

    page.goto(f"{live_server}/search?q=onbording+cheklist")
    page.get_by_role("link", name=re.compile("onboarding", re.I)).first.click()
    expect(page.locator(".result__title").first).to_have_text("Onboarding Checklist")
    page.locator(".result__title").first.click()
    expect(page).to_have_url(f"{live_server}/wiki/onboarding-checklist")

    # A question nobody answered becomes a gap; writing the page answers it and tells the asker.
    asker = browser.new_context().new_page()
    sign_in(asker, live_server, "fatima")
    asker.goto(f"{live_server}/search?q=bicycle+parking")
    expect(asker.get_by_text("Nobody has written this down yet")).to_be_visible()
    page.goto(f"{live_server}/gaps")
    expect(page.locator("table.gaps")).to_contain_text("bicycle parking")
    # Found only by close spellings: a gap at once too.
    expect(page.locator("table.gaps")).to_contain_text("onbording cheklist")
    shot(page, "gaps")
    page.locator("table.gaps tr", has_text="bicycle parking").get_by_role(
        "link", name="Write this page"
    ).click()
    expect(page.get_by_label("Title")).to_have_value("Bicycle parking")
    page.locator("textarea[name=body]").fill("Bicycle parking is in the courtyard, behind gate B.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_label("Other people").fill("hana")
    page.get_by_role("button", name="Submit for review").click()
    reviewer = browser.new_context().new_page()
    sign_in(reviewer, live_server, "hana")
    reviewer.goto(page.url)
    reviewer.get_by_label("Approve").check()
    reviewer.get_by_role("button", name="Submit review").click()
    expect(reviewer.get_by_text("Published: readers see the new version now.")).to_be_visible()
    # The gap is answered by work that runs after the approval's response went out.
    for _ in range(40):
        asker.goto(f"{live_server}/inbox")
        if "now has an answer" in asker.locator("main").inner_text():
            break
        asker.wait_for_timeout(250)
    expect(asker.locator(".notifications")).to_contain_text("now has an answer")
