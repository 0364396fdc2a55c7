"""Signing in and out, server-side sessions, password changes and deactivation.

Each sign-in is a ``LoginSession`` row; the browser's cookies carry its secret (``User.get_id``).
Signing out ends that one row; a password change or a deactivation ends all of the user's rows,
so a replayed session or remember-me cookie signs nobody in. A per-user "auth epoch" would
have been one column instead of a table, but signing out on one device would then sign the
person out everywhere, and nobody could see where they are signed in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.exceptions import Conflict, NotFound, ValidationError
from app.models import LoginSession, User, utcnow
from app.review import policy
from app.review.policy import System
from app.services import audit, tokens, users, verification
from app.services.content import SYSTEM_USERNAME

#: How precisely a session's last activity is recorded (reads should not all become writes).
SEEN_RESOLUTION = timedelta(minutes=5)
WRONG_CREDENTIALS = "That username and password do not match an account."


@dataclass(frozen=True)
class Client:
    """Who is asking, as the edge saw it: kept with sign-ins and in the audit log."""

    address: str | None = None
    user_agent: str = ""


def sign_in(
    session: Session, *, username: str, password: str, password_method: str, client: Client
) -> User:
    """Check the credentials and start a session; return the user with its ``login_key`` set.

    Every attempt is audited and committed; a refused one raises ValidationError (wrong
    credentials, a deactivated account or an email address still to confirm).
    """
    user = users.authenticate(
        session, username=username, password=password, password_method=password_method
    )
    if user is None or user.email_confirmed_at is None:
        audit.record(
            session, "auth.sign_in_failed", actor=user, target=f"user:{username.strip().lower()}",
            ip=client.address, detail=None if user is None else {"reason": "email not confirmed"},
        )  # fmt: skip
        session.commit()  # the refusal is the whole use case
        if user is None:
            raise ValidationError(WRONG_CREDENTIALS, {"password": WRONG_CREDENTIALS})
        raise ValidationError(
            "Email address not confirmed.",
            {"username": "Confirm your email address first: follow the link we sent when you "
             "signed up."},
        )  # fmt: skip
    start_session(session, user, client)
    audit.record(
        session, "auth.sign_in", actor=user, target=f"user:{user.username}", ip=client.address
    )
    session.commit()
    return user


def start_session(session: Session, user: User, client: Client) -> None:
    """Add a session for ``user`` and set ``user.login_key`` to its secret (not committed)."""
    key = secrets.token_urlsafe(32)
    session.add(LoginSession(user=user, key_hash=_hash(key), user_agent=client.user_agent[:200]))
    user.login_key = key


def load(session: Session, key: str, *, idle: timedelta) -> User | None:
    """Return the active user of the live session behind ``key`` (a cookie's value), or None.
    A session unused for longer than ``idle`` has lapsed."""
    row = session.scalar(
        select(LoginSession).where(
            LoginSession.key_hash == _hash(key), LoginSession.ended_at.is_(None)
        )
    )
    now = utcnow()
    if row is None or not row.user.is_active or now - row.last_seen_at > idle:
        return None
    if now - row.last_seen_at > SEEN_RESOLUTION:
        row.last_seen_at = now
        session.commit()
    row.user.login_key = key
    return row.user


def sign_out(session: Session, key: str | None) -> None:
    """End the session behind ``key`` (nothing happens for an unknown one); committed."""
    if key:
        session.execute(
            update(LoginSession)
            .where(LoginSession.key_hash == _hash(key), LoginSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )
        session.commit()


def live_sessions(session: Session, user: User) -> list[LoginSession]:
    """The sessions ``user`` is signed in with, most recently used first."""
    return list(
        session.scalars(
            select(LoginSession)
            .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
            .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())
        )
    )


def end_other_sessions(session: Session, user: User) -> int:
    """End every session of ``user`` but the one it was loaded through; return how many ended.
    Committed."""
    others = [row for row in live_sessions(session, user) if not is_current(row, user)]
    now = utcnow()
    for row in others:
        row.ended_at = now
    session.commit()
    return len(others)


def is_current(row: LoginSession, user: User) -> bool:
    """Whether ``row`` is the session ``user`` was loaded through (this browser)."""
    return user.login_key is not None and row.key_hash == _hash(user.login_key)


def change_password(
    session: Session,
    *,
    user: User,
    current: str,
    new: str,
    password_method: str,
    client: Client,
) -> User:
    """Change ``user``'s password: every session of theirs ends, and this browser gets a new
    one (``user.login_key``). Audited, committed."""
    if not user.check_password(current):
        raise ValidationError("Wrong password.", {"current": "That is not your current password."})
    problem = users.password_problem(new)
    if problem is None and new == current:
        problem = "Choose a password different from the current one."
    if problem:
        raise ValidationError("Choose another password.", {"password": problem})
    user.set_password(new, password_method)
    end_sessions(session, user)
    start_session(session, user, client)
    audit.record(
        session, "user.password", actor=user, target=f"user:{user.username}", ip=client.address
    )
    session.commit()
    return user


def set_active(session: Session, *, actor: User | System, username: str, active: bool) -> User:
    """Deactivate an account (its sessions and API tokens end at once; it can no longer sign
    in) or reactivate it (revoked tokens stay revoked). Administrators, or an operator at the
    command line (``SYSTEM``); nobody deactivates themselves. Audited, committed."""
    if isinstance(actor, User):
        policy.require_manage_people(actor)
    user = users.get_user(session, username)
    if user.username == SYSTEM_USERNAME:
        raise NotFound("The starter-content account never signs in.")
    if isinstance(actor, User) and user.id == actor.id and not active:
        raise Conflict("Ask another administrator to deactivate your own account.")
    if user.is_active == active:
        raise Conflict(f"{user.name} is {'active' if active else 'deactivated'} already.")
    user.is_active = active
    if not active:
        end_sessions(session, user)
        tokens.revoke_all(session, user)
        verification.owner_departed(session, user)  # their pages go to their spaces' queues
    audit.record(
        session, "user.activate" if active else "user.deactivate",
        actor=actor if isinstance(actor, User) else None, target=f"user:{user.username}",
    )  # fmt: skip
    session.commit()
    return user


def end_sessions(session: Session, user: User) -> None:
    """End every session of ``user`` (not committed: part of a larger use case)."""
    session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
