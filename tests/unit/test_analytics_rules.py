"""The analytics' rules: weeks, quantiles (median and 90th percentile), shares, due dates and
the range a dashboard may ask for."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy
import pytest

from app.exceptions import ValidationError
from app.services import analytics


@pytest.mark.parametrize(
    ("day", "monday"),
    [(date(2026, 11, 30), date(2026, 11, 30)), (date(2026, 12, 6), date(2026, 11, 30)),
     (date(2026, 12, 2), date(2026, 11, 30)), (date(2027, 1, 1), date(2026, 12, 28))],
)  # fmt: skip
def test_a_week_starts_on_its_monday(day: date, monday: date) -> None:
    assert analytics.week_of(day) == monday


@pytest.mark.parametrize(
    "values",
    [[5.0], [1.0, 2.0], [1.0, 2.0, 3.0, 4.0], [float(n) for n in range(1, 11)],
     [0.5, 2.0, 2.0, 7.0, 30.0, 31.0, 200.0], [float(n * n) for n in range(37)]],
)  # fmt: skip
@pytest.mark.parametrize("percent", [analytics.MEDIAN, analytics.P90])
def test_quantiles_interpolate_between_the_closest_ranks_like_numpy(
    values: list[float], percent: int
) -> None:
    assert analytics.quantile(values, percent) == pytest.approx(numpy.percentile(values, percent))


def test_the_median_of_an_even_count_is_halfway_and_p90_of_ten_is_near_the_top() -> None:
    assert analytics.quantile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert analytics.quantile([float(n) for n in range(1, 11)], 90) == pytest.approx(9.1)
    assert analytics.quantile_rank(4, 50) == (2, 0.5)  # halfway from the 2nd value to the 3rd
    assert analytics.quantile_rank(1, 90) == (1, 0.0)


@pytest.mark.parametrize(
    ("part", "whole", "expected"), [(0, 0, None), (0, 4, 0.0), (2, 3, 0.667), (5, 5, 1.0)]
)
def test_a_share_is_rounded_and_none_without_a_whole(
    part: int, whole: int, expected: float | None
) -> None:
    assert analytics.share(part, whole) == expected


def test_the_default_range_is_the_last_12_weeks_up_to_this_one() -> None:
    chosen = analytics.filters(now=datetime(2026, 12, 2, 15, tzinfo=UTC))
    assert chosen.last == date(2026, 11, 30)
    assert chosen.first == date(2026, 9, 14)
    assert len(chosen.weeks) == 12 and chosen.end == datetime(2026, 12, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end"), [(date(2026, 12, 1), date(2026, 11, 1)), (date(2020, 1, 1), date(2026, 1, 1))]
)
def test_a_range_that_runs_backwards_or_longer_than_two_years_is_refused(
    start: date, end: date
) -> None:
    with pytest.raises(ValidationError):
        analytics.filters(start=start, end=end)
