"""Serving uploaded files: to exactly the readers who may see them, never as active content.

Raster images (re-encoded on upload) are shown inline; everything else, SVG and HTML included,
is sent as a download with ``Content-Disposition: attachment`` and a sandboxing
Content-Security-Policy. Every answer says ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import io

from flask import Blueprint, Response, redirect, send_file, url_for
from flask.typing import ResponseReturnValue

from app import deps
from app.models import Attachment
from app.services import attachments
from app.services.uploads import THUMBNAIL_TYPE

bp = Blueprint("attachments", __name__)

#: Files are inert documents: nothing in one may run, load or frame anything.
FILE_CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


@bp.get("/files/<int:attachment_id>/<path:filename>")
def download(attachment_id: int, filename: str) -> ResponseReturnValue:
    attachment = attachments.get(deps.session(), attachment_id, reader=deps.actor())
    if filename != attachment.filename:
        return redirect(
            url_for(
                "attachments.download", attachment_id=attachment.id, filename=attachment.filename
            ),
            301,
        )
    data = attachments.open_blob(deps.blob_store(), attachment)
    # Flask adds "; charset=utf-8" to text types, the encoding uploads were checked to be in.
    return _send(
        attachment, data, attachment.content_type, inline=attachment.is_image,
        etag=attachment.sha256,
    )  # fmt: skip


@bp.get("/thumbnails/<int:attachment_id>.webp")
def thumbnail(attachment_id: int) -> ResponseReturnValue:
    attachment = attachments.get(deps.session(), attachment_id, reader=deps.actor())
    data = attachments.open_blob(deps.blob_store(), attachment, thumbnail=True)
    stem = attachment.filename.rsplit(".", 1)[0]
    return _send(
        attachment, data, THUMBNAIL_TYPE, inline=True, etag=str(attachment.thumbnail_sha256),
        name=f"{stem}-thumbnail.webp",
    )  # fmt: skip


def _send(
    attachment: Attachment, data: bytes, mimetype: str, *, inline: bool, etag: str,
    name: str | None = None,
) -> Response:  # fmt: skip
    response = send_file(
        io.BytesIO(data), mimetype=mimetype, as_attachment=not inline,
        download_name=name or attachment.filename, etag=etag, conditional=True, max_age=0,
    )  # fmt: skip
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CONTENT_SECURITY_POLICY
    # Who may see a file can change (a page archived): browsers ask again, cheaply (ETag).
    response.headers["Cache-Control"] = "private, no-cache"
    return response
