"""Who may join, and how: sign-up modes, invitations, confirmed departments and addresses."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.exceptions import Conflict, NotFound, PermissionDenied, ValidationError
from app.models import Invitation, User, utcnow
from app.review import policy
from app.services import accounts, audit, pages, paths, users

#: How long an invitation link stays valid.
INVITATION_LIFETIME = timedelta(days=7)


class Mode(StrEnum):
    """``PEERWIKI_SIGNUP``: who may create an account."""

    OFF = "off"  #: nobody: administrators create accounts from the command line
    INVITE = "invite"  #: whoever holds an administrator's invitation link
    DOMAIN = "domain"  #: anyone with a confirmed address at one of the company's domains
    OPEN = "open"  #: anyone (development)


@dataclass(frozen=True)
class SignupRules:
    """The sign-up settings of this wiki."""

    mode: Mode
    domains: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, mode: str, domains: str | Collection[str]) -> SignupRules:
        """Read the settings; raise ValueError for an unknown mode."""
        names = domains.split(",") if isinstance(domains, str) else domains
        return cls(Mode(mode), frozenset(n.strip().lower().lstrip("@") for n in names if n.strip()))

    def allows_address(self, email: str) -> bool:
        return email.rpartition("@")[2].lower() in self.domains


@dataclass(frozen=True)
class Registration:
    """A new account, and whether it must confirm its address before signing in."""

    user: User
    needs_email_confirmation: bool


def invite(
    session: Session, *, actor: User, department: str, email: str | None = None
) -> tuple[Invitation, str]:
    """Make a single-use sign-up link that puts its holder in ``department``; return the
    invitation and its secret (shown once: only its hash is kept)."""
    policy.require_manage_people(actor)
    dept = users.find_department(session, department)
    if dept is None:
        raise ValidationError(
            "Unknown department.", {"department": f"There is no department called {department!r}."}
        )
    secret = secrets.token_urlsafe(24)
    invitation = Invitation(
        token_hash=_hash(secret), department=dept, email=(email or "").strip() or None,
        created_by_id=actor.id, expires_at=utcnow() + INVITATION_LIFETIME,
    )  # fmt: skip
    session.add(invitation)
    audit.record(
        session, "invitation.create", actor=actor, target=f"department:{dept.name}",
        detail={"email": invitation.email},
    )  # fmt: skip
    session.commit()
    return invitation, secret


def pending_invitations(session: Session) -> list[Invitation]:
    """Invitations not yet used or expired, newest first."""
    return list(
        session.scalars(
            select(Invitation)
            .where(Invitation.used_at.is_(None), Invitation.expires_at > utcnow())
            .order_by(Invitation.id.desc())
        )
    )


def invitation(session: Session, secret: str, *, now: datetime | None = None) -> Invitation:
    """Return the usable invitation behind ``secret``; raise NotFound when it is unknown, used
    or expired."""
    found = session.scalar(select(Invitation).where(Invitation.token_hash == _hash(secret)))
    if found is None or found.used_at is not None or found.expires_at <= (now or utcnow()):
        raise NotFound("This invitation link has been used or has expired. Ask for a new one.")
    return found


def register(
    session: Session,
    *,
    rules: SignupRules,
    invitation_secret: str | None,
    username: str,
    name: str,
    email: str,
    department: str,
    password: str,
    password_method: str,
    client: accounts.Client,
) -> Registration:
    """Create an account as the sign-up rules allow, and sign it in unless its address must be
    confirmed first (``user.login_key``). Audited, committed.

    An invitation fixes (and confirms) the department; otherwise the chosen department waits
    for an administrator. In ``domain`` mode the address must be at a company domain and be
    confirmed before the first sign-in.
    """
    if rules.mode is Mode.OFF:
        raise PermissionDenied("Sign-up is closed. An administrator can create your account.")
    invited = invitation(session, invitation_secret) if invitation_secret else None
    if invited is None and rules.mode is Mode.INVITE:
        raise PermissionDenied("Joining this wiki needs an invitation link from an administrator.")
    if invited is None and rules.mode is Mode.DOMAIN and not rules.allows_address(email):
        allowed = ", ".join(f"@{domain}" for domain in sorted(rules.domains))
        raise ValidationError("Use your work address.", {"email": f"Use an address at {allowed}."})
    confirm_email = invited is None and rules.mode is Mode.DOMAIN
    user = users.add_user(
        session, username=username, name=name, email=email,
        department=invited.department.name if invited else department, password=password,
        password_method=password_method, department_confirmed=invited is not None,
        email_confirmed=not confirm_email,
    )  # fmt: skip
    if invited is not None:
        invited.used_at, invited.used_by_id = utcnow(), user.id
    audit.record(
        session, "auth.sign_up", actor=user, target=f"user:{user.username}", ip=client.address,
        detail={"department": user.department.name, "invited": invited is not None},
    )  # fmt: skip
    if not confirm_email:
        accounts.start_session(session, user, client)
    session.commit()
    return Registration(user, needs_email_confirmation=confirm_email)


def confirm_email(session: Session, user_id: int) -> User:
    """Record that the person behind ``user_id`` received the confirmation link."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("This confirmation link is not valid.")
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        audit.record(session, "user.email_confirm", actor=user, target=f"user:{user.username}")
        session.commit()
    return user


def set_department(
    session: Session, *, actor: User, username: str, department: str | None = None
) -> User:
    """Confirm a person's department, or move them to ``department`` (confirmed)."""
    policy.require_manage_people(actor)
    user = users.get_user(session, username)
    if department is not None:
        dept = users.find_department(session, department)
        if dept is None:
            raise ValidationError(
                "Unknown department.",
                {"department": f"There is no department called {department!r}."},
            )
        user.department = dept
        pages.content_changed(session)  # pages name their writers' and reviewers' departments
        paths.joined_department(session, user)
    user.department_confirmed = True
    audit.record(
        session, "user.department", actor=actor, target=f"user:{user.username}",
        detail={"department": user.department.name},
    )  # fmt: skip
    session.commit()
    return user


def set_admin(session: Session, *, actor: User, username: str, admin: bool) -> User:
    """Make a person an administrator, or no longer one (not oneself: another administrator
    does that, so there is always one left)."""
    policy.require_manage_people(actor)
    user = users.get_user(session, username)
    if user.id == actor.id and not admin:
        raise Conflict("Ask another administrator to remove your own administrator rights.")
    user.is_admin = admin
    audit.record(
        session, "user.admin", actor=actor, target=f"user:{user.username}", detail={"admin": admin}
    )
    session.commit()
    return user


def people(session: Session) -> list[User]:
    """Everyone, those waiting for a confirmed department first, then by name."""
    return list(
        session.scalars(select(User).order_by(User.department_confirmed, User.name, User.id))
    )


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
