"""Every main page fits a phone: nothing scrolls sideways at 390 px, signed in or not.

Wide content (tables, code) scrolls inside its own box and the header collapses into a menu,
so ``document.documentElement.scrollWidth`` never exceeds the window's width. Full-page
screenshots of each page land in /tmp/peerwiki-shots/a11y/ for a person to look at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import SCREENSHOTS, Person, SiteMap, sign_in

Role = Literal["anonymous", "member", "admin"]


@dataclass(frozen=True)
class MainPage:
    """A page people use, who looks at it, and its URL (``{slug}``, ``{proposal}``, ``{revision}``,
    ``{old_revision}``, ``{gap}``, ``{author}`` are filled in from ``SiteMap``)."""

    name: str
    url: str
    roles: tuple[Role, ...]
    #: checked by axe-core in tests/e2e/test_accessibility.py (the API docs page is Swagger
    #: UI's, a vendored third-party app whose own markup axe finds fault with)
    axe: bool = True
    #: the status it answers with (a missing page says so with a 404)
    status: int = 200


EVERYONE: tuple[Role, ...] = ("anonymous", "member")
MEMBERS: tuple[Role, ...] = ("member",)
ADMINS: tuple[Role, ...] = ("admin",)

#: THE list of main pages, checked at 390 px (tests/e2e/test_layout.py) and by axe-core in light
#: and dark (tests/e2e/test_accessibility.py). When you add a page people use (spaces, recent
#: changes, analytics, paths, verifications...), APPEND it here; add what it needs to show to
#: ``site_map`` in tests/e2e/conftest.py.
MAIN_PAGES: list[MainPage] = [
    MainPage("home", "/", EVERYONE),
    MainPage("all-pages", "/wiki", EVERYONE),
    MainPage("page-view", "/wiki/{slug}", EVERYONE + ADMINS),
    MainPage("old-revision", "/wiki/{slug}/revisions/{old_revision}", EVERYONE),
    MainPage("history", "/wiki/{slug}/history", EVERYONE),
    MainPage("diff", "/wiki/{slug}/diff?from=1&to=2", EVERYONE),
    MainPage("editor", "/wiki/{slug}/edit", MEMBERS),
    MainPage("new-page", "/new", MEMBERS),
    MainPage("proposal", "/proposals/{proposal}", MEMBERS + ADMINS),
    MainPage("review-queue", "/review", MEMBERS),
    MainPage("inbox", "/inbox", MEMBERS),
    MainPage("search", "/search?q=release", EVERYONE),
    MainPage("search-nothing", "/search?q=flurbish", ("anonymous",)),
    MainPage("gaps", "/gaps", EVERYONE + ADMINS),
    MainPage("gap-askers", "/gaps/{gap}/askers", ADMINS),
    MainPage("profile", "/users/{author}", EVERYONE),
    MainPage("departments", "/departments", EVERYONE + ADMINS),
    MainPage("settings", "/settings", MEMBERS),
    MainPage("settings-tokens", "/settings/tokens", MEMBERS),
    MainPage("people", "/admin/people", ADMINS),
    MainPage("audit", "/admin/audit", ADMINS),
    MainPage("synonyms", "/admin/synonyms", ADMINS),
    MainPage("page-templates", "/admin/templates", ADMINS),
    MainPage("new-page-from-template", "/new?template=1", MEMBERS),
    MainPage("rubric", "/admin/rubric", ADMINS),
    MainPage("sign-in", "/login", ("anonymous",)),
    MainPage("sign-up", "/signup", ("anonymous",)),
    MainPage("missing-page", "/wiki/incident-response", ("anonymous",), status=404),
    MainPage("api-docs", "/api/docs", ("anonymous",), axe=False),
    MainPage("paths", "/paths", EVERYONE),
    MainPage("my-paths", "/paths/mine", MEMBERS),
    MainPage("new-path", "/paths/new", MEMBERS),
    MainPage("verifications", "/verifications", MEMBERS),
    MainPage("page-owners", "/wiki/{slug}/owners", MEMBERS),
    MainPage("watches", "/settings/watches", MEMBERS),
    MainPage("analytics", "/analytics", ADMINS),
    MainPage("activity", "/users/admin/activity", ADMINS),
    MainPage("experts", "/experts?tag=release", MEMBERS),
    MainPage("help-wanted", "/help-wanted", EVERYONE),
    MainPage("spaces", "/spaces", EVERYONE),
    MainPage("space", "/spaces/engineering", EVERYONE),
    MainPage("recent-changes", "/recent", EVERYONE),
    MainPage("new-space", "/admin/spaces/new", ADMINS),
    MainPage("move-page", "/wiki/{slug}/move", ADMINS),
]

PHONE = {"width": 390, "height": 844}
SHOTS = SCREENSHOTS / "a11y"


def pages_for(role: Role) -> list[MainPage]:
    return [main for main in MAIN_PAGES if role in main.roles]


def person_for(site: SiteMap, role: Role) -> Person | None:
    """Who looks: nobody, the reviewer (a member from another department), or an administrator."""
    return {"anonymous": None, "member": site.reviewer, "admin": site.admin}[role]


def open_as(open_page: Callable[..., Page], live_server: str, site: SiteMap, role: Role) -> Page:
    page = open_page()
    person = person_for(site, role)
    if person is not None:
        sign_in(page, live_server, person.username)
    return page


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("role", ["anonymous", "member", "admin"])
def test_no_main_page_scrolls_sideways_on_a_phone(
    open_page: Callable[..., Page], live_server: str, site_map: SiteMap, role: Role, scheme: str
) -> None:
    page = open_as(open_page, live_server, site_map, role)
    page.set_viewport_size(PHONE)
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    too_wide = []
    for main in pages_for(role):
        response = page.goto(site_map.url(main.url))
        assert response is not None and response.status == main.status, f"{main.name}: {response}"
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement.scrollWidth")
        window = page.evaluate("window.innerWidth")
        if width > window:
            too_wide.append(f"{main.name} ({main.url}) is {width} px wide in a {window} px window")
        shot(page, f"{main.name}-{role}-390-{scheme}")
    assert not too_wide, "\n".join(too_wide)
