"""Recent changes: the revisions that were published, newest first, for a listing and a feed."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.models import Page, Revision, Space
from app.pagination import Paginated, paginate

#: When a feed with no entries was last updated (Atom requires a date).
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def recent_changes(
    session: Session, *, space: Space | None = None, page: int = 1, per_page: int = 50
) -> Paginated[Revision]:
    """Return published revisions of live pages (in ``space`` when given), newest first: what
    every reader, anonymous ones too, may see."""
    query = (
        select(Revision)
        .join(Page, Page.id == Revision.page_id)
        .where(Revision.published_at.is_not(None), Page.archived_at.is_(None))
        .options(joinedload(Revision.page).joinedload(Page.space), joinedload(Revision.author))
        .order_by(Revision.published_at.desc(), Revision.id.desc())
    )
    if space is not None:
        query = query.where(Page.space_id == space.id)
    return paginate(session, query, page=page, per_page=per_page)
