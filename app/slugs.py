"""Turn titles and names into stable URL slugs."""

from __future__ import annotations

from slugify import slugify as _slugify

MAX_SLUG_LENGTH = 120


def slugify(text: str) -> str:
    """Return the lowercase, hyphenated, ASCII slug of ``text`` ('' when nothing is left)."""
    return _slugify(text, max_length=MAX_SLUG_LENGTH, word_boundary=True)
