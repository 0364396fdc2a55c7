"""The inbox: notifications about reviews, comments and mentions, optionally emailed."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from app import jobs
from app.jobs import Job
from app.mail import Mailer
from app.models import Comment, Notification, Proposal, User, utcnow
from app.pagination import Paginated, paginate
from app.review import policy

T = TypeVar("T")

log = logging.getLogger(__name__)

#: What each kind of notification is called in subjects and the inbox.
KINDS = {
    "review_requested": "Review requested",
    "comment": "New comment",
    "reply": "New reply",
    "mention": "You were mentioned",
    "changes_requested": "Changes requested",
    "approved": "Approved",
    "published": "Published",
    "merge_conflict": "Update needed",
    "suggestion_applied": "Suggestion applied",
    "gap_answered": "Your question has an answer",
    "verification_due": "Verification due",
    "verification_reminder": "Verification reminder",
    "verification_changes": "Verification: changes needed",
    "verified": "Page verified",
    "owner_left": "Pages without an owner",
    "path_assigned": "A path for you",
    "path_review": "Path review",
    "help_wanted": "A question for your space",
    "watch_published": "Published",
    "watch_proposal": "Change proposed",
}
#: Pending emails older than this are dropped instead of sent late.
EMAIL_MAX_AGE = timedelta(days=1)


def notify(
    session: Session,
    recipients: Iterable[User],
    *,
    kind: str,
    actor: User | None,
    message: str,
    proposal: Proposal | None = None,
    comment: Comment | None = None,
    link: str | None = None,
) -> list[Notification]:
    """Queue a notification for each recipient except the actor and those who may not see the
    proposal (the caller commits); ``link`` is where it leads in the site ("/wiki/expenses")
    when that is not the proposal."""
    created = []
    seen: set[int] = set()
    for user in recipients:
        if user.id in seen or (actor is not None and user.id == actor.id) or not user.is_active:
            continue
        if proposal is not None and not policy.can_view(user, proposal):
            continue  # nobody is told about what they may not see
        seen.add(user.id)
        notification = Notification(
            user=user, kind=kind, actor=actor, message=message, proposal=proposal,
            comment_id=comment.id if comment is not None else None, email_pending=True, link=link,
        )  # fmt: skip
        session.add(notification)
        jobs.after_commit(session, Job.MAIL)
        created.append(notification)
    return created


def inbox(
    session: Session, user: User, *, page: int = 1, per_page: int = 30, unread_only: bool = False
) -> Paginated[Notification]:
    """Return ``user``'s notifications, newest first (about what they may still see)."""
    query = _visible(select(Notification), user)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return paginate(session, query.order_by(Notification.id.desc()), page=page, per_page=per_page)


def unread_count(session: Session, user: User) -> int:
    """Return how many notifications ``user`` has not read."""
    query = _visible(select(func.count(Notification.id)), user)
    return session.scalar(query.where(Notification.read_at.is_(None))) or 0


def _visible(query: Select[T], user: User) -> Select[T]:
    """``user``'s notifications, but not about proposals gone private since (a withdrawn one)."""
    return (
        query.select_from(Notification)
        .outerjoin(Proposal, Proposal.id == Notification.proposal_id)
        .where(
            Notification.user_id == user.id,
            or_(Notification.proposal_id.is_(None), policy.member_sees_proposal(user)),
        )
    )


def mark_read(session: Session, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark ``user``'s notifications (all, or those in ``ids``) read; return how many changed."""
    statement = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if ids is not None:
        statement = statement.where(Notification.id.in_(list(ids)))
    result = session.execute(statement.values(read_at=utcnow()))
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


def deliver_pending(session: Session, mailer: Mailer, *, base_url: str = "") -> int:
    """Email every pending notification once; safe to run from several workers at once.

    Unlike a use case this commits once per email, by design: a sent email cannot be rolled
    back, so each row's claim (a conditional UPDATE) is committed before its send. Two workers
    then never send the same email, and a crash halfway resends nothing already sent (one
    transaction for the batch would resend them all). A failed send puts its claim back for the
    next run; a crash between a claim and its send drops that one email instead of risking
    duplicates.
    """
    cutoff = utcnow() - EMAIL_MAX_AGE
    session.execute(
        update(Notification)
        .where(Notification.email_pending.is_(True), Notification.created_at < cutoff)
        .values(email_pending=False)
    )
    session.commit()
    sent = 0
    ids = session.scalars(
        select(Notification.id)
        .where(Notification.email_pending.is_(True))
        .order_by(Notification.id)
    ).all()
    for notification_id in ids:
        claimed = session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.email_pending.is_(True))
            .values(email_pending=False)
        )
        session.commit()
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        notification = session.get(Notification, notification_id)
        assert notification is not None
        try:
            mailer.send([_email(notification, base_url)])
        except (OSError, smtplib.SMTPException):
            log.warning(
                "Could not email notification %s; will retry", notification_id, exc_info=True
            )
            notification.email_pending = True
            session.commit()
            break
        sent += 1
    return sent


def pending_emails(session: Session) -> int:
    """Return how many notification emails wait to be sent (not yet too old to send)."""
    return (
        session.scalar(
            select(func.count(Notification.id)).where(
                Notification.email_pending.is_(True),
                Notification.created_at >= utcnow() - EMAIL_MAX_AGE,
            )
        )
        or 0
    )


def _email(notification: Notification, base_url: str) -> tuple[str, str, str]:
    subject = f"[Peerwiki] {KINDS.get(notification.kind, 'Notification')}: {notification.message}"
    if notification.proposal_id:
        link = f"{base_url}/proposals/{notification.proposal_id}"
    elif notification.link:
        link = f"{base_url}{notification.link}"
    else:
        link = f"{base_url}/inbox"
    body = (
        f"Hello {notification.user.name},\n\n{notification.message}\n\n"
        f"Open it: {link}\n\nYour inbox: {base_url}/inbox\n"
    )
    return notification.user.email, subject[:200], body
