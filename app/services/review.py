"""Reviewing proposals: requests, verdicts with rubric scores, line comments, suggestions.

Every function is one use case and one transaction. The approval rules come in as an
``ApprovalRules`` value from the edge (global settings; departments may override them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import render
from app.diffing import split_lines
from app.exceptions import Conflict, NotFound, PermissionDenied, ValidationError
from app.models import (
    Comment,
    Department,
    Page,
    PageLink,
    Proposal,
    Review,
    ReviewRequest,
    Revision,
    RubricCriterion,
    User,
    utcnow,
)
from app.review import anchors, policy
from app.review.policy import ApprovalRules
from app.review.workflow import OPEN_STATES, REVIEWABLE_STATES, Action, InvalidTransition, State
from app.services import notifications, pages, proposals, users
from app.services.content import SYSTEM_USERNAME
from app.slugs import slugify

MAX_SUMMARY_CHARS = 5000
MAX_COMMENT_CHARS = 10_000
MAX_OVERRIDE_REASON_CHARS = 1000


class Verdict(StrEnum):
    """What a reviewer concludes."""

    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    COMMENT = "comment"


@dataclass(frozen=True)
class ApprovalStatus:
    """Where a proposal stands against the approval rules."""

    rules: ApprovalRules
    approvers: list[User]
    blockers: list[User]
    cross_department_approval: bool

    @property
    def satisfied(self) -> bool:
        enough = len(self.approvers) >= self.rules.required
        crossed = self.cross_department_approval or not self.rules.cross_department
        return enough and crossed and not self.blockers

    def describe(self) -> str:
        """Say in one sentence what publication still waits for."""
        if self.blockers:
            names = ", ".join(user.name for user in self.blockers)
            return f"Changes requested by {names}: publication waits until they approve."
        missing = self.rules.required - len(self.approvers)
        parts = []
        if missing > 0:
            parts.append(f"{missing} more approval{'s' if missing > 1 else ''}")
        if self.rules.cross_department and not self.cross_department_approval:
            parts.append("an approval from another department")
        if not parts:
            return "All approval rules are met."
        return "Needs " + " and ".join(parts) + "."


@dataclass(frozen=True)
class Suggestion:
    """A suggested reviewer and why."""

    user: User
    reason: str
    cross_department: bool


@dataclass
class Thread:
    """A comment with its replies, placed on a revision's lines (None: general or outdated)."""

    root: Comment
    replies: list[Comment] = field(default_factory=list)
    line: int | None = None
    line_end: int | None = None
    outdated: bool = False


@dataclass(frozen=True)
class Queue:
    """What a person has to do next."""

    waiting_for_me: list[Proposal]
    my_proposals: list[Proposal]
    changes_requested_of_me: list[Proposal]


# -- submitting, withdrawing, reopening --------------------------------------------------------


def submit(
    session: Session,
    *,
    actor: User,
    revision_id: int,
    rules: ApprovalRules,
    reviewers: Sequence[str] = (),
    departments: Sequence[str] = (),
) -> Proposal:
    """Ask people (or whole departments) to review a proposal."""
    proposal = _head_proposal(session, revision_id)
    policy.require_manage(actor, proposal)
    people = _resolve_reviewers(session, proposal, reviewers, departments)
    if not people and not proposal.requests:
        raise ValidationError(
            "Ask at least one reviewer.",
            {"reviewers": "Pick at least one colleague or department to review this."},
        )
    adding_only = proposal.state == State.IN_REVIEW
    if adding_only:  # already in review: the new reviewers are simply asked too
        names = ", ".join(user.name for user, _ in people)
        proposals.record(session, proposal, actor, "reviewers_added", names)
    else:
        proposals.transition(session, proposal, Action.SUBMIT, actor)
    requested = {request.reviewer_id for request in proposal.requests}
    newcomers = [user for user, _ in people if user.id not in requested]
    for user, department in people:
        if user.id not in requested:
            session.add(
                ReviewRequest(
                    proposal=proposal,
                    reviewer=user,
                    requested_by_id=actor.id,
                    department=department,
                )
            )
            requested.add(user.id)
    session.flush()
    # A (re)submission asks everyone again; adding reviewers only tells the new ones.
    asked = newcomers if adding_only else [request.reviewer for request in proposal.requests]
    notifications.notify(
        session, asked, kind="review_requested",
        actor=actor, proposal=proposal,
        message=f"{actor.name} asks you to review “{proposal.head_revision.title}”.",  # type: ignore[union-attr]
    )  # fmt: skip
    _evaluate(session, proposal, rules, actor)
    session.commit()
    return proposal


def withdraw(session: Session, *, actor: User, revision_id: int) -> Proposal:
    """Withdraw an open proposal; its revisions, reviews and comments are kept."""
    proposal = proposals.of_revision(session, revision_id)
    policy.require_manage(actor, proposal)
    proposals.transition(session, proposal, Action.WITHDRAW, actor)
    session.commit()
    return proposal


def reopen(session: Session, *, actor: User, revision_id: int) -> Proposal:
    """Turn a withdrawn proposal back into a draft."""
    proposal = proposals.of_revision(session, revision_id)
    policy.require_manage(actor, proposal)
    if proposal.page.is_archived:
        raise Conflict("The page is archived. Restore it before reopening proposals for it.")
    proposals.transition(session, proposal, Action.REOPEN, actor)
    session.commit()
    return proposal


# -- reviews ------------------------------------------------------------------------------------


def add_review(
    session: Session,
    *,
    actor: User,
    revision_id: int,
    verdict: str,
    rules: ApprovalRules,
    summary: str = "",
    rubric: dict[str, int] | None = None,
    comments: Sequence[dict[str, object]] = (),
) -> Review:
    """Record a verdict on the head revision; publish at once when the rules are met."""
    proposal = proposals.of_revision(session, revision_id)
    policy.require_review(actor, proposal)
    if proposal.state not in REVIEWABLE_STATES:
        raise InvalidTransition(
            State(proposal.state),
            Action.APPROVE if verdict == "approve" else Action.REQUEST_CHANGES,
        )
    if proposal.head_revision_id != revision_id:
        head = proposal.head_revision
        raise Conflict(
            f"A newer revision (#{head.number if head else '?'}) exists; review that one."
        )
    try:
        kind = Verdict(verdict)
    except ValueError:
        raise ValidationError(
            "Unknown verdict.", {"verdict": "Use approve, request_changes or comment."}
        ) from None
    summary = summary.strip()
    if len(summary) > MAX_SUMMARY_CHARS:
        raise ValidationError(
            "Summary too long.", {"summary": f"Keep it under {MAX_SUMMARY_CHARS} characters."}
        )
    scores = _validate_rubric(session, rubric or {})
    for spec in comments:
        _new_comment(session, proposal, actor, revision_id=revision_id, **_comment_fields(spec))
    session.flush()
    if kind is Verdict.REQUEST_CHANGES and not _open_comments_by(session, proposal, actor):
        raise ValidationError(
            "Requesting changes needs at least one specific comment.",
            {
                "comments": "Comment on the line that needs work, so the author knows what to change."
            },
        )
    review = Review(
        proposal=proposal, revision_id=revision_id, reviewer=actor, verdict=kind.value,
        summary=summary, rubric=scores,
    )  # fmt: skip
    session.add(review)
    if not any(request.reviewer_id == actor.id for request in proposal.requests):
        session.add(ReviewRequest(proposal=proposal, reviewer=actor, requested_by_id=actor.id))
    proposals.record(session, proposal, actor, f"review_{kind.value}", summary[:300])
    title = proposal.head_revision.title  # type: ignore[union-attr]
    notice = {
        Verdict.APPROVE: ("approved", f"{actor.name} approved “{title}”."),
        Verdict.REQUEST_CHANGES: (
            "changes_requested",
            f"{actor.name} requested changes to “{title}”.",
        ),
        Verdict.COMMENT: ("comment", f"{actor.name} reviewed “{title}” with comments."),
    }[kind]
    notifications.notify(
        session,
        [proposal.author],
        kind=notice[0],
        actor=actor,
        proposal=proposal,
        message=notice[1],
    )
    session.flush()
    _evaluate(session, proposal, rules, actor)
    session.commit()
    return review


def override(
    session: Session, *, actor: User, revision_id: int, reason: str, rules: ApprovalRules
) -> Proposal:
    """Lift every request for changes on a proposal (administrators, with a recorded reason)."""
    policy.require_override(actor)
    proposal = proposals.of_revision(session, revision_id)
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError(
            "A reason is required.", {"reason": "Say why the request for changes is overridden."}
        )
    if len(reason) > MAX_OVERRIDE_REASON_CHARS:
        raise ValidationError(
            "Reason too long.", {"reason": f"Keep it under {MAX_OVERRIDE_REASON_CHARS} characters."}
        )
    blocking = _blocking_reviews(proposal)
    if not blocking:
        raise Conflict("Nobody is requesting changes on this proposal.")
    now = utcnow()
    for review in blocking:
        review.overridden_at = now
        review.overridden_by_id = actor.id
        review.override_reason = reason
    proposals.record(session, proposal, actor, "override", reason)
    _evaluate(session, proposal, rules, actor)
    session.commit()
    return proposal


def approval_status(proposal: Proposal, rules: ApprovalRules) -> ApprovalStatus:
    """Evaluate ``proposal`` against the rules of its department."""
    head = proposal.head_revision
    department = (head.department if head else None) or proposal.author.department
    effective = rules.for_department(department)
    latest = _latest_verdicts(proposal)
    approvers = [
        review.reviewer
        for review in latest.values()
        if review.verdict == Verdict.APPROVE
        and review.dismissed_at is None
        and review.revision_id == proposal.head_revision_id
    ]
    blockers = [review.reviewer for review in _blocking_reviews(proposal)]
    crossed = any(user.department_id != department.id for user in approvers)
    return ApprovalStatus(effective, approvers, blockers, crossed)


def _latest_verdicts(proposal: Proposal) -> dict[int, Review]:
    """Each reviewer's latest approve / request_changes review."""
    latest: dict[int, Review] = {}
    for review in proposal.reviews:
        if review.verdict != Verdict.COMMENT:
            latest[review.reviewer_id] = review
    return latest


def _blocking_reviews(proposal: Proposal) -> list[Review]:
    return [
        review
        for review in _latest_verdicts(proposal).values()
        if review.verdict == Verdict.REQUEST_CHANGES and review.overridden_at is None
    ]


def _evaluate(
    session: Session, proposal: Proposal, rules: ApprovalRules, actor: User | None
) -> None:
    """Move a proposal in review to where its reviews put it, publishing when rules are met."""
    state = State(proposal.state)
    if state not in REVIEWABLE_STATES:
        return
    status = approval_status(proposal, rules)
    if status.blockers:
        if state is not State.CHANGES_REQUESTED:
            proposals.transition(session, proposal, Action.REQUEST_CHANGES, actor)
        return
    if not status.satisfied:
        if state is not State.IN_REVIEW:
            proposals.transition(session, proposal, Action.UNBLOCK, actor)
        return
    if state is not State.APPROVED:
        proposals.transition(session, proposal, Action.APPROVE, actor)
    title = proposal.head_revision.title  # type: ignore[union-attr]
    if proposals.publish(session, proposal, actor) is None:
        notifications.notify(
            session, [proposal.author], kind="merge_conflict", actor=actor, proposal=proposal,
            message=f"“{title}” is approved, but the published page changed on the same lines. Update your proposal to publish it.",
        )  # fmt: skip
        return
    people = [proposal.author, *(request.reviewer for request in proposal.requests)]
    notifications.notify(
        session,
        people,
        kind="published",
        actor=actor,
        proposal=proposal,
        message=f"“{title}” is published.",
    )


def _validate_rubric(session: Session, rubric: dict[str, int]) -> dict[str, int]:
    if not isinstance(rubric, dict):
        raise ValidationError("Invalid rubric.", {"rubric": "Send an object of criterion: score."})
    keys = {criterion.key for criterion in active_rubric(session)}
    errors = {}
    for key, score in rubric.items():
        if key not in keys:
            errors[f"rubric.{key}"] = f"Unknown criterion; use one of {', '.join(sorted(keys))}."
        elif not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 4:
            errors[f"rubric.{key}"] = "Score from 1 (poor) to 4 (excellent)."
    if errors:
        raise ValidationError("Invalid rubric scores.", errors)
    return dict(rubric)


# -- comments -----------------------------------------------------------------------------------


def add_comment(
    session: Session,
    *,
    actor: User,
    revision_id: int,
    body: str,
    line: int | None = None,
    line_end: int | None = None,
    parent_id: int | None = None,
    suggestion: str | None = None,
) -> Comment:
    """Comment on a proposal: generally, on lines of a revision, as a reply, or with a suggestion."""
    proposal = proposals.of_revision(session, revision_id)
    comment = _new_comment(
        session, proposal, actor, revision_id=revision_id, body=body, line=line,
        line_end=line_end, parent_id=parent_id, suggestion=suggestion,
    )  # fmt: skip
    session.commit()
    return comment


def _comment_fields(spec: dict[str, object]) -> dict[str, object]:
    allowed = {"body", "line", "line_end", "parent_id", "suggestion"}
    unknown = set(spec) - allowed
    if unknown:
        raise ValidationError(
            "Unknown comment fields.", {"comments": f"Unknown: {', '.join(sorted(unknown))}."}
        )
    return dict(spec)


def _new_comment(
    session: Session,
    proposal: Proposal,
    actor: User,
    *,
    revision_id: int,
    body: object,
    line: object = None,
    line_end: object = None,
    parent_id: object = None,
    suggestion: object = None,
) -> Comment:
    revision = pages.get_revision(session, revision_id)
    if revision.proposal_id != proposal.id:
        raise NotFound("That revision is not part of this proposal.")
    errors: dict[str, str] = {}
    text = body.strip() if isinstance(body, str) else ""
    if not text:
        errors["body"] = "Write something: what should change, and why?"
    elif len(text) > MAX_COMMENT_CHARS:
        errors["body"] = f"Keep comments under {MAX_COMMENT_CHARS:,} characters."
    parent = None
    if parent_id is not None:
        parent = session.get(Comment, parent_id) if isinstance(parent_id, int) else None
        if parent is None or parent.proposal_id != proposal.id:
            errors["parent_id"] = "Reply to a comment of this proposal."
        elif parent.parent_id is not None:
            parent = session.get(Comment, parent.parent_id)
    line_count = len(split_lines(revision.body))
    for name, value in (("line", line), ("line_end", line_end)):
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= line_count
        ):
            errors[name] = f"Use a line number from 1 to {line_count}."
    if line_end is not None and line is None:
        errors["line"] = "Give the first line of the range."
    if isinstance(line, int) and isinstance(line_end, int) and line_end < line:
        errors["line_end"] = "The range must end at or after its first line."
    if suggestion is not None:
        if not isinstance(suggestion, str):
            errors["suggestion"] = "A suggestion is replacement text."
        elif line is None:
            errors["suggestion"] = "Suggest a change for a line or a range of lines."
    if errors:
        raise ValidationError("The comment could not be added.", errors)
    anchor = anchors.excerpt(revision.body, line, line_end) if isinstance(line, int) else None  # type: ignore[arg-type]
    comment = Comment(
        proposal_id=proposal.id, revision_id=revision.id, author=actor,
        parent_id=parent.id if parent is not None else None, body=text,
        html=str(render.render_comment(text)), line=None if parent else line,
        line_end=None if parent else line_end, anchor_text=None if parent else anchor,
        suggestion=suggestion if parent is None else None,
    )  # fmt: skip
    session.add(comment)
    session.flush()
    _notify_comment(session, proposal, comment, parent, actor)
    return comment


def _notify_comment(
    session: Session, proposal: Proposal, comment: Comment, parent: Comment | None, actor: User
) -> None:
    title = proposal.head_revision.title  # type: ignore[union-attr]
    mentioned = list(
        session.scalars(
            select(User).where(User.username.in_(render.mentioned_usernames(comment.body)))
        )
    )
    notifications.notify(
        session, mentioned, kind="mention", actor=actor, proposal=proposal, comment=comment,
        message=f"{actor.name} mentioned you on “{title}”.",
    )  # fmt: skip
    skip = {user.id for user in mentioned}
    if parent is not None:
        people = [parent.author, *(reply.author for reply in _replies(session, parent))]
        kind, message = "reply", f"{actor.name} replied on “{title}”."
    else:
        people = [proposal.author, *(request.reviewer for request in proposal.requests)]
        kind, message = "comment", f"{actor.name} commented on “{title}”."
    notifications.notify(
        session, [user for user in people if user.id not in skip], kind=kind, actor=actor,
        proposal=proposal, comment=comment, message=message,
    )  # fmt: skip


def _replies(session: Session, root: Comment) -> list[Comment]:
    return list(
        session.scalars(select(Comment).where(Comment.parent_id == root.id).order_by(Comment.id))
    )


def _open_comments_by(session: Session, proposal: Proposal, user: User) -> int:
    query = select(func.count()).where(
        Comment.proposal_id == proposal.id,
        Comment.author_id == user.id,
        Comment.resolved_at.is_(None),
    )
    return session.scalar(query) or 0


def get_comment(session: Session, comment_id: int) -> Comment:
    """Return a comment by id; raise NotFound otherwise."""
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(f"There is no comment {comment_id}.")
    return comment


def resolve_comment(
    session: Session, *, actor: User, comment_id: int, resolved: bool = True
) -> Comment:
    """Resolve (or reopen) a comment thread: its writer, the proposal's author or an admin."""
    comment = get_comment(session, comment_id)
    if comment.parent_id is not None:
        comment = get_comment(session, comment.parent_id)
    proposal = comment.proposal
    if not (actor.id == comment.author_id or policy.can_manage(actor, proposal)):
        raise PermissionDenied("Only the comment's writer or the proposal's author can resolve it.")
    if resolved == comment.is_resolved:
        raise Conflict(
            "This thread is resolved already." if resolved else "This thread is open already."
        )
    comment.resolved_at = utcnow() if resolved else None
    comment.resolved_by_id = actor.id if resolved else None
    session.commit()
    return comment


def apply_suggestion(session: Session, *, actor: User, comment_id: int) -> Revision:
    """Apply a suggested change as a new revision of the proposal, crediting the reviewer."""
    comment = get_comment(session, comment_id)
    proposal = comment.proposal
    if comment.suggestion is None or comment.line is None:
        raise Conflict("This comment has no suggested change.")
    if not policy.can_apply_suggestion(actor, proposal):
        raise PermissionDenied("Only the proposal's author can apply suggestions.")
    if comment.applied_revision_id is not None:
        raise Conflict("This suggestion has been applied already.")
    if proposal.state not in OPEN_STATES:
        raise InvalidTransition(State(proposal.state), Action.REVISE)
    head = proposal.head_revision
    assert head is not None
    place = anchors.relocate(comment.revision.body, head.body, comment.line, comment.line_end)
    if place is None:
        raise Conflict(
            "Those lines changed since the suggestion was made. Apply it by hand in the editor."
        )
    body = anchors.replace_lines(head.body, place[0], place[1], comment.suggestion)
    revision = proposals.save_revision(
        session, author=actor, slug=proposal.page.slug, body=body, base_revision_id=head.id,
        summary=f"Applied suggestion from {comment.author.name} (@{comment.author.username})",
    )  # fmt: skip
    comment = get_comment(session, comment_id)
    comment.applied_revision_id = revision.id
    comment.resolved_at = utcnow()
    comment.resolved_by_id = actor.id
    proposals.record(
        session,
        proposal,
        actor,
        "suggestion_applied",
        f"Suggestion by {comment.author.name}, revision #{revision.number}.",
    )
    notifications.notify(
        session, [comment.author], kind="suggestion_applied", actor=actor, proposal=proposal, comment=comment,
        message=f"{actor.name} applied your suggestion to “{revision.title}”.",
    )  # fmt: skip
    session.commit()
    return revision


def threads(session: Session, proposal: Proposal, revision: Revision) -> list[Thread]:
    """Return the proposal's comment threads placed on ``revision``'s lines where possible."""
    comments = list(
        session.scalars(
            select(Comment).where(Comment.proposal_id == proposal.id).order_by(Comment.id)
        )
    )
    roots: dict[int, Thread] = {}
    for comment in comments:
        if comment.parent_id is None:
            thread = Thread(root=comment)
            if comment.line is not None:
                place = (
                    (comment.line, comment.line_end or comment.line)
                    if comment.revision_id == revision.id
                    else anchors.relocate(
                        comment.revision.body, revision.body, comment.line, comment.line_end
                    )
                )
                if place is None:
                    thread.outdated = True
                else:
                    thread.line, thread.line_end = place
            roots[comment.id] = thread
        elif comment.parent_id in roots:
            roots[comment.parent_id].replies.append(comment)
    return list(roots.values())


# -- who should review, and what is waiting -----------------------------------------------------


def suggest_reviewers(session: Session, proposal: Proposal, *, limit: int = 6) -> list[Suggestion]:
    """Suggest reviewers who know the subject, always including someone from another department."""
    head = proposal.head_revision
    assert head is not None
    home = head.department or proposal.author.department
    excluded = {proposal.author_id, *(request.reviewer_id for request in proposal.requests)}
    scores: Counter[int] = Counter()
    reasons: dict[int, str] = {}

    def consider(users: Iterable[User], reason: str, weight: int) -> None:
        for user in users:
            if user.id in excluded or not user.is_active or user.username == SYSTEM_USERNAME:
                continue
            scores[user.id] += weight
            reasons.setdefault(user.id, reason)

    for tag in head.tags:
        tagged = select(Page.id).where(Page.tags.any(name=tag), Page.id != proposal.page_id)
        consider(_authors_of(session, tagged), f"Wrote pages tagged #{tag}", 3)
        consider(_reviewers_of(session, tagged), f"Reviewed pages tagged #{tag}", 3)
    linked_slugs = render.wikilink_targets(head.html)
    linked = select(Page.id).where(Page.slug.in_(linked_slugs))
    consider(_authors_of(session, linked), "Wrote a page this one links to", 2)
    linking = select(PageLink.source_page_id).where(PageLink.target_slug == proposal.page.slug)
    consider(_authors_of(session, linking), "Wrote a page that links here", 2)
    consider(
        _authors_of(session, select(Page.id).where(Page.id == proposal.page_id)),
        "Wrote earlier versions of this page",
        4,
    )

    users = {
        user.id: user for user in session.scalars(select(User).where(User.id.in_(list(scores))))
    }
    ranked = sorted(users.values(), key=lambda user: (-scores[user.id], user.name))
    chosen = [_suggestion(user, reasons[user.id], home) for user in ranked[:limit]]
    if not any(item.cross_department for item in chosen):
        other = next(
            (user for user in ranked if user.department_id != home.id), None
        ) or _active_outsider(session, home, excluded)
        if other is not None:
            reason = reasons.get(other.id) or "Most active reviewer outside the page's department"
            chosen = [*chosen[: limit - 1], _suggestion(other, reason, home)]
    return chosen


def _suggestion(user: User, reason: str, home: Department) -> Suggestion:
    crossed = user.department_id != home.id
    if crossed:
        reason = f"{reason} · cross-department pairing: a {user.department.name} view on a {home.name} page"
    return Suggestion(user=user, reason=reason, cross_department=crossed)


def _authors_of(session: Session, page_ids: object) -> list[User]:
    query = (
        select(User)
        .join(Revision, Revision.author_id == User.id)
        .where(
            Revision.page_id.in_(page_ids),
            Revision.status.in_([State.PUBLISHED.value, State.SUPERSEDED.value]),  # type: ignore[arg-type]
        )
    )
    return list(session.scalars(query))


def _reviewers_of(session: Session, page_ids: object) -> list[User]:
    query = (
        select(User)
        .join(Review, Review.reviewer_id == User.id)
        .join(Proposal, Proposal.id == Review.proposal_id)
        .where(Proposal.page_id.in_(page_ids))  # type: ignore[arg-type]
    )
    return list(session.scalars(query))


def _active_outsider(session: Session, home: Department, excluded: set[int]) -> User | None:
    activity = func.count(Review.id) + func.count(Revision.id)
    query = (
        select(User)
        .outerjoin(Review, Review.reviewer_id == User.id)
        .outerjoin(Revision, Revision.author_id == User.id)
        .where(
            User.department_id != home.id,
            User.is_active.is_(True),
            User.username != SYSTEM_USERNAME,
        )
        .where(User.id.not_in(excluded))
        .group_by(User.id)
        .order_by(activity.desc(), User.name)
        .limit(1)
    )
    return session.scalar(query)


def review_queue(session: Session, user: User) -> Queue:
    """Return what waits for ``user``: reviews to do, own proposals, and changes asked of them."""
    reviewable = [state.value for state in REVIEWABLE_STATES]
    requested = session.scalars(
        select(Proposal)
        .join(ReviewRequest, ReviewRequest.proposal_id == Proposal.id)
        .where(ReviewRequest.reviewer_id == user.id, Proposal.state.in_(reviewable))
        .order_by(Proposal.updated_at)
    ).all()
    waiting = [proposal for proposal in requested if not _reviewed_head(proposal, user)]
    mine = list(
        session.scalars(
            select(Proposal)
            .where(
                Proposal.author_id == user.id, Proposal.state.in_([s.value for s in OPEN_STATES])
            )
            .order_by(Proposal.updated_at.desc())
        )
    )
    asked = [p for p in mine if p.state == State.CHANGES_REQUESTED or p.needs_update]
    return Queue(waiting_for_me=waiting, my_proposals=mine, changes_requested_of_me=asked)


def _reviewed_head(proposal: Proposal, user: User) -> bool:
    return any(
        review.reviewer_id == user.id and review.revision_id == proposal.head_revision_id
        for review in proposal.reviews
    )


def last_reviewed_revision(proposal: Proposal, user: User) -> Revision | None:
    """Return the revision ``user`` last reviewed in ``proposal``, if any."""
    mine = [review for review in proposal.reviews if review.reviewer_id == user.id]
    return mine[-1].revision if mine else None


def active_rubric(session: Session) -> list[RubricCriterion]:
    """Return the rubric criteria reviewers score, in order."""
    return list(
        session.scalars(
            select(RubricCriterion)
            .where(RubricCriterion.active.is_(True))
            .order_by(RubricCriterion.position, RubricCriterion.id)
        )
    )


def update_rubric(
    session: Session, *, actor: User, criteria: Sequence[dict[str, str]]
) -> list[RubricCriterion]:
    """Replace the active rubric with ``criteria`` ({label, guidance}); old scores keep their keys."""
    policy.require_edit_rubric(actor)
    errors = {}
    cleaned = []
    for index, item in enumerate(criteria):
        label = " ".join(str(item.get("label", "")).split())
        guidance = " ".join(str(item.get("guidance", "")).split())
        if not label:
            continue
        if len(label) > 80 or len(guidance) > 300:
            errors[f"criteria.{index}"] = "Keep labels under 80 and guidance under 300 characters."
        key = slugify(label).replace("-", "_")[:40]
        cleaned.append((key, label, guidance))
    if not cleaned:
        errors["criteria"] = "Keep at least one criterion."
    if len({key for key, _, _ in cleaned}) != len(cleaned):
        errors["criteria"] = "Two criteria have the same name."
    if errors:
        raise ValidationError("The rubric could not be saved.", errors)
    existing = {criterion.key: criterion for criterion in session.scalars(select(RubricCriterion))}
    for criterion in existing.values():
        criterion.active = False
    for position, (key, label, guidance) in enumerate(cleaned):
        criterion = existing.get(key) or RubricCriterion(key=key)
        criterion.label, criterion.guidance, criterion.position, criterion.active = (
            label,
            guidance,
            position,
            True,
        )
        session.add(criterion)
    session.commit()
    return active_rubric(session)


def _head_proposal(session: Session, revision_id: int) -> Proposal:
    proposal = proposals.of_revision(session, revision_id)
    if proposal.head_revision_id != revision_id:
        head = proposal.head_revision
        raise Conflict(
            f"Revision #{head.number if head else '?'} is the latest of this proposal; act on that one."
        )
    return proposal


def _resolve_reviewers(
    session: Session, proposal: Proposal, usernames: Sequence[str], departments: Sequence[str]
) -> list[tuple[User, Department | None]]:
    errors: dict[str, str] = {}
    people: list[tuple[User, Department | None]] = []
    for name in usernames:
        user = users.find_user(session, str(name))
        if user is None or not user.is_active:
            errors["reviewers"] = f"There is no user called {name!r}."
        elif user.id == proposal.author_id:
            errors["reviewers"] = "You cannot review your own proposal; pick colleagues."
        else:
            people.append((user, None))
    for name in departments:
        department = users.find_department(session, str(name))
        if department is None:
            errors["departments"] = f"There is no department called {name!r}."
            continue
        members = [
            member for member in department.members
            if member.is_active and member.id != proposal.author_id and member.username != SYSTEM_USERNAME
        ]  # fmt: skip
        if not members:
            errors["departments"] = f"Nobody else is in {department.name} yet."
        people.extend((member, department) for member in members)
    if errors:
        raise ValidationError("Some reviewers could not be asked.", errors)
    return people


def published_approvals(revision: Revision) -> list[Review]:
    """Return the approvals that published ``revision`` (none for imported revisions)."""
    if revision.proposal is None:
        return []
    return [
        review
        for review in revision.proposal.reviews
        if review.verdict == Verdict.APPROVE and review.dismissed_at is None
    ]
