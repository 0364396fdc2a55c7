"""Ranking beyond BM25, shared by the Whoosh and in-memory backends: typos among correct
words, and evidence from several query words together.

**Typos among correct words.** Close spellings are searched for every word when few pages
match; when many do, a word that no page holds ("partioning tables") would add nothing, and the
correct words ("tables") would decide alone. ``unknown_words`` picks those words out, and the
backends add their close spellings to the query as well.

**Proximity.** BM25 adds up each word's score on its own, so a long page that mentions every word once, far
apart, ties with one where the words stand together in a sentence or in a heading and the
lines under it. The best matches (``RERANKED`` of them) get a bonus: the rarest set of distinct
query words found within ``WINDOW`` consecutive positions of the body (whose text holds the
headings where they stand), worth ``PROXIMITY`` times the sum of those words' idf; a single
word earns nothing.

The window and weight were chosen on half A of the relevance bench's questions (odd ids) and
are reported on half B (``docs/search-relevance.md``, which also records a title bonus for
short queries that was measured and left out). The PostgreSQL backend's ``ts_rank_cd`` already
rewards words that stand close together (cover density), so it does not use this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.search import query

#: How many of the best matches are re-scored (the rest keep their BM25 score, which is lower).
RERANKED = 100
#: Positions (stop words are not counted) within which query words count as together.
WINDOW = 20
#: Weight of the words found together, per unit of their idf.
PROXIMITY = 1.5


def best_window(positions: Sequence[Sequence[int]], weights: Sequence[float], span: int) -> float:
    """The largest sum of ``weights`` of distinct words (``positions[i]`` are word i's) that
    occur within ``span`` consecutive positions; 0 when no two words do."""
    events = sorted((position, word) for word, found in enumerate(positions) for position in found)
    best = 0.0
    counts = [0] * len(positions)
    total = 0.0
    distinct = 0
    start = 0
    for position, word in events:
        if counts[word] == 0:
            total += weights[word]
            distinct += 1
        counts[word] += 1
        while events[start][0] <= position - span:
            leaving = events[start][1]
            counts[leaving] -= 1
            if counts[leaving] == 0:
                total -= weights[leaving]
                distinct -= 1
            start += 1
        if distinct >= 2 and total > best:
            best = total
    return best


def bonus(positions: Sequence[Sequence[int]], weights: Sequence[float]) -> float:
    """The bonus of one page whose query words (``positions[i]`` are word i's, of idf
    ``weights[i]``) stand where they do in its body."""
    return PROXIMITY * best_window(positions, weights, WINDOW)


def unknown_words(root: query.Node | None, known: Callable[[str], bool]) -> query.Node | None:
    """The plain words of the query (three letters or more, searched in the default fields)
    for which ``known(word)`` is false, as alternatives; None when there are none."""
    unknown: list[query.Node] = [
        leaf
        for leaf in query.positive_leaves(root)
        if type(leaf) is query.Term and leaf.field is None
        and len(leaf.text) > 2 and leaf.text.isalpha() and not known(leaf.text)
    ]  # fmt: skip
    if not unknown:
        return None
    return unknown[0] if len(unknown) == 1 else query.Or(tuple(unknown))
