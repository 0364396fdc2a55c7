"""Server-rendered pages: one blueprint per module."""

from __future__ import annotations

from flask import Flask, Response

from app import deps
from app.diffing import LineKind
from app.review.approval import Verdict
from app.review.workflow import OPEN_STATES, REQUEST_REVIEW_STATES, REVIEWABLE_STATES, State
from app.services import signup
from app.views import auth, errors, filters, pages, people, review, search, users

#: Scripts and styles come only from the site itself; page content can show remote images.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' https: http: data:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)

#: The domain's names that templates compare against, so no template retypes a state or verdict.
TEMPLATE_NAMES = {
    "State": State,
    "Verdict": Verdict,
    "LineKind": LineKind,
    "OPEN_STATES": OPEN_STATES,
    "REVIEWABLE_STATES": REVIEWABLE_STATES,
    "REQUEST_REVIEW_STATES": REQUEST_REVIEW_STATES,
}


def register_blueprints(app: Flask) -> None:
    """Register the site's blueprints, error pages and response headers."""
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(users.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(people.bp)
    app.context_processor(
        lambda: {
            "unread_notifications": deps.unread_notifications,
            "signup_open": lambda: deps.signup_rules().mode is not signup.Mode.OFF,
        }
    )
    errors.init_app(app)
    app.add_template_filter(filters.when)
    app.jinja_env.globals.update(TEMPLATE_NAMES)
    app.after_request(_security_headers)


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response
