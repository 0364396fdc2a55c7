"""Administrators keep the page templates that the new-page screen offers."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app import deps
from app.exceptions import NotFound, ValidationError
from app.review import policy
from app.services import page_templates

bp = Blueprint("page_templates", __name__)


@bp.get("/admin/templates")
@login_required
def index() -> ResponseReturnValue:
    policy.require_manage_templates(deps.require_actor())
    return render_template(
        "page_templates/index.html", templates=page_templates.list_templates(deps.session())
    )


@bp.post("/admin/templates")
@login_required
def add() -> ResponseReturnValue:
    try:
        added = page_templates.add(
            deps.session(), actor=deps.require_actor(), name=request.form.get("name", ""),
            description=request.form.get("description", ""), body=request.form.get("body", ""),
        )  # fmt: skip
    except ValidationError as exc:
        flash(" ".join(exc.fields.values()) or exc.message, "error")
    else:
        flash(
            f"Template “{added.name}” added: people creating a page can start from it.", "success"
        )
    return redirect(url_for("page_templates.index"))


@bp.post("/admin/templates/<int:template_id>/delete")
@login_required
def delete(template_id: int) -> ResponseReturnValue:
    try:
        page_templates.delete(deps.session(), actor=deps.require_actor(), template_id=template_id)
    except (ValidationError, NotFound) as exc:
        flash(exc.message, "error")
    else:
        flash("Template deleted.", "success")
    return redirect(url_for("page_templates.index"))
