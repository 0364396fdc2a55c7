"""Keeping pages true: their owners, their verification schedule, and the verifications done."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.accounts import User
    from app.models.pages import Page, Revision
    from app.models.review import Proposal


class PageOwner(Base):
    """A person or a space that owns a page: they verify it and may require their approval.

    Exactly one of ``user_id`` and ``space_id`` is set. A deactivated person's row stays (the
    page's history) but no longer counts as an owner.
    """

    __tablename__ = "page_owners"
    __table_args__ = (
        UniqueConstraint("page_id", "user_id", name="uq_page_owners_user"),
        UniqueConstraint("page_id", "space_id", name="uq_page_owners_space"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("spaces.id", ondelete="CASCADE"), nullable=True, index=True
    )
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id], lazy="joined")


class PageSchedule(Base):
    """A page's verification settings and clock: when it was last verified, and when it is due.

    ``due_at`` is kept by :mod:`app.services.verification` whenever what it depends on changes
    (a publication, a verification, a new interval), so searches and queues read it in SQL.
    """

    __tablename__ = "page_schedules"

    page_id: Mapped[int] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True
    )
    #: With it on, publication needs an approval from an owner who did not contribute.
    require_owner_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Days between verifications; None: the page's space decides.
    review_interval_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    #: When the page falls due (None: never published).
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)

    verified_by: Mapped[User | None] = relationship(lazy="joined")


class VerificationState(StrEnum):
    """Where a verification stands."""

    OPEN = "open"
    VERIFIED = "verified"
    NEEDS_CHANGES = "needs_changes"


class Verification(Base):
    """A light review of a page's published version: still accurate, or in need of changes."""

    __tablename__ = "verifications"
    __table_args__ = (
        # Never two open verifications of one page, however many workers open them at once.
        Index(
            "uq_verifications_open_page",
            "page_id",
            unique=True,
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"))
    #: Who is asked (None: the page's space queue, any owner or maintainer may take it).
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), nullable=True, index=True
    )
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("spaces.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: Why it was opened: ``scheduled`` (the page fell due) or another reason given by a caller.
    reason: Mapped[str] = mapped_column(String(200), default="scheduled")
    state: Mapped[str] = mapped_column(String(20), default=VerificationState.OPEN.value, index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When the page fell (or falls) due, as of the opening.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    rubric: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    #: The proposal "Needs changes" opened.
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposals.id", ondelete="SET NULL"), nullable=True
    )

    page: Mapped[Page] = relationship()
    revision: Mapped[Revision] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    proposal: Mapped[Proposal | None] = relationship()

    @property
    def is_open(self) -> bool:
        return self.state == VerificationState.OPEN
