"""Peerwiki's query tree (``app.search.query``) as Whoosh queries over the index's fields.

Each leaf's text is analysed the way the schema indexes the field it searches: text fields
through their analyzer (stems in ``title``, ``headings`` and ``body``, words as written in
``title_exact``), the other fields as one lowercased value. A leaf without a field searches the
default fields; their boosts are the schema's, applied when documents are indexed. The queries
made here are the ones ``whoosh_arrays.evaluate`` scores with arrays (ranges excepted, which
Whoosh's own matcher walks).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from whoosh import query
from whoosh.fields import TEXT, Schema
from whoosh.query.wrappers import WrappingQuery

from app.search import query as tree
from app.search.analysis import fold, phrase_pattern

#: The fields a leaf without a field searches.
DEFAULT_FIELDS = ("title", "title_exact", "headings", "body", "tags")
#: The index field of a tree's field name, where they differ.
_INDEX_FIELDS = {"department": "department_key"}
#: The stored field whose text holds each text field's words (headings stand in the body).
_STORED_TEXT = {"title": "title", "title_exact": "title", "headings": "body", "body": "body"}
#: Prefixes shorter than this (after analysis) would expand to most of the vocabulary.
_SHORTEST_PREFIX = 2


class Translator:
    """Translates query trees for one index's schema."""

    def __init__(self, schema: Schema, language: str = "en") -> None:
        self.schema = schema
        self.language = language

    def translate(self, node: tree.Node | None) -> query.Query:
        """The Whoosh query matching what ``node`` matches (None: nothing)."""
        if node is None:
            return query.NullQuery
        if isinstance(node, tree.Every):
            return query.Every()
        if isinstance(node, tree.Or):
            return _either(self.translate(child) for child in node.children)
        if isinstance(node, tree.And):
            kept = [self.translate(c) for c in node.children if not isinstance(c, tree.Not)]
            excluded = [self.translate(c.child) for c in node.children if isinstance(c, tree.Not)]
            return _without(_all(kept) if kept else query.Every(), _either(excluded))
        if isinstance(node, tree.Not):  # only where no And holds it: "NOT NOT x"
            return _without(query.Every(), self.translate(node.child))
        names = DEFAULT_FIELDS if node.field is None else (_index_field(node.field),)
        return _either(self._leaf(node, name) for name in names)

    def filters(self, filters: Iterable[tree.Filter]) -> list[query.Query]:
        """One query per filter, each matching the documents with one of its values."""
        return [
            _either(query.Term(_index_field(choice.field), value) for value in choice.values)
            for choice in filters
        ]

    def stem(self, word: str) -> str:
        """The body's term for ``word`` (what a close spelling of it is compared with)."""
        return next(iter(self._terms("body", word)), word)

    def _leaf(self, leaf: tree.Word, name: str) -> query.Query:
        """``leaf`` in the index field ``name``."""
        if isinstance(leaf, tree.Term):
            return _either(query.Term(name, term) for term in self._terms(name, leaf.text))
        if isinstance(leaf, tree.Phrase):
            if not self._analysed(name):
                return query.Term(name, " ".join(leaf.text.split()).lower())  # one tag or name
            words = self._terms(name, leaf.text)
            if len(words) > 1:
                found: query.Query = query.Phrase(name, words)
            else:  # stop words left one word (or none)
                found = _either(query.Term(name, word) for word in words)
            pattern = phrase_pattern(leaf.text, self.language)
            if pattern is None or found is query.NullQuery:
                return found
            return WithText(found, pattern, _STORED_TEXT[name])
        if isinstance(leaf, tree.Prefix):
            start = self._one_term(name, leaf.text)
            return query.Prefix(name, start) if len(start) >= _SHORTEST_PREFIX else query.NullQuery
        if isinstance(leaf, tree.Fuzzy):
            word = self._one_term(name, leaf.text)
            return query.FuzzyTerm(name, word, maxdist=leaf.distance, prefixlength=leaf.prefix)
        return query.TermRange(
            name,
            self._one_term(name, leaf.start) if leaf.start else None,
            self._one_term(name, leaf.end) if leaf.end else None,
            startexcl=not leaf.start_inclusive,
            endexcl=not leaf.end_inclusive,
            constantscore=True,  # as Whoosh's parser made them: every match scores the same
        )

    def terms(self, name: str, text: str) -> list[str]:
        """The terms ``text`` stands for in the index field ``name``, in order."""
        return self._terms(name, text)

    def _analysed(self, name: str) -> bool:
        return isinstance(self.schema[name], TEXT)

    def _terms(self, name: str, text: str) -> list[str]:
        """The terms ``text`` stands for in field ``name``, in order (phrases keep repeats)."""
        if not self._analysed(name):
            return [text.lower()]
        return [token.text for token in self.schema[name].analyzer(text, mode="query")]

    def _one_term(self, name: str, text: str) -> str:
        """``text`` as one term (prefixes, close spellings and range ends are not split)."""
        if not self._analysed(name):
            return text.lower()
        analyzer = self.schema[name].analyzer
        tokens = analyzer(text, mode="query", tokenize=False, removestops=False)
        return next((str(token.text) for token in tokens), fold(text.lower()))


class WithText(WrappingQuery):  # type: ignore[misc]
    """The documents ``child`` matches whose stored ``stored`` text also matches ``pattern``
    (a phrase's stop words, which the index leaves out: ``analysis.phrase_pattern``)."""

    def __init__(self, child: query.Query, pattern: str, stored: str) -> None:
        super().__init__(child)
        self.pattern, self.stored = pattern, stored

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WithText) and (self.child, self.pattern, self.stored) == (
            other.child,
            other.pattern,
            other.stored,
        )

    def __hash__(self) -> int:
        return hash((WithText, self.child, self.pattern, self.stored))

    def _rewrap(self, child: Any) -> WithText:
        return WithText(child, self.pattern, self.stored)


def _index_field(name: str) -> str:
    return _INDEX_FIELDS.get(name, name)


def _either(queries: Iterable[query.Query]) -> query.Query:
    """Any of ``queries`` (nested alternatives flattened, repeats dropped, as Whoosh's parser
    made them): their scores add up."""
    found: dict[query.Query, None] = {}
    for q in queries:
        for part in q.subqueries if isinstance(q, query.Or) else [q]:
            if part is not query.NullQuery:
                found[part] = None
    if not found:
        return query.NullQuery
    parts = list(found)
    return parts[0] if len(parts) == 1 else query.Or(parts)


def _all(queries: list[query.Query]) -> query.Query:
    """Every one of ``queries`` (nothing, if one of them matches nothing)."""
    if any(q is query.NullQuery for q in queries):
        return query.NullQuery
    return queries[0] if len(queries) == 1 else query.And(queries)


def _without(wanted: query.Query, excluded: query.Query) -> query.Query:
    if wanted is query.NullQuery or excluded is query.NullQuery:
        return wanted
    return query.AndNot(wanted, excluded)
