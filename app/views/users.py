"""People and departments."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app import deps
from app.exceptions import ValidationError
from app.services import pages, users
from app.views.forms import DepartmentForm

bp = Blueprint("users", __name__)


@bp.get("/users/<username>")
def profile(username: str) -> ResponseReturnValue:
    session = deps.session()
    user = users.get_user(session, username)
    authored, revisions = users.profile_activity(session, user, reader=deps.actor())
    return render_template("users/profile.html", user=user, pages=authored, revisions=revisions)


@bp.get("/departments")
def departments() -> ResponseReturnValue:
    return _departments_page(DepartmentForm())


@bp.post("/departments")
@login_required
def add_department() -> ResponseReturnValue:
    form = DepartmentForm()
    if form.validate_on_submit():
        try:
            department = users.add_department(
                deps.session(), actor=deps.require_actor(), name=form.name.data,
                description=form.description.data or "",
            )  # fmt: skip
        except ValidationError as exc:
            form.name.errors = [*form.name.errors, *exc.fields.values()]
        else:
            flash(f"Department {department.name!r} added.", "success")
            return redirect(url_for("users.departments"))
    return _departments_page(form), 400


@bp.post("/departments/<name>/rules")
@login_required
def review_rules(name: str) -> ResponseReturnValue:
    approvals = request.form.get("required_approvals", "").strip()
    cross = request.form.get("require_cross_department", "")
    try:
        department = users.update_review_rules(
            deps.session(), actor=deps.require_actor(), name=name,
            required_approvals=int(approvals) if approvals.isdigit() else None,
            require_cross_department={"yes": True, "no": False}.get(cross),
        )  # fmt: skip
    except ValidationError as exc:
        flash(" ".join(exc.fields.values()), "error")
    else:
        flash(f"Review rules for {department.name} saved.", "success")
    return redirect(url_for("users.departments"))


def _departments_page(form: DepartmentForm) -> str:
    session = deps.session()
    return render_template(
        "users/departments.html", departments=pages.department_counts(session), form=form,
        global_approvals=current_app.config["REVIEW_REQUIRED_APPROVALS"],
        global_cross=current_app.config["REVIEW_REQUIRE_CROSS_DEPARTMENT"],
    )  # fmt: skip
