"""The approval rules: when do a proposal's reviews allow it to be published. Pure: no database.

The rules read reviews and people through small protocols, so the service passes its models
and the unit tests pass plain values.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Protocol, TypeVar


class Verdict(StrEnum):
    """What a reviewer concludes."""

    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    COMMENT = "comment"


class Person(Protocol):
    """A reviewer as the rules see them."""

    @property
    def id(self) -> int: ...

    @property
    def username(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def department_id(self) -> int: ...

    @property
    def department_confirmed(self) -> bool: ...


class Ballot(Protocol):
    """A review as the rules see it."""

    @property
    def reviewer_id(self) -> int: ...

    @property
    def reviewer(self) -> Person: ...

    @property
    def verdict(self) -> str: ...

    @property
    def revision_id(self) -> int: ...

    @property
    def dismissed_at(self) -> datetime | None: ...

    @property
    def overridden_at(self) -> datetime | None: ...


class DepartmentRules(Protocol):
    """A department's own settings (None: use the global one)."""

    @property
    def required_approvals(self) -> int | None: ...

    @property
    def require_cross_department(self) -> bool | None: ...


B = TypeVar("B", bound=Ballot)


class SpaceRules(Protocol):
    """A space's own approval count (None: the department's or the global one)."""

    @property
    def required_approvals(self) -> int | None: ...


@dataclass(frozen=True)
class ApprovalRules:
    """How many approvals publication needs, and whether one must cross departments."""

    required: int = 1
    cross_department: bool = False
    #: One approval must come from an owner of the page who did not contribute (code owners).
    owner_approval: bool = False

    def for_department(self, department: DepartmentRules | None) -> ApprovalRules:
        """Apply a department's own settings over the global ones."""
        if department is None:
            return self
        return ApprovalRules(
            required=department.required_approvals or self.required,
            cross_department=(
                self.cross_department
                if department.require_cross_department is None
                else department.require_cross_department
            ),
            owner_approval=self.owner_approval,
        )

    def for_space(self, space: SpaceRules | None) -> ApprovalRules:
        """Apply a space's approval count over the department's and global ones."""
        if space is None or space.required_approvals is None:
            return self
        return replace(self, required=space.required_approvals)


@dataclass(frozen=True)
class ApprovalStatus:
    """Where a proposal stands against the approval rules."""

    rules: ApprovalRules
    approvers: list[Person]
    blockers: list[Person]
    cross_department_approval: bool
    #: Whether an owner who did not contribute approved (True when the rule is off).
    owner_approved: bool = True

    @property
    def satisfied(self) -> bool:
        """Whether the proposal may be published now."""
        enough = len(self.approvers) >= self.rules.required
        crossed = self.cross_department_approval or not self.rules.cross_department
        owned = self.owner_approved or not self.rules.owner_approval
        return enough and crossed and owned and not self.blockers

    def describe(self) -> str:
        """Say in one sentence what publication still waits for."""
        if self.blockers:
            names = ", ".join(person.name for person in self.blockers)
            return f"Changes requested by {names}: publication waits until they approve."
        missing = self.rules.required - len(self.approvers)
        parts = []
        if missing > 0:
            parts.append(f"{missing} more approval{'s' if missing > 1 else ''}")
        if self.rules.cross_department and not self.cross_department_approval:
            parts.append("an approval from another department")
        if self.rules.owner_approval and not self.owner_approved:
            parts.append("an owner's approval")
        if not parts:
            return "All approval rules are met."
        return "Needs " + " and ".join(parts) + "."


def latest_verdicts(ballots: Iterable[B]) -> dict[int, B]:
    """Each reviewer's latest approval or request for changes (comments decide nothing)."""
    latest: dict[int, B] = {}
    for ballot in ballots:
        if ballot.verdict != Verdict.COMMENT:
            latest[ballot.reviewer_id] = ballot
    return latest


def blocking(ballots: Iterable[B]) -> list[B]:
    """Requests for changes that still stand: the reviewer has not approved since, nobody overrode."""
    return [
        ballot
        for ballot in latest_verdicts(ballots).values()
        if ballot.verdict == Verdict.REQUEST_CHANGES and ballot.overridden_at is None
    ]


def approvals_in_force(ballots: Iterable[B]) -> list[B]:
    """The approvals not dismissed yet; a new revision dismisses every one of them."""
    return [
        ballot
        for ballot in ballots
        if ballot.verdict == Verdict.APPROVE and ballot.dismissed_at is None
    ]


def evaluate(
    ballots: Collection[Ballot],
    *,
    rules: ApprovalRules,
    head_revision_id: int | None,
    department_id: int,
    contributor_ids: Collection[int],
    owner_ids: Collection[int] = (),
) -> ApprovalStatus:
    """Evaluate a proposal's reviews against ``rules`` (already specific to its department).

    An approval counts when it is the reviewer's latest verdict, is on the head revision, was
    not dismissed, the reviewer wrote none of the proposal's revisions and an administrator
    confirmed their department. With ``rules.owner_approval`` one of the approvers must be in
    ``owner_ids`` (the page's owners).
    """
    approvers = [
        ballot.reviewer
        for ballot in latest_verdicts(ballots).values()
        if ballot.verdict == Verdict.APPROVE
        and ballot.dismissed_at is None
        and ballot.revision_id == head_revision_id
        and ballot.reviewer_id not in contributor_ids
        and ballot.reviewer.department_confirmed
    ]
    blockers = [ballot.reviewer for ballot in blocking(ballots)]
    crossed = any(person.department_id != department_id for person in approvers)
    owned = any(person.id in owner_ids for person in approvers)
    return ApprovalStatus(rules, approvers, blockers, crossed, owned)
