"""Who may do what. Each ``can_x`` is a pure yes/no; ``require_x`` raises PermissionDenied."""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from sqlalchemy import ColumnElement, exists, or_, true
from sqlalchemy.orm import selectinload

from app.exceptions import PermissionDenied
from app.models import (
    Attachment,
    Page,
    Path,
    PathVersion,
    Proposal,
    Revision,
    Space,
    SpaceKind,
    SpaceRole,
    User,
)
from app.review.workflow import State


class System:
    """Peerwiki reading on its own behalf (imports, background work, guards inside a use case
    that has already checked its actor): it sees everything."""

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM: Final = System()
#: Who is looking: a signed-in user, an anonymous reader (None), or Peerwiki itself.
Reader = User | None | System

#: A proposal in these states is private to the people who wrote it (and administrators).
PRIVATE_STATES: Final = frozenset({State.DRAFT, State.WITHDRAWN})


def can_view(reader: Reader, item: Page | Proposal | Revision | Attachment) -> bool:
    """Who may see what: the one answer for every view, API route, search, export and feed.

    - What was published (a published revision, a published proposal) of a live page: every
      reader; of an archived page: signed-in members.
    - A proposal in review (and its revisions): signed-in members, never anonymous readers.
    - A draft or a withdrawn proposal: the people who wrote its revisions, and administrators.
    - A page: when its published version is visible or, before its first publication, when its
      latest revision is.
    - An uploaded file: when the proposal that added it is, or any revision that references it
      (so a file in a draft is private to the draft's writers, and public once published).
    """
    if isinstance(reader, System):
        return True
    if isinstance(item, Attachment):
        if item.proposal is not None and can_view(reader, item.proposal):
            return True
        if item.proposal is None and not item.revisions:
            return reader is not None and reader.is_admin
        return any(can_view(reader, revision) for revision in item.revisions)
    if isinstance(item, Page):
        if item.published_revision_id is not None and _reads_published(reader, item):
            return True
        latest = item.latest_revision
        return latest is not None and latest.published_at is None and can_view(reader, latest)
    if isinstance(item, Revision):
        if item.published_at is not None:
            return _reads_published(reader, item.page)
        if item.proposal is None:
            return reader is not None and reader.is_admin
        item = item.proposal
    if item.published_at is not None:
        return _reads_published(reader, item.page)
    if reader is None:
        return False
    if State(item.state) in PRIVATE_STATES:
        return reader.is_admin or reader.id in item.contributor_ids
    return True


#: What :func:`can_view` reads of a revision besides itself (its proposal's writers): load it
#: with lists of revisions, or each check costs queries.
VISIBILITY_OF_REVISION: Final = selectinload(Revision.proposal).selectinload(Proposal.revisions)


def member_sees_proposal(member: User) -> ColumnElement[bool]:
    """:func:`can_view` of a proposal for a signed-in ``member``, as a SQL condition (for lists
    that page in the database, such as an inbox)."""
    if member.is_admin:
        return true()
    wrote = exists().where(Revision.proposal_id == Proposal.id, Revision.author_id == member.id)
    return or_(
        Proposal.state.not_in([state.value for state in PRIVATE_STATES]),
        Proposal.author_id == member.id,
        wrote,
    )


def _reads_published(reader: User | None, page: Page) -> bool:
    return reader is not None or not page.is_archived


def can_reference(user: User, attachment: Attachment) -> bool:
    """A revision may show a file of its own page that its author uploaded or can see: showing
    it never makes visible a file its writer could not see."""
    return attachment.uploader_id == user.id or can_view(user, attachment)


def can_archive(user: User, page: Page) -> bool:
    """The page's creator and administrators may archive and restore it."""
    return user.is_admin or page.created_by_id == user.id


def require_archive(user: User, page: Page) -> None:
    """Raise PermissionDenied unless ``user`` may archive or restore ``page``."""
    if not can_archive(user, page):
        raise PermissionDenied(
            "Only the page's author or an administrator can archive or restore it."
        )


def can_manage(user: User, proposal: Proposal) -> bool:
    """The proposal's author (and administrators) may edit, submit, withdraw and reopen it."""
    return user.is_admin or proposal.author_id == user.id


def require_manage(user: User, proposal: Proposal) -> None:
    """Raise PermissionDenied unless ``user`` may change ``proposal``."""
    if not can_manage(user, proposal):
        raise PermissionDenied(
            f"This is {proposal.author.name}'s proposal. Suggest changes in a review comment instead."
        )


def can_review(user: User, proposal: Proposal) -> bool:
    """Anyone but the author may review: nobody approves their own proposal."""
    return proposal.author_id != user.id


def require_review(user: User, proposal: Proposal) -> None:
    """Raise PermissionDenied when ``user`` wrote ``proposal``."""
    if not can_review(user, proposal):
        raise PermissionDenied("You cannot review your own proposal.")


def can_approve(user: User, proposal: Proposal) -> bool:
    """Nobody approves a proposal they wrote a revision of (an editing administrator included)."""
    return user.id not in proposal.contributor_ids


def require_approve(user: User, proposal: Proposal) -> None:
    """Raise PermissionDenied when ``user`` contributed to ``proposal``."""
    if not can_approve(user, proposal):
        raise PermissionDenied(
            "You wrote a revision of this proposal, so your approval would not be independent. "
            "Leave a comment instead."
        )


def can_override(user: User, proposal: Proposal) -> bool:
    """Administrators may override a request for changes, except on proposals they wrote."""
    return user.is_admin and user.id not in proposal.contributor_ids


def require_override(user: User, proposal: Proposal) -> None:
    """Raise PermissionDenied unless ``user`` may override requests on ``proposal``."""
    if not user.is_admin:
        raise PermissionDenied("Only administrators can override a request for changes.")
    if not can_override(user, proposal):
        raise PermissionDenied(
            "You wrote a revision of this proposal; another administrator must decide."
        )


def can_apply_suggestion(user: User, proposal: Proposal) -> bool:
    """The author applies suggestions to their own proposal."""
    return can_manage(user, proposal)


def can_edit_rubric(user: User) -> bool:
    """Administrators maintain the review rubric."""
    return user.is_admin


def require_edit_rubric(user: User) -> None:
    """Raise PermissionDenied unless ``user`` is an administrator."""
    if not can_edit_rubric(user):
        raise PermissionDenied("Only administrators can edit the review rubric.")


def can_manage_people(user: User) -> bool:
    """Administrators invite people, confirm and change departments and grant admin rights."""
    return user.is_admin


def require_manage_people(user: User) -> None:
    """Raise PermissionDenied unless ``user`` is an administrator."""
    if not can_manage_people(user):
        raise PermissionDenied("Only administrators manage people.")


def can_read_audit(user: User) -> bool:
    """Administrators read the audit log."""
    return user.is_admin


def require_read_audit(user: User) -> None:
    """Raise PermissionDenied unless ``user`` is an administrator."""
    if not can_read_audit(user):
        raise PermissionDenied("Only administrators read the audit log.")


def can_manage_templates(user: User) -> bool:
    """Administrators keep the page templates offered to people creating pages."""
    return user.is_admin


def require_manage_templates(user: User) -> None:
    """Raise PermissionDenied unless ``user`` is an administrator."""
    if not can_manage_templates(user):
        raise PermissionDenied("Only administrators manage page templates.")


def can_manage_synonyms(user: User) -> bool:
    """Administrators keep the wiki's synonym sets and decide on suggested ones."""
    return user.is_admin


def require_manage_synonyms(user: User) -> None:
    """Raise PermissionDenied unless ``user`` is an administrator."""
    if not can_manage_synonyms(user):
        raise PermissionDenied("Only administrators manage synonyms.")


# ---- insight: reader feedback, analytics, expert directory ------------------------------------


def is_owner(user: User, owners: Collection[int]) -> bool:
    """Whether ``user`` answers for a page being true and reads its feedback: one of its owners
    (``owners``: their ids, maintainers of an owning space included) or an administrator."""
    return user.is_admin or user.id in owners


def can_give_feedback(user: User, page: Page) -> bool:
    """Signed-in readers of a live published page say whether it worked for them; the writer of
    the version they read does not vouch for their own text."""
    revision = page.published_revision
    return (
        revision is not None
        and not page.is_archived
        and can_view(user, page)
        and revision.author_id != user.id
    )


def require_give_feedback(user: User, page: Page) -> None:
    """Raise PermissionDenied unless ``user`` may give feedback on ``page``."""
    if not can_give_feedback(user, page):
        raise PermissionDenied(
            "You wrote this version of the page; readers tell you whether it worked."
        )


def can_read_feedback(user: User | None, owners: Collection[int]) -> bool:
    """A page's owners (``owners``: their ids) and administrators read the "didn't work" count
    and the readers' private notes; other readers see only how many it worked for."""
    return user is not None and is_owner(user, owners)


def can_view_analytics(user: User) -> bool:
    """Administrators read the peer-learning dashboard (aggregates, never one person's work)."""
    return user.is_admin


def require_view_analytics(user: User) -> None:
    """Raise PermissionDenied unless ``user`` may read the analytics dashboard."""
    if not can_view_analytics(user):
        raise PermissionDenied("Only administrators read the analytics dashboard.")


def can_view_activity(user: User, person: User) -> bool:
    """One person's own activity (reviews given, pages published week by week): themselves and
    administrators only."""
    return user.is_admin or user.id == person.id


def require_view_activity(user: User, person: User) -> None:
    """Raise PermissionDenied unless ``user`` may read ``person``'s activity."""
    if not can_view_activity(user, person):
        raise PermissionDenied("A person's activity is shown only to them and to administrators.")


def can_manage_owners(user: User, owners: Collection[int]) -> bool:
    """A page's owners (``owners``: their ids) and administrators change its owners, its
    owner-approval rule and its review interval."""
    return user.is_admin or user.id in owners


def require_manage_owners(user: User, page: Page, owners: Collection[int]) -> None:
    """Raise PermissionDenied unless ``user`` may change who owns ``page``."""
    if not can_manage_owners(user, owners):
        raise PermissionDenied(
            f"Only the owners of “{page.title}” or an administrator can change its owners."
        )


def can_verify(user: User, *, assignee_id: int | None, owners: Collection[int]) -> bool:
    """The person a verification is assigned to, the page's owners and administrators record
    its outcome."""
    return user.is_admin or user.id == assignee_id or user.id in owners


def require_verify(user: User, *, assignee_id: int | None, owners: Collection[int]) -> None:
    """Raise PermissionDenied unless ``user`` may record a verification's outcome."""
    if not can_verify(user, assignee_id=assignee_id, owners=owners):
        raise PermissionDenied(
            "Only the person asked, the page's owners or an administrator can verify this page."
        )


def is_space_member(user: User | None, space: Space) -> bool:
    """Named members and maintainers belong to a space, and so does everyone in the department
    of a department space (implicitly: no rows are copied for them)."""
    if user is None:
        return False
    if space.department_id is not None and user.department_id == space.department_id:
        return True
    return any(member.user_id == user.id for member in space.members)


def can_add_to_space(user: User, space: Space) -> bool:
    """Anyone may put pages in a department space (pages of any department are open to all);
    a project space takes pages from its members and administrators."""
    return user.is_admin or space.kind == SpaceKind.DEPARTMENT.value or is_space_member(user, space)


def can_create_space(user: User) -> bool:
    """Administrators create project spaces."""
    return user.is_admin


def require_create_space(user: User) -> None:
    """Raise PermissionDenied unless ``user`` is an administrator."""
    if not can_create_space(user):
        raise PermissionDenied("Only administrators create spaces.")


def can_manage_space(user: User, space: Space) -> bool:
    """Administrators and the space's maintainers change its settings and members."""
    return user.is_admin or any(
        member.user_id == user.id and member.role == SpaceRole.MAINTAINER.value
        for member in space.members
    )


def require_manage_space(user: User, space: Space) -> None:
    """Raise PermissionDenied unless ``user`` may manage ``space``."""
    if not can_manage_space(user, space):
        raise PermissionDenied(f"Only administrators and maintainers of {space.name} manage it.")


def can_move_directly(user: User) -> bool:
    """Administrators move pages at once (recorded in the audit log); everyone else proposes a
    move with an edit, which is reviewed."""
    return user.is_admin


def require_move_directly(user: User) -> None:
    """Raise PermissionDenied unless ``user`` may move a page without review."""
    if not can_move_directly(user):
        raise PermissionDenied(
            "Only administrators move pages directly; propose the move in an edit instead."
        )


# ---- onboarding paths ----


def can_view_path(reader: Reader, path: Path, latest: PathVersion | None) -> bool:
    """A path follows :func:`can_view`'s rules for pages: once published every reader sees it;
    before that, a version in review is for signed-in members and a draft (or a withdrawn one)
    for its author and administrators."""
    if isinstance(reader, System) or path.is_published:
        return True
    if reader is None or latest is None:
        return False
    if State(latest.state) in PRIVATE_STATES:
        return reader.is_admin or reader.id == latest.author_id
    return True


def can_manage_path_version(user: User, version: PathVersion) -> bool:
    """A version's author (and administrators) submit it for review."""
    return user.is_admin or version.author_id == user.id


def require_manage_path_version(user: User, version: PathVersion) -> None:
    """Raise PermissionDenied unless ``user`` may submit ``version``."""
    if not can_manage_path_version(user, version):
        raise PermissionDenied("Only the author of this version can submit it for review.")


def can_approve_path(user: User, version: PathVersion) -> bool:
    """As with pages, nobody approves a version of a path they wrote."""
    return version.author_id != user.id


def require_approve_path(user: User, version: PathVersion) -> None:
    """Raise PermissionDenied when ``user`` wrote ``version``."""
    if not can_approve_path(user, version):
        raise PermissionDenied(
            "You wrote this version of the path, so your review would not be independent."
        )


def can_own_path(user: User, path: Path, *, authors: Collection[int]) -> bool:
    """A path's owners are who made it and who wrote a version of it that was published
    (``authors``); they and administrators see who follows it and how far."""
    return user.is_admin or user.id == path.created_by_id or user.id in authors


def require_own_path(user: User, path: Path, *, authors: Collection[int]) -> None:
    """Raise PermissionDenied unless ``user`` owns ``path`` or is an administrator."""
    if not can_own_path(user, path, authors=authors):
        raise PermissionDenied("Only the path's owners and administrators see its progress.")


def can_assign_path(
    user: User, path: Path, *, authors: Collection[int], space_member: bool = False
) -> bool:
    """Administrators, the path's owners and members of its space give it to people or
    departments."""
    return can_own_path(user, path, authors=authors) or space_member


def require_assign_path(
    user: User, path: Path, *, authors: Collection[int], space_member: bool = False
) -> None:
    """Raise PermissionDenied unless ``user`` may assign ``path``."""
    if not can_assign_path(user, path, authors=authors, space_member=space_member):
        raise PermissionDenied(
            "Only administrators, the path's owners and members of its space can assign it."
        )


def can_find_experts(user: User | None) -> bool:
    """Signed-in members look up who knows about a tag or a space: it names colleagues by what
    they wrote and reviewed, which is for the company, not for every anonymous reader."""
    return user is not None


def require_find_experts(user: User | None) -> None:
    """Raise PermissionDenied unless ``user`` may use the expert directory."""
    if not can_find_experts(user):
        raise PermissionDenied("Sign in to see who knows about what.")
