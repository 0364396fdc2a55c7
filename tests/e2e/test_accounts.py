"""Accounts in a real browser: API tokens in settings, an administrator deactivating someone,
and the audit log; on a laptop and on a 390 px phone."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Person, screenshot, sign_in

PHONE = {"width": 390, "height": 844}


def test_tokens_settings_and_the_people_page(
    live_server: str, make_user: Callable[..., Person], open_page: Callable[[], Page]
) -> None:
    make_user("admin", name="Ada Admin", department="Operations", is_admin=True)
    make_user("alex", name="Alex Rivera")

    alex = open_page()
    sign_in(alex, live_server, "alex")
    alex.get_by_role("link", name="Settings").click()
    expect(alex.get_by_role("heading", name="Change your password")).to_be_visible()
    expect(alex.get_by_text("this browser")).to_be_visible()
    alex.get_by_role("link", name="API tokens").click()
    alex.get_by_label("Name").fill("nightly export")
    alex.get_by_label("Access").select_option("read")
    alex.get_by_role("button", name="Create token").click()
    secret = alex.locator(".token-secret__value").inner_text()
    assert secret.startswith("pw_")
    expect(alex.locator(".tokens__item")).to_contain_text("nightly export")
    expect(alex.locator(".tokens__item")).to_contain_text("read only")
    screenshot(alex, "accounts-tokens-desktop")
    alex.set_viewport_size(PHONE)
    screenshot(alex, "accounts-tokens-phone")
    _no_sideways_scroll(alex)

    bearer = {"Authorization": f"Bearer {secret}"}
    api = alex.context.request
    assert api.get(f"{live_server}/api/v1/me", headers=bearer).status == 200
    write = api.post(f"{live_server}/api/v1/pages", headers=bearer,
                     data={"title": "Team Lunch", "body": "Fridays"})  # fmt: skip
    assert write.status == 403
    alex.goto(f"{live_server}/settings/tokens")  # the secret is not shown again
    expect(alex.locator(".token-secret__value")).to_have_count(0)
    expect(alex.locator(".tokens__item")).to_contain_text("last used")
    alex.get_by_role("button", name="Revoke nightly export").click()
    expect(alex.get_by_text("revoked: it no longer works")).to_be_visible()
    assert api.get(f"{live_server}/api/v1/me", headers=bearer).status == 401

    admin = open_page()
    sign_in(admin, live_server, "admin")
    admin.get_by_role("link", name="People").click()
    expect(admin.get_by_role("heading", name="People")).to_be_visible()
    screenshot(admin, "accounts-people-desktop")
    admin.set_viewport_size({"width": 1024, "height": 800})  # the header's busiest width
    screenshot(admin, "accounts-people-1024")
    _no_sideways_scroll(admin)
    admin.get_by_role("button", name="Deactivate Alex Rivera").click()
    expect(admin.get_by_text("Alex Rivera is deactivated")).to_be_visible()
    expect(admin.get_by_role("button", name="Reactivate Alex Rivera")).to_be_visible()
    admin.set_viewport_size(PHONE)
    screenshot(admin, "accounts-people-phone")
    _no_sideways_scroll(admin)

    alex.goto(f"{live_server}/")  # the deactivation ended Alex's session on the server
    alex.get_by_role("button", name="Menu").click()  # on a phone the header's links are in a menu
    expect(alex.get_by_role("link", name="Sign in")).to_be_visible()

    admin.set_viewport_size({"width": 1280, "height": 800})
    admin.get_by_role("link", name="Audit log").click()
    admin.get_by_label("Action").select_option("user.deactivate")
    admin.get_by_role("button", name="Filter").click()
    expect(admin.locator("table.audit tbody tr")).to_have_count(1)
    expect(admin.locator("table.audit")).to_contain_text("user:alex")
    admin.goto(f"{live_server}/admin/audit")
    screenshot(admin, "accounts-audit-desktop")
    admin.set_viewport_size(PHONE)
    screenshot(admin, "accounts-audit-phone")
    _no_sideways_scroll(admin)


def _no_sideways_scroll(page: Page) -> None:
    """Nothing on the page is wider than the phone's screen."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"
