"""Accounts, passwords and departments."""

from __future__ import annotations

import re
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from app.exceptions import NotFound, PermissionDenied, ValidationError
from app.models import (
    DEFAULT_PASSWORD_METHOD,
    Department,
    Page,
    Revision,
    User,
    check_no_password,
    utcnow,
)
from app.review import policy
from app.services import audit, paths, spaces

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,31}$")
#: Length is what makes a password hard to guess; no rules about digits or symbols (NIST
#: SP 800-63B), but the most common passwords are refused.
MIN_PASSWORD_LENGTH = 10
#: The 30,000 most common passwords of leaked password lists, as zxcvbn ships them.
COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str) -> str | None:
    """Say what is wrong with ``password`` as a new password, or None when it will do."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if password.lower() in COMMON_PASSWORDS or len(set(password)) == 1:
        return "This password is one of the most common ones; choose another."
    return None


def create_user(session: Session, **fields: Any) -> User:
    """Create an account as an operator (command line, demo, imports) would: see
    :func:`add_user` for the fields; audited, committed."""
    user = add_user(session, **fields)
    audit.record(session, "user.create", actor=None, target=f"user:{user.username}")
    session.commit()
    return user


def add_user(
    session: Session,
    *,
    username: str,
    password: str,
    department: str,
    email: str | None = None,
    name: str | None = None,
    is_admin: bool = False,
    create_department: bool = False,
    enforce_password_policy: bool = True,
    password_method: str = DEFAULT_PASSWORD_METHOD,
    department_confirmed: bool = True,
    email_confirmed: bool = True,
) -> User:
    """Add a user without committing; ``create_department`` allows a department that does not
    exist yet.

    Operators creating accounts from the command line may skip the password rules;
    ``password_method`` is the configured ``PASSWORD_HASH_METHOD``. A person who chose their
    own department (``department_confirmed=False``) or has yet to prove their address
    (``email_confirmed=False``) waits for that.
    """
    username = username.strip().lower()
    email = (email or f"{username}@example.com").strip()
    errors: dict[str, str] = {}
    if not USERNAME_PATTERN.match(username):
        errors["username"] = (
            "Use 2-32 lowercase letters, digits, dots, dashes or underscores, "
            "starting with a letter or digit."
        )
    elif find_user(session, username):
        errors["username"] = f"The username {username!r} is taken."
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        errors["email"] = str(exc)
    else:
        if session.scalar(select(User.id).where(func.lower(User.email) == email.lower())):
            errors["email"] = "An account with this email address exists already."
    problem = password_problem(password) if enforce_password_policy else None
    if not password or problem:
        errors["password"] = problem or "Choose a password."
    dept = find_department(session, department)
    if dept is None and not create_department:
        errors["department"] = f"There is no department called {department!r}."
    if errors:
        raise ValidationError("The account could not be created.", errors)
    if dept is None:
        dept = ensure_department(session, department)
    user = User(
        username=username,
        name=(name or username).strip()[:120],
        email=email,
        department=dept,
        is_admin=is_admin,
        department_confirmed=department_confirmed,
        email_confirmed_at=utcnow() if email_confirmed else None,
    )
    user.set_password(password, password_method)
    session.add(user)
    session.flush()
    paths.joined_department(session, user)  # the paths given to the department are theirs too
    return user


def authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    password_method: str = DEFAULT_PASSWORD_METHOD,
) -> User | None:
    """Return the active user with these credentials, or None.

    Every attempt checks one password hash (a throwaway one, made with ``password_method``, for
    an unknown username), so the time taken does not tell whether the account exists.
    """
    user = find_user(session, username)
    if user is None:
        check_no_password(password, password_method)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


def find_user(session: Session, username: str) -> User | None:
    """Return the user called ``username`` (case-insensitive), or None."""
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def get_user(session: Session, username: str) -> User:
    """Return the user called ``username``; raise NotFound otherwise."""
    user = find_user(session, username)
    if user is None:
        raise NotFound(f"There is no user called {username!r}.")
    return user


def list_departments(session: Session) -> list[Department]:
    """Return every department, by name."""
    return list(session.scalars(select(Department).order_by(Department.name)))


def find_department(session: Session, name: str) -> Department | None:
    """Return the department called ``name`` (case-insensitive), or None."""
    return session.scalar(
        select(Department).where(func.lower(Department.name) == name.strip().lower())
    )


def add_department(
    session: Session, *, actor: User, name: str, description: str = ""
) -> Department:
    """Create a department; admins only."""
    if not actor.is_admin:
        raise PermissionDenied("Only administrators can add departments.")
    if find_department(session, name):
        raise ValidationError("Department exists.", {"name": f"{name!r} exists already."})
    department = ensure_department(session, name, description)
    audit.record(session, "department.create", actor=actor, target=f"department:{department.name}")
    session.commit()
    return department


def update_review_rules(
    session: Session,
    *,
    actor: User,
    name: str,
    required_approvals: int | None,
    require_cross_department: bool | None,
) -> Department:
    """Set a department's own approval rules (None: use the global setting); admins only."""
    if not actor.is_admin:
        raise PermissionDenied("Only administrators can change review rules.")
    department = find_department(session, name)
    if department is None:
        raise NotFound(f"There is no department called {name!r}.")
    if required_approvals is not None and not 1 <= required_approvals <= 10:
        raise ValidationError("Invalid rule.", {"required_approvals": "Use a number from 1 to 10."})
    department.required_approvals = required_approvals
    department.require_cross_department = require_cross_department
    audit.record(
        session, "department.rules", actor=actor, target=f"department:{department.name}",
        detail={"required_approvals": required_approvals,
                "require_cross_department": require_cross_department},
    )  # fmt: skip
    session.commit()
    return department


def ensure_department(session: Session, name: str, description: str = "") -> Department:
    """Return the department called ``name``, adding it (uncommitted) when it does not exist."""
    existing = find_department(session, name)
    if existing is not None:
        return existing
    name = " ".join(name.split())
    if not 2 <= len(name) <= 80:
        raise ValidationError("Invalid department.", {"department": "Use 2-80 characters."})
    department = Department(name=name, description=description)
    session.add(department)
    session.flush()
    spaces.ensure_department_space(session, department)
    return department


def profile_activity(
    session: Session, user: User, *, reader: policy.Reader, limit: int = 50
) -> tuple[list[Page], list[Revision]]:
    """Return the live pages ``user`` created and their latest revisions, newest first: what
    ``reader`` may see of them."""
    pages = session.scalars(
        select(Page)
        .where(Page.created_by_id == user.id, Page.archived_at.is_(None))
        .options(selectinload(Page.latest_revision).options(policy.VISIBILITY_OF_REVISION))
        .order_by(Page.updated_at.desc())
    )
    revisions = session.scalars(
        select(Revision)
        .where(Revision.author_id == user.id)
        .options(selectinload(Revision.page), policy.VISIBILITY_OF_REVISION)
        .order_by(Revision.created_at.desc(), Revision.id.desc())
        .limit(limit)
    )
    return (
        [page for page in pages if policy.can_view(reader, page)],
        [revision for revision in revisions if policy.can_view(reader, revision)],
    )
