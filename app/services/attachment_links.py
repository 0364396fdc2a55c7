"""Which uploaded files a revision shows: the ones its Markdown links to.

A revision's set of attachments is decided once, when it is saved (``pages.append_revision``
calls :func:`link`): every ``/files/<id>/...`` URL in its body that names a file of the same page
which its author uploaded or may see. Revisions never change, so neither does the set; a file is
kept with every revision in whose set it is, and is visible wherever one of them is.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import quote

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.models import Attachment, Revision, revision_attachments
from app.review import policy

#: Where a file is served; the site's route for it (``attachments.download``) has this shape.
PATH_PREFIX: Final = "/files/"
_REFERENCE: Final = re.compile(r"/files/(\d+)/")


def url_path(attachment: Attachment) -> str:
    """The path a file is served at (relative to the site), as Markdown links to it."""
    return f"{PATH_PREFIX}{attachment.id}/{quote(attachment.filename)}"


def markdown(attachment: Attachment) -> str:
    """The Markdown that shows ``attachment``: an image inline, any other file as a link."""
    label = re.sub(r"[\[\]\\]", "", attachment.filename)
    if attachment.is_image:
        alt = label.rsplit(".", 1)[0] or label
        return f"![{alt}]({url_path(attachment)})"
    return f"[{label}]({url_path(attachment)})"


def referenced_ids(body: str) -> set[int]:
    """The ids of the files ``body`` links to (whether or not they exist)."""
    return {int(match) for match in _REFERENCE.findall(body)}


def link(session: Session, revision: Revision) -> None:
    """Record which files of its page ``revision`` shows (see the module's docstring)."""
    ids = referenced_ids(revision.body)
    if not ids:
        return
    found = session.scalars(
        select(Attachment).where(Attachment.id.in_(ids), Attachment.page_id == revision.page_id)
    )
    shown = [a.id for a in found if policy.can_reference(revision.author, a)]
    if shown:
        session.execute(
            insert(revision_attachments),
            [{"revision_id": revision.id, "attachment_id": a} for a in sorted(shown)],
        )
