"""Search state: the index outbox, the search log, knowledge gaps and synonyms."""

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

from app.db import Base
from app.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.accounts import User
    from app.models.pages import Page


class SearchOutbox(Base):
    """The search change log: one row per change that affects search, written in the same
    transaction as the change, applied to a Whoosh index after the commit and then deleted (so a
    crash between the commit and the index write is caught up; see ``app.services.indexing``).
    """

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    proposal_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class SearchLog(Base):
    """One search someone ran, and which result (if any) they opened."""

    __tablename__ = "search_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(String(300))
    normalized: Mapped[str] = mapped_column(String(300), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    results: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    clicked_page_id: Mapped[int | None] = mapped_column(
        ForeignKey("pages.id", ondelete="SET NULL"), nullable=True
    )
    #: Counted into knowledge gaps already (zero results, or results nobody opened).
    gap_counted: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The space the search was filtered to (its help-wanted list gets the question).
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("spaces.id", ondelete="SET NULL"), nullable=True
    )


class KnowledgeGap(Base):
    """A question the wiki did not answer, asked by one or more people."""

    __tablename__ = "knowledge_gaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    normalized: Mapped[str] = mapped_column(String(300), unique=True)
    question: Mapped[str] = mapped_column(String(300))
    asked: Mapped[int] = mapped_column(Integer, default=0)
    askers: Mapped[int] = mapped_column(Integer, default=0)
    first_asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    answered_page_id: Mapped[int | None] = mapped_column(
        ForeignKey("pages.id", ondelete="SET NULL"), nullable=True
    )

    answered_page: Mapped[Page | None] = relationship()


class GapAsker(Base):
    """Who asked a knowledge-gap question (visible to administrators only)."""

    __tablename__ = "gap_askers"
    __table_args__ = (UniqueConstraint("gap_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gap_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_gaps.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    query: Mapped[str] = mapped_column(String(300))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


class SynonymSet(Base):
    """Terms that mean the same here ("PTO", "vacation", "time off"): a search for one finds all."""

    __tablename__ = "synonym_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    terms: Mapped[list[str]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    created_by: Mapped[User | None] = relationship(lazy="joined")


class SynonymSuggestion(Base):
    """Two search terms that people's searches suggest mean the same (``term_a`` < ``term_b``).

    ``status`` is "suggested" until an administrator accepts or dismisses it; administrators see
    it once ``evidence`` (how many people's searches showed it) reaches the threshold.
    """

    __tablename__ = "synonym_suggestions"
    __table_args__ = (UniqueConstraint("term_a", "term_b"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term_a: Mapped[str] = mapped_column(String(100))
    term_b: Mapped[str] = mapped_column(String(100))
    evidence: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12), default="suggested", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SynonymEvidence(Base):
    """One person whose searches showed a suggested pair (each person counts once)."""

    __tablename__ = "synonym_evidence"
    __table_args__ = (UniqueConstraint("suggestion_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("synonym_suggestions.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
