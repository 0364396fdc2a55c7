"""Plain-dict JSON representations of domain objects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for
from sqlalchemy.orm import Session

from app.diffing import Diff
from app.models import Page, Revision, User
from app.pagination import Paginated
from app.services import pages


def iso(value: datetime | None) -> str | None:
    """Format a datetime as ISO 8601 (UTC), or None."""
    return value.isoformat() if value else None


def user_json(user: User) -> dict[str, Any]:
    return {"username": user.username, "name": user.name, "department": user.department.name}


def revision_json(
    session: Session, revision: Revision, *, with_body: bool = True
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": revision.id,
        "page_slug": revision.page.slug,
        "number": revision.number,
        "parent_id": revision.parent_id,
        "title": revision.title,
        "tags": list(revision.tags),
        "department": revision.department.name if revision.department else None,
        "summary": revision.summary,
        "status": revision.status,
        "author": user_json(revision.author),
        "created_at": iso(revision.created_at),
        "published_at": iso(revision.published_at),
    }
    if with_body:
        data["body"] = revision.body
        data["html"] = str(pages.display_html(session, revision.html))
        data["toc"] = revision.toc
    return data


def page_json(session: Session, page: Page, *, full: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": page.id,
        "slug": page.slug,
        "title": page.title,
        "department": page.department.name if page.department else None,
        "tags": page.tag_names,
        "created_by": user_json(page.created_by),
        "created_at": iso(page.created_at),
        "updated_at": iso(page.updated_at),
        "archived": page.is_archived,
        "url": url_for("pages.view", slug=page.slug, _external=True),
    }
    if full:
        for key in ("published_revision", "latest_revision"):
            revision = getattr(page, key)
            data[key] = revision_json(session, revision) if revision else None
    return data


def listing_json(listing: Paginated[Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "items": items,
        "page": listing.page,
        "per_page": listing.per_page,
        "total": listing.total,
        "pages": listing.pages,
    }


def diff_json(old: Revision | None, new: Revision, diff: Diff) -> dict[str, Any]:
    return {
        "from": old.id if old else None,
        "to": new.id,
        "added": diff.added,
        "removed": diff.removed,
        "hunks": [
            {
                "old_start": hunk.old_start,
                "new_start": hunk.new_start,
                "lines": [
                    {
                        "kind": line.kind.value,
                        "old_number": line.old_number,
                        "new_number": line.new_number,
                        "text": line.text,
                        "segments": [
                            {"text": segment.text, "changed": segment.changed}
                            for segment in line.segments
                        ],
                    }
                    for line in hunk.lines
                ],
            }
            for hunk in diff.hunks
        ],
    }
