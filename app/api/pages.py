"""Pages, revisions, diffs and previews over JSON."""

from __future__ import annotations

from collections.abc import Callable

from flask import jsonify, url_for

from app import deps
from app.api import bp, inputs
from app.api import serializers as out
from app.api.spec import Answer, author, document, endpoint
from app.extensions import limiter
from app.models import Revision, User
from app.services import pages, proposals, review, users
from app.web import configured_limit, limit_key


@bp.get("/openapi.json")
@endpoint(out.OpenAPIDocument)
def openapi() -> Answer:
    """This document."""
    return jsonify(document())


@bp.get("/pages")
@endpoint(out.PageList)
def list_pages(query: inputs.PageListArgs) -> Answer:
    """List live pages, most recently updated first."""
    listing = pages.list_pages(
        deps.session(), tag=query.tag or None, department=query.department or None,
        page=query.page, per_page=query.per_page,
    )  # fmt: skip
    return out.to_page_list(listing)


@bp.post("/pages")
@endpoint(out.Page, status=201, errors=(422,), auth=True)
def create_page(json: inputs.NewPage) -> Answer:
    """Create a page: a draft proposal until reviewed (submit: true asks reviewers at once)."""
    session = deps.session()
    revision = proposals.create_page(
        session, author=author(), title=json.title, body=json.body, tags=json.tags,
        department=json.department, summary=json.summary, then=_submit_shortcut(json, author()),
        space=json.space or None, parent=json.parent or None,
    )  # fmt: skip
    location = url_for("api.get_page", slug=revision.page.slug)
    return out.to_page(session, revision.page, reader=author()), 201, {"Location": location}


@bp.get("/pages/<slug>")
@endpoint(out.Page, errors=(404,))
def get_page(slug: str) -> Answer:
    """A page with its published and latest revisions."""
    session = deps.session()
    return out.to_page(
        session, pages.lookup(session, slug, reader=deps.actor()), reader=deps.actor()
    )


@bp.post("/pages/<slug>/revisions")
@endpoint(out.Revision, status=201, errors=(404, 409, 422), auth=True)
def create_revision(slug: str, json: inputs.NewRevision) -> Answer:
    """Save an edit; 409 with current_revision when base_revision_id is not the latest."""
    session = deps.session()
    revision = proposals.save_revision(
        session, author=author(), slug=slug, body=json.body,
        base_revision_id=json.base_revision_id, title=json.title, tags=json.tags,
        department=json.department, summary=json.summary, then=_submit_shortcut(json, author()),
        space=json.space or None, parent=json.requested_parent(),
    )  # fmt: skip
    location = url_for("api.get_revision", revision_id=revision.id)
    return out.to_revision(session, revision), 201, {"Location": location}


def _submit_shortcut(
    json: inputs.NewPage | inputs.NewRevision, actor: User
) -> Callable[[Revision], None] | None:
    """``{"submit": true, "reviewers": [...], "departments": [...]}`` submits the new draft, in
    the transaction that saves it."""
    if not json.submit:
        return None
    return review.submission(
        deps.session(), actor=actor, rules=deps.approval_rules(),
        reviewers=json.reviewers, departments=json.departments,
    )  # fmt: skip


@bp.get("/pages/<slug>/revisions")
@endpoint(out.RevisionList, errors=(404,))
def list_revisions(slug: str) -> Answer:
    """Every revision of a page, newest first."""
    session = deps.session()
    revisions = pages.history(
        session, pages.lookup(session, slug, reader=deps.actor()), reader=deps.actor()
    )
    items = [out.to_revision_summary(revision) for revision in revisions]
    return out.RevisionList(items=items, total=len(items))


@bp.get("/revisions/<int:revision_id>")
@endpoint(out.Revision, errors=(404,))
def get_revision(revision_id: int) -> Answer:
    """One revision."""
    session = deps.session()
    return out.to_revision(session, pages.get_revision(session, revision_id, reader=deps.actor()))


@bp.get("/pages/<slug>/diff")
@endpoint(out.PageDiff, errors=(404,))
def diff(slug: str, query: inputs.DiffArgs) -> Answer:
    """Line diff between two revisions (default: the latest against its parent)."""
    session = deps.session()
    reader = deps.actor()
    old, new, changes = pages.compare(
        session, pages.lookup(session, slug, reader=reader), query.from_, query.to, reader=reader
    )
    return out.to_diff(old, new, changes)


@bp.post("/pages/<slug>/archive")
@endpoint(out.Page, errors=(403, 404, 409), auth=True)
def archive(slug: str) -> Answer:
    """Archive a page (its author or an administrator)."""
    session = deps.session()
    return out.to_page(session, pages.archive(session, actor=author(), slug=slug), reader=author())


@bp.post("/pages/<slug>/restore")
@endpoint(out.Page, errors=(403, 404, 409), auth=True)
def restore(slug: str) -> Answer:
    """Restore an archived page (its author or an administrator)."""
    session = deps.session()
    return out.to_page(session, pages.restore(session, actor=author(), slug=slug), reader=author())


@bp.post("/render")
@limiter.limit(configured_limit("RENDER_RATE_LIMIT"), key_func=limit_key)
@endpoint(out.Rendered, errors=(422,), auth=True)
def render(json: inputs.Render) -> Answer:
    """Render Markdown exactly as a page view would show it (for signed-in writers)."""
    html = pages.preview(deps.session(), json.markdown, image_origins=deps.image_origins())
    return out.Rendered(html=str(html))


@bp.get("/departments")
@endpoint(out.DepartmentList)
def departments() -> Answer:
    """Departments with their page counts."""
    return out.DepartmentList(
        items=[out.Department(name=dept.name, description=dept.description, pages=count)
               for dept, count in pages.department_counts(deps.session())]
    )  # fmt: skip


@bp.get("/me")
@endpoint(out.Me, auth=True)
def me() -> Answer:
    """The authenticated user."""
    return out.to_me(author())


@bp.get("/users/<username>")
@endpoint(out.User, errors=(404,))
def user(username: str) -> Answer:
    """A user."""
    return out.to_user(users.get_user(deps.session(), username))
