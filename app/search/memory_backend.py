"""An in-memory search backend for tests and demos: the whole contract, nothing on disk.

It is not persistent and serves one process: each process starts with an empty index (which the
app rebuilds from the database after its first request) that no other process sees. Deployments
use Whoosh. Queries, word forms, boosts, snippets and close spellings behave as with Whoosh,
because both backends share the analysis, spelling and snippet definitions.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from app.search import (
    OVERDUE_DEMOTION,
    PUBLIC,
    SearchDocument,
    SearchHit,
    SearchQuery,
    SearchResults,
    query,
    ranking,
    snippets,
    spelling,
)
from app.search.analysis import fold
from app.search.memory_index import MemoryIndex, Scores, fields_of
from app.search.spelling import SUGGEST_BELOW

#: Fields whose matches are marked in snippets, and how many fragments each shows.
_HIGHLIGHTED = {"body": 2, "title": 3}
_TERM = re.compile(r"\w+", re.UNICODE)


class MemoryBackend:
    """Search over documents held in this process's memory (one lock serialises all access)."""

    def __init__(self, *, language: str = "en") -> None:
        self.language = language
        self._index = MemoryIndex(language)
        self._lock = threading.Lock()
        self._applying = threading.Lock()

    def index(self, documents: Iterable[SearchDocument]) -> None:
        """Add or replace documents."""
        batch = list(documents)  # read first: a failing iterable leaves the index unchanged
        with self._lock:
            for document in batch:
                self._index.add(document)

    def remove(self, keys: Iterable[str]) -> None:
        """Remove documents by key (unknown keys are ignored)."""
        with self._lock:
            for key in keys:
                self._index.discard(key)

    def rebuild(
        self, documents: Iterable[SearchDocument], progress: Callable[[int], Any] | None = None
    ) -> int:
        """Replace the whole index with ``documents``; return how many were indexed."""
        rebuilt = MemoryIndex(self.language)
        count = 0
        for document in documents:
            rebuilt.add(document)
            count += 1
            if progress is not None:
                progress(1)
        with self._lock:  # searches use the old index until the new one is complete
            self._index = rebuilt
        return count

    def search(self, request: SearchQuery) -> SearchResults:
        """Run a query with filters, facets, highlights, spelling help and fuzzy fallback."""
        with self._lock:
            return _search(self._index, request)

    def suggest(self, prefix: str, *, limit: int = 8) -> list[tuple[str, str]]:
        """Return (title, slug) of published pages whose title words start like ``prefix``."""
        words = _TERM.findall(prefix.lower())
        if not words:
            return []
        whole = tuple(query.Term(word, "title_exact") for word in words[:-1])
        with self._lock:
            index, records = self._index, self._index.records
            found = index.evaluate(query.And(whole)) if whole else dict.fromkeys(records, 0.0)
            # Whoosh scores a prefix as a constant: only the whole words rank the titles.
            starting = index.matching(query.Prefix(words[-1], "title_exact"), "title_exact")
            ranked = sorted(
                (
                    key
                    for key in found
                    if key in starting and PUBLIC in _viewers(records[key].document)
                ),
                key=lambda key: (-found[key], records[key].number),
            )
            return [
                (records[key].document.title, records[key].document.slug) for key in ranked[:limit]
            ]

    def stamps(self) -> dict[str, datetime]:
        """Return every document key with its ``updated_at`` (for consistency checks)."""
        with self._lock:
            return {
                key: record.document.updated_at.astimezone(UTC)
                for key, record in self._index.records.items()
            }

    def document_count(self) -> int:
        """How many documents (pages and proposals) the index holds."""
        with self._lock:
            return len(self._index.records)

    def applying(self) -> AbstractContextManager[object]:
        """Hold the index for one pass over the change log (this process is the only one)."""
        return self._applying


def _search(index: MemoryIndex, request: SearchQuery) -> SearchResults:
    parsed = request.tree()
    allowed = _allowed(index, request, parsed.filters)
    root = parsed.root
    found = _restricted(index.evaluate(root), allowed)
    total = exact = len(found)
    fuzzy = False
    if total < SUGGEST_BELOW and request.text.strip():
        # Few or no results: add close spellings, ranked below exact matches.
        close = spelling.close_spellings(
            root, lambda word: (index.analysed("body", word) or [word])[0]
        )
        if close is not None:
            root = spelling.widened(root, close)
            found = _restricted(index.evaluate(root), allowed)
            total = len(found)
            fuzzy = not exact and total > 0
    elif total and request.text.strip():
        # Results, but a word that no page holds: its close spellings too (``ranking``).
        close = spelling.close_spellings(
            ranking.unknown_words(root, lambda word: bool(index.keys("vocabulary", fold(word.lower())))),
            lambda word: (index.analysed("body", word) or [word])[0],
        )  # fmt: skip
        if close is not None:
            root = spelling.widened(root, close)
            found = _restricted(index.evaluate(root), allowed)
            total = len(found)
    if request.sort != "date" and total:
        found = _with_proximity(index, root, found)
    suggestion = None
    if exact < SUGGEST_BELOW and request.text.strip():
        suggestion = _suggestion(index, request.text, allowed)
    documents = [index.records[key].document for key in found]
    facets = {
        "department": _ordered(Counter(doc.department for doc in documents if doc.department)),
        "tag": _ordered(Counter(tag for doc in documents for tag in doc.tags if tag)),
    }
    if request.demoted_pages and request.sort != "date":  # overdue for verification
        demoted = request.demoted_pages
        found = {
            key: score * OVERDUE_DEMOTION
            if index.records[key].document.page_id in demoted
            else score
            for key, score in found.items()
        }
    hits = _page_of_hits(index, root, found, request) if total else []
    return SearchResults(total, hits, facets, suggestion, fuzzy)


def _with_proximity(index: MemoryIndex, root: query.Node | None, found: Scores) -> Scores:
    """``found`` with the best matches' scores raised by ``ranking.bonus``: their query words
    together in the body."""
    words = {
        term: index.idf("body", term)
        for leaf in query.positive_leaves(root)
        if isinstance(leaf, query.Term | query.Phrase) and leaf.field in (None, "body")
        for term in index.analysed("body", leaf.text)
        if index.keys("body", term)
    }
    if not words:
        return found
    best = sorted(found, key=lambda key: -found[key])[: ranking.RERANKED]
    raised = dict(found)
    for key in best:
        positions = index.records[key].terms.get("body", {})
        raised[key] += ranking.bonus(
            [positions.get(term, []) for term in words], list(words.values())
        )
    return raised


def _viewers(document: SearchDocument) -> set[str]:
    return {viewer.lower() for viewer in document.visible_to}


def _allowed(index: MemoryIndex, request: SearchQuery, filters: Iterable[query.Filter]) -> set[str]:
    """Keys of the documents the asker may see that pass every filter (chosen or typed)."""
    viewers = {PUBLIC, request.pending_for.lower()} if request.pending_for else {PUBLIC}
    wanted = [(choice.field, set(choice.values)) for choice in filters]
    chosen = {"tags": request.tag, "department": request.department, "author": request.author}
    wanted += [(name, {value.lower()}) for name, value in chosen.items() if value]
    only = request.only_pages
    return {
        key
        for key, record in index.records.items()
        if viewers & _viewers(record.document)
        and (only is None or record.document.page_id in only)
        and all(values & record.terms[name].keys() for name, values in wanted)
    }


def _restricted(found: Scores, allowed: set[str]) -> Scores:
    return {key: score for key, score in found.items() if key in allowed}


def _suggestion(index: MemoryIndex, text: str, allowed: set[str]) -> str | None:
    words = index.lexicon("vocabulary")
    return spelling.corrected(
        text,
        lambda word: len(index.keys("vocabulary", word) & allowed),
        lambda word: spelling.close_words(words, word, maxdist=2, prefix=1),
    )


def _page_of_hits(
    index: MemoryIndex, root: query.Node | None, found: Scores, request: SearchQuery
) -> list[SearchHit]:
    """The requested page of hits, highlighted; equal scores go to the most recently reviewed."""
    page, size = max(1, request.page), max(1, min(request.per_page, 100))
    records = index.records
    if request.sort == "date":
        order = sorted(
            found,
            key=lambda key: (-records[key].document.updated_at.timestamp(), records[key].number),
        )
    else:
        order = sorted(
            found,
            key=lambda key: (-found[key], -_reviewed(records[key].document).timestamp(), records[key].number),
        )  # fmt: skip
    terms = {name: _matched_terms(index, root, name) for name in _HIGHLIGHTED}
    return [
        _hit(index, records[key].document, found[key], terms, scored=request.sort != "date")
        for key in order[(page - 1) * size : page * size]
    ]


def _matched_terms(index: MemoryIndex, root: query.Node | None, name: str) -> set[str]:
    """The terms of field ``name`` the query matches on (prefixes and close spellings expanded)."""
    return {
        term
        for leaf in query.positive_leaves(root)
        if not isinstance(leaf, query.Every) and name in fields_of(leaf.field)
        for term in index.terms(leaf, name)
    }


def _hit(
    index: MemoryIndex,
    document: SearchDocument,
    score: float,
    terms: dict[str, set[str]],
    *,
    scored: bool,
) -> SearchHit:
    marked = ""
    for name, top in _HIGHLIGHTED.items():
        text = getattr(document, name)
        matches = index.tokens(name, text, terms[name]) if terms[name] else []
        if matches and (marked := snippets.highlighted(text, matches, top=top)):
            break
    return SearchHit(
        key=document.key,
        page_id=document.page_id,
        slug=document.slug,
        title=document.title,
        snippet=Markup(marked) if marked else snippets.lead(document.body),
        score=round(score, 4) if scored else 0.0,
        department=document.department,
        tags=tuple(tag for tag in document.tags if tag),
        updated_at=document.updated_at.astimezone(UTC),
        reviewed_at=_reviewed(document).astimezone(UTC),
        proposal_id=document.proposal_id or None,
    )


def _reviewed(document: SearchDocument) -> datetime:
    return document.reviewed_at or document.updated_at


def _ordered(counts: Counter[str]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
