"""Readers' feedback on a published page: did it work for them, with a private note to its owners."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.accounts import User


class PageFeedback(Base):
    """One reader's word on one published version of a page: "this worked" or "this didn't".

    A reader has one row per version (``revision_id``); voting again on that version replaces
    it, so each reader counts once per version.
    """

    __tablename__ = "page_feedback"
    __table_args__ = (
        UniqueConstraint("revision_id", "user_id", name="uq_page_feedback_revision_user"),
        Index("ix_page_feedback_page_updated", "page_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    worked: Mapped[bool] = mapped_column(Boolean)
    #: A private note to the page's owners ("step 3 fails on a Mac"); empty when none was left.
    note: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When the reader last gave this word (a second vote on the same version moves it on).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")
