"""API tokens: named, optionally expiring, read-only or read-write; listed and revoked by their
owner (or an operator at the command line)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.exceptions import Conflict, NotFound, ValidationError
from app.models import ApiToken, User, utcnow
from app.review.policy import System
from app.services import audit

TOKEN_PREFIX = "pw_"
#: How precisely a token's last use is recorded.
TOKEN_USE_RESOLUTION = timedelta(minutes=5)
MAX_NAME_CHARS = 80
#: The longest lifetime a token may be given.
MAX_LIFETIME = timedelta(days=3 * 366)


class Scope(StrEnum):
    """What a token may do: ``read`` answers GET requests only; ``write`` may change things."""

    READ = "read"
    WRITE = "write"


@dataclass(frozen=True)
class NewToken:
    """A token just made, and its secret: shown once, only its hash is kept."""

    token: ApiToken
    secret: str


def create(
    session: Session,
    *,
    owner: User,
    name: str,
    scope: Scope = Scope.WRITE,
    expires_at: datetime | None = None,
    actor: User | None = None,
) -> NewToken:
    """Issue a token for ``owner``; ``actor`` is who asked (None: an operator at the command
    line). Audited, committed."""
    name = " ".join(name.split())
    errors: dict[str, str] = {}
    if not 1 <= len(name) <= MAX_NAME_CHARS:
        errors["name"] = f"Give the token a name of 1-{MAX_NAME_CHARS} characters."
    now = utcnow()
    if expires_at is not None and not now < expires_at <= now + MAX_LIFETIME:
        errors["expires_at"] = "Choose an expiry in the future, at most three years away."
    if errors:
        raise ValidationError("The token could not be created.", errors)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=owner, token_hash=_hash(secret), prefix=secret[:10], name=name, scope=scope.value,
        expires_at=expires_at,
    )  # fmt: skip
    session.add(token)
    session.flush()
    audit.record(
        session, "token.create", actor=actor, target=f"token:{token.id}",
        detail={"owner": owner.username, "name": name, "scope": scope.value,
                "expires_at": expires_at.isoformat() if expires_at else None},
    )  # fmt: skip
    session.commit()
    return NewToken(token, secret)


def owned_by(session: Session, owner: User) -> list[ApiToken]:
    """Every token of ``owner``, the newest first (revoked and expired ones included)."""
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == owner.id).order_by(ApiToken.id.desc())
        )
    )


def revoke(session: Session, *, actor: User | System, token_id: int) -> ApiToken:
    """Revoke a token at once: its owner may, and so may an operator (``SYSTEM``). Audited,
    committed; a token that is not the actor's is NotFound, as if it did not exist."""
    token = session.get(ApiToken, token_id)
    if token is None or (isinstance(actor, User) and token.user_id != actor.id):
        raise NotFound(f"There is no API token {token_id}.")
    if token.revoked_at is not None:
        raise Conflict("This token was revoked already.")
    token.revoked_at = utcnow()
    audit.record(
        session, "token.revoke", actor=actor if isinstance(actor, User) else None,
        target=f"token:{token.id}", detail={"owner": token.user.username, "name": token.name},
    )  # fmt: skip
    session.commit()
    return token


def revoke_all(session: Session, owner: User) -> None:
    """Revoke every live token of ``owner`` (not committed: part of a larger use case)."""
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == owner.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def is_live(token: ApiToken, now: datetime | None = None) -> bool:
    """Whether ``token`` still works: not revoked, not expired."""
    return token.revoked_at is None and (
        token.expires_at is None or (now or utcnow()) < token.expires_at
    )


def authenticate(session: Session, secret: str) -> ApiToken | None:
    """Return the live token behind ``secret`` of an active user, recording its use."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(secret)))
    now = utcnow()
    if token is None or not is_live(token, now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_RESOLUTION:
        token.last_used_at = now  # not on every request: reads should not all become writes
        session.commit()
    return token


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
