"""Per-request access to the database session and the signed-in user."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Flask, Request, Response, current_app, g, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session, sessionmaker

from app import db, jobs, storage
from app.exceptions import PermissionDenied
from app.extensions import login_manager
from app.jobs import Job
from app.mail import Mailer
from app.models import ApiToken, User, utcnow
from app.review.approval import ApprovalRules
from app.search import SearchBackend, open_backend
from app.services import accounts, background, indexing, notifications, queue, signup, tokens

#: What a process's first request asks for: catch up on what was left queued before it started.
_ON_START = frozenset({Job.INDEX, Job.MAIL})


def init_app(app: Flask) -> None:
    """Build the engine and session factory and close each request's session afterwards."""
    engine = db.make_engine(app.config["DATABASE_URL"])
    app.extensions["wiki.engine"] = engine
    maker = sessionmaker(engine, expire_on_commit=False)
    queued = app.config["BACKGROUND_RUNNER"] == "queue"
    jobs.track(maker, durable=queue.enqueue if queued else None)
    app.extensions["wiki.sessionmaker"] = maker
    app.extensions["wiki.mailer"] = Mailer.from_config(app.config)
    app.extensions["wiki.search"] = open_backend(app.config, engine)
    indexing.track(maker, app.extensions["wiki.search"])
    work = background.Work(
        maker, app.extensions["wiki.search"], app.extensions["wiki.mailer"],
        base_url=app.config["BASE_URL"],
    )  # fmt: skip
    app.extensions["wiki.work"] = work
    runner: jobs.Runner = (
        jobs.ThreadRunner(idle=work.idle)
        if app.config["BACKGROUND_RUNNER"] == "thread"
        else jobs.RUNNERS[app.config["BACKGROUND_RUNNER"]]()
    )
    app.extensions["wiki.jobs"] = runner
    app.extensions["wiki.batcher"] = jobs.Batcher(runner, work.run)
    # Long work (a rebuild) never runs in a request's thread, whatever the runner.
    app.extensions["wiki.long_jobs"] = jobs.ThreadRunner()
    app.extensions["wiki.search_synced"] = False
    app.extensions["wiki.search_repair"] = background.Repair()
    app.extensions["wiki.storage"] = storage.open_store(app.config)
    app.teardown_appcontext(_close_session)
    app.after_request(_run_committed_jobs)
    login_manager.user_loader(_user_from_session_key)
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


def signup_rules() -> signup.SignupRules:
    """Return who may create an account (``SIGNUP``, ``SIGNUP_DOMAINS``)."""
    return signup.SignupRules.parse(
        current_app.config["SIGNUP"], current_app.config["SIGNUP_DOMAINS"]
    )


def image_origins() -> list[str]:
    """Return the servers besides the wiki that pages may show images from (``IMAGE_HOSTS``,
    ``https://`` unless a host names its scheme)."""
    hosts = (host.strip() for host in str(current_app.config["IMAGE_HOSTS"]).split(","))
    return [host if "://" in host else f"https://{host}" for host in hosts if host]


def mailer() -> Mailer | None:
    """Return the mailer, or None when email is off."""
    found: Mailer | None = current_app.extensions.get("wiki.mailer")
    return found


def password_method() -> str:
    """Return how new passwords are hashed (``PASSWORD_HASH_METHOD``)."""
    method: str = current_app.config["PASSWORD_HASH_METHOD"]
    return method


def unread_notifications() -> int:
    """Return the signed-in user's unread notification count (0 for anonymous readers)."""
    user = actor()
    return notifications.unread_count(session(), user) if user is not None else 0


def client() -> accounts.Client:
    """Return who is asking, as far as the request tells: address and browser."""
    return accounts.Client(
        address=request.remote_addr, user_agent=request.headers.get("User-Agent", "")
    )


def api_token() -> ApiToken | None:
    """Return the live API token that the request's ``Authorization: Bearer`` header names, or
    None (no such header, or the token is unknown, revoked or expired)."""
    if "api_token" not in g:
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        secret = secret.strip()
        bearer = scheme.lower() == "bearer" and secret
        g.api_token = tokens.authenticate(session(), secret) if bearer else None
    token: ApiToken | None = g.api_token
    return token


def require_actor() -> User:
    """Return the signed-in user; raise PermissionDenied for anonymous requests."""
    user = actor()
    if user is None:
        raise PermissionDenied("Please sign in first.")
    return user


def _user_from_session_key(key: str) -> User | None:
    return accounts.load(session(), key, idle=current_app.config["REMEMBER_COOKIE_DURATION"])


def _user_from_bearer_token(_req: Request) -> User | None:
    token = api_token()
    return token.user if token is not None else None


def blob_store() -> storage.BlobStore:
    """Return the app's store of uploaded files (``UPLOAD_DIR``)."""
    store: storage.BlobStore = current_app.extensions["wiki.storage"]
    return store


def upload_max_bytes() -> int:
    """The largest file an upload may carry (``UPLOAD_MAX_MB``), in bytes."""
    return int(float(current_app.config["UPLOAD_MAX_MB"]) * 1024 * 1024)


def search_backend() -> SearchBackend:
    """Return the application's search backend."""
    backend: SearchBackend = current_app.extensions["wiki.search"]
    return backend


def search_repair() -> background.Repair:
    """Return how far this process's rebuild of a damaged index is (starting none)."""
    repair: background.Repair = current_app.extensions["wiki.search_repair"]
    return repair


def repair_search() -> background.Repair:
    """Start rebuilding the damaged search index off the request (a background thread, or the
    worker with ``BACKGROUND_RUNNER=queue``), unless that is under way; return its progress."""
    repair: background.Repair = current_app.extensions["wiki.search_repair"]
    if current_app.config["BACKGROUND_RUNNER"] == "queue":
        with current_app.extensions["wiki.sessionmaker"]() as queue_session:
            queue.enqueue(queue_session, Job.REBUILD)  # once: a queued rebuild takes this one
            queue_session.commit()
        return background.Repair(running=True)  # the worker's progress is not known here
    if repair.due(utcnow()):
        repair.start()
        runner: jobs.Runner = current_app.extensions["wiki.long_jobs"]
        runner.submit(
            partial(
                background.repair_index,
                current_app.extensions["wiki.sessionmaker"],
                search_backend(),
                repair,
            )  # fmt: skip
        )
    return repair


def base_url() -> str:
    """Return the site's address for links that leave it (emails, the API's ``url`` fields):
    ``BASE_URL``, never the Host header a request claims."""
    configured: str = current_app.config["BASE_URL"]
    return configured


def external_url(endpoint: str, **values: Any) -> str:
    """Return the absolute address of ``endpoint`` for a link that leaves the site (an email),
    under ``BASE_URL`` when it is set."""
    path = url_for(endpoint, **values)[len(request.script_root) :]
    return base_url() + path


def _run_committed_jobs(response: Response) -> Response:
    """Ask for the work this request's commits queued (index, emails) to be done after the
    response, batched with whatever else is waiting (with ``BACKGROUND_RUNNER=queue`` it is in
    the database queue already, for the worker).

    The process's first request also catches up (work a crash left queued, an empty index on a
    new server). Requests that queued nothing (reads, previews) cost nothing extra.
    """
    todo = jobs.take_committed(g.db_session) if "db_session" in g else frozenset()
    if not current_app.extensions["wiki.search_synced"]:
        current_app.extensions["wiki.search_synced"] = True
        todo |= _ON_START
    if todo:
        batcher: jobs.Batcher = current_app.extensions["wiki.batcher"]
        batcher.ask(todo)
    return response


def _close_session(_exc: BaseException | None) -> None:
    current = g.pop("db_session", None)
    if current is not None:
        current.close()
