"""What the site and the API both read from a request or write into a response.

The two edges (``app.views`` and ``app.api``) never import each other; what they share lives here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, Response, abort, current_app, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_limiter.util import get_remote_address
from pydantic import BaseModel, Field
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from app import deps
from app.search import IndexDamaged, SearchQuery, SearchUnavailable
from app.services import attachments

#: Search results per page at most, and the orders a search can be sorted in.
SEARCH_MAX_PER_PAGE = 50
SEARCH_SORTS = ("relevance", "date")


class ErrorDetail(BaseModel):
    """What went wrong: a stable code for programs and a sentence for people."""

    code: str = Field(description="Stable, machine-readable, e.g. not_found or invalid.")
    message: str
    fields: dict[str, str] | None = Field(
        default=None, description="Request field -> what is wrong with it (422 only)."
    )


class ErrorBody(BaseModel):
    """Every JSON error answer: ``{"error": {"code", "message", "fields"?}}``."""

    error: ErrorDetail


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    """Return the JSON error body (``fields`` only when there are any)."""
    detail = ErrorDetail(code=code, message=message, fields=fields or None)
    return ErrorBody(error=detail).model_dump(exclude_none=True)


#: What an anonymous visitor reaches when ``ANONYMOUS_READ`` is off: signing in (and up), and
#: what monitors poll (``/healthz``; ``/metrics`` when on, whose view prometheus-flask-exporter
#: names).
_OPEN_BLUEPRINTS = frozenset({"auth", "health"})
_OPEN_ENDPOINTS = frozenset({"static", "prometheus_metrics"})


#: The largest id a URL may name: ids are 32-bit integers in every database Peerwiki runs on.
MAX_ID = 2**31 - 1


def number(text: str) -> int:
    """Read a whole number from a query or form value (``request.args.get(..., type=number)``):
    text that is no number counts as missing, and one no database column holds answers 400."""
    value = int(text)
    if abs(value) > MAX_ID:
        abort(400, f"{text} is larger than any number Peerwiki keeps.")
    return value


class IdConverter(IntegerConverter):
    """``<int:...>`` in routes: a larger number names nothing (404) instead of overflowing the
    database."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def configured_limit(key: str) -> Callable[[], str]:
    """A Flask-Limiter limit read from the setting ``key`` when a request arrives."""
    return lambda: str(current_app.config[key])


def limit_key() -> str:
    """Whose requests a per-user limit counts: the signed-in user's or token holder's, from
    any address; an anonymous client's by its address."""
    user = deps.actor()
    return f"user:{user.id}" if user is not None else f"address:{get_remote_address()}"


def init_app(app: Flask) -> None:
    """Install the URL converters and request checks both edges share (before any route)."""
    if proxies := int(app.config["PROXY_COUNT"]):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.url_map.converters["int"] = IdConverter
    # First of all checks (CSRF protection among them reads the form, and the raw body with it).
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_malformed_text)
    # Before that, uploads may be larger than other requests (and hear why when they are not).
    app.before_request_funcs[None].insert(0, _allow_uploads)
    app.before_request(_require_sign_in_unless_anonymous_read)


#: Endpoints that take a file: their requests may be ``UPLOAD_MAX_MB`` plus this much form.
UPLOAD_ENDPOINTS = frozenset({"api.upload_attachment"})
UPLOAD_ENVELOPE = 1024 * 1024


def _allow_uploads() -> None:
    """Let an upload's request be as large as ``UPLOAD_MAX_MB`` allows (other requests keep
    ``MAX_CONTENT_LENGTH``); refuse a larger one with 413 and a sentence saying the limit."""
    if request.endpoint not in UPLOAD_ENDPOINTS:
        return
    limit = deps.upload_max_bytes()
    request.max_content_length = max(
        limit + UPLOAD_ENVELOPE, int(current_app.config["MAX_CONTENT_LENGTH"] or 0)
    )
    size = request.content_length or 0
    if size > request.max_content_length:
        abort(413, attachments.too_large_message(size, limit))


def _refuse_malformed_text() -> None:
    """Refuse, with 400, a request whose path, query, form or JSON holds a NUL character or
    text that is not UTF-8 (werkzeug keeps such escapes, or decodes them to U+FFFD)."""
    encoded = [request.query_string]
    if request.mimetype == "application/x-www-form-urlencoded":
        encoded.append(request.get_data(cache=True))
    texts: list[str] = [request.path, *request.args.values(), *request.form.values()]
    if request.is_json:
        texts += _strings(request.get_json(silent=True))
    if any(not _utf8(unquote_to_bytes(raw.replace(b"+", b" "))) for raw in encoded) or any(
        _malformed(text) for text in texts
    ):
        abort(400, "The request holds a NUL character or text that is not valid UTF-8.")


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in raw


def _malformed(text: str) -> bool:
    if "\x00" in text or "\ufffd" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _strings(value: object) -> list[str]:
    """Every string in a parsed JSON value, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in (*_strings(key), *_strings(item))]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def _require_sign_in_unless_anonymous_read() -> ResponseReturnValue | None:
    if current_app.config["ANONYMOUS_READ"] or deps.actor() is not None:
        return None
    if request.blueprint in _OPEN_BLUEPRINTS or request.endpoint in _OPEN_ENDPOINTS:
        return None
    if wants_json():
        return error_response(
            401, "unauthorized", "Sign in or send an API token to read this wiki."
        )
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def wants_json() -> bool:
    """Tell whether this request is the API's, answered in JSON."""
    return request.path.startswith("/api/")


def error_response(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> tuple[Response, int]:
    """Build a JSON error response (see ``ErrorBody``)."""
    response = jsonify(error_body(code, message, fields))
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="peerwiki"'
    return response, status


def search_trouble(exc: SearchUnavailable) -> str:
    """What to tell a searcher when the index is unavailable; a damaged index is repaired in
    the background, and the answer says how far that is."""
    if not isinstance(exc, IndexDamaged):
        return (
            "Search is busy right now (the index is being updated). Please try again in a moment."
        )
    repair = deps.repair_search()
    if repair.running:
        progress = (
            f": {repair.done:,} of {repair.total:,} pages indexed so far" if repair.total else ""
        )
        return (
            f"Search is being rebuilt after a fault{progress}. "
            "Pages keep working; search again in a minute, or browse all pages."
        )
    if repair.failure is not None:
        return (
            "Search is unavailable: its index is damaged and could not be rebuilt (the server "
            "log says why). Pages keep working: browse all pages meanwhile."
        )
    return "Search was repaired after a fault a moment ago. Please search again."


def search_query_from_args() -> SearchQuery:
    """Read a search from the query string of a site page (leniently: odd values fall back)."""
    user = deps.actor()
    sort = request.args.get("sort", "relevance")
    return SearchQuery(
        text=request.args.get("q", ""),
        tag=request.args.get("tag") or None,
        department=request.args.get("department") or None,
        author=request.args.get("author") or None,
        page=max(1, request.args.get("page", 1, type=number) or 1),
        per_page=min(
            max(1, request.args.get("per_page", 10, type=number) or 10), SEARCH_MAX_PER_PAGE
        ),
        sort=sort if sort in SEARCH_SORTS else "relevance",
        pending_for=user.username
        if user is not None and request.args.get("pending") == "1"
        else None,
        verified_only=request.args.get("verified") == "1",
    )
