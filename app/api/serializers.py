"""Plain-dict JSON representations of domain objects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for
from sqlalchemy.orm import Session

from app.diffing import Diff
from app.models import Comment, Notification, Page, Proposal, Review, Revision, User
from app.pagination import Paginated
from app.review.approval import ApprovalRules
from app.services import comments, pages, proposals, review


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
        "proposal_id": revision.proposal_id,
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


def proposal_json(
    session: Session, proposal: Proposal, rules: ApprovalRules | None = None
) -> dict[str, Any]:
    head = proposal.head_revision
    data: dict[str, Any] = {
        "id": proposal.id,
        "page_slug": proposal.page.slug,
        "title": head.title if head else proposal.page.title,
        "state": proposal.state,
        "author": user_json(proposal.author),
        "base_revision_id": proposal.base_revision_id,
        "head_revision_id": proposal.head_revision_id,
        "needs_update": proposal.needs_update,
        "reviewers": [user_json(request.reviewer) for request in proposal.requests],
        "created_at": iso(proposal.created_at),
        "updated_at": iso(proposal.updated_at),
        "published_at": iso(proposal.published_at),
        "url": url_for("review.detail", proposal_id=proposal.id, _external=True),
    }
    if rules is not None:
        status = review.approval_status(session, proposal, rules)
        data["approval"] = {
            "required": status.rules.required,
            "cross_department_required": status.rules.cross_department,
            "approved_by": [user.username for user in status.approvers],
            "changes_requested_by": [user.username for user in status.blockers],
            "satisfied": status.satisfied,
            "summary": status.describe(),
        }
    return data


def review_json(item: Review) -> dict[str, Any]:
    return {
        "id": item.id,
        "revision_id": item.revision_id,
        "reviewer": user_json(item.reviewer),
        "verdict": item.verdict,
        "summary": item.summary,
        "rubric": item.rubric,
        "created_at": iso(item.created_at),
        "dismissed": item.dismissed_at is not None,
        "overridden": item.overridden_at is not None,
        "override_reason": item.override_reason,
    }


def comment_json(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "revision_id": comment.revision_id,
        "parent_id": comment.parent_id,
        "author": user_json(comment.author),
        "body": comment.body,
        "html": comment.html,
        "line": comment.line,
        "line_end": comment.line_end,
        "anchor_text": comment.anchor_text,
        "suggestion": comment.suggestion,
        "applied_revision_id": comment.applied_revision_id,
        "resolved": comment.is_resolved,
        "created_at": iso(comment.created_at),
    }


def thread_json(thread: comments.Thread) -> dict[str, Any]:
    return {
        **comment_json(thread.root),
        "line_on_revision": thread.line,
        "outdated": thread.outdated,
        "replies": [comment_json(reply) for reply in thread.replies],
    }


def notification_json(item: Notification) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind,
        "message": item.message,
        "actor": user_json(item.actor) if item.actor else None,
        "proposal_id": item.proposal_id,
        "revision_id": item.proposal.head_revision_id if item.proposal else None,
        "comment_id": item.comment_id,
        "read": item.read_at is not None,
        "created_at": iso(item.created_at),
    }


def review_record_json(session: Session, proposal: Proposal) -> dict[str, Any]:
    """Everything the review of a proposal produced, for viewing and export."""
    head = proposal.head_revision
    assert head is not None
    return {
        "proposal": proposal_json(session, proposal),
        "revisions": [
            revision_json(session, revision, with_body=False)
            for revision in proposals.revisions(session, proposal)
        ],
        "reviews": [review_json(item) for item in proposal.reviews],
        "threads": [thread_json(thread) for thread in comments.threads(session, proposal, head)],
        "timeline": [
            {
                "kind": event.kind,
                "actor": event.actor.username if event.actor else None,
                "from": event.from_state,
                "to": event.to_state,
                "detail": event.detail,
                "at": iso(event.created_at),
            }
            for event in proposal.events
        ],
    }
