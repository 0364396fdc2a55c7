"""Cached page views: whole pages for anonymous readers, and the parts of a page every reader
sees for signed-in ones, kept with Flask-Caching (each process's memory by default, or one Redis
that every app server shares).

Keys come from database state read in one query (``pages.PublishedVersion``): the page, its
published revision and the content generation, which every publication (and with it every
rename and change of links), new page, archive and restore moves on in its own transaction. So a
committed change retires the stale copies on every server without deleting anything; they age
out (``CACHE_TIMEOUT``) or are evicted. Only what every reader may see is cached: the published
revision of a live page. A page's relative times ("3 hours ago") bound how long a copy lives.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from flask import Flask, Response, current_app, request, session
from flask_caching import Cache
from redis.exceptions import RedisError
from werkzeug.http import http_date, parse_date, quote_etag, unquote_etag

from app.config import PROJECT_ROOT, ConfigError
from app.services.pages import PublishedVersion

log = logging.getLogger(__name__)

_TEMPLATES = PROJECT_ROOT / "templates"


def init_app(app: Flask) -> None:
    """Open the cache that ``CACHE_URL`` names: empty for each process's memory, ``redis://...``
    for a shared Redis, ``none`` for no cache."""
    url = str(app.config["CACHE_URL"])
    config: dict[str, Any] = {
        "CACHE_DEFAULT_TIMEOUT": int(app.config["CACHE_TIMEOUT"]),
        "CACHE_KEY_PREFIX": str(app.config["CACHE_KEY_PREFIX"]),
    }
    if not url:
        config.update(CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=int(app.config["CACHE_THRESHOLD"]))
    elif url.startswith(("redis://", "rediss://", "unix://")):
        config.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=url)
    elif url == "none":
        config.update(CACHE_TYPE="NullCache", CACHE_NO_NULL_WARNING=True)
    else:
        raise ConfigError(f"PEERWIKI_CACHE_URL must be empty, redis://... or none, not {url!r}.")
    cache = Cache(config=config, with_jinja2_ext=False)
    cache.init_app(app)
    app.extensions["wiki.cache"] = cache
    app.extensions["wiki.cache_code"] = _code_version(app)


def _code_version(app: Flask) -> str:
    """A digest of what besides the database shapes a page: the templates and the settings
    they read. A deployment that changes them does not meet its predecessor's copies."""
    digest = hashlib.sha256()
    for path in sorted(_TEMPLATES.rglob("*.html")):
        digest.update(str(path.relative_to(_TEMPLATES)).encode())
        digest.update(path.read_bytes())
    for key in ("IMAGE_HOSTS", "SIGNUP", "ANONYMOUS_READ"):
        digest.update(f"{key}={app.config[key]!r}".encode())
    return digest.hexdigest()[:16]


def _key(kind: str, version: PublishedVersion) -> str:
    code = current_app.extensions["wiki.cache_code"]
    return f"{kind}:{code}:{version.page_id}:{version.revision_id}:{version.generation}"


def get(kind: str, version: PublishedVersion) -> Any:
    """Return what was stored for ``version`` as ``kind``, or None (also when the cache is down:
    the page is then rendered, not refused)."""
    try:
        return current_app.extensions["wiki.cache"].get(_key(kind, version))
    except (RedisError, OSError) as exc:
        log.warning("page cache unreachable: %s", exc)
        return None


def put(kind: str, version: PublishedVersion, value: Any, *, expires_at: float) -> None:
    """Store ``value`` for ``version`` as ``kind`` until ``expires_at`` (a Unix time) at most."""
    timeout = min(int(expires_at - time.time()), int(current_app.config["CACHE_TIMEOUT"]))
    if timeout < 1:
        return
    try:
        current_app.extensions["wiki.cache"].set(_key(kind, version), value, timeout=timeout)
    except (RedisError, OSError) as exc:
        log.warning("page cache unreachable: %s", exc)


def serves_anonymously() -> bool:
    """Tell whether this request may be answered with the page every anonymous reader gets: a
    plain GET (no query string, which the page echoes) by someone with no messages waiting."""
    return not request.query_string and "_flashes" not in session


def anonymous_page(version: PublishedVersion) -> Response | None:
    """Return the cached page an anonymous reader gets for ``version`` (``304 Not Modified``
    when they hold it already), or None when it is not cached."""
    stored = get("anonymous", version)
    return None if stored is None else _answer(*stored)


def store_anonymous_page(version: PublishedVersion, html: str, *, expires_at: float) -> Response:
    """Cache ``html`` as the page anonymous readers get for ``version``; return the answer."""
    body = html.encode()
    etag = quote_etag(hashlib.sha256(body).hexdigest()[:32])
    stored = (body, etag, http_date(version.changed_at))
    put("anonymous", version, stored, expires_at=expires_at)
    return _answer(*stored)


def _answer(body: bytes, etag: str, last_modified: str) -> Response:
    """The stored page, or 304 to a reader who holds it. Headers are kept with the page, ready
    to send: this is the hot path of the whole site."""
    headers = {
        "ETag": etag,
        "Last-Modified": last_modified,
        # Browsers and proxies may keep the page but must ask each time whether it is current,
        # and never hand it to someone whose cookies differ (a signed-in member).
        "Cache-Control": "no-cache",
        "Vary": "Cookie",
    }
    if _holds(etag, last_modified):
        return Response(status=304, headers=headers)
    return Response(body, headers=headers, content_type="text/html; charset=utf-8")


def _holds(etag: str, last_modified: str) -> bool:
    """Tell whether the request's validators match the stored page (If-None-Match wins)."""
    environ = request.environ
    if "HTTP_IF_NONE_MATCH" in environ:
        return request.if_none_match.contains_weak(unquote_etag(etag)[0])
    if "HTTP_IF_MODIFIED_SINCE" in environ:
        since, modified = request.if_modified_since, parse_date(last_modified)
        return since is not None and modified is not None and since >= modified
    return False
