"""The approval rules on plain values: no app, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from app.review import approval
from app.review.approval import ApprovalRules, Verdict

HEAD = 20
OLD = 10
HOME = 1  # the page's department
THEN = datetime(2026, 1, 1, tzinfo=UTC)
DEFAULT_RULES = ApprovalRules()


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    department_id: int = 2
    department_confirmed: bool = True

    @property
    def username(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Ballot:
    reviewer: Person
    verdict: str
    revision_id: int = HEAD
    dismissed_at: datetime | None = None
    overridden_at: datetime | None = None

    @property
    def reviewer_id(self) -> int:
        return self.reviewer.id


@dataclass(frozen=True)
class Department:
    required_approvals: int | None = None
    require_cross_department: bool | None = None


ANA = Person(1, "Ana", department_id=HOME)
BEN = Person(2, "Ben", department_id=HOME)
CHO = Person(3, "Cho", department_id=2)


def status(
    *ballots: Ballot, rules: ApprovalRules = DEFAULT_RULES, contributors: set[int] | None = None
) -> approval.ApprovalStatus:
    return approval.evaluate(
        ballots,
        rules=rules,
        head_revision_id=HEAD,
        department_id=HOME,
        contributor_ids=contributors or set(),
    )


def test_no_reviews_is_not_enough() -> None:
    result = status()
    assert not result.satisfied
    assert result.describe() == "Needs 1 more approval."


def test_one_approval_on_the_head_meets_the_default_rule() -> None:
    result = status(Ballot(CHO, Verdict.APPROVE))
    assert result.satisfied and result.approvers == [CHO]
    assert result.describe() == "All approval rules are met."


@pytest.mark.parametrize(("required", "approvers", "satisfied"), [(2, 1, False), (2, 2, True)])
def test_required_approvals_are_counted(required: int, approvers: int, satisfied: bool) -> None:
    ballots = [Ballot(person, Verdict.APPROVE) for person in (BEN, CHO)[:approvers]]
    result = status(*ballots, rules=ApprovalRules(required=required))
    assert result.satisfied is satisfied
    if not satisfied:
        assert result.describe() == "Needs 1 more approval."


def test_comments_decide_nothing() -> None:
    result = status(Ballot(CHO, Verdict.APPROVE), Ballot(CHO, Verdict.COMMENT))
    assert result.satisfied


def test_an_approval_of_an_older_revision_does_not_count() -> None:
    assert not status(Ballot(CHO, Verdict.APPROVE, revision_id=OLD)).satisfied


def test_a_dismissed_approval_does_not_count() -> None:
    assert not status(Ballot(CHO, Verdict.APPROVE, dismissed_at=THEN)).satisfied


def test_a_new_revision_dismisses_every_approval_in_force() -> None:
    live = Ballot(CHO, Verdict.APPROVE)
    ballots = [
        live,
        Ballot(BEN, Verdict.APPROVE, dismissed_at=THEN),
        Ballot(ANA, Verdict.REQUEST_CHANGES),
        Ballot(ANA, Verdict.COMMENT),
    ]
    assert approval.approvals_in_force(ballots) == [live]


def test_contributors_approvals_do_not_count() -> None:
    result = status(Ballot(CHO, Verdict.APPROVE), contributors={CHO.id})
    assert not result.satisfied and result.approvers == []


def test_cross_department_rule_needs_an_outsider() -> None:
    rules = ApprovalRules(cross_department=True)
    insider = status(Ballot(BEN, Verdict.APPROVE), rules=rules)
    assert not insider.satisfied
    assert insider.describe() == "Needs an approval from another department."
    assert status(Ballot(BEN, Verdict.APPROVE), Ballot(CHO, Verdict.APPROVE), rules=rules).satisfied


def test_both_missing_parts_are_described() -> None:
    rules = ApprovalRules(required=3, cross_department=True)
    result = status(Ballot(BEN, Verdict.APPROVE), rules=rules)
    assert result.describe() == "Needs 2 more approvals and an approval from another department."


def test_a_request_for_changes_blocks_until_the_same_reviewer_approves() -> None:
    blocked = status(Ballot(CHO, Verdict.REQUEST_CHANGES), Ballot(BEN, Verdict.APPROVE))
    assert not blocked.satisfied and blocked.blockers == [CHO]
    assert blocked.describe().startswith("Changes requested by Cho")
    lifted = status(Ballot(CHO, Verdict.REQUEST_CHANGES), Ballot(CHO, Verdict.APPROVE))
    assert lifted.satisfied and lifted.blockers == []


def test_an_overridden_request_for_changes_no_longer_blocks() -> None:
    ballots = [
        Ballot(CHO, Verdict.REQUEST_CHANGES, overridden_at=THEN),
        Ballot(BEN, Verdict.APPROVE),
    ]
    assert approval.blocking(ballots) == []
    assert status(*ballots).satisfied


def test_only_the_latest_verdict_of_each_reviewer_counts() -> None:
    assert not status(Ballot(CHO, Verdict.APPROVE), Ballot(CHO, Verdict.REQUEST_CHANGES)).satisfied
    latest = approval.latest_verdicts(
        [
            Ballot(CHO, Verdict.APPROVE),
            Ballot(CHO, Verdict.REQUEST_CHANGES),
            Ballot(BEN, Verdict.COMMENT),
        ]
    )
    assert {key: ballot.verdict for key, ballot in latest.items()} == {CHO.id: "request_changes"}


@pytest.mark.parametrize(
    ("department", "expected"),
    [
        (None, ApprovalRules(required=2, cross_department=False)),
        (Department(), ApprovalRules(required=2, cross_department=False)),
        (Department(required_approvals=3), ApprovalRules(required=3, cross_department=False)),
        (Department(require_cross_department=True), ApprovalRules(2, cross_department=True)),
        (Department(1, require_cross_department=False), ApprovalRules(1, cross_department=False)),
    ],
)
def test_department_settings_override_the_global_rules(
    department: Department | None, expected: ApprovalRules
) -> None:
    assert ApprovalRules(required=2).for_department(department) == expected


def test_a_department_may_relax_the_global_cross_department_rule() -> None:
    relaxed = ApprovalRules(cross_department=True).for_department(
        Department(require_cross_department=False)
    )
    assert status(Ballot(BEN, Verdict.APPROVE), rules=relaxed).satisfied


def test_an_approval_from_an_unconfirmed_department_counts_for_nothing() -> None:
    newcomer = Person(9, "Nia", department_id=2, department_confirmed=False)
    result = status(Ballot(newcomer, Verdict.APPROVE))
    assert not result.satisfied and result.approvers == []


def test_a_spaces_approval_count_overrides_the_departments_and_keeps_the_other_rules() -> None:
    class Space:
        required_approvals: int | None = 3

    rules = ApprovalRules(required=1, cross_department=True, owner_approval=True)
    assert rules.for_space(Space()) == ApprovalRules(3, cross_department=True, owner_approval=True)
    Space.required_approvals = None
    assert rules.for_space(Space()) == rules
    assert rules.for_space(None) == rules
