"""Operations: the append-only audit log and the background job queue."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.accounts import User


class AuditEntry(Base):
    """One thing that happened that matters for trust: who did what to what, and when.

    Rows are only ever added: database triggers refuse to update or delete them (migration 0007).
    ``target`` names the subject as ``kind:key`` (``page:expenses``, ``user:alex``,
    ``proposal:12``); ``actor`` is None for anonymous or failed attempts and the command line.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    ip: Mapped[str | None] = mapped_column(String(45), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    actor: Mapped[User | None] = relationship(lazy="joined")


class QueuedJob(Base):
    """Work waiting for a worker (``flask --app app worker``): index updates, emails, gap checks,
    rebuilds. A job only says *that* work is due; what to do lives in the tables it drains (the
    search outbox, pending emails), so running one twice is harmless.

    ``state`` is ``queued`` (due from ``run_after``), ``running`` (claimed by ``locked_by``) or
    ``failed`` (gave up after its last attempt, kept for people to see); finished jobs are
    deleted. At most one job per ``unique_key`` is queued at a time (a running one does not
    count, so new work can queue behind it).
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_state_run_after", "state", "run_after"),
        # One queued job per key: a burst of saves asks for one index run, not one each.
        Index(
            "uq_jobs_queued_key",
            "unique_key",
            unique=True,
            sqlite_where=text("state = 'queued'"),
            postgresql_where=text("state = 'queued'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(10), default="queued")
    unique_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    locked_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
