"""Onboarding paths: the list, My paths, a path with its steps, its review, assignment, stats."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from markupsafe import Markup

from app import deps
from app.exceptions import Conflict, NotFound, PermissionDenied, ValidationError
from app.models import Page, User
from app.review import policy
from app.review.workflow import State
from app.services import paths, users
from app.views.forms import ActionForm

bp = Blueprint("paths", __name__)
_T = TypeVar("_T")


@bp.get("/paths")
def index() -> ResponseReturnValue:
    session, user = deps.session(), deps.actor()
    return render_template(
        "paths/index.html",
        listed=paths.listing(session, reader=user),
        awaiting=paths.awaiting_review(session, reader=user) if user else [],
    )


@bp.get("/paths/mine")
@login_required
def mine() -> ResponseReturnValue:
    return render_template(
        "paths/mine.html", following=paths.mine(deps.session(), deps.require_actor())
    )


@bp.get("/paths/new")
@login_required
def new() -> ResponseReturnValue:
    return render_template("paths/edit.html", path=None, form=_fields_from(request.args), errors={})


@bp.post("/paths/new")
@login_required
def create() -> ResponseReturnValue:
    fields = _fields_from(request.form)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("paths.new"))
    try:
        version = paths.create(
            deps.session(), author=deps.require_actor(), title=fields["title"],
            description=fields["description"], pages=fields["pages"].splitlines(),
            submit=request.form.get("submit") == "1",
        )  # fmt: skip
    except ValidationError as exc:
        return render_template("paths/edit.html", path=None, form=fields, errors=exc.fields), 400
    flash(_saved_message(version.state), "success")
    return redirect(url_for("paths.view", path_id=version.path_id))


@bp.get("/paths/<int:path_id>")
def view(path_id: int) -> ResponseReturnValue:
    session, user = deps.session(), deps.actor()
    path = paths.get(session, path_id, reader=user)
    latest = paths.latest_version(session, path)
    assert latest is not None
    owners = paths.owner_ids(session, path)
    pending = latest if latest.state != State.PUBLISHED.value else None
    return render_template(
        "paths/view.html",
        path=path,
        progress=paths.progress(session, path, reader=user),
        pending=pending,
        pending_steps=paths.steps(session, pending, reader=user) if pending else [],
        reviews=paths.reviews(session, pending) if pending else [],
        # every member belongs to their department's space, so may assign within it
        can_assign=user is not None,
        can_manage_assignments=user is not None and policy.can_assign_path(user, path, authors=owners),
        can_see_stats=user is not None and policy.can_own_path(user, path, authors=owners),
        can_review=user is not None and pending is not None and policy.can_approve_path(user, pending),
        can_submit=user is not None and pending is not None
        and pending.state == State.DRAFT.value and policy.can_manage_path_version(user, pending),
        assignments=paths.assignments(session, path)
        if user is not None and policy.can_assign_path(user, path, authors=owners)
        else [],
        departments=users.list_departments(session) if user else [],
    )  # fmt: skip


@bp.get("/paths/<int:path_id>/edit")
@login_required
def edit(path_id: int) -> ResponseReturnValue:
    session = deps.session()
    path = paths.get(session, path_id, reader=deps.actor())
    latest = paths.latest_version(session, path)
    assert latest is not None
    shown = paths.steps(session, latest, reader=deps.actor())
    form = {
        "title": latest.title,
        "description": latest.description,
        "pages": "\n".join(step.page.slug for step in shown),
    }
    return render_template("paths/edit.html", path=path, form=form, errors={})


@bp.post("/paths/<int:path_id>/edit")
@login_required
def save(path_id: int) -> ResponseReturnValue:
    session = deps.session()
    path = paths.get(session, path_id, reader=deps.actor())
    fields = _fields_from(request.form)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("paths.edit", path_id=path.id))
    try:
        version = paths.revise(
            session, author=deps.require_actor(), path_id=path.id, title=fields["title"],
            description=fields["description"], pages=fields["pages"].splitlines(),
            submit=request.form.get("submit") == "1",
        )  # fmt: skip
    except ValidationError as exc:
        return render_template("paths/edit.html", path=path, form=fields, errors=exc.fields), 400
    flash(_saved_message(version.state), "success")
    return redirect(url_for("paths.view", path_id=path.id))


@bp.post("/paths/<int:path_id>/submit")
@login_required
def submit(path_id: int) -> ResponseReturnValue:
    return _change(
        path_id,
        lambda actor: paths.submit(deps.session(), actor=actor, path_id=path_id),
        lambda _: "Sent for review: another member's approval publishes it.",
    )


@bp.post("/paths/<int:path_id>/reviews")
@login_required
def add_review(path_id: int) -> ResponseReturnValue:
    return _change(
        path_id,
        lambda actor: paths.review(
            deps.session(),
            actor=actor,
            path_id=path_id,
            verdict=request.form.get("verdict", ""),
            comment=request.form.get("comment", ""),
            rules=deps.approval_rules(),
        ),  # fmt: skip
        lambda version: (
            "Published: people can follow this version now."
            if version.state == State.PUBLISHED.value
            else "Your review is recorded."
        ),
    )


@bp.post("/paths/<int:path_id>/assignments")
@login_required
def assign(path_id: int) -> ResponseReturnValue:
    return _change(
        path_id,
        lambda actor: paths.assign(
            deps.session(),
            actor=actor,
            path_id=path_id,
            username=request.form.get("username", "").strip() or None,
            department=request.form.get("department", "").strip() or None,
        ),  # fmt: skip
        lambda item: (
            f"Assigned to {item.user.name if item.user else item.department.name if item.department else ''}."
        ),  # fmt: skip
    )


@bp.post("/paths/<int:path_id>/assignments/<int:assignment_id>/delete")
@login_required
def unassign(path_id: int, assignment_id: int) -> ResponseReturnValue:
    return _change(
        path_id,
        lambda actor: paths.unassign(
            deps.session(), actor=actor, path_id=path_id, assignment_id=assignment_id
        ),
        lambda _: "Assignment removed; people keep the progress they made.",
    )


@bp.post("/paths/<int:path_id>/steps/<int:page_id>/done")
@login_required
def done(path_id: int, page_id: int) -> ResponseReturnValue:
    """Mark a step read (or not, with ``done=0``), then go on where the reader asked."""
    session = deps.session()
    path = paths.get(session, path_id, reader=deps.actor())
    if not ActionForm().validate_on_submit():
        return redirect(url_for("paths.view", path_id=path.id))
    progress = paths.mark_done(
        session, actor=deps.require_actor(), path_id=path.id, page=page_id,
        done=request.form.get("done", "1") != "0",
    )  # fmt: skip
    if progress.finished and request.form.get("done", "1") != "0":
        flash(f"You finished “{path.title}”.", "success")
    following = progress.next_step
    if request.form.get("then") == "next" and following is not None:
        return redirect(url_for("pages.view", slug=following.page.slug, path=path.id))
    if request.form.get("then") == "page":
        return redirect(url_for("pages.view", slug=_slug(progress, page_id), path=path.id))
    return redirect(url_for("paths.view", path_id=path.id))


@bp.get("/paths/<int:path_id>/stats")
@login_required
def stats(path_id: int) -> ResponseReturnValue:
    figures = paths.stats(deps.session(), actor=deps.require_actor(), path_id=path_id)
    return render_template("paths/stats.html", stats=figures, path=figures.path)


def path_bar(page: Page) -> Markup:
    """The bar a page view opened from a path shows (``?path=ID``): per reader, so it is never
    part of a cached page."""
    user = deps.actor()
    path_id = request.args.get("path", type=int)
    if user is None or path_id is None:
        return Markup("")
    found = paths.bar(deps.session(), reader=user, path_id=path_id, page=page)
    if found is None:
        return Markup("")
    return Markup(render_template("paths/_bar.html", bar=found))


def _slug(progress: paths.Progress, page_id: int) -> str:
    step = progress.step_of(page_id)
    if step is None:
        raise NotFound("That page is not a step of this path.")
    return step.page.slug


def _fields_from(values: Mapping[str, str]) -> dict[str, str]:
    return {key: values.get(key, "") for key in ("title", "description", "pages")}


def _saved_message(state: str) -> str:
    if state == State.IN_REVIEW.value:
        return "Saved and sent for review: another member's approval publishes it."
    return "Draft saved. Send it for review when it is ready."


def _change(
    path_id: int, change: Callable[[User], _T], done: Callable[[_T], str]
) -> ResponseReturnValue:
    """Run one change to a path and say how it went on the path's page."""
    if not ActionForm().validate_on_submit():
        return redirect(url_for("paths.view", path_id=path_id))
    try:
        result = change(deps.require_actor())
    except ValidationError as exc:
        flash(" ".join(exc.fields.values()) or exc.message, "error")
    except (Conflict, PermissionDenied) as exc:
        flash(exc.message, "error")
    else:
        flash(done(result), "success")
    return redirect(url_for("paths.view", path_id=path_id))
