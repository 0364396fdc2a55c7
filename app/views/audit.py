"""The audit log, for administrators: who did what, when, with filters."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app import deps, web
from app.services import audit

bp = Blueprint("audit", __name__)


@bp.get("/admin/audit")
@login_required
def index() -> ResponseReturnValue:
    session = deps.session()
    wanted = audit.AuditFilter(
        action=request.args.get("action") or None,
        actor=request.args.get("actor") or None,
        since=_day("from"),
        until=_day("to"),
    )
    listing = audit.entries(
        session, reader=deps.require_actor(), wanted=wanted,
        page=request.args.get("page", 1, type=web.number),
    )  # fmt: skip
    return render_template(
        "audit/index.html", listing=listing, wanted=wanted, actions=audit.actions(session)
    )


def _day(name: str) -> date | None:
    """The day in query argument ``name`` (YYYY-MM-DD), None when empty; 400 when not a day."""
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(400, f"“{name}” must be a day written YYYY-MM-DD, not {text[:40]!r}.")
