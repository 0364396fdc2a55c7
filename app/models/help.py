"""Help wanted: the questions asked in a space that its pages do not answer yet."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.accounts import User
    from app.models.pages import Page
    from app.models.spaces import Space


class HelpQuestion(Base):
    """A question on a space's help-wanted list: a knowledge gap attributed to the space (the
    asker's department space, or the space the search was filtered to), or a question asked
    there directly with "Ask the experts". It leaves the list once a published page answers it.
    """

    __tablename__ = "help_questions"
    __table_args__ = (UniqueConstraint("space_id", "normalized"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    normalized: Mapped[str] = mapped_column(String(300))
    question: Mapped[str] = mapped_column(String(300))
    #: The knowledge gap it came from (searches), if any.
    gap_id: Mapped[int | None] = mapped_column(
        ForeignKey("knowledge_gaps.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: Someone asked it with "Ask the experts" (not only a search that found nothing).
    asked_directly: Mapped[bool] = mapped_column(Boolean, default=False)
    #: How often it was asked, by anyone; ``askers`` counts signed-in people once each, and
    #: ``anonymous`` the times nobody signed in asked (counted, never notified).
    asked: Mapped[int] = mapped_column(Integer, default=0)
    askers: Mapped[int] = mapped_column(Integer, default=0)
    anonymous: Mapped[int] = mapped_column(Integer, default=0)
    first_asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    answered_page_id: Mapped[int | None] = mapped_column(
        ForeignKey("pages.id", ondelete="SET NULL"), nullable=True
    )
    answered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    space: Mapped[Space] = relationship(lazy="joined")
    answered_page: Mapped[Page | None] = relationship()
    answered_by: Mapped[User | None] = relationship()


class HelpAsker(Base):
    """A signed-in person who asked a help-wanted question (told when it is answered)."""

    __tablename__ = "help_askers"
    __table_args__ = (UniqueConstraint("question_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("help_questions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: What they added when asking the experts ("I tried the form, it says ...").
    details: Mapped[str] = mapped_column(Text, default="")
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


class HelpAnswerDraft(Base):
    """A proposal written to answer a question ("Write an answer"): publishing it answers it."""

    __tablename__ = "help_answer_drafts"

    question_id: Mapped[int] = mapped_column(
        ForeignKey("help_questions.id", ondelete="CASCADE"), primary_key=True
    )
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True, index=True
    )
