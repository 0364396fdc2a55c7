"""End-to-end fixtures: a live Peerwiki server in a thread and Debian's Chromium via Playwright."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from app.services import indexing, users
from tests.conftest import make_app
from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"  # git-ignored; look at them


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            if not CHROMIUM.exists():
                item.add_marker(
                    pytest.mark.skip(
                        reason="E2E SKIPPED: /usr/bin/chromium is missing (apt-get install chromium)"
                    )
                )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def live_app(tmp_path: Path, migrated_sqlite: Path) -> Iterator[Flask]:
    database = tmp_path / "e2e.db"
    shutil.copy(migrated_sqlite, database)
    app = make_app(tmp_path, f"sqlite:///{database}", TESTING=False)
    yield app
    app.extensions["wiki.engine"].dispose()


@pytest.fixture
def live_server(live_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


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
                                           email=f"{username}@example.com", create_department=True)  # fmt: skip
    return made


@pytest.fixture
def sync_index(live_app: Flask, db: Any) -> Any:
    """Apply queued index work now (the server does it after each write; tests wait on it)."""

    def sync() -> None:
        indexing.process_outbox(db, live_app.extensions["wiki.search"])

    return sync


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
