"""Retry rules of the job queue: exponential backoff with a ceiling."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.services import queue


@pytest.mark.parametrize(
    ("attempts", "delay"),
    [(0, 10), (1, 10), (2, 20), (3, 40), (4, 80), (9, 2560), (10, 3600), (40, 3600)],
)
def test_each_failure_doubles_the_wait_up_to_the_cap(attempts: int, delay: int) -> None:
    assert queue.backoff(attempts) == timedelta(seconds=delay)


def test_the_base_and_cap_can_be_chosen() -> None:
    delays = [
        queue.backoff(n, base=timedelta(seconds=1), cap=timedelta(seconds=5)) for n in range(1, 6)
    ]
    assert delays == [timedelta(seconds=s) for s in (1, 2, 4, 5, 5)]
