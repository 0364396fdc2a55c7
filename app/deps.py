"""Per-request access to the database session and the signed-in user."""

from __future__ import annotations

from flask import Flask, Request, Response, current_app, g, request
from flask_login import current_user
from sqlalchemy.orm import Session, sessionmaker

from app import db
from app.exceptions import PermissionDenied
from app.extensions import login_manager
from app.mail import Mailer
from app.models import User
from app.review.approval import ApprovalRules
from app.search import SearchBackend, open_backend
from app.services import indexing, notifications, search, users


def init_app(app: Flask) -> None:
    """Build the engine and session factory and close each request's session afterwards."""
    engine = db.make_engine(app.config["DATABASE_URL"])
    app.extensions["wiki.engine"] = engine
    app.extensions["wiki.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.extensions["wiki.mailer"] = Mailer.from_config(app.config)
    app.extensions["wiki.search"] = open_backend(app.config)
    app.extensions["wiki.search_synced"] = False
    app.teardown_appcontext(_close_session)
    app.after_request(_after_write_work)
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


def approval_rules() -> ApprovalRules:
    """Return the global approval rules (departments may tighten or relax them)."""
    return ApprovalRules(
        required=max(1, int(current_app.config["REVIEW_REQUIRED_APPROVALS"])),
        cross_department=bool(current_app.config["REVIEW_REQUIRE_CROSS_DEPARTMENT"]),
    )


def password_method() -> str:
    """Return how new passwords are hashed (``PASSWORD_HASH_METHOD``)."""
    method: str = current_app.config["PASSWORD_HASH_METHOD"]
    return method


def unread_notifications() -> int:
    """Return the signed-in user's unread notification count (0 for anonymous readers)."""
    user = actor()
    return notifications.unread_count(session(), user) if user is not None else 0


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


def search_backend() -> SearchBackend:
    """Return the application's search backend."""
    backend: SearchBackend = current_app.extensions["wiki.search"]
    return backend


def _after_write_work(response: Response) -> Response:
    """Once the response has gone out, bring the index up to date and send pending emails.

    Runs after requests that queued such work, and after the first request of each process
    (catching up on work a crash left in the outbox), so no request waits on an index commit
    or an SMTP server, and requests that queued nothing (previews, reads) cost nothing extra.
    """
    first = not current_app.extensions["wiki.search_synced"]
    queued = "db_session" in g and db.has_background_work(g.db_session)
    if not (first or queued):
        return response
    current_app.extensions["wiki.search_synced"] = True
    factory = current_app.extensions["wiki.sessionmaker"]
    backend = search_backend()
    mailer: Mailer | None = current_app.extensions.get("wiki.mailer")
    base_url = request.host_url.rstrip("/")
    logger = current_app.logger

    def work() -> None:
        try:
            with factory() as db_session:
                # Only a process's first pass checks for an empty index (a new server).
                catch_up = indexing.catch_up if first else indexing.process_outbox
                if catch_up(db_session, backend).pages_changed:
                    search.check_gaps_answered(db_session, backend)
                if mailer is not None:
                    notifications.deliver_pending(db_session, mailer, base_url=base_url)
        except Exception:  # the request succeeded; background trouble is logged, work stays queued
            logger.exception("Background work after a request failed")

    response.call_on_close(work)
    return response


def _close_session(_exc: BaseException | None) -> None:
    current = g.pop("db_session", None)
    if current is not None:
        current.close()
