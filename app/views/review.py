"""Proposals and their review: the proposal page, the review queue, the inbox and the rubric."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app import deps, web
from app.diffing import diff_texts, split_lines
from app.exceptions import ValidationError, WikiError
from app.models import Proposal
from app.review import policy
from app.review.workflow import OPEN_STATES, REVIEWABLE_STATES, State
from app.services import (
    attachments,
    changes,
    comments,
    notifications,
    pages,
    proposals,
    review,
    reviewers,
    spaces,
)
from app.services import rubric as rubric_service
from app.views.auth import safe_next
from app.views.forms import ActionForm, usernames

bp = Blueprint("review", __name__)


def _proposal(proposal_id: int) -> Proposal:
    return proposals.get(deps.session(), proposal_id, reader=deps.actor())


def _back(proposal: Proposal, anchor: str = "", **args: Any) -> ResponseReturnValue:
    return redirect(url_for("review.detail", proposal_id=proposal.id, **args) + anchor)


def _flash_error(exc: WikiError) -> None:
    fields = getattr(exc, "fields", None)
    flash(" ".join(fields.values()) if fields else exc.message, "error")


@bp.get("/proposals/<int:proposal_id>")
def detail(proposal_id: int) -> ResponseReturnValue:
    session = deps.session()
    proposal = _proposal(proposal_id)
    user = deps.actor()
    history = proposals.revisions(session, proposal)
    head = proposal.head_revision
    assert head is not None
    shown = head
    if request.args.get("revision", type=web.number):
        shown = next(
            (rev for rev in history if rev.id == request.args.get("revision", type=web.number)),
            head,
        )
    base_text = proposal.base_revision.body if proposal.base_revision else ""
    since = review.last_reviewed_revision(proposal, user) if user else None
    mode = request.args.get("view", "changes")
    if mode == "since" and since is not None:
        diff = diff_texts(since.body, shown.body, context=3)
    elif mode in ("source", "page"):
        diff = diff_texts(shown.body, shown.body)
    else:
        mode = "changes"
        diff = diff_texts(base_text, shown.body, context=3)
    show = _show(mode)
    threads = comments.threads(session, proposal, shown)
    if mode == "source":
        visible = set(range(1, len(split_lines(shown.body)) + 1))
    elif show == "source":
        visible = {line.new_number for hunk in diff.hunks for line in hunk.lines if line.new_number}
    else:  # rendered: every line comment is listed under "Discussion"
        visible = set()
    rules = deps.approval_rules()
    published = proposal.page.published_revision
    merge = (
        proposals.three_way_merge(proposal, published)
        if published is not None
        and proposal.base_revision_id != published.id
        and proposal.state in OPEN_STATES
        else None
    )
    rendered = proposed = None
    if mode == "page":
        proposed = changes.proposed_page(session, shown, image_origins=deps.image_origins())
    elif show != "source":
        before = since if mode == "since" else proposal.base_revision
        rendered = changes.rendered_changes(
            session, before, shown, image_origins=deps.image_origins()
        )
    return render_template(
        "review/detail.html",
        proposal=proposal,
        head=head,
        shown=shown,
        history=history,
        diff=diff,
        mode=mode,
        show=show,
        rendered=rendered,
        proposed=proposed,
        source_lines=split_lines(shown.body),
        since=since,
        threads=threads,
        line_threads=_by_line(threads),
        offscreen=[t for t in threads if t.line_end is not None and t.line_end not in visible],
        status=review.approval_status(session, proposal, rules),
        file_changes=attachments.changes(session, proposal, shown),
        move=spaces.proposal_move(proposal),
        rubric=rubric_service.active_rubric(session),
        suggestions=reviewers.suggest_reviewers(session, proposal)
        if user and policy.can_manage(user, proposal) and proposal.state in OPEN_STATES
        else [],
        can_manage=user is not None and policy.can_manage(user, proposal),
        can_review=user is not None
        and policy.can_review(user, proposal)
        and proposal.state in REVIEWABLE_STATES,
        can_approve=user is not None and policy.can_approve(user, proposal),
        can_override=user is not None and policy.can_override(user, proposal),
        comment_line=request.args.get("line", type=web.number),
        merge=merge,
        departments=pages.department_counts(session),
        action_form=ActionForm(),
    )


#: How a change is shown: rendered inline (the default: what readers will see, with removed and
#: inserted words marked), rendered side by side, or as the Markdown source diff (line comments).
SHOWS = ("inline", "side", "source")


def _show(mode: str) -> str:
    """The ``show`` of the request (kept in every link and form of the page), or the default."""
    if mode in ("source", "page"):
        return ""
    # A link to comment on a line (``?line=N``) is a link into the source diff.
    default = "source" if request.args.get("line") else SHOWS[0]
    show = request.args.get("show", default)
    return show if show in SHOWS else default


def _by_line(threads: list[comments.Thread]) -> dict[int, list[comments.Thread]]:
    placed: dict[int, list[comments.Thread]] = {}
    for thread in threads:
        if thread.line_end is not None:
            placed.setdefault(thread.line_end, []).append(thread)
    return placed


@bp.post("/proposals/<int:proposal_id>/submit")
@login_required
def submit(proposal_id: int) -> ResponseReturnValue:
    proposal = _proposal(proposal_id)
    try:
        review.submit(
            deps.session(), actor=deps.require_actor(), revision_id=proposal.head_revision_id or 0,
            reviewers=usernames(request.form.getlist("reviewers")), departments=request.form.getlist("departments"),
            rules=deps.approval_rules(),
        )  # fmt: skip
    except ValidationError as exc:
        _flash_error(exc)
    else:
        flash("Submitted for review. Reviewers have been notified.", "success")
    return _back(proposal)


@bp.post("/proposals/<int:proposal_id>/withdraw")
@login_required
def withdraw(proposal_id: int) -> ResponseReturnValue:
    proposal = _proposal(proposal_id)
    review.withdraw(
        deps.session(), actor=deps.require_actor(), revision_id=proposal.head_revision_id or 0
    )
    flash("Proposal withdrawn. Nothing is lost: you can reopen it.", "info")
    return _back(proposal)


@bp.post("/proposals/<int:proposal_id>/reopen")
@login_required
def reopen(proposal_id: int) -> ResponseReturnValue:
    proposal = _proposal(proposal_id)
    review.reopen(
        deps.session(), actor=deps.require_actor(), revision_id=proposal.head_revision_id or 0
    )
    flash("Proposal reopened as a draft.", "success")
    return _back(proposal)


@bp.post("/proposals/<int:proposal_id>/reviews")
@login_required
def add_review(proposal_id: int) -> ResponseReturnValue:
    session = deps.session()
    proposal = _proposal(proposal_id)
    rubric = {
        criterion.key: int(request.form[f"rubric_{criterion.key}"])
        for criterion in rubric_service.active_rubric(session)
        if request.form.get(f"rubric_{criterion.key}", "").isdigit()
    }
    try:
        review.add_review(
            session, actor=deps.require_actor(), revision_id=int(request.form.get("revision_id", 0)),
            verdict=request.form.get("verdict", ""), summary=request.form.get("summary", ""),
            rubric=rubric, rules=deps.approval_rules(),
        )  # fmt: skip
    except ValidationError as exc:
        _flash_error(exc)
        return _back(proposal, "#review-form")
    proposal = _proposal(proposal_id)
    message = (
        "Published: readers see the new version now."
        if proposal.state == State.PUBLISHED
        else "Your review is recorded."
    )
    flash(message, "success")
    return _back(proposal)


@bp.post("/proposals/<int:proposal_id>/comments")
@login_required
def add_comment(proposal_id: int) -> ResponseReturnValue:
    proposal = _proposal(proposal_id)
    form = request.form
    suggestion = form.get("suggestion") if form.get("with_suggestion") else None
    try:
        comment = comments.add_comment(
            deps.session(), actor=deps.require_actor(),
            revision_id=int(form.get("revision_id") or proposal.head_revision_id or 0),
            body=form.get("body", ""), line=form.get("line", type=web.number),
            line_end=form.get("line_end", type=web.number), parent_id=form.get("parent_id", type=web.number),
            suggestion=suggestion,
        )  # fmt: skip
    except ValidationError as exc:
        _flash_error(exc)
        return _back(proposal, "#comments")
    return _back(proposal, f"#comment-{comment.id}", **_keep_view())


def _keep_view() -> dict[str, str]:
    return {key: request.form[key] for key in ("view", "show", "revision") if request.form.get(key)}


@bp.post("/comments/<int:comment_id>/resolve")
@login_required
def resolve_comment(comment_id: int) -> ResponseReturnValue:
    return _set_resolved(comment_id, resolved=True)


@bp.post("/comments/<int:comment_id>/reopen")
@login_required
def reopen_comment(comment_id: int) -> ResponseReturnValue:
    return _set_resolved(comment_id, resolved=False)


def _set_resolved(comment_id: int, *, resolved: bool) -> ResponseReturnValue:
    comment = comments.resolve_comment(
        deps.session(), actor=deps.require_actor(), comment_id=comment_id, resolved=resolved
    )
    return _back(comment.proposal, f"#comment-{comment.id}", **_keep_view())


@bp.post("/comments/<int:comment_id>/apply")
@login_required
def apply_suggestion(comment_id: int) -> ResponseReturnValue:
    revision = comments.apply_suggestion(
        deps.session(), actor=deps.require_actor(), comment_id=comment_id
    )
    flash(f"Suggestion applied as revision #{revision.number}.", "success")
    return redirect(url_for("review.detail", proposal_id=revision.proposal_id))


@bp.post("/proposals/<int:proposal_id>/override")
@login_required
def override(proposal_id: int) -> ResponseReturnValue:
    proposal = _proposal(proposal_id)
    try:
        review.override(
            deps.session(), actor=deps.require_actor(), revision_id=proposal.head_revision_id or 0,
            reason=request.form.get("reason", ""), rules=deps.approval_rules(),
        )  # fmt: skip
    except ValidationError as exc:
        _flash_error(exc)
    else:
        flash("Request for changes overridden; the reason is on the timeline.", "info")
    return _back(proposal)


@bp.get("/proposals/<int:proposal_id>/record.json")
def record(proposal_id: int) -> ResponseReturnValue:
    """The review record export, served by the API."""
    proposal = _proposal(proposal_id)
    return redirect(
        url_for("api.review_record", revision_id=proposal.head_revision_id, download="1")
    )


@bp.get("/review")
@login_required
def queue() -> ResponseReturnValue:
    return render_template(
        "review/queue.html", queue=review.review_queue(deps.session(), deps.require_actor())
    )


@bp.get("/inbox")
@login_required
def inbox() -> ResponseReturnValue:
    listing = notifications.inbox(
        deps.session(), deps.require_actor(), page=request.args.get("page", 1, type=web.number),
        unread_only=request.args.get("unread") == "1",
    )  # fmt: skip
    return render_template("review/inbox.html", listing=listing, action_form=ActionForm())


@bp.post("/inbox/read")
@login_required
def mark_read() -> ResponseReturnValue:
    ids = [int(value) for value in request.form.getlist("id") if value.isdigit()] or None
    notifications.mark_read(deps.session(), deps.require_actor(), ids)
    target = request.form.get("next")
    return redirect(safe_next(target) or url_for("review.inbox"))


@bp.get("/admin/rubric")
@login_required
def rubric() -> ResponseReturnValue:
    policy.require_edit_rubric(deps.require_actor())
    return render_template(
        "review/rubric.html", rubric=rubric_service.active_rubric(deps.session())
    )


@bp.post("/admin/rubric")
@login_required
def save_rubric() -> ResponseReturnValue:
    labels, guidance = request.form.getlist("label"), request.form.getlist("guidance")
    criteria = [
        {"label": label, "guidance": text} for label, text in zip(labels, guidance, strict=False)
    ]
    try:
        rubric_service.update_rubric(deps.session(), actor=deps.require_actor(), criteria=criteria)
    except ValidationError as exc:
        _flash_error(exc)
    else:
        flash("Rubric saved. New reviews use it; earlier scores are kept.", "success")
    return redirect(url_for("review.rubric"))
