"""Work a use case queues to run after its commit, off the request's path.

Services say *what* must follow their commit (``after_commit(session, Job.INDEX)``); the edge
decides *where* it runs through a :class:`Runner`: on a background thread of this process (the
default) or inline, before the response returns (tests, where a response must be followed by its
work deterministically). The work itself drains durable queues (the search outbox, pending
emails), so a job lost with a crashed process is done by the next one.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
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


def after_commit(session: Session, job: Job) -> None:
    """Ask for ``job`` once the session's transaction commits (forgotten if it rolls back)."""
    session.info.setdefault(_PENDING, set()).add(job)


def track(maker: sessionmaker[Session]) -> None:
    """Make the sessions of ``maker`` keep the jobs of the transactions they commit."""
    event.listen(maker, "after_commit", _committed)
    event.listen(maker, "after_rollback", _rolled_back)


def take_committed(session: Session) -> frozenset[Job]:
    """Return and forget the jobs that ``session``'s commits asked for."""
    return frozenset(session.info.pop(_COMMITTED, ()))


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


class ThreadRunner:
    """Runs work, one item at a time and in order, on a background thread of this process.

    The thread starts with the first submission of each process, so a server that forks
    workers after loading the app gives every worker its own.
    """

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None
        self._pid = 0

    def submit(self, work: Callable[[], None]) -> None:
        if self._executor is None or self._pid != os.getpid():
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="peerwiki-jobs")
            self._pid = os.getpid()
        self._executor.submit(_logged, work)


#: Where queued work runs (``BACKGROUND_RUNNER``).
RUNNERS: dict[str, Callable[[], Runner]] = {"thread": ThreadRunner, "inline": InlineRunner}


def _logged(work: Callable[[], None]) -> None:
    try:
        work()
    except Exception:  # the request succeeded; background trouble is logged, work stays queued
        logger.exception("Background work failed; it stays queued for the next run")
