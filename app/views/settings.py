"""One's own account: password, where one is signed in, API tokens."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required, login_user

from app import deps
from app.exceptions import Conflict, ValidationError
from app.models import utcnow
from app.services import accounts, tokens
from app.views.forms import ActionForm, PasswordForm, TokenForm

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.get("")
@login_required
def index() -> ResponseReturnValue:
    return _account_page(PasswordForm())


@bp.post("/password")
@login_required
def password() -> ResponseReturnValue:
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.change_password(
                deps.session(), user=deps.require_actor(), current=form.current.data,
                new=form.password.data, password_method=deps.password_method(),
                client=deps.client(),
            )  # fmt: skip
        except ValidationError as exc:
            for field, message in exc.fields.items():
                getattr(form, field).errors.append(message)
        else:
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
            login_user(user, remember=remembered in request.cookies)  # this browser's new session
            flash("Password changed. Every other device has been signed out.", "success")
            return redirect(url_for("settings.index"))
    return _account_page(form), 400


@bp.post("/sessions/end-others")
@login_required
def end_other_sessions() -> ResponseReturnValue:
    if ActionForm().validate_on_submit():
        ended = accounts.end_other_sessions(deps.session(), deps.require_actor())
        flash(f"Signed out {ended} other session{'' if ended == 1 else 's'}.", "success")
    return redirect(url_for("settings.index"))


def _account_page(form: PasswordForm) -> str:
    user = deps.require_actor()
    sessions = accounts.live_sessions(deps.session(), user)
    return render_template(
        "settings/index.html", form=form, user=user,
        sessions=[(row, accounts.is_current(row, user)) for row in sessions],
    )  # fmt: skip


@bp.get("/tokens")
@login_required
def token_list() -> ResponseReturnValue:
    return _tokens_page(TokenForm())


@bp.post("/tokens")
@login_required
def create_token() -> ResponseReturnValue:
    form = TokenForm()
    if not form.validate_on_submit():
        return _tokens_page(form), 400
    days = int(form.expires.data) if form.expires.data else None
    user = deps.require_actor()
    try:
        created = tokens.create(
            deps.session(), owner=user, actor=user, name=form.name.data,
            scope=tokens.Scope(form.scope.data),
            expires_at=utcnow() + timedelta(days=days) if days else None,
        )  # fmt: skip
    except ValidationError as exc:
        form.name.errors.extend(exc.fields.values())
        return _tokens_page(form), 400
    return _tokens_page(TokenForm(formdata=None), created=created)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> ResponseReturnValue:
    if ActionForm().validate_on_submit():
        try:
            token = tokens.revoke(deps.session(), actor=deps.require_actor(), token_id=token_id)
        except Conflict as exc:
            flash(exc.message, "error")
        else:
            flash(f"Token “{token.name}” revoked: it no longer works.", "success")
    return redirect(url_for("settings.token_list"))


def _tokens_page(form: TokenForm, created: tokens.NewToken | None = None) -> str:
    now = utcnow()
    owned = tokens.owned_by(deps.session(), deps.require_actor())
    return render_template(
        "settings/tokens.html", form=form, created=created,
        tokens=[(token, tokens.is_live(token, now)) for token in owned], now=now,
    )  # fmt: skip
