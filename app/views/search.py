"""Search results, opening a result, as-you-type suggestions and knowledge gaps."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app import deps, observability, web
from app.exceptions import PermissionDenied
from app.search import SearchUnavailable
from app.services import pages, search

bp = Blueprint("search", __name__)


@bp.get("/search")
def results() -> ResponseReturnValue:
    query = web.search_query_from_args()
    outcome, error = None, None
    if query.text.strip() or query.tag or query.department or query.author:
        try:
            with observability.timed_search():
                outcome = search.run(
                    deps.session(), deps.search_backend(), query, user=deps.actor(),
                    everything=request.args.get("all") == "1",
                )  # fmt: skip
        except SearchUnavailable as exc:
            error = web.search_trouble(exc)
    status = 503 if error else 200
    return render_template("search/results.html", query=query, outcome=outcome, error=error), status


@bp.get("/search/open/<int:log_id>/<slug>")
def open_result(log_id: int, slug: str) -> ResponseReturnValue:
    """Record which result answered a search, then go to it."""
    session = deps.session()
    page = pages.lookup(session, slug, reader=deps.actor())
    search.record_open(session, log_id=log_id, page_id=page.id)
    return redirect(url_for("pages.view", slug=page.slug))


@bp.get("/gaps")
def gaps() -> ResponseReturnValue:
    session = deps.session()
    answered = request.args.get("answered") == "1"
    listing = search.gaps(
        session, answered=answered, page=request.args.get("page", 1, type=web.number)
    )
    user = deps.actor()
    who = (
        {gap.id: search.askers(session, gap) for gap in listing.items}
        if user and user.is_admin
        else {}
    )
    return render_template("search/gaps.html", listing=listing, answered=answered, askers=who)


@bp.get("/gaps/<int:gap_id>/askers")
@login_required
def gap_askers(gap_id: int) -> ResponseReturnValue:
    user = deps.require_actor()
    if not user.is_admin:
        raise PermissionDenied("Only administrators see who asked.")
    session = deps.session()
    gap = search.get_gap(session, gap_id)
    return render_template("search/askers.html", gap=gap, askers=search.askers(session, gap))
