"""Spaces, their page trees, direct moves and recent changes over JSON."""

from __future__ import annotations

from flask import url_for

from app import deps
from app.api import bp, inputs
from app.api import serializers as out
from app.api.spec import Answer, author, endpoint
from app.services import recent, spaces


@bp.get("/spaces")
@endpoint(out.SpaceList)
def list_spaces() -> Answer:
    """Every space: department spaces, then project spaces."""
    return out.SpaceList(
        items=[out.to_space_summary(space) for space in spaces.list_spaces(deps.session())]
    )


@bp.post("/spaces")
@endpoint(out.Space, status=201, errors=(403, 422), auth=True)
def create_space(json: inputs.NewSpace) -> Answer:
    """Create a project space (administrators; recorded in the audit log)."""
    session = deps.session()
    space = spaces.create_space(
        session, actor=author(), name=json.name, slug=json.slug, description=json.description,
        home_page=json.home_page, members=json.members, maintainers=json.maintainers,
        settings=spaces.SpaceSettings(
            review_interval_days=json.review_interval_days,
            verify_cross_department=json.verify_cross_department,
            feedback_threshold=json.feedback_threshold,
            required_approvals=json.required_approvals,
        ),
    )  # fmt: skip
    location = url_for("api.get_space", space=space.slug)
    return out.to_space(space, spaces.members(session, space)), 201, {"Location": location}


@bp.get("/spaces/<space>")
@endpoint(out.Space, errors=(404,))
def get_space(space: str) -> Answer:
    """A space with its settings and members."""
    session = deps.session()
    found = spaces.get_space(session, space)
    return out.to_space(found, spaces.members(session, found))


@bp.get("/spaces/<space>/tree")
@endpoint(out.SpaceTree, errors=(404,))
def space_tree(space: str) -> Answer:
    """The space's navigation tree: its published pages, nested under their parents."""
    session = deps.session()
    found = spaces.get_space(session, space)
    return out.to_tree(found, spaces.tree(session, found, reader=deps.actor()))


@bp.post("/pages/<slug>/move")
@endpoint(out.Page, errors=(403, 404, 422), auth=True)
def move_page(slug: str, json: inputs.Move) -> Answer:
    """Move a page at once (administrators; others propose a move in an edit)."""
    session = deps.session()
    page = spaces.move_page(
        session, actor=author(), slug=slug, space=json.space, parent=json.requested_parent(),
        position=json.position,
    )  # fmt: skip
    return out.to_page(session, page, reader=author())


@bp.get("/recent-changes")
@endpoint(out.RecentChanges, errors=(404,))
def recent_changes(query: inputs.RecentChangesArgs) -> Answer:
    """Published revisions, newest first (optionally of one space)."""
    session = deps.session()
    space = spaces.get_space(session, query.space) if query.space else None
    listing = recent.recent_changes(session, space=space, page=query.page, per_page=query.per_page)
    return out.to_recent_changes(listing)
