"""Close spellings, shared by the search backends: typo tolerance and "Did you mean"."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence

from rapidfuzz import process
from rapidfuzz.distance import OSA

from app.search import query
from app.search.analysis import fold

#: Below this many results a spelling suggestion is offered (and close spellings are searched).
SUGGEST_BELOW = 3
#: The least share of a word a "Did you mean" replacement keeps (1 - edits / longer length):
#: a one-letter typo in a four-letter word is offered, but gibberish such as "zxq" or "qwfpgj",
#: which a word of the wiki matches only by changing a third of it, gets no suggestion.
MIN_SUGGESTION_SIMILARITY = 0.75
#: A word the suggestion may replace: three or more letters, not part of ``field:value`` or -x.
_CORRECTABLE = re.compile(r"(?<![:\w-])[^\W\d_]{3,}(?![:\w])")
_WORD = re.compile(r"\w+", re.UNICODE)


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
            if _similar_enough(key, candidate, distance) and (count := pages(candidate))
        ]
        if not close:
            return word
        changed = True
        return min(close)[2]

    result = _CORRECTABLE.sub(fix, text)
    return result if changed else None


def _similar_enough(word: str, candidate: str, distance: int) -> bool:
    return 1 - distance / max(len(word), len(candidate)) >= MIN_SUGGESTION_SIMILARITY


def close_spellings(root: query.Node | None, stem: Callable[[str], str]) -> query.Node | None:
    """Close spellings of the query's plain words (three letters or more, searched in the
    default fields): titles word for word, the body by the word's stem (``stem(word)``).

    None when there is nothing to widen: no plain words, or a phrase asks for exact words.
    """
    leaves = list(query.positive_leaves(root))
    if any(isinstance(leaf, query.Phrase) for leaf in leaves):
        return None
    words = dict.fromkeys(
        word
        for leaf in leaves
        if isinstance(leaf, query.Term | query.Prefix | query.Fuzzy) and leaf.field is None
        for word in _WORD.findall(leaf.text.lower())
        if len(word) > 2
    )
    clauses: list[query.Node] = []
    for word in words:
        clauses.append(query.Fuzzy(word, "title_exact", typo_distance(word), prefix=1))
        clauses.append(query.Fuzzy(word, "body", typo_distance(stem(word)), prefix=1))
    return query.Or(tuple(clauses)) if clauses else None


def widened(root: query.Node | None, close: query.Node) -> query.Node:
    """``root`` or ``close`` (ranked below exact matches by their scores), keeping the query's
    exclusions: "helo -world" finds "hello moon", not "hello world"."""
    if root is None:
        return close
    if isinstance(root, query.And):
        excluded = [child for child in root.children if isinstance(child, query.Not)]
        kept = [child for child in root.children if not isinstance(child, query.Not)]
        if excluded and kept:
            wanted = kept[0] if len(kept) == 1 else query.And(tuple(kept))
            return query.And((query.Or((wanted, close)), *excluded))
    return query.Or((root, close))
