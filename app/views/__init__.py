"""Server-rendered pages: one blueprint per module."""

from __future__ import annotations

from flask import Flask, Response, current_app

from app import deps
from app.diffing import LineKind
from app.review import policy
from app.review.approval import Verdict
from app.review.workflow import OPEN_STATES, REQUEST_REVIEW_STATES, REVIEWABLE_STATES, State
from app.services import signup
from app.services.content import SYSTEM_USERNAME
from app.views import (
    analytics,
    attachments,
    audit,
    auth,
    errors,
    experts,
    feedback,
    filters,
    health,
    help,
    page_templates,
    pages,
    paths,
    people,
    review,
    search,
    settings,
    spaces,
    synonyms,
    users,
    verification,
    watches,
)

#: Scripts, styles and images come only from the site itself (images also from the hosts of
#: ``IMAGE_HOSTS``: a remote image would tell its server who reads which page).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:{image_hosts}; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
#: Browsers keep to HTTPS for a year once they have seen this (production only).
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"

#: The domain's names that templates compare against, so no template retypes a state or verdict.
TEMPLATE_NAMES = {
    "State": State,
    "Verdict": Verdict,
    "LineKind": LineKind,
    "OPEN_STATES": OPEN_STATES,
    "REVIEWABLE_STATES": REVIEWABLE_STATES,
    "REQUEST_REVIEW_STATES": REQUEST_REVIEW_STATES,
    "SYSTEM_USERNAME": SYSTEM_USERNAME,
}


def register_blueprints(app: Flask) -> None:
    """Register the site's blueprints, error pages and response headers."""
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(users.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(people.bp)
    app.register_blueprint(settings.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(spaces.bp)
    app.register_blueprint(synonyms.bp)
    app.register_blueprint(paths.bp)
    app.register_blueprint(help.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(feedback.bp)
    app.register_blueprint(verification.bp)
    app.register_blueprint(analytics.bp)
    app.register_blueprint(watches.bp)
    app.register_blueprint(page_templates.bp)
    app.register_blueprint(experts.bp)
    app.register_blueprint(attachments.bp)
    app.context_processor(
        lambda: {
            "unread_notifications": deps.unread_notifications,
            "signup_open": lambda: deps.signup_rules().mode is not signup.Mode.OFF,
            "can_view_analytics": policy.can_view_analytics,
            "can_view_activity": policy.can_view_activity,
        }
    )
    errors.init_app(app)
    app.add_template_filter(filters.when)
    app.add_template_filter(filters.comment_html)
    app.add_template_filter(filters.notification_kind)
    app.jinja_env.globals.update(TEMPLATE_NAMES)
    app.after_request(_security_headers)


def _security_headers(response: Response) -> Response:
    hosts = "".join(f" {origin}" for origin in deps.image_origins())
    response.headers.setdefault(
        "Content-Security-Policy", CONTENT_SECURITY_POLICY.format(image_hosts=hosts)
    )
    if current_app.config["ENV"] == "production":
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    if deps.actor() is not None:  # what a member sees stays out of shared caches and history
        response.headers["Cache-Control"] = "private, no-store"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response
