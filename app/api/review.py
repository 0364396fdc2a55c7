"""Peer review over JSON: submit, review, comment, resolve, withdraw, queue, notifications."""

from __future__ import annotations

from app import deps
from app.api import bp, inputs
from app.api import serializers as out
from app.api.spec import Answer, author, endpoint
from app.services import comments, notifications, proposals, review, reviewers

#: What a review action may answer besides success: not allowed, no such revision, wrong state.
_ACTION_ERRORS = (403, 404, 409, 422)


def _status(proposal_id: int) -> out.ProposalStatus:
    session = deps.session()
    proposal = proposals.get(session, proposal_id, reader=deps.actor())
    session.refresh(proposal)
    return out.to_proposal_status(session, proposal, deps.approval_rules())


@bp.get("/revisions/<int:revision_id>/proposal")
@endpoint(out.ProposalStatus, errors=(404,))
def get_proposal(revision_id: int) -> Answer:
    """The proposal a revision belongs to, with its approval status."""
    return _status(proposals.of_revision(deps.session(), revision_id, reader=deps.actor()).id)


@bp.post("/revisions/<int:revision_id>/submit")
@endpoint(out.ProposalStatus, errors=_ACTION_ERRORS, auth=True)
def submit(revision_id: int, json: inputs.ReviewRequest) -> Answer:
    """Ask reviewers (people and/or whole departments): draft -> in_review."""
    proposal = review.submit(
        deps.session(), actor=author(), revision_id=revision_id, rules=deps.approval_rules(),
        reviewers=json.reviewers, departments=json.departments,
    )  # fmt: skip
    return _status(proposal.id)


@bp.post("/revisions/<int:revision_id>/withdraw")
@endpoint(out.ProposalStatus, errors=_ACTION_ERRORS, auth=True)
def withdraw(revision_id: int) -> Answer:
    """Withdraw an open proposal."""
    return _status(review.withdraw(deps.session(), actor=author(), revision_id=revision_id).id)


@bp.post("/revisions/<int:revision_id>/reopen")
@endpoint(out.ProposalStatus, errors=_ACTION_ERRORS, auth=True)
def reopen(revision_id: int) -> Answer:
    """Reopen a withdrawn proposal as a draft."""
    return _status(review.reopen(deps.session(), actor=author(), revision_id=revision_id).id)


@bp.post("/revisions/<int:revision_id>/override")
@endpoint(out.ProposalStatus, errors=_ACTION_ERRORS, auth=True)
def override(revision_id: int, json: inputs.Override) -> Answer:
    """Administrators: lift requests for changes, with a recorded reason."""
    proposal = review.override(
        deps.session(), actor=author(), revision_id=revision_id, reason=json.reason,
        rules=deps.approval_rules(),
    )  # fmt: skip
    return _status(proposal.id)


@bp.get("/revisions/<int:revision_id>/reviews")
@endpoint(out.ReviewList, errors=(404,))
def list_reviews(revision_id: int) -> Answer:
    """Reviews of the proposal."""
    proposal = proposals.of_revision(deps.session(), revision_id, reader=deps.actor())
    return out.ReviewList(items=[out.to_review(item) for item in proposal.reviews])


@bp.post("/revisions/<int:revision_id>/reviews")
@endpoint(out.ReviewOutcome, status=201, errors=_ACTION_ERRORS, auth=True)
def add_review(revision_id: int, json: inputs.NewReview) -> Answer:
    """Review the latest revision: 403 for its author, 409 when not in review, 422 for
    request_changes without a specific comment."""
    item = review.add_review(
        deps.session(), actor=author(), revision_id=revision_id, verdict=json.verdict,
        summary=json.summary, rubric=json.rubric, rules=deps.approval_rules(),
        comments=[comment.model_dump(exclude_unset=True) for comment in json.comments],
    )  # fmt: skip
    proposal = _status(item.proposal_id)
    return out.ReviewOutcome(**out.to_review(item).model_dump(), proposal=proposal), 201


@bp.get("/revisions/<int:revision_id>/comments")
@endpoint(out.ThreadList, errors=(404,))
def list_comments(revision_id: int) -> Answer:
    """Comment threads, placed on this revision's lines (or outdated)."""
    session = deps.session()
    proposal = proposals.of_revision(session, revision_id, reader=deps.actor())
    shown = next(rev for rev in proposals.revisions(session, proposal) if rev.id == revision_id)
    threads = comments.threads(session, proposal, shown)
    return out.ThreadList(items=[out.to_thread(thread) for thread in threads])


@bp.post("/revisions/<int:revision_id>/comments")
@endpoint(out.Comment, status=201, errors=_ACTION_ERRORS, auth=True)
def add_comment(revision_id: int, json: inputs.NewComment) -> Answer:
    """Comment generally, on a line or range, as a reply, or with a suggested change."""
    comment = comments.add_comment(
        deps.session(), actor=author(), revision_id=revision_id, body=json.body, line=json.line,
        line_end=json.line_end, parent_id=json.parent_id, suggestion=json.suggestion,
    )  # fmt: skip
    return out.to_comment(comment), 201


@bp.post("/comments/<int:comment_id>/resolve")
@endpoint(out.Comment, errors=_ACTION_ERRORS, auth=True)
def resolve_comment(comment_id: int) -> Answer:
    """Resolve a comment thread."""
    return out.to_comment(
        comments.resolve_comment(deps.session(), actor=author(), comment_id=comment_id)
    )


@bp.post("/comments/<int:comment_id>/reopen")
@endpoint(out.Comment, errors=_ACTION_ERRORS, auth=True)
def reopen_comment(comment_id: int) -> Answer:
    """Reopen a resolved thread."""
    return out.to_comment(
        comments.resolve_comment(
            deps.session(), actor=author(), comment_id=comment_id, resolved=False
        )
    )


@bp.post("/comments/<int:comment_id>/apply")
@endpoint(out.Revision, status=201, errors=_ACTION_ERRORS, auth=True)
def apply_suggestion(comment_id: int) -> Answer:
    """Apply a suggested change as a new revision (the proposal's author)."""
    session = deps.session()
    revision = comments.apply_suggestion(session, actor=author(), comment_id=comment_id)
    return out.to_revision(session, revision), 201


@bp.get("/revisions/<int:revision_id>/reviewer-suggestions")
@endpoint(out.ReviewerSuggestionList, errors=(404,))
def reviewer_suggestions(revision_id: int) -> Answer:
    """Suggested reviewers with reasons (always one from another department)."""
    session = deps.session()
    proposal = proposals.of_revision(session, revision_id, reader=deps.actor())
    return out.to_reviewer_suggestions(reviewers.suggest_reviewers(session, proposal))


@bp.get("/revisions/<int:revision_id>/review-record")
@endpoint(out.ReviewRecord, errors=(404,))
def review_record(revision_id: int, query: inputs.RecordArgs) -> Answer:
    """The full review record: revisions, reviews, rubric scores, threads, timeline."""
    session = deps.session()
    proposal = proposals.of_revision(session, revision_id, reader=deps.actor())
    headers = (
        {"Content-Disposition": f'attachment; filename="review-record-{proposal.id}.json"'}
        if query.download
        else {}
    )
    return out.to_review_record(session, proposal), 200, headers


@bp.get("/review-queue")
@endpoint(out.ReviewQueue, auth=True)
def review_queue() -> Answer:
    """Waiting for my review, my proposals, changes requested of me."""
    session = deps.session()
    queue = review.review_queue(session, author())
    return out.to_review_queue(session, queue, deps.approval_rules())


@bp.get("/notifications")
@endpoint(out.NotificationList, auth=True)
def list_notifications(query: inputs.NotificationArgs) -> Answer:
    """My notifications, newest first, with the unread count."""
    session = deps.session()
    listing = notifications.inbox(
        session, author(), page=query.page, per_page=query.per_page, unread_only=query.unread
    )
    return out.to_notification_list(listing, notifications.unread_count(session, author()))


@bp.post("/notifications/read")
@endpoint(out.MarkedRead, errors=(422,), auth=True)
def read_notifications(json: inputs.ReadNotifications) -> Answer:
    """Mark notifications read: all, or those listed in ids."""
    return out.MarkedRead(marked_read=notifications.mark_read(deps.session(), author(), json.ids))
