"""The wiki's synonym sets applied to a parsed query: a term of a set also finds the set's others.

The query tree changes, not the index, so every backend applies the sets at once and a change to
them needs no rebuild. A query's words match a set's term by their word forms (case and accents
folded, stemmed as the stemmed fields are, stop words kept): "Vacations" meets "vacation", and
"time off" is met by those two words typed next to each other (or quoted, or "time-off"). The
term as typed stays in the query; its alternatives join it in an ``Or`` (a term of several words
as a ``Phrase``), in the same field. Under a ``Not`` the alternatives are excluded too:
"-pto" leaves out the pages about vacation as well. Filters, prefixes, close spellings, ranges
and the fields of plain values (tags, department, author, reviewers) are left as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TypeGuard

from app.search import SearchQuery, query
from app.search.analysis import word_forms

Forms = tuple[str, ...]
#: Fields whose words are analysed text, where a synonym means the same.
_TEXT_FIELDS = frozenset({None, "title", "headings", "body"})


@dataclass(frozen=True)
class Thesaurus:
    """Synonym sets ready for matching: the other terms of every set a term's forms are in."""

    language: str
    alternatives: Mapping[Forms, tuple[str, ...]]
    #: The most words a term has (how far a run of typed words is looked at).
    longest: int


def thesaurus(sets: Iterable[Sequence[str]], *, language: str) -> Thesaurus:
    """Prepare ``sets`` (each a sequence of terms) for :func:`expand`."""
    together: dict[Forms, dict[Forms, str]] = {}
    for terms in sets:
        members = {forms: term for term in terms if (forms := word_forms(term, language))}
        for forms in members:
            together.setdefault(forms, {}).update(members)
    alternatives = {
        forms: tuple(term for other, term in members.items() if other != forms)
        for forms, members in together.items()
    }
    return Thesaurus(language, alternatives, max(map(len, alternatives), default=0))


def expand(root: query.Node | None, words: Thesaurus) -> query.Node | None:
    """``root`` with each term of a synonym set widened to the set's other terms."""
    if root is None or not words.alternatives:
        return root
    return _Expansion(words).node(root)


def with_synonyms(request: SearchQuery, words: Thesaurus) -> SearchQuery:
    """``request`` carrying its text parsed and expanded, when the synonyms change it (else as
    it was: the backend parses the text itself)."""
    if not words.alternatives:
        return request
    parsed = request.tree()
    root = expand(parsed.root, words)
    return request if root == parsed.root else replace(request, parsed=replace(parsed, root=root))


class _Expansion:
    def __init__(self, words: Thesaurus) -> None:
        self.words = words

    def node(self, node: query.Node) -> query.Node:
        if isinstance(node, query.Or):
            return _either(self._run(node.children))
        if isinstance(node, query.And):
            return query.And(tuple(self.node(child) for child in node.children))
        if isinstance(node, query.Not):
            return query.Not(self.node(node.child))
        if isinstance(node, query.Term | query.Phrase) and node.field in _TEXT_FIELDS:
            return self._widened((node,), self._forms(node))
        return node

    def _run(self, children: Sequence[query.Node]) -> list[query.Node]:
        """Alternatives with each run of plain words that is a multi-word term widened (the
        longest first: "annual leave" before "leave"), and each other child expanded."""
        expanded: list[query.Node] = []
        position = 0
        while position < len(children):
            for length in range(min(self.words.longest, len(children) - position), 1, -1):
                run = children[position : position + length]
                if self._plain_words(run):
                    forms = tuple(form for term in run for form in self._forms(term))
                    if forms in self.words.alternatives:
                        expanded.append(self._widened(run, forms))
                        position += length
                        break
            else:
                expanded.append(self.node(children[position]))
                position += 1
        return expanded

    @staticmethod
    def _plain_words(run: Sequence[query.Node]) -> TypeGuard[Sequence[query.Term]]:
        """Words typed one after the other (not quoted or fuzzy), all in one text field."""
        terms = [child for child in run if type(child) is query.Term]
        fields = {term.field for term in terms}
        return len(terms) == len(run) and len(fields) == 1 and fields <= _TEXT_FIELDS

    def _forms(self, leaf: query.Term | query.Phrase) -> Forms:
        return word_forms(leaf.text, self.words.language)

    def _widened(self, typed: Sequence[query.Term | query.Phrase], forms: Forms) -> query.Node:
        alternatives = self.words.alternatives.get(forms)
        if not alternatives:
            return _either(list(typed))
        field = typed[0].field
        return query.Or((*typed, *(self._alternative(term, field) for term in alternatives)))

    def _alternative(self, term: str, field: str | None) -> query.Node:
        if len(word_forms(term, self.words.language)) > 1:
            return query.Phrase(term, field)
        return query.Term(term, field)


def _either(nodes: list[query.Node]) -> query.Node:
    return nodes[0] if len(nodes) == 1 else query.Or(tuple(nodes))
