"""Watches: a member follows a page, a tag or a space, and hears of its publications and new
proposals in the inbox (and by email)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.accounts import User
    from app.models.pages import Page, Tag
    from app.models.spaces import Space


class Watch(Base):
    """One member watching exactly one page, tag or space."""

    __tablename__ = "watches"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN page_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN tag_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN space_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target",
        ),
        Index("uq_watches_user_page", "user_id", "page_id", unique=True),
        Index("uq_watches_user_tag", "user_id", "tag_id", unique=True),
        Index("uq_watches_user_space", "user_id", "space_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    page_id: Mapped[int | None] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), index=True
    )
    tag_id: Mapped[int | None] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), index=True
    )
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("spaces.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")
    page: Mapped[Page | None] = relationship()
    tag: Mapped[Tag | None] = relationship()
    space: Mapped[Space | None] = relationship()
