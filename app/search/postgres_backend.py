"""Full-text search inside PostgreSQL: for several app servers sharing one database.

Each document is a row of ``search_documents`` with a weighted ``tsvector`` (title A, headings
B, tags C, body D) under a GIN index, stemmed with the ``SEARCH_LANGUAGE``'s text search
configuration. Changes write their rows through the change's own session (``index_in``), so
search is consistent the moment a publication commits: there is no index to catch up, no
checkpoint and no replay. ``search_words`` holds every word as written, for close spellings
and "Did you mean" by ``pg_trgm`` similarity.

Peerwiki's query tree is translated into SQL here; user text reaches PostgreSQL only as bound
parameters, each word quoted as one lexeme for ``to_tsquery`` (never its operator syntax).
Accents are folded in Python before text reaches PostgreSQL, exactly as the other backends fold
them, so a word finds the same pages whichever backend is configured.
"""

from __future__ import annotations

import math
import operator
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Final

from markupsafe import Markup, escape
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    any_,
    bindparam,
    case,
    cast,
    delete,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, REAL, REGCONFIG, TSQUERY, TSVECTOR
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from app.db import NAMING_CONVENTION
from app.search import (
    OVERDUE_DEMOTION,
    PUBLIC,
    SearchDocument,
    SearchHit,
    SearchQuery,
    SearchResults,
    SearchUnavailable,
    query,
    snippets,
    spelling,
)
from app.search.analysis import fold, phrase_pattern, vocabulary
from app.search.spelling import SUGGEST_BELOW

#: The search tables; migration 0011 creates them (on PostgreSQL only).
METADATA: Final = MetaData(naming_convention=NAMING_CONVENTION)
_TEXT_ARRAY = ARRAY(Text)
DOCUMENTS: Final = Table(
    "search_documents",
    METADATA,
    Column("key", String(40), primary_key=True),
    Column("page_id", Integer, nullable=False),
    Column("proposal_id", Integer, nullable=True),
    Column("slug", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("title_folded", Text, nullable=False),  # lowercased, accents folded: suggestions
    Column("headings", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("tags", _TEXT_ARRAY, nullable=False),
    Column("tag_keys", _TEXT_ARRAY, nullable=False),  # lowercased, for filters
    Column("department", Text, nullable=False),
    Column("author", Text, nullable=False),
    Column("reviewers", _TEXT_ARRAY, nullable=False),  # lowercased
    Column("visible_to", _TEXT_ARRAY, nullable=False),  # lowercased usernames, or "public"
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("reviewed_at", DateTime(timezone=True), nullable=True),
    Column("vector", TSVECTOR, nullable=False),
    Index("ix_search_documents_vector", "vector", postgresql_using="gin"),
    Index("ix_search_documents_visible_to", "visible_to", postgresql_using="gin"),
    Index(
        "ix_search_documents_title_trgm", "title_folded",
        postgresql_using="gin", postgresql_ops={"title_folded": "gin_trgm_ops"},
    ),
)  # fmt: skip
WORDS: Final = Table(
    "search_words",
    METADATA,
    Column("word", Text, primary_key=True),
    Index(
        "ix_search_words_word_trgm", "word",
        postgresql_using="gist", postgresql_ops={"word": "gist_trgm_ops"},
    ),
)  # fmt: skip

#: PostgreSQL's text search configuration for each ``SEARCH_LANGUAGE`` (others: no stemming).
CONFIGURATIONS: Final = {
    "ar": "arabic", "da": "danish", "de": "german", "en": "english", "es": "spanish",
    "fi": "finnish", "fr": "french", "hu": "hungarian", "it": "italian", "nl": "dutch",
    "no": "norwegian", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sv": "swedish",
    "tr": "turkish",
}  # fmt: skip
#: ``ts_rank_cd`` weights {D, C, B, A}: body 1, tags 2, headings 1.5, title 3 (Whoosh's title
#: 2.5 plus its exact twin's 0.5), scaled to at most 1.
_WEIGHTS: Final = "{0.3333, 0.6667, 0.5, 1.0}"
#: ``ts_rank_cd`` normalisation 32, rank / (rank + 1): a word's weight saturates as in BM25, so a
#: page saying "first" twenty times does not outrank one with "checklist" in its title.
_NORMALISATION: Final = 32
#: The weight label of each text field a query may name (and of the title's exact words, which
#: close spellings search).
_LABELS: Final = {"title": "A", "title_exact": "A", "headings": "B", "body": "D"}
#: Fields of plain values (lowercased) that a query may name.
_VALUE_FIELDS: Final[dict[str, Any]] = {
    "tags": DOCUMENTS.c.tag_keys,
    "reviewers": DOCUMENTS.c.reviewers,
    "department": func.lower(DOCUMENTS.c.department),
    "author": func.lower(DOCUMENTS.c.author),
}
_ARRAY_FIELDS: Final = frozenset({"tags", "reviewers"})
#: The filters a search may choose, by the field each narrows.
_CHOSEN: Final = {"tag": "tags", "department": "department", "author": "author"}
#: How many vocabulary words a close spelling or range may stand for.
_EXPANSION: Final = 100
#: Private-use characters: ts_headline's marks, and stand-ins for ``<``, ``>`` and ``&``, which
#: PostgreSQL's parser would otherwise drop from headlines as HTML tags and entities.
_MARK, _UNMARK, _LT, _GT, _AMP = "\ue001", "\ue002", "\ue003", "\ue004", "\ue005"
#: Removed from text before it reaches PostgreSQL (which refuses NUL characters in text).
_CLEAN: Final = str.maketrans(dict.fromkeys(map(ord, "\x00" + _MARK + _UNMARK + _LT + _GT + _AMP)))
_HIDE: Final = {**_CLEAN, ord("<"): _LT, ord(">"): _GT, ord("&"): _AMP}
_SHOW: Final = str.maketrans({_LT: "<", _GT: ">", _AMP: "&"})
#: One excerpt around the best match (fragments would start at a word, cutting off a "<" or
#: "(" before it).
_BODY_HEADLINE: Final = f"StartSel={_MARK}, StopSel={_UNMARK}, MaxWords=35, MinWords=15"
_TITLE_HEADLINE: Final = f"StartSel={_MARK}, StopSel={_UNMARK}, HighlightAll=true"
_TERM = re.compile(r"\w+", re.UNICODE)
_BATCH = 200

_UPSERT = text(
    """
    INSERT INTO search_documents (key, page_id, proposal_id, slug, title, title_folded, headings,
        body, tags, tag_keys, department, author, reviewers, visible_to, updated_at,
        reviewed_at, vector)
    VALUES (:key, :page_id, :proposal_id, :slug, :title, :title_folded, :headings, :body, :tags,
        :tag_keys, :department, :author, :reviewers, :visible_to, :updated_at, :reviewed_at,
        setweight(to_tsvector(CAST(:config AS regconfig), :title_text), 'A')
        || setweight(to_tsvector(CAST(:config AS regconfig), :headings_text), 'B')
        || setweight(to_tsvector(CAST(:config AS regconfig), :tags_text), 'C')
        || setweight(to_tsvector(CAST(:config AS regconfig), :body_text), 'D'))
    ON CONFLICT (key) DO UPDATE SET page_id = excluded.page_id,
        proposal_id = excluded.proposal_id, slug = excluded.slug, title = excluded.title,
        title_folded = excluded.title_folded, headings = excluded.headings,
        body = excluded.body, tags = excluded.tags, tag_keys = excluded.tag_keys,
        department = excluded.department, author = excluded.author,
        reviewers = excluded.reviewers, visible_to = excluded.visible_to,
        updated_at = excluded.updated_at, reviewed_at = excluded.reviewed_at,
        vector = excluded.vector
    """
)
# One sorted statement per transaction: two transactions adding the same new words wait for
# each other in one order, and never deadlock.
_ADD_WORDS = text(
    "INSERT INTO search_words (word) SELECT unnest(CAST(:words AS text[])) ON CONFLICT DO NOTHING"
)


class PostgresBackend:
    """Search over the ``search_documents`` table of the application's PostgreSQL database."""

    def __init__(self, engine: Engine, *, language: str = "en") -> None:
        self.engine = engine
        self.language = language
        #: The text search configuration that stems ``language``.
        self.config = CONFIGURATIONS.get(language, "simple")

    # -- writing -------------------------------------------------------------------------------

    def index_in(self, session: Session, documents: Iterable[SearchDocument]) -> None:
        """Add or replace documents in ``session``'s transaction (they commit with it)."""
        _write(session.connection(), self.config, list(documents))

    def remove_in(self, session: Session, keys: Iterable[str]) -> None:
        """Remove documents by key in ``session``'s transaction (unknown keys are ignored)."""
        _delete(session.connection(), list(keys))

    def index(self, documents: Iterable[SearchDocument]) -> None:
        """Add or replace documents (in a transaction of their own)."""
        batch = list(documents)
        with self._connection(write=True) as connection:
            _write(connection, self.config, batch)

    def remove(self, keys: Iterable[str]) -> None:
        """Remove documents by key (unknown keys are ignored)."""
        batch = list(keys)
        with self._connection(write=True) as connection:
            _delete(connection, batch)

    def rebuild(
        self, documents: Iterable[SearchDocument], progress: Callable[[int], Any] | None = None
    ) -> int:
        """Replace every document with ``documents`` in one transaction (searches see the old
        ones until it commits); return how many were indexed."""
        count = 0
        with self._connection(write=True) as connection:
            connection.execute(delete(DOCUMENTS))
            connection.execute(delete(WORDS))
            for batch in _batches(documents):
                _write(connection, self.config, batch)
                count += len(batch)
                if progress is not None:
                    progress(len(batch))
        return count

    # -- reading -------------------------------------------------------------------------------

    def search(self, request: SearchQuery) -> SearchResults:
        """Run a query with filters, facets, highlights, spelling help and fuzzy fallback."""
        with self._connection() as connection:
            return _Search(connection, self.config, self.language, request).run()

    def suggest(self, prefix: str, *, limit: int = 8) -> list[tuple[str, str]]:
        """Return (title, slug) of published pages whose title words start like ``prefix``."""
        typed = _TERM.findall(fold(prefix.lower()))
        if not typed:
            return []
        title = func.to_tsvector(literal("simple", REGCONFIG), DOCUMENTS.c.title_folded)
        whole = _all(_lexeme("simple", word) for word in typed[:-1])
        wanted = _all([whole, _lexeme("simple", typed[-1], suffix=":*")])
        statement = (
            select(DOCUMENTS.c.title, DOCUMENTS.c.slug)
            .where(
                DOCUMENTS.c.visible_to.contains([PUBLIC]),
                DOCUMENTS.c.title_folded.contains(typed[-1], autoescape=True),  # trigram index
                title.op("@@")(wanted),
            )
            .order_by(
                func.ts_rank(title, whole).desc(),
                func.similarity(DOCUMENTS.c.title_folded, " ".join(typed)).desc(),
                DOCUMENTS.c.title,
            )
            .limit(limit)
        )
        with self._connection() as connection:
            return [(row.title, row.slug) for row in connection.execute(statement)]

    def stamps(self) -> dict[str, datetime]:
        """Return every document key with its ``updated_at`` (for consistency checks)."""
        statement = select(DOCUMENTS.c.key, DOCUMENTS.c.updated_at)
        with self._connection() as connection:
            return {key: stamp.astimezone(UTC) for key, stamp in connection.execute(statement)}

    def document_count(self) -> int:
        """How many documents (pages and proposals) the index holds."""
        with self._connection() as connection:
            return int(connection.scalar(select(func.count()).select_from(DOCUMENTS)) or 0)

    def applying(self) -> AbstractContextManager[None]:
        """Nothing to hold: the index changes in the changes' own transactions, with no log."""
        return nullcontext()

    @contextmanager
    def _connection(self, *, write: bool = False) -> Iterator[Connection]:
        """A connection (in a transaction that commits when ``write``), reporting a database
        that cannot be reached or lacks the search tables as SearchUnavailable."""
        try:
            with self.engine.begin() if write else self.engine.connect() as connection:
                yield connection
        except DBAPIError as exc:
            raise SearchUnavailable(
                f"PostgreSQL search failed ({type(exc.orig).__name__}); "
                "is the database migrated (`flask --app app db upgrade`)?"
            ) from exc


# -- writing ---------------------------------------------------------------------------------


def _write(connection: Connection, config: str, batch: list[SearchDocument]) -> None:
    if not batch:
        return
    connection.execute(_UPSERT, [_row(document, config) for document in batch])
    known = sorted(set().union(*(vocabulary(document) for document in batch)))
    if known:
        connection.execute(_ADD_WORDS, {"words": known})


def _delete(connection: Connection, keys: list[str]) -> None:
    if keys:
        connection.execute(delete(DOCUMENTS).where(DOCUMENTS.c.key.in_(keys)))


def _row(document: SearchDocument, config: str) -> dict[str, Any]:
    tags = [tag for tag in document.tags if tag]
    return {
        "key": document.key, "page_id": document.page_id, "proposal_id": document.proposal_id,
        "slug": document.slug, "title": document.title.translate(_CLEAN),
        "title_folded": fold(document.title.lower()), "headings": document.headings.translate(_CLEAN),
        "body": document.body.translate(_CLEAN), "tags": tags,
        "tag_keys": [tag.lower() for tag in tags], "department": document.department,
        "author": document.author, "reviewers": [name.lower() for name in document.reviewers],
        "visible_to": [name.lower() for name in document.visible_to],
        "updated_at": _aware(document.updated_at), "reviewed_at": _aware(document.reviewed_at),
        "config": config, "title_text": _searchable(document.title),
        "headings_text": _searchable(document.headings), "tags_text": _searchable(" ".join(tags)),
        "body_text": _searchable(document.body),
    }  # fmt: skip


def _searchable(text: str) -> str:
    """Text as the vector reads it: accents folded, ``<``, ``>`` and ``&`` as plain separators
    (not HTML for PostgreSQL's parser to drop: a page about ``<script>`` is found by "script")."""
    return fold(text).translate(_HIDE)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _batches(items: Iterable[SearchDocument]) -> Iterator[list[SearchDocument]]:
    batch: list[SearchDocument] = []
    for item in items:
        batch.append(item)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


# -- the query tree in SQL -------------------------------------------------------------------


#: The empty tsquery: it matches nothing, and an operand of ``&`` or ``|`` it leaves the other.
_NOTHING: Final = cast(literal(""), TSQUERY)


def _quoted(word: str) -> str:
    """``word`` as one quoted ``to_tsquery`` operand: its operators are plain characters."""
    word = word.translate(_CLEAN)
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _lexeme(config: str, word: str, suffix: str = "") -> ColumnElement[Any]:
    """The tsquery of ``word`` (stemmed by ``config``; several words: a phrase), with a
    ``suffix`` of our own: ``:*`` for a prefix, a weight label for a field."""
    return _lexemes(config, [word], suffix)


def _lexemes(config: str, words: Iterable[str], suffix: str = "") -> ColumnElement[Any]:
    """Either of ``words`` as one tsquery, each quoted and given ``suffix``."""
    operands = [_quoted(word) + suffix for word in words if word.translate(_CLEAN).strip()]
    if not operands:
        return _NOTHING
    return func.to_tsquery(literal(config, REGCONFIG), bindparam(None, " | ".join(operands)))


def _balanced(
    combine: Callable[[Any, Any], ColumnElement[Any]], parts: Sequence[ColumnElement[Any]]
) -> ColumnElement[Any]:
    """``parts`` combined pairwise as a balanced tree (a long query nests only log(n) deep)."""
    if not parts:
        return _NOTHING
    if len(parts) == 1:
        return parts[0]
    middle = len(parts) // 2
    return combine(_balanced(combine, parts[:middle]), _balanced(combine, parts[middle:]))


def _any(parts: Iterable[ColumnElement[Any]]) -> ColumnElement[Any]:
    """Either tsquery (none: the empty tsquery)."""
    return _balanced(func.tsquery_or, list(parts))


def _all(parts: Iterable[ColumnElement[Any]]) -> ColumnElement[Any]:
    """Both tsqueries (none: the empty tsquery)."""
    return _balanced(func.tsquery_and, list(parts))


class _Translation:
    """A node as SQL: a tsquery when it only searches text, else a condition."""

    def __init__(
        self,
        tsquery: ColumnElement[Any] | None = None,
        condition: ColumnElement[bool] | None = None,
        highlight: ColumnElement[Any] | None = None,
    ) -> None:
        self.tsquery = tsquery
        self.condition = condition
        #: A text leaf's words for ts_headline to mark (without field weights).
        self.highlight = highlight

    def where(self) -> ColumnElement[bool]:
        if self.condition is not None:
            return self.condition
        assert self.tsquery is not None
        return DOCUMENTS.c.vector.op("@@")(self.tsquery)


class _Translator:
    """Translate query trees for one search (close spellings and ranges read the vocabulary)."""

    def __init__(self, connection: Connection, config: str, language: str) -> None:
        self.connection = connection
        self.config = config
        self.language = language
        #: The words that a match's snippet marks (the positive text leaves', as typed too).
        self.highlights: list[ColumnElement[Any]] = []
        #: The tsqueries that rank a match (the positive text leaves).
        self.ranked: list[ColumnElement[Any]] = []
        self._leaves: dict[query.Word, _Translation] = {}
        self._close: dict[tuple[str, int, int], list[str]] = {}

    def translate(self, node: query.Node | None, *, positive: bool = True) -> _Translation:
        if node is None:
            return _Translation(condition=false())
        if isinstance(node, query.Every):
            return _Translation(condition=true())
        if isinstance(node, query.Not):
            inner = self.translate(node.child, positive=False)
            if inner.tsquery is not None and inner.condition is None:
                return _Translation(tsquery=func.tsquery_not(inner.tsquery))
            return _Translation(condition=not_(inner.where()))
        if isinstance(node, query.And | query.Or):
            parts = [self.translate(child, positive=positive) for child in node.children]
            both = isinstance(node, query.And)
            if all(part.tsquery is not None and part.condition is None for part in parts):
                tsqueries = [part.tsquery for part in parts if part.tsquery is not None]
                return _Translation(tsquery=_all(tsqueries) if both else _any(tsqueries))
            conditions = [part.where() for part in parts]
            return _Translation(condition=and_(*conditions) if both else or_(*conditions))
        if node.field in _VALUE_FIELDS:
            return _Translation(condition=_value_condition(node))
        if node not in self._leaves:  # a word typed twice is looked up once
            self._leaves[node] = self._text(node)
        found = self._leaves[node]
        if positive and found.highlight is not None:
            self.highlights.append(found.highlight)
        # Like Whoosh, a range match scores nothing: only words rank.
        if positive and found.tsquery is not None and not isinstance(node, query.Range):
            self.ranked.append(found.tsquery)
        return found

    def _text(self, leaf: query.Word) -> _Translation:
        label = _LABELS.get(leaf.field or "", "")
        if isinstance(leaf, query.Term | query.Phrase | query.Prefix):
            star = ":*" if isinstance(leaf, query.Prefix) else ""
            suffix = f":{star[1:]}{label}" if label else star
            forms = dict.fromkeys((leaf.text, fold(leaf.text)))  # as typed, and as indexed
            tsquery = _lexeme(self.config, fold(leaf.text), suffix)
            pattern = (
                phrase_pattern(leaf.text.translate(_CLEAN), self.language)
                if isinstance(leaf, query.Phrase)
                else None
            )
            return _Translation(
                tsquery=tsquery,
                # The vector leaves stop words out: the text must hold the phrase's too.
                condition=None
                if pattern is None
                else and_(
                    DOCUMENTS.c.vector.op("@@")(tsquery), _text_of(leaf.field).op("~*")(pattern)
                ),
                highlight=_any(_lexeme(self.config, form, star) for form in forms),
            )
        if isinstance(leaf, query.Fuzzy):
            close = self.close_words(fold(leaf.text.lower()), leaf.distance, leaf.prefix)
        else:
            close = self._within(leaf)
        if not close:
            return _Translation(condition=false())
        return _Translation(
            tsquery=_lexemes(self.config, close, f":{label}" if label else ""),
            highlight=_lexemes(self.config, close),
        )

    def close_words(self, word: str, distance: int, prefix: int) -> list[str]:
        """Words of the vocabulary within ``distance`` edits of ``word`` sharing its first
        ``prefix`` letters: the trigram index's nearest, then counted exactly."""
        if (word, distance, prefix) not in self._close:
            self._close[word, distance, prefix] = self._nearest(word, distance, prefix)
        return self._close[word, distance, prefix]

    def _nearest(self, word: str, distance: int, prefix: int) -> list[str]:
        statement = select(WORDS.c.word)
        if prefix:
            statement = statement.where(WORDS.c.word.startswith(word[:prefix], autoescape=True))
        statement = statement.order_by(WORDS.c.word.op("<->")(word)).limit(_EXPANSION)
        nearest = sorted(self.connection.scalars(statement))
        return [found for found, _ in spelling.close_words(nearest, word, distance, prefix)]

    def _within(self, leaf: query.Range) -> list[str]:
        statement = select(WORDS.c.word).order_by(WORDS.c.word).limit(_EXPANSION)
        if leaf.start:
            low = fold(leaf.start.translate(_CLEAN).lower())
            statement = statement.where(
                WORDS.c.word >= low if leaf.start_inclusive else WORDS.c.word > low
            )
        if leaf.end:
            high = fold(leaf.end.translate(_CLEAN).lower())
            statement = statement.where(
                WORDS.c.word <= high if leaf.end_inclusive else WORDS.c.word < high
            )
        return list(self.connection.scalars(statement))


def _text_of(field: str | None) -> ColumnElement[Any]:
    """The stored text a phrase in ``field`` stands in (the body holds the headings)."""
    if field == "title":
        return DOCUMENTS.c.title
    if field in ("headings", "body"):
        return getattr(DOCUMENTS.c, field)  # type: ignore[no-any-return]
    return DOCUMENTS.c.title + " " + DOCUMENTS.c.body


def _value_condition(leaf: query.Leaf) -> ColumnElement[bool]:
    """A leaf on a field of plain values (tags, department, author, reviewers)."""
    assert not isinstance(leaf, query.Every) and leaf.field is not None
    column = _VALUE_FIELDS[leaf.field]
    array = leaf.field in _ARRAY_FIELDS
    if isinstance(leaf, query.Range):
        low = leaf.start.translate(_CLEAN).lower() if leaf.start else None
        high = leaf.end.translate(_CLEAN).lower() if leaf.end else None
        value = func.unnest(column).column_valued() if array else column
        bounds = [value >= low if low else true(), value <= high if high else true()]
        if not array:
            return and_(*bounds)
        return select(literal(1)).where(*bounds).exists()
    wanted = " ".join(leaf.text.translate(_CLEAN).split()).lower()
    if isinstance(leaf, query.Prefix):
        if not array:
            return column.startswith(wanted, autoescape=True)  # type: ignore[no-any-return]
        value = func.unnest(column).column_valued()
        return select(literal(1)).where(value.startswith(wanted, autoescape=True)).exists()
    return column.contains([wanted]) if array else column == wanted  # type: ignore[no-any-return]


# -- searching -------------------------------------------------------------------------------


class _Search:
    """One search: matching, facets, spelling help and the page of hits."""

    def __init__(
        self, connection: Connection, config: str, language: str, request: SearchQuery
    ) -> None:
        self.connection = connection
        self.config = config
        self.language = language
        self.request = request = replace(
            request,
            text=request.text.translate(_CLEAN),
            **{
                name: getattr(request, name).translate(_CLEAN)
                for name in _CHOSEN
                if getattr(request, name)
            },
        )
        self.parsed = request.tree()
        self.allowed = self._allowed()

    def run(self) -> SearchResults:
        request = self.request
        root = self.parsed.root
        translator = _Translator(self.connection, self.config, self.language)
        match = translator.translate(root).where()
        counts = self._counts(match, translator.ranked)
        exact, fuzzy = counts.total, False
        if exact < SUGGEST_BELOW and request.text.strip() and '"' not in request.text:
            close = spelling.close_spellings(root, stem=_unstemmed)
            if close is not None:  # few or no results: close spellings too, ranked below
                root = spelling.widened(root, close)
                translator = _Translator(self.connection, self.config, self.language)
                match = translator.translate(root).where()
                counts = self._counts(match, translator.ranked)
                fuzzy = not exact and counts.total > 0
        suggestion = None
        if exact < SUGGEST_BELOW and request.text.strip():
            suggestion = spelling.corrected(request.text, self._pages, self._candidates)
        hits = self._hits(match, translator, counts) if counts.total else []
        facets = {name: _ordered(found) for name, found in counts.facets.items()}
        return SearchResults(counts.total, hits, facets, suggestion, fuzzy)

    def _allowed(self) -> ColumnElement[bool]:
        """The documents the asker may see that pass every filter (chosen or typed)."""
        request = self.request
        viewers = [PUBLIC, request.pending_for.lower()] if request.pending_for else [PUBLIC]
        conditions = [DOCUMENTS.c.visible_to.overlap(viewers)]
        wanted = [(choice.field, list(choice.values)) for choice in self.parsed.filters]
        wanted += [
            (field, [value.lower()])
            for name, field in _CHOSEN.items()
            if (value := getattr(request, name))
        ]
        for name, values in wanted:
            column = _VALUE_FIELDS[name]
            conditions.append(
                column.overlap(values) if name in _ARRAY_FIELDS else column.in_(values)
            )
        if request.only_pages is not None:
            conditions.append(DOCUMENTS.c.page_id == any_(_ids(request.only_pages)))
        return and_(*conditions)

    def _counts(self, match: ColumnElement[bool], ranked: list[ColumnElement[Any]]) -> _Counts:
        """How many documents match, the department and tag counts among them, and how many
        hold each ranked word (one pass over the matches)."""
        vector = DOCUMENTS.c.vector
        matched = (
            select(
                DOCUMENTS.c.department,
                DOCUMENTS.c.tags,
                *(vector.op("@@")(leaf).label(f"holds_{number}") for number, leaf in enumerate(ranked)),
            )
            .where(self.allowed, match)
            .cte("matched")
        )  # fmt: skip
        tag = func.unnest(matched.c.tags).table_valued("value").render_derived(name="tag")
        everything = select(func.count()).select_from(DOCUMENTS).scalar_subquery()
        statement = union_all(
            select(literal(""), literal(""), func.count()).select_from(matched),
            select(literal("documents"), literal(""), everything),
            *(
                select(literal("holding"), literal(str(number)),
                       func.count().filter(matched.c[f"holds_{number}"])).select_from(matched)
                for number in range(len(ranked))
            ),
            select(literal("department"), matched.c.department, func.count())
            .where(matched.c.department != "")
            .group_by(matched.c.department),
            select(literal("tag"), tag.c.value, func.count())
            .select_from(matched.join(tag, true()))
            .group_by(tag.c.value),
        )  # fmt: skip
        found = _Counts(holding=[0] * len(ranked))
        for kind, value, count in self.connection.execute(statement):
            if kind in found.facets:
                found.facets[kind][value] = count
            elif kind == "holding":
                found.holding[int(value)] = count
            elif kind == "documents":
                found.documents = count
            else:
                found.total = count
        return found

    def _hits(
        self, match: ColumnElement[bool], translator: _Translator, counts: _Counts
    ) -> list[SearchHit]:
        """The requested page of hits, highlighted; equal scores go to the most recently
        reviewed."""
        request = self.request
        page, size = max(1, request.page), max(1, min(request.per_page, 100))
        scored = request.sort != "date"
        score = _score(translator.ranked, counts) if scored else literal(0.0)
        if scored and request.demoted_pages:  # overdue for verification: ranked lower
            overdue = DOCUMENTS.c.page_id == any_(_ids(request.demoted_pages))
            score = case((overdue, score * OVERDUE_DEMOTION), else_=score)
        reviewed = func.coalesce(DOCUMENTS.c.reviewed_at, DOCUMENTS.c.updated_at)
        order = (
            [score.desc(), reviewed.desc(), DOCUMENTS.c.key]
            if scored
            else [DOCUMENTS.c.updated_at.desc(), DOCUMENTS.c.key]
        )
        chosen = (
            select(DOCUMENTS, score.label("score"))
            .where(self.allowed, match)
            .order_by(*order)
            .limit(size)
            .offset((page - 1) * size)
            .subquery("chosen")
        )
        highlight = _any(translator.highlights)
        config = literal(self.config, REGCONFIG)
        statement = select(
            chosen,
            func.ts_headline(config, _hidden(chosen.c.body), highlight, _BODY_HEADLINE).label(
                "body_marked"
            ),
            func.ts_headline(config, _hidden(chosen.c.title), highlight, _TITLE_HEADLINE).label(
                "title_marked"
            ),
        ).order_by(*_reordered(chosen, scored))
        return [_hit(row, scored=scored) for row in self.connection.execute(statement)]

    def _pages(self, word: str) -> int:
        """How many documents the asker may see hold ``word`` (a stop word counts as known)."""
        lexeme = _lexeme(self.config, word)
        holding = (
            select(func.count())
            .select_from(DOCUMENTS)
            .where(self.allowed, DOCUMENTS.c.vector.op("@@")(lexeme))
            .scalar_subquery()
        )
        statement = select(case((func.numnode(lexeme) == 0, 1), else_=holding))
        return int(self.connection.scalar(statement) or 0)

    def _candidates(self, word: str) -> list[tuple[str, int]]:
        statement = (
            select(WORDS.c.word)
            .where(WORDS.c.word.startswith(word[:1], autoescape=True))
            .order_by(WORDS.c.word.op("<->")(word))
            .limit(_EXPANSION)
        )
        nearest = sorted(self.connection.scalars(statement))
        return spelling.close_words(nearest, word, maxdist=2, prefix=1)


@dataclass
class _Counts:
    """What one pass over a search's matches counted."""

    total: int = 0
    facets: dict[str, Counter[str]] = field(
        default_factory=lambda: {"department": Counter(), "tag": Counter()}
    )
    #: How many of the matches hold each ranked word, and how many documents there are.
    holding: list[int] = field(default_factory=list)
    documents: int = 0


def _score(ranked: list[ColumnElement[Any]], counts: _Counts) -> ColumnElement[Any]:
    """Each matched word's ``ts_rank_cd`` weighted by its rarity (an inverse document frequency,
    as Whoosh's BM25F weighs words): "checklist" counts for more than "week". Words no match
    holds (stop words) are left out: they add nothing."""
    weights = cast(literal(_WEIGHTS), ARRAY(REAL))
    total = max(1, counts.documents)
    parts = [
        (math.log(total / (holding + 1)) + 1)
        * func.ts_rank_cd(weights, DOCUMENTS.c.vector, leaf, _NORMALISATION)
        for leaf, holding in zip(ranked, counts.holding, strict=True)
        if holding
    ]
    return _balanced(operator.add, parts) if parts else literal(0.0)


def _ids(ids: frozenset[int]) -> ColumnElement[Any]:
    """Page ids as one array parameter (a search's statement stays the same size)."""
    return bindparam(None, sorted(ids), type_=ARRAY(Integer))


def _hidden(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """Text with ``<``, ``>`` and ``&`` replaced, so ts_headline keeps them (see ``_HIDE``)."""
    return func.translate(column, "<>&", _LT + _GT + _AMP)


def _reordered(chosen: Any, scored: bool) -> list[ColumnElement[Any]]:
    reviewed = func.coalesce(chosen.c.reviewed_at, chosen.c.updated_at)
    if scored:
        return [chosen.c.score.desc(), reviewed.desc(), chosen.c.key]
    return [chosen.c.updated_at.desc(), chosen.c.key]


def _unstemmed(word: str) -> str:
    """Close spellings are found among the words as written, so their distance is the word's."""
    return word


def _hit(row: Any, *, scored: bool) -> SearchHit:
    marked = next((text for text in (row.body_marked, row.title_marked) if _MARK in text), None)
    return SearchHit(
        key=row.key,
        page_id=row.page_id,
        slug=row.slug,
        title=row.title,
        snippet=_marks(marked) if marked else snippets.lead(row.body),
        score=round(float(row.score), 4) if scored else 0.0,
        department=row.department,
        tags=tuple(row.tags),
        updated_at=row.updated_at.astimezone(UTC),
        reviewed_at=(row.reviewed_at or row.updated_at).astimezone(UTC),
        proposal_id=row.proposal_id or None,
    )


def _marks(headline: str) -> Markup:
    """A headline as Markup: its text escaped, its marks ``<mark>`` elements."""
    escaped = str(escape(headline.translate(_SHOW)))
    return Markup(escaped.replace(_MARK, "<mark>").replace(_UNMARK, "</mark>"))


def _ordered(counts: Counter[str]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
