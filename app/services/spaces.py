"""Spaces and the page tree: list and find spaces, who belongs to them, the navigation tree,
creating project spaces, membership, and moving pages (an administrator's direct move).

A page's place is its space, its parent page (None: the top of the space's tree) and its
position among its siblings. An edit may propose a new place; publication applies it
(``pages.publish_revision``). Both paths check it here, with :func:`check_place`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.exceptions import NotFound, ValidationError
from app.models import (
    Department,
    Page,
    Proposal,
    Revision,
    Space,
    SpaceKind,
    SpaceMember,
    SpaceRole,
    User,
)
from app.review import policy
from app.services import audit, pages
from app.slugs import slugify

#: Slug of the project space for pages that belong to no department.
GENERAL_SLUG = "general"
MAX_NAME_CHARS = 120
MAX_SLUG_CHARS = 80
MAX_DESCRIPTION_CHARS = 2000


@dataclass
class TreeNode:
    """A page in a space's navigation tree, with the pages under it in order."""

    page_id: int
    slug: str
    title: str
    children: list[TreeNode] = field(default_factory=list)


@dataclass(frozen=True)
class TreeRow:
    """What tree building needs of a page (plain values: unit tests pass their own)."""

    page_id: int
    parent_id: int | None
    slug: str
    title: str
    position: int = 0


# ---- reading ------------------------------------------------------------------------------


def list_spaces(session: Session) -> list[Space]:
    """Return every space: department spaces first, then project spaces, each by name."""
    return list(
        session.scalars(select(Space).order_by(Space.kind, func.lower(Space.name), Space.id))
    )


def page_counts(session: Session) -> dict[int, int]:
    """Return the number of live, published pages of each space that has any, by space id."""
    query = (
        select(Page.space_id, func.count(Page.id))
        .where(Page.archived_at.is_(None), Page.published_revision_id.is_not(None))
        .group_by(Page.space_id)
    )
    return {space_id: count for space_id, count in session.execute(query)}


def get_space(session: Session, slug: str) -> Space:
    """Return the space at ``slug``; raise NotFound otherwise."""
    space = session.scalar(select(Space).where(Space.slug == slug))
    if space is None:
        raise NotFound(f"There is no space {slug!r}.")
    return space


def space_of(page: Page) -> Space:
    """Return the space ``page`` is in."""
    return page.space


def is_member(user: User | None, space: Space) -> bool:
    """Tell whether ``user`` belongs to ``space``: named a member or maintainer, or (for a
    department space) in its department."""
    return policy.is_space_member(user, space)


def maintainers(space: Space) -> list[User]:
    """Return the people named maintainers of ``space``."""
    return [m.user for m in space.members if m.role == SpaceRole.MAINTAINER.value]


def members(session: Session, space: Space) -> list[tuple[User, str]]:
    """Return everyone who belongs to ``space`` with their role, maintainers first, by name:
    named members and, for a department space, the department's active people."""
    found: dict[int, tuple[User, str]] = {m.user_id: (m.user, m.role) for m in space.members}
    if space.department_id is not None:
        for user in session.scalars(
            select(User).where(User.department_id == space.department_id, User.is_active)
        ):
            found.setdefault(user.id, (user, SpaceRole.MEMBER.value))
    return sorted(
        found.values(),
        key=lambda item: (item[1] != SpaceRole.MAINTAINER.value, item[0].name.lower()),
    )


def tree(session: Session, space: Space, *, reader: policy.Reader = None) -> list[TreeNode]:
    """Return the navigation tree of ``space``: its live, published pages that ``reader`` may
    see, each under its nearest shown ancestor, siblings by position then title."""
    found = session.scalars(
        select(Page).where(
            Page.space_id == space.id,
            Page.archived_at.is_(None),
            Page.published_revision_id.is_not(None),
        )
    )
    parent_of = dict(
        (row.id, row.parent_id)
        for row in session.execute(select(Page.id, Page.parent_id).where(Page.space_id == space.id))
    )
    rows = [
        TreeRow(page.id, page.parent_id, page.slug, page.title, page.position)
        for page in found
        if policy.can_view(reader, page)
    ]
    return build_tree(rows, parent_of=parent_of)


def build_tree(
    rows: Iterable[TreeRow], *, parent_of: Mapping[int, int | None] | None = None
) -> list[TreeNode]:
    """Nest ``rows`` into trees. A page whose parent is not among them goes under its nearest
    ancestor that is (``parent_of`` knows the hidden ones), else at the top; a cycle in bad data
    ends at the top too."""
    rows = list(rows)
    nodes = {row.page_id: TreeNode(row.page_id, row.slug, row.title) for row in rows}
    parents = dict(parent_of or {})
    parents.update({row.page_id: row.parent_id for row in rows})
    order = {row.page_id: (row.position, row.title.lower(), row.page_id) for row in rows}
    roots: list[TreeNode] = []
    for row in sorted(rows, key=lambda r: order[r.page_id]):
        shown = _nearest_shown(row.page_id, parents, nodes)
        if shown is not None and would_cycle(row.page_id, shown, parents):
            shown = None  # bad data: a loop of pages would hang off nothing
        (nodes[shown].children if shown is not None else roots).append(nodes[row.page_id])
    return roots


def _nearest_shown(
    page_id: int, parents: Mapping[int, int | None], shown: Mapping[int, TreeNode]
) -> int | None:
    seen = {page_id}
    current = parents.get(page_id)
    while current is not None and current not in seen:
        if current in shown:
            return current
        seen.add(current)
        current = parents.get(current)
    return None


def ancestors(session: Session, page: Page) -> list[Page]:
    """Return the pages above ``page`` in its tree, from the top down (live ones only)."""
    chain: list[Page] = []
    seen = {page.id}
    current = page.parent
    while current is not None and current.id not in seen:
        seen.add(current.id)
        if not current.is_archived and current.space_id == page.space_id:
            chain.append(current)
        current = current.parent
    return list(reversed(chain))


def would_cycle(page_id: int, parent_id: int | None, parent_of: Mapping[int, int | None]) -> bool:
    """Tell whether putting page ``page_id`` under ``parent_id`` makes it its own ancestor."""
    seen: set[int] = set()
    current = parent_id
    while current is not None and current not in seen:
        if current == page_id:
            return True
        seen.add(current)
        current = parent_of.get(current)
    return False


# ---- places: where a page goes ------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where a page sits: a space and a parent page (None: at the top)."""

    space: Space
    parent: Page | None

    def describe(self) -> str:
        """Say where this is, e.g. "Engineering › Runbooks" or "Engineering (top level)"."""
        return f"{self.space.name} › {self.parent.title}" if self.parent else self.space.name


def resolve_place(
    session: Session,
    *,
    actor: User,
    page: Page | None,
    space: str | None,
    parent: str | None,
    default: Place,
) -> Place:
    """Turn a space slug and a parent page slug (either may be empty) into a checked Place.

    An empty space means the parent's space, else ``default.space``; an empty parent means the
    top of the space. Raises ValidationError (``space`` / ``parent`` fields) when a slug is
    unknown, the parent is in another space, or the page would sit under itself.
    """
    parent_page: Page | None = None
    if parent:
        parent_page = session.scalar(select(Page).where(Page.slug == parent))
        if (
            parent_page is None
            or parent_page.is_archived
            or not policy.can_view(actor, parent_page)
        ):
            raise ValidationError(
                "Unknown parent page.", {"parent": f"There is no page {parent!r} to put it under."}
            )
    if space:
        chosen = session.scalar(select(Space).where(Space.slug == space))
        if chosen is None:
            raise ValidationError("Unknown space.", {"space": f"There is no space {space!r}."})
    elif parent_page is not None:
        chosen = parent_page.space
    else:
        chosen = default.space
    place = Place(chosen, parent_page)
    check_place(session, actor=actor, page=page, place=place)
    return place


def requested_place(
    session: Session, *, actor: User, page: Page, space: str | None, parent: str | None
) -> Place:
    """Where a move of ``page`` asks it to go: ``parent`` None keeps its parent (when it stays
    in its space; the top of another), ``""`` is the top, a slug that page; ``space`` None
    keeps the space (or takes the parent's)."""
    current = place_of(page)
    if parent is None:
        same_space = space is None or space == current.space.slug
        parent = current.parent.slug if same_space and current.parent is not None else ""
    return resolve_place(
        session, actor=actor, page=page, space=space, parent=parent or None,
        default=Place(current.space, None),
    )  # fmt: skip


def check_place(session: Session, *, actor: User, page: Page | None, place: Place) -> None:
    """Raise ValidationError unless ``page`` (None: a new page) may go to ``place``."""
    if place.parent is not None:
        if place.parent.space_id != place.space.id:
            raise ValidationError(
                "The parent page is in another space.",
                {"parent": f"{place.parent.title!r} is in the {place.parent.space.name} space, "
                           f"not {place.space.name}."},
            )  # fmt: skip
        if page is not None and (
            place.parent.id == page.id or would_cycle(page.id, place.parent.id, _parents(session))
        ):
            raise ValidationError(
                "A page cannot go under itself.",
                {"parent": f"{place.parent.title!r} is {page.title!r} itself or one of the pages "
                           "under it; choose a page outside its branch."},
            )  # fmt: skip
    if not policy.can_add_to_space(actor, place.space):
        raise ValidationError(
            "Not a member of that space.",
            {"space": f"Only members of {place.space.name} can put pages in it."},
        )


def _parents(session: Session) -> dict[int, int | None]:
    return {row.id: row.parent_id for row in session.execute(select(Page.id, Page.parent_id))}


def place_of(page: Page) -> Place:
    """Return where ``page`` sits now."""
    return Place(page.space, page.parent)


@dataclass(frozen=True)
class Move:
    """A proposal's move of its page: from ``before`` (None: a new page) to ``after``."""

    before: Place | None
    after: Place


def proposal_move(proposal: Proposal) -> Move | None:
    """Return the move ``proposal`` makes (or made, once published), or None when it leaves
    the page where it is."""
    head = proposal.head_revision
    if head is None:
        return None
    after = proposed_move(head, proposal.base_revision)
    if after is None:
        return None
    base = proposal.base_revision
    if base is None:
        before = None
    elif proposal.published_at is not None:
        before = place_of_revision(base)
    else:
        before = place_of(proposal.page)
    if before is not None and same_place(before, after):
        return None
    return Move(before, after)


def editing_place(page: Page, revision: Revision, base: Revision | None) -> Place:
    """Where an editor starting from ``revision`` shows the page: where the proposal it
    continues (based on ``base``) moves it, else where it is."""
    if revision.proposal is not None and revision.proposal.published_at is None:
        moved = proposed_move(revision, base)
        if moved is not None:
            return moved
    return place_of(page)


def page_titles(session: Session, *, limit: int = 500) -> list[str]:
    """Return the titles of live, published pages, by title: what an editor offers as parents."""
    return list(
        session.scalars(
            select(Page.title)
            .where(Page.archived_at.is_(None), Page.published_revision_id.is_not(None))
            .order_by(func.lower(Page.title))
            .limit(limit)
        )
    )


def place_of_revision(revision: Revision) -> Place | None:
    """Return where ``revision`` puts its page (None: a revision older than spaces)."""
    if revision.space is None:
        return None
    return Place(revision.space, revision.parent_page)


def proposed_move(revision: Revision | Place, base: Revision | None) -> Place | None:
    """Return where ``revision`` (or a place an edit chose) moves its page when published, or
    None when it proposes no move: a revision moves its page when it puts it elsewhere than
    ``base`` (the published revision its proposal started from) did, so that an edit does not
    undo a move made meanwhile."""
    place = revision if isinstance(revision, Place) else place_of_revision(revision)
    if place is None:
        return None
    before = place_of_revision(base) if base is not None else None
    if before is not None and same_place(before, place):
        return None
    return place


def same_place(one: Place, other: Place) -> bool:
    return one.space.id == other.space.id and (one.parent.id if one.parent else None) == (
        other.parent.id if other.parent else None
    )


def apply_proposed_place(session: Session, page: Page, revision: Revision) -> None:
    """At publication, move ``page`` where ``revision`` proposes (see :func:`proposed_move`).

    A parent archived or moved under the page since the proposal was written is dropped: the
    page goes to the top of the proposed space rather than nowhere."""
    base = revision.proposal.base_revision if revision.proposal is not None else None
    place = proposed_move(revision, base)
    if place is None:
        return
    parent = place.parent
    if parent is not None and (
        parent.is_archived
        or parent.space_id != place.space.id
        or parent.id == page.id
        or would_cycle(page.id, parent.id, _parents(session))
    ):
        parent = None
    put(session, page, Place(place.space, parent))


def default_place(session: Session, *, author: User, department: Department | None) -> Place:
    """Where a new page goes when its author names no space: its department's space (the
    author's department when it names none either)."""
    return Place(ensure_department_space(session, department or author.department), None)


def next_position(session: Session, space: Space, parent: Page | None) -> int:
    """Return the position after the last of the pages at ``parent`` in ``space``."""
    at_parent = Page.parent_id == parent.id if parent is not None else Page.parent_id.is_(None)
    last = session.scalar(
        select(func.max(Page.position)).where(Page.space_id == space.id, at_parent)
    )
    return 0 if last is None else last + 1


def put(session: Session, page: Page, place: Place, *, position: int | None = None) -> bool:
    """Put ``page`` at ``place`` (at ``position``, else last among its new siblings, or where it
    was when it stays among the same ones); tell whether it moved. Does not commit."""
    if same_place(place_of(page), place) and (position is None or position == page.position):
        return False
    if position is None:
        position = next_position(session, place.space, place.parent)
    page.space = place.space
    page.parent = place.parent
    page.position = position
    return True


def lift_children(session: Session, page: Page) -> list[Page]:
    """Give the pages under ``page`` its own parent (they move up a level, after their new
    siblings): done when ``page`` is archived. Does not commit."""
    children = list(
        session.scalars(select(Page).where(Page.parent_id == page.id).order_by(Page.position))
    )
    start = next_position(session, page.space, page.parent)
    for offset, child in enumerate(children):
        child.parent = page.parent
        child.position = start + offset
    return children


def move_page(
    session: Session,
    *,
    actor: User,
    slug: str,
    space: str | None,
    parent: str | None,
    position: int | None = None,
) -> Page:
    """Move a page at once, without review (administrators; recorded in the audit log)."""
    page = pages.lookup(session, slug, reader=actor)
    policy.require_move_directly(actor)
    before = place_of(page)
    place = requested_place(session, actor=actor, page=page, space=space, parent=parent)
    if position is not None and position < 0:
        raise ValidationError("Invalid position.", {"position": "Use 0 or more."})
    if not put(session, page, place, position=position):
        raise ValidationError("Nothing changed.", {"parent": "The page is there already."})
    audit.record(
        session, "page.move", actor=actor, target=f"page:{page.slug}",
        detail={"from": before.describe(), "to": place.describe(),
                "space": place.space.slug, "parent": place.parent.slug if place.parent else None,
                "position": page.position},
    )  # fmt: skip
    pages.content_changed(session)  # every cached tree and breadcrumb trail showing it
    session.commit()
    return page


# ---- creating spaces and membership -------------------------------------------------------


def ensure_department_space(session: Session, department: Department) -> Space:
    """Return ``department``'s space, adding it (uncommitted) when it has none."""
    existing = session.scalar(select(Space).where(Space.department_id == department.id))
    if existing is not None:
        return existing
    space = Space(
        slug=_free_slug(session, slugify(department.name) or "department"),
        name=department.name,
        kind=SpaceKind.DEPARTMENT.value,
        department=department,
        description=department.description or "",
    )
    session.add(space)
    session.flush()
    return space


def general_space(session: Session) -> Space:
    """Return the project space of pages that belong to no department, adding it when needed."""
    existing = session.scalar(
        select(Space).where(Space.slug == GENERAL_SLUG, Space.department_id.is_(None))
    )
    if existing is not None:
        return existing
    space = Space(
        slug=_free_slug(session, GENERAL_SLUG),
        name="General",
        kind=SpaceKind.PROJECT.value,
        description="Pages that belong to no department.",
    )
    session.add(space)
    session.flush()
    return space


def _free_slug(session: Session, slug: str) -> str:
    candidate, number = slug, 2
    while session.scalar(select(Space.id).where(Space.slug == candidate)) is not None:
        candidate, number = f"{slug}-{number}", number + 1
    return candidate


@dataclass(frozen=True)
class SpaceSettings:
    """A space's review settings as an administrator or maintainer sets them."""

    review_interval_days: int = 180
    verify_cross_department: bool = False
    feedback_threshold: int = 3
    required_approvals: int | None = None


def create_space(
    session: Session,
    *,
    actor: User,
    name: str,
    slug: str | None = None,
    description: str = "",
    home_page: str | None = None,
    members: Iterable[str] = (),
    maintainers: Iterable[str] = (),
    settings: SpaceSettings | None = None,
) -> Space:
    """Create a project space (administrators; audited): a name, an address, a home page (an
    existing page's slug, moved to the top of the new space), members and review settings."""
    policy.require_create_space(actor)
    name = " ".join(name.split())
    errors: dict[str, str] = {}
    if not 2 <= len(name) <= MAX_NAME_CHARS:
        errors["name"] = f"Use 2-{MAX_NAME_CHARS} characters."
    wanted = slugify(slug or name)[:MAX_SLUG_CHARS].strip("-")
    if not wanted:
        errors.setdefault("slug", "The address needs at least one letter or digit.")
    elif session.scalar(select(Space.id).where(Space.slug == wanted)) is not None:
        errors["slug"] = f"A space at {wanted!r} exists already."
    if len(description) > MAX_DESCRIPTION_CHARS:
        errors["description"] = f"Keep the description under {MAX_DESCRIPTION_CHARS} characters."
    settings = settings or SpaceSettings()
    errors.update(_settings_errors(settings))
    people = _people(session, [*members, *maintainers], errors)
    home: Page | None = None
    if home_page:
        home = session.scalar(select(Page).where(Page.slug == home_page.strip()))
        if home is None or home.is_archived:
            errors["home_page"] = f"There is no page {home_page!r}."
    if errors:
        raise ValidationError("Please correct the highlighted fields.", errors)
    space = Space(
        slug=wanted, name=name, kind=SpaceKind.PROJECT.value, description=description.strip(),
        review_interval_days=settings.review_interval_days,
        verify_cross_department=settings.verify_cross_department,
        feedback_threshold=settings.feedback_threshold,
        required_approvals=settings.required_approvals,
    )  # fmt: skip
    session.add(space)
    session.flush()
    maintainer_names = {name.strip().lower() for name in maintainers}
    for user in people:
        role = (
            SpaceRole.MAINTAINER if user.username.lower() in maintainer_names else SpaceRole.MEMBER
        )
        session.add(SpaceMember(space=space, user=user, role=role.value))
    if home is not None:
        put(session, home, Place(space, None), position=0)
        space.home_page = home
        pages.content_changed(session)
    audit.record(
        session, "space.create", actor=actor, target=f"space:{space.slug}",
        detail={"name": name, "members": sorted(u.username for u in people),
                "home_page": home.slug if home else None},
    )  # fmt: skip
    session.commit()
    return space


def update_settings(
    session: Session, *, actor: User, slug: str, settings: SpaceSettings, description: str
) -> Space:
    """Change a space's description and review settings (its maintainers, administrators)."""
    space = get_space(session, slug)
    policy.require_manage_space(actor, space)
    errors = _settings_errors(settings)
    if len(description) > MAX_DESCRIPTION_CHARS:
        errors["description"] = f"Keep the description under {MAX_DESCRIPTION_CHARS} characters."
    if errors:
        raise ValidationError("Please correct the highlighted fields.", errors)
    space.description = description.strip()
    space.review_interval_days = settings.review_interval_days
    space.verify_cross_department = settings.verify_cross_department
    space.feedback_threshold = settings.feedback_threshold
    space.required_approvals = settings.required_approvals
    audit.record(
        session, "space.settings", actor=actor, target=f"space:{space.slug}",
        detail={"review_interval_days": settings.review_interval_days,
                "verify_cross_department": settings.verify_cross_department,
                "feedback_threshold": settings.feedback_threshold,
                "required_approvals": settings.required_approvals},
    )  # fmt: skip
    session.commit()
    return space


def add_member(
    session: Session, *, actor: User, slug: str, username: str, role: str = "member"
) -> SpaceMember:
    """Name someone a member or maintainer of a space (or change their role); audited."""
    space = get_space(session, slug)
    policy.require_manage_space(actor, space)
    if role not in {r.value for r in SpaceRole}:
        raise ValidationError("Invalid role.", {"role": "Choose member or maintainer."})
    errors: dict[str, str] = {}
    (user,) = _people(session, [username], errors) or (None,)
    if user is None:
        raise ValidationError("Unknown person.", errors)
    membership = next((m for m in space.members if m.user_id == user.id), None)
    if membership is None:
        membership = SpaceMember(space=space, user=user, role=role)
        session.add(membership)
    else:
        membership.role = role
    audit.record(
        session, "space.member", actor=actor, target=f"space:{space.slug}",
        detail={"user": user.username, "role": role},
    )  # fmt: skip
    session.commit()
    return membership


def remove_member(session: Session, *, actor: User, slug: str, username: str) -> None:
    """Take someone's named membership of a space away; audited."""
    space = get_space(session, slug)
    policy.require_manage_space(actor, space)
    membership = next(
        (m for m in space.members if m.user.username.lower() == username.strip().lower()), None
    )
    if membership is None:
        raise NotFound(f"{username!r} is not a named member of {space.name}.")
    space.members.remove(membership)
    audit.record(
        session, "space.member_remove", actor=actor, target=f"space:{space.slug}",
        detail={"user": membership.user.username},
    )  # fmt: skip
    session.commit()


def _settings_errors(settings: SpaceSettings) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not 1 <= settings.review_interval_days <= 3650:
        errors["review_interval_days"] = "Use a number of days from 1 to 3650."
    if not 1 <= settings.feedback_threshold <= 100:
        errors["feedback_threshold"] = "Use a number from 1 to 100."
    if settings.required_approvals is not None and not 1 <= settings.required_approvals <= 10:
        errors["required_approvals"] = "Use a number from 1 to 10, or leave it empty."
    return errors


def _people(session: Session, usernames: Iterable[str], errors: dict[str, str]) -> list[User]:
    wanted = list(dict.fromkeys(n.strip().lower() for n in usernames if n.strip()))
    if not wanted:
        return []
    found = {
        user.username.lower(): user
        for user in session.scalars(select(User).where(func.lower(User.username).in_(wanted)))
    }
    unknown = [name for name in wanted if name not in found]
    if unknown:
        errors["members"] = "Nobody is called " + ", ".join(repr(n) for n in unknown) + "."
    return [found[name] for name in wanted if name in found]
