"""Per-request access to the database session and the signed-in user."""

from __future__ import annotations

from flask import Flask, Request, current_app, g
from flask_login import current_user
from sqlalchemy.orm import Session, sessionmaker

from app import db
from app.exceptions import PermissionDenied
from app.extensions import login_manager
from app.models import User
from app.services import users


def init_app(app: Flask) -> None:
    """Build the engine and session factory and close each request's session afterwards."""
    engine = db.make_engine(app.config["DATABASE_URL"])
    app.extensions["wiki.engine"] = engine
    app.extensions["wiki.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)
    login_manager.user_loader(lambda user_id: users.load_user(session(), user_id))
    login_manager.request_loader(_user_from_bearer_token)


def session() -> Session:
    """Return this request's database session, opening it on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["wiki.sessionmaker"]()
    current: Session = g.db_session
    return current


def actor() -> User | None:
    """Return the signed-in user, or None for anonymous readers."""
    user = current_user._get_current_object()  # noqa: SLF001 - unwrap the LocalProxy
    return user if isinstance(user, User) else None


def require_actor() -> User:
    """Return the signed-in user; raise PermissionDenied for anonymous requests."""
    user = actor()
    if user is None:
        raise PermissionDenied("Please sign in first.")
    return user


def _user_from_bearer_token(req: Request) -> User | None:
    scheme, _, token = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return users.user_for_token(session(), token.strip())


def _close_session(_exc: BaseException | None) -> None:
    current = g.pop("db_session", None)
    if current is not None:
        current.close()
