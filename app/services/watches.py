"""Watching pages, tags and spaces: their publications and new proposals reach the watchers'
inboxes (and email, when it is configured). Authors watch the pages they create."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from app.exceptions import NotFound, ValidationError
from app.models import Page, Proposal, Revision, Space, Tag, User, Watch
from app.review import policy
from app.review.policy import VISIBILITY_OF_REVISION
from app.services import notifications, pages, spaces

Kind = Literal["page", "tag", "space"]
KINDS: tuple[Kind, ...] = get_args(Kind)


@dataclass(frozen=True)
class Watched:
    """One of a member's watches, as lists show it."""

    id: int
    kind: Kind
    #: The page's slug, the tag's name or the space's slug.
    key: str
    label: str


@dataclass(frozen=True)
class PageWatch:
    """What a member watches of a page: the page itself, its space, some of its tags."""

    page: bool
    space: bool
    tags: frozenset[str]


def watch(session: Session, *, user: User, kind: str, key: str) -> Watched:
    """Watch a page (one ``user`` may see), a tag or a space; watching again changes nothing."""
    found = _existing(session, user, kind, key, create_tag=True)
    if found is None:
        found = Watch(user=user, **_target(session, user, kind, key, create_tag=True))
        session.add(found)
        session.flush()
    watched = _watched(found)
    session.commit()
    return watched


def unwatch(session: Session, *, user: User, kind: str, key: str) -> None:
    """Stop watching a page, tag or space (not watching it is no error)."""
    found = _existing(session, user, kind, key, create_tag=False)
    if found is not None:
        session.delete(found)
    session.commit()


def unwatch_id(session: Session, *, user: User, watch_id: int) -> None:
    """Stop a watch of ``user``'s by its id; NotFound for anyone else's."""
    found = session.get(Watch, watch_id)
    if found is None or found.user_id != user.id:
        raise NotFound("You have no such watch.")
    session.delete(found)
    session.commit()


def watches_of(session: Session, user: User) -> list[Watched]:
    """Everything ``user`` watches that they may still see, pages first, then spaces, tags."""
    found = session.scalars(
        select(Watch)
        .where(Watch.user_id == user.id)
        .options(
            selectinload(Watch.page).options(
                selectinload(Page.latest_revision).options(VISIBILITY_OF_REVISION)
            ),
            selectinload(Watch.tag),
            selectinload(Watch.space),
        )
        .order_by(Watch.id)
    )  # one query per kind, not one per watch
    listed = [
        _watched(item) for item in found if item.page is None or policy.can_view(user, item.page)
    ]
    return sorted(listed, key=lambda item: (KINDS.index(item.kind), item.label.lower()))


def page_watch(session: Session, user: User, page: Page) -> PageWatch:
    """What ``user`` watches of ``page`` (for its Watch buttons)."""
    tag_ids = {tag.id: tag.name for tag in page.tags}
    found = session.scalars(
        select(Watch).where(
            Watch.user_id == user.id,
            or_(
                Watch.page_id == page.id,
                Watch.space_id == page.space_id,
                Watch.tag_id.in_(tag_ids),
            ),
        )
    ).all()
    return PageWatch(
        page=any(item.page_id == page.id for item in found),
        space=any(item.space_id is not None for item in found),
        tags=frozenset(tag_ids[item.tag_id] for item in found if item.tag_id in tag_ids),
    )


def is_watching(session: Session, user: User, kind: str, key: str) -> bool:
    """Whether ``user`` watches the page, tag or space ``key``."""
    return _existing(session, user, kind, key, create_tag=False) is not None


def start_watching(session: Session, user: User, page: Page) -> None:
    """Make ``page``'s author watch it (a step of creating it: does not commit)."""
    session.add(Watch(user=user, page=page))


def announce_publication(
    session: Session, proposal: Proposal, revision: Revision, *, actor: User | None
) -> None:
    """Tell the watchers of the page a proposal just published (the proposal's author and
    reviewers hear of it through the review). A step of the publication: does not commit."""
    told = {proposal.author_id, *(request.reviewer_id for request in proposal.requests)}
    page = proposal.page
    for reason, people in _watchers(session, page, skip=told).items():
        notifications.notify(
            session, people, kind="watch_published", actor=actor,
            message=f"“{revision.title}” was published ({reason}).",
            link=f"/wiki/{page.slug}",
        )  # fmt: skip


def announce_proposal(session: Session, proposal: Proposal, *, actor: User) -> None:
    """Tell the watchers of a page that a change to it was sent for review (those who may see
    it; its reviewers are asked directly). A step of the submission: does not commit."""
    head = proposal.head_revision
    assert head is not None
    told = {proposal.author_id, *(request.reviewer_id for request in proposal.requests)}
    new = proposal.page.published_revision_id is None
    for reason, people in _watchers(session, proposal.page, skip=told, revision=head).items():
        notifications.notify(
            session, people, kind="watch_proposal", actor=actor, proposal=proposal,
            message=f"{actor.name} proposes {'a new page' if new else 'a change to'} “{head.title}” ({reason}).",
        )  # fmt: skip


def _watchers(
    session: Session, page: Page, *, skip: set[int], revision: Revision | None = None
) -> dict[str, list[User]]:
    """The people watching ``page``, its space or its tags (of ``revision`` when given, which
    may move it or change its tags), grouped by the reason each is told."""
    space_id = revision.space_id if revision is not None and revision.space_id else page.space_id
    tag_names = list(revision.tags) if revision is not None else [tag.name for tag in page.tags]
    tags = session.scalars(select(Tag).where(Tag.name.in_(tag_names))).all() if tag_names else []
    conditions = [Watch.page_id == page.id, Watch.space_id == space_id]
    if tags:
        conditions.append(Watch.tag_id.in_([tag.id for tag in tags]))
    found = session.scalars(select(Watch).where(or_(*conditions)).order_by(Watch.id)).all()
    names = {tag.id: tag.name for tag in tags}
    space = session.get(Space, space_id) if space_id is not None else None
    reasons: dict[int, tuple[int, str, User]] = {}
    for item in found:
        if item.user_id in skip:
            continue
        if item.page_id is not None:
            rank, reason = 0, "you watch this page"
        elif item.space_id is not None:
            rank, reason = 1, f"you watch the space {space.name if space else ''}".rstrip()
        else:
            rank, reason = 2, f"you watch the tag {names.get(item.tag_id or 0, '')}".rstrip()
        if item.user_id not in reasons or rank < reasons[item.user_id][0]:
            reasons[item.user_id] = (rank, reason, item.user)
    grouped: dict[str, list[User]] = defaultdict(list)
    for _rank, reason, user in sorted(reasons.values(), key=lambda entry: entry[0]):
        grouped[reason].append(user)
    return grouped


def _existing(
    session: Session, user: User, kind: str, key: str, *, create_tag: bool
) -> Watch | None:
    target = _target(session, user, kind, key, create_tag=create_tag, missing_ok=not create_tag)
    if not target:
        return None
    column, value = next(iter(target.items()))
    return session.scalar(
        select(Watch).where(Watch.user_id == user.id, getattr(Watch, f"{column}_id") == value.id)
    )


def _target(
    session: Session,
    user: User,
    kind: str,
    key: str,
    *,
    create_tag: bool,
    missing_ok: bool = False,
) -> dict[str, Page | Tag | Space]:
    """The page, tag or space ``key`` names, as ``Watch`` keyword arguments ({} when it does
    not exist and ``missing_ok``)."""
    if kind == "page":
        return {"page": pages.lookup(session, key, reader=user)}
    if kind == "space":
        return {"space": spaces.get_space(session, key)}
    if kind != "tag":
        raise ValidationError(
            f"Watch one of: {', '.join(KINDS)}.", {"kind": f"Choose one of {', '.join(KINDS)}."}
        )
    names = pages.normalise_tags([key])
    if not names:
        raise ValidationError("Name a tag to watch.", {"key": "Name a tag to watch."})
    tag = session.scalar(select(Tag).where(Tag.name == names[0]))
    if tag is None and create_tag:
        tag = Tag(name=names[0])
        session.add(tag)
        session.flush()
    if tag is None:
        if missing_ok:
            return {}
        raise NotFound(f"There is no tag {names[0]!r}.")
    return {"tag": tag}


def _watched(item: Watch) -> Watched:
    if item.page is not None:
        return Watched(item.id, "page", item.page.slug, item.page.title)
    if item.space is not None:
        return Watched(item.id, "space", item.space.slug, item.space.name)
    assert item.tag is not None
    return Watched(item.id, "tag", item.tag.name, item.tag.name)


def labels(watched: Iterable[Watched]) -> dict[Kind, list[Watched]]:
    """Watches grouped by kind, in ``KINDS`` order (for the settings page)."""
    grouped: dict[Kind, list[Watched]] = {kind: [] for kind in KINDS}
    for item in watched:
        grouped[item.kind].append(item)
    return grouped
