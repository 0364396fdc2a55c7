"""Accounts: server-side sessions, passwords, deactivation, API tokens, through the test client."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.exceptions import ValidationError
from app.models import ApiToken, LoginSession, User, utcnow
from app.services import accounts, tokens
from tests.conftest import TokenClient, WikiClient
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "a-much-longer-passphrase"


def _client(app: Flask) -> WikiClient:
    app.test_client_class = WikiClient
    client: WikiClient = app.test_client()  # type: ignore[assignment]
    return client


def _signed_in(client: WikiClient) -> bool:
    """Whether the client's cookies sign someone in (the header offers Settings)."""
    return "Sign out</button>" in client.get("/").get_data(as_text=True)


def _cookie(client: WikiClient, name: str) -> str:
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return cookie.value


def _replay(app: Flask, **cookies: str) -> WikiClient:
    """A new browser holding copies of someone's cookies."""
    thief = _client(app)
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief


# -- sessions ----------------------------------------------------------------------------------


def test_a_session_cookie_replayed_after_signing_out_signs_nobody_in(
    app: Flask, author: User
) -> None:
    client = _client(app)
    client.login(author.username)
    stolen = _cookie(client, "session")
    assert _signed_in(_replay(app, session=stolen))
    assert client.post("/logout").status_code == 302
    assert not _signed_in(client)
    assert not _signed_in(_replay(app, session=stolen))


def test_a_remember_me_cookie_replayed_after_signing_out_signs_nobody_in(
    app: Flask, author: User
) -> None:
    client = _client(app)
    response = client.post(
        "/login", data={"username": author.username, "password": PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    remembered = _cookie(client, "remember_token")
    assert _signed_in(_replay(app, remember_token=remembered))  # works on its own
    client.post("/logout")
    assert not _signed_in(_replay(app, remember_token=remembered))


def test_signing_out_ends_only_that_browsers_session(app: Flask, author: User) -> None:
    laptop, phone = _client(app), _client(app)
    laptop.login(author.username)
    phone.login(author.username)
    laptop.post("/logout")
    assert not _signed_in(laptop) and _signed_in(phone)


def test_a_password_change_ends_every_session_but_keeps_this_browser_signed_in(
    app: Flask, author: User, session: Session
) -> None:
    here, elsewhere = _client(app), _client(app)
    here.login(author.username)
    elsewhere.login(author.username)
    old_cookie = _cookie(here, "session")
    changed = here.post(
        "/settings/password",
        data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    assert _signed_in(here) and not _signed_in(elsewhere)
    assert not _signed_in(_replay(app, session=old_cookie))
    assert _client(app).post("/login", data={"username": "alex", "password": PASSWORD}).status_code == 400  # fmt: skip
    _client(app).login("alex", NEW_PASSWORD)


@pytest.mark.parametrize(
    ("current", "new", "message"),
    [
        ("wrong-password", NEW_PASSWORD, "not your current password"),
        (PASSWORD, "short-pw", "at least 10 characters"),
        (PASSWORD, "qwertyuiop", "most common"),
        (PASSWORD, PASSWORD, "different from the current one"),
    ],
)
def test_a_password_change_is_refused_with_a_reason(
    author_client: WikiClient, current: str, new: str, message: str
) -> None:
    refused = author_client.post(
        "/settings/password", data={"current": current, "password": new, "confirm": new}
    )
    assert refused.status_code == 400 and message in refused.get_data(as_text=True)


def test_sign_out_everywhere_else_keeps_this_browser(app: Flask, author: User) -> None:
    here, elsewhere = _client(app), _client(app)
    here.login(author.username)
    elsewhere.login(author.username)
    page = here.get("/settings").get_data(as_text=True)
    assert "this browser" in page and "Sign out everywhere else" in page
    done = here.post("/settings/sessions/end-others", follow_redirects=True)
    assert "Signed out 1 other session." in done.get_data(as_text=True)
    assert _signed_in(here) and not _signed_in(elsewhere)


def test_a_session_unused_for_longer_than_the_remember_days_lapses(
    app: Flask, author: User, session: Session
) -> None:
    client = _client(app)
    client.login(author.username)
    row = session.scalars(select(LoginSession)).one()
    row.last_seen_at = utcnow() - timedelta(days=31)
    session.commit()
    assert not _signed_in(client)


# -- passwords -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [("nine-char", "at least 10 characters"), ("password123", "most common")],
)
def test_sign_up_refuses_short_and_common_passwords(
    client: WikiClient, author: User, password: str, message: str
) -> None:
    form = {
        "username": "nia", "name": "Nia Okafor", "email": "nia@example.com",
        "department": "Engineering", "password": password, "confirm": password,
    }  # fmt: skip
    refused = client.post("/signup", data=form)
    assert refused.status_code == 400 and message in refused.get_data(as_text=True)


def test_signing_in_as_nobody_takes_as_long_as_a_wrong_password(
    app: Flask, session: Session
) -> None:
    slow = "pbkdf2:sha256:200000"  # ~0.1 s a hash: long enough to measure
    make_user(session, username="grace", password_method=slow)

    def attempt(username: str) -> float:
        started = time.perf_counter()
        with pytest.raises(ValidationError):
            accounts.sign_in(
                session, username=username, password="not-the-password", password_method=slow,
                client=accounts.Client(),
            )  # fmt: skip
        return time.perf_counter() - started

    wrong = min(attempt("grace") for _ in range(3))
    unknown = min(attempt("nobody-at-all") for _ in range(3))
    assert unknown > wrong / 2, (unknown, wrong)


# -- deactivation --------------------------------------------------------------------------------


def test_deactivation_ends_sessions_and_tokens_at_once(
    app: Flask, admin_client: WikiClient, author: User, api_for: Any
) -> None:
    victim = _client(app)
    victim.login(author.username)
    api: TokenClient = api_for(author)
    assert api.get("/api/v1/me").status_code == 200
    page = admin_client.get("/admin/people").get_data(as_text=True)
    assert "Deactivate Alex Rivera" in page
    done = admin_client.post(f"/admin/people/{author.username}/active", data={"active": "0"},
                             follow_redirects=True)  # fmt: skip
    assert "signed out everywhere, API tokens revoked" in done.get_data(as_text=True)
    assert "Reactivate Alex Rivera" in done.get_data(as_text=True)
    assert not _signed_in(victim)
    assert api.get("/api/v1/me").status_code == 401
    assert _client(app).post("/login", data={"username": "alex", "password": PASSWORD}).status_code == 400  # fmt: skip
    admin_client.post(f"/admin/people/{author.username}/active", data={"active": "1"})
    _client(app).login("alex")
    assert api.get("/api/v1/me").status_code == 401  # revoked tokens stay revoked


def test_only_administrators_deactivate_and_not_themselves(
    app: Flask, admin: User, author_client: WikiClient, reviewer: User, session: Session
) -> None:
    author_client.post("/admin/people/fatima/active", data={"active": "0"})
    session.refresh(reviewer)
    assert reviewer.is_active
    admin_client = _client(app)
    admin_client.login(admin.username)
    refused = admin_client.post("/admin/people/admin/active", data={"active": "0"},
                                follow_redirects=True)  # fmt: skip
    assert "Ask another administrator" in refused.get_data(as_text=True)
    assert _signed_in(admin_client)


def test_the_command_line_deactivates_and_activates(
    runner: Any, app: Flask, author: User, api_for: Any
) -> None:
    victim = _client(app)
    victim.login(author.username)
    api = api_for(author)
    result = runner.invoke(args=["users", "deactivate", "alex"])
    assert result.exit_code == 0, result.output
    assert not _signed_in(victim) and api.get("/api/v1/me").status_code == 401
    again = runner.invoke(args=["users", "deactivate", "alex"])
    assert again.exit_code == 1 and "deactivated already" in again.output
    assert runner.invoke(args=["users", "activate", "alex"]).exit_code == 0
    _client(app).login("alex")
    assert runner.invoke(args=["users", "deactivate", "nobody"]).exit_code == 1


# -- API tokens ----------------------------------------------------------------------------------


def _create_token(client: WikiClient, **form: str) -> str:
    page = client.post("/settings/tokens", data={"name": "script", "scope": "read",
                                                 "expires": "30", **form})  # fmt: skip
    assert page.status_code == 200, page.get_data(as_text=True)
    found = re.search(r'token-secret__value">(pw_[\w-]+)<', page.get_data(as_text=True))
    assert found is not None
    return found.group(1)


def test_a_read_only_token_reads_but_gets_403_on_writes(
    app: Flask, author_client: WikiClient
) -> None:
    api = TokenClient(app.test_client(), _create_token(author_client, scope="read"))
    assert api.get("/api/v1/me").status_code == 200
    refused = api.post("/api/v1/pages", json={"title": "Team Lunch", "body": "Fridays"})
    assert refused.status_code == 403 and "read-only" in refused.get_json()["error"]["message"]
    writer = TokenClient(app.test_client(), _create_token(author_client, scope="write"))
    assert writer.post("/api/v1/pages", json={"title": "Team Lunch", "body": "Fri"}).status_code == 201  # fmt: skip


def test_the_settings_page_shows_a_secret_once_and_lists_and_revokes_tokens(
    app: Flask, author_client: WikiClient, session: Session
) -> None:
    secret = _create_token(author_client, name="nightly export")
    listing = author_client.get("/settings/tokens").get_data(as_text=True)
    assert secret not in listing and "nightly export" in listing and "read only" in listing
    assert secret[:10] in listing and "never used" in listing
    api = TokenClient(app.test_client(), secret)
    assert api.get("/api/v1/me").status_code == 200
    used = author_client.get("/settings/tokens").get_data(as_text=True)
    assert "never used" not in used and "last used <time" in used
    token_id = session.scalars(select(ApiToken.id)).one()
    revoked = author_client.post(f"/settings/tokens/{token_id}/revoke", follow_redirects=True)
    assert "revoked: it no longer works" in revoked.get_data(as_text=True)
    assert api.get("/api/v1/me").status_code == 401


def test_nobody_revokes_someone_elses_token(
    app: Flask, author_client: WikiClient, reviewer_client: WikiClient, session: Session
) -> None:
    secret = _create_token(author_client)
    token_id = session.scalars(select(ApiToken.id)).one()
    assert reviewer_client.post(f"/settings/tokens/{token_id}/revoke").status_code == 404
    assert TokenClient(app.test_client(), secret).get("/api/v1/me").status_code == 200


def test_an_expired_token_gets_401(
    app: Flask, author: User, session: Session, api_for: Any
) -> None:
    created = tokens.create(
        session, owner=author, name="short-lived", expires_at=utcnow() + timedelta(days=1)
    )
    api = TokenClient(app.test_client(), created.secret)
    assert api.get("/api/v1/me").status_code == 200
    created.token.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    answer = api.get("/api/v1/me")
    assert answer.status_code == 401 and "expired" in answer.get_json()["error"]["message"]


def test_a_token_counts_over_a_session_cookie(
    app: Flask, author: User, reviewer: User, session: Session
) -> None:
    """A bad token is refused even from a signed-in browser; a good one acts as its owner."""
    browser = _client(app)
    browser.login(author.username)
    revoked = tokens.create(session, owner=author, name="old")
    tokens.revoke(session, actor=author, token_id=revoked.token.id)
    bearer = {"Authorization": f"Bearer {revoked.secret}"}
    assert browser.get("/api/v1/me", headers=bearer).status_code == 401
    theirs = tokens.create(session, owner=reviewer, name="theirs")
    bearer = {"Authorization": f"Bearer {theirs.secret}"}
    assert browser.get("/api/v1/me", headers=bearer).status_code == 401


@pytest.mark.parametrize(
    ("form", "message"),
    [({"name": ""}, "This field is required"), ({"scope": "admin"}, "Not a valid choice")],
)
def test_a_token_form_with_bad_values_is_refused(
    author_client: WikiClient, session: Session, form: dict[str, str], message: str
) -> None:
    refused = author_client.post("/settings/tokens", data={"name": "x", "scope": "read", **form})
    assert refused.status_code == 400 and message in refused.get_data(as_text=True)
    assert session.scalars(select(ApiToken)).all() == []


def test_the_command_line_creates_lists_and_revokes_tokens(
    runner: Any, app: Flask, author: User
) -> None:
    created = runner.invoke(
        args=["tokens", "create", "alex", "--name", "ci", "--read-only", "--expires-in", "7"]
    )
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    api = TokenClient(app.test_client(), secret)
    assert api.get("/api/v1/me").status_code == 200
    assert api.post("/api/v1/pages", json={"title": "T", "body": "b"}).status_code == 403
    listed = runner.invoke(args=["tokens", "list", "alex"])
    assert listed.exit_code == 0
    line = listed.stdout.strip().splitlines()[-1]
    token_id = line.split("\t")[0]
    assert "\tci\tread\tlive\t" in line and "expires 20" in line
    assert runner.invoke(args=["tokens", "revoke", token_id]).exit_code == 0
    assert api.get("/api/v1/me").status_code == 401
    assert "\trevoked\t" in runner.invoke(args=["tokens", "list", "alex"]).stdout
    again = runner.invoke(args=["tokens", "revoke", token_id])
    assert again.exit_code == 1 and "revoked already" in again.output
    assert runner.invoke(args=["tokens", "revoke", "999"]).exit_code == 1


def test_the_default_command_line_token_still_reads_and_writes(
    runner: Any, app: Flask, author: User
) -> None:
    created = runner.invoke(args=["tokens", "create", "alex"])
    api = TokenClient(app.test_client(), created.stdout.strip().splitlines()[-1])
    made = api.post("/api/v1/pages", json={"title": "Team Lunch", "body": "Fridays"})
    assert made.status_code == 201
