"""Files of a page over the API: upload one (multipart, field ``file``) and list them."""

from __future__ import annotations

from flask import url_for
from pydantic import BaseModel, ConfigDict, Field
from spectree.model_adapter.pydantic_adapter import BaseFile
from werkzeug.datastructures import FileStorage

from app import deps, models
from app.api import bp
from app.api.serializers import Shape, Timestamp, User, to_user
from app.api.spec import Answer, author, endpoint
from app.extensions import limiter
from app.services import attachment_links, attachments
from app.web import configured_limit, limit_key

# -- request and response shapes ---------------------------------------------------------------


class NewAttachment(BaseModel):
    """A file to add to the page (multipart/form-data)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    file: BaseFile = Field(
        description=(
            "The file. Its type is read from its content, not its name; images (PNG, JPEG, GIF, "
            "WebP) are re-encoded without metadata. At most UPLOAD_MAX_MB (20 MB by default)."
        )
    )


class Attachment(Shape):
    id: int
    url: str = Field(description="Where the file is served (absolute).")
    filename: str = Field(description="Its safe name; the extension follows the real type.")
    content_type: str = Field(examples=["image/png"])
    size: int = Field(description="Bytes stored (after re-encoding, for images).")
    markdown: str = Field(
        description="What to put in a page to show it.",
        examples=["![diagram](/files/7/diagram.png)"],
    )
    is_image: bool = Field(description="Shown inline; any other file is served as a download.")
    thumbnail_url: str | None = Field(description="A small WebP version (images only).")
    width: int | None
    height: int | None
    proposal_id: int | None = Field(description="The proposal that added it.")
    uploaded_by: User
    created_at: Timestamp


class UploadedAttachment(Attachment):
    revision_id: int = Field(
        description="The head revision of the proposal the file joined: edit on top of it."
    )
    created_draft: bool = Field(
        description="True when the upload started a new draft (its text ends with `markdown`)."
    )


class AttachmentList(Shape):
    items: list[Attachment]


def to_attachment(attachment: models.Attachment) -> Attachment:
    url = url_for(
        "attachments.download", attachment_id=attachment.id, filename=attachment.filename,
        _external=True,
    )  # fmt: skip
    thumbnail = (
        url_for("attachments.thumbnail", attachment_id=attachment.id, _external=True)
        if attachment.thumbnail_sha256
        else None
    )
    return Attachment(
        id=attachment.id, url=url, filename=attachment.filename,
        content_type=attachment.content_type, size=attachment.size,
        markdown=attachment_links.markdown(attachment), is_image=attachment.is_image,
        thumbnail_url=thumbnail, width=attachment.width, height=attachment.height,
        proposal_id=attachment.proposal_id, uploaded_by=to_user(attachment.uploader),
        created_at=attachment.created_at,
    )  # fmt: skip


# -- routes --------------------------------------------------------------------------------------


@bp.post("/pages/<slug>/attachments")
@limiter.limit(configured_limit("UPLOAD_RATE_LIMIT"), key_func=limit_key)
@endpoint(UploadedAttachment, status=201, errors=(404, 409, 413, 422), auth=True)
def upload_attachment(slug: str, form: NewAttachment) -> Answer:
    """Upload a file to a page: it joins your open proposal for the page (else starts a draft)."""
    file = form.file if form is not None else None  # None: the body was not multipart
    data = None
    if isinstance(file, FileStorage):
        try:
            data = file.read()
        finally:  # a large upload is spooled to a temporary file: close it now
            file.close()
    done = attachments.upload(
        deps.session(), deps.blob_store(), uploader=author(), slug=slug,
        filename=getattr(file, "filename", "") or "file", data=data,
        max_bytes=deps.upload_max_bytes(),
    )  # fmt: skip
    shown = to_attachment(done.attachment)
    body = UploadedAttachment(
        **shown.model_dump(), revision_id=done.revision.id, created_draft=done.created_draft
    )
    return body, 201, {"Location": shown.url}


@bp.get("/pages/<slug>/attachments")
@endpoint(AttachmentList, errors=(404,))
def list_attachments(slug: str) -> Answer:
    """The page's files that you may see (drafts' files only to their writers), newest first."""
    found = attachments.for_page(deps.session(), slug, reader=deps.actor())
    return AttachmentList(items=[to_attachment(attachment) for attachment in found])
