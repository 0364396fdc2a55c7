"""What the site and the API both read from a request or write into a response.

The two edges (``app.views`` and ``app.api``) never import each other; what they share lives here.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field

from app import deps
from app.search import SearchQuery

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


#: What an anonymous visitor reaches when ``ANONYMOUS_READ`` is off: signing in (and up).
_OPEN_BLUEPRINTS = frozenset({"auth"})
_OPEN_ENDPOINTS = frozenset({"static"})


def init_app(app: Flask) -> None:
    """Install the request checks both edges share."""
    app.before_request(_require_sign_in_unless_anonymous_read)


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


def search_query_from_args() -> SearchQuery:
    """Read a search from the query string of a site page (leniently: odd values fall back)."""
    user = deps.actor()
    sort = request.args.get("sort", "relevance")
    return SearchQuery(
        text=request.args.get("q", ""),
        tag=request.args.get("tag") or None,
        department=request.args.get("department") or None,
        author=request.args.get("author") or None,
        page=max(1, request.args.get("page", 1, type=int) or 1),
        per_page=min(max(1, request.args.get("per_page", 10, type=int) or 10), SEARCH_MAX_PER_PAGE),
        sort=sort if sort in SEARCH_SORTS else "relevance",
        pending_for=user.username
        if user is not None and request.args.get("pending") == "1"
        else None,
    )
