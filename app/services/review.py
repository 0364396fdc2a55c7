"""Reviewing proposals: asking reviewers, verdicts, overrides, and publication when the rules are met.

Every public function that changes data is one use case and one transaction. The approval rules
come in as an ``ApprovalRules`` value from the edge (global settings; departments may override
them) and are applied by the pure ``app.review.approval`` module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.exceptions import Conflict, ValidationError
from app.models import Department, Proposal, Review, ReviewRequest, Revision, User, utcnow
from app.review import approval, policy
from app.review.approval import ApprovalRules, ApprovalStatus, Verdict
from app.review.workflow import OPEN_STATES, REVIEWABLE_STATES, Action, InvalidTransition, State
from app.services import audit, notifications, ownership, proposals, users, watches
from app.services import comments as comment_service
from app.services import rubric as rubric_service
from app.services.content import SYSTEM_USERNAME

MAX_SUMMARY_CHARS = 5000
MAX_OVERRIDE_REASON_CHARS = 1000


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
    proposal = _head_proposal(session, revision_id, reader=actor)
    _ask_for_review(session, proposal, actor, rules, reviewers, departments)
    session.commit()
    return proposal


def submission(
    session: Session,
    *,
    actor: User,
    rules: ApprovalRules,
    reviewers: Sequence[str] = (),
    departments: Sequence[str] = (),
) -> Callable[[Revision], None]:
    """The step that submits a revision being saved, for ``proposals.create_page(then=...)``
    and ``save_revision``: saving and asking for review become one transaction."""

    def submit_saved(revision: Revision) -> None:
        assert revision.proposal is not None
        _ask_for_review(session, revision.proposal, actor, rules, reviewers, departments)

    return submit_saved


def _ask_for_review(
    session: Session,
    proposal: Proposal,
    actor: User,
    rules: ApprovalRules,
    reviewers: Sequence[str],
    departments: Sequence[str],
) -> None:
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
    if not adding_only and _first_submission(proposal):
        watches.announce_proposal(session, proposal, actor=actor)
    _evaluate(session, proposal, rules, actor)


def _first_submission(proposal: Proposal) -> bool:
    """Whether ``proposal`` was just sent for review for the first time (not resubmitted)."""
    return sum(event.kind == Action.SUBMIT.value for event in proposal.events) == 1


def withdraw(session: Session, *, actor: User, revision_id: int) -> Proposal:
    """Withdraw an open proposal; its revisions, reviews and comments are kept."""
    proposal = proposals.of_revision(session, revision_id, reader=actor)
    policy.require_manage(actor, proposal)
    proposals.transition(session, proposal, Action.WITHDRAW, actor)
    session.commit()
    return proposal


def reopen(session: Session, *, actor: User, revision_id: int) -> Proposal:
    """Turn a withdrawn proposal back into a draft."""
    proposal = proposals.of_revision(session, revision_id, reader=actor)
    policy.require_manage(actor, proposal)
    if proposal.page.is_archived:
        raise Conflict("The page is archived. Restore it before reopening proposals for it.")
    proposals.transition(session, proposal, Action.REOPEN, actor)
    session.commit()
    return proposal


#: Added to the summary of an approval by someone whose department is not confirmed yet.
UNCONFIRMED_APPROVAL = (
    "(Approval recorded as a comment: an administrator has not confirmed this reviewer's "
    "department yet.)"
)

# -- reviews ------------------------------------------------------------------------------------


def add_review(
    session: Session,
    *,
    actor: User,
    revision_id: int,
    verdict: str,
    rules: ApprovalRules,
    summary: str = "",
    rubric: Mapping[str, int] | None = None,
    comments: Sequence[Mapping[str, object]] = (),
) -> Review:
    """Record a verdict on the head revision; publish at once when the rules are met."""
    proposal = proposals.of_revision(session, revision_id, reader=actor)
    policy.require_review(actor, proposal)
    if proposal.state not in REVIEWABLE_STATES:
        raise InvalidTransition(
            State(proposal.state),
            Action.APPROVE if verdict == Verdict.APPROVE else Action.REQUEST_CHANGES,
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
    if kind is Verdict.APPROVE:
        policy.require_approve(actor, proposal)
    summary = summary.strip()
    if len(summary) > MAX_SUMMARY_CHARS:
        raise ValidationError(
            "Summary too long.", {"summary": f"Keep it under {MAX_SUMMARY_CHARS} characters."}
        )
    if kind is Verdict.APPROVE and not actor.department_confirmed:
        kind = Verdict.COMMENT  # recorded, but it counts towards no rule
        summary = f"{summary} {UNCONFIRMED_APPROVAL}".strip()
    scores = rubric_service.validate_scores(session, rubric or {})
    for spec in comments:
        comment_service.new_comment(
            session,
            proposal,
            actor,
            revision_id=revision_id,
            **comment_service.comment_fields(spec),
        )
    session.flush()
    if kind is Verdict.REQUEST_CHANGES and not comment_service.open_comments_by(
        session, proposal, actor
    ):
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
    proposal = proposals.of_revision(session, revision_id, reader=actor)
    policy.require_override(actor, proposal)
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError(
            "A reason is required.", {"reason": "Say why the request for changes is overridden."}
        )
    if len(reason) > MAX_OVERRIDE_REASON_CHARS:
        raise ValidationError(
            "Reason too long.", {"reason": f"Keep it under {MAX_OVERRIDE_REASON_CHARS} characters."}
        )
    blocking = approval.blocking(proposal.reviews)
    if not blocking:
        raise Conflict("Nobody is requesting changes on this proposal.")
    now = utcnow()
    for review in blocking:
        review.overridden_at = now
        review.overridden_by_id = actor.id
        review.override_reason = reason
    proposals.record(session, proposal, actor, "override", reason)
    audit.record(
        session, "proposal.override", actor=actor, target=f"proposal:{proposal.id}",
        detail={"reason": reason, "reviews": [review.id for review in blocking]},
    )  # fmt: skip
    _evaluate(session, proposal, rules, actor)
    session.commit()
    return proposal


def approval_status(session: Session, proposal: Proposal, rules: ApprovalRules) -> ApprovalStatus:
    """Evaluate ``proposal`` against the rules of its department."""
    head = proposal.head_revision
    department = (head.department if head else None) or proposal.author.department
    owners = ownership.owners(session, proposal.page)
    if owners.require_owner_approval:
        rules = replace(rules, owner_approval=True)
    space = (head.space if head else None) or proposal.page.space
    return approval.evaluate(
        proposal.reviews,
        rules=rules.for_department(department).for_space(space),
        head_revision_id=proposal.head_revision_id,
        department_id=department.id,
        contributor_ids=proposal.contributor_ids,
        owner_ids=ownership.owner_ids(session, proposal.page),
    )


def _evaluate(
    session: Session, proposal: Proposal, rules: ApprovalRules, actor: User | None
) -> None:
    """Move a proposal in review to where its reviews put it, publishing when rules are met."""
    state = State(proposal.state)
    if state not in REVIEWABLE_STATES:
        return
    status = approval_status(session, proposal, rules)
    if status.blockers:
        # Only the reviewer who just asked for changes moves the proposal to changes_requested.
        # When the author asks for review again (or someone else reviews) it stays in review:
        # the standing request still blocks publication until its reviewer approves.
        blocked_by_actor = actor is not None and any(
            person.id == actor.id for person in status.blockers
        )
        if state is not State.CHANGES_REQUESTED and blocked_by_actor:
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


# -- what is waiting --------------------------------------------------------------------------


def review_queue(session: Session, user: User) -> Queue:
    """Return what waits for ``user``: reviews to do, own proposals, and changes asked of them."""
    reviewable = [state.value for state in REVIEWABLE_STATES]
    # Each card shows its head revision, and whether the head was reviewed reads the reviews:
    # loaded with the lists, not one query each.
    listed = (selectinload(Proposal.head_revision), selectinload(Proposal.reviews))
    requested = session.scalars(
        select(Proposal)
        .join(ReviewRequest, ReviewRequest.proposal_id == Proposal.id)
        .where(ReviewRequest.reviewer_id == user.id, Proposal.state.in_(reviewable))
        .options(*listed)
        .order_by(Proposal.updated_at)
    ).all()
    waiting = [proposal for proposal in requested if not _reviewed_head(proposal, user)]
    mine = list(
        session.scalars(
            select(Proposal)
            .where(
                Proposal.author_id == user.id, Proposal.state.in_([s.value for s in OPEN_STATES])
            )
            .options(*listed)
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


def _head_proposal(session: Session, revision_id: int, *, reader: User) -> Proposal:
    proposal = proposals.of_revision(session, revision_id, reader=reader)
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


def published_approvals(session: Session, revision: Revision) -> list[Review]:
    """Return the approvals that published ``revision`` (none for imported revisions, and none
    for a revision that was never published, such as an earlier revision of its proposal)."""
    if revision.proposal_id is None or revision.published_at is None:
        return []
    return approval.approvals_in_force(
        session.scalars(
            select(Review).where(Review.proposal_id == revision.proposal_id).order_by(Review.id)
        )
    )
