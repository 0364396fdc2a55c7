"""What a proposal changes, as readers will see it: rendered diffs and the proposed page."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy.orm import Session

from app import diffing, render
from app.models import Revision
from app.services import pages


@dataclass(frozen=True)
class RenderedRow:
    """One block side by side: before and after (empty where the block is new or gone)."""

    old: Markup
    new: Markup
    changed: bool


@dataclass(frozen=True)
class RenderedChanges:
    """The rendered change between two revisions, inline and side by side, safe to show."""

    inline: Markup
    rows: tuple[RenderedRow, ...]
    is_empty: bool


def rendered_changes(
    session: Session, old: Revision | None, new: Revision, *, image_origins: Collection[str]
) -> RenderedChanges:
    """Compare the rendered pages of ``old`` (None: a new page) and ``new`` block by block.

    Both sides are shown as readers see them (missing links, images from allowed origins only),
    and every piece of the comparison is sanitised again: it is built from sanitised HTML, but
    nothing reaches a template unsanitised.
    """
    before = pages.display_html(session, old.html, image_origins=image_origins) if old else ""
    after = pages.display_html(session, new.html, image_origins=image_origins)
    diff = diffing.diff_html(str(before), str(after))
    return RenderedChanges(
        inline=render.safe_html(diff.inline),
        rows=tuple(
            RenderedRow(render.safe_html(row.old), render.safe_html(row.new), row.changed)
            for row in diff.rows
        ),
        is_empty=diff.is_empty,
    )


def proposed_page(
    session: Session, revision: Revision, *, image_origins: Collection[str]
) -> Markup:
    """The whole page as ``revision`` would show it to readers once published."""
    return pages.display_html(session, revision.html, image_origins=image_origins)
