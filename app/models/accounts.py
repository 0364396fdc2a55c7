"""People and access: departments, users, sign-in sessions, API tokens, invitations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.db import Base
from app.models.base import DEFAULT_PASSWORD_METHOD, UTCDateTime, utcnow


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
