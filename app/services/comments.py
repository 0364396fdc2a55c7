"""Line comments on proposals: threads, replies, @mentions, resolving, and suggested changes.

Every public function that changes data is one use case and one transaction; ``new_comment``
is the step that ``review.add_review`` shares, and does not commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import render
from app.diffing import split_lines
from app.exceptions import Conflict, NotFound, PermissionDenied, ValidationError
from app.models import Comment, Proposal, Revision, User, utcnow
from app.review import anchors, policy
from app.review.workflow import OPEN_STATES, Action, InvalidTransition, State
from app.services import notifications, pages, proposals

MAX_COMMENT_CHARS = 10_000
#: The fields a comment given with a review may have.
COMMENT_FIELDS = frozenset({"body", "line", "line_end", "parent_id", "suggestion"})


@dataclass
class Thread:
    """A comment with its replies, placed on a revision's lines (None: general or outdated)."""

    root: Comment
    replies: list[Comment] = field(default_factory=list)
    line: int | None = None
    line_end: int | None = None
    outdated: bool = False


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
    proposal = proposals.of_revision(session, revision_id, reader=actor)
    comment = new_comment(
        session, proposal, actor, revision_id=revision_id, body=body, line=line,
        line_end=line_end, parent_id=parent_id, suggestion=suggestion,
    )  # fmt: skip
    session.commit()
    return comment


def comment_fields(spec: Mapping[str, object]) -> dict[str, object]:
    """Check the keys of a comment given with a review; raise ValidationError for unknown ones."""
    unknown = set(spec) - COMMENT_FIELDS
    if unknown:
        raise ValidationError(
            "Unknown comment fields.", {"comments": f"Unknown: {', '.join(sorted(unknown))}."}
        )
    return dict(spec)


def new_comment(
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
    """Validate and add a comment (and its notifications) without committing."""
    revision = pages.get_revision(session, revision_id, reader=actor)
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


def open_comments_by(session: Session, proposal: Proposal, user: User) -> int:
    """Count the unresolved comments ``user`` wrote on ``proposal``."""
    query = select(func.count()).where(
        Comment.proposal_id == proposal.id,
        Comment.author_id == user.id,
        Comment.resolved_at.is_(None),
    )
    return session.scalar(query) or 0


def get_comment(session: Session, comment_id: int, *, reader: policy.Reader) -> Comment:
    """Return a comment by id if ``reader`` may see its proposal; raise NotFound otherwise."""
    comment = session.get(Comment, comment_id)
    if comment is None or not policy.can_view(reader, comment.proposal):
        raise NotFound(f"There is no comment {comment_id}.")
    return comment


def resolve_comment(
    session: Session, *, actor: User, comment_id: int, resolved: bool = True
) -> Comment:
    """Resolve (or reopen) a comment thread: its writer, the proposal's author or an admin."""
    comment = get_comment(session, comment_id, reader=actor)
    if comment.parent_id is not None:
        comment = get_comment(session, comment.parent_id, reader=actor)
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
    comment = get_comment(session, comment_id, reader=actor)
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

    def mark_applied(revision: Revision) -> None:
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

    return proposals.save_revision(
        session, author=actor, slug=proposal.page.slug, body=body, base_revision_id=head.id,
        summary=f"Applied suggestion from {comment.author.name} (@{comment.author.username})",
        then=mark_applied,
    )  # fmt: skip


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
