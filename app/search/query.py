"""The search box's syntax, parsed once into a small tree of plain values any backend can translate.

Words are alternatives, ranked by how many match (``laptop receipts``); ``AND`` requires both
sides, ``OR`` offers either, ``NOT x`` and ``-x`` exclude (a minus only at the start of a word:
``how-to`` stays a word), parentheses group, ``"..."`` is a phrase, ``word*`` a prefix (of two
letters or more: ``*`` and ``o*`` are ignored), ``word~``, ``word~2`` or ``word~2/1`` a close spelling (within
2 edits, sharing the first letter) and
``field:[a TO b]`` a range. ``field:value`` searches one field; ``tag:``, ``department:`` and
``author:`` filters narrow the results instead (two values of one filter are alternatives), and
``-tag:x`` excludes. Nothing typed is a syntax error: what cannot be parsed is searched as words.

Words stay as typed: analysing them (stems, stop words, folded accents) is the backend's job,
as is deciding which fields a leaf without a field searches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

#: The fields a query may name, by every name they may be typed with.
FIELD_NAMES = {
    "title": "title",
    "headings": "headings",
    "body": "body",
    "tags": "tags",
    "tag": "tags",
    "department": "department",
    "dept": "department",
    "author": "author",
    "by": "author",
    "reviewers": "reviewers",
}
#: Fields whose ``name:value`` narrows the results rather than adding to them.
FILTER_FIELDS = frozenset({"tags", "department", "author"})


@dataclass(frozen=True)
class _Text:
    """Text searched in ``field``; None means the backend's default text fields."""

    text: str
    field: str | None = None


@dataclass(frozen=True)
class Term(_Text):
    """A word (or what the backend's analysis makes of it: "post-mortem" is two)."""


@dataclass(frozen=True)
class Phrase(_Text):
    """Words that must stand next to each other, in this order."""


@dataclass(frozen=True)
class Prefix(_Text):
    """Any word that starts with ``text`` (at least two letters)."""


@dataclass(frozen=True)
class Fuzzy(_Text):
    """Any word within ``distance`` edits of ``text`` that shares its first ``prefix`` letters."""

    distance: int = 1
    prefix: int = 0


@dataclass(frozen=True)
class Range:
    """Any word between ``start`` and ``end`` (None: open on that side)."""

    start: str | None
    end: str | None
    field: str | None = None
    start_inclusive: bool = True
    end_inclusive: bool = True


@dataclass(frozen=True)
class Every:
    """Every document (a query of filters alone lists their pages)."""


@dataclass(frozen=True)
class And:
    """Every child must match; the scores add up."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """At least one child must match; the scores of those that do add up."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """Documents that ``child`` does not match (inside an ``And``: an exclusion)."""

    child: Node


#: Leaves that search a field (or the default fields).
Word = Term | Phrase | Prefix | Fuzzy | Range
Leaf = Word | Every
Node = Leaf | And | Or | Not


@dataclass(frozen=True)
class Filter:
    """Documents whose ``field`` is one of ``values`` (lowercased)."""

    field: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class ParsedQuery:
    """A parsed search: what to match and the filters that narrow it."""

    #: None when nothing searchable was typed (``*``, ``((``): nothing matches.
    root: Node | None
    #: All must hold.
    filters: tuple[Filter, ...] = ()


def parse(text: str) -> ParsedQuery:
    """Parse the search box's text (never raises)."""
    parser = _Parser(text)
    positive, excluded = parser.group(inner=False)
    filters = tuple(Filter(field, tuple(values)) for field, values in parser.filters.items())
    if positive is None and (filters or not text.strip()):
        positive = Every()  # filters alone, or nothing at all, list every page they allow
    return ParsedQuery(_excluding(positive, excluded), filters)


def positive_leaves(node: Node | None) -> Iterator[Leaf]:
    """The leaves a match can come from (not those under a ``Not``)."""
    if isinstance(node, And | Or):
        for child in node.children:
            yield from positive_leaves(child)
    elif node is not None and not isinstance(node, Not):
        yield node


_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<open>\()
    | (?P<close>\))
    | (?P<minus>(?<![^\s(])-(?=[\w"]))
    | (?:(?P<field>\w+):)?(?:
          "(?P<phrase>[^"]*)"
        | (?P<range>[\[{][^\]}]*[\]}])
        | (?P<word>[^\s()"]+)
      )
    | (?P<stray>.)
    """,
    re.VERBOSE,
)
_OPERATORS = frozenset({"AND", "OR", "NOT"})
_FUZZY = re.compile(r"(\w+)~([12]?)(?:/(\d))?")
_RANGE = re.compile(r"([\[{])\s*(.*?)\s*\bTO\b\s*(.*?)\s*([\]}])", re.DOTALL)


@dataclass(frozen=True)
class _Token:
    kind: str  # "open", "close", "minus", an operator, or "leaf"
    field: str | None = None
    phrase: str | None = None
    range: str | None = None
    word: str | None = None


def _tokens(text: str) -> list[_Token]:
    found = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind in ("space", "stray"):  # a stray is an unclosed quote or the like: skipped
            continue
        if kind in ("open", "close", "minus"):
            found.append(_Token(kind))
        elif match["word"] in _OPERATORS and match["field"] is None:
            found.append(_Token(match["word"]))
        else:
            found.append(
                _Token("leaf", match["field"], match["phrase"], match["range"], match["word"])
            )
    return found


class _Parser:
    """Recursive descent over the tokens; every step consumes a token or stops."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.position = 0
        self.negated = 0
        self.filters: dict[str, list[str]] = {}

    def group(self, *, inner: bool) -> tuple[Node | None, list[Node]]:
        """Clauses up to the end (or the closing parenthesis): alternatives and exclusions."""
        alternatives: list[Node] = []
        excluded: list[Node] = []
        while (token := self._peek()) is not None:
            if token.kind == "close":
                if inner:
                    break
                self.position += 1  # an unmatched ")" is ignored
                continue
            clause, clause_excluded = self._clause()
            if clause is not None:
                alternatives.append(clause)
            excluded.extend(clause_excluded)
        return _either(alternatives), excluded

    def _clause(self) -> tuple[Node | None, list[Node]]:
        """An ``OR`` chain: its alternatives, and the exclusions written among them."""
        alternatives: list[Node] = []
        excluded: list[Node] = []
        while True:
            node = self._conjunction()
            if isinstance(node, Not):
                excluded.append(node.child)
            elif node is not None:
                alternatives.append(node)
            if not self._take("OR"):
                return _either(alternatives), excluded

    def _conjunction(self) -> Node | None:
        parts = [self._unary()]
        while self._take("AND"):
            parts.append(self._unary())
        present = [part for part in parts if part is not None]
        if not present:
            return None
        excluded = [part.child for part in present if isinstance(part, Not)]
        if len(excluded) > 1 and len(excluded) == len(present):  # "NOT a AND NOT b": either
            return Not(Or(tuple(excluded)))
        return present[0] if len(present) == 1 else And(tuple(present))

    def _unary(self) -> Node | None:
        if self._take("NOT"):
            return self._negation(self._unary)
        if self._take("minus"):
            return self._negation(self._atom)
        return self._atom()

    def _negation(self, operand: Callable[[], Node | None]) -> Node | None:
        self.negated += 1
        try:
            node = operand()
        finally:
            self.negated -= 1
        return Not(node) if node is not None else None

    def _atom(self) -> Node | None:
        token = self._peek()
        if token is None or token.kind == "close":
            return None
        self.position += 1
        if token.kind == "open":
            inner, excluded = self.group(inner=True)
            self._take("close")
            return _excluding(inner, excluded)
        if token.kind != "leaf":
            return None  # an operator where a word belongs: "OR laptop", "AND AND"
        return self._leaf(token)

    def _leaf(self, token: _Token) -> Node | None:
        name = (token.field or "").lower()
        field = FIELD_NAMES.get(name)
        if token.field is not None and field is None and token.word is not None:
            return Term(f"{token.field}:{token.word}")  # not a field: "foo:bar" is a word
        if field in FILTER_FIELDS and token.range is None and not self.negated:
            value = (token.phrase if token.phrase is not None else token.word or "").strip()
            if value and value.lower() not in self.filters.setdefault(field, []):
                self.filters[field].append(value.lower())
            return None
        if token.phrase is not None:
            return Phrase(token.phrase, field) if token.phrase.strip() else None
        if token.range is not None:
            return _range(token.range, field)
        word = token.word or ""
        if word.endswith("*"):
            prefix = word.rstrip("*")
            return Prefix(prefix, field) if len(prefix) >= 2 else None  # "*", "o*": too broad
        if fuzzy := _FUZZY.fullmatch(word):
            return Fuzzy(fuzzy[1], field, int(fuzzy[2] or 1), int(fuzzy[3] or 0))
        return Term(word, field)

    def _peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self, kind: str) -> bool:
        token = self._peek()
        if token is not None and token.kind == kind:
            self.position += 1
            return True
        return False


def _range(text: str, field: str | None) -> Node:
    bounds = _RANGE.fullmatch(text)
    if bounds is None:
        return Term(text[1:-1], field)  # brackets without "TO": the words inside
    opening, start, end, closing = bounds.groups()
    return Range(start or None, end or None, field, opening == "[", closing == "]")


def _either(nodes: list[Node]) -> Node | None:
    if not nodes:
        return None
    return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))


def _excluding(node: Node | None, excluded: list[Node]) -> Node | None:
    """``node`` without the documents of ``excluded`` (exclusions alone match nothing)."""
    if node is None or not excluded:
        return node
    return And((node, *(Not(child) for child in excluded)))
