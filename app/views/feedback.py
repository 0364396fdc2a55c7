"""Readers say whether a page worked for them; its owners read the counts and notes."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app import deps
from app.exceptions import PermissionDenied, ValidationError
from app.models import Page, PageFeedback
from app.review import policy
from app.services import feedback

bp = Blueprint("feedback", __name__)


@dataclass(frozen=True)
class Widget:
    """What the feedback box on a page view shows the signed-in reader looking at it."""

    tally: feedback.Tally
    mine: PageFeedback | None
    can_give: bool
    is_owner: bool
    notes: list[feedback.Note]


def widget(page: Page) -> Widget | None:
    """The feedback box for the signed-in reader of ``page``'s published version (None for
    anonymous readers: their cached copy of the page holds nothing that a vote changes)."""
    reader = deps.actor()
    if reader is None or page.published_revision is None or page.is_archived:
        return None
    session = deps.session()
    owner = feedback.reads_owners_view(session, page, reader)
    return Widget(
        tally=feedback.tally(session, page),
        mine=feedback.own_word(session, page, reader),
        can_give=policy.can_give_feedback(reader, page),
        is_owner=owner,
        notes=feedback.notes(session, page, reader=reader) if owner else [],
    )


@bp.app_context_processor
def _feedback_widget() -> dict[str, object]:
    return {"feedback_widget": widget}


@bp.post("/wiki/<slug>/feedback")
@login_required
def give(slug: str) -> ResponseReturnValue:
    worked = request.form.get("worked")
    if worked not in ("yes", "no"):
        flash("Choose whether the page worked for you.", "error")
        return redirect(url_for("pages.view", slug=slug))
    try:
        outcome = feedback.give(
            deps.session(), reader=deps.require_actor(), slug=slug, worked=worked == "yes",
            note=request.form.get("note", ""),
        )  # fmt: skip
    except (ValidationError, PermissionDenied) as exc:
        flash(exc.message, "error")
        return redirect(url_for("pages.view", slug=slug))
    if outcome.feedback.worked:
        flash("Thanks: the page's owners know it worked for you.", "success")
    else:
        flash("Thanks: the page's owners will look at what did not work.", "success")
    return redirect(url_for("pages.view", slug=slug, _anchor="feedback"))
