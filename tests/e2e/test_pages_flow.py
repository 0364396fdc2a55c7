"""What a person sees while signing up, writing, editing and comparing pages in a real browser."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Person, screenshot, sign_in

NEW_PAGE = """# Laptop Returns

How to hand back a laptop when you leave the company.

## Where to bring it

| Item | Return to |
|---|---|
| Laptop | IT desk |
| Charger | Reception |

## Wiping the disk

```python
def wipe(disk):
    return disk.erase(passes=3)
```

See [[Leaving Checklist]] first; the [[Asset Register]] is not written yet.
"""

EXPENSES = """# Expenses

Submit receipts within sixty days.
Ask Finance when you are unsure.
"""


def body_of(page: Page) -> Locator:
    return page.locator("textarea[name=body]")


def ask_for_review(page: Page, reviewer: Person) -> None:
    """On one's own proposal: ask exactly ``reviewer`` (suggested reviewers come pre-ticked)."""
    suggested = page.locator("input[type=checkbox][name=reviewers]")
    for index in range(suggested.count()):
        suggested.nth(index).uncheck()
    page.get_by_label("Other people").fill(reviewer.username)
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review.")).to_be_visible()
    expect(page.locator(".status-box")).to_contain_text(reviewer.name)


@pytest.fixture
def alex_on_expenses(
    open_page: Callable[[], Page],
    make_user: Callable[..., Person],
    make_page: Callable[..., str],
    live_server: str,
) -> Page:
    """Alex, signed in, with a published "Expenses" page."""
    author = make_user("alex", name="Alex Rivera")
    make_page(author, "Expenses", EXPENSES)
    page = open_page()
    sign_in(page, live_server, author.username)
    return page


def test_sign_up_through_the_form_lands_signed_in(
    open_page: Callable[[], Page], make_user: Callable[..., Person], make_page: Callable[..., str]
) -> None:
    colleague = make_user("fatima", name="Fatima Khan", department="Finance")
    make_page(
        colleague, "Expense Policy", "# Expense Policy\n\nKeep every receipt.", tags=["money"]
    )
    page = open_page()

    page.goto("/")
    expect(page.get_by_role("link", name="Expense Policy")).to_be_visible()
    page.get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", name="Join Peerwiki")).to_be_visible()
    page.get_by_label("Username").fill("nora")
    page.get_by_label("Full name").fill("Nora Newcomer")
    page.get_by_label("Work email").fill("nora@example.com")
    department = page.get_by_label("Department")
    expect(department.locator("option")).to_have_text(["Choose your department", "Finance"])
    department.select_option("Finance")
    page.get_by_label("Password", exact=True).fill("a-long-password")
    page.get_by_label("Repeat password").fill("a-long-password")
    screenshot(page, "signup")
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_text("Welcome to Peerwiki, Nora Newcomer!")).to_be_visible()
    header = page.locator(".site-header")
    expect(header.get_by_role("link", name="Nora Newcomer")).to_be_visible()
    expect(header.get_by_role("button", name="Sign out")).to_be_visible()
    expect(header.get_by_role("link", name="Sign in")).to_have_count(0)
    expect(page.get_by_role("link", name="Write a page")).to_be_visible()
    screenshot(page, "home")


def test_write_a_page_with_table_code_and_links_then_publish_it(
    open_page: Callable[[], Page],
    make_user: Callable[..., Person],
    make_page: Callable[..., str],
    live_server: str,
) -> None:
    author = make_user("alex", name="Alex Rivera", department="Engineering")
    reviewer = make_user("omar", name="Omar Haddad", department="Operations")
    make_page(reviewer, "Leaving Checklist", "# Leaving Checklist\n\nSay goodbye.")
    page = open_page()
    sign_in(page, live_server, author.username)

    page.get_by_role("link", name="New page").click()
    expect(page.get_by_role("heading", name="Write a new page")).to_be_visible()
    page.get_by_label("Title").fill("Laptop Returns")
    page.get_by_label("Tags").fill("laptops, offboarding")
    expect(page.get_by_label("Department", exact=True)).to_have_value("Engineering")
    page.get_by_label("Department", exact=True).select_option("Operations")
    body_of(page).fill(NEW_PAGE)

    preview = page.locator("#preview")
    expect(preview.locator("table th")).to_have_text(["Item", "Return to"])
    expect(preview.locator("table td", has_text="IT desk")).to_be_visible()
    code = preview.locator("pre.highlight")
    expect(code).to_contain_text("def wipe(disk):")
    expect(code.locator("span").first).to_be_attached()  # Pygments tokens, not plain text
    existing = preview.locator("a.wikilink", has_text="Leaving Checklist")
    expect(existing).to_be_visible()
    expect(existing).not_to_have_class(re.compile(r"\bmissing\b"))
    expect(preview.locator("a.wikilink", has_text="Asset Register")).to_have_class(
        re.compile(r"\bmissing\b")
    )
    screenshot(page, "editor-preview")

    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved. Ask colleagues to review it")).to_be_visible()
    expect(page.get_by_role("heading", level=1).first).to_contain_text("Laptop Returns")
    proposal_url = page.url
    ask_for_review(page, reviewer)

    peer = open_page()
    sign_in(peer, live_server, reviewer.username)
    peer.goto(proposal_url)
    peer.get_by_label("Approve").check()
    peer.get_by_role("button", name="Submit review").click()
    expect(peer.get_by_text("Published: readers see the new version now.")).to_be_visible()

    page.reload()
    page.get_by_role("link", name="Read the page").click()
    expect(page).to_have_url(re.compile(r"/wiki/laptop-returns$"))
    expect(page.locator("h1.page__title")).to_have_text("Laptop Returns")
    prose = page.locator("article .prose")
    expect(prose.locator("table td")).to_have_text(["Laptop", "IT desk", "Charger", "Reception"])
    expect(prose.locator("pre.highlight")).to_contain_text("return disk.erase(passes=3)")
    expect(prose.locator("a.wikilink.missing", has_text="Asset Register")).to_be_visible()
    toc = page.get_by_role("navigation", name="On this page")
    expect(toc).to_contain_text("Where to bring it")
    expect(toc).to_contain_text("Wiping the disk")
    expect(page.locator(".page__header .tag")).to_have_text(["#laptops", "#offboarding"])
    expect(page.locator(".page__header .breadcrumbs a")).to_have_text(["Operations"])  # its space
    expect(page.locator(".reviewed")).to_contain_text("Omar Haddad")
    screenshot(page, "page-view")

    # Following the wiki link: the existing page now knows who links to it.
    prose.get_by_role("link", name="Leaving Checklist").click()
    expect(page).to_have_url(re.compile(r"/wiki/leaving-checklist$"))
    linked_from = page.locator("section", has=page.get_by_role("heading", name="Linked from"))
    expect(linked_from.get_by_role("link")).to_have_text(["Laptop Returns"])


def test_edit_a_word_then_compare_revisions_in_history(
    alex_on_expenses: Page,
) -> None:
    page = alex_on_expenses

    page.goto("/wiki/expenses")
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_role("heading", name="Edit “Expenses”")).to_be_visible()
    expect(body_of(page)).to_have_value(EXPENSES)
    body_of(page).fill(EXPENSES.replace("sixty", "thirty"))
    page.get_by_label("Edit summary").fill("Shorter deadline")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Your changes are saved in your proposal.")).to_be_visible()

    page.goto("/wiki/expenses")
    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="History of “Expenses”")).to_be_visible()
    rows = page.locator("table.history tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Shorter deadline")
    expect(page.get_by_label("Compare from revision 1")).to_be_checked()
    expect(page.get_by_label("Compare to revision 2")).to_be_checked()
    screenshot(page, "history")

    page.get_by_role("button", name="Compare selected revisions").click()
    expect(page.get_by_role("heading", name="Changes to “Expenses”")).to_be_visible()
    diff = page.locator(".diff")
    expect(diff.locator("del")).to_have_text(["sixty"])
    expect(diff.locator("ins")).to_have_text(["thirty"])
    expect(page.locator(".diff-stats")).to_have_text("+1 −1 lines")
    screenshot(page, "diff")


def test_edit_conflict_keeps_my_text_and_shows_their_change(
    open_page: Callable[[], Page],
    make_user: Callable[..., Person],
    make_page: Callable[..., str],
    live_server: str,
) -> None:
    alex = make_user("alex", name="Alex Rivera", department="Engineering")
    bea = make_user("bea", name="Bea Santos", department="Finance")
    reviewer = make_user("omar", name="Omar Haddad", department="Operations")
    make_page(alex, "Expenses", EXPENSES)
    page_a, page_b = open_page(), open_page()
    sign_in(page_a, live_server, alex.username)
    sign_in(page_b, live_server, bea.username)

    # Both open the editor on the same published revision.
    page_a.goto("/wiki/expenses/edit")
    page_b.goto("/wiki/expenses/edit")
    base_b = page_b.locator("input[name=base_revision_id]")
    started_from = base_b.input_value()
    assert started_from.isdigit()
    mine = EXPENSES.replace("Ask Finance", "Ask the Finance helpdesk")
    body_of(page_b).fill(mine)

    # A saves first, and a reviewer publishes A's change.
    body_of(page_a).fill(EXPENSES.replace("sixty", "thirty"))
    page_a.get_by_role("button", name="Save draft").click()
    expect(page_a.get_by_text("Your changes are saved in your proposal.")).to_be_visible()
    ask_for_review(page_a, reviewer)
    peer = open_page()
    sign_in(peer, live_server, reviewer.username)
    peer.goto(page_a.url)
    peer.get_by_label("Approve").check()
    peer.get_by_role("button", name="Submit review").click()
    expect(peer.get_by_text("Published: readers see the new version now.")).to_be_visible()

    # B saves on the old revision: refused with 409, nothing lost, A's change shown.
    with page_b.expect_response(
        lambda response: response.request.method == "POST" and "/edit" in response.url
    ) as saved:
        page_b.get_by_role("button", name="Save draft").click()
    assert saved.value.status == 409
    conflict = page_b.locator("section.conflict")
    expect(
        conflict.get_by_role("heading", name="Someone else saved this page while you were editing")
    ).to_be_visible()
    expect(conflict).to_contain_text("Alex Rivera saved revision 2")
    expect(body_of(page_b)).to_have_value(mine)
    theirs = conflict.locator("details").first
    expect(theirs).to_have_attribute("open", "")
    expect(theirs.locator(".diff del")).to_have_text(["sixty"])
    expect(theirs.locator(".diff ins")).to_have_text(["thirty"])
    expect(base_b).not_to_have_value(started_from)
    screenshot(page_b, "conflict")

    # B brings A's change in and saves again: accepted on top of the new revision.
    body_of(page_b).fill(mine.replace("sixty", "thirty"))
    page_b.get_by_role("button", name="Save draft").click()
    expect(page_b.get_by_text("Your changes are saved in your proposal.")).to_be_visible()
    expect(page_b.locator(".rendered-diff ins").first).to_be_visible()
    page_b.get_by_role("link", name="Markdown source", exact=True).click()
    expect(page_b.locator(".diff ins")).to_contain_text(["the ", " helpdesk"])
    expect(page_b.locator(".diff")).not_to_contain_text("sixty")


def test_unsaved_text_is_offered_back_after_a_reload(
    alex_on_expenses: Page,
) -> None:
    page = alex_on_expenses

    page.goto("/wiki/expenses/edit")
    unsaved = EXPENSES + "\nKeep paper receipts in the blue folder.\n"
    body_of(page).fill(unsaved)
    expect(page.locator("#draft-status")).to_contain_text("Draft kept in this browser")
    expect(page.locator("#preview")).to_contain_text("blue folder")

    page.reload()
    expect(body_of(page)).to_have_value(EXPENSES)
    banner = page.get_by_role("status").filter(has_text="You have unsaved text for this page")
    expect(banner).to_be_visible()
    banner.get_by_role("button", name="Restore my draft").click()
    expect(banner).to_have_count(0)
    expect(body_of(page)).to_have_value(unsaved)
    expect(page.locator("#preview")).to_contain_text("Keep paper receipts in the blue folder.")


def test_anonymous_reader_can_read_but_must_sign_in_to_write(
    open_page: Callable[[], Page],
    make_user: Callable[..., Person],
    make_page: Callable[..., str],
) -> None:
    author = make_user("alex", name="Alex Rivera")
    make_page(author, "Expenses", EXPENSES)
    page = open_page()

    page.goto("/wiki/expenses")
    expect(page.locator("h1.page__title")).to_have_text("Expenses")
    expect(page.locator("article .prose")).to_contain_text("Submit receipts within sixty days.")
    actions = page.get_by_role("navigation", name="Page actions")
    expect(actions.get_by_role("link", name="History")).to_be_visible()
    expect(actions.get_by_role("link", name="Edit")).to_have_count(0)
    expect(page.locator(".site-header").get_by_role("link", name="New page")).to_have_count(0)

    missing = page.goto("/wiki/no-such-page")
    assert missing is not None and missing.status == 404
    expect(
        page.get_by_role("heading", name="There is no page called “No such page” yet")
    ).to_be_visible()
    screenshot(page, "404-missing-page")
    unknown = page.goto("/no/such/address")
    assert unknown is not None and unknown.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not Found")
    expect(page.get_by_role("link", name="Go to the home page")).to_be_visible()
    screenshot(page, "404")

    page.goto("/new")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fnew$"))
    expect(page.get_by_text("Please sign in to continue.")).to_be_visible()
    page.get_by_label("Username").fill(author.username)
    page.get_by_label("Password").fill(author.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/new$"))
    expect(page.get_by_role("heading", name="Write a new page")).to_be_visible()
    expect(page.get_by_text("Welcome back, Alex Rivera.")).to_be_visible()


def test_a_saved_new_page_is_not_offered_again_as_unsaved_text(
    open_page: Callable[[], Page], make_user: Callable[..., Person], live_server: str
) -> None:
    author = make_user("alex", name="Alex Rivera")
    page = open_page()
    sign_in(page, live_server, author.username)
    page.goto("/new")
    page.get_by_label("Title").fill("Parking")
    body_of(page).fill("Park behind gate B.")
    expect(page.locator("#draft-status")).to_contain_text("Draft kept in this browser")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved. Ask colleagues to review it")).to_be_visible()

    page.locator(".site-header").get_by_role("link", name="New page").click()
    expect(page.get_by_role("heading", name="Write a new page")).to_be_visible()
    expect(page.locator("#preview")).not_to_contain_text(
        "The preview appears here"
    )  # editor.js ran
    expect(body_of(page)).to_have_value("")
    screenshot(page, "editor-new-after-saving")
    expect(page.get_by_text("You have unsaved text for this page")).to_have_count(0, timeout=1000)
