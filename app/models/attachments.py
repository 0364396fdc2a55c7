"""Files uploaded to a page: images and other attachments, and which revisions show them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Final

from sqlalchemy import Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.accounts import User
    from app.models.pages import Page, Revision
    from app.models.review import Proposal

#: Raster images a browser may show inline: they are re-encoded (metadata stripped) on upload.
#: Everything else, SVG included, is only ever served as a download.
INLINE_IMAGE_TYPES: Final = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

#: Which attachments a revision's Markdown shows (kept by ``pages.append_revision``): a file is
#: kept with, and as visible as, every revision that references it.
revision_attachments = Table(
    "revision_attachments",
    Base.metadata,
    Column("revision_id", ForeignKey("revisions.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "attachment_id",
        ForeignKey("attachments.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),  # fmt: skip
)


class Attachment(Base):
    """One uploaded file of a page, added by a proposal and reviewed with it.

    The bytes live in the blob store under ``sha256`` (content-addressed: the same file is stored
    once however often it is uploaded); ``thumbnail_sha256`` names the thumbnail of an image.
    """

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    #: The proposal that added the file: it is visible when that proposal is.
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposals.id", ondelete="SET NULL"), nullable=True, index=True
    )
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    thumbnail_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    page: Mapped[Page] = relationship()
    proposal: Mapped[Proposal | None] = relationship()
    uploader: Mapped[User] = relationship(lazy="joined")
    revisions: Mapped[list[Revision]] = relationship(
        secondary=revision_attachments, viewonly=True, order_by="Revision.number"
    )

    @property
    def is_image(self) -> bool:
        """Shown inline in pages (a re-encoded raster image); anything else is a download."""
        return self.content_type in INLINE_IMAGE_TYPES
