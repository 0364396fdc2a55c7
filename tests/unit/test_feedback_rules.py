"""When readers' "didn't work" reports open a verification early."""

from __future__ import annotations

import pytest

from app.services.feedback import crosses_threshold


@pytest.mark.parametrize(
    ("before", "after", "threshold", "opens"),
    [
        (0, 1, 3, False),  # one report of three
        (1, 2, 3, False),
        (2, 3, 3, True),  # the third report reaches it
        (3, 4, 3, False),  # past it: the verification is open already
        (3, 3, 3, False),  # a reader who said "didn't work" says it again
        (3, 2, 3, False),  # a reader changed their mind
        (2, 2, 3, False),  # a "worked" vote changes nothing
        (0, 1, 1, True),  # a space that asks at the first report
    ],
)
def test_only_the_report_that_reaches_the_threshold_opens_a_verification(
    before: int, after: int, threshold: int, opens: bool
) -> None:
    assert crosses_threshold(before, after, threshold) is opens
