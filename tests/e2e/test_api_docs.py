"""The interactive API documentation works in a real browser under the site's CSP."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import ConsoleMessage, Page, Request, expect

from tests.e2e.conftest import screenshot


def test_api_docs_render_every_operation_without_csp_violations(
    open_page: Callable[[], Page], base_url: str
) -> None:
    page = open_page()
    console: list[str] = []
    foreign: list[str] = []
    page.on("console", lambda message: console.append(_text(message)))
    page.on("request", lambda request: _note_foreign(request, base_url, foreign))
    page.goto(f"{base_url}/api/docs")
    expect(page.get_by_role("heading", name="Peerwiki API")).to_be_visible()
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() >= 30
    page.locator(".opblock-summary", has_text="/pages/{slug}/revisions").first.click()
    expect(page.get_by_text("base_revision_id").first).to_be_visible()
    screenshot(page, "api-docs")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "api-docs-390")
    assert not [line for line in console if "Content Security Policy" in line], console
    assert not foreign, foreign


def _text(message: ConsoleMessage) -> str:
    return f"{message.type}: {message.text}"


def _note_foreign(request: Request, base_url: str, foreign: list[str]) -> None:
    if not request.url.startswith((base_url, "data:")):
        foreign.append(request.url)
