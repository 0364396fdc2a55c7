"""End-to-end fixtures: a live Peerwiki server in a thread and Debian's Chromium via Playwright.

Every test in this folder is marked ``e2e``; run them with ``pytest tests/e2e`` (or deselect them
with ``-m "not e2e"``). Screenshots are written to /tmp/peerwiki-shots/ for a person to look at.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app.models import KnowledgeGap, Revision
from app.review.approval import ApprovalRules
from app.search import SearchQuery
from app.services import comments, indexing, proposals, review, search, users
from tests.conftest import make_app, search_backend
from tests.factories import FAST_PASSWORD_METHOD, PASSWORD
from tests.factories import make_page as factory_make_page

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
SCREENSHOTS = Path("/tmp/peerwiki-shots")
MISSING_CHROMIUM = (
    "E2E TESTS SKIPPED: /usr/bin/chromium is missing. Install Debian's browser with "
    "`apt-get install chromium` (Playwright cannot download its own browsers here)."
)


def pytest_report_header() -> str:
    if CHROMIUM.exists():
        return f"E2E browser: {CHROMIUM}"
    return MISSING_CHROMIUM


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests of this folder (and only those) ``e2e`` and ``whoosh`` (a real server with
    the real index); skip them loudly without Chromium."""
    for item in items:
        if HERE not in Path(item.path).resolve().parents:
            continue
        item.add_marker(pytest.mark.e2e)
        item.add_marker(pytest.mark.whoosh)
        if not CHROMIUM.exists():
            item.add_marker(pytest.mark.skip(reason=MISSING_CHROMIUM))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


# --- the live server -------------------------------------------------------------------------


@pytest.fixture
def live_app(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """A fresh app on the test's migrated, empty database; CSRF protection stays on."""
    app = make_app(tmp_path, database_url, SEARCH_BACKEND=search_backend(request))
    assert app.config["TESTING"] is True
    assert app.config.get("WTF_CSRF_ENABLED", True), "e2e tests must run with CSRF enabled"
    yield app
    app.extensions["wiki.engine"].dispose()


@pytest.fixture
def live_server(live_app: Flask) -> Iterator[str]:
    """Serve ``live_app`` on a free local port in a daemon thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="peerwiki-e2e", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def base_url(live_server: str) -> str:
    """pytest-playwright's base URL: ``page.goto("/new")`` reaches the live server."""
    return live_server


@pytest.fixture
def browser_context_args(base_url: str) -> dict[str, Any]:
    """Per test (the live server is per test): relative URLs and a laptop-sized window."""
    return {"base_url": base_url, "viewport": {"width": 1280, "height": 800}, "locale": "en-GB"}


# --- data in the live app's database -----------------------------------------------------------


@dataclass(frozen=True)
class Person:
    username: str
    name: str
    department: str
    password: str = PASSWORD


@pytest.fixture
def make_user(live_app: Flask) -> Callable[..., Person]:
    """Create an account (and its department when new) in the live app's database."""

    def make(
        username: str,
        *,
        name: str | None = None,
        department: str = "Engineering",
        is_admin: bool = False,
    ) -> Person:
        session = live_app.extensions["wiki.sessionmaker"]()
        try:
            user = users.create_user(
                session,
                username=username,
                password=PASSWORD,
                department=department,
                email=f"{username}@example.com",
                name=name,
                is_admin=is_admin,
                create_department=True,
                password_method=FAST_PASSWORD_METHOD,
            )
            return Person(user.username, user.name, user.department.name)
        finally:
            session.close()

    return make


@pytest.fixture
def make_page(live_app: Flask) -> Callable[..., str]:
    """Create a published page (as a trusted import, no review) written by ``author``; return its slug."""

    def make(author: Person, title: str, body: str, **over: Any) -> str:
        session = live_app.extensions["wiki.sessionmaker"]()
        try:
            user = users.get_user(session, author.username)
            revision = factory_make_page(session, user, title=title, body=body, **over)
            return revision.page.slug
        finally:
            session.close()

    return make


@pytest.fixture
def open_page(new_context: Callable[..., BrowserContext]) -> Iterator[Callable[[], Page]]:
    """Open a page in a fresh browser context (its own cookies: one person each).

    Uncaught JavaScript errors on any of these pages fail the test.
    """
    errors: list[str] = []

    def open_(**context_args: Any) -> Page:
        page = new_context(**context_args).new_page()
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        return page

    yield open_
    assert not errors, "JavaScript errors in the browser:\n" + "\n".join(errors)


# --- kept for tests/e2e/test_journeys.py ----------------------------------------------------------


@pytest.fixture
def db(live_app: Flask) -> Iterator[Any]:
    session = live_app.extensions["wiki.sessionmaker"]()
    yield session
    session.close()


@pytest.fixture
def people(db: Any) -> dict[str, Any]:
    """An engineer, a finance analyst and an HR partner, as in the demo."""
    made = {}
    for username, name, department in (("alex", "Alex Rivera", "Engineering"), ("fatima", "Fatima Khan", "Finance"),
                                       ("hana", "Hana Sato", "People")):  # fmt: skip
        made[username] = users.create_user(db, username=username, name=name, password=PASSWORD, department=department,
                                           email=f"{username}@example.com", create_department=True,
                                           password_method=FAST_PASSWORD_METHOD)  # fmt: skip
    return made


@pytest.fixture
def sync_index(live_app: Flask, db: Any) -> Any:
    """Apply queued index work now (the server does it after each write; tests wait on it)."""

    def sync() -> None:
        indexing.process_outbox(db, live_app.extensions["wiki.search"])

    return sync


# --- helpers ---------------------------------------------------------------------------------------


def sign_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    """Sign in through the form and wait for the home page."""
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    # Signed in: the header has a Sign out button (inside the collapsed menu on a phone).
    expect(page.locator("form[action$='/logout'] button")).to_be_attached()


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as /tmp/peerwiki-shots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def shot(page: Page, name: str) -> Path:
    """Screenshots of test_journeys.py, prefixed so they do not overwrite test_pages_flow.py's."""
    return screenshot(page, f"journeys-{name}")


# --- a small wiki with one of everything (tests/e2e/test_layout.py, test_accessibility.py) ----------

#: A page body with what widens a phone screen: a wide table, a long code line, a task list.
WIDE_BODY = """# Release Checklist

What to do before, during and after a release. Every step has an owner.

## Owners

| Step | Owner | Department | When | Tooling | Escalation contact | Notes |
|---|---|---|---|---|---|---|
| Freeze the branch | Release manager | Engineering | Monday 09:00 | git, the CI dashboard | platform-oncall@example.com | Announce in the release channel first |
| Sign-off | Product owner | Product | Tuesday 14:00 | the release board | product-leads@example.com | Only after the smoke tests pass |

## Commands

```bash
./deploy --environment=production --region=eu-west-1 --canary-percentage=5 --wait-for-healthy --notify=release-channel@example.com
```

Run `git tag --sign --message="Release $(date +%Y.%m.%d)" v$(date +%Y.%m.%d)` on the release commit.

## Tasks

- [x] Freeze the branch
- [x] Run the smoke tests
- [ ] Write the release notes
- [ ] Tell support

See [[Incident Response]] when something breaks.
"""


@dataclass(frozen=True)
class SiteMap:
    """Ids of the things the main pages show, filled into their URLs (``{slug}`` etc.)."""

    slug: str
    proposal: int
    revision: int
    old_revision: int
    gap: int
    author: Person
    reviewer: Person
    admin: Person

    def url(self, template: str) -> str:
        return template.format(
            slug=self.slug, proposal=self.proposal, revision=self.revision,
            old_revision=self.old_revision, gap=self.gap, author=self.author.username,
        )  # fmt: skip


@pytest.fixture
def site_map(live_app: Flask, make_user: Callable[..., Person]) -> SiteMap:
    """A published page with two revisions, an open proposal asking a reviewer from another
    department (with a line comment), an unanswered search (a knowledge gap) and an administrator."""
    author = make_user("alex", name="Alex Rivera")
    reviewer = make_user("fatima", name="Fatima Khan", department="Finance")
    admin = make_user("admin", name="Ada Admin", department="Operations", is_admin=True)
    session = live_app.extensions["wiki.sessionmaker"]()
    try:
        alex = users.get_user(session, author.username)
        first = proposals.create_page(
            session, author=alex, title="Release Checklist", body=WIDE_BODY, publish=True,
            tags=["release", "checklist"],
        )  # fmt: skip

        def edit(base: Revision, body: str, **over: Any) -> Revision:
            return proposals.save_revision(
                session, author=alex, slug=first.page.slug, body=body, base_revision_id=base.id, **over
            )  # fmt: skip

        second = edit(
            first, WIDE_BODY.replace("Tell support", "Tell support and sales"), publish=True
        )
        ask = review.submission(
            session, actor=alex, rules=ApprovalRules(), reviewers=[reviewer.username]
        )
        opened = edit(
            second,
            WIDE_BODY.replace("Every step has an owner.", "Every step has one owner."),
            then=ask,
        )
        comments.add_comment(
            session, actor=users.get_user(session, reviewer.username), revision_id=opened.id,
            body="Who is the owner when the release manager is away?", line=3,
        )  # fmt: skip
        backend = live_app.extensions["wiki.search"]
        indexing.process_outbox(session, backend)
        search.run(session, backend, SearchQuery(text="flurbish"), user=None)
        gap = session.scalar(select(func.max(KnowledgeGap.id)))
        assert gap is not None
        return SiteMap(
            slug=first.page.slug, proposal=opened.proposal_id, revision=second.id,
            old_revision=first.id, gap=gap, author=author, reviewer=reviewer, admin=admin,
        )  # fmt: skip
    finally:
        session.close()
