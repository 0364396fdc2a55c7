"""Who may do what. Each ``can_x`` is a pure yes/no; ``require_x`` raises PermissionDenied."""

from __future__ import annotations

from app.exceptions import PermissionDenied
from app.models import Page, Proposal, User


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


def can_override(user: User) -> bool:
    """Only administrators may override a request for changes."""
    return user.is_admin


def require_override(user: User) -> None:
    """Raise PermissionDenied unless ``user`` is an administrator."""
    if not can_override(user):
        raise PermissionDenied("Only administrators can override a request for changes.")


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
