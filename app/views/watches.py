"""Watching pages, tags and spaces from the web: the buttons on a page view and the list under
settings."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.wrappers import Response

from app import deps
from app.exceptions import ValidationError
from app.models import Page
from app.services import watches
from app.views.forms import ActionForm

bp = Blueprint("watches", __name__)


def page_watch(page: Page) -> watches.PageWatch | None:
    """What the signed-in reader watches of ``page`` (None for anonymous readers, whose cached
    copy of the page has no Watch buttons)."""
    reader = deps.actor()
    if reader is None:
        return None
    return watches.page_watch(deps.session(), reader, page)


def watching(kind: str, key: str) -> bool:
    """Whether the signed-in reader watches the page, tag or space ``key``."""
    reader = deps.actor()
    return reader is not None and watches.is_watching(deps.session(), reader, kind, key)


@bp.app_context_processor
def _watch_state() -> dict[str, object]:
    return {"page_watch": page_watch, "watching": watching}


@bp.post("/watches")
@login_required
def watch() -> ResponseReturnValue:
    return _change(watching=True)


@bp.post("/watches/remove")
@login_required
def unwatch() -> ResponseReturnValue:
    return _change(watching=False)


@bp.get("/settings/watches")
@login_required
def index() -> ResponseReturnValue:
    watched = watches.watches_of(deps.session(), deps.require_actor())
    return render_template("settings/watches.html", grouped=watches.labels(watched))


def _change(*, watching: bool) -> Response:
    """Watch or stop watching the form's ``kind``/``key``, then go back (see ``_back``)."""
    kind, key = request.form.get("kind", ""), request.form.get("key", "")
    if not ActionForm().validate_on_submit():
        flash("The form expired. Try again.", "error")
        return redirect(url_for("watches.index"))
    user, session = deps.require_actor(), deps.session()
    try:
        if watching:
            watched = watches.watch(session, user=user, kind=kind, key=key)
            flash(
                f"You are watching {watched.label}: its publications and new proposals reach your inbox.",
                "success",
            )
        else:
            watches.unwatch(session, user=user, kind=kind, key=key)
            flash("You stopped watching it.", "success")
    except ValidationError as exc:
        flash(str(exc), "error")
        return redirect(url_for("watches.index"))
    return redirect(_back(kind, key, request.form.get("from_page")))


def _back(kind: str, key: str, from_page: str | None) -> str:
    """Where a watch button leads back to: the page it was pressed on, the watched page or
    tag listing, or the list of watches (always an address of this site)."""
    if from_page:
        return url_for("pages.view", slug=from_page)
    if kind == "page":
        return url_for("pages.view", slug=key)
    if kind == "tag":
        return url_for("pages.index", tag=key)
    return url_for("watches.index")
