"""Who may join: sign-up modes, invitations, confirmed departments and addresses."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import config
from app.models import Invitation, Proposal, User, utcnow
from app.review.approval import ApprovalRules
from app.services import review
from tests.conftest import WikiClient, make_app
from tests.factories import PASSWORD, edit_page, make_page, make_user

NEWCOMER = {
    "username": "nia", "name": "Nia Okafor", "email": "nia@corp.example", "password": PASSWORD,
    "confirm": PASSWORD, "department": "Finance",
}  # fmt: skip


@pytest.fixture
def wiki(tmp_path: Path, database_url: str) -> Iterator[Callable[..., Flask]]:
    """Make an app with the given settings on the test's database (once per test)."""
    made: list[Flask] = []

    def build(**settings: Any) -> Flask:
        assert not made, "one wiki per test: they would share the database"
        app = make_app(tmp_path, database_url, **settings)
        app.test_client_class = WikiClient
        with app.extensions["wiki.sessionmaker"]() as session:
            make_user(session, username="admin", name="Ada Admin", department="Operations", is_admin=True)  # fmt: skip
            make_user(session, username="fatima", name="Fatima Khan", department="Finance")
        made.append(app)
        return app

    yield build
    for app in made:
        app.extensions["wiki.engine"].dispose()


def _db(app: Flask) -> Session:
    session: Session = app.extensions["wiki.sessionmaker"]()
    return session


def _user(app: Flask, username: str) -> User | None:
    with _db(app) as session:
        return session.scalar(select(User).where(User.username == username))


def test_in_open_mode_a_chosen_department_waits_and_approvals_count_as_comments(
    wiki: Callable[..., Flask],
) -> None:
    app = wiki(SIGNUP="open")
    client: Any = app.test_client()
    assert client.post("/signup", data={**NEWCOMER}).status_code == 302
    nia = _user(app, "nia")
    assert nia is not None and nia.department_confirmed is False
    with _db(app) as session:
        alex = make_user(session, username="alex", name="Alex Rivera")
        published = make_page(session, alex, title="Expenses")
        draft = edit_page(session, alex, published, "Receipts in 30 days.\n", ask=nia)
        result = review.add_review(session, actor=session.get(User, nia.id), revision_id=draft.id,  # type: ignore[arg-type]
                                   verdict="approve", rules=ApprovalRules())  # fmt: skip
        assert result.verdict == "comment" and "not confirmed" in result.summary
        assert session.get(Proposal, draft.proposal_id).state == "in_review"  # type: ignore[union-attr]
    admin: Any = app.test_client()
    admin.login("admin")
    page = admin.get("/admin/people").get_data(as_text=True)
    assert "Nia Okafor" in page and "unconfirmed" in page
    assert admin.post("/admin/people/nia/department", data={}).status_code == 302
    assert _user(app, "nia").department_confirmed is True  # type: ignore[union-attr]


def test_with_sign_up_off_nobody_joins(wiki: Callable[..., Flask]) -> None:
    app = wiki(SIGNUP="off")
    client: Any = app.test_client()
    page = client.get("/signup")
    assert page.status_code == 403 and "does not take sign-ups" in page.get_data(as_text=True)
    assert client.post("/signup", data={**NEWCOMER}).status_code == 403
    assert _user(app, "nia") is None
    assert ">Sign up<" not in client.get("/").get_data(as_text=True)


def test_production_closes_sign_up_unless_told_otherwise(tmp_path: Path) -> None:
    app = Flask(__name__, instance_path=str(tmp_path))
    config.load(
        app, {"ENV": "production", "SECRET_KEY": "k" * 40, "BASE_URL": "https://wiki.example.com"}
    )
    assert app.config["SIGNUP"] == "off"
    with pytest.raises(config.ConfigError, match="SIGNUP_DOMAINS and PEERWIKI_SMTP_HOST"):
        config.load(Flask(__name__, instance_path=str(tmp_path)), {"SIGNUP": "domain"})
    with pytest.raises(config.ConfigError, match="PEERWIKI_SIGNUP must be one of"):
        config.load(Flask(__name__, instance_path=str(tmp_path)), {"SIGNUP": "anyone"})


def test_an_invitation_fixes_the_department_and_works_once(wiki: Callable[..., Flask]) -> None:
    app = wiki(SIGNUP="invite")
    visitor: Any = app.test_client()
    assert visitor.get("/signup").status_code == 403
    admin: Any = app.test_client()
    admin.login("admin")
    created = admin.post("/admin/invitations", data={"department": "Operations"})
    link = re.search(r"/signup\?invite=([\w-]+)", created.get_data(as_text=True))
    assert created.status_code == 200 and link is not None
    form = visitor.get(f"/signup?invite={link.group(1)}").get_data(as_text=True)
    assert "You were invited to join <strong>Operations</strong>" in form
    joined = visitor.post("/signup", data={**NEWCOMER, "invite": link.group(1)})
    assert joined.status_code == 302
    nia = _user(app, "nia")
    assert nia is not None and nia.department.name == "Operations" and nia.department_confirmed
    again: Any = app.test_client()
    reused = again.post("/signup", data={**NEWCOMER, "username": "nia2", "email": "n2@x.example",
                                         "invite": link.group(1)})  # fmt: skip
    assert reused.status_code == 404 and _user(app, "nia2") is None


def test_an_expired_invitation_is_refused(wiki: Callable[..., Flask]) -> None:
    app = wiki(SIGNUP="invite")
    admin: Any = app.test_client()
    admin.login("admin")
    created = admin.post("/admin/invitations", data={"department": "Finance"}).get_data(
        as_text=True
    )
    secret = re.search(r"invite=([\w-]+)", created).group(1)  # type: ignore[union-attr]
    with _db(app) as session:
        session.scalars(select(Invitation)).one().expires_at = utcnow() - timedelta(minutes=1)
        session.commit()
    assert app.test_client().get(f"/signup?invite={secret}").status_code == 404


def test_domain_mode_admits_company_addresses_once_confirmed(
    wiki: Callable[..., Flask], smtp_server: tuple[int, list[Any]]
) -> None:
    port, received = smtp_server
    app = wiki(
        SIGNUP="domain", SIGNUP_DOMAINS="corp.example", SMTP_HOST="127.0.0.1", SMTP_PORT=port,
        BASE_URL="https://wiki.corp.example",
    )  # fmt: skip
    client: Any = app.test_client()
    outsider = client.post("/signup", data={**NEWCOMER, "email": "nia@gmail.example"})
    assert outsider.status_code == 400 and "@corp.example" in outsider.get_data(as_text=True)
    sent = client.post("/signup", data={**NEWCOMER})
    assert sent.status_code == 200 and "Check your email" in sent.get_data(as_text=True)
    assert [envelope.rcpt_tos for envelope in received] == [["nia@corp.example"]]
    early = client.post("/login", data={"username": "nia", "password": PASSWORD})
    assert early.status_code == 400 and "Confirm your email address" in early.get_data(as_text=True)
    link = re.search(
        r"https://wiki\.corp\.example(/signup/confirm/\S+)", received[0].content.decode()
    )
    assert link is not None
    assert client.get(link.group(1)).status_code == 302
    assert client.get("/signup/confirm/forged-token").status_code == 400
    assert client.post("/login", data={"username": "nia", "password": PASSWORD}).status_code == 302


def test_a_forged_host_header_never_reaches_an_email_or_an_api_link(
    wiki: Callable[..., Flask], smtp_server: tuple[int, list[Any]]
) -> None:
    port, received = smtp_server
    app = wiki(SIGNUP="domain", SIGNUP_DOMAINS="corp.example", SMTP_HOST="127.0.0.1", SMTP_PORT=port,
               WTF_CSRF_ENABLED=False)  # its cookie is for localhost, not the forged host  # fmt: skip
    client: Any = app.test_client()
    forged = {"Host": "attacker.example"}
    assert client.post("/signup", data={**NEWCOMER}, headers=forged).status_code == 200
    email = received[0].content.decode()
    assert "attacker.example" not in email
    assert "http://127.0.0.1:5000/signup/confirm/" in email  # BASE_URL's development default
    pages = client.get("/api/v1/pages", headers=forged).get_data(as_text=True)
    assert "attacker.example" not in pages


def test_only_administrators_manage_people(wiki: Callable[..., Flask]) -> None:
    app = wiki(SIGNUP="open")
    member: Any = app.test_client()
    member.login("fatima")
    assert member.get("/admin/people").status_code == 403
    member.post("/admin/people/fatima/admin", data={"admin": "1"})
    assert _user(app, "fatima").is_admin is False  # type: ignore[union-attr]
    admin: Any = app.test_client()
    admin.login("admin")
    admin.post("/admin/people/fatima/admin", data={"admin": "1"})
    assert _user(app, "fatima").is_admin is True  # type: ignore[union-attr]
    refused = admin.post("/admin/people/admin/admin", data={"admin": "0"}, follow_redirects=True)
    assert "Ask another administrator" in refused.get_data(as_text=True)
    with _db(app) as session:
        assert session.scalar(select(func.count()).select_from(User).where(User.is_admin)) == 2
