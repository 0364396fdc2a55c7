"""``/healthz``: whether this server's database, search index and work queue serve.

Load balancers and monitors poll it without signing in, so it is open even when
``ANONYMOUS_READ`` is off, never rate-limited, and tells nothing secret.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from app import deps
from app.extensions import limiter
from app.services import health

bp = Blueprint("health", __name__)
limiter.exempt(bp)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    report = health.check(
        deps.session(), deps.search_backend(), deps.search_repair(),
        max_queue_age=float(current_app.config["HEALTH_QUEUE_MAX_AGE"]),
        sends_email=bool(current_app.config["SMTP_HOST"]),
    )  # fmt: skip
    response = jsonify(report.to_json())
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if report.ok else 503
