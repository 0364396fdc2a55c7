"""Reading, writing and browsing pages."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from markupsafe import Markup

from app import cache, deps, render, web
from app.diffing import diff_texts
from app.exceptions import Conflict, EditConflict, NotFound, ValidationError
from app.models import Page, Revision
from app.review import policy
from app.services import (
    attachments,
    help,
    page_templates,
    pages,
    proposals,
    review,
    reviewers,
    spaces,
    users,
)
from app.slugs import slugify
from app.views import filters, verification
from app.views import help as help_views
from app.views import paths as path_views
from app.views.forms import ActionForm, PageForm, usernames

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> ResponseReturnValue:
    session = deps.session()
    return render_template(
        "pages/home.html",
        recent=pages.list_pages(session, per_page=8).items,
        departments=pages.department_counts(session),
        tags=pages.tag_counts(session, limit=30),
    )


@bp.get("/wiki")
def index() -> ResponseReturnValue:
    session = deps.session()
    tag = request.args.get("tag") or None
    department = request.args.get("department") or None
    space = request.args.get("space") or None
    owner = request.args.get("owner") or None
    sort = "title" if request.args.get("sort") == "title" else "updated"
    listing = pages.list_pages(
        session,
        tag=tag,
        department=department,
        page=request.args.get("page", 1, type=web.number),
        per_page=request.args.get("per_page", 20, type=web.number),
        space=space,
        owner=owner,
        sort=sort,
    )
    return render_template(
        "pages/index.html",
        listing=listing,
        tag=tag,
        department=department,
        space=space,
        owner=owner,
        sort=sort,
        spaces=spaces.list_spaces(session),
        space_counts=spaces.page_counts(session),
        departments=pages.department_counts(session),
        tags=pages.tag_counts(session, limit=30),
    )


@bp.get("/wiki/<slug>")
def view(slug: str) -> ResponseReturnValue:
    session = deps.session()
    user = deps.actor()
    version = pages.published_version(session, slug)  # None: no live, published page here
    # The one copy every anonymous reader gets: no one's header, token or messages are in it.
    shared = version if user is None and cache.serves_anonymously() else None
    if shared is not None and (cached := cache.anonymous_page(shared)) is not None:
        return cached
    try:
        page = pages.lookup(session, slug, reader=user)
    except NotFound:
        return render_template(
            "pages/missing.html", slug=slug, title=request.args.get("title")
        ), 404
    if page.slug != slug:
        return redirect(url_for("pages.view", slug=page.slug), 301)
    if page.published_revision is None:
        pending = proposals.open_for_page(session, page, reader=user) if user else []
        return render_template(
            "pages/missing.html", slug=slug, title=page.title, pending=pending
        ), 404
    if version is not None and version.revision_id != page.published_revision_id:
        version = shared = None  # published again a moment ago: show it, cache nothing
    parts = _shared_parts(page, page.published_revision, version)
    html = _render_revision(page, page.published_revision, parts)
    if shared is not None:
        # The page's freshness ("due in 3 days", the overdue banner) changes with time.
        expires_at = min(parts.expires_at, verification.freshness_expires(page))
        return cache.store_anonymous_page(shared, html, expires_at=expires_at)
    return html


@bp.get("/wiki/<slug>/revisions/<int:revision_id>")
def revision(slug: str, revision_id: int) -> ResponseReturnValue:
    session = deps.session()
    page = pages.lookup(session, slug, reader=deps.actor())
    if page.slug != slug:
        return redirect(url_for("pages.revision", slug=page.slug, revision_id=revision_id), 301)
    shown = pages.get_revision(session, revision_id, reader=deps.actor(), page=page)
    return _render_revision(page, shown, _shared_parts(page, shown, None))


@bp.post("/wiki/<slug>/revisions/<int:revision_id>/restore")
@login_required
def restore_revision(slug: str, revision_id: int) -> ResponseReturnValue:
    back = url_for("pages.revision", slug=slug, revision_id=revision_id)
    if not ActionForm().validate_on_submit():
        flash("The form expired. Try again.", "error")
        return redirect(back)
    try:
        restored = proposals.restore_revision(
            deps.session(), author=deps.require_actor(), slug=slug, revision_id=revision_id
        )
    except (ValidationError, Conflict) as exc:
        flash(str(exc), "error")
        return redirect(back)
    flash(
        "A proposal that restores this version is saved as a draft. Ask colleagues to review "
        "it so it can be published.",
        "success",
    )
    return redirect(url_for("review.detail", proposal_id=restored.proposal_id))


class _Parts(NamedTuple):
    """The parts of a page view that every reader of the revision sees alike."""

    header: Markup
    body: Markup
    #: When a relative time in them ("3 hours ago") will read differently (a Unix time).
    expires_at: float
    #: The sidebar tree of the page's space (breadcrumbs are in ``header``).
    navigation: Markup = Markup("")


def _shared_parts(page: Page, revision: Revision, version: pages.PublishedVersion | None) -> _Parts:
    """Render the reader-independent parts of ``revision``: from the cache for the published
    revision ``version`` names, else (a draft, an old revision) afresh."""
    if version is not None:
        stored = cache.get("parts", version)
        if stored is not None:
            header, body, expires_at, navigation = stored
            return _Parts(Markup(header), Markup(body), expires_at, Markup(navigation))
    session = deps.session()
    toc = list(revision.toc)
    # A body that opens with the page's own title as "# Title" would show it twice.
    titled = (
        bool(toc)
        and toc[0]["level"] == 1
        and toc[0]["text"].strip().lower() == revision.title.strip().lower()
    )
    approvals = review.published_approvals(session, revision)
    shown_times = [revision.published_at or revision.created_at, *(a.created_at for a in approvals)]
    # The tree and trail show published pages only, which every reader sees alike.
    ancestors = spaces.ancestors(session, page)
    parts = _Parts(
        header=Markup(
            render_template(
                "pages/_revision_header.html",
                revision=revision,
                approvals=approvals,
                page=page,
                space=page.space,
                ancestors=ancestors,
            )  # fmt: skip
        ),
        body=Markup(
            render_template(
                "pages/_revision_body.html",
                toc=toc[1:] if titled else toc,
                titled=titled,
                html=pages.display_html(session, revision.html, image_origins=deps.image_origins()),
                backlinks=pages.backlinks(session, page),
                contributors=pages.contributors(session, page),
                attachments=attachments.of_revision(revision),
            )
        ),
        expires_at=time.time() + min(filters.unchanged_for(t) for t in shown_times),
        navigation=Markup(
            render_template(
                "pages/_tree.html",
                page=page,
                space=page.space,
                tree=spaces.tree(session, page.space, reader=None),
                open_ids={above.id for above in ancestors},
            )  # fmt: skip
        ),
    )
    if version is not None:
        stored = (str(parts.header), str(parts.body), parts.expires_at, str(parts.navigation))
        cache.put("parts", version, stored, expires_at=parts.expires_at)
    return parts


def _render_revision(page: Page, revision: Revision, parts: _Parts) -> str:
    user = deps.actor()
    return render_template(
        "pages/view.html",
        page=page,
        revision=revision,
        parts=parts,
        can_archive=user is not None and policy.can_archive(user, page),
        path_bar=path_views.path_bar(page) if revision.id == page.published_revision_id else "",
        can_move=user is not None and policy.can_move_directly(user),
        pending=proposals.open_for_page(deps.session(), page, reader=user)
        if user is not None
        else [],
    )


@bp.get("/new")
@login_required
def new() -> ResponseReturnValue:
    form = _page_form()
    form.title.data = request.args.get("title", "")
    chosen = request.args.get("template", type=int)
    if chosen is not None:
        form.body.data = page_templates.get(deps.session(), chosen).body
    user = deps.require_actor()
    form.department.data = user.department.name
    form.space.data = request.args.get("space", "")
    form.parent.data = request.args.get("parent", "")
    return render_template(
        "pages/edit.html",
        form=form,
        page=None,
        answering=help_views.answering(),
        review_picker=_review_picker(None),
        templates=page_templates.list_templates(deps.session()),
        chosen_template=chosen,
    )


@bp.post("/new")
@login_required
def create() -> ResponseReturnValue:
    form = _page_form()
    answering = help_views.answering()  # "Write an answer": publication answers the question
    if form.validate_on_submit():
        try:
            revision = proposals.create_page(
                deps.session(),
                author=deps.require_actor(),
                then=_then_request_review(
                    help.answer_draft(deps.session(), answering.id) if answering else None
                ),
                title=form.title.data,
                body=form.body.data,
                tags=form.tags.data or "",
                department=form.department.data or None,
                summary=form.summary.data or "",
                space=form.space.data or None,
                parent=slugify(form.parent.data or "") or None,
            )
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            if _requests_review():
                flash(SENT_FOR_REVIEW, "success")
            else:
                flash("Draft saved. Ask colleagues to review it so it can be published.", "success")
            return redirect(url_for("review.detail", proposal_id=revision.proposal_id))
    return render_template(
        "pages/edit.html",
        form=form,
        page=None,
        answering=answering,
        review_picker=_review_picker(None),
    ), 400


@bp.get("/wiki/<slug>/edit")
@login_required
def edit(slug: str) -> ResponseReturnValue:
    session = deps.session()
    page = pages.lookup(session, slug, reader=deps.actor())
    if page.slug != slug:
        return redirect(url_for("pages.edit", slug=page.slug), 301)
    latest = proposals.current_revision(session, page, deps.actor())
    form = _page_form()
    form.title.data = latest.title
    form.body.data = latest.body
    form.tags.data = ", ".join(latest.tags)
    form.department.data = latest.department.name if latest.department else ""
    form.base_revision_id.data = str(latest.id)
    continuing = proposals.continued_by(latest)
    place = spaces.editing_place(page, latest, continuing.base_revision if continuing else None)
    form.space.data = place.space.slug
    form.parent.data = place.parent.title if place.parent else ""
    return render_template(
        "pages/edit.html",
        form=form,
        page=page,
        continuing=continuing,
        review_picker=_review_picker(latest),
    )


@bp.post("/wiki/<slug>/edit")
@login_required
def save(slug: str) -> ResponseReturnValue:
    session = deps.session()
    page = pages.lookup(session, slug, reader=deps.actor())
    form = _page_form()
    if form.validate_on_submit():
        base = form.base_revision_id.data
        try:
            revision = proposals.save_revision(
                session,
                author=deps.require_actor(),
                slug=page.slug,
                body=form.body.data,
                base_revision_id=int(base) if base and base.isdigit() else None,
                title=form.title.data,
                tags=form.tags.data or "",
                department=form.department.data or None,
                summary=form.summary.data or "",
                space=form.space.data or None,
                parent=slugify(form.parent.data or ""),
                then=_then_request_review(),
            )
        except ValidationError as exc:
            _show_errors(form, exc)
        except EditConflict as exc:
            return _conflict(form, page, exc)
        else:
            if _requests_review():
                flash(SENT_FOR_REVIEW, "success")
            else:
                flash(
                    "Your changes are saved in your proposal. Readers see them once they are reviewed.",
                    "success",
                )
            return redirect(url_for("review.detail", proposal_id=revision.proposal_id))
    base = form.base_revision_id.data
    start = session.get(Revision, int(base)) if base and base.isdigit() else None
    return render_template(
        "pages/edit.html", form=form, page=page, review_picker=_review_picker(start)
    ), 400


def _conflict(form: PageForm, page: Page, exc: EditConflict) -> ResponseReturnValue:
    """Keep the author's text and show what changed underneath it."""
    current: Revision = exc.current
    base: Revision | None = exc.base
    theirs = diff_texts(base.body if base else "", current.body)
    mine = diff_texts(current.body, form.body.data)
    form.base_revision_id.data = str(current.id)
    return render_template(
        "pages/edit.html",
        form=form,
        page=page,
        conflict={"base": base, "current": current, "theirs": theirs, "mine": mine},
        continuing=proposals.continued_by(current),
        review_picker=_review_picker(current),
    ), 409


@bp.get("/wiki/<slug>/history")
def history(slug: str) -> ResponseReturnValue:
    session = deps.session()
    page = pages.lookup(session, slug, reader=deps.actor())
    if page.slug != slug:
        return redirect(url_for("pages.history", slug=page.slug), 301)
    return render_template(
        "pages/history.html", page=page, revisions=pages.history(session, page, reader=deps.actor())
    )


@bp.get("/wiki/<slug>/diff")
def diff(slug: str) -> ResponseReturnValue:
    session = deps.session()
    page = pages.lookup(session, slug, reader=deps.actor())
    if page.slug != slug:
        # The query string is copied, not passed to url_for, whose _external/_scheme it must not set.
        query = request.query_string.decode()
        target = url_for("pages.diff", slug=page.slug)
        return redirect(f"{target}?{query}" if query else target, 301)
    old, new, changes = pages.compare(
        session,
        page,
        request.args.get("from", type=web.number),
        request.args.get("to", type=web.number),
        reader=deps.actor(),
    )
    return render_template(
        "pages/diff.html", page=page, old=old, new=new, diff=changes,
        revisions=pages.history(session, page, reader=deps.actor()),
    )  # fmt: skip


@bp.post("/wiki/<slug>/archive")
@login_required
def archive(slug: str) -> ResponseReturnValue:
    if ActionForm().validate_on_submit():
        page = pages.archive(deps.session(), actor=deps.require_actor(), slug=slug)
        flash(f"{page.title!r} is archived. Links to it now show as missing.", "info")
        return redirect(url_for("pages.view", slug=page.slug))
    return redirect(url_for("pages.view", slug=slug))


@bp.post("/wiki/<slug>/restore")
@login_required
def restore(slug: str) -> ResponseReturnValue:
    if ActionForm().validate_on_submit():
        page = pages.restore(deps.session(), actor=deps.require_actor(), slug=slug)
        flash(f"{page.title!r} is restored.", "success")
        return redirect(url_for("pages.view", slug=page.slug))
    return redirect(url_for("pages.view", slug=slug))


@bp.get("/assets/highlight.css")
def highlight_css() -> Response:
    response = Response(render.highlight_css(), mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


def _page_form() -> PageForm:
    session = deps.session()
    form = PageForm()
    form.department.choices = [(dept.name, dept.name) for dept in users.list_departments(session)]
    form.space.choices = [("", "The department's space")] + [
        (space.slug, space.name) for space in spaces.list_spaces(session)
    ]
    form.parent_titles = spaces.page_titles(session)
    return form


def _show_errors(form: PageForm, exc: ValidationError) -> None:
    for field, message in exc.fields.items():
        target = getattr(form, field, None)
        if target is not None:
            target.errors = [*target.errors, message]
        else:
            flash(message, "error")


# -- "Save and request review" in the editor ------------------------------------------------------

SENT_FOR_REVIEW = "Saved and sent for review. Reviewers have been notified."


class ReviewPicker(NamedTuple):
    """What the editor offers for asking reviewers: suggestions and the departments."""

    suggestions: list[reviewers.Suggestion]
    departments: list[str]


def _review_picker(start: Revision | None) -> ReviewPicker:
    """Reviewer suggestions for an edit starting at ``start`` (None: a new page)."""
    session = deps.session()
    return ReviewPicker(
        reviewers.suggest_for_editor(session, author=deps.require_actor(), start=start),
        [dept.name for dept in users.list_departments(session)],
    )


def _requests_review() -> bool:
    return request.form.get("then") == "review"


def _then_request_review(
    first: Callable[[Revision], object] | None = None,
) -> Callable[[Revision], object] | None:
    """With "Save and request review", the step that asks the picked reviewers in the same
    transaction as the save (when nobody can be asked, nothing is saved and the text is kept);
    after ``first``, the save's own step if it has one."""
    if not _requests_review():
        return first
    submit = review.submission(
        deps.session(), actor=deps.require_actor(), rules=deps.approval_rules(),
        reviewers=usernames(request.form.getlist("reviewers")),
        departments=request.form.getlist("departments"),
    )  # fmt: skip

    def steps(revision: Revision) -> None:
        if first is not None:
            first(revision)
        submit(revision)

    return steps
