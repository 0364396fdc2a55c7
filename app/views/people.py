"""Administrators manage people: departments, administrator rights, deactivation, invitations."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app import deps
from app.exceptions import WikiError
from app.models import Invitation, User
from app.review import policy
from app.services import accounts, signup, users
from app.views.forms import ActionForm

bp = Blueprint("people", __name__)


@bp.get("/admin/people")
@login_required
def index() -> ResponseReturnValue:
    policy.require_manage_people(deps.require_actor())
    return _page()


def _page(created: tuple[Invitation, str] | None = None) -> ResponseReturnValue:
    session = deps.session()
    return render_template(
        "people/index.html",
        people=signup.people(session),
        departments=users.list_departments(session),
        invitations=signup.pending_invitations(session),
        rules=deps.signup_rules(),
        created=created,
    )


@bp.post("/admin/people/<username>/department")
@login_required
def department(username: str) -> ResponseReturnValue:
    return _change(
        lambda actor: signup.set_department(
            deps.session(),
            actor=actor,
            username=username,
            department=request.form.get("department") or None,
        ),  # fmt: skip
        lambda user: f"{user.name} is confirmed in {user.department.name}.",
    )


@bp.post("/admin/people/<username>/admin")
@login_required
def admin(username: str) -> ResponseReturnValue:
    grant = request.form.get("admin") == "1"
    return _change(
        lambda actor: signup.set_admin(deps.session(), actor=actor, username=username, admin=grant),
        lambda user: f"{user.name} is {'now' if grant else 'no longer'} an administrator.",
    )


@bp.post("/admin/people/<username>/active")
@login_required
def active(username: str) -> ResponseReturnValue:
    activate = request.form.get("active") == "1"
    return _change(
        lambda actor: accounts.set_active(
            deps.session(), actor=actor, username=username, active=activate
        ),
        lambda user: (
            f"{user.name} can sign in again."
            if activate
            else f"{user.name} is deactivated: signed out everywhere, API tokens revoked."
        ),
    )


def _change(change: Callable[[User], User], done: Callable[[User], str]) -> ResponseReturnValue:
    """Run one administrator's change to a person from the People page, and say how it went."""
    if ActionForm().validate_on_submit():
        try:
            user = change(deps.require_actor())
        except WikiError as exc:
            flash(exc.message, "error")
        else:
            flash(done(user), "success")
    return redirect(url_for("people.index"))


@bp.post("/admin/invitations")
@login_required
def invite() -> ResponseReturnValue:
    actor = deps.require_actor()
    policy.require_manage_people(actor)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("people.index"))
    try:
        created = signup.invite(
            deps.session(), actor=actor, department=request.form.get("department", ""),
            email=request.form.get("email"),
        )  # fmt: skip
    except WikiError as exc:
        flash(exc.message, "error")
        return redirect(url_for("people.index"))
    return _page(created)
