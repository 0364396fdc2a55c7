"""Domain errors. They say what went wrong; the edge decides which HTTP status that is."""

from __future__ import annotations

from typing import Any


class WikiError(Exception):
    """Base class of every error the domain raises on purpose."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(WikiError):
    """The thing asked for does not exist (or is not visible to the asker)."""

    code = "not_found"


class PermissionDenied(WikiError):
    """The actor is known but may not do this."""

    code = "forbidden"


class ValidationError(WikiError):
    """Input was understood but is not acceptable; ``fields`` maps field names to messages."""

    code = "invalid"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


class Conflict(WikiError):
    """The request clashes with the current state of the data."""

    code = "conflict"


class EditConflict(Conflict):
    """An edit was based on a revision that is no longer the latest one."""

    code = "edit_conflict"

    def __init__(self, message: str, *, current: Any, base: Any) -> None:
        super().__init__(message)
        self.current = current
        self.base = base


class TooLarge(WikiError):
    """An upload is larger than the wiki accepts."""

    code = "too_large"
