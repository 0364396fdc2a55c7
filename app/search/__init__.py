"""Full-text search behind a small interface, so another backend can replace Whoosh.

Only plain values cross this boundary: no Whoosh or SQL types leave the backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from markupsafe import Markup

from app.search.query import ParsedQuery, parse

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

PUBLIC = "public"
#: What an overdue page's relevance score is multiplied by (every backend: it ranks lower,
#: without vanishing below weaker matches of every other page).
OVERDUE_DEMOTION = 0.5


@dataclass(frozen=True)
class SearchDocument:
    """What the index knows about a published page or an open proposal."""

    key: str  # "page:<id>" or "proposal:<id>"
    page_id: int
    slug: str
    title: str
    headings: str
    body: str  # plain text, not Markdown
    tags: tuple[str, ...]
    department: str
    author: str
    reviewers: tuple[str, ...]
    updated_at: datetime
    reviewed_at: datetime | None
    #: "public", or the usernames allowed to find a pending proposal.
    visible_to: tuple[str, ...] = (PUBLIC,)
    proposal_id: int | None = None


@dataclass(frozen=True)
class SearchQuery:
    """A search as a person asks it."""

    text: str
    tag: str | None = None
    department: str | None = None
    author: str | None = None
    page: int = 1
    per_page: int = 10
    sort: str = "relevance"  # or "date"
    #: Username whose pending proposals may be included (None: published pages only).
    pending_for: str | None = None
    #: ``text`` parsed already, with the wiki's synonyms added (None: backends parse ``text``).
    parsed: ParsedQuery | None = None
    #: Only pages verified and not yet due ("verified only"); the service fills ``only_pages``.
    verified_only: bool = False
    #: When set, only documents of these pages match.
    only_pages: frozenset[int] | None = None
    #: Pages overdue for verification: their scores are multiplied by ``OVERDUE_DEMOTION``.
    demoted_pages: frozenset[int] = frozenset()

    def tree(self) -> ParsedQuery:
        """What to match: ``parsed``, or else ``text`` parsed."""
        return self.parsed if self.parsed is not None else parse(self.text)


@dataclass(frozen=True)
class SearchHit:
    """One result."""

    key: str
    page_id: int
    slug: str
    title: str
    snippet: Markup
    score: float
    department: str
    tags: tuple[str, ...]
    updated_at: datetime
    reviewed_at: datetime | None
    proposal_id: int | None = None


@dataclass(frozen=True)
class SearchResults:
    """A page of results with facet counts and, when useful, a spelling suggestion."""

    total: int
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None
    #: True when nothing matched exactly and these results come from fuzzy matching.
    fuzzy: bool = False


class SearchUnavailable(Exception):
    """The index cannot be read or written right now (missing, locked or damaged)."""


class IndexDamaged(SearchUnavailable):
    """The index's files cannot be read: only a rebuild from the database helps."""


class SearchBackend(Protocol):
    """What Peerwiki needs from a search engine."""

    #: The language its analysis stems words for.
    language: str

    def index(self, documents: Iterable[SearchDocument]) -> None: ...

    def remove(self, keys: Iterable[str]) -> None: ...

    def search(self, query: SearchQuery) -> SearchResults: ...

    def suggest(self, prefix: str, *, limit: int = 8) -> list[tuple[str, str]]: ...

    def rebuild(
        self, documents: Iterable[SearchDocument], progress: Callable[[int], Any] | None = None
    ) -> int: ...

    def stamps(self) -> dict[str, datetime]: ...

    def document_count(self) -> int: ...

    def applying(self) -> AbstractContextManager[object]:
        """Hold the index for one pass over the change log: one holder at a time, across the
        machine's processes and threads (raises SearchUnavailable after waiting too long)."""
        ...


@runtime_checkable
class WritesInTransaction(Protocol):
    """A backend whose index lives in the application's database: a change's documents are
    written through the change's own session, so they commit (or roll back) with it."""

    def index_in(self, session: Session, documents: Iterable[SearchDocument]) -> None: ...

    def remove_in(self, session: Session, keys: Iterable[str]) -> None: ...


def _whoosh(config: Any, _engine: Engine | None) -> SearchBackend:
    from app.search.whoosh_backend import WhooshBackend

    return WhooshBackend(config["SEARCH_INDEX"], language=config["SEARCH_LANGUAGE"])


def _memory(config: Any, _engine: Engine | None) -> SearchBackend:
    from app.search.memory_backend import MemoryBackend

    return MemoryBackend(language=config["SEARCH_LANGUAGE"])


def _postgres(config: Any, engine: Engine | None) -> SearchBackend:
    from sqlalchemy import create_engine

    from app.search.postgres_backend import PostgresBackend

    if engine is None:
        engine = create_engine(config["DATABASE_URL"])
    return PostgresBackend(engine, language=config["SEARCH_LANGUAGE"])


#: What ``SEARCH_BACKEND`` may name, and how each backend is opened (imported only when chosen).
BACKENDS: dict[str, Callable[[Any, Engine | None], SearchBackend]] = {
    "whoosh": _whoosh,
    "memory": _memory,
    "postgres": _postgres,
}


def open_backend(config: Any, engine: Engine | None = None) -> SearchBackend:
    """Create the backend ``SEARCH_BACKEND`` names; one that keeps its index in the database
    uses ``engine`` (the application's), or one of its own for ``DATABASE_URL``."""
    return BACKENDS[config["SEARCH_BACKEND"]](config, engine)
