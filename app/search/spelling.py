"""Close spellings, shared by the search backends: typo tolerance and "Did you mean"."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence

from rapidfuzz import process
from rapidfuzz.distance import OSA

from app.search.analysis import fold

#: Below this many results a spelling suggestion is offered (and close spellings are searched).
SUGGEST_BELOW = 3
#: A word the suggestion may replace: three or more letters, not part of ``field:value`` or -x.
_CORRECTABLE = re.compile(r"(?<![:\w-])[^\W\d_]{3,}(?![:\w])")


def typo_distance(word: str) -> int:
    """How many edits a close spelling of ``word`` may differ by (longer words allow two)."""
    return 1 if len(word) < 6 else 2


def close_words(
    words: Sequence[str], text: str, maxdist: int, prefix: int = 0
) -> list[tuple[str, int]]:
    """Words of the sorted ``words`` within ``maxdist`` edits of ``text`` that share its first
    ``prefix`` letters, with their distances. Two swapped letters count as one edit: "fomr"
    finds "form"."""
    start = text[:prefix]
    low = bisect_left(words, start)
    high = bisect_left(words, start + "\U0010ffff") if start else len(words)
    found = process.extract(
        text, words[low:high], scorer=OSA.distance, score_cutoff=maxdist, limit=None
    )
    return [(word, int(distance)) for word, distance, _ in found]


def corrected(
    text: str,
    pages: Callable[[str], int],
    candidates: Callable[[str], Iterable[tuple[str, int]]],
) -> str | None:
    """``text`` with each unknown word replaced by its closest known word, or None if none was.

    ``pages(word)`` counts the pages the asker may see that hold ``word``; ``candidates(word)``
    gives close words with their distances. The closest word wins (fewest edits, then the most
    pages), and only words of pages the asker may see are offered: never a word only a private
    proposal or a removed page has.
    """
    changed = False

    def fix(match: re.Match[str]) -> str:
        nonlocal changed
        word = match.group(0)
        key = fold(word.lower())
        if len(key) < 3 or pages(key):
            return word
        close = [
            (distance, -count, candidate)
            for candidate, distance in candidates(key)
            if (count := pages(candidate))
        ]
        if not close:
            return word
        changed = True
        return min(close)[2]

    result = _CORRECTABLE.sub(fix, text)
    return result if changed else None
