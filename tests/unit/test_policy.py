"""Who may see what (``policy.can_view``) and who may approve or override, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.models import Page, Proposal, Revision, User
from app.review import policy
from app.review.workflow import State

NOW = datetime(2026, 12, 1, tzinfo=UTC)
AUTHOR = User(id=1, username="alex", is_admin=False)
CO_EDITOR = User(id=2, username="cora", is_admin=True)
MEMBER = User(id=3, username="fatima", is_admin=False)
ADMIN = User(id=4, username="admin", is_admin=True)


def proposal(state: State, *, archived: bool = False, published: bool = False) -> Proposal:
    page = Page(id=1, slug="p", title="P", archived_at=NOW if archived else None)
    item = Proposal(id=1, page=page, author_id=AUTHOR.id, state=state.value,
                    published_at=NOW if published else None)  # fmt: skip
    item.revisions = [
        Revision(id=10, page=page, proposal=item, author_id=AUTHOR.id, number=1),
        Revision(id=11, page=page, proposal=item, author_id=CO_EDITOR.id, number=2),
    ]
    return item


@pytest.mark.parametrize(
    ("state", "readers"),
    [
        (State.DRAFT, {AUTHOR, CO_EDITOR, ADMIN}),
        (State.WITHDRAWN, {AUTHOR, CO_EDITOR, ADMIN}),
        (State.IN_REVIEW, {AUTHOR, CO_EDITOR, MEMBER, ADMIN}),
        (State.CHANGES_REQUESTED, {AUTHOR, CO_EDITOR, MEMBER, ADMIN}),
        (State.APPROVED, {AUTHOR, CO_EDITOR, MEMBER, ADMIN}),
    ],
)
def test_an_unpublished_proposal_is_seen_by_whom_its_state_says(
    state: State, readers: set[User]
) -> None:
    item = proposal(state)
    everyone = [None, AUTHOR, CO_EDITOR, MEMBER, ADMIN]
    assert {reader for reader in everyone if policy.can_view(reader, item)} == readers
    assert all(policy.can_view(r, item.revisions[0]) == (r in readers) for r in everyone)
    assert policy.can_view(policy.SYSTEM, item)


def test_what_was_published_is_for_every_reader_unless_the_page_is_archived() -> None:
    live, archived = (
        proposal(State.PUBLISHED, published=True),
        proposal(State.PUBLISHED, published=True, archived=True),
    )
    assert policy.can_view(None, live) and policy.can_view(MEMBER, live)
    assert not policy.can_view(None, archived) and policy.can_view(MEMBER, archived)
    revision = live.revisions[1]
    revision.published_at = NOW
    assert policy.can_view(None, revision)


def test_a_page_is_seen_through_its_published_version_or_else_its_latest_revision() -> None:
    draft = proposal(State.DRAFT)
    page = draft.page
    page.latest_revision = draft.revisions[1]
    assert not policy.can_view(None, page) and not policy.can_view(MEMBER, page)
    assert policy.can_view(AUTHOR, page)
    published = Revision(id=9, page=page, author_id=AUTHOR.id, number=0, published_at=NOW)
    page.published_revision_id, page.published_revision = 9, published
    assert policy.can_view(None, page) and policy.can_view(MEMBER, page)


def test_contributors_cannot_approve_or_override_but_others_can() -> None:
    item = proposal(State.IN_REVIEW)
    assert not policy.can_approve(AUTHOR, item) and not policy.can_approve(CO_EDITOR, item)
    assert policy.can_approve(MEMBER, item) and policy.can_approve(ADMIN, item)
    assert not policy.can_override(CO_EDITOR, item) and not policy.can_override(MEMBER, item)
    assert policy.can_override(ADMIN, item)
