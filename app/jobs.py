"""Work a use case queues to run after its commit, off the request's path.

Services say *what* must follow their commit (``after_commit(session, Job.INDEX)``); the edge
decides *where* it runs (``BACKGROUND_RUNNER``): on a background thread of this process (the
default), inline before the response returns (tests, where a response must be followed by its
work deterministically), or in the database queue for ``flask --app app worker`` (``queue``).
The work itself drains durable tables (the search outbox, pending emails), so a job lost with a
crashed process is done by the next one.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from collections.abc import Callable
from enum import StrEnum
from functools import partial
from typing import Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

_PENDING = "wiki.jobs.pending"
_COMMITTED = "wiki.jobs.committed"


class Job(StrEnum):
    """Kinds of work that follow a commit."""

    INDEX = "index"  #: apply the search outbox to the index
    MAIL = "mail"  #: send pending notification emails
    GAPS = "gaps"  #: mark knowledge gaps that published pages now answer
    REBUILD = "rebuild"  #: rebuild the search index from the database
    VERIFY = "verify"  #: open verifications of pages that fell due, remind people of open ones


def after_commit(session: Session, job: Job) -> None:
    """Ask for ``job`` once the session's transaction commits (forgotten if it rolls back)."""
    session.info.setdefault(_PENDING, set()).add(job)


def track(
    maker: sessionmaker[Session], *, durable: Callable[[Session, Job], None] | None = None
) -> None:
    """Make the sessions of ``maker`` keep the jobs of the transactions they commit.

    ``durable`` also writes each job into the transaction that asks for it, just before it
    commits (the database queue): the job then exists exactly when the change does.
    """
    if durable is not None:
        event.listen(maker, "before_commit", partial(_write_pending, durable))
    event.listen(maker, "after_commit", _committed)
    event.listen(maker, "after_rollback", _rolled_back)


def take_committed(session: Session) -> frozenset[Job]:
    """Return and forget the jobs that ``session``'s commits asked for."""
    return frozenset(session.info.pop(_COMMITTED, ()))


def _write_pending(durable: Callable[[Session, Job], None], session: Session) -> None:
    for job in sorted(session.info.get(_PENDING, ())):
        durable(session, job)


def _committed(session: Session) -> None:
    session.info.setdefault(_COMMITTED, set()).update(session.info.pop(_PENDING, ()))


def _rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


class Runner(Protocol):
    """Runs queued work somewhere other than in the request that queued it."""

    def submit(self, work: Callable[[], None]) -> None:
        """Run ``work`` (it never raises: failures are logged and the work stays queued)."""


class InlineRunner:
    """Runs work at once, in the caller's thread."""

    def submit(self, work: Callable[[], None]) -> None:
        _logged(work)


class QueueRunner:
    """Leaves work to ``flask --app app worker``: the jobs are in the database queue already."""

    def submit(self, work: Callable[[], None]) -> None:
        del work  # the worker process does it


class ThreadRunner:
    """Runs work, one item at a time and in order, on a background thread of this process.

    The thread starts with the first submission of each process, so a server that forks
    workers after loading the app gives every worker its own. ``idle`` runs on that thread once
    no work has arrived for ``idle_after`` seconds since the last item (housekeeping such as
    merging index segments, kept out of bursts of work).
    """

    def __init__(self, *, idle: Callable[[], None] | None = None, idle_after: float = 2.0) -> None:
        self._idle, self._idle_after = idle, idle_after
        self._queue: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def submit(self, work: Callable[[], None]) -> None:
        if self._thread is None or self._pid != os.getpid():
            self._queue = queue.SimpleQueue()
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._loop, name="peerwiki-jobs", daemon=True)
            self._thread.start()
            atexit.register(self.stop)
        self._queue.put(work)

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the work submitted so far and end the thread (at the latest at exit)."""
        if self._thread is not None and self._pid == os.getpid():
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        idle_due = False
        while True:
            try:
                work = self._queue.get(timeout=self._idle_after if idle_due else None)
            except queue.Empty:
                idle_due = False
                if self._idle is not None:
                    _logged(self._idle)
                continue
            if work is None:
                return
            _logged(work)
            idle_due = self._idle is not None


class Batcher:
    """Gathers the jobs asked for while earlier ones wait or run, so that a burst of saves is
    done in one run (one index commit) rather than one run each."""

    def __init__(self, runner: Runner, work: Callable[[frozenset[Job]], None]) -> None:
        self._runner, self._work = runner, work
        self._lock = threading.Lock()
        self._pending: set[Job] = set()

    def ask(self, todo: frozenset[Job]) -> None:
        """Have ``todo`` done soon, together with whatever else is waiting."""
        with self._lock:
            scheduled = bool(self._pending)
            self._pending.update(todo)
        if not scheduled:
            self._runner.submit(self._drain)

    def _drain(self) -> None:
        with self._lock:
            todo = frozenset(self._pending)
            self._pending.clear()
        self._work(todo)


#: Where queued work runs (``BACKGROUND_RUNNER``).
RUNNERS: dict[str, Callable[[], Runner]] = {
    "thread": ThreadRunner,
    "inline": InlineRunner,
    "queue": QueueRunner,
}


def _logged(work: Callable[[], None]) -> None:
    try:
        work()
    except Exception:  # the request succeeded; background trouble is logged, work stays queued
        logger.exception("Background work failed; it stays queued for the next run")
