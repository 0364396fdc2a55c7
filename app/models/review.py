"""Peer review: proposals, review requests, reviews, line comments, events, notifications, rubric."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import SEEDED_BY_MIGRATION, Base
from app.models.base import UTCDateTime, utcnow
from app.review.workflow import State

if TYPE_CHECKING:
    from app.models.accounts import Department, User
    from app.models.pages import Page, Revision


class Proposal(Base):
    """A proposed change to a page: a chain of revisions by one author, reviewed as a whole.

    ``state`` follows :mod:`app.review.workflow`; the head revision carries the same status.
    ``base_revision`` is the published revision the proposal started from (None for a new page).
    """

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    base_revision_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id"), nullable=True)
    head_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id", use_alter=True), nullable=True
    )
    state: Mapped[str] = mapped_column(String(24), default=State.DRAFT.value, index=True)
    #: The published page moved on and the automatic merge failed: the author must update it.
    needs_update: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    page: Mapped[Page] = relationship()
    author: Mapped[User] = relationship(lazy="joined")
    base_revision: Mapped[Revision | None] = relationship(foreign_keys=[base_revision_id])
    head_revision: Mapped[Revision | None] = relationship(
        foreign_keys=[head_revision_id], post_update=True
    )
    requests: Mapped[list[ReviewRequest]] = relationship(
        back_populates="proposal", order_by="ReviewRequest.id"
    )
    reviews: Mapped[list[Review]] = relationship(back_populates="proposal", order_by="Review.id")
    events: Mapped[list[ProposalEvent]] = relationship(order_by="ProposalEvent.id")
    revisions: Mapped[list[Revision]] = relationship(
        primaryjoin="Revision.proposal_id == Proposal.id", order_by="Revision.number", viewonly=True
    )

    @property
    def contributor_ids(self) -> frozenset[int]:
        """Everyone who wrote a revision of this proposal (the author and any co-editor)."""
        return frozenset({self.author_id, *(revision.author_id for revision in self.revisions)})


class ReviewRequest(Base):
    """A person asked to review a proposal (directly or as a member of a department)."""

    __tablename__ = "review_requests"
    __table_args__ = (UniqueConstraint("proposal_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="requests")
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id], lazy="joined")
    department: Mapped[Department | None] = relationship()


class Review(Base):
    """A reviewer's verdict on one revision of a proposal, with a summary and rubric scores."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    verdict: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text, default="")
    rubric: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Set on approvals when a new revision is pushed (the approval no longer counts).
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: Set when an administrator overrides a request for changes.
    overridden_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    overridden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    override_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    proposal: Mapped[Proposal] = relationship(back_populates="reviews")
    revision: Mapped[Revision] = relationship()
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id], lazy="joined")


class Comment(Base):
    """Feedback on a proposal: general, or anchored to lines of one revision's Markdown source.

    A comment with ``suggestion`` proposes replacement text for lines ``line``..``line_end``.
    ``anchor_text`` keeps the lines as they were, so an outdated comment still shows its context.
    """

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    line_end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    anchor_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    suggestion: Mapped[str | None] = mapped_column(Text, nullable=True)
    applied_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id"), nullable=True
    )
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
    revision: Mapped[Revision] = relationship(foreign_keys=[revision_id])
    proposal: Mapped[Proposal] = relationship()

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None


class ProposalEvent(Base):
    """One entry of a proposal's timeline: who did what, when, and the state change if any."""

    __tablename__ = "proposal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(24), nullable=True)
    to_state: Mapped[str | None] = mapped_column(String(24), nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="joined")


class Notification(Base):
    """Something a user should know about; shown in the inbox and, with SMTP, emailed."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), nullable=True
    )
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), nullable=True
    )
    message: Mapped[str] = mapped_column(Text)
    #: Where the notification leads inside the site ("/wiki/expenses"), when not a proposal.
    link: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: Waiting to be emailed (only when SMTP is configured); cleared once sent.
    email_pending: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="joined")
    proposal: Mapped[Proposal | None] = relationship()


class RubricCriterion(Base):
    """One criterion reviewers score from 1 to 4, with a line of guidance."""

    __tablename__ = "rubric_criteria"
    __table_args__ = {"info": {SEEDED_BY_MIGRATION: True}}  # the default rubric (0002)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(80))
    guidance: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
