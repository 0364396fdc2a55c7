"""Sign in, sign out and sign up."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app import deps
from app.exceptions import ValidationError
from app.extensions import limiter
from app.models import Invitation, User
from app.services import accounts, signup, users
from app.views.forms import ActionForm, LoginForm, SignupForm

bp = Blueprint("auth", __name__)

#: How long an email confirmation link works.
CONFIRMATION_DAYS = 3


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
        try:
            user = accounts.sign_in(
                deps.session(), username=form.username.data, password=form.password.data,
                password_method=deps.password_method(), client=deps.client(),
            )  # fmt: skip
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            login_user(user, remember=form.remember.data)
            flash(f"Welcome back, {user.name}.", "success")
            return redirect(safe_next(form.next.data) or url_for("pages.home"))
    return render_template("auth/login.html", form=form), 400


def _show_errors(form: FlaskForm, exc: ValidationError) -> None:
    for field, message in exc.fields.items():
        getattr(form, field).errors.append(message)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    if ActionForm().validate_on_submit():
        user = deps.actor()
        accounts.sign_out(deps.session(), user.login_key if user is not None else None)
        logout_user()
        flash("You are signed out.", "info")
    return redirect(url_for("pages.home"))


def _signup_form(invited: Invitation | None) -> SignupForm:
    form = SignupForm()
    if invited is not None:  # the invitation decides the department
        form.department.choices = [(invited.department.name, invited.department.name)]
        form.department.data = invited.department.name
        return form
    form.department.choices = [("", "Choose your department")] + [
        (dept.name, dept.name) for dept in users.list_departments(deps.session())
    ]
    return form


def _invitation() -> Invitation | None:
    """The invitation this sign-up came with (``?invite=``), if any; NotFound if unusable."""
    secret = request.args.get("invite") or request.form.get("invite")
    return signup.invitation(deps.session(), secret) if secret else None


def _closed(rules: signup.SignupRules, invited: Invitation | None) -> ResponseReturnValue | None:
    """The "you cannot join this way" page, when the sign-up rules say so."""
    if rules.mode is signup.Mode.OFF or (rules.mode is signup.Mode.INVITE and invited is None):
        return render_template("auth/signup_closed.html", mode=rules.mode), 403
    return None


@bp.get("/signup", endpoint="signup")
def signup_form() -> ResponseReturnValue:
    rules, invited = deps.signup_rules(), _invitation()
    closed = _closed(rules, invited)
    if closed is not None:
        return closed
    return render_template(
        "auth/signup.html", form=_signup_form(invited), invited=invited, rules=rules
    )


@bp.post("/signup")
@limiter.limit(_auth_limit, methods=["POST"])
def signup_submit() -> ResponseReturnValue:
    rules, invited = deps.signup_rules(), _invitation()
    closed = _closed(rules, invited)
    if closed is not None:
        return closed
    form = _signup_form(invited)
    if form.validate_on_submit():
        try:
            registration = signup.register(
                deps.session(), rules=rules, invitation_secret=request.form.get("invite"),
                username=form.username.data, name=form.name.data, email=form.email.data,
                department=form.department.data, password=form.password.data,
                password_method=deps.password_method(), client=deps.client(),
            )  # fmt: skip
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            user = registration.user
            if registration.needs_email_confirmation:
                _send_confirmation(user)
                return render_template("auth/confirm_sent.html", email=user.email)
            login_user(user)
            flash(
                f"Welcome to Peerwiki, {user.name}! Search for anything you need, or start with "
                "the Onboarding Checklist for New Hires.",
                "success",
            )
            return redirect(url_for("pages.home"))
    return render_template("auth/signup.html", form=form, invited=invited, rules=rules), 400


def _email_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="peerwiki.confirm-email")


def _send_confirmation(user: User) -> None:
    link = deps.external_url("auth.confirm_email", token=_email_signer().dumps(user.id))
    mailer = deps.mailer()
    body = (
        f"Hello {user.name},\n\nconfirm your address to start using Peerwiki:\n{link}\n\n"
        f"The link works for {CONFIRMATION_DAYS} days. If you did not sign up, ignore this email.\n"
    )
    if mailer is not None:
        mailer.send([(user.email, "[Peerwiki] Confirm your email address", body)])


@bp.get("/signup/confirm/<token>")
def confirm_email(token: str) -> ResponseReturnValue:
    try:
        user_id = _email_signer().loads(token, max_age=CONFIRMATION_DAYS * 86400)
    except BadSignature:
        return render_template(
            "errors/generic.html", status=400, title="Link not valid",
            message="This confirmation link is not valid or has expired. Sign up again.",
        ), 400  # fmt: skip
    signup.confirm_email(deps.session(), int(user_id))
    flash("Your address is confirmed. Sign in to start.", "success")
    return redirect(url_for("auth.login"))
