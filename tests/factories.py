"""Tiny test-data factories with sensible defaults."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.models import Revision, User
from app.review.approval import ApprovalRules
from app.search import PUBLIC, SearchDocument
from app.services import proposals, review, users

PASSWORD = "correct-horse-battery"
#: Tests hash passwords in microseconds (werkzeug's scrypt takes ~70 ms a hash).
FAST_PASSWORD_METHOD = "pbkdf2:sha256:1"
#: When search documents were written, unless a test says otherwise.
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def make_user(
    session: Session, *, username: str = "user", department: str = "Engineering", **over: Any
) -> User:
    return users.create_user(
        session,
        username=username,
        password=over.pop("password", PASSWORD),
        department=department,
        email=over.pop("email", f"{username}@example.com"),
        create_department=True,
        password_method=over.pop("password_method", FAST_PASSWORD_METHOD),
        **over,
    )


def make_page(
    session: Session,
    author: User,
    *,
    title: str = "How to file expenses",
    body: str | None = None,
    **over: Any,
) -> Revision:
    """Create a page; published at once (as an import) unless ``publish=False`` makes it a draft."""
    over.setdefault("publish", True)
    return proposals.create_page(
        session,
        author=author,
        title=title,
        body=body if body is not None else f"# {title}\n\nFirst line.\nSecond line.\nThird line.\n",
        **over,
    )


def edit_page(
    session: Session,
    author: User,
    revision: Revision,
    body: str,
    *,
    ask: User | None = None,
    **over: Any,
) -> Revision:
    """Save an edit on top of ``revision``: published at once unless ``publish=False``, or sent
    for review by ``ask``."""
    if ask is not None:
        over.update(publish=False, then=review.submission(
            session, actor=author, rules=ApprovalRules(), reviewers=[ask.username]
        ))  # fmt: skip
    over.setdefault("publish", True)
    return proposals.save_revision(
        session,
        author=author,
        slug=revision.page.slug,
        body=body,
        base_revision_id=revision.id,
        **over,
    )


def search_document(page_id: int, title: str, body: str, **over: Any) -> SearchDocument:
    """A published page's search document, as a backend receives it."""
    fields: dict[str, Any] = {
        "key": f"page:{page_id}", "page_id": page_id, "slug": title.lower().replace(" ", "-"),
        "title": title, "headings": "", "body": body, "tags": (), "department": "Engineering",
        "author": "alex", "reviewers": (), "updated_at": NOW, "reviewed_at": NOW,
        "visible_to": (PUBLIC,),
    }  # fmt: skip
    fields.update(over)
    return SearchDocument(**fields)
