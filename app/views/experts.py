"""Who knows about X: the expert directory for a tag or a space."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app import deps
from app.exceptions import NotFound, ValidationError
from app.services import experts

bp = Blueprint("experts", __name__)


@bp.get("/experts")
@login_required
def directory() -> ResponseReturnValue:
    session = deps.session()
    tag = (request.args.get("tag") or "").strip().lower() or None
    space = request.args.get("space") or None
    if tag and space:
        space = None  # one question at a time: the tag asked for wins
    found: list[experts.Expert] = []
    problem = None
    if tag or space:
        try:
            found = experts.directory(session, reader=deps.actor(), tag=tag, space=space)
        except (NotFound, ValidationError) as exc:
            problem = exc.message
    tags, spaces = experts.topics(session)
    return render_template(
        "experts/directory.html", found=found, tag=tag, space=space, tags=tags, spaces=spaces,
        subject=experts.subject(tag, space, session), problem=problem, weights=experts.WEIGHTS,
    ), 404 if problem else 200  # fmt: skip
