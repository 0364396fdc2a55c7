"""Who may do what. Each ``can_x`` is a pure yes/no; ``require_x`` raises PermissionDenied."""

from __future__ import annotations

from app.exceptions import PermissionDenied
from app.models import Page, User


def can_archive(user: User, page: Page) -> bool:
    """The page's creator and administrators may archive and restore it."""
    return user.is_admin or page.created_by_id == user.id


def require_archive(user: User, page: Page) -> None:
    """Raise PermissionDenied unless ``user`` may archive or restore ``page``."""
    if not can_archive(user, page):
        raise PermissionDenied(
            "Only the page's author or an administrator can archive or restore it."
        )
