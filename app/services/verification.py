"""Owners and recurring verification: keeping what was reviewed true.

Every page has owners (people and/or spaces; its author first). Each published page falls due
for verification an interval after its latest publication or verification
(:mod:`app.review.schedule`); Peerwiki then opens a verification, a light review of the
published version with the review rubric, assigned to an owner or, when the space asks for it,
to a suggested peer from another department. "Still accurate" restarts the page's clock;
"Needs changes" opens a draft proposal, with the reviewer's comment, for an owner to act on.

Every public function that changes data and says "commits" is one use case; the others are
steps of a caller's use case and leave the commit to it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, and_, exists, select
from sqlalchemy.orm import Session, joinedload

from app import render
from app.exceptions import Conflict, NotFound, ValidationError
from app.models import (
    Comment,
    Page,
    PageOwner,
    PageSchedule,
    Proposal,
    Revision,
    Space,
    SpaceMember,
    SpaceRole,
    User,
    Verification,
    VerificationState,
    utcnow,
)
from app.review import policy, schedule
from app.review.schedule import Freshness, FreshnessState
from app.review.workflow import OPEN_STATES
from app.search import SearchQuery
from app.services import notifications, ownership, pages, proposals, reviewers, users
from app.services import rubric as rubric_service

#: How often an open verification's people are reminded.
REMIND_EVERY = timedelta(days=7)
MAX_COMMENT_CHARS = 5000
MAX_REASON_CHARS = 200


class Outcome(StrEnum):
    """What a verifier concludes."""

    VERIFIED = "verified"
    NEEDS_CHANGES = "needs_changes"


@dataclass(frozen=True)
class PageFreshness:
    """What a page view shows about a page's freshness."""

    freshness: Freshness
    verified_at: datetime | None
    verified_by: User | None
    open_verification: Verification | None
    #: When what is shown reads differently (a cached copy must not outlive it).
    changes_at: datetime


# -- owners ---------------------------------------------------------------------------------


def owner_departed(session: Session, user: User) -> list[Page]:
    """A step of deactivating ``user``: their open verifications go to their pages' space
    queues (or to another owner), pages left with no owner get their space as owner, and the
    spaces' maintainers are told. Returns the pages concerned."""
    concerned = ownership.owned_pages(session, user)
    for verification in session.scalars(
        select(Verification).where(
            Verification.assignee_id == user.id, Verification.state == VerificationState.OPEN
        )
    ):
        verification.assignee = _assignee(session, verification.page, exclude={user.id})
    orphaned: dict[int | None, list[Page]] = {}
    tell: dict[int | None, tuple[User, ...]] = {}
    for page in concerned:
        others = [
            row for row in ownership.owner_rows(session, page)
            if row.user_id != user.id and (row.space_id is not None or (row.user and row.user.is_active))
        ]  # fmt: skip
        rules = ownership.space_rules(session, page)
        if not others and rules.space_id is not None:
            session.add(PageOwner(page_id=page.id, space_id=rules.space_id))
        orphaned.setdefault(rules.space_id, []).append(page)
        tell[rules.space_id] = tuple(ownership.maintainers(session, page))
    for space_id, left in orphaned.items():
        titles = ", ".join(f"“{page.title}”" for page in left[:5])
        more = f" and {len(left) - 5} more" if len(left) > 5 else ""
        notifications.notify(
            session, [m for m in tell[space_id] if m.id != user.id], kind="owner_left", actor=None,
            message=f"{user.name} was deactivated; their pages {titles}{more} are in your space's verification queue.",
            link="/verifications",
        )  # fmt: skip
    return concerned


# -- schedule -------------------------------------------------------------------------------


def freshness(session: Session, page: Page, *, now: datetime | None = None) -> PageFreshness | None:
    """How fresh the published ``page`` is at ``now`` (None: not published)."""
    now = now or utcnow()
    plan = ownership.settings(session, page)
    due = ownership.due_at(session, page, plan)  # from the live interval, not the stored date
    if due is None:
        return None
    shown = schedule.freshness(due, now)
    return PageFreshness(
        freshness=shown,
        verified_at=plan.verified_at,
        verified_by=plan.verified_by,
        open_verification=_open_for(session, page.id),
        changes_at=schedule.changes_at(due, now),
    )


def open_due(session: Session, *, now: datetime | None = None) -> list[Verification]:
    """Open a verification for every live page that has fallen due and has none open (or a
    change under way that a verification asked for). Idempotent; commits."""
    now = now or utcnow()
    _schedule_unscheduled(session)
    _follow_space_intervals(session)
    waiting_on_change = exists().where(
        Verification.page_id == Page.id,
        Verification.state == VerificationState.NEEDS_CHANGES,
        Verification.proposal_id.in_(
            select(Proposal.id).where(Proposal.state.in_([s.value for s in OPEN_STATES]))
        ),
    )
    due = session.scalars(
        select(Page)
        .join(PageSchedule, PageSchedule.page_id == Page.id)
        .where(
            PageSchedule.due_at <= now,
            Page.archived_at.is_(None),
            Page.published_revision_id.is_not(None),
            ~_has_open(),
            ~waiting_on_change,
        )
        .order_by(PageSchedule.due_at, Page.id)
    ).all()
    opened = [_open(session, page, reason="scheduled", now=now) for page in due]
    session.commit()
    return opened


def open_verification_early(
    session: Session, page: Page, reason: str, *, now: datetime | None = None
) -> Verification | None:
    """Open a verification of ``page`` now, before it falls due (readers report it does not
    work, say), unless one is open already: return the open one (None: the page is not
    published or archived). A step of the caller's use case: does not commit."""
    existing = _open_for(session, page.id)
    if existing is not None:
        return existing
    if page.published_revision_id is None or page.is_archived:
        return None
    return _open(session, page, reason=" ".join(reason.split())[:MAX_REASON_CHARS], now=now)


def run_schedule(session: Session, *, now: datetime | None = None) -> tuple[int, int]:
    """The worker's periodic pass: open due verifications, then remind people of open ones.
    Returns (opened, reminded); commits."""
    now = now or utcnow()
    opened = len(open_due(session, now=now))
    return opened, remind(session, now=now)


def remind(session: Session, *, now: datetime | None = None) -> int:
    """Remind the people of every verification open for ``REMIND_EVERY`` since it opened or
    since their last reminder (inbox and email). Returns how many were reminded; commits."""
    now = now or utcnow()
    cutoff = now - REMIND_EVERY
    stale = session.scalars(
        select(Verification)
        .where(Verification.state == VerificationState.OPEN)
        .where(
            (Verification.reminded_at.is_(None) & (Verification.opened_at <= cutoff))
            | (Verification.reminded_at <= cutoff)
        )
        .options(joinedload(Verification.page))
        .order_by(Verification.id)
    ).all()
    for verification in stale:
        state = schedule.freshness(verification.due_at, now).state
        when = "is overdue" if state is FreshnessState.OVERDUE else "still waits"
        notifications.notify(
            session, _responsible(session, verification), kind="verification_reminder",
            actor=None,
            message=f"Reminder: the verification of “{verification.page.title}” {when}.",
            link=f"/verifications/{verification.id}",
        )  # fmt: skip
        verification.reminded_at = now
    session.commit()
    return len(stale)


# -- verifying --------------------------------------------------------------------------------


def get(session: Session, verification_id: int, *, reader: User) -> Verification:
    """Return a verification members may see (of a page they may see); NotFound otherwise."""
    verification = session.get(Verification, verification_id)
    if verification is None or not policy.can_view(reader, verification.page):
        raise NotFound(f"There is no verification {verification_id}.")
    return verification


def can_verify(session: Session, user: User, verification: Verification) -> bool:
    """Whether ``user`` may record the outcome of ``verification``."""
    return policy.can_verify(
        user,
        assignee_id=verification.assignee_id,
        owners=ownership.owner_ids(session, verification.page),
    )


def complete(
    session: Session,
    *,
    actor: User,
    verification_id: int,
    outcome: str,
    comment: str = "",
    rubric: object = None,
    now: datetime | None = None,
) -> Verification:
    """Record a verification's outcome: "verified" restarts the page's clock, "needs_changes"
    opens a draft proposal with the comment for an owner to act on. Commits."""
    now = now or utcnow()
    verification = get(session, verification_id, reader=actor)
    policy.require_verify(
        actor,
        assignee_id=verification.assignee_id,
        owners=ownership.owner_ids(session, verification.page),
    )
    if not verification.is_open:
        raise Conflict("This verification is done already.")
    try:
        kind = Outcome(outcome)
    except ValueError:
        raise ValidationError(
            "Unknown outcome.", {"outcome": "Use verified or needs_changes."}
        ) from None
    text = comment.strip() if isinstance(comment, str) else ""
    if len(text) > MAX_COMMENT_CHARS:
        raise ValidationError(
            "Comment too long.", {"comment": f"Keep it under {MAX_COMMENT_CHARS:,} characters."}
        )
    if kind is Outcome.NEEDS_CHANGES and not text:
        raise ValidationError(
            "Say what needs to change.",
            {"comment": "Describe what is no longer accurate, so an owner can fix it."},
        )
    scores = rubric_service.validate_scores(session, rubric if rubric is not None else {})
    page = verification.page
    verification.comment, verification.rubric = text, scores
    verification.completed_at, verification.completed_by_id = now, actor.id
    verification.state = kind.value
    if kind is Outcome.VERIFIED:
        plan = ownership.schedule_of(session, page)
        plan.verified_at, plan.verified_by_id = now, actor.id
        session.flush()
        session.refresh(plan, ["verified_by"])
        ownership.reschedule(session, page, plan)
        notifications.notify(
            session, _owners_to_tell(session, page), kind="verified", actor=actor,
            message=f"{actor.name} verified “{page.title}”: still accurate.",
            link=f"/wiki/{page.slug}",
        )  # fmt: skip
    else:
        verification.proposal = _needs_changes(session, verification, actor, text)
    pages.content_changed(session)  # cached views of the page show its freshness
    session.commit()
    return verification


def _needs_changes(
    session: Session, verification: Verification, actor: User, text: str
) -> Proposal:
    """Open a draft for an owner (or the verifier, when no person owns the page) with the
    verifier's comment on it, and tell the owners."""
    page = verification.page
    owner = next(iter(ownership.owners(session, page).users), None) or actor
    head = proposals.start_draft(
        session, page, author=owner, summary=f"Verification #{verification.id}: needs changes"
    )
    proposal = head.proposal
    assert proposal is not None
    session.add(
        Comment(
            proposal_id=proposal.id, revision_id=head.id, author=actor, body=text,
            html=str(render.render_comment(text)),
        )
    )  # fmt: skip
    proposals.record(session, proposal, actor, "verification", f"Needs changes: {text[:280]}")
    notifications.notify(
        session, _owners_to_tell(session, page), kind="verification_changes", actor=actor,
        proposal=proposal,
        message=f"{actor.name} found that “{page.title}” needs changes: a draft with the comment waits for you.",
    )  # fmt: skip
    return proposal


# -- queues and listings ----------------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    """A verification as a queue shows it, with its page's freshness now."""

    verification: Verification
    freshness: Freshness


def queue_for(session: Session, user: User, *, now: datetime | None = None) -> list[Listed]:
    """Open verifications waiting for ``user``: assigned to them, or nobody's and of pages they
    own or of spaces they maintain."""
    owned = select(PageOwner.page_id).where(PageOwner.user_id == user.id)
    maintained = select(SpaceMember.space_id).where(
        SpaceMember.user_id == user.id, SpaceMember.role == SpaceRole.MAINTAINER.value
    )
    unassigned = Verification.assignee_id.is_(None)
    return _listed(
        session,
        _open_query().where(
            (Verification.assignee_id == user.id)
            | (Verification.page_id.in_(owned) & unassigned)
            | (Verification.space_id.in_(maintained) & unassigned)
        ),
        now,
    )


def unassigned(session: Session, *, now: datetime | None = None) -> list[Listed]:
    """Open verifications nobody is assigned to (pages whose owners left): the spaces' queue."""
    return _listed(session, _open_query().where(Verification.assignee_id.is_(None)), now)


def queue_for_space(
    session: Session, space_id: int, *, now: datetime | None = None
) -> list[Listed]:
    """Open verifications of the pages of a space (or that it owns)."""
    owned = select(PageOwner.page_id).where(PageOwner.space_id == space_id)
    return _listed(
        session,
        _open_query().where((Verification.space_id == space_id) | Verification.page_id.in_(owned)),
        now,
    )


def listing(
    session: Session,
    *,
    reader: User,
    due: bool = False,
    overdue: bool = False,
    space_id: int | None = None,
    assignee: str | None = None,
    now: datetime | None = None,
) -> list[Listed]:
    """Open verifications, filtered: ``due`` (fallen due), ``overdue`` (past the grace), of a
    space, or assigned to a username."""
    now = now or utcnow()
    query = _open_query()
    if due:
        query = query.where(Verification.due_at <= now)
    if overdue:
        query = query.where(Verification.due_at <= now - schedule.GRACE)
    if space_id is not None:
        owned = select(PageOwner.page_id).where(PageOwner.space_id == space_id)
        query = query.where((Verification.space_id == space_id) | Verification.page_id.in_(owned))
    if assignee is not None:
        person = users.find_user(session, assignee)
        query = query.where(Verification.assignee_id == (person.id if person else -1))
    return [
        item
        for item in _listed(session, query, now)
        if policy.can_view(reader, item.verification.page)
    ]


def _open_query() -> Select[Verification]:
    return (
        select(Verification)
        .where(Verification.state == VerificationState.OPEN)
        .options(joinedload(Verification.page))
        .order_by(Verification.due_at, Verification.id)
    )


def _listed(session: Session, query: Select[Verification], now: datetime | None) -> list[Listed]:
    moment = now or utcnow()
    return [
        Listed(verification, schedule.freshness(verification.due_at, moment))
        for verification in session.scalars(query).unique()
    ]


# -- search -----------------------------------------------------------------------------------


def search_request(
    session: Session, request: SearchQuery, *, now: datetime | None = None
) -> SearchQuery:
    """``request`` with what every backend needs of freshness: the overdue pages (ranked lower)
    and, for "verified only", the pages verified and not due."""
    now = now or utcnow()
    overdue = frozenset(
        session.scalars(
            select(PageSchedule.page_id).where(PageSchedule.due_at <= now - schedule.GRACE)
        )
    )
    verified = None
    if request.verified_only:
        verified = frozenset(
            session.scalars(
                select(PageSchedule.page_id).where(
                    PageSchedule.verified_at.is_not(None), PageSchedule.due_at > now
                )
            )
        )
    return replace(request, demoted_pages=overdue, only_pages=verified)


# -- helpers ----------------------------------------------------------------------------------


def _schedule_unscheduled(session: Session) -> None:
    """Give published pages that have no schedule (bulk loads, restored backups) one."""
    missing = session.scalars(
        select(Page).where(
            Page.published_revision_id.is_not(None),
            ~exists().where(PageSchedule.page_id == Page.id),
        )
    ).all()
    for page in missing:
        ownership.reschedule(session, page, ownership.schedule_of(session, page))
    session.flush()


def _follow_space_intervals(session: Session) -> None:
    """Bring the due dates of pages that follow their space's interval up to date with it (a
    maintainer may have changed it since): one query over the schedules."""
    rows = session.execute(
        select(PageSchedule, Revision.published_at, Space.review_interval_days)
        .join(Page, Page.id == PageSchedule.page_id)
        .join(Revision, Revision.id == Page.published_revision_id)
        .join(Space, Space.id == Page.space_id)
        .where(PageSchedule.review_interval_days.is_(None), Revision.published_at.is_not(None))
    ).all()
    for plan, published_at, days in rows:
        if published_at is None:
            continue
        due = schedule.due_at(
            published_at, plan.verified_at, days or schedule.DEFAULT_INTERVAL_DAYS
        )
        if plan.due_at != due:
            plan.due_at = due
    session.flush()


def _has_open() -> ColumnElement[bool]:
    return exists().where(
        and_(Verification.page_id == Page.id, Verification.state == VerificationState.OPEN)
    )


def _open_for(session: Session, page_id: int) -> Verification | None:
    return session.scalar(
        select(Verification).where(
            Verification.page_id == page_id, Verification.state == VerificationState.OPEN
        )
    )


def _open(session: Session, page: Page, *, reason: str, now: datetime | None) -> Verification:
    """Open a verification of ``page`` and tell its people. Two processes opening one at the
    same moment cannot both commit: the unique index on open verifications refuses the second
    (its worker job is retried, and then finds the one open)."""
    now = now or utcnow()
    plan = ownership.schedule_of(session, page)
    revision = page.published_revision
    assert revision is not None
    verification = Verification(
        page=page, revision=revision, assignee=_assignee(session, page, exclude=set()),
        space_id=ownership.space_rules(session, page).space_id, reason=reason, opened_at=now,
        due_at=plan.due_at or now, state=VerificationState.OPEN.value, comment="", rubric={},
    )  # fmt: skip
    session.add(verification)
    session.flush()
    early = "" if reason == "scheduled" else f" ({reason})"
    notifications.notify(
        session, _responsible(session, verification), kind="verification_due", actor=None,
        message=f"“{page.title}” is due for verification{early}: is it still accurate?",
        link=f"/verifications/{verification.id}",
    )  # fmt: skip
    return verification


def _assignee(session: Session, page: Page, *, exclude: Collection[int]) -> User | None:
    """An active owner; or, when the space asks for it, a suggested peer from another
    department; None: the space's queue."""
    rules = ownership.space_rules(session, page)
    people = [user for user in ownership.owners(session, page).users if user.id not in exclude]
    revision = page.published_revision
    if rules.cross_department and revision is not None:
        home = revision.department or page.created_by.department
        suggested = reviewers.suggest_for_revision(
            session, revision, home=home, excluded={*exclude, *(user.id for user in people)}
        )
        peer = next((item.user for item in suggested if item.cross_department), None)
        if peer is not None:
            return peer
    return people[0] if people else None


def _responsible(session: Session, verification: Verification) -> Iterable[User]:
    """Whom to tell about a verification: its assignee, else the page's owners, else the
    space's maintainers."""
    if verification.assignee is not None and verification.assignee.is_active:
        return [verification.assignee]
    people = ownership.owners(session, verification.page).users
    return people or ownership.maintainers(session, verification.page)


def _owners_to_tell(session: Session, page: Page) -> list[User]:
    return ownership.owners(session, page).users or ownership.maintainers(session, page)
