"""When a page falls due for verification, and how fresh it is now. Pure: no database.

A page's clock starts at its latest publication or verification, whichever is later (a
published change was reviewed, so it is as good as a verification). It falls due ``interval``
days later: a verification opens then. It is *overdue* ``GRACE`` after that: readers see a
banner and search ranks it lower.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Final

#: Days between verifications when neither the page nor its space says otherwise.
DEFAULT_INTERVAL_DAYS: Final = 180
#: How long an open verification may wait before the page counts as overdue.
GRACE: Final = timedelta(days=14)
#: The longest interval a page or space may ask for (ten years).
MAX_INTERVAL_DAYS: Final = 3650


class FreshnessState(StrEnum):
    """How a published page stands against its schedule."""

    FRESH = "fresh"  #: not due yet
    DUE = "due"  #: due: a verification is (or is about to be) open
    OVERDUE = "overdue"  #: due for longer than ``GRACE``


@dataclass(frozen=True)
class Freshness:
    """A page's freshness at one moment."""

    state: FreshnessState
    due_at: datetime
    #: FRESH: whole days until it is due; DUE: days since it fell due; OVERDUE: days overdue.
    days: int

    @property
    def overdue_at(self) -> datetime:
        return self.due_at + GRACE


def due_at(published_at: datetime, verified_at: datetime | None, interval_days: int) -> datetime:
    """When a page published at ``published_at`` and last verified at ``verified_at`` falls due."""
    anchor = max(published_at, verified_at) if verified_at is not None else published_at
    return anchor + timedelta(days=interval_days)


def freshness(due: datetime, now: datetime) -> Freshness:
    """Where a page due at ``due`` stands at ``now`` (days count UTC calendar days)."""
    overdue = due + GRACE
    if now >= overdue:
        return Freshness(FreshnessState.OVERDUE, due, _days(overdue, now))
    if now >= due:
        return Freshness(FreshnessState.DUE, due, _days(due, now))
    return Freshness(FreshnessState.FRESH, due, _days(now, due))


def changes_at(due: datetime, now: datetime) -> datetime:
    """The next moment after ``now`` at which :func:`freshness` reads differently: the next UTC
    midnight (a day count moves on), or the moment the page falls due or becomes overdue."""
    midnight = datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(), UTC)
    return min(moment for moment in (midnight, due, due + GRACE) if moment > now)


def _days(earlier: datetime, later: datetime) -> int:
    return (later.astimezone(UTC).date() - earlier.astimezone(UTC).date()).days
