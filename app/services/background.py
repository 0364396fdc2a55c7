"""The work that follows commits: bring the search index up to date, send pending emails."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.jobs import Job
from app.mail import Mailer
from app.search import SearchBackend
from app.services import indexing, notifications, search


def run(
    open_session: Callable[[], Session],
    backend: SearchBackend,
    mailer: Mailer | None,
    todo: frozenset[Job],
    *,
    base_url: str,
    catch_up: bool = False,
) -> None:
    """Do the jobs in ``todo`` in a session of their own.

    ``catch_up`` also checks the index against the database (a process's first run, which picks
    up work that a crash left queued or an empty index on a new server).
    """
    with open_session() as session:
        if Job.INDEX in todo:
            apply = indexing.catch_up if catch_up else indexing.process_outbox
            if apply(session, backend).pages_changed:
                search.check_gaps_answered(session, backend)
        if Job.MAIL in todo and mailer is not None:
            notifications.deliver_pending(session, mailer, base_url=base_url)


@dataclass
class Repair:
    """How far this process's automatic rebuild of a damaged index has got."""

    running: bool = False
    done: int = 0
    total: int = 0
    #: Why the last attempt failed (it is also logged), or None.
    failure: str | None = None

    def advance(self, count: int) -> None:
        self.done += count


def repair_index(
    open_session: Callable[[], Session], backend: SearchBackend, repair: Repair
) -> None:
    """Rebuild a damaged index from the database, reporting progress in ``repair``; searches
    say how far it is meanwhile, and pages keep serving from the database."""
    repair.failure = None
    try:
        with open_session() as session:
            repair.done, repair.total = 0, indexing.count_documents(session)
            indexing.rebuild(session, backend, progress=repair.advance)
    except Exception as exc:
        repair.failure = str(exc) or type(exc).__name__
        raise
    finally:
        repair.running = False
