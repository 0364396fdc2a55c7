"""axe-core finds no critical or serious violation on the main pages, in light and in dark.

axe-core is the npm package installed in tests/e2e/vendor/ (``npm ci --prefix tests/e2e/vendor``,
which .ci/run does); Playwright injects the installed file into each page, nothing comes from
a CDN. Without it these tests are skipped with a message saying how to install it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import SiteMap
from tests.e2e.test_layout import PHONE, SHOTS, Role, open_as, pages_for, shot

AXE = Path(__file__).resolve().parent / "vendor" / "node_modules" / "axe-core" / "axe.min.js"
MISSING_AXE = (
    "ACCESSIBILITY TESTS SKIPPED: axe-core is not installed. Run "
    "`npm ci --prefix tests/e2e/vendor` (it installs tests/e2e/vendor/package-lock.json)."
)
#: The impacts that fail a page.
BLOCKING = ("critical", "serious")
#: Per-page counts of every run, written for the report (the figures in the closing note).
FIGURES = SHOTS / "axe-figures.jsonl"

needs_axe = pytest.mark.skipif(not AXE.exists(), reason=MISSING_AXE)


@functools.cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.x A and AA rules plus best practices) on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the site's CSP (script-src 'self') stays on.
        page.evaluate(_axe_source() + "\n;true")
    result: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(" ") + " :: " + n.failureSummary.split("\\n").slice(1, 2).join(""))}));
        }"""
    )
    return result


def describe(name: str, violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{name}: [{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.extend(f"    {node}" for node in violation["nodes"][:5])
    return "\n".join(lines)


@needs_axe
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("role", ["anonymous", "member", "admin"])
def test_main_pages_have_no_serious_accessibility_violation(
    open_page: Callable[..., Page], live_server: str, site_map: SiteMap, role: Role, scheme: str
) -> None:
    page = open_as(open_page, live_server, site_map, role)
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    failures = []
    SHOTS.mkdir(parents=True, exist_ok=True)
    with FIGURES.open("a") as figures:
        for main in pages_for(role):
            if not main.axe:
                continue
            page.goto(site_map.url(main.url))
            page.wait_for_load_state("load")
            violations = axe_violations(page)
            blocking = [v for v in violations if v["impact"] in BLOCKING]
            record = {
                "page": main.name, "role": role, "scheme": scheme,
                "blocking": sum(len(v["nodes"]) for v in blocking),
                "rules": {v["id"]: len(v["nodes"]) for v in violations},
            }  # fmt: skip
            figures.write(json.dumps(record) + "\n")
            if blocking:
                failures.append(describe(main.name, blocking))
            page.screenshot(
                path=str(SHOTS / f"{main.name}-{role}-1280-{scheme}.png"), full_page=True
            )
    assert not failures, "\n".join(failures)


# --- the phone menu, keyboard shortcuts and the dark theme ------------------------------------------


def test_the_phone_menu_is_a_disclosure_button_that_works_from_the_keyboard(
    open_page: Callable[..., Page], live_server: str, site_map: SiteMap
) -> None:
    page = open_as(open_page, live_server, site_map, "member")
    page.set_viewport_size(PHONE)
    page.goto(site_map.url("/wiki/{slug}"))
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("link", name="Reviews")).to_be_hidden()

    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="Reviews")).to_be_visible()
    shot(page, "menu-open-member-390-light")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="All pages")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    expect(page.get_by_role("link", name="Reviews")).to_be_hidden()

    page.set_viewport_size({"width": 1280, "height": 800})  # no menu button on a laptop
    expect(menu).to_be_hidden()
    expect(page.get_by_role("link", name="Reviews")).to_be_visible()


def test_without_javascript_the_header_links_are_all_there_on_a_phone(
    open_page: Callable[..., Page], live_server: str, site_map: SiteMap
) -> None:
    page = open_page(java_script_enabled=False)
    page.set_viewport_size(PHONE)
    page.goto(site_map.url("/wiki/{slug}"))
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    header = page.locator(".site-header")
    for name in ("All pages", "Departments", "Knowledge gaps", "Sign in"):
        expect(header.get_by_role("link", name=name)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "no-js-anonymous-390-light")


def test_keyboard_shortcuts_search_edit_and_list_themselves_but_not_while_typing(
    open_page: Callable[..., Page], live_server: str, site_map: SiteMap
) -> None:
    page = open_as(open_page, live_server, site_map, "member")
    page.goto(site_map.url("/wiki/{slug}"))
    search = page.get_by_role("combobox", name="Search")

    page.keyboard.press("/")
    expect(search).to_be_focused()
    page.keyboard.type("e?")  # typed into the box, not taken as shortcuts
    expect(search).to_have_value("e?")
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert page.url.endswith(f"/wiki/{site_map.slug}")

    page.locator(".page__title").click()  # back on the page, out of the box
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Edit the page you are reading")
    shot(page, "shortcuts-member-1280-light")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    page.keyboard.press("e")
    page.wait_for_url(f"**/wiki/{site_map.slug}/edit")
    editor = page.locator("textarea[name=body]")
    editor.click()
    page.keyboard.type("/e?")
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert page.url.endswith("/edit") and "/e?" in editor.input_value()


def test_e_does_nothing_where_the_reader_may_not_edit(
    open_page: Callable[..., Page], live_server: str, site_map: SiteMap
) -> None:
    page = open_as(open_page, live_server, site_map, "anonymous")
    page.goto(site_map.url("/wiki/{slug}"))
    page.keyboard.press("e")
    page.keyboard.press("/")  # a later shortcut still works: the page did not navigate
    expect(page.get_by_role("combobox", name="Search")).to_be_focused()
    assert page.url.endswith(f"/wiki/{site_map.slug}")


def _background(page: Page) -> str:
    return str(page.evaluate("getComputedStyle(document.body).backgroundColor"))


LIGHT_CANVAS, DARK_CANVAS = "rgb(245, 246, 249)", "rgb(13, 17, 23)"


def test_the_theme_follows_the_system_until_the_toggle_chooses_and_it_is_remembered(
    open_page: Callable[..., Page], live_server: str, site_map: SiteMap
) -> None:
    page = open_as(open_page, live_server, site_map, "anonymous")
    page.emulate_media(color_scheme="dark")
    page.goto(site_map.url("/wiki/{slug}"))
    assert _background(page) == DARK_CANVAS
    toggle = page.get_by_role("button", name="Dark theme")
    expect(toggle).to_have_attribute("aria-pressed", "true")

    toggle.click()  # light, although the system prefers dark
    expect(toggle).to_have_attribute("aria-pressed", "false")
    assert _background(page) == LIGHT_CANVAS
    page.reload()
    assert _background(page) == LIGHT_CANVAS
    page.emulate_media(color_scheme="light")
    page.get_by_role("button", name="Dark theme").click()
    page.goto(site_map.url("/wiki/{slug}/history"))  # remembered on every page
    assert _background(page) == DARK_CANVAS
    expect(page.get_by_role("button", name="Dark theme")).to_have_attribute("aria-pressed", "true")

    # Code blocks change colours too (the Pygments stylesheet has a dark variant).
    page.goto(site_map.url("/wiki/{slug}"))
    token = page.locator("pre.highlight span[class]").first
    dark = token.evaluate("e => getComputedStyle(e).color")
    page.get_by_role("button", name="Dark theme").click()
    assert token.evaluate("e => getComputedStyle(e).color") != dark


def test_the_chosen_theme_is_applied_before_anything_is_painted(
    open_page: Callable[..., Page], live_server: str, site_map: SiteMap
) -> None:
    """No flash of the light theme: the theme script blocks in <head>, before the stylesheet."""
    page = open_as(open_page, live_server, site_map, "anonymous")
    page.add_init_script("localStorage.setItem('peerwiki-theme', 'dark')")
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text))
    page.add_init_script(
        """document.addEventListener("readystatechange", () => {
            if (document.readyState === "interactive")
                console.log("theme at first parse: " + document.documentElement.dataset.theme);
        });"""
    )
    page.goto(site_map.url("/"))
    head = page.evaluate(
        """() => [...document.head.children].map(e => e.tagName + (e.src ? ":" + e.src.split("/").pop()
                  + (e.defer || e.async ? ":deferred" : "") : "") + (e.rel ? ":" + e.rel : ""))"""
    )
    theme, sheet = head.index("SCRIPT:theme.js"), head.index("LINK:stylesheet")
    assert theme < sheet
    assert "theme at first parse: dark" in seen
    assert _background(page) == DARK_CANVAS
