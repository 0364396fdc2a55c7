"""A page moved in the tree: proposed in the editor, reviewed, then shown under its new parent
in the sidebar and the breadcrumbs; and the spaces screens at desktop and phone widths."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, Page, expect

from app.services import spaces
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import make_page

PHONE = {"width": 390, "height": 844}


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_page_moved_in_the_editor_is_reviewed_then_shown_under_its_new_parent(
    browser: Browser, live_server: str, people: dict[str, Any], db: Any
) -> None:
    make_page(db, people["alex"], title="Runbooks", body="# Runbooks\n\nHow we run things.\n")
    make_page(db, people["alex"], title="Deploys", body="# Deploys\n\nShip on Tuesdays.\n")
    author, reviewer, reader = (browser.new_context().new_page() for _ in range(3))
    sign_in(author, live_server, "alex")
    sign_in(reviewer, live_server, "fatima")

    author.goto(f"{live_server}/wiki/deploys/edit")
    expect(author.get_by_label("Space")).to_have_value("engineering")
    author.get_by_label("Under page").fill("Runbooks")
    author.get_by_label("Edit summary").fill("File under Runbooks")
    author.get_by_role("button", name="Save draft").click()
    expect(author.locator(".move-note")).to_contain_text(
        "Moves “Deploys” from Engineering (top level) to Engineering › Runbooks"
    )
    author.get_by_label("Other people").fill("fatima")
    author.get_by_role("button", name="Submit for review").click()

    reader.goto(f"{live_server}/wiki/deploys")
    expect(reader.locator(".breadcrumbs li")).to_have_text(["Engineering", "Deploys"])

    reviewer.goto(f"{live_server}/review")
    reviewer.get_by_role("link", name="Deploys").first.click()
    expect(reviewer.locator(".move-note")).to_contain_text("to Engineering › Runbooks")
    reviewer.get_by_label("Approve").check()
    reviewer.get_by_role("button", name="Submit review").click()

    reader.goto(f"{live_server}/wiki/deploys")
    expect(reader.locator(".breadcrumbs li")).to_have_text(["Engineering", "Runbooks", "Deploys"])
    tree = reader.locator("#space-tree")
    branch = tree.locator("details.tree__branch", has_text="Runbooks")
    expect(branch).to_have_attribute("open", "")
    expect(branch.get_by_role("link", name="Deploys")).to_have_attribute("aria-current", "page")
    screenshot(reader, "spaces-page-view-1280")

    # The tree folds above the page on a phone and opens with a tap.
    phone = browser.new_context(viewport=PHONE).new_page()
    phone.goto(f"{live_server}/wiki/deploys")
    expect(phone.locator("#space-tree")).not_to_have_attribute("open", "")
    _fits(phone)
    phone.get_by_text("Pages in Engineering").click()
    expect(phone.locator("#space-tree").get_by_role("link", name="Deploys")).to_be_visible()
    _fits(phone)
    screenshot(phone, "spaces-page-view-390")


def test_spaces_screens_at_desktop_and_phone_widths(
    browser: Browser, live_server: str, people: dict[str, Any], db: Any
) -> None:
    admin = people["hana"]
    admin.is_admin = True
    db.commit()
    make_page(
        db,
        people["alex"],
        title="Apollo Home",
        body="# Apollo Home\n\nWe go to the moon this year.\n",
    )
    spaces.create_space(db, actor=admin, name="Apollo", home_page="apollo-home",
                        members=["alex"], maintainers=["hana"],
                        description="The moon programme.")  # fmt: skip
    for title, parent in (("Launch Plan", "apollo-home"), ("Crew Training", "apollo-home"),
                          ("Checklists", "launch-plan")):  # fmt: skip
        make_page(db, people["alex"], title=title, body=f"# {title}\n\nText.\n", space="apollo",
                  parent=parent, tags=["apollo"])  # fmt: skip
    make_page(
        db, people["fatima"], title="Budgets", body="# Budgets\n\nQuarterly.\n", tags=["money"]
    )
    for width, height in ((1280, 800), (390, 844)):
        page = browser.new_context(viewport={"width": width, "height": height}).new_page()
        sign_in(page, live_server, "hana")
        for path, name in (("/spaces/apollo", "space"), ("/spaces", "spaces"),
                           ("/wiki?sort=title", "all-pages"), ("/recent", "recent"),
                           ("/admin/spaces/new", "new-space"), ("/wiki/checklists", "deep-page")):  # fmt: skip
            page.goto(f"{live_server}{path}")
            _fits(page)
            screenshot(page, f"spaces-{name}-{width}")
        page.goto(f"{live_server}/spaces/apollo")
        expect(page.locator("main")).to_contain_text("We go to the moon this year.")
        expect(page.locator(".space-tree")).to_contain_text("Checklists")
        page.goto(f"{live_server}/wiki/checklists")
        expect(page.locator(".breadcrumbs li")).to_have_text(
            ["Apollo", "Apollo Home", "Launch Plan", "Checklists"]
        )
