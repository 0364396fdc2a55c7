"""Sign in, sign out and sign up."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_user, logout_user

from app import deps
from app.exceptions import ValidationError
from app.extensions import limiter
from app.services import users
from app.views.forms import ActionForm, LoginForm, SignupForm

bp = Blueprint("auth", __name__)


def _auth_limit() -> str:
    return str(current_app.config["AUTH_RATE_LIMIT"])


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else None (no open redirects)."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    return target


@bp.get("/login")
def login() -> ResponseReturnValue:
    form = LoginForm(next=request.args.get("next", ""))
    return render_template("auth/login.html", form=form)


@bp.post("/login")
@limiter.limit(_auth_limit, methods=["POST"])
def login_submit() -> ResponseReturnValue:
    form = LoginForm()
    if form.validate_on_submit():
        user = users.authenticate(
            deps.session(), username=form.username.data, password=form.password.data
        )
        if user is not None:
            login_user(user, remember=form.remember.data)
            flash(f"Welcome back, {user.name}.", "success")
            return redirect(safe_next(form.next.data) or url_for("pages.home"))
        form.password.errors.append("That username and password do not match an account.")
    return render_template("auth/login.html", form=form), 400


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    if ActionForm().validate_on_submit():
        logout_user()
        flash("You are signed out.", "info")
    return redirect(url_for("pages.home"))


def _signup_form() -> SignupForm:
    form = SignupForm()
    form.department.choices = [("", "Choose your department")] + [
        (dept.name, dept.name) for dept in users.list_departments(deps.session())
    ]
    return form


@bp.get("/signup")
def signup() -> ResponseReturnValue:
    return render_template("auth/signup.html", form=_signup_form())


@bp.post("/signup")
@limiter.limit(_auth_limit, methods=["POST"])
def signup_submit() -> ResponseReturnValue:
    form = _signup_form()
    if form.validate_on_submit():
        try:
            user = users.create_user(
                deps.session(),
                username=form.username.data,
                name=form.name.data,
                email=form.email.data,
                department=form.department.data,
                password=form.password.data,
                password_method=deps.password_method(),
            )
        except ValidationError as exc:
            for field, message in exc.fields.items():
                getattr(form, field).errors.append(message)
        else:
            login_user(user)
            flash(
                f"Welcome to Peerwiki, {user.name}! Search for anything you need, or start with "
                "the Onboarding Checklist for New Hires.",
                "success",
            )
            return redirect(url_for("pages.home"))
    return render_template("auth/signup.html", form=form), 400
