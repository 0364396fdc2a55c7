"""Uploaded files: adding one to a page (it joins the uploader's open proposal, or starts a draft),
finding what readers may see, and what a proposal adds or removes.

A file belongs to the proposal that added it and is reviewed with it: it is visible exactly when
that proposal is, or when a revision that shows it is (``policy.can_view``). Which files a
revision shows is decided from its Markdown when it is saved (``attachment_links``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app import storage
from app.exceptions import Conflict, NotFound, TooLarge, ValidationError
from app.models import Attachment, Page, Proposal, Revision, User
from app.review import policy
from app.services import attachment_links, pages, proposals, uploads
from app.storage import BlobStore

MEGABYTE: Final = 1024 * 1024


@dataclass(frozen=True)
class Upload:
    """The outcome of an upload: the file, and the proposal and revision it now belongs to."""

    attachment: Attachment
    proposal: Proposal
    #: The proposal's head revision: an editor continues from it.
    revision: Revision
    #: True when the upload started a new draft proposal (its Markdown is appended to the text).
    created_draft: bool
    markdown: str


def upload(
    session: Session,
    store: BlobStore,
    *,
    uploader: User,
    slug: str,
    filename: str,
    data: bytes | None,
    max_bytes: int,
) -> Upload:
    """Add a file to page ``slug`` in ``uploader``'s open proposal for it.

    Without one, a new draft proposal is started whose text is the page's with the file's
    Markdown appended, so the draft shows the file (an editor continues from that draft). The
    same file uploaded again to the same proposal under the same name is the same attachment.

    :raises TooLarge: ``data`` is over ``max_bytes``.
    :raises ValidationError: no file (``data`` None), an empty one, or an image that cannot be
        read.
    """
    page = pages.lookup(session, slug, reader=uploader)
    if page.is_archived:
        raise Conflict("This page is archived. Restore it before adding files.")
    if data is None:
        raise ValidationError(
            "Send the file as multipart/form-data, in the field 'file'.",
            {"file": "No file was sent."},
        )
    if len(data) > max_bytes:
        raise TooLarge(too_large_message(len(data), max_bytes))
    prepared = uploads.prepare(data, filename)
    key = store.put(prepared.data)
    thumbnail = store.put(prepared.thumbnail) if prepared.thumbnail is not None else None
    proposal = proposals.open_by(session, page, uploader)
    if proposal is not None:
        policy.require_manage(uploader, proposal)
        existing = session.scalar(
            select(Attachment).where(
                Attachment.proposal_id == proposal.id,
                Attachment.sha256 == key,
                Attachment.filename == prepared.filename,
            )
        )
        attachment = existing or _new(page, proposal, uploader, prepared, key, thumbnail)
        if existing is None:
            session.add(attachment)
            proposals.record(session, proposal, uploader, "attached", attachment.filename)
        session.commit()
        assert proposal.head_revision is not None
        return Upload(
            attachment, proposal, proposal.head_revision, created_draft=False,
            markdown=attachment_links.markdown(attachment),
        )  # fmt: skip
    attachment = _new(page, None, uploader, prepared, key, thumbnail)
    session.add(attachment)
    session.flush()
    shown = attachment_links.markdown(attachment)
    base = proposals.current_revision(session, page, uploader)

    def adopt(revision: Revision) -> None:
        assert revision.proposal is not None
        attachment.proposal = revision.proposal
        proposals.record(session, revision.proposal, uploader, "attached", attachment.filename)

    try:
        revision = proposals.save_revision(
            session, author=uploader, slug=page.slug, body=f"{base.body.rstrip()}\n\n{shown}\n",
            base_revision_id=base.id, summary=f"Add {attachment.filename}", then=adopt,
        )  # fmt: skip
    except BaseException:
        session.rollback()
        raise
    assert revision.proposal is not None
    return Upload(attachment, revision.proposal, revision, created_draft=True, markdown=shown)


def too_large_message(size: int, max_bytes: int) -> str:
    """What a person is told about a file over the limit."""
    limit = f"{max_bytes / MEGABYTE:g} MB"
    if size <= 0:
        return f"Files can be at most {limit}."
    return f"This file is {size / MEGABYTE:.1f} MB; files can be at most {limit}."


def _new(
    page: Page,
    proposal: Proposal | None,
    uploader: User,
    prepared: uploads.Prepared,
    key: str,
    thumbnail: str | None,
) -> Attachment:
    return Attachment(
        page=page, proposal=proposal, uploader=uploader, filename=prepared.filename,
        content_type=prepared.content_type, size=len(prepared.data), sha256=key,
        thumbnail_sha256=thumbnail, width=prepared.width, height=prepared.height,
    )  # fmt: skip


def get(session: Session, attachment_id: int, *, reader: policy.Reader) -> Attachment:
    """Return a file if ``reader`` may see it; raise NotFound otherwise (hidden or missing)."""
    attachment = session.get(
        Attachment,
        attachment_id,
        options=[selectinload(Attachment.revisions).options(policy.VISIBILITY_OF_REVISION)],
    )
    if attachment is None or not policy.can_view(reader, attachment):
        raise NotFound(f"There is no file {attachment_id}.")
    return attachment


def open_blob(store: BlobStore, attachment: Attachment, *, thumbnail: bool = False) -> bytes:
    """The stored bytes of ``attachment`` (or of its thumbnail); NotFound when they are gone."""
    key = attachment.thumbnail_sha256 if thumbnail else attachment.sha256
    if key is None:
        raise NotFound(f"File {attachment.id} has no thumbnail.")
    try:
        return storage.read(store, key)
    except storage.BlobNotFound:
        raise NotFound(f"The stored copy of file {attachment.id} is missing.") from None


def for_page(session: Session, slug: str, *, reader: policy.Reader) -> list[Attachment]:
    """The files of page ``slug`` that ``reader`` may see, newest first."""
    page = pages.lookup(session, slug, reader=reader)
    found = session.scalars(
        select(Attachment)
        .where(Attachment.page_id == page.id)
        .options(
            selectinload(Attachment.proposal).selectinload(Proposal.revisions),
            selectinload(Attachment.revisions).options(policy.VISIBILITY_OF_REVISION),
        )
        .order_by(Attachment.id.desc())
    )
    return [attachment for attachment in found if policy.can_view(reader, attachment)]


def of_revision(revision: Revision) -> list[Attachment]:
    """The files ``revision`` shows (as visible as it is), by name."""
    return list(revision.attachments)


@dataclass(frozen=True)
class FileChanges:
    """What a proposal's revision changes in the page's files, against its base."""

    added: list[Attachment] = field(default_factory=list)
    removed: list[Attachment] = field(default_factory=list)
    #: Uploaded to the proposal but not shown by the revision's text.
    unused: list[Attachment] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.unused)


def changes(session: Session, proposal: Proposal, revision: Revision) -> FileChanges:
    """The files ``revision`` of ``proposal`` adds and removes compared with the published
    revision the proposal started from, and the uploads its text does not use yet."""
    before = {
        a.id: a for a in (proposal.base_revision.attachments if proposal.base_revision else [])
    }
    after = {a.id: a for a in revision.attachments}
    uploaded = session.scalars(
        select(Attachment).where(Attachment.proposal_id == proposal.id).order_by(Attachment.id)
    )
    return FileChanges(
        added=[a for key, a in after.items() if key not in before],
        removed=[a for key, a in before.items() if key not in after],
        unused=[a for a in uploaded if a.id not in after],
    )
