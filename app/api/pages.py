"""Pages, revisions, diffs and previews over JSON."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask.typing import ResponseReturnValue

from app import deps, web
from app.api import bp, inputs
from app.api import serializers as out
from app.api.openapi import document
from app.exceptions import EditConflict, ValidationError
from app.models import Revision, User
from app.services import pages, proposals, review, users


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(document())


@bp.get("/pages")
def list_pages() -> ResponseReturnValue:
    session = deps.session()
    listing = pages.list_pages(
        session,
        tag=request.args.get("tag") or None,
        department=request.args.get("department") or None,
        page=request.args.get("page", 1, type=int),
        per_page=request.args.get("per_page", 20, type=int),
    )
    items = [out.page_json(session, page, full=False) for page in listing.items]
    return jsonify(out.listing_json(listing, items))


@bp.post("/pages")
def create_page() -> ResponseReturnValue:
    data = inputs.json_body()
    session = deps.session()
    author = inputs.author()
    revision = proposals.create_page(
        session,
        author=author,
        title=inputs.text(data, "title", required=True) or "",
        body=inputs.text(data, "body", required=True) or "",
        tags=inputs.names(data, "tags"),
        department=inputs.text(data, "department"),
        summary=inputs.text(data, "summary") or "",
    )
    _submit_shortcut(data, author, revision)
    response = jsonify(out.page_json(session, revision.page))
    response.headers["Location"] = url_for("api.get_page", slug=revision.page.slug)
    return response, 201


@bp.get("/pages/<slug>")
def get_page(slug: str) -> ResponseReturnValue:
    session = deps.session()
    return jsonify(out.page_json(session, pages.lookup(session, slug)))


@bp.post("/pages/<slug>/revisions")
def create_revision(slug: str) -> ResponseReturnValue:
    data = inputs.json_body()
    session = deps.session()
    base = data.get("base_revision_id")
    if not isinstance(base, int) or isinstance(base, bool):
        raise ValidationError(
            "'base_revision_id' is required: the id of the revision your edit starts from.",
            {"base_revision_id": "Must be the integer id of the latest revision."},
        )
    try:
        revision = proposals.save_revision(
            session,
            author=inputs.author(),
            slug=slug,
            body=inputs.text(data, "body", required=True) or "",
            base_revision_id=base,
            title=inputs.text(data, "title"),
            tags=inputs.names(data, "tags") if "tags" in data else None,
            department=inputs.text(data, "department"),
            summary=inputs.text(data, "summary") or "",
        )
    except EditConflict as exc:
        response, status = web.error_response(409, exc.code, exc.message)
        body = response.get_json()
        body["current_revision"] = out.revision_json(session, exc.current)
        return jsonify(body), status
    _submit_shortcut(data, inputs.author(), revision)
    response = jsonify(out.revision_json(session, revision))
    response.headers["Location"] = url_for("api.get_revision", revision_id=revision.id)
    return response, 201


def _submit_shortcut(data: dict[str, Any], author: User, revision: Revision) -> None:
    """``{"submit": true, "reviewers": [...], "departments": [...]}`` submits the new draft."""
    if data.get("submit") is not True:
        return
    review.submit(
        deps.session(), actor=author, revision_id=revision.id, rules=deps.approval_rules(),
        reviewers=inputs.names(data, "reviewers"), departments=inputs.names(data, "departments"),
    )  # fmt: skip
    deps.session().refresh(revision)


@bp.get("/pages/<slug>/revisions")
def list_revisions(slug: str) -> ResponseReturnValue:
    session = deps.session()
    page = pages.lookup(session, slug)
    revisions = pages.history(session, page)
    return jsonify(
        {"items": [out.revision_json(session, rev, with_body=False) for rev in revisions],
         "total": len(revisions)}
    )  # fmt: skip


@bp.get("/revisions/<int:revision_id>")
def get_revision(revision_id: int) -> ResponseReturnValue:
    session = deps.session()
    return jsonify(out.revision_json(session, pages.get_revision(session, revision_id)))


@bp.get("/pages/<slug>/diff")
def diff(slug: str) -> ResponseReturnValue:
    session = deps.session()
    page = pages.lookup(session, slug)
    old, new, changes = pages.compare(
        session, page, request.args.get("from", type=int), request.args.get("to", type=int)
    )
    return jsonify(out.diff_json(old, new, changes))


@bp.post("/pages/<slug>/archive")
def archive(slug: str) -> ResponseReturnValue:
    session = deps.session()
    return jsonify(out.page_json(session, pages.archive(session, actor=inputs.author(), slug=slug)))


@bp.post("/pages/<slug>/restore")
def restore(slug: str) -> ResponseReturnValue:
    session = deps.session()
    return jsonify(out.page_json(session, pages.restore(session, actor=inputs.author(), slug=slug)))


@bp.post("/render")
def render() -> ResponseReturnValue:
    data = inputs.json_body()
    markdown = inputs.text(data, "markdown", required=True) or ""
    return jsonify({"html": str(pages.preview(deps.session(), markdown))})


@bp.get("/departments")
def departments() -> ResponseReturnValue:
    return jsonify(
        {"items": [{"name": dept.name, "description": dept.description, "pages": count}
                   for dept, count in pages.department_counts(deps.session())]}
    )  # fmt: skip


@bp.get("/me")
def me() -> ResponseReturnValue:
    user = inputs.author()
    return jsonify({**out.user_json(user), "email": user.email, "is_admin": user.is_admin})


@bp.get("/users/<username>")
def user(username: str) -> ResponseReturnValue:
    return jsonify(out.user_json(users.get_user(deps.session(), username)))
