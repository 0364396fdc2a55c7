"""Peer review over JSON: submit, review, comment, resolve, withdraw, queue, notifications."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from app import deps
from app.api import bp, inputs
from app.api import serializers as out
from app.exceptions import ValidationError
from app.services import comments, notifications, proposals, review, reviewers


def _proposal_response(proposal_id: int, status: int = 200) -> ResponseReturnValue:
    session = deps.session()
    proposal = proposals.get(session, proposal_id)
    session.refresh(proposal)
    return jsonify(out.proposal_json(session, proposal, deps.approval_rules())), status


@bp.get("/revisions/<int:revision_id>/proposal")
def get_proposal(revision_id: int) -> ResponseReturnValue:
    return _proposal_response(proposals.of_revision(deps.session(), revision_id).id)


@bp.post("/revisions/<int:revision_id>/submit")
def submit(revision_id: int) -> ResponseReturnValue:
    data = inputs.json_body()
    proposal = review.submit(
        deps.session(), actor=inputs.author(), revision_id=revision_id, rules=deps.approval_rules(),
        reviewers=inputs.names(data, "reviewers"), departments=inputs.names(data, "departments"),
    )  # fmt: skip
    return _proposal_response(proposal.id)


@bp.post("/revisions/<int:revision_id>/withdraw")
def withdraw(revision_id: int) -> ResponseReturnValue:
    proposal = review.withdraw(deps.session(), actor=inputs.author(), revision_id=revision_id)
    return _proposal_response(proposal.id)


@bp.post("/revisions/<int:revision_id>/reopen")
def reopen(revision_id: int) -> ResponseReturnValue:
    proposal = review.reopen(deps.session(), actor=inputs.author(), revision_id=revision_id)
    return _proposal_response(proposal.id)


@bp.post("/revisions/<int:revision_id>/override")
def override(revision_id: int) -> ResponseReturnValue:
    data = inputs.json_body()
    proposal = review.override(
        deps.session(), actor=inputs.author(), revision_id=revision_id,
        reason=inputs.text(data, "reason", required=True) or "", rules=deps.approval_rules(),
    )  # fmt: skip
    return _proposal_response(proposal.id)


@bp.get("/revisions/<int:revision_id>/reviews")
def list_reviews(revision_id: int) -> ResponseReturnValue:
    proposal = proposals.of_revision(deps.session(), revision_id)
    return jsonify({"items": [out.review_json(item) for item in proposal.reviews]})


@bp.post("/revisions/<int:revision_id>/reviews")
def add_review(revision_id: int) -> ResponseReturnValue:
    data = inputs.json_body()
    rubric = data.get("rubric") or {}
    comments = data.get("comments") or []
    if not isinstance(comments, list) or not all(isinstance(item, dict) for item in comments):
        raise ValidationError(
            "'comments' must be a list of objects.", {"comments": "Must be a list of objects."}
        )
    session = deps.session()
    item = review.add_review(
        session, actor=inputs.author(), revision_id=revision_id,
        verdict=inputs.text(data, "verdict", required=True) or "", summary=inputs.text(data, "summary") or "",
        rubric=rubric, comments=comments, rules=deps.approval_rules(),
    )  # fmt: skip
    proposal = proposals.get(session, item.proposal_id)
    session.refresh(proposal)
    return jsonify(
        {
            **out.review_json(item),
            "proposal": out.proposal_json(session, proposal, deps.approval_rules()),
        }
    ), 201


@bp.get("/revisions/<int:revision_id>/comments")
def list_comments(revision_id: int) -> ResponseReturnValue:
    session = deps.session()
    proposal = proposals.of_revision(session, revision_id)
    revision = proposals.revisions(session, proposal)
    shown = next(rev for rev in revision if rev.id == revision_id)
    return jsonify(
        {
            "items": [
                out.thread_json(thread) for thread in comments.threads(session, proposal, shown)
            ]
        }
    )


@bp.post("/revisions/<int:revision_id>/comments")
def add_comment(revision_id: int) -> ResponseReturnValue:
    data = inputs.json_body()
    comment = comments.add_comment(
        deps.session(), actor=inputs.author(), revision_id=revision_id,
        body=inputs.text(data, "body", required=True) or "", line=inputs.integer(data, "line"),
        line_end=inputs.integer(data, "line_end"), parent_id=inputs.integer(data, "parent_id"),
        suggestion=inputs.text(data, "suggestion"),
    )  # fmt: skip
    return jsonify(out.comment_json(comment)), 201


@bp.post("/comments/<int:comment_id>/resolve")
def resolve_comment(comment_id: int) -> ResponseReturnValue:
    comment = comments.resolve_comment(deps.session(), actor=inputs.author(), comment_id=comment_id)
    return jsonify(out.comment_json(comment))


@bp.post("/comments/<int:comment_id>/reopen")
def reopen_comment(comment_id: int) -> ResponseReturnValue:
    comment = comments.resolve_comment(
        deps.session(), actor=inputs.author(), comment_id=comment_id, resolved=False
    )
    return jsonify(out.comment_json(comment))


@bp.post("/comments/<int:comment_id>/apply")
def apply_suggestion(comment_id: int) -> ResponseReturnValue:
    session = deps.session()
    revision = comments.apply_suggestion(session, actor=inputs.author(), comment_id=comment_id)
    return jsonify(out.revision_json(session, revision)), 201


@bp.get("/revisions/<int:revision_id>/reviewer-suggestions")
def reviewer_suggestions(revision_id: int) -> ResponseReturnValue:
    session = deps.session()
    proposal = proposals.of_revision(session, revision_id)
    return jsonify(
        {"items": [{**out.user_json(item.user), "reason": item.reason, "cross_department": item.cross_department}
                   for item in reviewers.suggest_reviewers(session, proposal)]}
    )  # fmt: skip


@bp.get("/revisions/<int:revision_id>/review-record")
def review_record(revision_id: int) -> ResponseReturnValue:
    """The review record; ``?download=1`` asks the browser to save it as a file."""
    session = deps.session()
    proposal = proposals.of_revision(session, revision_id)
    response = jsonify(out.review_record_json(session, proposal))
    if request.args.get("download") == "1":
        response.headers["Content-Disposition"] = (
            f'attachment; filename="review-record-{proposal.id}.json"'
        )
    return response


@bp.get("/review-queue")
def review_queue() -> ResponseReturnValue:
    session = deps.session()
    queue = review.review_queue(session, inputs.author())
    rules = deps.approval_rules()

    def items(found: list[Any]) -> list[dict[str, Any]]:
        return [out.proposal_json(session, proposal, rules) for proposal in found]

    return jsonify(
        {
            "waiting_for_my_review": items(queue.waiting_for_me),
            "my_proposals": items(queue.my_proposals),
            "changes_requested_of_me": items(queue.changes_requested_of_me),
        }
    )


@bp.get("/notifications")
def list_notifications() -> ResponseReturnValue:
    session = deps.session()
    user = inputs.author()
    listing = notifications.inbox(
        session, user, page=request.args.get("page", 1, type=int),
        per_page=request.args.get("per_page", 30, type=int),
        unread_only=request.args.get("unread") in ("1", "true"),
    )  # fmt: skip
    body = out.listing_json(listing, [out.notification_json(item) for item in listing.items])
    body["unread"] = notifications.unread_count(session, user)
    return jsonify(body)


@bp.post("/notifications/read")
def read_notifications() -> ResponseReturnValue:
    data = request.get_json(silent=True) or {}
    ids = data.get("ids") if isinstance(data, dict) else None
    if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, int) for i in ids)):
        raise ValidationError(
            "'ids' must be a list of integers.", {"ids": "Must be a list of integers."}
        )
    changed = notifications.mark_read(deps.session(), inputs.author(), ids)
    return jsonify({"marked_read": changed})
