"""Owners and recurring verification: the rules on a real database, time injected."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.exceptions import PermissionDenied, ValidationError
from app.jobs import Job
from app.mail import Mailer
from app.models import (
    AuditEntry,
    Comment,
    Notification,
    PageOwner,
    PageSchedule,
    Proposal,
    User,
    Verification,
    utcnow,
)
from app.review import schedule
from app.review.approval import ApprovalRules
from app.review.schedule import FreshnessState
from app.services import (
    accounts,
    background,
    notifications,
    ownership,
    review,
    spaces,
    verification,
)
from tests.factories import edit_page, make_page, make_user

DAY = timedelta(days=1)


def _due_now(session: Session, page_id: int) -> PageSchedule:
    plan = session.get(PageSchedule, page_id)
    assert plan is not None and plan.due_at is not None
    return plan


def test_the_author_of_a_new_page_is_its_first_owner_and_it_falls_due_after_180_days(
    session: Session, author: User
) -> None:
    page = make_page(session, author).page
    found = ownership.owners(session, page)
    assert [user.username for user in found.users] == ["alex"]
    assert found.interval_days == schedule.DEFAULT_INTERVAL_DAYS == 180
    plan = _due_now(session, page.id)
    assert page.published_revision is not None
    assert plan.due_at == page.published_revision.published_at + 180 * DAY


def test_open_due_opens_one_verification_per_due_page_and_is_idempotent(
    session: Session, author: User
) -> None:
    due_page = make_page(session, author).page
    second = make_page(session, author, title="Second page").page
    plan = _due_now(session, due_page.id)
    assert plan.due_at is not None
    assert verification.open_due(session, now=plan.due_at - timedelta(minutes=1)) == []
    opened = verification.open_due(session, now=plan.due_at)
    assert [item.page_id for item in opened] == [due_page.id]
    assert opened[0].assignee_id == author.id
    later = plan.due_at + 30 * DAY
    assert [item.page_id for item in verification.open_due(session, now=later)] == [second.id]
    assert verification.open_due(session, now=later) == []
    count = session.scalar(
        select(func.count(Verification.id)).where(Verification.page_id == due_page.id)
    )
    assert count == 1
    inbox = session.scalars(select(Notification).where(Notification.user_id == author.id)).all()
    assert [n.kind for n in inbox] == ["verification_due", "verification_due"]


def test_still_accurate_restarts_the_clock_and_is_recorded(
    session: Session, author: User, reviewer: User
) -> None:
    page = make_page(session, author).page
    plan = _due_now(session, page.id)
    now = plan.due_at + 20 * DAY  # type: ignore[operator]
    assert verification.freshness(session, page, now=now).freshness.state is FreshnessState.OVERDUE  # type: ignore[union-attr]
    [opened] = verification.open_due(session, now=now)
    with pytest.raises(PermissionDenied):
        verification.complete(
            session, actor=reviewer, verification_id=opened.id, outcome="verified", now=now
        )
    done = verification.complete(
        session, actor=author, verification_id=opened.id, outcome="verified",
        comment="Checked every step.", rubric={"accuracy": 4}, now=now,
    )  # fmt: skip
    assert (done.state, done.completed_by_id, done.rubric) == (
        "verified",
        author.id,
        {"accuracy": 4},
    )
    shown = verification.freshness(session, page, now=now)
    assert shown is not None
    assert shown.freshness.state is FreshnessState.FRESH
    assert (shown.verified_at, shown.verified_by) == (now, author)
    assert shown.freshness.due_at == now + 180 * DAY
    assert verification.open_due(session, now=now + 179 * DAY) == []


def test_needs_changes_opens_a_draft_with_the_comment_for_the_owner(
    session: Session, author: User, admin: User
) -> None:
    page = make_page(session, author).page
    due = _due_now(session, page.id).due_at
    assert due is not None
    [opened] = verification.open_due(session, now=due)
    with pytest.raises(ValidationError):
        verification.complete(
            session, actor=admin, verification_id=opened.id, outcome="needs_changes", now=due
        )
    done = verification.complete(
        session, actor=admin, verification_id=opened.id, outcome="needs_changes",
        comment="The form moved to the new portal.", now=due,
    )  # fmt: skip
    proposal = session.get(Proposal, done.proposal_id)
    assert proposal is not None and proposal.author_id == author.id and proposal.state == "draft"
    comment = session.scalar(select(Comment).where(Comment.proposal_id == proposal.id))
    assert comment is not None and comment.body == "The form moved to the new portal."
    assert comment.author_id == admin.id
    # While the change is under way the page is not opened again...
    assert verification.open_due(session, now=due + 2 * DAY) == []
    # ...and its publication restarts the clock.
    assert proposal.head_revision is not None
    edit_page(session, author, proposal.head_revision, "# New\n\nThe new portal.\n")
    plan = _due_now(session, page.id)
    assert plan.due_at is not None and plan.due_at > utcnow() + 179 * DAY


def test_open_verification_early_opens_at_most_one(session: Session, author: User) -> None:
    page = make_page(session, author).page
    first = verification.open_verification_early(session, page, "3 readers said it did not work")
    session.commit()
    again = verification.open_verification_early(session, page, "another report")
    assert first is not None and again is not None and again.id == first.id
    assert first.reason == "3 readers said it did not work"
    assert verification.open_due(session, now=utcnow() + 400 * DAY) == []


def test_interval_of_the_page_sets_its_due_date_and_owner_changes_are_audited(
    session: Session, author: User, reviewer: User
) -> None:
    page = make_page(session, author).page
    with pytest.raises(PermissionDenied):
        ownership.set_owners(session, actor=reviewer, slug=page.slug, usernames=["fatima"])
    changed = ownership.set_owners(
        session, actor=author, slug=page.slug, usernames=["alex", "fatima"],
        require_owner_approval=True, review_interval_days=30,
    )  # fmt: skip
    assert [user.username for user in changed.users] == ["alex", "fatima"]
    assert changed.require_owner_approval and changed.interval_days == 30
    assert page.published_revision is not None
    assert _due_now(session, page.id).due_at == page.published_revision.published_at + 30 * DAY
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "page.owners"))
    assert entry is not None and entry.detail is not None
    assert entry.detail["after"]["users"] == ["alex", "fatima"]
    with pytest.raises(ValidationError):
        ownership.set_owners(session, actor=author, slug=page.slug, usernames=[])


def test_a_deactivated_owner_hands_their_pages_to_the_queue_and_maintainers_are_told(
    session: Session, author: User, admin: User
) -> None:
    page = make_page(session, author).page
    due = _due_now(session, page.id).due_at
    assert due is not None
    [opened] = verification.open_due(session, now=due)
    accounts.set_active(session, actor=admin, username="alex", active=False)
    session.refresh(opened)
    assert opened.assignee_id is None  # in the space's queue now
    assert ownership.owners(session, page).users == []
    told = session.scalars(
        select(Notification).where(
            Notification.user_id == admin.id, Notification.kind == "owner_left"
        )
    ).all()
    assert len(told) == 1 and "How to file expenses" in told[0].message
    assert [item.verification.id for item in verification.queue_for(session, admin)] == []
    rows = session.scalars(select(PageOwner).order_by(PageOwner.id)).all()
    assert [(row.user_id, row.space_id) for row in rows] == [
        (author.id, None),
        (None, page.space_id),
    ]


def test_reminders_go_out_weekly_while_a_verification_waits(session: Session, author: User) -> None:
    page = make_page(session, author).page
    due = _due_now(session, page.id).due_at
    assert due is not None
    verification.open_due(session, now=due)
    assert verification.remind(session, now=due + 6 * DAY) == 0
    assert verification.remind(session, now=due + 7 * DAY) == 1
    assert verification.remind(session, now=due + 8 * DAY) == 0
    assert verification.run_schedule(session, now=due + 14 * DAY) == (0, 1)
    kinds = session.scalars(
        select(Notification.kind).where(Notification.user_id == author.id).order_by(Notification.id)
    ).all()
    assert kinds == ["verification_due", "verification_reminder", "verification_reminder"]


def test_owner_approval_rule_holds_publication_until_an_owner_approves(
    session: Session, author: User, reviewer: User
) -> None:
    page = make_page(session, author).page
    owner = make_user(session, username="olga", name="Olga Owner", department="Finance")
    ownership.set_owners(
        session,
        actor=author,
        slug=page.slug,
        usernames=["alex", "olga"],
        require_owner_approval=True,
    )
    assert page.published_revision is not None
    editor = make_user(session, username="eve", name="Eve Editor", department="Sales")
    change = edit_page(
        session, editor, page.published_revision, "# Changed\n\nNew text.\n", ask=reviewer
    )
    rules = ApprovalRules()
    review.add_review(
        session, actor=reviewer, revision_id=change.id, verdict="approve", rules=rules
    )
    proposal = session.get(Proposal, change.proposal_id)
    assert proposal is not None and proposal.state == "in_review"
    assert (
        review.approval_status(session, proposal, rules).describe() == "Needs an owner's approval."
    )
    review.add_review(session, actor=owner, revision_id=change.id, verdict="approve", rules=rules)
    assert proposal.state == "published"


def test_the_worker_opens_due_verifications_as_of_its_clock(
    app: Flask, session: Session, author: User
) -> None:
    page = make_page(session, author).page
    due = _due_now(session, page.id).due_at
    assert due is not None
    worker = background.Worker(app.extensions["wiki.work"], name="w1", clock=lambda: due + DAY)
    worker.schedule([Job.VERIFY])
    assert worker.drain() >= 1
    session.expire_all()
    opened = session.scalars(select(Verification)).all()
    assert [(item.page_id, item.state, item.opened_at) for item in opened] == [
        (page.id, "open", due + DAY)
    ]


def test_the_open_due_command_opens_what_is_due_as_of_the_given_time(
    runner: Any, session: Session, author: User
) -> None:
    page = make_page(session, author).page
    due = _due_now(session, page.id).due_at
    assert due is not None
    early = runner.invoke(
        args=["verifications", "open-due", "--now", (due - DAY).strftime("%Y-%m-%dT%H:%M:%S")]
    )
    assert early.exit_code == 0 and "Opened 0 verifications" in early.output
    at = (due + DAY).strftime("%Y-%m-%dT%H:%M:%S")
    first = runner.invoke(args=["verifications", "open-due", "--now", at])
    again = runner.invoke(args=["verifications", "open-due", "--now", at])
    assert "Opened 1 verifications" in first.output, first.output
    assert "Opened 0 verifications" in again.output
    assert session.scalar(select(func.count(Verification.id))) == 1


def test_the_interval_defaults_from_the_page_space_and_follows_its_changes(
    session: Session, author: User
) -> None:
    page = make_page(session, author).page
    page.space.review_interval_days = 30
    session.commit()
    assert ownership.owners(session, page).interval_days == 30
    assert page.published_revision is not None
    published = page.published_revision.published_at
    assert published is not None
    shown = verification.freshness(session, page, now=published + 31 * DAY)
    assert shown is not None and shown.freshness.state is FreshnessState.DUE
    opened = verification.open_due(session, now=published + 31 * DAY)  # the stored date follows
    assert [item.page_id for item in opened] == [page.id]
    assert opened[0].space_id == page.space_id


def test_a_space_that_asks_for_it_gets_a_peer_from_another_department(
    session: Session, author: User, reviewer: User
) -> None:
    page = make_page(session, author, tags=["expenses"]).page
    make_page(session, reviewer, title="Expense policy", tags=["expenses"])
    page.space.verify_cross_department = True
    session.commit()
    opened = verification.open_verification_early(session, page, "test")
    session.commit()
    assert opened is not None and opened.assignee_id == reviewer.id  # Finance, not Engineering
    assert [item.verification.id for item in verification.queue_for(session, reviewer)] == [
        opened.id
    ]
    done = verification.complete(
        session, actor=reviewer, verification_id=opened.id, outcome="verified"
    )
    assert done.state == "verified"


def test_pages_left_without_owners_go_to_their_space_and_its_maintainers_are_told(
    session: Session, author: User, admin: User
) -> None:
    page = make_page(session, author).page
    keeper = make_user(session, username="kim", name="Kim Keeper", department="Engineering")
    spaces.add_member(session, actor=admin, slug=page.space.slug, username="kim", role="maintainer")
    opened = verification.open_verification_early(session, page, "test")
    session.commit()
    accounts.set_active(session, actor=admin, username="alex", active=False)
    found = ownership.owners(session, page)
    assert found.users == [] and found.space_ids == [page.space_id]
    assert ownership.owner_ids(session, page) == {keeper.id}
    told = session.scalars(select(Notification).where(Notification.kind == "owner_left")).all()
    assert [n.user_id for n in told] == [keeper.id]
    assert opened is not None
    assert [i.verification.id for i in verification.queue_for_space(session, page.space_id)] == [
        opened.id
    ]
    assert [i.verification.id for i in verification.queue_for(session, keeper)] == [opened.id]
    verification.complete(session, actor=keeper, verification_id=opened.id, outcome="verified")


def test_due_verifications_and_reminders_are_emailed(
    session: Session, author: User, smtp_server: tuple[int, list[Any]]
) -> None:
    port, received = smtp_server
    page = make_page(session, author).page
    due = _due_now(session, page.id).due_at
    assert due is not None
    verification.run_schedule(session, now=due)
    verification.run_schedule(session, now=due + 7 * DAY)
    sent = notifications.deliver_pending(
        session, Mailer(host="127.0.0.1", port=port), base_url="https://wiki.example.com"
    )
    assert sent == 2
    subjects = [envelope.content.decode() for envelope in received]
    assert all("alex@example.com" in envelope.rcpt_tos for envelope in received)
    opened = session.scalars(select(Verification)).one()
    form = f"https://wiki.example.com/verifications/{opened.id}"  # the emails lead to its form
    assert "Verification due" in subjects[0] and "How to file expenses" in subjects[0]
    assert form in subjects[0]
    assert "Verification reminder" in subjects[1] and form in subjects[1]
