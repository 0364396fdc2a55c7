"""Keeping search indexes in step with the database: in the change's own transaction, or
through a durable change log.

A backend whose index lives in the database (PostgreSQL's, ``WritesInTransaction``) gets each
change's documents through the change's session just before it commits: search is consistent
the moment the change commits, and there is no log. That is the backend for several app servers.

Whoosh keeps its index in one directory on one machine. Every change that affects search adds a
row to a log (table ``search_outbox``) in its own transaction; after commits, on start-up and
from the CLI, a pass applies the rows to the index and deletes them. A crash between a commit
and the index write leaves rows to apply, never a silently wrong index. A pass holds the index's
apply lock (``SearchBackend.applying``) from reading the rows to deleting them, so the machine's
processes take turns and none writes an older version of a page over a newer one. Applying a row
re-indexes the page or proposal as the database has it now, so applying twice is harmless.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, event, func, select, update
from sqlalchemy.orm import Session, joinedload, selectinload, sessionmaker

from app import jobs, render
from app.jobs import Job
from app.models import Page, Proposal, Revision, SearchOutbox
from app.review import approval, policy
from app.review.workflow import OPEN_STATES, State
from app.search import (
    PUBLIC,
    SearchBackend,
    SearchDocument,
    SearchUnavailable,
    WritesInTransaction,
)

log = logging.getLogger(__name__)

#: Log rows applied per batch.
BATCH = 200
#: ``Session.info`` keys: the backend a session writes documents to in its transaction, and the
#: pages and proposals its transaction changed so far.
_WRITER = "wiki.search.writer"
_CHANGED = "wiki.search.changed"


#: Pages the public index holds, and proposals the private part holds.
_LIVE_PAGE = (Page.published_revision_id.is_not(None), Page.archived_at.is_(None))
_OPEN_PROPOSAL = (
    Proposal.state.in_([state.value for state in OPEN_STATES]),
    Proposal.head_revision_id.is_not(None),
    Page.archived_at.is_(None),
)


def track(maker: sessionmaker[Session], backend: SearchBackend) -> None:
    """With a backend that writes in the transaction, make the sessions of ``maker`` write the
    documents of the pages and proposals they changed as part of each commit."""
    if not isinstance(backend, WritesInTransaction):
        return
    maker.configure(info={_WRITER: backend})
    event.listen(maker, "before_commit", _write_changed)
    event.listen(maker, "after_rollback", _forget_changed)


def enqueue_page(session: Session, page_id: int) -> None:
    """Re-index a page's published version with the caller's commit, or queue it."""
    if _changed(session, ("page", page_id)):
        jobs.after_commit(session, Job.GAPS)  # the index is written: only gap checks follow
    else:
        session.add(SearchOutbox(page_id=page_id))
        jobs.after_commit(session, Job.INDEX)


def enqueue_proposal(session: Session, proposal_id: int) -> None:
    """Re-index an open proposal (visible only to its author and reviewers) with the caller's
    commit, or queue it."""
    if not _changed(session, ("proposal", proposal_id)):
        session.add(SearchOutbox(proposal_id=proposal_id))
        jobs.after_commit(session, Job.INDEX)


def _changed(session: Session, change: tuple[str, int]) -> bool:
    """Note a change for the session's commit to write; False if the session has no backend
    that writes in the transaction."""
    if _WRITER not in session.info:
        return False
    session.info.setdefault(_CHANGED, set()).add(change)
    return True


def _write_changed(session: Session) -> None:
    """Write the documents of the transaction's changes through it (a failure fails the commit:
    the change and its search row commit together or not at all)."""
    changes = sorted(session.info.pop(_CHANGED, ()))
    if not changes:
        return
    writer: WritesInTransaction = session.info[_WRITER]
    found = [_document_of(session, kind, row_id) for kind, row_id in changes]
    writer.index_in(session, [document for _, document in found if document is not None])
    writer.remove_in(session, [key for key, document in found if document is None])


def _forget_changed(session: Session) -> None:
    session.info.pop(_CHANGED, None)


PAGE_KEY_PREFIX = "page:"


def page_key(page_id: int) -> str:
    return f"{PAGE_KEY_PREFIX}{page_id}"


def proposal_key(proposal_id: int) -> str:
    return f"proposal:{proposal_id}"


def page_document(page: Page) -> SearchDocument | None:
    """The public document of a page, or None when it is unpublished or archived."""
    revision = page.published_revision
    if revision is None or page.is_archived:
        return None
    reviewers = _approvers(revision)
    return _document(page_key(page.id), page, revision, reviewers=reviewers, visible_to=(PUBLIC,))


def proposal_document(proposal: Proposal) -> SearchDocument | None:
    """The private document of an open proposal, or None once it is closed."""
    revision = proposal.head_revision
    if revision is None or proposal.state not in OPEN_STATES or proposal.page.is_archived:
        return None
    reviewers = tuple(request.reviewer.username for request in proposal.requests)
    # Pending searches find a proposal for its writers and, once in review, its reviewers.
    writers = tuple(dict.fromkeys(r.author.username for r in proposal.revisions))
    private = State(proposal.state) in policy.PRIVATE_STATES
    return _document(
        proposal_key(proposal.id), proposal.page, revision, reviewers=reviewers,
        visible_to=(proposal.author.username, *writers, *(() if private else reviewers)),
        proposal_id=proposal.id,
    )  # fmt: skip


@dataclass(frozen=True)
class Applied:
    """What one pass over the outbox did."""

    rows: int = 0
    #: Whether published pages were indexed or removed (proposals alone answer no question).
    pages_changed: bool = False


def process_outbox(session: Session, backend: SearchBackend) -> Applied:
    """Apply the log's rows to the index and delete them (nothing to do for an index written in
    the changes' transactions). Safe to run concurrently: passes take turns."""
    if isinstance(backend, WritesInTransaction):
        return Applied()
    applied = Applied()
    with backend.applying():
        while rows := list(
            session.scalars(select(SearchOutbox).order_by(SearchOutbox.id).limit(BATCH))
        ):
            keys = _apply(session, backend, rows)
            if keys is None:
                break
            session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_([r.id for r in rows])))
            session.commit()
            applied = Applied(
                applied.rows + len(rows),
                applied.pages_changed or any(key.startswith(PAGE_KEY_PREFIX) for key in keys),
            )
    return applied


def catch_up(session: Session, backend: SearchBackend) -> Applied:
    """Bring the index up to date: from the log, or with a full rebuild when it is empty while
    the database has pages (a new server, or a wiped index directory)."""
    if backend.document_count() == 0 and count_documents(session):
        log.info("The search index is empty; rebuilding it from the database")
        return Applied(rebuild(session, backend), pages_changed=True)
    return process_outbox(session, backend)


def _apply(session: Session, backend: SearchBackend, rows: list[SearchOutbox]) -> set[str] | None:
    """Write one batch of log rows to the index and return the document keys it touched; on
    failure record why on the rows and return None."""
    documents: dict[str, SearchDocument] = {}
    removals: set[str] = set()
    for row in rows:
        for key, document in _resolve(session, row):
            if document is None:
                removals.add(key)
                documents.pop(key, None)
            else:
                documents[key] = document
                removals.discard(key)
    try:
        if documents:
            backend.index(documents.values())
        if removals:
            backend.remove(removals)
    except (SearchUnavailable, OSError) as exc:
        session.rollback()
        session.execute(
            update(SearchOutbox)
            .where(SearchOutbox.id.in_([row.id for row in rows]))
            .values(attempts=SearchOutbox.attempts + 1, last_error=str(exc)[:500])
        )
        session.commit()
        log.warning("Search indexing postponed: %s", exc)
        return None
    return {*documents, *removals}


def queued(session: Session, backend: SearchBackend) -> tuple[int, str | None]:
    """How many log rows this index has yet to apply, and the latest error that held one up."""
    if isinstance(backend, WritesInTransaction):
        return 0, None
    count = session.scalar(select(func.count(SearchOutbox.id))) or 0
    error = session.scalar(
        select(SearchOutbox.last_error)
        .where(SearchOutbox.last_error.is_not(None))
        .order_by(SearchOutbox.id.desc())
        .limit(1)
    )
    return count, error


def all_documents(session: Session) -> Iterator[SearchDocument]:
    """Every document the index should hold, built from the database."""
    published = (
        select(Page)
        .where(*_LIVE_PAGE)
        .options(
            selectinload(Page.published_revision).options(
                joinedload(Revision.department),
                selectinload(Revision.proposal).selectinload(Proposal.reviews),
                selectinload(Revision.attachments),
            )
        )
        .execution_options(yield_per=500)
    )
    for page in session.scalars(published):
        document = page_document(page)
        if document is not None:
            yield document
    for proposal in session.scalars(select(Proposal).join(Page).where(*_OPEN_PROPOSAL)):
        document = proposal_document(proposal)
        if document is not None:
            yield document


def count_documents(session: Session) -> int:
    """How many documents a rebuild will write (for progress bars), without building them."""
    pages = session.scalar(select(func.count()).select_from(Page).where(*_LIVE_PAGE)) or 0
    open_proposals = session.scalar(
        select(func.count()).select_from(Proposal).join(Page).where(*_OPEN_PROPOSAL)
    )
    return pages + (open_proposals or 0)


def rebuild(
    session: Session, backend: SearchBackend, progress: Callable[[int], Any] | None = None
) -> int:
    """Rebuild the index from the database, then apply the log (passes over it wait for the
    rebuild; the rows it already covered are applied again, which is harmless)."""
    with backend.applying():
        count = backend.rebuild(all_documents(session), progress)
    process_outbox(session, backend)
    return count


@dataclass
class IndexReport:
    """Differences between the database and the index."""

    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.extra)


def check(session: Session, backend: SearchBackend) -> IndexReport:
    """Compare what the index holds with what the database says it should hold."""
    expected = {document.key: document for document in all_documents(session)}
    actual = backend.stamps()
    report = IndexReport()
    for key, document in expected.items():
        if key not in actual:
            report.missing.append(key)
        elif actual[key] != document.updated_at.replace(tzinfo=actual[key].tzinfo):
            report.stale.append(key)
    report.extra = sorted(set(actual) - set(expected))
    report.missing.sort()
    report.stale.sort()
    return report


def _resolve(session: Session, row: SearchOutbox) -> list[tuple[str, SearchDocument | None]]:
    if row.page_id is not None:
        return [_document_of(session, "page", row.page_id)]
    if row.proposal_id is not None:
        return [_document_of(session, "proposal", row.proposal_id)]
    return []


def _document_of(session: Session, kind: str, row_id: int) -> tuple[str, SearchDocument | None]:
    """The key and current document of a page or proposal (None: it leaves the index)."""
    if kind == "page":
        page = session.get(Page, row_id)
        return page_key(row_id), page_document(page) if page else None
    proposal = session.get(Proposal, row_id)
    return proposal_key(row_id), proposal_document(proposal) if proposal else None


def _document(
    key: str,
    page: Page,
    revision: Revision,
    *,
    reviewers: tuple[str, ...],
    visible_to: tuple[str, ...],
    proposal_id: int | None = None,
) -> SearchDocument:
    headings = " ".join(str(entry.get("text", "")) for entry in revision.toc)
    department = revision.department.name if revision.department else ""
    return SearchDocument(
        key=key,
        page_id=page.id,
        slug=page.slug,
        title=revision.title,
        headings=headings,
        body=_with_file_names(render.plain_text(revision.html), revision),
        tags=tuple(revision.tags),
        department=department,
        author=revision.author.username,
        reviewers=reviewers,
        updated_at=revision.published_at or revision.created_at,
        reviewed_at=revision.published_at,
        visible_to=visible_to,
        proposal_id=proposal_id,
    )


def _with_file_names(text: str, revision: Revision) -> str:
    return with_file_names(text, [attachment.filename for attachment in revision.attachments])


def with_file_names(text: str, names: list[str]) -> str:
    """The body text with the names of the files a revision shows: searching for a file's name
    finds its page on every backend, which all index the body. Each name whole
    ("roadmap.pdf" is one word to most analyzers) and in its words."""
    if not names:
        return text
    words = " ".join(re.sub(r"[\W_]+", " ", name) for name in names)
    return f"{text}\n\nFiles: {' '.join(names)} ({words})"


def _approvers(revision: Revision) -> tuple[str, ...]:
    if revision.proposal is None:
        return ()
    return tuple(
        review.reviewer.username
        for review in approval.approvals_in_force(revision.proposal.reviews)
    )
