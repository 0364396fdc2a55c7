"""Spaces, their page trees, moving pages, and recent changes (with an Atom feed)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app import deps, web
from app.exceptions import ValidationError
from app.review import policy
from app.services import pages, spaces
from app.services import recent as recent_service
from app.slugs import slugify
from app.views.forms import ActionForm, MemberForm, MoveForm, SpaceForm

bp = Blueprint("spaces", __name__)

#: Entries in the Atom feed.
FEED_ENTRIES = 50


@bp.get("/spaces")
def index() -> ResponseReturnValue:
    session = deps.session()
    return render_template(
        "spaces/index.html",
        spaces=spaces.list_spaces(session),
        counts=spaces.page_counts(session),
    )


@bp.get("/spaces/<space>")
def view(space: str) -> ResponseReturnValue:
    session = deps.session()
    user = deps.actor()
    found = spaces.get_space(session, space)
    home = found.home_page
    home_html = None
    if home is not None and home.published_revision is not None and policy.can_view(user, home):
        home_html = pages.display_html(
            session, home.published_revision.html, image_origins=deps.image_origins()
        )
    return render_template(
        "spaces/view.html",
        space=found,
        home=home if home_html is not None else None,
        home_html=home_html,
        tree=spaces.tree(session, found, reader=user),
        members=spaces.members(session, found),
        recent=recent_service.recent_changes(session, space=found, per_page=10).items,
        can_manage=user is not None and policy.can_manage_space(user, found),
        member_form=MemberForm(),
    )


@bp.post("/spaces/<space>/members")
@login_required
def add_member(space: str) -> ResponseReturnValue:
    form = MemberForm()
    if form.validate_on_submit():
        try:
            membership = spaces.add_member(
                deps.session(), actor=deps.require_actor(), slug=space,
                username=form.username.data, role=form.role.data,
            )  # fmt: skip
        except ValidationError as exc:
            flash(" ".join(exc.fields.values()) or exc.message, "error")
        else:
            flash(f"{membership.user.name} is a {membership.role} of this space.", "success")
    return redirect(url_for("spaces.view", space=space))


@bp.post("/spaces/<space>/members/<username>/remove")
@login_required
def remove_member(space: str, username: str) -> ResponseReturnValue:
    if ActionForm().validate_on_submit():
        spaces.remove_member(
            deps.session(), actor=deps.require_actor(), slug=space, username=username
        )
        flash(f"{username} is no longer a named member.", "info")
    return redirect(url_for("spaces.view", space=space))


@bp.get("/admin/spaces/new")
@login_required
def new() -> ResponseReturnValue:
    policy.require_create_space(deps.require_actor())
    return render_template("spaces/new.html", form=SpaceForm())


@bp.post("/admin/spaces/new")
@login_required
def create() -> ResponseReturnValue:
    policy.require_create_space(deps.require_actor())
    form = SpaceForm()
    if form.validate_on_submit():
        try:
            space = spaces.create_space(
                deps.session(), actor=deps.require_actor(), name=form.name.data,
                slug=form.slug.data or None, description=form.description.data or "",
                home_page=slugify(form.home_page.data or "") or None,
                members=_names(form.members.data), maintainers=_names(form.maintainers.data),
                settings=spaces.SpaceSettings(
                    review_interval_days=form.review_interval_days.data,
                    verify_cross_department=bool(form.verify_cross_department.data),
                    feedback_threshold=form.feedback_threshold.data,
                    required_approvals=form.required_approvals.data,
                ),
            )  # fmt: skip
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            flash(f"The space {space.name!r} is ready.", "success")
            return redirect(url_for("spaces.view", space=space.slug))
    return render_template("spaces/new.html", form=form), 400


@bp.get("/wiki/<slug>/move")
@login_required
def move_form(slug: str) -> ResponseReturnValue:
    user = deps.require_actor()
    page = pages.lookup(deps.session(), slug, reader=user)
    policy.require_move_directly(user)
    form = _move_form()
    form.space.data = page.space.slug
    form.parent.data = page.parent.title if page.parent else ""
    form.position.data = page.position
    return render_template("spaces/move.html", form=form, page=page)


@bp.post("/wiki/<slug>/move")
@login_required
def move(slug: str) -> ResponseReturnValue:
    user = deps.require_actor()
    session = deps.session()
    page = pages.lookup(session, slug, reader=user)
    policy.require_move_directly(user)
    form = _move_form()
    if form.validate_on_submit():
        try:
            spaces.move_page(
                session, actor=user, slug=page.slug, space=form.space.data or None,
                parent=slugify(form.parent.data or ""), position=form.position.data,
            )  # fmt: skip
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            flash(f"{page.title!r} is moved (recorded in the audit log).", "success")
            return redirect(url_for("pages.view", slug=page.slug))
    return render_template("spaces/move.html", form=form, page=page), 400


@bp.get("/recent")
def recent() -> ResponseReturnValue:
    session = deps.session()
    space_slug = request.args.get("space") or None
    space = spaces.get_space(session, space_slug) if space_slug else None
    listing = recent_service.recent_changes(
        session, space=space,
        page=request.args.get("page", 1, type=web.number),
        per_page=request.args.get("per_page", 50, type=web.number),
    )  # fmt: skip
    return render_template(
        "spaces/recent.html", listing=listing, space=space, spaces=spaces.list_spaces(session)
    )


@bp.get("/recent.atom")
def feed() -> ResponseReturnValue:
    session = deps.session()
    space_slug = request.args.get("space") or None
    space = spaces.get_space(session, space_slug) if space_slug else None
    listing = recent_service.recent_changes(session, space=space, per_page=FEED_ENTRIES)
    xml = render_template(
        "spaces/recent.atom.xml",
        entries=listing.items,
        space=space,
        self_url=deps.external_url("spaces.feed", space=space.slug if space else None),
        site_url=deps.external_url("spaces.recent", space=space.slug if space else None),
        external_url=deps.external_url,
        updated=listing.items[0].published_at if listing.items else recent_service.EPOCH,
    )
    return Response(xml, content_type="application/atom+xml; charset=utf-8")


def _move_form() -> MoveForm:
    form = MoveForm()
    form.space.choices = [(s.slug, s.name) for s in spaces.list_spaces(deps.session())]
    return form


def _names(text: str | None) -> list[str]:
    return [name.strip() for name in (text or "").split(",") if name.strip()]


def _show_errors(form: SpaceForm | MoveForm, exc: ValidationError) -> None:
    for name, message in exc.fields.items():
        target = getattr(form, name, None)
        if target is not None:
            target.errors = [*target.errors, message]
        else:
            flash(message, "error")
