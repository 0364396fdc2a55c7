"""Database models: departments, users, API tokens, pages and their append-only revisions."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator
from werkzeug.security import check_password_hash, generate_password_hash

from app.db import SEEDED_BY_MIGRATION, Base
from app.review.workflow import State

#: How passwords are hashed unless the caller says otherwise: werkzeug's default, slow on purpose
#: so that stolen hashes are hard to guess.
DEFAULT_PASSWORD_METHOD = "scrypt"


def check_no_password(password: str, method: str = DEFAULT_PASSWORD_METHOD) -> None:
    """Take as long as checking ``password`` against a hash made with ``method``: a sign-in as
    an unknown user then costs as much as one with a wrong password, so timing does not tell
    which usernames exist."""
    check_password_hash(_unguessable_hash(method), password)


@cache
def _unguessable_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(32), method=method)


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every engine (SQLite stores them without an offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Department(Base):
    """A team people belong to; pages and reviewers are paired across departments."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    #: Approvals a proposal in this department needs; None means the global setting.
    required_approvals: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Whether one approval must come from another department; None means the global setting.
    require_cross_department: Mapped[bool | None] = mapped_column(Boolean, nullable=True)

    members: Mapped[list[User]] = relationship(back_populates="department")


class User(Base):
    """A person who signs in; ``is_admin`` unlocks moderation and settings."""

    __tablename__ = "users"
    # ``login_key`` below is per-request state, not a column.
    __allow_unmapped__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: False while a department the person chose themselves awaits an administrator's word;
    #: their approvals are then recorded as comments and count towards no rule.
    department_confirmed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: When the person proved their email address (None: not yet, they cannot sign in).
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    department: Mapped[Department] = relationship(back_populates="members", lazy="joined")

    #: The secret of the sign-in (a ``LoginSession``) this object was loaded through, if any.
    login_key: str | None = None

    # flask-login protocol, spelled out so the model does not import flask_login.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        """The session cookie (and remember-me cookie) carry the sign-in's secret, not the user
        id, so that ending the ``LoginSession`` row signs that browser out."""
        return self.login_key

    def set_password(self, password: str, method: str = DEFAULT_PASSWORD_METHOD) -> None:
        """Store a salted hash of ``password``, made with werkzeug's ``method``."""
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        """Tell whether ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)


class LoginSession(Base):
    """One browser's sign-in; only the SHA-256 hash of the secret its cookies carry is stored.

    Signing out, a password change or a deactivation sets ``ended_at``: a replayed cookie then
    signs nobody in.
    """

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    user: Mapped[User] = relationship(lazy="joined")


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    #: What the owner calls it ("CI export", "laptop script").
    name: Mapped[str] = mapped_column(String(80), default="", server_default="")
    #: ``read`` (GET only) or ``write``.
    scope: Mapped[str] = mapped_column(String(10), default="write", server_default="write")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    user: Mapped[User] = relationship(lazy="joined")


class Invitation(Base):
    """A single-use sign-up link an administrator made; it fixes the new account's department."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    department: Mapped[Department] = relationship(lazy="joined")


page_tags = Table(
    "page_tags",
    Base.metadata,
    Column("page_id", ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Tag(Base):
    """A lowercase label; pages carry the tags of their published revision."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)


class Page(Base):
    """A wiki page: identity plus pointers to what readers see and to the newest revision."""

    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id"), nullable=True, index=True
    )
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    archived_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    published_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id", use_alter=True), nullable=True
    )
    latest_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id", use_alter=True), nullable=True
    )

    department: Mapped[Department | None] = relationship(lazy="joined")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    tags: Mapped[list[Tag]] = relationship(secondary=page_tags, order_by=Tag.name)
    published_revision: Mapped[Revision | None] = relationship(
        foreign_keys=[published_revision_id], post_update=True
    )
    latest_revision: Mapped[Revision | None] = relationship(
        foreign_keys=[latest_revision_id], post_update=True
    )

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def tag_names(self) -> list[str]:
        return [tag.name for tag in self.tags]


class PageAlias(Base):
    """A slug a page used to have; visiting it redirects to the page's current slug."""

    __tablename__ = "page_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Revision(Base):
    """One immutable version of a page: its source, rendered HTML and metadata.

    Rows are append-only. ``status`` follows the review workflow; ``html`` and ``toc`` are the
    rendering of ``body`` made once at save time so that page views never re-render.
    """

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("page_id", "number", name="uq_revisions_page_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id"), nullable=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    toc: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), nullable=True)
    summary: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(24), default=State.DRAFT.value, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposals.id", use_alter=True), nullable=True, index=True
    )

    page: Mapped[Page] = relationship(foreign_keys=[page_id])
    proposal: Mapped[Proposal | None] = relationship(foreign_keys=[proposal_id])
    author: Mapped[User] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship()
    parent: Mapped[Revision | None] = relationship(remote_side=[id])


class PageLink(Base):
    """A wiki link from a page's published revision to a target slug (for backlinks)."""

    __tablename__ = "page_links"

    source_page_id: Mapped[int] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True
    )
    target_slug: Mapped[str] = mapped_column(String(120), primary_key=True, index=True)


class PageContributor(Base):
    """Someone who wrote a published version of a page, and the newest such revision's number:
    kept by ``pages.publish_revision`` so a page view reads its few writers, not its history."""

    __tablename__ = "page_contributors"

    page_id: Mapped[int] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    latest_number: Mapped[int] = mapped_column(Integer)

    user: Mapped[User] = relationship(lazy="joined")


class ContentGeneration(Base):
    """One row whose ``value`` grows with every change that can alter what readers see on a page
    other than its own new revision: a publication (and with it a rename or new links), a new
    page, an archive or restore, a person's department. Cached page views are keyed on it, so
    one committed change retires every cached copy on every server at once."""

    __tablename__ = "content_generation"
    __table_args__ = {"info": {SEEDED_BY_MIGRATION: True}}  # its one row (0010)

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
    #: When ``value`` last moved on: the ``Last-Modified`` of every cached page view.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Proposal(Base):
    """A proposed change to a page: a chain of revisions by one author, reviewed as a whole.

    ``state`` follows :mod:`app.review.workflow`; the head revision carries the same status.
    ``base_revision`` is the published revision the proposal started from (None for a new page).
    """

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    base_revision_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id"), nullable=True)
    head_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id", use_alter=True), nullable=True
    )
    state: Mapped[str] = mapped_column(String(24), default=State.DRAFT.value, index=True)
    #: The published page moved on and the automatic merge failed: the author must update it.
    needs_update: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    page: Mapped[Page] = relationship()
    author: Mapped[User] = relationship(lazy="joined")
    base_revision: Mapped[Revision | None] = relationship(foreign_keys=[base_revision_id])
    head_revision: Mapped[Revision | None] = relationship(
        foreign_keys=[head_revision_id], post_update=True
    )
    requests: Mapped[list[ReviewRequest]] = relationship(
        back_populates="proposal", order_by="ReviewRequest.id"
    )
    reviews: Mapped[list[Review]] = relationship(back_populates="proposal", order_by="Review.id")
    events: Mapped[list[ProposalEvent]] = relationship(order_by="ProposalEvent.id")
    revisions: Mapped[list[Revision]] = relationship(
        primaryjoin="Revision.proposal_id == Proposal.id", order_by="Revision.number", viewonly=True
    )

    @property
    def contributor_ids(self) -> frozenset[int]:
        """Everyone who wrote a revision of this proposal (the author and any co-editor)."""
        return frozenset({self.author_id, *(revision.author_id for revision in self.revisions)})


class ReviewRequest(Base):
    """A person asked to review a proposal (directly or as a member of a department)."""

    __tablename__ = "review_requests"
    __table_args__ = (UniqueConstraint("proposal_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="requests")
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id], lazy="joined")
    department: Mapped[Department | None] = relationship()


class Review(Base):
    """A reviewer's verdict on one revision of a proposal, with a summary and rubric scores."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    verdict: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text, default="")
    rubric: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Set on approvals when a new revision is pushed (the approval no longer counts).
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: Set when an administrator overrides a request for changes.
    overridden_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    overridden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    override_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    proposal: Mapped[Proposal] = relationship(back_populates="reviews")
    revision: Mapped[Revision] = relationship()
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id], lazy="joined")


class Comment(Base):
    """Feedback on a proposal: general, or anchored to lines of one revision's Markdown source.

    A comment with ``suggestion`` proposes replacement text for lines ``line``..``line_end``.
    ``anchor_text`` keeps the lines as they were, so an outdated comment still shows its context.
    """

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    line_end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    anchor_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    suggestion: Mapped[str | None] = mapped_column(Text, nullable=True)
    applied_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id"), nullable=True
    )
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
    revision: Mapped[Revision] = relationship(foreign_keys=[revision_id])
    proposal: Mapped[Proposal] = relationship()

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None


class ProposalEvent(Base):
    """One entry of a proposal's timeline: who did what, when, and the state change if any."""

    __tablename__ = "proposal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(24), nullable=True)
    to_state: Mapped[str | None] = mapped_column(String(24), nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="joined")


class Notification(Base):
    """Something a user should know about; shown in the inbox and, with SMTP, emailed."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), nullable=True
    )
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), nullable=True
    )
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: Waiting to be emailed (only when SMTP is configured); cleared once sent.
    email_pending: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="joined")
    proposal: Mapped[Proposal | None] = relationship()


class RubricCriterion(Base):
    """One criterion reviewers score from 1 to 4, with a line of guidance."""

    __tablename__ = "rubric_criteria"
    __table_args__ = {"info": {SEEDED_BY_MIGRATION: True}}  # the default rubric (0002)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(80))
    guidance: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SearchOutbox(Base):
    """The search change log: one row per change that affects search, written in the same
    transaction as the change. Each index applies rows past its own checkpoint (so a crash
    between the commit and the index write is caught up, and every app server's index follows
    the same log); rows are dropped after ``indexing.RETENTION``.
    """

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    proposal_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class SearchLog(Base):
    """One search someone ran, and which result (if any) they opened."""

    __tablename__ = "search_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(String(300))
    normalized: Mapped[str] = mapped_column(String(300), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    results: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    clicked_page_id: Mapped[int | None] = mapped_column(
        ForeignKey("pages.id", ondelete="SET NULL"), nullable=True
    )
    #: Counted into knowledge gaps already (zero results, or results nobody opened).
    gap_counted: Mapped[bool] = mapped_column(Boolean, default=False)


class KnowledgeGap(Base):
    """A question the wiki did not answer, asked by one or more people."""

    __tablename__ = "knowledge_gaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    normalized: Mapped[str] = mapped_column(String(300), unique=True)
    question: Mapped[str] = mapped_column(String(300))
    asked: Mapped[int] = mapped_column(Integer, default=0)
    askers: Mapped[int] = mapped_column(Integer, default=0)
    first_asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    answered_page_id: Mapped[int | None] = mapped_column(
        ForeignKey("pages.id", ondelete="SET NULL"), nullable=True
    )

    answered_page: Mapped[Page | None] = relationship()


class GapAsker(Base):
    """Who asked a knowledge-gap question (visible to administrators only)."""

    __tablename__ = "gap_askers"
    __table_args__ = (UniqueConstraint("gap_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gap_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_gaps.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    query: Mapped[str] = mapped_column(String(300))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


class SynonymSet(Base):
    """Terms that mean the same here ("PTO", "vacation", "time off"): a search for one finds all."""

    __tablename__ = "synonym_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    terms: Mapped[list[str]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    created_by: Mapped[User | None] = relationship(lazy="joined")


class SynonymSuggestion(Base):
    """Two search terms that people's searches suggest mean the same (``term_a`` < ``term_b``).

    ``status`` is "suggested" until an administrator accepts or dismisses it; administrators see
    it once ``evidence`` (how many people's searches showed it) reaches the threshold.
    """

    __tablename__ = "synonym_suggestions"
    __table_args__ = (UniqueConstraint("term_a", "term_b"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term_a: Mapped[str] = mapped_column(String(100))
    term_b: Mapped[str] = mapped_column(String(100))
    evidence: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12), default="suggested", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SynonymEvidence(Base):
    """One person whose searches showed a suggested pair (each person counts once)."""

    __tablename__ = "synonym_evidence"
    __table_args__ = (UniqueConstraint("suggestion_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("synonym_suggestions.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


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
