"""Who owns a page, and its verification schedule: a page's owners (people and spaces), its
owner-approval rule, its review interval and when it falls due.

The review rules (``services.review``) and page creation and publication (``services.proposals``)
read and keep these; :mod:`app.services.verification` builds the verifications on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.exceptions import ValidationError
from app.models import Page, PageOwner, PageSchedule, Space, User
from app.review import policy, schedule
from app.services import audit, pages, spaces, users


@dataclass(frozen=True)
class SpaceRules:
    """What a page's space says about verifying it."""

    space_id: int | None
    interval_days: int
    cross_department: bool


@dataclass(frozen=True)
class Owners:
    """Who owns a page, and its owner rule and interval."""

    users: list[User]
    spaces: list[Space]
    require_owner_approval: bool
    #: The page's own interval (None: its space's).
    review_interval_days: int | None
    #: The interval that applies.
    interval_days: int

    @property
    def space_ids(self) -> list[int]:
        return [space.id for space in self.spaces]


def start_owning(session: Session, page: Page, author: User) -> None:
    """Make the author of a new page its first owner (a step of creating it)."""
    session.add(PageOwner(page_id=page.id, user_id=author.id, added_by_id=author.id))
    session.add(PageSchedule(page_id=page.id, require_owner_approval=False))


def owners(session: Session, page: Page) -> Owners:
    """Return the owners of ``page`` (active people only) and its verification settings."""
    rows = owner_rows(session, page)
    plan = settings(session, page)
    return Owners(
        users=[row.user for row in rows if row.user is not None and row.user.is_active],
        spaces=[
            space
            for row in rows
            if row.space_id is not None and (space := session.get(Space, row.space_id))
        ],
        require_owner_approval=plan.require_owner_approval,
        review_interval_days=plan.review_interval_days,
        interval_days=interval_days(session, page),
    )


def owner_ids(session: Session, page: Page) -> frozenset[int]:
    """The people who act as owners of ``page``: its active owners and the maintainers of the
    spaces that own it."""
    found = owners(session, page)
    people = {user.id for user in found.users}
    for space in found.spaces:
        people |= {user.id for user in spaces.maintainers(space) if user.is_active}
    return frozenset(people)


def set_owners(
    session: Session,
    *,
    actor: User,
    slug: str,
    usernames: Sequence[str] | None = None,
    space_ids: Sequence[int] | None = None,
    require_owner_approval: bool | None = None,
    review_interval_days: int | None | bool = False,
) -> Owners:
    """Change a page's owners and settings (``None``/``False``: leave as is); owners and
    administrators. Audited, commits."""
    page = pages.lookup(session, slug, reader=actor)
    policy.require_manage_owners(actor, page, owner_ids(session, page))
    before = owners(session, page)
    rows = owner_rows(session, page)
    errors: dict[str, str] = {}
    if usernames is not None:
        wanted: list[User] = []
        for name in usernames:
            user = users.find_user(session, str(name))
            if user is None or not user.is_active:
                errors["users"] = f"There is no active user called {name!r}."
            elif user not in wanted:
                wanted.append(user)
        for row in rows:
            if row.user_id is not None and row.user_id not in {user.id for user in wanted}:
                session.delete(row)
        held = {row.user_id for row in rows}
        for user in wanted:
            if user.id not in held:
                session.add(PageOwner(page_id=page.id, user_id=user.id, added_by_id=actor.id))
    if space_ids is not None:
        for row in rows:
            if row.space_id is not None and row.space_id not in space_ids:
                session.delete(row)
        held_spaces = {row.space_id for row in rows}
        for space_id in dict.fromkeys(space_ids):
            if not isinstance(space_id, int) or not _space_exists(session, space_id):
                errors["spaces"] = f"There is no space {space_id!r}."
            elif space_id not in held_spaces:
                session.add(PageOwner(page_id=page.id, space_id=space_id, added_by_id=actor.id))
    plan = schedule_of(session, page)
    if require_owner_approval is not None:
        plan.require_owner_approval = require_owner_approval
    if review_interval_days is not False:
        days = review_interval_days
        if days is not None and (
            isinstance(days, bool) or not 1 <= int(days) <= schedule.MAX_INTERVAL_DAYS
        ):
            errors["review_interval_days"] = (
                f"Use a number of days from 1 to {schedule.MAX_INTERVAL_DAYS}, or none."
            )
        else:
            plan.review_interval_days = None if days is None else int(days)
    if errors:
        raise ValidationError("The owners could not be changed.", errors)
    session.flush()
    session.expire(page)
    after = owners(session, page)
    if not after.users and not after.space_ids:
        raise ValidationError(
            "A page needs an owner.", {"users": "Keep at least one person or space as owner."}
        )
    reschedule(session, page, plan)
    audit.record(
        session, "page.owners", actor=actor, target=f"page:{page.slug}",
        detail={
            "before": _described(before), "after": _described(after),
        },
    )  # fmt: skip
    pages.content_changed(session)  # the page view shows its owners and due date
    session.commit()
    return after


def _described(found: Owners) -> dict[str, object]:
    return {
        "users": [user.username for user in found.users],
        "spaces": found.space_ids,
        "require_owner_approval": found.require_owner_approval,
        "review_interval_days": found.review_interval_days,
    }


def owned_pages(session: Session, user: User) -> list[Page]:
    """The live pages ``user`` owns, by title."""
    return list(
        session.scalars(
            select(Page)
            .join(PageOwner, PageOwner.page_id == Page.id)
            .where(PageOwner.user_id == user.id, Page.archived_at.is_(None))
            .order_by(Page.title)
        )
    )


def interval_days(session: Session, page: Page) -> int:
    """The days between verifications of ``page``: its own setting, else its space's."""
    plan = session.get(PageSchedule, page.id)
    if plan is not None and plan.review_interval_days:
        return plan.review_interval_days
    return space_rules(session, page).interval_days


def schedule_after_publication(session: Session, page: Page) -> None:
    """A step of publishing ``page``: its clock restarts at the publication."""
    reschedule(session, page, schedule_of(session, page))


def space_rules(session: Session, page: Page) -> SpaceRules:
    """What the page's space says about verification: its interval and whether a peer from
    another department verifies."""
    del session
    space = spaces.space_of(page)
    return SpaceRules(
        space_id=space.id,
        interval_days=space.review_interval_days or schedule.DEFAULT_INTERVAL_DAYS,
        cross_department=space.verify_cross_department,
    )


def maintainers(session: Session, page: Page) -> list[User]:
    """Who looks after the verification queue of the page's space: its active maintainers, or
    the active administrators when the space names none."""
    named = [user for user in spaces.maintainers(spaces.space_of(page)) if user.is_active]
    if named:
        return named
    return list(
        session.scalars(
            select(User).where(User.is_admin.is_(True), User.is_active.is_(True)).order_by(User.id)
        )
    )


def _space_exists(session: Session, space_id: int) -> bool:
    return session.get(Space, space_id) is not None


def owner_rows(session: Session, page: Page) -> list[PageOwner]:
    """Every owner row of ``page``, deactivated people included."""
    return list(
        session.scalars(
            select(PageOwner).where(PageOwner.page_id == page.id).order_by(PageOwner.id)
        )
    )


def schedule_of(session: Session, page: Page) -> PageSchedule:
    """The schedule row of ``page`` (added when it has none yet; not committed)."""
    plan = session.get(PageSchedule, page.id)
    if plan is None:
        plan = PageSchedule(page_id=page.id, require_owner_approval=False)
        session.add(plan)
        session.flush()
    return plan


def settings(session: Session, page: Page) -> PageSchedule:
    """The schedule row of ``page`` to read (a default one, not added, when it has none)."""
    return session.get(PageSchedule, page.id) or PageSchedule(
        page_id=page.id, require_owner_approval=False
    )


def due_at(session: Session, page: Page, plan: PageSchedule) -> datetime | None:
    """When ``page`` falls due by its publication, last verification and interval (None: not
    published)."""
    revision = page.published_revision
    if revision is None or revision.published_at is None:
        return None
    return schedule.due_at(revision.published_at, plan.verified_at, interval_days(session, page))


def reschedule(session: Session, page: Page, plan: PageSchedule) -> None:
    """Set ``plan.due_at`` from the page's publication, last verification and interval."""
    plan.due_at = due_at(session, page, plan)
