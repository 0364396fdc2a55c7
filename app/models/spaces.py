"""Spaces: a department's or a project's section of the wiki, with its members and settings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.accounts import Department, User
    from app.models.pages import Page


class SpaceKind(StrEnum):
    """A department's own space (one per department) or a project space administrators create."""

    DEPARTMENT = "department"
    PROJECT = "project"


class SpaceRole(StrEnum):
    """What an explicit member of a space is."""

    MEMBER = "member"
    MAINTAINER = "maintainer"


class Space(Base):
    """A section of the wiki: its pages form one navigation tree under its home page.

    Members of a department are members of its department space implicitly
    (:func:`app.services.spaces.is_member` decides); ``space_members`` holds the others.
    """

    __tablename__ = "spaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), default=SpaceKind.PROJECT.value)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id"), nullable=True, unique=True
    )
    home_page_id: Mapped[int | None] = mapped_column(
        ForeignKey("pages.id", use_alter=True, ondelete="SET NULL"), nullable=True
    )
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Days after which a page of the space should be verified again.
    review_interval_days: Mapped[int] = mapped_column(Integer, default=180)
    #: Whether verifying a page needs someone from another department.
    verify_cross_department: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Readers' reports of a problem after which a page is flagged for its owners.
    feedback_threshold: Mapped[int] = mapped_column(Integer, default=3)
    #: Approvals a proposal on a page of the space needs; None: the department's or global rule.
    required_approvals: Mapped[int | None] = mapped_column(Integer, nullable=True)

    department: Mapped[Department | None] = relationship()
    home_page: Mapped[Page | None] = relationship(foreign_keys=[home_page_id], post_update=True)
    members: Mapped[list[SpaceMember]] = relationship(
        back_populates="space", order_by="SpaceMember.id", cascade="all, delete-orphan"
    )


class SpaceMember(Base):
    """Someone named a member (or maintainer) of a space."""

    __tablename__ = "space_members"
    __table_args__ = (UniqueConstraint("space_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default=SpaceRole.MEMBER.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    space: Mapped[Space] = relationship(back_populates="members")
    user: Mapped[User] = relationship(lazy="joined")
