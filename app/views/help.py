"""Help wanted: a space's unanswered questions, "Ask the experts", answering with a page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app import deps, web
from app.exceptions import NotFound, ValidationError
from app.models import HelpQuestion
from app.services import help, spaces
from app.views.forms import ActionForm

bp = Blueprint("help", __name__)


@bp.get("/help-wanted")
def index() -> ResponseReturnValue:
    """Every space with how many of its questions are open."""
    return render_template("help/index.html", spaces=help.open_counts(deps.session()))


@bp.get("/spaces/<slug>/help-wanted")
def wanted(slug: str) -> ResponseReturnValue:
    session = deps.session()
    space = spaces.get_space(session, slug)
    answered = request.args.get("answered") == "1"
    listing = help.wanted(
        session, space, answered=answered, page=request.args.get("page", 1, type=web.number)
    )
    return render_template(
        "help/wanted.html",
        space=space,
        listing=listing,
        answered=answered,
        details={item.id: help.details(session, item) for item in listing.items},
        experts=help.experts(session, space),
    )


@bp.post("/help-wanted")
@login_required
def ask() -> ResponseReturnValue:
    """Ask the experts of a space (the form's ``space``, or where the search was filtered to,
    or the asker's department space)."""
    if not ActionForm().validate_on_submit():
        return redirect(request.referrer or url_for("pages.home"))
    try:
        item = help.ask(
            deps.session(), asker=deps.require_actor(),
            space_slug=request.form.get("space") or None,
            question=request.form.get("question", ""), details=request.form.get("details", ""),
            department=request.form.get("department") or None,
        )  # fmt: skip
    except ValidationError as exc:
        flash(" ".join(exc.fields.values()) or exc.message, "error")
        return redirect(request.referrer or url_for("pages.home"))
    flash(
        f"Asked in {item.space.name}. Its experts are told; you will be notified when a page "
        "answers it.",
        "success",
    )
    return redirect(url_for("help.wanted", slug=item.space.slug, _anchor=f"question-{item.id}"))


@bp.post("/help-wanted/<int:question_id>/answer")
@login_required
def answer(question_id: int) -> ResponseReturnValue:
    """Name a published page as the answer; whoever asked is told."""
    session = deps.session()
    item = help.open_question(session, question_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("help.wanted", slug=item.space.slug))
    try:
        help.answer_with_page(
            session, actor=deps.require_actor(), question_id=item.id,
            slug=request.form.get("page", ""),
        )  # fmt: skip
    except ValidationError as exc:
        flash(" ".join(exc.fields.values()) or exc.message, "error")
    else:
        flash("Thank you: the question is answered and whoever asked is told.", "success")
    return redirect(url_for("help.wanted", slug=item.space.slug))


def answering() -> HelpQuestion | None:
    """The open question a new page is being written for (``?answers=ID`` or the form's)."""
    raw = request.values.get("answers", "")
    if not raw.isdigit():
        return None
    try:
        return help.open_question(deps.session(), int(raw))
    except NotFound:
        return None
