"""Relative times, and how long each keeps its text (which bounds how long a page is cached)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.views.filters import unchanged_for, when


def _label(age: float) -> str:
    """The text ``when`` shows for a time ``age`` seconds ago (half a second inside the second,
    so the test's own running time does not move it)."""
    shown = when(datetime.now(UTC) - timedelta(seconds=age + 0.5))
    match = re.search(r">([^<]*)</time>", str(shown))
    assert match
    return match.group(1)


@pytest.mark.parametrize(
    "age", [0, 30, 59, 60, 119, 3599, 3600, 7300, 86399, 86400, 3 * 86400 + 5, 30 * 86400 + 9]
)
def test_a_relative_time_keeps_its_text_exactly_as_long_as_unchanged_for_says(age: int) -> None:
    lasts = unchanged_for(datetime.now(UTC) - timedelta(seconds=age + 0.5))
    assert lasts >= 1
    assert _label(age + lasts - 1) == _label(age)
    assert _label(age + lasts) != _label(age)


def test_a_time_older_than_a_month_keeps_its_date_for_good() -> None:
    assert unchanged_for(datetime.now(UTC) - timedelta(days=40)) > 10 * 365 * 86400
    assert unchanged_for(None) > 10 * 365 * 86400
