"""One use case, one transaction: a use case commits once, at its end, and when it fails there
nothing of it remains.

Each row of ``USE_CASES`` is one use case that views, the API or the CLI run, acting on the wiki
that ``wiki`` builds. The test first makes the commit at its end fail (the failure comes after
its last step), rolls back as the request or command would, and compares every row of every
table with before; then it runs the use case again and checks that it commits exactly once (a
second commit would have kept half of the failed attempt) and changes something.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ApiToken, Comment, Revision, User, Verification, utcnow
from app.review.approval import ApprovalRules
from app.search import SearchQuery
from app.services import (
    accounts,
    comments,
    content,
    feedback,
    notifications,
    ownership,
    pages,
    proposals,
    review,
    rubric,
    search,
    signup,
    tokens,
    users,
    verification,
)
from tests.conftest import table_rows
from tests.factories import FAST_PASSWORD_METHOD as FAST
from tests.factories import PASSWORD, edit_page, make_page, make_user

RULES = ApprovalRules()
INVITE_ONLY = signup.SignupRules(signup.Mode.INVITE)
BROWSER = accounts.Client(address="127.0.0.1", user_agent="Firefox")


class InjectedFailure(Exception):
    """The failure a test injects after a use case's last step."""


@dataclass
class Wiki:
    """A wiki with something in every state a use case starts from."""

    app: Flask
    session: Session
    alex: User
    fatima: User
    hana: User
    admin: User
    #: a published page by alex
    published: Revision
    #: an edit of ``published`` that fatima is asked to review
    in_review: Revision
    #: an edit of another page on which fatima requested changes with ``suggestion``
    changes_requested: Revision
    suggestion: Comment
    #: a new page alex has not submitted yet
    draft: Revision
    #: a new page alex withdrew
    withdrawn: Revision
    #: the slug of a page alex archived
    archived: str
    #: a directory with one content file that names a new department
    content_dir: Path
    #: a sign-up link to Finance
    invitation: str

    def submit_saved(self, *reviewers: User) -> Callable[[Revision], None]:
        """The step that submits what alex saves, as the API's ``"submit": true`` does."""
        return review.submission(
            self.session, actor=self.alex, rules=RULES, reviewers=[u.username for u in reviewers]
        )


@pytest.fixture
def wiki(app: Flask, session: Session, tmp_path: Path) -> Wiki:
    alex = make_user(session, username="alex", name="Alex Rivera", department="Engineering")
    fatima = make_user(session, username="fatima", name="Fatima Khan", department="Finance")
    hana = make_user(session, username="hana", name="Hana Sato", department="People")
    admin = make_user(session, username="admin", department="Operations", is_admin=True)
    published = make_page(session, alex, title="Expenses")
    in_review = edit_page(session, alex, published, "Receipts within 30 days.\n", ask=fatima)
    travel = make_page(session, alex, title="Travel", body="Book trains.\nBook hotels.\n")
    changes_requested = edit_page(
        session, alex, travel, "Book trains early.\nHotels.\n", ask=fatima
    )
    review.add_review(
        session, actor=fatima, revision_id=changes_requested.id, verdict="request_changes",
        rules=RULES, comments=[{"body": "Say which.", "line": 2, "suggestion": "Book hotels."}],
    )  # fmt: skip
    suggestion = session.scalars(select(Comment).where(Comment.suggestion.is_not(None))).one()
    review.add_review(session, actor=hana, revision_id=changes_requested.id, verdict="approve",
                      rules=RULES)  # fmt: skip
    draft = proposals.create_page(session, author=alex, title="Onboarding", body="Day one.\n")
    withdrawn = proposals.create_page(session, author=alex, title="Holidays", body="Ask first.\n")
    review.withdraw(session, actor=alex, revision_id=withdrawn.id)
    archived = make_page(session, alex, title="Old policy").page.slug
    pages.archive(session, actor=alex, slug=archived)
    content_dir = tmp_path / "import"
    content_dir.mkdir()
    (content_dir / "contracts.md").write_text(
        "---\ntitle: Contracts\ndepartment: Legal\ntags: [legal]\n---\n# Contracts\n\nSign twice.\n"
    )
    _, invitation = signup.invite(session, actor=admin, department="Finance")
    tokens.create(session, owner=alex, name="nightly export")
    verification.open_verification_early(session, travel.page, "readers say it fails")
    session.commit()
    return Wiki(
        app, session, alex, fatima, hana, admin, published, in_review, changes_requested,
        suggestion, draft, withdrawn, archived, content_dir, invitation,
    )  # fmt: skip


@dataclass(frozen=True)
class UseCase:
    """A use case run on the ``wiki``: its name (the test id) and how to run it."""

    name: str
    run: Callable[[Wiki], object]


# One use case a line: its name, and how it runs on the wiki ``w``.
# fmt: off
USE_CASES = [
    UseCase("create page and submit", lambda w: proposals.create_page(w.session, author=w.alex, title="Parking", body="Level 2.\n", then=w.submit_saved(w.fatima))),
    UseCase("save and submit", lambda w: proposals.save_revision(w.session, author=w.alex, slug="expenses", body="In a week.\n", base_revision_id=w.published.id, then=w.submit_saved(w.hana))),
    UseCase("revise a proposal", lambda w: proposals.save_revision(w.session, author=w.alex, slug="expenses", body="Within 20 days.\n", base_revision_id=w.in_review.id)),
    UseCase("submit", lambda w: review.submit(w.session, actor=w.alex, revision_id=w.draft.id, reviewers=["fatima", "hana"], rules=RULES)),
    UseCase("approve and publish", lambda w: review.add_review(w.session, actor=w.fatima, revision_id=w.in_review.id, verdict="approve", rules=RULES, rubric={"clarity": 4})),
    UseCase("request changes with a comment", lambda w: review.add_review(w.session, actor=w.fatima, revision_id=w.in_review.id, verdict="request_changes", rules=RULES, comments=[{"body": "Why?", "line": 1}])),
    UseCase("override and publish", lambda w: review.override(w.session, actor=w.admin, revision_id=w.changes_requested.id, reason="Fine as it is.", rules=RULES)),
    UseCase("apply a suggestion", lambda w: comments.apply_suggestion(w.session, actor=w.alex, comment_id=w.suggestion.id)),
    UseCase("comment with a mention", lambda w: comments.add_comment(w.session, actor=w.fatima, revision_id=w.in_review.id, body="@hana is this right?", line=1)),
    UseCase("resolve a thread", lambda w: comments.resolve_comment(w.session, actor=w.alex, comment_id=w.suggestion.id)),
    UseCase("withdraw", lambda w: review.withdraw(w.session, actor=w.alex, revision_id=w.in_review.id)),
    UseCase("reopen", lambda w: review.reopen(w.session, actor=w.alex, revision_id=w.withdrawn.id)),
    UseCase("archive", lambda w: pages.archive(w.session, actor=w.alex, slug="expenses")),
    UseCase("restore", lambda w: pages.restore(w.session, actor=w.alex, slug=w.archived)),
    UseCase("import a content file", lambda w: content.import_directory(w.session, w.content_dir)),
    UseCase("add a department", lambda w: users.add_department(w.session, actor=w.admin, name="Legal")),
    UseCase("change department rules", lambda w: users.update_review_rules(w.session, actor=w.admin, name="Finance", required_approvals=2, require_cross_department=True)),
    UseCase("update the rubric", lambda w: rubric.update_rubric(w.session, actor=w.admin, criteria=[{"label": "Accuracy", "guidance": "Is it true?"}, {"label": "Tone"}])),
    UseCase("create a user", lambda w: users.create_user(w.session, username="noor", password=PASSWORD, department="Research", create_department=True, password_method=FAST)),
    UseCase("sign up with an invitation", lambda w: signup.register(w.session, rules=INVITE_ONLY, invitation_secret=w.invitation, username="noor", name="Noor", email="noor@example.com", department="", password=PASSWORD, password_method=FAST, client=BROWSER)),
    UseCase("invite", lambda w: signup.invite(w.session, actor=w.admin, department="People")),
    UseCase("move someone's department", lambda w: signup.set_department(w.session, actor=w.admin, username="hana", department="Finance")),
    UseCase("grant admin rights", lambda w: signup.set_admin(w.session, actor=w.admin, username="hana", admin=True)),
    UseCase("create an API token", lambda w: tokens.create(w.session, owner=w.alex, name="ci", actor=w.alex)),
    UseCase("revoke an API token", lambda w: tokens.revoke(w.session, actor=w.alex, token_id=w.session.scalars(select(ApiToken.id)).one())),
    UseCase("sign in", lambda w: accounts.sign_in(w.session, username="alex", password=PASSWORD, password_method=FAST, client=BROWSER)),
    UseCase("change a password", lambda w: accounts.change_password(w.session, user=w.alex, current=PASSWORD, new="another-long-passphrase", password_method=FAST, client=BROWSER)),
    UseCase("deactivate someone", lambda w: accounts.set_active(w.session, actor=w.admin, username="hana", active=False)),
    UseCase("mark notifications read", lambda w: notifications.mark_read(w.session, w.fatima)),
    UseCase("give feedback on a page", lambda w: feedback.give(w.session, reader=w.hana, slug="expenses", worked=False, note="Step 2 fails.")),
    UseCase("change a page's owners", lambda w: ownership.set_owners(w.session, actor=w.alex, slug="expenses", usernames=["alex", "fatima"], require_owner_approval=True, review_interval_days=30)),
    UseCase("open due verifications", lambda w: verification.open_due(w.session, now=utcnow() + timedelta(days=400))),
    UseCase("verify a page", lambda w: verification.complete(w.session, actor=w.alex, verification_id=_open_verification(w), outcome="verified", rubric={"accuracy": 4})),
    UseCase("verification finds changes needed", lambda w: verification.complete(w.session, actor=w.alex, verification_id=_open_verification(w), outcome="needs_changes", comment="Hotels moved.")),
    UseCase("remind of waiting verifications", lambda w: verification.remind(w.session, now=utcnow() + timedelta(days=8))),
    UseCase("search and log a gap", lambda w: search.run(w.session, w.app.extensions["wiki.search"], SearchQuery(text="parking"), user=w.hana)),
]
# fmt: on


def _open_verification(wiki: Wiki) -> int:
    return wiki.session.scalars(select(Verification.id).where(Verification.state == "open")).one()


@pytest.mark.parametrize("case", USE_CASES, ids=lambda case: case.name)
def test_a_use_case_that_fails_at_its_end_leaves_nothing_and_commits_once_when_retried(
    wiki: Wiki, case: UseCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = table_rows(wiki.app)
    with monkeypatch.context() as patched:
        patched.setattr(Session, "commit", _fail)
        with pytest.raises(InjectedFailure):
            case.run(wiki)
    wiki.session.rollback()  # as the request's teardown (or the command's exit) does
    assert table_rows(wiki.app) == before
    commits: list[Session] = []
    commit = Session.commit

    def counted(self: Session) -> None:
        commits.append(self)
        commit(self)

    monkeypatch.setattr(Session, "commit", counted)
    case.run(wiki)
    monkeypatch.undo()
    assert commits == [wiki.session], f"{case.name} committed {len(commits)} times"
    assert table_rows(wiki.app) != before


def test_creating_and_submitting_a_page_through_the_api_fails_whole_and_retries(
    wiki: Wiki, api_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    alex = api_for(wiki.alex)
    alex.get("/api/v1/me")  # the token's first use is recorded by itself
    attempt = {"title": "Parking", "body": "Level 2.", "submit": True}
    before = table_rows(wiki.app)
    refused = alex.post("/api/v1/pages", json={**attempt, "reviewers": ["nobody-like-this"]})
    assert refused.status_code == 422 and "reviewers" in refused.get_json()["error"]["fields"]
    assert table_rows(wiki.app) == before
    with monkeypatch.context() as patched:
        patched.setattr(Session, "commit", _fail)
        failed = alex.post("/api/v1/pages", json={**attempt, "reviewers": ["fatima"]})
    assert failed.status_code == 500
    assert table_rows(wiki.app) == before
    created = alex.post("/api/v1/pages", json={**attempt, "reviewers": ["fatima"]})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["latest_revision"]["status"] == "in_review"


def _fail(self: Session) -> None:
    raise InjectedFailure("the commit at the end of the use case fails")
