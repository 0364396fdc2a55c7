"""Slugs: lowercase, hyphenated, ASCII, and no longer than MAX_SLUG_LENGTH."""

from __future__ import annotations

import pytest

from app.slugs import MAX_SLUG_LENGTH, slugify


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Expense Policy", "expense-policy"),
        ("Hello, World!", "hello-world"),
        ("  Hello   World  ", "hello-world"),
        ("Onboarding: Week 1 (IT)", "onboarding-week-1-it"),
        ("Title 2024", "title-2024"),
        ("snake_case_name", "snake-case-name"),
        ("hello---world", "hello-world"),
        ("-leading and trailing-", "leading-and-trailing"),
        ("tab\tand\nnewline", "tab-and-newline"),
        ("ALL CAPS", "all-caps"),
    ],
)
def test_slug_is_lowercase_words_joined_by_hyphens(text: str, slug: str) -> None:
    assert slugify(text) == slug


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Crème Brûlée", "creme-brulee"),
        ("Ünïcödé", "unicode"),
        ("Straße", "strasse"),
        ("Ærøskøbing", "aeroskobing"),
        ("Привет мир", "privet-mir"),
        ("Zürich café", "zurich-cafe"),
        ("emoji 🚀 rocket", "emoji-rocket"),
    ],
)
def test_slug_transliterates_unicode_to_ascii(text: str, slug: str) -> None:
    assert slugify(text) == slug
    assert slugify(text).isascii()


@pytest.mark.parametrize("text", ["", "   ", "!!!", "?!.,;:", "— –", "🚀🎉", "\t\n"])
def test_slug_is_empty_when_only_punctuation_is_left(text: str) -> None:
    assert slugify(text) == ""


def test_long_title_is_cut_at_a_word_boundary() -> None:
    # 12 words of 9 letters fill 119 characters; a 13th would end mid-word at 120.
    assert slugify("abcdefghi " * 20) == "-".join(["abcdefghi"] * 12)


def test_long_title_that_fits_exactly_keeps_every_word_that_fits() -> None:
    # 11 words of 10 letters and 10 hyphens are exactly 120 characters.
    assert slugify("abcdefghij " * 15) == "-".join(["abcdefghij"] * 11)


def test_single_word_longer_than_the_limit_is_cut_to_the_limit() -> None:
    assert slugify("x" * 500) == "x" * MAX_SLUG_LENGTH


@pytest.mark.parametrize(
    "text",
    ["word " * 100, "Crème " * 50, "a-" * 200, "Policy for " + "very " * 40 + "long titles"],
)
def test_slug_never_exceeds_the_maximum_or_ends_with_a_hyphen(text: str) -> None:
    slug = slugify(text)
    assert 0 < len(slug) <= MAX_SLUG_LENGTH
    assert not slug.endswith("-") and not slug.startswith("-")


@pytest.mark.parametrize("text", ["Expense Policy", "Crème Brûlée", "a_b c", "x" * 500])
def test_slugifying_a_slug_changes_nothing(text: str) -> None:
    assert slugify(slugify(text)) == slugify(text)
