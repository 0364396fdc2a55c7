"""JSON API v1: the same services as the site, authenticated by bearer token or session.

How a route is declared, validated and documented: see ``app/api/spec.py``.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from app import deps
from app.api import serializers
from app.api.spec import PREFIX, WRITE_METHODS, BadRequest, Unauthenticated
from app.exceptions import EditConflict
from app.extensions import csrf, limiter
from app.search import SearchUnavailable
from app.services import tokens
from app.web import configured_limit, error_body, error_response, limit_key, search_trouble

bp = Blueprint("api", __name__, url_prefix=PREFIX)
#: Methods that change nothing: the only ones a read-only token may use.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
csrf.exempt(bp)
# Every write of the API; a route with its own limit (render) counts there instead.
limiter.limit(
    configured_limit("API_WRITE_RATE_LIMIT"), key_func=limit_key, methods=list(WRITE_METHODS)
)(bp)


def init_app(app: Flask) -> None:
    """Register the API and its interactive documentation."""
    from app.api import docs

    app.register_blueprint(bp)
    app.register_blueprint(docs.bp)


@bp.before_request
def _authenticate() -> tuple[Response, int] | None:
    """Refuse bad tokens; session-authenticated writes must carry the CSRF token.

    A request with an ``Authorization`` header cannot be forged cross-site, so token
    requests skip CSRF; the site's own scripts send the token in ``X-CSRFToken``.
    """
    if request.headers.get("Authorization"):
        token = deps.api_token()
        # The token decides, even when a session cookie names someone (or the same person).
        if token is None or deps.actor() is not token.user:
            return error_response(
                401, "unauthorized", "The API token is missing, invalid, expired or revoked."
            )
        if token.scope == tokens.Scope.READ and request.method not in SAFE_METHODS:
            return error_response(
                403, "forbidden", "This API token is read-only; create a read-write one to write."
            )
        return None
    if (
        deps.actor() is not None
        and request.method not in SAFE_METHODS
        and current_app.config.get("WTF_CSRF_ENABLED", True)
    ):
        csrf.protect()
    return None


@bp.errorhandler(BadRequest)
def _bad_request(_exc: BadRequest) -> tuple[Response, int]:
    return error_response(
        400, "bad_request", "Send a JSON object with Content-Type: application/json."
    )


@bp.errorhandler(Unauthenticated)
def _unauthenticated(_exc: Unauthenticated) -> tuple[Response, int]:
    return error_response(401, "unauthorized", "Authenticate with 'Authorization: Bearer <token>'.")


@bp.errorhandler(EditConflict)
def _edit_conflict(exc: EditConflict) -> tuple[Response, int]:
    """A stale ``base_revision_id``: the answer carries the revision to merge with."""
    current = serializers.to_revision(deps.session(), exc.current)
    body = error_body(exc.code, exc.message) | {"current_revision": current.model_dump(mode="json")}
    return jsonify(body), 409


@bp.errorhandler(SearchUnavailable)
def _search_unavailable(exc: SearchUnavailable) -> tuple[Response, int]:
    return error_response(503, "search_unavailable", search_trouble(exc))


from app.api import analytics as _analytics  # noqa: E402,F401 - registers the routes on bp
from app.api import attachments as _attachments  # noqa: E402,F401
from app.api import audit as _audit  # noqa: E402,F401
from app.api import experts as _experts  # noqa: E402,F401
from app.api import feedback as _feedback  # noqa: E402,F401
from app.api import help as _help  # noqa: E402,F401
from app.api import pages as _pages  # noqa: E402,F401
from app.api import paths as _paths  # noqa: E402,F401
from app.api import review as _review  # noqa: E402,F401
from app.api import search as _search  # noqa: E402,F401
from app.api import spaces as _spaces  # noqa: E402,F401
from app.api import synonyms as _synonyms  # noqa: E402,F401
from app.api import verification as _verification  # noqa: E402,F401
from app.api import watches as _watches  # noqa: E402,F401
