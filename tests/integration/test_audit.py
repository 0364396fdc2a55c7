"""The audit log: what is recorded, only when it happened, and who may read it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from app.exceptions import ValidationError
from app.models import ApiToken, AuditEntry, User
from app.review.approval import ApprovalRules
from app.services import accounts, audit, pages, review, rubric, signup, users
from tests.conftest import WikiClient
from tests.factories import FAST_PASSWORD_METHOD as FAST
from tests.factories import PASSWORD, edit_page, make_page, make_user

RULES = ApprovalRules()


def _log(session: Session) -> list[tuple[str, str | None, str]]:
    """(action, actor username, target) of every entry, oldest first."""
    session.expire_all()
    found = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    return [(e.action, e.actor.username if e.actor else None, e.target) for e in found]


def test_sign_ins_are_recorded_whether_they_succeed_or_fail(
    app: Flask, session: Session, author: User
) -> None:
    app.test_client_class = WikiClient
    client: WikiClient = app.test_client()  # type: ignore[assignment]
    wrong = client.post("/login", data={"username": "alex", "password": "not-the-password"})
    unknown = client.post("/login", data={"username": "Nobody", "password": PASSWORD})
    assert (wrong.status_code, unknown.status_code) == (400, 400)
    client.login("alex")
    assert _log(session)[-3:] == [
        ("auth.sign_in_failed", None, "user:alex"),
        ("auth.sign_in_failed", None, "user:nobody"),
        ("auth.sign_in", "alex", "user:alex"),
    ]
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert last is not None and last.ip == "127.0.0.1"


def test_a_sign_in_before_the_email_is_confirmed_is_a_failure(session: Session) -> None:
    make_user(session, username="nia", email_confirmed=False)
    with pytest.raises(ValidationError, match="not confirmed"):
        accounts.sign_in(session, username="nia", password=PASSWORD, password_method=FAST,
                         client=accounts.Client())  # fmt: skip
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None
    assert (entry.action, entry.detail) == (
        "auth.sign_in_failed",
        {"reason": "email not confirmed"},
    )


def test_sign_up_and_account_changes_are_recorded(
    app: Flask, session: Session, admin: User
) -> None:
    app.test_client_class = WikiClient
    newcomer = {"username": "nia", "name": "Nia Okafor", "email": "nia@corp.example",
                "password": PASSWORD, "confirm": PASSWORD, "department": "Operations"}  # fmt: skip
    assert app.test_client().post("/signup", data=newcomer).status_code == 302
    signup.set_department(session, actor=admin, username="nia")
    signup.set_admin(session, actor=admin, username="nia", admin=True)
    assert _log(session)[-3:] == [
        ("auth.sign_up", "nia", "user:nia"),
        ("user.department", "admin", "user:nia"),
        ("user.admin", "admin", "user:nia"),
    ]


def test_moderation_is_recorded(
    session: Session, author: User, reviewer: User, admin: User
) -> None:
    published = make_page(session, author, title="Expenses")
    draft = edit_page(session, author, published, "v2\n", publish=False)
    hana = make_user(session, username="hana", department="People")
    review.submit(
        session, actor=author, revision_id=draft.id, reviewers=["fatima", "hana"], rules=RULES
    )
    review.add_review(
        session, actor=reviewer, revision_id=draft.id, verdict="request_changes", rules=RULES,
        comments=[{"body": "no", "line": 1}],
    )  # fmt: skip
    review.add_review(session, actor=hana, revision_id=draft.id, verdict="approve", rules=RULES)
    review.override(session, actor=admin, revision_id=draft.id, reason="On leave", rules=RULES)
    pages.archive(session, actor=admin, slug="expenses")
    pages.restore(session, actor=admin, slug="expenses")
    users.update_review_rules(
        session, actor=admin, name="Finance", required_approvals=2, require_cross_department=True
    )
    rubric.update_rubric(session, actor=admin, criteria=[{"label": "Accuracy", "guidance": "?"}])
    proposal = f"proposal:{draft.proposal_id}"
    assert _log(session)[-6:] == [
        ("proposal.override", "admin", proposal),
        ("proposal.publish", "admin", proposal),
        ("page.archive", "admin", "page:expenses"),
        ("page.restore", "admin", "page:expenses"),
        ("department.rules", "admin", "department:Finance"),
        ("rubric.update", "admin", "rubric"),
    ]
    rules = session.scalars(select(AuditEntry).where(AuditEntry.action == "department.rules"))
    assert rules.one().detail == {"required_approvals": 2, "require_cross_department": True}


def test_nothing_is_recorded_when_the_use_case_fails(session: Session, admin: User) -> None:
    make_user(session, username="alex", department="Finance")
    before = _log(session)
    with pytest.raises(ValidationError):
        users.update_review_rules(
            session, actor=admin, name="Finance", required_approvals=99,
            require_cross_department=None,
        )  # fmt: skip
    session.rollback()
    assert _log(session) == before


@pytest.fixture
def history(session: Session, admin: User, author: User) -> list[AuditEntry]:
    """Thirty entries, two a day over fifteen days up to 2026-11-15 (actors admin and alex)."""
    made = []
    for day in range(15):
        for actor, action in ((admin, "page.archive"), (author, "page.restore")):
            entry = audit.record(session, action, actor=actor, target=f"page:p{day}")
            entry.created_at = datetime(2026, 11, 1, 12, tzinfo=UTC) + timedelta(days=day)
            made.append(entry)
    session.commit()
    return made


def test_admin_page_lists_newest_first_with_filters(
    history: list[AuditEntry], admin_client: WikiClient
) -> None:
    page = admin_client.get("/admin/audit?action=page.archive").get_data(as_text=True)
    assert "15 entries" in page and page.index("page:p14") < page.index("page:p13")
    assert "page.restore</code>" not in page
    mine = admin_client.get("/admin/audit?actor=alex&from=2026-11-03&to=2026-11-04")
    text = mine.get_data(as_text=True)
    assert "2 entries" in text and "page:p2<" in text and "page:p3<" in text
    assert "page:p4<" not in text
    assert admin_client.get("/admin/audit?to=2026-13-01").status_code == 400


def test_admin_page_is_paginated(
    history: list[AuditEntry], session: Session, admin_client: WikiClient
) -> None:
    for number in range(30):
        audit.record(session, "rubric.update", actor=None, target=f"rubric:{number}")
    session.commit()
    first = admin_client.get("/admin/audit").get_data(as_text=True)
    second = admin_client.get("/admin/audit?page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first and "rubric:29<" in first and "page:p0<" not in first
    assert "Page 2 of 2" in second and "page:p0<" in second and "rubric:29<" not in second


def test_members_cannot_read_the_log(
    history: list[AuditEntry], author_client: WikiClient, api_for: Any, author: User
) -> None:
    assert author_client.get("/admin/audit").status_code == 403
    assert api_for(author).get("/api/v1/audit").status_code == 403


def test_api_lists_entries_newest_first_paginated_and_filtered(
    history: list[AuditEntry], api_for: Any, admin: User
) -> None:
    api = api_for(admin)
    body = api.get("/api/v1/audit?per_page=4&page=2&to=2026-11-30").get_json()
    assert (body["total"], body["pages"], body["page"]) == (30, 8, 2)
    assert [item["target"] for item in body["items"]] == ["page:p12", "page:p12", "page:p11", "page:p11"]  # fmt: skip
    item = body["items"][0]
    assert set(item) >= {"action", "actor", "target", "created_at"}
    assert item["created_at"].startswith("2026-11-13T12:00:00")
    filtered = api.get("/api/v1/audit?action=page.restore&actor=alex&from=2026-11-15").get_json()
    assert [(i["action"], i["actor"]["username"], i["target"]) for i in filtered["items"]] == [
        ("page.restore", "alex", "page:p14")
    ]
    assert api.get("/api/v1/audit?from=yesterday").status_code == 422
    assert api.get("/api/v1/audit?to=9999-12-31").status_code == 200


def test_passwords_deactivations_and_tokens_are_recorded(
    app: Flask, session: Session, admin_client: WikiClient, author_client: WikiClient, runner: Any
) -> None:
    new = "a-much-longer-passphrase"
    author_client.post("/settings/password", data={"current": PASSWORD, "password": new,
                                                   "confirm": new})  # fmt: skip
    author_client.post("/settings/tokens", data={"name": "export", "scope": "read", "expires": ""})
    token = session.scalars(select(ApiToken)).one()
    author_client.post(f"/settings/tokens/{token.id}/revoke")
    admin_client.post("/admin/people/alex/active", data={"active": "0"})
    assert runner.invoke(args=["users", "activate", "alex"]).exit_code == 0
    assert runner.invoke(args=["tokens", "create", "alex", "--name", "ci"]).exit_code == 0
    assert [row for row in _log(session) if not row[0].startswith("auth.")][-6:] == [
        ("user.password", "alex", "user:alex"),
        ("token.create", "alex", f"token:{token.id}"),
        ("token.revoke", "alex", f"token:{token.id}"),
        ("user.deactivate", "admin", "user:alex"),
        ("user.activate", None, "user:alex"),
        ("token.create", None, f"token:{token.id + 1}"),
    ]
    created = session.scalars(select(AuditEntry).where(AuditEntry.action == "token.create"))
    assert created.first().detail == {  # type: ignore[union-attr]
        "owner": "alex", "name": "export", "scope": "read", "expires_at": None,
    }  # fmt: skip


def test_the_database_refuses_to_change_or_remove_entries(session: Session, author: User) -> None:
    assert _log(session)  # the account's creation
    for statement in (update(AuditEntry).values(target="user:someone-else"), delete(AuditEntry)):
        with pytest.raises(DatabaseError, match="append-only"):
            session.execute(statement)
        session.rollback()
    assert _log(session) == [("user.create", None, "user:alex")]
