"""The work that follows commits: bring the search index up to date, send pending emails, check
knowledge gaps, rebuild the index. The same handlers run after a response (a background thread of
the app process) and in ``flask --app app worker`` (jobs claimed from the database queue)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from sqlalchemy.orm import Session

from app.jobs import Job
from app.mail import Mailer
from app.models import QueuedJob, utcnow
from app.search import SearchBackend, SearchUnavailable
from app.services import indexing, notifications, queue, search, verification

log = logging.getLogger(__name__)

#: Index commits after which small segments are merged even if work never pauses.
MERGE_EVERY = 20


class Stopping(Exception):  # noqa: N818 - a signal to stop, not an error
    """The worker was asked to stop: the current job is given back unfinished."""


class WorkPostponed(Exception):  # noqa: N818 - the work stays queued, as its name says
    """Some of a job's work could not be done now (it stays in its table for the next try)."""


@runtime_checkable
class _MergingBackend(Protocol):
    def merge_segments(self) -> None: ...


class Work:
    """Does jobs for one application process: its database, search backend and mailer.

    The process's first index run also checks the index against the database (work a crash
    left queued, an empty index on a new server). Backends whose writes leave segments unmerged
    (Whoosh) are merged when work pauses (``idle``) or every ``MERGE_EVERY`` index commits, so
    a burst of saves never waits on a merge.
    """

    def __init__(
        self,
        open_session: Callable[[], Session],
        backend: SearchBackend,
        mailer: Mailer | None,
        *,
        base_url: str,
    ) -> None:
        self.open_session, self.backend, self.mailer = open_session, backend, mailer
        #: The site's address, for links in emails.
        self.base_url = base_url
        self._caught_up = False
        self._unmerged = 0

    def run(self, todo: Iterable[Job]) -> None:
        """Do the jobs in ``todo`` in a session of their own (after a response); one that
        fails is logged and leaves its work queued, and the others still run."""
        asked = frozenset(todo)
        with self.open_session() as session:
            for job in (job for job in Job if job in asked):  # index first, then emails
                try:
                    self.do(session, job)
                except WorkPostponed as exc:
                    session.rollback()
                    log.warning("%s", exc)
                except Exception:
                    session.rollback()
                    log.exception("Background job %s failed; its work stays queued", job)

    def do(
        self,
        session: Session,
        job: Job,
        *,
        stopping: Callable[[], bool] = lambda: False,
        now: datetime | None = None,
    ) -> None:
        """Do one job (as of ``now``, for the work that depends on the time); raise when some
        of it must be tried again (it stays queued), or Stopping when ``stopping`` turned true
        halfway through a long job."""
        if job is Job.VERIFY:
            verification.run_schedule(session, now=now or utcnow())
        elif job is Job.INDEX:
            self._index(session)
        elif job is Job.MAIL:
            self._mail(session)
        elif job is Job.GAPS:
            search.check_gaps_answered(session, self.backend)
        elif job is Job.REBUILD:
            self._rebuild(session, stopping)

    def idle(self) -> None:
        """Housekeeping for a pause in the work: merge what index commits left unmerged."""
        if self._unmerged and isinstance(self.backend, _MergingBackend):
            self.backend.merge_segments()
        self._unmerged = 0

    def _index(self, session: Session) -> None:
        apply = indexing.process_outbox if self._caught_up else indexing.catch_up
        try:
            applied = apply(session, self.backend)
        except SearchUnavailable as exc:  # another process held the index too long
            raise WorkPostponed(f"Index updates are still queued: {exc}") from exc
        self._caught_up = True
        if applied.rows:
            self._unmerged += 1
            if self._unmerged >= MERGE_EVERY:
                self.idle()
        if applied.pages_changed:
            search.check_gaps_answered(session, self.backend)
        waiting, error = indexing.queued(session, self.backend)
        if waiting and error is not None:
            raise WorkPostponed(f"{waiting} index updates are still queued: {error}")

    def _mail(self, session: Session) -> None:
        if self.mailer is None:
            return  # email is off; pending emails lapse after notifications.EMAIL_MAX_AGE
        notifications.deliver_pending(session, self.mailer, base_url=self.base_url)
        if waiting := notifications.pending_emails(session):
            raise WorkPostponed(
                f"{waiting} notification emails are still pending: the mail server refused "
                "or could not be reached (the log says why)"
            )

    def _rebuild(self, session: Session, stopping: Callable[[], bool]) -> None:
        def progress(_count: int) -> None:
            if stopping():
                raise Stopping  # the rebuild is cancelled; the old index stays in place

        indexing.rebuild(session, self.backend, progress=progress)
        self._caught_up = True


class Worker:
    """Runs jobs from the database queue: claims one, does it, records how it went."""

    def __init__(
        self,
        work: Work,
        *,
        name: str,
        stopping: Callable[[], bool] = lambda: False,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.work, self.name, self.stopping, self.clock = work, name, stopping, clock

    def schedule(self, jobs: Iterable[Job]) -> None:
        """Queue ``jobs`` unless they are queued already (periodic work)."""
        with self.work.open_session() as session:
            for job in jobs:
                queue.enqueue(session, job, now=self.clock())
            session.commit()

    def run_next(self) -> QueuedJob | None:
        """Claim the next due job and run it; return it, or None when nothing is due.

        A job that raises is retried with backoff (``queue.fail``); one interrupted by a stop is
        given back for another worker (``queue.release``).
        """
        with self.work.open_session() as session:
            job = queue.claim(session, self.name, now=self.clock())
            if job is None:
                return None
            log.info("Running job %s (%s, attempt %s)", job.id, job.kind, job.attempts)
            try:
                self.work.do(session, Job(job.kind), stopping=self.stopping, now=self.clock())
            except Stopping:
                session.rollback()
                queue.release(session, job, now=self.clock())
                log.info("Gave back job %s (%s): the worker is stopping", job.id, job.kind)
            except Exception as exc:
                session.rollback()
                log.warning("Job %s (%s) failed", job.id, job.kind, exc_info=True)
                queue.fail(session, job, str(exc) or type(exc).__name__, now=self.clock())
            else:
                queue.complete(session, job)
            return job

    def drain(self) -> int:
        """Run jobs until none is due (or the worker is stopping); return how many ran."""
        count = 0
        while not self.stopping() and self.run_next() is not None:
            count += 1
        return count


@dataclass
class Repair:
    """How far this process's automatic rebuild of a damaged index has got."""

    running: bool = False
    done: int = 0
    total: int = 0
    #: Why the last attempt failed (it is also logged), or None.
    failure: str | None = None
    failed_at: datetime | None = None
    _finished: threading.Event = field(default_factory=threading.Event, init=False, repr=False)

    def due(self, now: datetime) -> bool:
        """Whether a rebuild should start: none is under way, and a failed one is
        ``queue.BACKOFF_BASE`` old (a repair that cannot succeed is not retried on every search)."""
        if self.running:
            return False
        return self.failed_at is None or now - self.failed_at >= queue.BACKOFF_BASE

    def start(self) -> None:
        """Record that a rebuild has been handed to the background."""
        self.running = True
        self._finished.clear()

    def advance(self, count: int) -> None:
        self.done += count

    def finish(self, failure: str | None) -> None:
        """Record that the rebuild ended, and why it failed (None: it succeeded)."""
        self.failure, self.failed_at = failure, utcnow() if failure else None
        self.running = False
        self._finished.set()

    def wait(self, timeout: float) -> bool:
        """Wait until the rebuild under way has ended; tell whether it has."""
        return not self.running or self._finished.wait(timeout)


def repair_index(
    open_session: Callable[[], Session], backend: SearchBackend, repair: Repair
) -> None:
    """Rebuild a damaged index from the database, reporting progress in ``repair``; searches
    say how far it is meanwhile, and pages keep serving from the database."""
    failure = None
    try:
        with open_session() as session:
            repair.done, repair.total = 0, indexing.count_documents(session)
            indexing.rebuild(session, backend, progress=repair.advance)
    except Exception as exc:
        failure = str(exc) or type(exc).__name__
        raise
    finally:
        repair.finish(failure)
