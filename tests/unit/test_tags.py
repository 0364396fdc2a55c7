"""``normalise_tags``: tags from a list or a comma-separated string become unique slugs."""

from __future__ import annotations

import pytest

from app.services.pages import normalise_tags


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["Finance", "HR"], ["finance", "hr"]),
        (("travel", "expenses"), ["travel", "expenses"]),
        ("Finance, HR ,  travel", ["finance", "hr", "travel"]),
        ("single", ["single"]),
        (["Travel Policy", "Crème Brûlée"], ["travel-policy", "creme-brulee"]),
        ("Travel Policy, On-boarding", ["travel-policy", "on-boarding"]),
    ],
)
def test_tags_become_lowercase_slugs_in_order(tags: list[str] | str, expected: list[str]) -> None:
    assert normalise_tags(tags) == expected


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["hr", "HR", " Hr "], ["hr"]),
        ("HR, finance, hr", ["hr", "finance"]),
        (["Travel Policy", "travel-policy", "travel policy"], ["travel-policy"]),
        ("Café, cafe", ["cafe"]),
    ],
)
def test_duplicate_tags_are_kept_once_at_their_first_position(
    tags: list[str] | str, expected: list[str]
) -> None:
    assert normalise_tags(tags) == expected


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ("", []),
        ([], []),
        (["", "  ", "!!!"], []),
        ("a,,b, ,", ["a", "b"]),
        (",,,", []),
        (["x", "", "y"], ["x", "y"]),
    ],
)
def test_blank_tags_are_dropped(tags: list[str] | str, expected: list[str]) -> None:
    assert normalise_tags(tags) == expected


def test_commas_inside_a_list_item_do_not_split_it() -> None:
    assert normalise_tags(["a,b"]) == ["a-b"]
