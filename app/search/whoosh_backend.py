"""Whoosh implementation of the search interface (single node: one index directory).

Whoosh allows one writer at a time; writers wait for the lock (and give up with
SearchUnavailable), so callers keep their work queued and retry. Searchers are kept open per
thread and refreshed before each query, since opening one costs far more than a query.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape
from whoosh import collectors, highlight, index, qparser, query, sorting, writing
from whoosh.analysis import (
    CharsetFilter,
    LanguageAnalyzer,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
)
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.index import LockError
from whoosh.searching import Searcher
from whoosh.support.charset import accent_map
from whoosh.writing import IndexWriter

from app.search import (
    PUBLIC,
    SearchDocument,
    SearchHit,
    SearchQuery,
    SearchResults,
    SearchUnavailable,
)

log = logging.getLogger(__name__)

#: How long a writer waits for another process's lock before giving up (work stays queued).
WRITE_LOCK_TIMEOUT = 10.0
#: Below this many results a spelling suggestion is offered.
SUGGEST_BELOW = 3
_SEARCH_FIELDS = ["title", "title_exact", "headings", "body", "tags"]
_FIELD_ALIASES = {"tags": ["tag"], "department_key": ["department", "dept"], "author": ["by"]}
_TERM = re.compile(r"\w+", re.UNICODE)
_WORDS = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


def build_schema(language: str) -> Schema:
    """Stemmed fields for word forms, unstemmed twins for exact matches, accents folded."""
    stemmed = LanguageAnalyzer(language) | CharsetFilter(accent_map)
    exact = (
        RegexTokenizer() | LowercaseFilter() | StopFilter(lang=language) | CharsetFilter(accent_map)
    )
    return Schema(
        key=ID(unique=True, stored=True),
        page_id=NUMERIC(stored=True),
        proposal_id=NUMERIC(stored=True),
        slug=ID(stored=True),
        title=TEXT(analyzer=stemmed, field_boost=2.5, stored=True),
        title_exact=TEXT(analyzer=exact, field_boost=0.5),
        headings=TEXT(analyzer=stemmed, field_boost=1.5),
        # chars=True keeps match offsets in the index, so highlighting needs no re-analysis.
        body=TEXT(analyzer=stemmed, stored=True, chars=True),
        # Every distinct word as written (accents folded): the dictionary for "Did you mean".
        # Cheaper than Whoosh's spelling=True, which analyses the whole body a second time.
        vocabulary=KEYWORD(),  # words arrive lowercased and folded
        tags=KEYWORD(stored=True, commas=True, lowercase=True, scorable=True, field_boost=2.0),
        tag_list=ID(sortable=True),  # the tags as one value, read as a column for facet counts
        department=ID(stored=True, sortable=True),
        department_key=ID(),
        author=ID(stored=True),
        reviewers=KEYWORD(commas=True, lowercase=True),
        updated_at=DATETIME(stored=True, sortable=True),
        reviewed_at=DATETIME(stored=True, sortable=True),
        visible_to=KEYWORD(commas=True, lowercase=True),
    )


class WhooshBackend:
    """Search over a Whoosh index directory."""

    def __init__(self, directory: str | Path, *, language: str = "en") -> None:
        self.directory = Path(directory)
        self.language = language
        self._index: index.Index | None = None
        self._open_lock = threading.Lock()
        self._local = threading.local()

    # -- writing -------------------------------------------------------------------------------

    def index(self, documents: Iterable[SearchDocument]) -> None:
        """Add or replace documents."""
        with self._writer() as writer:
            for document in documents:
                writer.update_document(**_fields(document))

    def remove(self, keys: Iterable[str]) -> None:
        """Remove documents by key (unknown keys are ignored)."""
        with self._writer() as writer:
            for key in keys:
                writer.delete_by_term("key", key)

    def rebuild(
        self, documents: Iterable[SearchDocument], progress: Callable[[int], Any] | None = None
    ) -> int:
        """Replace the whole index with ``documents``; return how many were indexed.

        Searches keep using the old index until the new one is committed in one step, and the
        documents are analysed by two processes (the machine's two cores).
        """
        schema = build_schema(self.language)
        current = self._open()
        if current.schema.names() != schema.names():  # an upgrade changed the fields
            with self._open_lock:
                self._index = current = index.create_in(str(self.directory), schema)
        try:
            writer = current.writer(
                procs=min(2, os.cpu_count() or 1), limitmb=256, multisegment=True,
                timeout=WRITE_LOCK_TIMEOUT,
            )  # fmt: skip
        except LockError as exc:
            raise SearchUnavailable("The search index is locked by another writer.") from exc
        count = 0
        try:
            for document in documents:
                writer.add_document(**_fields(document))
                count += 1
                if progress is not None:
                    progress(1)
        except BaseException:
            writer.cancel()
            raise
        writer.commit(mergetype=writing.CLEAR)
        return count

    def _writer(self) -> _WriterContext:
        try:
            writer = self._open().writer(timeout=WRITE_LOCK_TIMEOUT)
        except LockError as exc:
            raise SearchUnavailable("The search index is locked by another writer.") from exc
        return _WriterContext(writer)

    # -- reading -------------------------------------------------------------------------------

    def search(self, request: SearchQuery) -> SearchResults:
        """Run a query with filters, facets, highlights, spelling help and fuzzy fallback."""
        searcher = self._searcher()
        parsed = self._parse(searcher, request.text)
        restrict = _filters(request)
        results, matched = _collect(searcher, parsed, restrict, request)
        fuzzy = False
        if len(matched) < SUGGEST_BELOW and request.text.strip() and '"' not in request.text:
            # Few or no results: add close spellings, ranked below exact matches.
            fuzzy_query = _fuzzy(request.text, searcher.schema)
            if fuzzy_query is not None:
                widened = _widen(parsed, fuzzy_query) if matched else fuzzy_query
                results, more = _collect(searcher, widened, restrict, request)
                fuzzy, matched = not matched and bool(more), more
        suggestion = None
        if len(matched) < SUGGEST_BELOW and request.text.strip():
            suggestion = _suggestion(searcher, request.text)
        hits = _page_of_hits(results, request) if matched else []
        facets = _facets(searcher, matched, self._groups(searcher))
        return SearchResults(len(matched), hits, facets, suggestion, fuzzy)

    def _groups(self, searcher: Searcher) -> dict[str, dict[str, frozenset[int]]]:
        cached = getattr(self._local, "groups", None)
        if cached is None or cached[0] is not searcher:
            cached = (searcher, _facet_groups(searcher))
            self._local.groups = cached
        return cached[1]

    def suggest(self, prefix: str, *, limit: int = 8) -> list[tuple[str, str]]:
        """Return (title, slug) of published pages whose title words start like ``prefix``."""
        words = _TERM.findall(prefix.lower())
        if not words:
            return []
        terms: list[query.Query] = [query.Term("title_exact", word) for word in words[:-1]]
        terms.append(query.Prefix("title_exact", words[-1]))
        searcher = self._searcher()
        found = searcher.search(
            query.And(terms), limit=limit, filter=query.Term("visible_to", PUBLIC)
        )
        return [(hit["title"], hit["slug"]) for hit in found]

    def stamps(self) -> dict[str, datetime]:
        """Return every document key with its ``updated_at`` (for consistency checks)."""
        searcher = self._searcher()
        return {fields["key"]: _aware(fields["updated_at"]) for fields in searcher.documents()}

    def _parse(self, searcher: Searcher, text: str) -> query.Query:
        parser = qparser.MultifieldParser(
            _SEARCH_FIELDS, searcher.schema, group=qparser.OrGroup.factory(0.9)
        )
        parser.add_plugin(qparser.FieldAliasPlugin(_FIELD_ALIASES))
        # A minus excludes only at the start of a word: "how-to" and "post-mortem" stay words.
        parser.add_plugin(qparser.PlusMinusPlugin(minusexpr=r"(?<![^\s(])-(?=\w)"))
        parser.add_plugin(qparser.FuzzyTermPlugin())
        if not text.strip():
            return query.Every()  # filters alone (tag, department, author) list their pages
        text = _lower_filter_values(text)
        try:
            parsed = parser.parse(text)
        except Exception:  # a query with a syntax error still searches its words
            log.info("Unparseable query %r; searching its words", text)
            parsed = parser.parse(" ".join(_TERM.findall(text)))
        return parsed.accept(_without_broad_wildcards)

    def _searcher(self) -> Searcher:
        searcher: Searcher | None = getattr(self._local, "searcher", None)
        try:
            # Not Searcher.refresh(): it reuses segment readers and misses deletions made
            # in an existing segment. A new searcher is opened only when the index changed.
            if searcher is None or not searcher.up_to_date():
                if searcher is not None:
                    searcher.close()
                searcher = self._open().searcher()
        except (OSError, index.IndexError, ValueError) as exc:
            raise SearchUnavailable(f"The search index cannot be read: {exc}") from exc
        self._local.searcher = searcher
        return searcher

    def _open(self) -> index.Index:
        with self._open_lock:
            if self._index is None:
                self.directory.mkdir(parents=True, exist_ok=True)
                if index.exists_in(str(self.directory)):
                    self._index = index.open_dir(str(self.directory))
                else:
                    self._index = index.create_in(str(self.directory), build_schema(self.language))
            return self._index


class _MatchRecorder(collectors.WrappingCollector):  # type: ignore[misc]
    """Remember every document the query matched while the top N are scored.

    Counting the results and their facets then needs no second pass over the postings.
    """

    def prepare(self, top_searcher: Searcher, q: query.Query, context: Any) -> None:
        super().prepare(top_searcher, q, context)
        self.matched: set[int] = set()

    def collect(self, sub_docnum: int) -> Any:
        self.matched.add(self.offset + sub_docnum)
        return self.child.collect(sub_docnum)


def _collect(
    searcher: Searcher, parsed: query.Query, restrict: query.Query, request: SearchQuery
) -> tuple[Any, set[int]]:
    """Score the first ``page * per_page`` results in one pass that also records every match."""
    limit = max(1, request.page) * max(1, min(request.per_page, 100))
    if request.sort == "date":
        ranked = collectors.SortingCollector(
            sorting.FieldFacet("updated_at", reverse=True), limit=limit
        )
    else:
        ranked = collectors.TopCollector(limit=limit, usequality=False)
    recorder = _MatchRecorder(ranked)
    chain = collectors.FilterCollector(collectors.TermsCollector(recorder), allow=restrict)
    searcher.search_with_collector(parsed, chain)
    return chain.results(), recorder.matched


def _page_of_hits(results: Any, request: SearchQuery) -> list[SearchHit]:
    """The requested page of hits, highlighted; equal scores go to the most recently reviewed."""
    page, size = max(1, request.page), max(1, min(request.per_page, 100))
    results.fragmenter = highlight.PinpointFragmenter(maxchars=240, surround=70, autotrim=True)
    results.formatter = _Formatter()
    window = list(results)[(page - 1) * size : page * size]
    hits = [_hit(hit, scored=request.sort != "date") for hit in window]
    if request.sort != "date":
        hits.sort(key=lambda hit: (-hit.score, -(hit.reviewed_at or hit.updated_at).timestamp()))
    return hits


class _WriterContext:
    """Commit on success, cancel on error (so a failed batch leaves the index unchanged)."""

    def __init__(self, writer: IndexWriter) -> None:
        self.writer = writer

    def __enter__(self) -> IndexWriter:
        return self.writer

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is None:
            self.writer.commit()
        else:
            self.writer.cancel()


class _Formatter(highlight.HtmlFormatter):  # type: ignore[misc]
    """Highlight matches with <mark>, escaping the surrounding text."""

    def __init__(self) -> None:
        super().__init__(tagname="mark", between=" … ")

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return f"<mark>{escape(highlight.get_text(text, token, replace))}</mark>"

    def _text(self, text: str) -> str:
        return str(escape(text))


def _fields(document: SearchDocument) -> dict[str, Any]:
    return {
        "key": document.key,
        "page_id": document.page_id,
        "proposal_id": document.proposal_id or 0,
        "slug": document.slug,
        "title": document.title,
        "title_exact": document.title,
        "headings": document.headings,
        "body": document.body,
        "vocabulary": " ".join(_vocabulary(document)),
        "tags": ",".join(document.tags),
        "tag_list": ",".join(document.tags),
        "department": document.department,
        "department_key": document.department.lower(),
        "author": document.author.lower(),
        "reviewers": ",".join(document.reviewers),
        "updated_at": document.updated_at.astimezone(UTC).replace(tzinfo=None),
        "reviewed_at": (document.reviewed_at or document.updated_at)
        .astimezone(UTC)
        .replace(tzinfo=None),
        "visible_to": ",".join(v.lower() for v in document.visible_to),
    }


def _without_broad_wildcards(node: query.Query) -> query.Query:
    """Drop ``*`` and one-letter prefixes: they would expand to most of the vocabulary."""
    if isinstance(node, query.Every):
        return query.NullQuery
    if isinstance(node, query.Prefix | query.Wildcard):
        if len(re.split(r"[*?]", node.text)[0]) < 2:
            return query.NullQuery
    return node


def _filters(request: SearchQuery) -> query.Query:
    visible: query.Query = query.Term("visible_to", PUBLIC)
    if request.pending_for:
        visible = query.Or([visible, query.Term("visible_to", request.pending_for.lower())])
    parts = [visible]
    if request.tag:
        parts.append(query.Term("tags", request.tag.lower()))
    if request.department:
        parts.append(query.Term("department_key", request.department.lower()))
    if request.author:
        parts.append(query.Term("author", request.author.lower()))
    return query.And(parts)


def _lower_filter_values(text: str) -> str:
    """Field filters match lowercased keys: ``department:Finance`` finds ``finance``."""
    return re.sub(
        r"\b(tag|tags|department|dept|author|by):(\"[^\"]*\"|\S+)",
        lambda m: f"{m.group(1)}:{m.group(2).lower()}",
        text,
    )


def _fuzzy(text: str, schema: Schema) -> query.Query | None:
    """Match every plain word approximately, so a one-letter typo still finds the page.

    Titles are matched word for word; body text by the typo's stem against indexed stems.
    """
    plain = re.sub(r"\b\w+:\S*|(?<!\w)-\S+|\bOR\b|\bAND\b|\bNOT\b", " ", text)
    words = list(dict.fromkeys(word.lower() for word in _TERM.findall(plain) if len(word) > 2))
    terms: list[query.Query] = []
    for word in words:
        stems = [token.text for token in schema["body"].analyzer(word)] or [word]
        for field, term in (("title_exact", word), ("body", stems[0])):
            terms.append(
                query.FuzzyTerm(field, term, maxdist=1 if len(term) < 6 else 2, prefixlength=1)
            )
    return query.Or(terms) if terms else None


def fold(text: str) -> str:
    """Fold accents the way the index does ("café" -> "cafe")."""
    return text.translate(accent_map)


def _vocabulary(document: SearchDocument) -> set[str]:
    text = " ".join((document.title, document.headings, document.body))
    return {fold(word) for word in _WORDS.findall(text.lower())}


def _widen(parsed: query.Query, fuzzy: query.Query) -> query.Query:
    """Add close spellings to a query, keeping its exclusions."""
    if isinstance(parsed, query.AndNot):
        return query.AndNot(query.Or([parsed.a, fuzzy]), parsed.b)
    return query.Or([parsed, fuzzy])


def _suggestion(searcher: Searcher, text: str) -> str | None:
    """Replace each unknown word by the closest word of the index's own vocabulary."""
    reader = searcher.reader()
    corrector = searcher.corrector("vocabulary")
    changed = False

    def fix(match: re.Match[str]) -> str:
        nonlocal changed
        word = match.group(0)
        key = fold(word.lower())
        if len(key) < 3 or ("vocabulary", key) in reader:
            return word
        best = corrector.suggest(key, limit=1, maxdist=2, prefix=1)
        if not best:
            return word
        changed = True
        return str(best[0])

    corrected = re.sub(r"(?<![:\w-])[^\W\d_]{3,}(?![:\w])", fix, text)
    return corrected if changed else None


def _hit(hit: Any, *, scored: bool) -> SearchHit:
    snippet = hit.highlights("body", top=2) or hit.highlights("title")
    if not snippet:
        snippet = escape(hit.get("body", "")[:220]) + (
            "…" if len(hit.get("body", "")) > 220 else ""
        )
    return SearchHit(
        key=hit["key"],
        page_id=hit["page_id"],
        slug=hit["slug"],
        title=hit["title"],
        snippet=Markup(snippet),
        score=round(float(hit.score), 4) if scored else 0.0,
        department=hit.get("department", ""),
        tags=tuple(tag for tag in hit.get("tags", "").split(",") if tag),
        updated_at=_aware(hit["updated_at"]),
        reviewed_at=_aware(hit.get("reviewed_at")),
        proposal_id=hit.get("proposal_id") or None,
    )


#: Above this many matches, facets are counted by set intersection instead of per document.
_INTERSECT_ABOVE = 500


def _facets(
    searcher: Searcher, matched: set[int], groups: dict[str, dict[str, frozenset[int]]]
) -> dict[str, dict[str, int]]:
    """Count departments and tags over every match."""
    if not matched:
        return {"department": {}, "tag": {}}
    if len(matched) > _INTERSECT_ABOVE:
        return {
            name: _ordered(
                Counter(
                    {value: len(matched.intersection(docs)) for value, docs in by_value.items()}
                )
            )
            for name, by_value in groups.items()
        }
    reader = searcher.reader()
    departments: Counter[str] = Counter()
    tags: Counter[str] = Counter()
    department_column = reader.column_reader("department")
    tag_column = reader.column_reader("tag_list")
    for docnum in matched:
        if department := department_column[docnum]:
            departments[department] += 1
        tags.update(tag for tag in tag_column[docnum].split(",") if tag)
    return {"department": _ordered(departments), "tag": _ordered(tags)}


def _facet_groups(searcher: Searcher) -> dict[str, dict[str, frozenset[int]]]:
    """Which documents have each department and each tag (built once per searcher)."""
    reader = searcher.reader()
    departments: dict[str, set[int]] = {}
    tags: dict[str, set[int]] = {}
    if reader.doc_count():
        department_column = reader.column_reader("department")
        tag_column = reader.column_reader("tag_list")
        for docnum in reader.all_doc_ids():
            if department := department_column[docnum]:
                departments.setdefault(department, set()).add(docnum)
            for tag in tag_column[docnum].split(","):
                if tag:
                    tags.setdefault(tag, set()).add(docnum)
    return {
        "department": {key: frozenset(docs) for key, docs in departments.items()},
        "tag": {key: frozenset(docs) for key, docs in tags.items()},
    }


def _ordered(counts: Counter[str]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _aware(value: datetime | None) -> Any:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
