"""States a revision moves through."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """Lifecycle of a revision, from first draft to published (and replaced) knowledge."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"
