"""Evaluate Whoosh queries with numpy over whole posting lists: the search hot path.

Whoosh's matchers visit postings one document at a time in Python (about 2 µs each), so a
broad query over 10,000 pages spends 40–90 ms just adding up scores. Here the same postings
are read block by block into arrays, once per segment (segments never change), and every
document is scored at once with Whoosh's own BM25F formula and statistics (idf, average field
length, stored weights and lengths). Totals, facet counts and the ranking then come from array
operations. Query types not modelled here (ranges, spans, ...) are scored by Whoosh's own
matchers, so a query always gets Whoosh's scores; of the queries searches make
(``whoosh_query``), only ranges walk a matcher.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from whoosh import query, scoring
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from app.search.analysis import fold
from app.search.spelling import close_words
from app.search.whoosh_query import WithText

_Arrays = tuple[np.ndarray, ...]
#: How many terms' joined postings a searcher's view keeps (oldest dropped first).
MAX_TERMS_PER_SEARCHER = 2048
#: Queries that stand for the terms of the index they expand to.
EXPANDING = (query.Prefix, query.Wildcard, query.FuzzyTerm)


class SegmentCache:
    """Arrays read from segments, shared by every searcher of a process; least recently used
    entries are dropped beyond ``max_bytes``. Segments are immutable, so entries never go stale.
    """

    def __init__(self, max_bytes: int = 128 << 20) -> None:
        self._entries: OrderedDict[Hashable, _Arrays] = OrderedDict()
        self._bytes = 0
        self._max_bytes = max_bytes
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], _Arrays]) -> _Arrays:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        value = build()
        with self._lock:
            if key not in self._entries:
                self._entries[key] = value
                self._bytes += _nbytes(value)
                while self._bytes > self._max_bytes and len(self._entries) > 1:
                    _, dropped = self._entries.popitem(last=False)
                    self._bytes -= _nbytes(dropped)
            return self._entries.get(key, value)


@dataclass(frozen=True)
class Scored:
    """Which documents a query matched and their scores (one entry per document number)."""

    matched: np.ndarray  # bool
    scores: np.ndarray  # float64, 0 where not matched


class IndexArrays:
    """One searcher's view of the index as arrays: live documents, postings, lengths, columns."""

    def __init__(self, searcher: Searcher, cache: SegmentCache) -> None:
        self.searcher = searcher
        self.size = searcher.doc_count_all()
        self._cache = cache
        self._segments = [(sub.reader(), offset) for sub, offset in searcher.leaf_searchers()]
        self.live = np.zeros(self.size, dtype=bool)
        for reader, offset in self._segments:
            live = np.fromiter(reader.all_doc_ids(), dtype=np.int64)
            self.live[live + offset] = True
        self._terms: dict[tuple[str, bytes], _Arrays] = {}
        self._lengths: dict[str, np.ndarray] = {}
        self._facets: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
        self._columns: dict[str, np.ndarray] = {}
        self._lexicons: dict[str, list[str]] = {}
        self._expansions: dict[tuple[Any, ...], list[str]] = {}

    def term(self, field: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
        """Document numbers (deleted ones included) and stored weights of one term's postings."""
        ids, weights, _ = self._postings(field, btext)
        return ids, weights

    def _postings(self, field: str, btext: bytes) -> _Arrays:
        """(document numbers, weights, encoded values) of one term's postings."""
        key = (field, btext)
        if key not in self._terms:
            if len(self._terms) >= MAX_TERMS_PER_SEARCHER:  # the segment cache keeps the rest
                del self._terms[next(iter(self._terms))]
            parts = self._each_segment(
                ("postings", field, btext), lambda r: _postings(r, field, btext)
            )
            self._terms[key] = (
                _concat([ids + offset for (ids, _, _), offset in parts], np.int64),
                _concat([weights for (_, weights, _), _ in parts], np.float64),
                _concat([values for (_, _, values), _ in parts], object),
            )
        return self._terms[key]

    def lengths(self, field: str) -> np.ndarray:
        """Every document's length of ``field`` as Whoosh's scorers see it (at least 1)."""
        if field not in self._lengths:
            parts = self._each_segment(("lengths", field), lambda r: _lengths(r, field))
            self._lengths[field] = _concat([lengths for (lengths,), _ in parts], np.float64)
        return self._lengths[field]

    def column(self, field: str) -> np.ndarray:
        """A sortable numeric column (dates are stored as integers) for every document."""
        if field not in self._columns:
            parts = self._each_segment(("column", field), lambda r: _column(r, field))
            self._columns[field] = _concat([values for (values,), _ in parts], np.int64)
        return self._columns[field]

    def facet(self, field: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(values, document numbers, value codes): one pair per document and value of a
        comma-separated sortable column, for counting with ``np.bincount``."""
        if field not in self._facets:
            names: dict[str, int] = {}
            docs, codes = [], []
            for (seg_names, seg_docs, seg_codes), offset in self._each_segment(
                ("facet", field), lambda r: _facet_pairs(r, field)
            ):
                remap = np.array(
                    [names.setdefault(str(n), len(names)) for n in seg_names], np.int64
                )
                docs.append(seg_docs + offset)
                codes.append(remap[seg_codes] if len(seg_codes) else seg_codes)
            self._facets[field] = (list(names), _concat(docs, np.int64), _concat(codes, np.int64))
        return self._facets[field]

    def count(self, field: str, matched: np.ndarray) -> dict[str, int]:
        """How many matched documents carry each value of a facet field (non-zero counts only)."""
        names, docs, codes = self.facet(field)
        counts = np.bincount(codes[matched[docs]], minlength=len(names))
        return {names[i]: int(counts[i]) for i in np.flatnonzero(counts)}

    def lexicon(self, field: str) -> list[str]:
        """Every term of ``field``, sorted."""
        if field not in self._lexicons:
            parts = self._each_segment(("lexicon", field), lambda r: _lexicon(r, field))
            self._lexicons[field] = sorted(set().union(*(words for (words,), _ in parts)))
        return self._lexicons[field]

    def close_terms(
        self, field: str, text: str, maxdist: int, prefix: int = 0
    ) -> list[tuple[str, int]]:
        """Terms of ``field`` within ``maxdist`` edits of ``text`` that share its first
        ``prefix`` letters, with their distances. Two swapped letters count as one edit (Whoosh's
        automaton counts two): "fomr" finds "form"."""
        return close_words(self.lexicon(field), text, maxdist, prefix)

    def expand(self, q: query.Prefix | query.Wildcard | query.FuzzyTerm) -> list[str]:
        """The terms a prefix, wildcard or fuzzy term stands for."""
        key = (
            type(q).__name__,
            q.fieldname,
            q.text,
            getattr(q, "maxdist", 0),
            getattr(q, "prefixlength", 0),
        )
        if key not in self._expansions:
            if isinstance(q, query.FuzzyTerm):
                words = [
                    word
                    for word, _ in self.close_terms(q.fieldname, q.text, q.maxdist, q.prefixlength)
                ]
            else:
                field = self.searcher.schema[q.fieldname]
                words = [
                    field.from_bytes(b) if isinstance(b, bytes) else b
                    for b in q._btexts(self.searcher.reader())
                ]
            self._expansions[key] = words
        return self._expansions[key]

    def phrase_docs(
        self, field: str, btexts: Sequence[bytes], docs: np.ndarray, slop: int
    ) -> np.ndarray:
        """Which of ``docs`` (each holding every word) have the words in order, each within
        ``slop`` positions of the one before."""
        positions = [self._positions(field, btext, docs) for btext in btexts]
        return np.array(
            [_in_order([words[docnum] for words in positions], slop) for docnum in docs.tolist()],
            dtype=bool,
        )

    def positions(self, field: str, btext: bytes, docs: np.ndarray) -> dict[int, list[int]]:
        """The positions of one term in each of ``docs`` that contains it."""
        ids, _, _ = self._postings(field, btext)
        return self._positions(field, btext, docs[np.isin(docs, ids)])

    def _positions(self, field: str, btext: bytes, docs: np.ndarray) -> dict[int, list[int]]:
        """The positions of one term in each of ``docs`` (which all contain it)."""
        decode = self.searcher.schema[field].format.decoder("positions")
        ids, _, values = self._postings(field, btext)
        at = np.searchsorted(ids, docs)
        return {
            docnum: decode(values[i]) for docnum, i in zip(docs.tolist(), at.tolist(), strict=True)
        }

    def _each_segment(
        self, what: tuple[Any, ...], build: Callable[[IndexReader], _Arrays]
    ) -> list[tuple[_Arrays, int]]:
        """``build(reader)`` for each segment (cached: segments never change), with its offset."""
        found = []
        for reader, offset in self._segments:
            segment = reader.segment()
            if segment is None:  # an empty index has no segments
                found.append((build(reader), offset))
            else:
                key = (segment.segment_id(), *what)
                found.append((self._cache.get(key, partial(build, reader)), offset))
        return found


class Unsupported(Exception):
    """The searcher's weighting model is not one this module reproduces."""


def evaluate(arrays: IndexArrays, q: query.Query) -> Scored:
    """Match and score ``q`` over every live document."""
    weighting = arrays.searcher.weighting
    if not isinstance(weighting, scoring.BM25F):
        raise Unsupported(type(weighting).__name__)
    found = _Evaluator(arrays, weighting).run(q)
    return Scored(found.matched & arrays.live, found.scores)


class _Evaluator:
    def __init__(self, arrays: IndexArrays, weighting: scoring.BM25F) -> None:
        self.arrays = arrays
        self.searcher = arrays.searcher
        self.weighting = weighting

    def run(self, q: query.Query) -> Scored:
        if q is query.NullQuery:
            return self._none()
        if isinstance(q, query.Every) and not q.fieldname:
            return Scored(np.ones(self.arrays.size, bool), np.full(self.arrays.size, q.boost))
        if isinstance(q, query.Term):
            return self._term(q)
        if isinstance(q, EXPANDING):
            # Whoosh scores a prefix, wildcard or fuzzy term as the OR of the terms it expands to.
            if q.fieldname not in self.searcher.schema:
                return self._none()
            words = [query.Term(q.fieldname, word) for word in self.arrays.expand(q)]
            return self._sum(words, all_required=False, boost=q.boost)
        if getattr(q, "constantscore", False):  # ranges: every match scores the boost
            return _only(self._whoosh(q).matched, np.full(self.arrays.size, float(q.boost)))
        if isinstance(q, query.Phrase) and q.fieldname in self.searcher.schema:
            return self._phrase(q)
        if isinstance(q, WithText):
            return self._with_text(q)
        if isinstance(q, query.Or) and not q.minmatch and not q.scale:
            return self._sum(q.subqueries, all_required=False, boost=q.boost)
        if isinstance(q, query.And):
            return self._sum(q.subqueries, all_required=True, boost=q.boost)
        if isinstance(q, query.AndNot):
            a, b = self.run(q.a), self.run(q.b)
            return _only(a.matched & ~b.matched, a.scores)
        if isinstance(q, query.Require):
            a, b = self.run(q.a), self.run(q.b)
            return _only(a.matched & b.matched, a.scores)
        if isinstance(q, query.AndMaybe):
            a, b = self.run(q.a), self.run(q.b)
            return _only(a.matched, a.scores + np.where(b.matched, b.scores, 0.0))
        return self._whoosh(q)

    def _none(self) -> Scored:
        return Scored(np.zeros(self.arrays.size, bool), np.zeros(self.arrays.size))

    def _sum(
        self, subqueries: Sequence[query.Query], *, all_required: bool, boost: float
    ) -> Scored:
        if not subqueries:
            return self._none()
        if len(subqueries) == 1:  # as in Whoosh, a lone subquery ignores the group's boost
            return self.run(subqueries[0])
        parts = [self.run(sub) for sub in subqueries]
        matched = parts[0].matched.copy()
        scores = parts[0].scores.copy()
        for part in parts[1:]:
            if all_required:
                matched &= part.matched
            else:
                matched |= part.matched
            scores += part.scores
        if boost != 1.0:
            scores *= boost
        return _only(matched, scores) if all_required else Scored(matched, scores)

    def _term(self, q: query.Term) -> Scored:
        schema = self.searcher.schema
        if q.fieldname not in schema:
            return self._none()
        field = schema[q.fieldname]
        try:
            btext = field.to_bytes(q.text)
        except ValueError:
            return self._none()
        ids, weights = self.arrays.term(q.fieldname, btext)
        found = self._none()
        if not len(ids):
            return found
        found.matched[ids] = True
        if field.scorable:
            B = self.weighting._field_B.get(q.fieldname, self.weighting.B)
            found.scores[ids] = scoring.bm25(
                self.searcher.idf(q.fieldname, btext), weights, self.arrays.lengths(q.fieldname)[ids],
                self.searcher.avg_field_length(q.fieldname) or 1, B, self.weighting.K1,
            )  # fmt: skip
        else:  # Whoosh's WeightScorer: the stored weight is the score
            found.scores[ids] = weights
        if q.boost != 1.0:
            found.scores[ids] *= q.boost
        return found

    def _phrase(self, q: query.Phrase) -> Scored:
        """Like Whoosh: the words' scores summed where they stand in order within ``slop``."""
        field = self.searcher.schema[q.fieldname]
        if not field.format or not field.format.supports("positions"):
            return self._whoosh(q)  # Whoosh explains the error
        words = [query.Term(q.fieldname, word) for word in q.words]
        found = self._sum(words, all_required=True, boost=1.0)
        candidates = np.flatnonzero(found.matched & self.arrays.live)
        btexts = [field.to_bytes(word) for word in q.words]
        keep = self.arrays.phrase_docs(q.fieldname, btexts, candidates, q.slop)
        matched = np.zeros(self.arrays.size, bool)
        matched[candidates[keep]] = True
        return Scored(matched, np.where(matched, found.scores * q.boost, 0.0))

    def _with_text(self, q: WithText) -> Scored:
        """The child's matches whose stored text matches the pattern (read for those only)."""
        found = self.run(q.child)
        pattern = re.compile(q.pattern, re.IGNORECASE)
        for docnum in np.flatnonzero(found.matched & self.arrays.live).tolist():
            text = self.searcher.stored_fields(docnum).get(q.stored, "")
            if not pattern.search(fold(text)):
                found.matched[docnum] = False
        return _only(found.matched, found.scores)

    def _whoosh(self, q: query.Query) -> Scored:
        """Walk Whoosh's own matcher (phrases and other positional queries)."""
        found = self._none()
        context = self.searcher.context(needs_current=True)
        for subsearcher, offset in self.searcher.leaf_searchers():
            matcher = q.matcher(subsearcher, context)
            while matcher.is_active():
                docnum = offset + matcher.id()
                found.matched[docnum] = True
                found.scores[docnum] = matcher.score()
                matcher.next()
        return found


def _only(matched: np.ndarray, scores: np.ndarray) -> Scored:
    """Drop the scores of documents that did not match (an And's partial matches, an AndNot's
    excluded pages), so an enclosing Or does not add them."""
    return Scored(matched, np.where(matched, scores, 0.0))


def top(scored: Scored, order: Sequence[np.ndarray], limit: int) -> np.ndarray:
    """Document numbers of the first ``limit`` matches, ordered by the ``order`` keys (the
    first key decides, later ones break ties; each key ascending)."""
    candidates = np.flatnonzero(scored.matched)
    keys = [key[candidates] for key in order]
    ranking = np.lexsort([candidates, *reversed(keys)])
    return candidates[ranking[:limit]]


def _in_order(positions: Sequence[list[int]], slop: int) -> bool:
    """Whoosh's ordered SpanNear2 test: each word follows the span so far by 1..slop."""
    spans = [(position, position) for position in positions[0]]
    for following in positions[1:]:
        joined = set()
        for start, end in spans:
            for position in following[bisect_left(following, start) :]:
                if position > end + slop:
                    break
                distance = position - end if position > end else 0
                if 1 <= distance <= slop:
                    joined.add((start, position))
        spans = sorted(joined)
        if not spans:
            return False
    return bool(spans)


def _postings(reader: IndexReader, field: str, btext: bytes) -> _Arrays:
    """One segment's postings of a term: document numbers, weights and encoded values (kept
    because Whoosh decodes them with the rest of each block anyway; phrases read positions)."""
    ids: list[int] = []
    weights: list[float] = []
    values: list[Any] = []
    if (field, btext) in reader:
        matcher = reader.postings(field, btext)
        if isinstance(matcher, FilterMatcher):  # deleted documents are masked out by ``live``
            matcher = matcher.child
        if isinstance(matcher, W3LeafMatcher):
            # Read whole blocks instead of stepping through postings one by one.
            while matcher.is_active():
                matcher._read_ids()
                matcher._read_weights()
                matcher._read_values()
                ids.extend(matcher._ids)
                weights.extend(matcher._weights)
                values.extend(matcher._values)
                matcher._next_block()
        else:
            while matcher.is_active():
                ids.append(matcher.id())
                weights.append(matcher.weight())
                values.append(matcher.value())
                matcher.next()
    encoded = np.empty(len(values), dtype=object)
    encoded[:] = values
    return np.array(ids, np.int64), np.array(weights, np.float64), encoded


def _lengths(reader: IndexReader, field: str) -> _Arrays:
    count = reader.doc_count_all()
    return (
        np.fromiter(
            (reader.doc_field_length(d, field, 1) for d in range(count)), np.float64, count
        ),
    )


def _lexicon(reader: IndexReader, field: str) -> _Arrays:
    if field not in reader.schema:
        return (np.array([], dtype=object),)
    decode = reader.schema[field].from_bytes
    return (np.array([decode(b) for b in reader.lexicon(field)], dtype=object),)


def _column(reader: IndexReader, field: str) -> _Arrays:
    if not reader.has_column(field):
        return (np.zeros(reader.doc_count_all(), np.int64),)
    return (
        np.fromiter(reader.column_reader(field, translate=False), np.int64, reader.doc_count_all()),
    )


def _facet_pairs(reader: IndexReader, field: str) -> _Arrays:
    names: dict[str, int] = {}
    docs: list[int] = []
    codes: list[int] = []
    if reader.has_column(field):
        for docnum, value in enumerate(reader.column_reader(field)):
            text = value.decode() if isinstance(value, bytes) else str(value or "")
            for name in filter(None, text.split(",")):
                docs.append(docnum)
                codes.append(names.setdefault(name, len(names)))
    return np.array(list(names), dtype=object), np.array(docs, np.int64), np.array(codes, np.int64)


def _concat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)


def _nbytes(arrays: _Arrays) -> int:
    # An object array's nbytes counts its pointers only; count its (short) strings roughly.
    return sum(array.nbytes * (8 if array.dtype == object else 1) for array in arrays)
