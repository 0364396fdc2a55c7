"""Pages and their append-only revisions, tags, aliases, links, contributors, cache generations."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import SEEDED_BY_MIGRATION, Base
from app.models.base import UTCDateTime, utcnow
from app.review.workflow import State

if TYPE_CHECKING:
    from app.models.accounts import Department, User
    from app.models.attachments import Attachment
    from app.models.review import Proposal
    from app.models.spaces import Space


page_tags = Table(
    "page_tags",
    Base.metadata,
    Column("page_id", ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Tag(Base):
    """A lowercase label; pages carry the tags of their published revision."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)


class Page(Base):
    """A wiki page: identity plus pointers to what readers see and to the newest revision."""

    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id"), nullable=True, index=True
    )
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    archived_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    published_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id", use_alter=True), nullable=True
    )
    latest_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id", use_alter=True), nullable=True
    )
    #: The space whose tree the page is in (``app.services.spaces``).
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id"), index=True)
    #: The page it sits under in the space's tree; None: at the top of the tree.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("pages.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: Order among the pages with the same parent (smallest first, then by title).
    position: Mapped[int] = mapped_column(Integer, server_default="0")

    department: Mapped[Department | None] = relationship(lazy="joined")
    space: Mapped[Space] = relationship(foreign_keys=[space_id])
    parent: Mapped[Page | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    tags: Mapped[list[Tag]] = relationship(secondary=page_tags, order_by=Tag.name)
    published_revision: Mapped[Revision | None] = relationship(
        foreign_keys=[published_revision_id], post_update=True
    )
    latest_revision: Mapped[Revision | None] = relationship(
        foreign_keys=[latest_revision_id], post_update=True
    )

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def tag_names(self) -> list[str]:
        return [tag.name for tag in self.tags]


class PageAlias(Base):
    """A slug a page used to have; visiting it redirects to the page's current slug."""

    __tablename__ = "page_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Revision(Base):
    """One immutable version of a page: its source, rendered HTML and metadata.

    Rows are append-only. ``status`` follows the review workflow; ``html`` and ``toc`` are the
    rendering of ``body`` made once at save time so that page views never re-render.
    """

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("page_id", "number", name="uq_revisions_page_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id"), nullable=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    toc: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), nullable=True)
    summary: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(24), default=State.DRAFT.value, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposals.id", use_alter=True), nullable=True, index=True
    )
    #: Where the revision puts the page: its space and parent page (publication applies them
    #: when they differ from the base revision's, see ``pages.publish_revision``).
    space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id"), nullable=True)
    parent_page_id: Mapped[int | None] = mapped_column(
        ForeignKey("pages.id", ondelete="SET NULL"), nullable=True
    )

    page: Mapped[Page] = relationship(foreign_keys=[page_id])
    proposal: Mapped[Proposal | None] = relationship(foreign_keys=[proposal_id])
    author: Mapped[User] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship()
    parent: Mapped[Revision | None] = relationship(remote_side=[id])
    space: Mapped[Space | None] = relationship(foreign_keys=[space_id])
    parent_page: Mapped[Page | None] = relationship(foreign_keys=[parent_page_id])
    #: The uploaded files its Markdown shows (see ``app.models.attachments``).
    attachments: Mapped[list[Attachment]] = relationship(
        secondary="revision_attachments", viewonly=True, order_by="Attachment.filename"
    )


class PageLink(Base):
    """A wiki link from a page's published revision to a target slug (for backlinks)."""

    __tablename__ = "page_links"

    source_page_id: Mapped[int] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True
    )
    target_slug: Mapped[str] = mapped_column(String(120), primary_key=True, index=True)


class PageContributor(Base):
    """Someone who wrote a published version of a page, and the newest such revision's number:
    kept by ``pages.publish_revision`` so a page view reads its few writers, not its history."""

    __tablename__ = "page_contributors"

    page_id: Mapped[int] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    latest_number: Mapped[int] = mapped_column(Integer)

    user: Mapped[User] = relationship(lazy="joined")


class ContentGeneration(Base):
    """One row whose ``value`` grows with every change that can alter what readers see on a page
    other than its own new revision: a publication (and with it a rename or new links), a new
    page, an archive or restore, a person's department. Cached page views are keyed on it, so
    one committed change retires every cached copy on every server at once."""

    __tablename__ = "content_generation"
    __table_args__ = {"info": {SEEDED_BY_MIGRATION: True}}  # its one row (0010)

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
    #: When ``value`` last moved on: the ``Last-Modified`` of every cached page view.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
