"""Configuration defaults and the order they are loaded in.

Load order: the defaults below, then ``PEERWIKI_*`` environment variables (``PEERWIKI_DATABASE_URL``
becomes ``DATABASE_URL``), then the ``overrides`` a caller (usually a test) passes to the factory.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from app import jobs, search
from app.models import DEFAULT_PASSWORD_METHOD
from app.services import signup

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: What ``LOG_FORMAT`` may name.
LOG_FORMATS = ("json", "text")
#: Where links point in development when no request says where the site is (``flask run``).
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"

DEFAULTS: dict[str, Any] = {
    #: ``development`` generates a local secret key when none is given; ``production`` refuses to.
    "ENV": "development",
    #: SQLAlchemy URL; empty means a SQLite file ``instance/peerwiki.db``.
    "DATABASE_URL": "",
    #: Search engine: ``whoosh`` (an index directory on this machine), ``postgres`` (full-text
    #: search in the PostgreSQL database itself, for several app servers) or ``memory`` (for
    #: tests and demos only: nothing is kept on disk and each process has its own index).
    "SEARCH_BACKEND": "whoosh",
    #: Where work that follows a commit (index updates, emails, gap checks, rebuilds) runs:
    #: ``thread`` (a background thread of each app process, so one command runs the whole wiki),
    #: ``queue`` (the database queue, for one ``flask --app app worker`` process beside the app
    #: servers) or ``inline`` (before the response returns; for tests). Rebuilds never run in a
    #: request's thread.
    "BACKGROUND_RUNNER": "thread",
    #: The site's public address (``https://wiki.example.com``), for links in emails and other
    #: work done outside a request. Required in production; in development links use the address
    #: requests come in on (outside requests ``http://127.0.0.1:5000``).
    "BASE_URL": "",
    #: Directory of the Whoosh index.
    "SEARCH_INDEX": str(PROJECT_ROOT / "search_index"),
    #: Language of the stemming analyzer (Whoosh language code: en, de, fr, es, nl, ...).
    "SEARCH_LANGUAGE": "en",
    #: How passwords are hashed, as werkzeug names it (``scrypt``, ``pbkdf2:sha256:600000``);
    #: slow on purpose. Tests choose a fast one.
    "PASSWORD_HASH_METHOD": DEFAULT_PASSWORD_METHOD,
    #: Signs sessions and CSRF tokens; must be shared by every app server.
    "SECRET_KEY": "",
    #: Folder of starter Markdown pages imported by ``flask content import``.
    "CONTENT_DIR": str(PROJECT_ROOT / "content"),
    #: Largest request body accepted, in bytes (a page body is limited separately).
    "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
    #: Items per page in listings, unless a request asks for another size.
    "PER_PAGE": 20,
    #: Where Flask-Limiter keeps its counters: ``memory://`` counts in each process; with several
    #: processes or servers use ``redis://host:6379/0`` (the ``redis`` client is a dependency), so
    #: that a limit holds across all of them.
    "RATELIMIT_STORAGE_URI": "memory://",
    #: Prefix of the counters' keys, so that several wikis can share one Redis.
    "RATELIMIT_KEY_PREFIX": "peerwiki",
    #: Answers carry ``Retry-After`` and ``X-RateLimit-*`` headers.
    "RATELIMIT_HEADERS_ENABLED": True,
    #: While Redis is unreachable, count in each process's memory rather than failing requests.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_SWALLOW_ERRORS": True,
    #: Where rendered page views are cached: empty keeps them in each process's memory; with
    #: several app servers use ``redis://host:6379/1``, so that they share one cache (changes
    #: retire stale copies on every server either way); ``none`` turns caching off.
    "CACHE_URL": "",
    #: Prefix of the cache's keys, so that several wikis can share one Redis.
    "CACHE_KEY_PREFIX": "peerwiki:",
    #: Seconds a cached page is kept at most (a change retires it at once).
    "CACHE_TIMEOUT": 24 * 3600,
    #: Pages each process keeps at most with the in-memory cache (one page: about 20-50 KB).
    "CACHE_THRESHOLD": 2000,
    #: How many reverse proxies (load balancers) stand in front of the app: their
    #: ``X-Forwarded-For`` and ``-Proto`` are then believed, so that limits count each client's
    #: address rather than the proxy's. 0: the app is reached directly (headers are ignored).
    "PROXY_COUNT": 0,
    #: Limit on sign-in and sign-up attempts per client address.
    "AUTH_RATE_LIMIT": "20 per minute",
    #: Limit on the API's writes (POST) per signed-in user or token holder (else per address).
    "API_WRITE_RATE_LIMIT": "120 per minute",
    #: Limit on ``/api/v1/render`` (the editor's live preview) per user: each render of a large
    #: page costs up to a second of a CPU.
    "RENDER_RATE_LIMIT": "60 per minute",
    #: Folder of uploaded files (images and attachments), one file per distinct content, named by
    #: its SHA-256; back it up with ``flask backup`` (the file holds them) or on its own.
    "UPLOAD_DIR": str(PROJECT_ROOT / "instance" / "uploads"),
    #: Largest uploaded file, in megabytes (an upload request may be this plus 1 MB of form).
    "UPLOAD_MAX_MB": 20,
    #: Limit on uploads per user: each image is decoded and re-encoded, which costs a CPU.
    "UPLOAD_RATE_LIMIT": "30 per minute",
    #: Comma-separated hosts pages may show images from besides the wiki itself
    #: (``images.example.com,cdn.example.com``); others are blocked by the browser.
    "IMAGE_HOSTS": "",
    #: Whether anonymous readers may read published pages; with ``false`` every page but sign-in
    #: asks them to sign in first (the API answers 401).
    "ANONYMOUS_READ": True,
    #: Remember-me cookie lifetime in days; a sign-in unused for as long lapses on the server.
    "REMEMBER_DAYS": 30,
    #: CSRF tokens last as long as the session instead of one hour, so a long edit still saves.
    "WTF_CSRF_TIME_LIMIT": None,
    #: Who may create an account: ``off``, ``invite`` (an administrator's link), ``domain``
    #: (a confirmed address at ``SIGNUP_DOMAINS``) or ``open``. Unset: ``off`` in production,
    #: ``open`` otherwise.
    "SIGNUP": "",
    #: Comma-separated email domains that ``SIGNUP=domain`` admits (``example.com,example.org``).
    "SIGNUP_DOMAINS": "",
    #: Approvals a proposal needs before it is published (departments may override it).
    "REVIEW_REQUIRED_APPROVALS": 1,
    #: Whether one approval must come from another department than the page's.
    "REVIEW_REQUIRE_CROSS_DEPARTMENT": False,
    #: SMTP server for notification emails; empty turns email off.
    "SMTP_HOST": "",
    "SMTP_PORT": 25,
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_FROM": "Peerwiki <peerwiki@localhost>",
    "SMTP_STARTTLS": False,
    "SMTP_SSL": False,
    #: Log lines: ``json`` (one object a line, with the request's id, method, path, status,
    #: duration and user) or ``text`` (easier to read in a terminal). Unset: ``json`` in
    #: production, ``text`` otherwise.
    "LOG_FORMAT": "",
    #: The least severe level that is logged: ``DEBUG``, ``INFO``, ``WARNING``, ``ERROR``.
    "LOG_LEVEL": "INFO",
    #: Serve Prometheus metrics at ``/metrics`` (with several worker processes, also set
    #: ``PROMETHEUS_MULTIPROC_DIR``: see the README's "Health, logs and metrics").
    "METRICS": False,
    #: ``/healthz`` reports the queue down (and answers 503) once its oldest item has waited
    #: longer than this many seconds: nothing is working it off. 0: never.
    "HEALTH_QUEUE_MAX_AGE": 900,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
}


class ConfigError(RuntimeError):
    """The configuration cannot be used to start the application."""


def load(app: Flask, overrides: Mapping[str, Any] | None = None) -> None:
    """Fill ``app.config`` from defaults, the environment and ``overrides``, then validate it."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("PEERWIKI")
    if overrides:
        app.config.from_mapping(overrides)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'peerwiki.db'}"
    if not app.config["SECRET_KEY"]:
        if app.config["ENV"] == "production":
            raise ConfigError("PEERWIKI_SECRET_KEY must be set when PEERWIKI_ENV=production.")
        app.config["SECRET_KEY"] = _local_secret_key(Path(app.instance_path))
    if app.config["ENV"] == "production" and len(str(app.config["SECRET_KEY"]).encode()) < 32:
        raise ConfigError(
            "PEERWIKI_SECRET_KEY must be at least 32 bytes in production "
            "(python -c 'import secrets; print(secrets.token_hex(32))' makes one)."
        )
    if not app.config["LOG_FORMAT"]:
        app.config["LOG_FORMAT"] = "json" if app.config["ENV"] == "production" else "text"
    _require_choice(app, "LOG_FORMAT", LOG_FORMATS)
    _check_base_url(app)
    _require_choice(app, "SEARCH_BACKEND", search.BACKENDS)
    if app.config["SEARCH_BACKEND"] == "postgres" and not str(
        app.config["DATABASE_URL"]
    ).startswith("postgresql"):
        raise ConfigError(
            "PEERWIKI_SEARCH_BACKEND=postgres searches the database itself: it needs a "
            "PostgreSQL PEERWIKI_DATABASE_URL."
        )
    _require_choice(app, "BACKGROUND_RUNNER", jobs.RUNNERS)
    if not app.config["SIGNUP"]:
        app.config["SIGNUP"] = "off" if app.config["ENV"] == "production" else "open"
    _require_choice(app, "SIGNUP", [mode.value for mode in signup.Mode])
    if app.config["SIGNUP"] == "domain" and not (
        app.config["SIGNUP_DOMAINS"] and app.config["SMTP_HOST"]
    ):
        raise ConfigError(
            "PEERWIKI_SIGNUP=domain needs PEERWIKI_SIGNUP_DOMAINS and PEERWIKI_SMTP_HOST "
            "(confirmation links are emailed)."
        )
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(days=int(app.config["REMEMBER_DAYS"]))
    if app.config["ENV"] == "production":  # cookies only travel over HTTPS
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True


def _check_base_url(app: Flask) -> None:
    """Require ``BASE_URL`` in production, as an absolute http(s) address without a trailing
    slash (links are built by appending paths to it); elsewhere it defaults to the address
    ``flask run`` serves."""
    url = str(app.config["BASE_URL"]).strip().rstrip("/")
    if not url:
        if app.config["ENV"] == "production":
            raise ConfigError(
                "PEERWIKI_BASE_URL must be set when PEERWIKI_ENV=production: the site's public "
                "address (https://wiki.example.com), which links in emails point to."
            )
        # Never the request's Host header: anyone can send one, and emails would link there.
        url = DEVELOPMENT_BASE_URL
    elif not (parsed := urlsplit(url)).netloc or parsed.scheme not in ("http", "https"):
        raise ConfigError(f"PEERWIKI_BASE_URL must be an http:// or https:// address, not {url!r}.")
    app.config["BASE_URL"] = url


def _local_secret_key(instance: Path) -> str:
    """Return the secret key kept in ``instance/secret_key``, creating it on first use."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    try:
        # O_EXCL: two workers starting together must end up with the same key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _require_choice(app: Flask, key: str, choices: Iterable[str]) -> None:
    if app.config[key] not in choices:
        raise ConfigError(
            f"PEERWIKI_{key} must be one of {', '.join(choices)}, not {app.config[key]!r}."
        )
