"""A new hire follows an onboarding path in a real browser; help wanted on a space's list."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from playwright.sync_api import Browser, Page, expect

from app.review.approval import ApprovalRules
from app.services import help, paths, spaces, users
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import FAST_PASSWORD_METHOD, PASSWORD, edit_page, make_page

PHONE = {"width": 390, "height": 844}


def _both_widths(page: Page, name: str) -> None:
    """Screenshots at 1280 and 390 px: /tmp/peerwiki-shots/paths-<name>-1280.png and -390.png."""
    page.set_viewport_size({"width": 1280, "height": 800})
    screenshot(page, f"paths-{name}-1280")
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} is {width} px wide on a phone"
    screenshot(page, f"paths-{name}-390")
    page.set_viewport_size({"width": 1280, "height": 800})


def test_a_new_hire_follows_the_path_their_department_was_given(
    browser: Browser, live_server: str, live_app: Flask, db: Any, people: dict[str, Any]
) -> None:
    alex, fatima = people["alex"], people["fatima"]
    first = make_page(db, fatima, title="Expenses Guide", body="# Expenses\n\nFile receipts within 30 days.\n")  # fmt: skip
    make_page(db, fatima, title="Travel Policy", body="Book trains two weeks ahead.\n")
    make_page(db, fatima, title="Payroll Calendar", body="Salaries are paid on the 25th.\n")
    version = paths.create(
        db, author=fatima, title="Your first week in Finance",
        description="Read these before your first expense claim.",
        pages=["expenses-guide", "travel-policy", "payroll-calendar"], submit=True,
    )  # fmt: skip
    paths.review(db, actor=alex, path_id=version.path_id, verdict="approve", comment="", rules=ApprovalRules())  # fmt: skip
    paths.assign(db, actor=fatima, path_id=version.path_id, department="Finance")
    users.create_user(db, username="nia", name="Nia Newhire", password=PASSWORD, department="Finance",
                      email="nia@example.com", password_method=FAST_PASSWORD_METHOD)  # fmt: skip

    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(page, live_server, "nia")
    page.get_by_role("link", name="My paths").click()
    expect(page.get_by_role("link", name="Your first week in Finance")).to_be_visible()
    expect(page.get_by_text("assigned to you")).to_be_visible()
    expect(page.get_by_text("0 of 3 steps done")).to_be_visible()
    page.get_by_role("link", name="Continue: Expenses Guide").click()
    bar = page.get_by_role("navigation", name="Onboarding path")
    expect(bar).to_contain_text("step 1 of 3")
    _both_widths(page, "page-bar")
    bar.get_by_role("button", name="Done").click()
    expect(page).to_have_url(re.compile(r"/wiki/travel-policy\?path="))
    expect(page.get_by_role("navigation", name="Onboarding path")).to_contain_text("step 2 of 3 · 1 done")  # fmt: skip

    page.goto(f"{live_server}/paths/mine")
    expect(page.get_by_text("1 of 3 steps done")).to_be_visible()
    _both_widths(page, "mine")

    edit_page(db, users.get_user(db, "fatima"), first, "# Expenses\n\nFile receipts within 14 days.\n")  # fmt: skip
    page.goto(f"{live_server}/paths/{version.path_id}")
    step = page.locator(".path-step").first
    expect(step).to_contain_text("Updated since you read it")
    _both_widths(page, "path")
    step.get_by_role("link", name="See what changed").click()
    expect(page).to_have_url(re.compile(r"/wiki/expenses-guide/diff\?from=\d+&to=\d+"))
    expect(page.locator("body")).to_contain_text("14 days")

    owner = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(owner, live_server, "fatima")
    owner.goto(f"{live_server}/paths/{version.path_id}")
    owner.get_by_role("link", name="Progress of readers").click()
    expect(owner.locator(".path-figures")).to_contain_text("Started")
    expect(owner.locator(".path-stats tbody tr").nth(1)).to_contain_text("1")
    _both_widths(owner, "stats")


def test_a_question_asked_of_the_experts_is_answered_by_a_new_page(
    browser: Browser, live_server: str, live_app: Flask, db: Any, people: dict[str, Any]
) -> None:
    admin = users.create_user(db, username="root", name="Ada Admin", password=PASSWORD, department="Operations",
                              email="root@example.com", is_admin=True, create_department=True,
                              password_method=FAST_PASSWORD_METHOD)  # fmt: skip
    finance = next(s for s in spaces.list_spaces(db) if s.name == "Finance")
    spaces.add_member(db, actor=admin, slug=finance.slug, username="fatima", role="maintainer")
    help.ask(db, asker=people["hana"], space_slug=finance.slug, question="Who approves a budget over 10k?",
             details="The form asks for a cost centre.")  # fmt: skip
    help.ask(db, asker=people["alex"], space_slug=finance.slug, question="Where do paper receipts go?")  # fmt: skip

    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(page, live_server, "fatima")
    page.goto(f"{live_server}/spaces/{finance.slug}/help-wanted")
    expect(page.get_by_text("Who approves a budget over 10k?")).to_be_visible()
    _both_widths(page, "help-wanted")
    page.locator(".help-question", has_text="budget").get_by_role("link", name="Write an answer").click()  # fmt: skip
    expect(page.get_by_text("This page answers “Who approves a budget over 10k?”")).to_be_visible()
