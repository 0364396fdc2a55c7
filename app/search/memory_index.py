"""An inverted index in plain Python dictionaries, scored like Whoosh (BM25F, same fields/boosts).

Built for test-sized data (hundreds of documents): every query walks its posting lists in
Python. Not thread-safe by itself; ``MemoryBackend`` serialises access.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from whoosh.analysis import Analyzer, Token
from whoosh.util.numeric import byte_to_length, length_to_byte

from app.search import SearchDocument, query, spelling
from app.search.analysis import (
    exact_analyzer,
    fold,
    phrase_pattern,
    stemming_analyzer,
    vocabulary,
)

#: Whoosh's BM25F parameters (its defaults, which the Whoosh backend uses).
_B, _K1 = 0.75, 1.2
#: Fields a leaf without a field searches.
DEFAULT_FIELDS: Final = ("title", "title_exact", "headings", "body", "tags")
#: Fields analysed as text (the rest hold lowercased values as they are).
TEXT_FIELDS: Final = frozenset({"title", "title_exact", "headings", "body"})
#: Each field's boost (a term's weight is its frequency times the boost), as in Whoosh's schema.
BOOSTS: Final = {"title": 2.5, "title_exact": 0.5, "headings": 1.5, "tags": 2.0}
#: Fields whose matches are ranked by BM25; the others score their weight.
_SCORED: Final = TEXT_FIELDS | {"tags"}

Scores = dict[str, float]


@dataclass
class _Record:
    document: SearchDocument
    number: int  # the order documents were written in: ties go to the earlier
    terms: dict[str, dict[str, list[int]]] = field(
        default_factory=dict
    )  # field -> term -> positions
    lengths: dict[str, int] = field(default_factory=dict)


class MemoryIndex:
    """Documents by key, with posting lists per field and term."""

    def __init__(self, language: str) -> None:
        stemmed, exact = stemming_analyzer(language), exact_analyzer(language)
        self.analyzers: dict[str, Analyzer] = {
            "title": stemmed, "title_exact": exact, "headings": stemmed, "body": stemmed,
        }  # fmt: skip
        self.language = language
        self.records: dict[str, _Record] = {}
        self._postings: dict[str, dict[str, set[str]]] = {}
        self._total_lengths: dict[str, int] = {}
        self._lexicons: dict[str, list[str]] = {}
        self._written = 0

    # -- writing -------------------------------------------------------------------------------

    def add(self, document: SearchDocument) -> None:
        """Add a document, replacing one with the same key (it then counts as the newest)."""
        self.discard(document.key)
        self._written += 1
        record = _Record(document, self._written)
        for name, values in self._values(document).items():
            terms = record.terms[name] = {}
            postings = self._postings.setdefault(name, {})
            for position, term in enumerate(values):
                terms.setdefault(term, []).append(position)
                postings.setdefault(term, set()).add(document.key)
            record.lengths[name] = len(values)
            self._total_lengths[name] = self._total_lengths.get(name, 0) + len(values)
        self.records[document.key] = record
        self._lexicons.clear()

    def discard(self, key: str) -> None:
        """Remove a document if the index holds it."""
        record = self.records.pop(key, None)
        if record is None:
            return
        for name, terms in record.terms.items():
            postings = self._postings[name]
            for term in terms:
                postings[term].discard(key)
                if not postings[term]:
                    del postings[term]
            self._total_lengths[name] -= record.lengths[name]
        self._lexicons.clear()

    def _values(self, document: SearchDocument) -> dict[str, list[str]]:
        """Each field's terms in document order."""
        texts = {
            "title": document.title, "title_exact": document.title,
            "headings": document.headings, "body": document.body,
        }  # fmt: skip
        values = {name: self.analysed(name, text) for name, text in texts.items()}
        values["tags"] = [tag.lower() for tag in document.tags]
        values["department"] = [document.department.lower()]
        values["author"] = [document.author.lower()]
        values["reviewers"] = [reviewer.lower() for reviewer in document.reviewers]
        values["vocabulary"] = sorted(vocabulary(document))
        return values

    # -- reading -------------------------------------------------------------------------------

    def analysed(self, name: str, text: str) -> list[str]:
        """The terms ``text`` stands for in field ``name``."""
        if name not in TEXT_FIELDS:
            return [text.lower()]
        return [token.text for token in self.analyzers[name](text)]

    def keys(self, name: str, term: str) -> set[str]:
        """Keys of the documents holding ``term`` in field ``name``."""
        return self._postings.get(name, {}).get(term, set())

    def lexicon(self, name: str) -> list[str]:
        """Every term of field ``name``, sorted."""
        if name not in self._lexicons:
            self._lexicons[name] = sorted(self._postings.get(name, {}))
        return self._lexicons[name]

    def evaluate(self, node: query.Node | None) -> Scores:
        """The documents ``node`` matches, with their scores."""
        if node is None:
            return {}
        if isinstance(node, query.Every):
            return dict.fromkeys(self.records, 1.0)
        if isinstance(node, query.Not):
            excluded = self.evaluate(node.child)
            return {key: 0.0 for key in self.records if key not in excluded}
        if isinstance(node, query.And):
            parts = [self.evaluate(child) for child in node.children]
            common = set(parts[0]).intersection(*parts[1:])
            return {key: sum(part[key] for part in parts) for key in common}
        if isinstance(node, query.Or):
            return _summed(self.evaluate(child) for child in node.children)
        return _summed(self._leaf(node, name) for name in fields_of(node.field))

    def terms(self, leaf: query.Word, name: str) -> list[str]:
        """The terms of field ``name`` that ``leaf`` stands for (prefixes and the like expanded)."""
        if isinstance(leaf, query.Term | query.Phrase):
            if isinstance(leaf, query.Phrase) and name not in TEXT_FIELDS:
                return [" ".join(leaf.text.split()).lower()]  # a phrase is one tag or name
            return self.analysed(name, leaf.text)
        if isinstance(leaf, query.Prefix):
            start = self._one_term(name, leaf.text)
            return [term for term in self.lexicon(name) if term.startswith(start)]
        if isinstance(leaf, query.Fuzzy):
            word = self._one_term(name, leaf.text)
            close = spelling.close_words(self.lexicon(name), word, leaf.distance, leaf.prefix)
            return [term for term, _ in close]
        low = self._one_term(name, leaf.start) if leaf.start else None
        high = self._one_term(name, leaf.end) if leaf.end else None
        return [term for term in self.lexicon(name) if _within(term, low, high, leaf)]

    def matching(self, leaf: query.Word, name: str) -> set[str]:
        """Keys of the documents holding any of the terms ``leaf`` stands for in field ``name``."""
        return set().union(*(self.keys(name, term) for term in self.terms(leaf, name)))

    def _one_term(self, name: str, text: str) -> str:
        """``text`` as one term (prefixes, close spellings and range ends are not split)."""
        if name not in TEXT_FIELDS:
            return text.lower()
        tokens = self.analyzers[name](text, tokenize=False, removestops=False)
        return next((token.text for token in tokens), fold(text.lower()))

    def _leaf(self, leaf: query.Word, name: str) -> Scores:
        terms = self.terms(leaf, name)
        if isinstance(leaf, query.Phrase) and name in TEXT_FIELDS:
            found = self._phrase(name, terms) if len(terms) > 1 else self._terms(name, terms)
            pattern = phrase_pattern(leaf.text, self.language)
            if pattern is None:
                return found
            stop_words = re.compile(pattern, re.IGNORECASE)
            return {
                key: score
                for key, score in found.items()
                if stop_words.search(fold(_text(self.records[key].document, name)))
            }
        if isinstance(leaf, query.Range):  # like Whoosh: a match scores a constant
            return dict.fromkeys(self.matching(leaf, name), 1.0)
        return self._terms(name, terms)

    def _terms(self, name: str, terms: list[str]) -> Scores:
        return _summed(self._term(name, term) for term in dict.fromkeys(terms))

    def _term(self, name: str, term: str) -> Scores:
        keys = self.keys(name, term)
        if not keys:
            return {}
        boost = BOOSTS.get(name, 1.0)
        if name not in _SCORED:
            return {key: len(self.records[key].terms[name][term]) * boost for key in keys}
        count = len(self.records)
        idf = self.idf(name, term)
        average = self._total_lengths.get(name, 0) / count or 1
        scores = {}
        for key in keys:
            record = self.records[key]
            weight = len(record.terms[name][term]) * boost
            norm = (1 - _B) + _B * _stored_length(record.lengths[name]) / average
            scores[key] = idf * (weight * (_K1 + 1)) / (weight + _K1 * norm)
        return scores

    def idf(self, name: str, term: str) -> float:
        """How rare ``term`` is in field ``name``, as Whoosh's BM25F weighs it."""
        return math.log(len(self.records) / (len(self.keys(name, term)) + 1)) + 1

    def _phrase(self, name: str, terms: list[str]) -> Scores:
        """Documents with ``terms`` at consecutive positions, scored as the sum of the terms."""
        parts = [self._term(name, term) for term in terms]
        found = {}
        for key in set(parts[0]).intersection(*parts[1:]):
            positions = self.records[key].terms[name]
            if any(
                all(start + offset in positions[term] for offset, term in enumerate(terms))
                for start in positions[terms[0]]
            ):
                found[key] = sum(part[key] for part in parts)
        return found

    def tokens(self, name: str, text: str, terms: Iterable[str]) -> list[Token]:
        """The tokens of ``text`` (a text field's value) that are one of ``terms``, in order."""
        wanted = set(terms)
        analyzer = self.analyzers[name]
        return [
            token.copy()
            for token in analyzer(text, positions=True, chars=True, removestops=False)
            if token.text in wanted
        ]


def _text(document: SearchDocument, name: str) -> str:
    """The text of a text field (``title_exact`` is the title's)."""
    return document.title if name in ("title", "title_exact") else getattr(document, name)


def fields_of(name: str | None) -> tuple[str, ...]:
    """The index fields a leaf searches: its own, or the default text fields."""
    return DEFAULT_FIELDS if name is None else (name,)


def _stored_length(length: int) -> int:
    """A field length as Whoosh stores it (one byte, so long fields are approximate)."""
    return byte_to_length(length_to_byte(length))  # type: ignore[no-any-return]


def _within(term: str, low: str | None, high: str | None, bounds: query.Range) -> bool:
    if low is not None and (term < low or (term == low and not bounds.start_inclusive)):
        return False
    return high is None or term < high or (term == high and bounds.end_inclusive)


def _summed(parts: Iterable[Scores]) -> Scores:
    total: Scores = {}
    for part in parts:
        for key, score in part.items():
            total[key] = total.get(key, 0.0) + score
    return total
