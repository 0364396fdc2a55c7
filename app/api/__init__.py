"""JSON API v1: the same services as the site, authenticated by bearer token or session."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from app import deps
from app.api import inputs
from app.extensions import csrf
from app.web import error_response

bp = Blueprint("api", __name__)
csrf.exempt(bp)


@bp.before_request
def _authenticate() -> tuple[Response, int] | None:
    """Refuse bad tokens; session-authenticated writes must carry the CSRF token.

    A request with an ``Authorization`` header cannot be forged cross-site, so token
    requests skip CSRF; the site's own scripts send the token in ``X-CSRFToken``.
    """
    if request.headers.get("Authorization"):
        if deps.actor() is None:
            return error_response(
                401, "unauthorized", "The API token is missing, invalid or revoked."
            )
        return None
    if (
        deps.actor() is not None
        and request.method not in ("GET", "HEAD", "OPTIONS")
        and current_app.config.get("WTF_CSRF_ENABLED", True)
    ):
        csrf.protect()
    return None


@bp.errorhandler(inputs.BadRequest)
def _bad_request(_exc: inputs.BadRequest) -> tuple[Response, int]:
    return error_response(
        400, "bad_request", "Send a JSON object with Content-Type: application/json."
    )


@bp.errorhandler(inputs.Unauthenticated)
def _unauthenticated(_exc: inputs.Unauthenticated) -> tuple[Response, int]:
    return error_response(401, "unauthorized", "Authenticate with 'Authorization: Bearer <token>'.")


from app.api import pages as _pages  # noqa: E402,F401 - registers the routes on bp
from app.api import review as _review  # noqa: E402,F401
from app.api import search as _search  # noqa: E402,F401
