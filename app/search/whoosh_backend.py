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
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from markupsafe import Markup
from whoosh import query, searching, writing
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.index import Index, LockError, create_in, exists_in, open_dir
from whoosh.searching import Searcher
from whoosh.util.filelock import FileLock
from whoosh.writing import IndexWriter

from app.search import (
    OVERDUE_DEMOTION,
    PUBLIC,
    IndexDamaged,
    SearchDocument,
    SearchHit,
    SearchQuery,
    SearchResults,
    SearchUnavailable,
    ranking,
    snippets,
    spelling,
)
from app.search import query as tree
from app.search.analysis import exact_analyzer, fold, stemming_analyzer, vocabulary
from app.search.spelling import SUGGEST_BELOW
from app.search.whoosh_arrays import (
    EXPANDING,
    IndexArrays,
    Scored,
    SegmentCache,
    evaluate,
    top,
)
from app.search.whoosh_query import Translator

log = logging.getLogger(__name__)
_T = TypeVar("_T")

#: How long a writer waits for another process's lock before giving up (work stays queued).
WRITE_LOCK_TIMEOUT = 10.0
#: Bump when ``build_schema`` changes: ``search rebuild`` then starts from a new, empty index.
SCHEMA_VERSION = 3  # 3: page_id is a column (verified-only filter, overdue demotion)
_LAYOUT_FILE = "peerwiki-schema-version"
#: The lock file held while a process applies the change log to the index.
_APPLYING_LOCK = "peerwiki-applying.lock"
#: Fields whose matches are marked in snippets.
_HIGHLIGHTED = frozenset({"title", "body"})
_TERM = re.compile(r"\w+", re.UNICODE)


def build_schema(language: str) -> Schema:
    """Stemmed fields for word forms, unstemmed twins for exact matches, accents folded."""
    stemmed, exact = stemming_analyzer(language), exact_analyzer(language)
    return Schema(
        key=ID(unique=True, stored=True),
        page_id=NUMERIC(
            stored=True, sortable=True, signed=False
        ),  # a column of the ids as they are
        proposal_id=NUMERIC(stored=True),
        slug=ID(stored=True),
        title=TEXT(analyzer=stemmed, field_boost=2.5, stored=True),
        title_exact=TEXT(analyzer=exact, field_boost=0.5),
        headings=TEXT(analyzer=stemmed, field_boost=1.5),
        # chars=True keeps match offsets in the index, so highlighting needs no re-analysis.
        body=TEXT(analyzer=stemmed, stored=True, chars=True),
        # Every distinct word as written (accents folded): the dictionary for "Did you mean".
        # Cheaper than Whoosh's spelling=True, which analyses the whole body a second time.
        # scorable only so that it has a lengths column: without one Whoosh stats a file for each
        # of its postings while writing (a third of the rebuild time).
        vocabulary=KEYWORD(scorable=True),  # words arrive lowercased and folded
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
        self._index: Index | None = None
        self._open_lock = threading.Lock()
        self._local = threading.local()
        self._segment_cache = SegmentCache()

    # -- writing -------------------------------------------------------------------------------

    def index(self, documents: Iterable[SearchDocument]) -> None:
        """Add or replace documents."""

        def write() -> None:
            with self._writer() as writer:
                for document in documents:
                    writer.update_document(**_fields(document))

        self._guarded(write)

    def remove(self, keys: Iterable[str]) -> None:
        """Remove documents by key (unknown keys are ignored)."""

        def write() -> None:
            with self._writer() as writer:
                for key in keys:
                    writer.delete_by_term("key", key)

        self._guarded(write)

    def rebuild(
        self, documents: Iterable[SearchDocument], progress: Callable[[int], Any] | None = None
    ) -> int:
        """Replace the whole index with ``documents``; return how many were indexed.

        Searches keep using the old index until the new one is committed in one step, and the
        documents are analysed by two processes (the machine's two cores).
        """
        try:
            current = self._open()
            # An upgrade changed the fields (reading them also fails on a damaged index).
            names = build_schema(self.language).names()
            replace = self._layout() != SCHEMA_VERSION or current.schema.names() != names
        except Exception as exc:  # a damaged index is what a rebuild is for
            _log_damage("The search index cannot be opened; creating a new one", exc)
            replace = True
        if replace:
            with self._open_lock:
                self._index = current = self._create()
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

    def merge_segments(self) -> None:
        """Merge small segments. Writes commit without merging, so that a burst of saves never
        waits on a merge; the indexer calls this when work pauses."""

        def write() -> None:
            with self._writer(merge=True):
                pass  # an empty commit that merges (Whoosh's own small-segment policy)

        self._guarded(write)

    def _writer(self, *, merge: bool = False) -> _WriterContext:
        try:
            writer = self._open().writer(timeout=WRITE_LOCK_TIMEOUT)
        except LockError as exc:
            raise SearchUnavailable("The search index is locked by another writer.") from exc
        return _WriterContext(writer, merge=merge)

    # -- reading -------------------------------------------------------------------------------

    def search(self, request: SearchQuery) -> SearchResults:
        """Run a query with filters, facets, highlights, spelling help and fuzzy fallback."""
        return self._guarded(lambda: self._search(request))

    def _search(self, request: SearchQuery) -> SearchResults:
        searcher = self._searcher()
        arrays = self._arrays(searcher)
        translator = Translator(searcher.schema, self.language)
        parsed = request.tree()
        narrowing = [_filters(request), *translator.filters(parsed.filters)]
        allowed = evaluate(arrays, query.And(narrowing)).matched
        if request.only_pages is not None:
            allowed = allowed & _of_pages(arrays, request.only_pages)
        q = translator.translate(parsed.root)
        found = _restricted(evaluate(arrays, q), allowed)
        total = exact = int(np.count_nonzero(found.matched))
        fuzzy = False
        if total < SUGGEST_BELOW and request.text.strip():
            # Few or no results: add close spellings, ranked below exact matches.
            close = spelling.close_spellings(parsed.root, translator.stem)
            if close is not None:
                q = translator.translate(spelling.widened(parsed.root, close))
                found = _restricted(evaluate(arrays, q), allowed)
                total = int(np.count_nonzero(found.matched))
                fuzzy = not exact and total > 0
        elif total and request.text.strip():
            # Results, but a word that no page holds (a typo among correct words): add its
            # close spellings, so that the word carrying the meaning counts too.
            close = spelling.close_spellings(
                ranking.unknown_words(parsed.root, _known(arrays)), translator.stem
            )
            if close is not None:
                q = translator.translate(spelling.widened(parsed.root, close))
                found = _restricted(evaluate(arrays, q), allowed)
                total = int(np.count_nonzero(found.matched))
        if request.sort != "date" and total:
            found = _with_proximity(arrays, translator, parsed.root, found)
        suggestion = None
        if exact < SUGGEST_BELOW and request.text.strip():
            suggestion = _suggestion(arrays, request.text, allowed)
        facets = {
            "department": _ordered(arrays.count("department", found.matched)),
            "tag": _ordered(arrays.count("tag_list", found.matched)),
        }
        if request.demoted_pages and request.sort != "date":  # overdue for verification
            demoted = _of_pages(arrays, request.demoted_pages)
            found = Scored(
                found.matched, np.where(demoted, found.scores * OVERDUE_DEMOTION, found.scores)
            )
        hits = _page_of_hits(arrays, q, found, request) if total else []
        return SearchResults(total, hits, facets, suggestion, fuzzy)

    def _arrays(self, searcher: Searcher) -> IndexArrays:
        arrays: IndexArrays | None = getattr(self._local, "arrays", None)
        if arrays is None or arrays.searcher is not searcher:
            arrays = self._local.arrays = IndexArrays(searcher, self._segment_cache)
        return arrays

    def suggest(self, prefix: str, *, limit: int = 8) -> list[tuple[str, str]]:
        """Return (title, slug) of published pages whose title words start like ``prefix``."""
        words = _TERM.findall(prefix.lower())
        if not words:
            return []
        terms: list[query.Query] = [query.Term("title_exact", word) for word in words[:-1]]
        terms.append(query.Prefix("title_exact", words[-1]))

        def titles() -> list[tuple[str, str]]:
            found = self._searcher().search(
                query.And(terms), limit=limit, filter=query.Term("visible_to", PUBLIC)
            )
            return [(hit["title"], hit["slug"]) for hit in found]

        return self._guarded(titles)

    def document_count(self) -> int:
        """How many documents (pages and proposals) the index holds."""
        return self._guarded(lambda: int(self._searcher().doc_count()))

    def stamps(self) -> dict[str, datetime]:
        """Return every document key with its ``updated_at`` (for consistency checks)."""
        return self._guarded(
            lambda: {
                fields["key"]: _aware(fields["updated_at"])
                for fields in self._searcher().documents()
            }
        )

    def close(self) -> None:
        """Close this thread's searcher (the next search opens a fresh one)."""
        searcher: Searcher | None = getattr(self._local, "searcher", None)
        self._local.__dict__.clear()
        if searcher is not None:
            with suppress(Exception):  # closing a damaged index's files must not fail
                searcher.close()

    def _guarded(self, work: Callable[[], _T]) -> _T:
        """Run ``work`` on the index, reporting a damaged index as SearchUnavailable (the log
        keeps the details) and dropping the open searcher, so a rebuilt index is used next."""
        try:
            return work()
        except SearchUnavailable:
            self.close()
            raise
        except Exception as exc:  # corrupt files fail in many ways: pickle, zlib, struct, EOF...
            self.close()
            _log_damage("The search index could not be used", exc)
        # Raised after the handler, so it does not chain to Whoosh's error, whose frames hold
        # files Whoosh opened and never closed.
        raise IndexDamaged(
            "The search index cannot be read; it is rebuilt from the database in the "
            "background (or at once with `flask --app app search rebuild`)."
        )

    def _searcher(self) -> Searcher:
        """This thread's searcher, reopened when the index changed (call it through ``_guarded``)."""
        searcher: Searcher | None = getattr(self._local, "searcher", None)
        # Not Searcher.refresh(): it reuses segment readers and misses deletions made in an
        # existing segment. A new searcher is opened only when the index changed.
        if searcher is None or not searcher.up_to_date():
            self.close()
            searcher = self._local.searcher = self._open().searcher()
        return searcher

    def _open(self) -> Index:
        with self._open_lock:
            if self._index is None:
                self.directory.mkdir(parents=True, exist_ok=True)
                if exists_in(str(self.directory)):
                    self._index = open_dir(str(self.directory))
                else:
                    self._index = self._create()
            return self._index

    def _create(self) -> Index:
        """A new, empty index with this version's fields."""
        created = create_in(str(self.directory), build_schema(self.language))
        (self.directory / _LAYOUT_FILE).write_text(f"{SCHEMA_VERSION}\n")
        return created

    @contextmanager
    def applying(self) -> Iterator[None]:
        """Hold the index directory's apply lock (an ``flock``, so every process and thread of
        the machine takes turns), waiting up to ``WRITE_LOCK_TIMEOUT``."""
        self.directory.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.directory / _APPLYING_LOCK))
        deadline = time.monotonic() + WRITE_LOCK_TIMEOUT
        while not lock.acquire(blocking=False):
            if time.monotonic() > deadline:
                raise SearchUnavailable("The search index is being updated by another process.")
            time.sleep(0.05)
        try:
            yield
        finally:
            lock.release()

    def _layout(self) -> int | None:
        """The SCHEMA_VERSION the index was created with (None: before versions were kept)."""
        try:
            return int((self.directory / _LAYOUT_FILE).read_text())
        except (OSError, ValueError):
            return None


class _WriterContext:
    """Commit on success (merging segments only when asked), cancel on error (so a failed batch
    leaves the index unchanged)."""

    def __init__(self, writer: IndexWriter, *, merge: bool) -> None:
        self.writer, self.merge = writer, merge

    def __enter__(self) -> IndexWriter:
        return self.writer

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is None:
            self.writer.commit(merge=self.merge)
        else:
            self.writer.cancel()


def _log_damage(message: str, exc: BaseException) -> None:
    """Log a failure to read the index with its traceback as text (a record holding the
    traceback would keep Whoosh's failed frames, and the files they opened, alive)."""
    log.error("%s\n%s", message, "".join(traceback.format_exception(exc)).rstrip())


def _of_pages(arrays: IndexArrays, page_ids: frozenset[int]) -> np.ndarray:
    """Which documents belong to one of ``page_ids`` (a mask over document numbers)."""
    return np.isin(arrays.column("page_id"), np.fromiter(page_ids, np.int64, len(page_ids)))


def _known(arrays: IndexArrays) -> Callable[[str], bool]:
    """Whether some document holds a word as written."""
    to_bytes = arrays.searcher.schema["vocabulary"].to_bytes
    return lambda word: bool(len(arrays.term("vocabulary", to_bytes(fold(word.lower())))[0]))


def _with_proximity(
    arrays: IndexArrays, translator: Translator, root: tree.Node | None, found: Scored
) -> Scored:
    """``found`` with the best matches' scores raised by ``ranking.bonus``: their query
    words together in the body."""
    searcher = arrays.searcher
    body = searcher.schema["body"]
    words: dict[bytes, float] = {}
    for leaf in tree.positive_leaves(root):
        if isinstance(leaf, tree.Term | tree.Phrase) and leaf.field in (None, "body"):
            for term in translator.terms("body", leaf.text):
                btext = body.to_bytes(term)
                if btext not in words and len(arrays.term("body", btext)[0]):
                    words[btext] = float(searcher.idf("body", btext))
    if not words:
        return found
    candidates = top(found, [-found.scores], ranking.RERANKED)
    terms = list(words)
    positions = [arrays.positions("body", btext, candidates) for btext in terms]
    weights = list(words.values())
    scores = found.scores.copy()
    for docnum in candidates.tolist():
        scores[docnum] += ranking.bonus(
            [found_in.get(docnum, []) for found_in in positions], weights
        )
    return Scored(found.matched, scores)


def _restricted(found: Scored, allowed: np.ndarray) -> Scored:
    return Scored(found.matched & allowed, found.scores)


def _page_of_hits(
    arrays: IndexArrays, q: query.Query, found: Scored, request: SearchQuery
) -> list[SearchHit]:
    """The requested page of hits, highlighted; equal scores go to the most recently reviewed."""
    page, size = max(1, request.page), max(1, min(request.per_page, 100))
    if request.sort == "date":
        order = [-arrays.column("updated_at")]
    else:
        order = [-found.scores, -arrays.column("reviewed_at")]
    docnums = top(found, order, page * size)[(page - 1) * size :]
    results = searching.Results(
        arrays.searcher, q, [(float(found.scores[d]), int(d)) for d in docnums]
    )
    _record_matched_terms(results, arrays, q, docnums)
    results.fragmenter = snippets.fragmenter()
    results.formatter = snippets.Formatter()
    return [_hit(hit, scored=request.sort != "date") for hit in results]


def _record_matched_terms(
    results: searching.Results, arrays: IndexArrays, q: query.Query, docnums: np.ndarray
) -> None:
    """Tell the highlighter which query terms occur in each shown document, so it marks them
    from the offsets stored in the index instead of analysing the text again."""
    results.termdocs = {}
    results.docterms = {int(docnum): [] for docnum in docnums}
    for term in _highlighted_terms(arrays, q):
        ids, _ = arrays.term(*term)
        inside = [int(docnum) for docnum in docnums[np.isin(docnums, ids)]]
        if inside:  # the highlighter reads each listed term's postings: only the useful ones
            results.termdocs[term] = inside
        for docnum in inside:
            results.docterms[docnum].append(term)


def _highlighted_terms(arrays: IndexArrays, q: query.Query) -> set[tuple[str, bytes]]:
    """The indexed terms of ``q`` (prefixes and fuzzy terms expanded) in highlighted fields.

    (``Query.existing_terms`` would do, but it skips every field after the first it sees.)
    """
    reader = arrays.searcher.reader()
    found = set()
    for leaf in q.leaves():
        if leaf.field() not in _HIGHLIGHTED:
            continue
        field = arrays.searcher.schema[leaf.field()]
        if isinstance(leaf, EXPANDING):
            terms = [(leaf.field(), word) for word in arrays.expand(leaf)]
        else:
            terms = list(leaf.expanded_terms(reader, phrases=True))
        for fieldname, text in terms:
            btext = text if isinstance(text, bytes) else field.to_bytes(text)
            if (fieldname, btext) in reader:
                found.add((fieldname, btext))
    return found


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
        "vocabulary": " ".join(vocabulary(document)),
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


def _suggestion(arrays: IndexArrays, text: str, visible: np.ndarray) -> str | None:
    """Replace each unknown word by the closest word of the pages the asker may see (fewest
    edits, then the most pages): never a word only a private proposal or a removed page has."""
    to_bytes = arrays.searcher.schema["vocabulary"].to_bytes

    def pages(word: str) -> int:
        ids, _ = arrays.term("vocabulary", to_bytes(word))
        return int(np.count_nonzero(visible[ids]))

    return spelling.corrected(
        text, pages, lambda word: arrays.close_terms("vocabulary", word, maxdist=2, prefix=1)
    )


def _hit(hit: Any, *, scored: bool) -> SearchHit:
    snippet = hit.highlights("body", top=2) or hit.highlights("title")
    if not snippet:
        snippet = snippets.lead(hit.get("body", ""))
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


def _ordered(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _aware(value: datetime | None) -> Any:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
