"""Onboarding paths: ordered lists of pages, reviewed like pages, assigned and followed."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.models.base import UTCDateTime, utcnow
from app.review.workflow import State

if TYPE_CHECKING:
    from app.models.accounts import Department, User


class Path(Base):
    """A path's identity; what readers follow is its one version in state ``published``, and
    the newest version (a draft, one in review) is the one with the highest number."""

    __tablename__ = "paths"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The published version's title and description (the first draft's until then).
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When a version was first published (None: readers cannot follow it yet).
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    created_by: Mapped[User] = relationship(lazy="joined")

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class PathVersion(Base):
    """One immutable version of a path (title, description, pages in order); an edit adds one.

    ``state`` follows the review workflow (``app.review.workflow``): draft, in review, changes
    requested, published, superseded by a later publication, withdrawn by a later edit.
    """

    __tablename__ = "path_versions"
    __table_args__ = (UniqueConstraint("path_id", "number", name="uq_path_versions_path_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("paths.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    #: The steps: page ids, in order.
    page_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(24), default=State.DRAFT.value, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    path: Mapped[Path] = relationship(foreign_keys=[path_id])
    author: Mapped[User] = relationship(lazy="joined")


class PathReview(Base):
    """A reviewer's verdict on one version of a path (approve, request changes, comment)."""

    __tablename__ = "path_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("path_versions.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    verdict: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    reviewer: Mapped[User] = relationship(lazy="joined")


class PathAssignment(Base):
    """A path given to one person or to a whole department (whose new members get it too)."""

    __tablename__ = "path_assignments"
    __table_args__ = (
        UniqueConstraint("path_id", "user_id", name="uq_path_assignments_user"),
        UniqueConstraint("path_id", "department_id", name="uq_path_assignments_department"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("paths.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), nullable=True, index=True
    )
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id], lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")
    assigned_by: Mapped[User] = relationship(foreign_keys=[assigned_by_id], lazy="joined")


class PathEnrolment(Base):
    """A person following a path: given to them (``assigned``) or started by themselves."""

    __tablename__ = "path_enrolments"
    __table_args__ = (UniqueConstraint("path_id", "user_id", name="uq_path_enrolments_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("paths.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assigned: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    path: Mapped[Path] = relationship(lazy="joined")
    user: Mapped[User] = relationship(lazy="joined")


class PathStepDone(Base):
    """A step a reader marked done: the page, and the revision of it they read."""

    __tablename__ = "path_steps_done"
    __table_args__ = (
        UniqueConstraint("path_id", "user_id", "page_id", name="uq_path_steps_done_step"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("paths.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id", ondelete="CASCADE"))
    done_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
