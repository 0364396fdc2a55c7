"""The verification schedule: due dates, freshness and when it next changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.review import approval, schedule
from app.review.approval import ApprovalRules
from app.review.schedule import FreshnessState

PUBLISHED = datetime(2026, 1, 10, 9, 30, tzinfo=UTC)


def test_due_date_is_an_interval_after_publication_when_never_verified() -> None:
    assert schedule.due_at(PUBLISHED, None, 180) == PUBLISHED + timedelta(days=180)


def test_a_later_verification_restarts_the_clock() -> None:
    verified = PUBLISHED + timedelta(days=100)
    assert schedule.due_at(PUBLISHED, verified, 30) == verified + timedelta(days=30)


def test_a_publication_after_the_last_verification_restarts_the_clock() -> None:
    verified = PUBLISHED - timedelta(days=400)
    assert schedule.due_at(PUBLISHED, verified, 90) == PUBLISHED + timedelta(days=90)


@pytest.mark.parametrize(
    ("now", "state", "days"),
    [
        (datetime(2026, 3, 1, 23, 0, tzinfo=UTC), FreshnessState.FRESH, 9),
        (datetime(2026, 3, 10, 9, 29, tzinfo=UTC), FreshnessState.FRESH, 0),
        (datetime(2026, 3, 10, 9, 30, tzinfo=UTC), FreshnessState.DUE, 0),
        (datetime(2026, 3, 20, 0, 0, tzinfo=UTC), FreshnessState.DUE, 10),
        (datetime(2026, 3, 24, 9, 30, tzinfo=UTC), FreshnessState.OVERDUE, 0),
        (datetime(2026, 4, 3, 12, 0, tzinfo=UTC), FreshnessState.OVERDUE, 10),
    ],
)
def test_freshness_counts_calendar_days(now: datetime, state: FreshnessState, days: int) -> None:
    due = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
    shown = schedule.freshness(due, now)
    assert (shown.state, shown.days) == (state, days)
    assert shown.overdue_at == due + schedule.GRACE


def test_freshness_changes_at_midnight_or_when_the_page_falls_due() -> None:
    due = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
    assert schedule.changes_at(due, datetime(2026, 3, 1, 15, 0, tzinfo=UTC)) == datetime(
        2026, 3, 2, tzinfo=UTC
    )
    assert schedule.changes_at(due, datetime(2026, 3, 10, 1, 0, tzinfo=UTC)) == due
    overdue = due + schedule.GRACE
    assert schedule.changes_at(due, overdue - timedelta(minutes=1)) == overdue


class _Person:
    def __init__(self, id: int, department_id: int = 1) -> None:  # noqa: A002
        self.id, self.department_id = id, department_id
        self.username = self.name = f"p{id}"
        self.department_confirmed = True


class _Ballot:
    def __init__(self, reviewer: _Person, verdict: str = "approve") -> None:
        self.reviewer, self.reviewer_id, self.verdict = reviewer, reviewer.id, verdict
        self.revision_id, self.dismissed_at, self.overridden_at = 7, None, None


def _status(
    ballots: list[_Ballot], *, owners: set[int], rule: bool, contributors: set[int]
) -> approval.ApprovalStatus:
    return approval.evaluate(
        ballots, rules=ApprovalRules(owner_approval=rule), head_revision_id=7, department_id=1,
        contributor_ids=contributors, owner_ids=owners,
    )  # fmt: skip


def test_owner_rule_needs_an_approval_from_an_owner() -> None:
    peer, owner = _Person(2), _Person(3)
    waiting = _status([_Ballot(peer)], owners={3}, rule=True, contributors={1})
    assert not waiting.satisfied
    assert waiting.describe() == "Needs an owner's approval."
    assert _status(
        [_Ballot(peer), _Ballot(owner)], owners={3}, rule=True, contributors={1}
    ).satisfied
    assert _status([_Ballot(peer)], owners={3}, rule=False, contributors={1}).satisfied


def test_an_owner_who_contributed_does_not_count_for_the_owner_rule() -> None:
    owner = _Person(3)
    status = _status(
        [_Ballot(owner), _Ballot(_Person(2))], owners={3}, rule=True, contributors={1, 3}
    )
    assert not status.satisfied


def test_the_owner_rule_survives_department_rules() -> None:
    class Department:
        required_approvals, require_cross_department = 2, None

    assert ApprovalRules(owner_approval=True).for_department(Department()).owner_approval
