"""What the site and the API both read from a request or write into a response.

The two edges (``app.views`` and ``app.api``) never import each other; what they share lives here.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from app import deps
from app.search import SearchQuery


def error_response(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> tuple[Response, int]:
    """Build the JSON error body ``{"error": {"code", "message", "fields"?}}``."""
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    response = jsonify({"error": error})
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="peerwiki"'
    return response, status


def search_query_from_args() -> SearchQuery:
    """Read a search from the query string."""
    user = deps.actor()
    sort = request.args.get("sort", "relevance")
    return SearchQuery(
        text=request.args.get("q", ""),
        tag=request.args.get("tag") or None,
        department=request.args.get("department") or None,
        author=request.args.get("author") or None,
        page=max(1, request.args.get("page", 1, type=int) or 1),
        per_page=min(max(1, request.args.get("per_page", 10, type=int) or 10), 50),
        sort=sort if sort in ("relevance", "date") else "relevance",
        pending_for=user.username
        if user is not None and request.args.get("pending") == "1"
        else None,
    )
