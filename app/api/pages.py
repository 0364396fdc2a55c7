"""Pages, revisions, diffs and previews over JSON."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask.typing import ResponseReturnValue

from app import deps
from app.api import bp, error_response
from app.api import serializers as out
from app.api.openapi import document
from app.exceptions import EditConflict, ValidationError
from app.models import User
from app.services import pages, users


def _json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise _BadRequest
    return data


class _BadRequest(Exception):
    """The request body is not a JSON object."""


@bp.errorhandler(_BadRequest)
def _bad_request(_exc: _BadRequest) -> ResponseReturnValue:
    return error_response(
        400, "bad_request", "Send a JSON object with Content-Type: application/json."
    )


def _author() -> User:
    user = deps.actor()
    if user is None:
        raise _Unauthenticated
    return user


class _Unauthenticated(Exception):
    """The endpoint needs a signed-in user or an API token."""


@bp.errorhandler(_Unauthenticated)
def _unauthenticated(_exc: _Unauthenticated) -> ResponseReturnValue:
    return error_response(401, "unauthorized", "Authenticate with 'Authorization: Bearer <token>'.")


def _text(data: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise ValidationError(f"{key!r} is required.", {key: "This field is required."})
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{key!r} must be a string.", {key: "Must be a string."})
    return value


def _tags(data: dict[str, Any]) -> list[str] | None:
    value = data.get("tags")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise ValidationError(
            "'tags' must be a list of strings.", {"tags": "Must be a list of strings."}
        )
    return value


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
    data = _json_body()
    session = deps.session()
    revision = pages.create_page(
        session,
        author=_author(),
        title=_text(data, "title", required=True) or "",
        body=_text(data, "body", required=True) or "",
        tags=_tags(data) or [],
        department=_text(data, "department"),
        summary=_text(data, "summary") or "",
    )
    response = jsonify(out.page_json(session, revision.page))
    response.headers["Location"] = url_for("api.get_page", slug=revision.page.slug)
    return response, 201


@bp.get("/pages/<slug>")
def get_page(slug: str) -> ResponseReturnValue:
    session = deps.session()
    return jsonify(out.page_json(session, pages.lookup(session, slug)))


@bp.post("/pages/<slug>/revisions")
def create_revision(slug: str) -> ResponseReturnValue:
    data = _json_body()
    session = deps.session()
    base = data.get("base_revision_id")
    if not isinstance(base, int) or isinstance(base, bool):
        raise ValidationError(
            "'base_revision_id' is required: the id of the revision your edit starts from.",
            {"base_revision_id": "Must be the integer id of the latest revision."},
        )
    try:
        revision = pages.save_revision(
            session,
            author=_author(),
            slug=slug,
            body=_text(data, "body", required=True) or "",
            base_revision_id=base,
            title=_text(data, "title"),
            tags=_tags(data),
            department=_text(data, "department"),
            summary=_text(data, "summary") or "",
        )
    except EditConflict as exc:
        response, status = error_response(409, exc.code, exc.message)
        body = response.get_json()
        body["current_revision"] = out.revision_json(session, exc.current)
        return jsonify(body), status
    response = jsonify(out.revision_json(session, revision))
    response.headers["Location"] = url_for("api.get_revision", revision_id=revision.id)
    return response, 201


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
    return jsonify(out.page_json(session, pages.archive(session, actor=_author(), slug=slug)))


@bp.post("/pages/<slug>/restore")
def restore(slug: str) -> ResponseReturnValue:
    session = deps.session()
    return jsonify(out.page_json(session, pages.restore(session, actor=_author(), slug=slug)))


@bp.post("/render")
def render() -> ResponseReturnValue:
    data = _json_body()
    markdown = _text(data, "markdown", required=True) or ""
    return jsonify({"html": str(pages.preview(deps.session(), markdown))})


@bp.get("/departments")
def departments() -> ResponseReturnValue:
    return jsonify(
        {"items": [{"name": dept.name, "description": dept.description, "pages": count}
                   for dept, count in pages.department_counts(deps.session())]}
    )  # fmt: skip


@bp.get("/me")
def me() -> ResponseReturnValue:
    user = _author()
    return jsonify({**out.user_json(user), "email": user.email, "is_admin": user.is_admin})


@bp.get("/users/<username>")
def user(username: str) -> ResponseReturnValue:
    return jsonify(out.user_json(users.get_user(deps.session(), username)))
