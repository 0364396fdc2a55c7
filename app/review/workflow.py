"""The review state machine: which action moves a proposal from which state to which.

It is a table, not a web of ``if``s, so every pair is visible and unit-tested.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from app.exceptions import Conflict


class State(StrEnum):
    """Lifecycle of a proposal (and of the revision at its head)."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    """Something that happens to a proposal."""

    REVISE = "revise"  # the author pushes a new revision
    SUBMIT = "submit"  # the author asks for review (again)
    APPROVE = "approve"  # the approval rules are now met
    REQUEST_CHANGES = "request_changes"  # a reviewer blocks publication
    UNBLOCK = "unblock"  # blocks and approvals are gone: back to plain review
    PUBLISH = "publish"
    WITHDRAW = "withdraw"
    REOPEN = "reopen"
    SUPERSEDE = "supersede"  # a later proposal of the same page was published
    IMPORT = "import"  # trusted content import: published without review


OPEN_STATES: Final = frozenset(
    {State.DRAFT, State.IN_REVIEW, State.CHANGES_REQUESTED, State.APPROVED}
)
REVIEWABLE_STATES: Final = frozenset({State.IN_REVIEW, State.CHANGES_REQUESTED, State.APPROVED})
#: Where the author may ask (more) people to review.
REQUEST_REVIEW_STATES: Final = frozenset({State.DRAFT, State.IN_REVIEW, State.CHANGES_REQUESTED})

TRANSITIONS: Final[dict[tuple[State, Action], State]] = {
    (State.DRAFT, Action.REVISE): State.DRAFT,
    (State.DRAFT, Action.SUBMIT): State.IN_REVIEW,
    (State.DRAFT, Action.WITHDRAW): State.WITHDRAWN,
    (State.DRAFT, Action.IMPORT): State.PUBLISHED,
    (State.IN_REVIEW, Action.REVISE): State.IN_REVIEW,
    (State.IN_REVIEW, Action.APPROVE): State.APPROVED,
    (State.IN_REVIEW, Action.REQUEST_CHANGES): State.CHANGES_REQUESTED,
    (State.IN_REVIEW, Action.WITHDRAW): State.WITHDRAWN,
    (State.CHANGES_REQUESTED, Action.REVISE): State.CHANGES_REQUESTED,
    (State.CHANGES_REQUESTED, Action.SUBMIT): State.IN_REVIEW,
    (State.CHANGES_REQUESTED, Action.APPROVE): State.APPROVED,
    (State.CHANGES_REQUESTED, Action.UNBLOCK): State.IN_REVIEW,
    (State.CHANGES_REQUESTED, Action.WITHDRAW): State.WITHDRAWN,
    (State.APPROVED, Action.REVISE): State.IN_REVIEW,  # a new revision dismisses approvals
    (State.APPROVED, Action.REQUEST_CHANGES): State.CHANGES_REQUESTED,
    (State.APPROVED, Action.UNBLOCK): State.IN_REVIEW,
    (State.APPROVED, Action.PUBLISH): State.PUBLISHED,
    (State.APPROVED, Action.WITHDRAW): State.WITHDRAWN,
    (State.WITHDRAWN, Action.REOPEN): State.DRAFT,
    (State.PUBLISHED, Action.SUPERSEDE): State.SUPERSEDED,
}

_MESSAGES: Final[dict[Action, str]] = {
    Action.REVISE: "Only open proposals can be edited; reopen it first.",
    Action.SUBMIT: "Only drafts and proposals with requested changes can be submitted for review.",
    Action.APPROVE: "Only proposals in review can be approved.",
    Action.REQUEST_CHANGES: "Only proposals in review can have changes requested.",
    Action.UNBLOCK: "Only blocked or approved proposals can return to review.",
    Action.PUBLISH: "Only approved proposals can be published.",
    Action.WITHDRAW: "Only open proposals can be withdrawn.",
    Action.REOPEN: "Only withdrawn proposals can be reopened.",
    Action.SUPERSEDE: "Only published versions can be superseded.",
    Action.IMPORT: "Only drafts can be published by an import.",
}


class InvalidTransition(Conflict):
    """The action is not allowed in the proposal's current state."""

    code = "invalid_transition"

    def __init__(self, state: State, action: Action) -> None:
        label = state.value.replace("_", " ")
        super().__init__(f"This proposal is {label}. {_MESSAGES[action]}")
        self.state = state
        self.action = action


def advance(state: State | str, action: Action) -> State:
    """Return the state after ``action``; raise InvalidTransition if it is not allowed."""
    state = State(state)
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise InvalidTransition(state, action) from None


def allowed(state: State | str, action: Action) -> bool:
    """Tell whether ``action`` is possible in ``state``."""
    return (State(state), action) in TRANSITIONS
