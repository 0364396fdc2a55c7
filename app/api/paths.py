"""Onboarding paths over JSON: list, create, read, revise, review, assign, follow, figures."""

from __future__ import annotations

from flask import Response, url_for

from app import deps
from app.api import bp
from app.api import path_shapes as shapes
from app.api.spec import Answer, author, endpoint
from app.models import Path
from app.review.workflow import State
from app.services import paths


@bp.get("/paths")
@endpoint(shapes.PathList)
def list_paths() -> Answer:
    """Published paths, A to Z (for members also those in review, and their own drafts)."""
    listed = paths.listing(deps.session(), reader=deps.actor())
    return shapes.PathList(items=[shapes.to_summary(item) for item in listed])


@bp.post("/paths")
@endpoint(shapes.Path, status=201, errors=(422,), auth=True)
def create_path(json: shapes.PathFields) -> Answer:
    """Make a path: a draft until another member approves it (submit: true asks at once)."""
    version = paths.create(
        deps.session(), author=author(), title=json.title, description=json.description,
        pages=json.pages, submit=json.submit,
    )  # fmt: skip
    location = url_for("api.get_path", path_id=version.path_id)
    return _path(version.path), 201, {"Location": location}


@bp.get("/paths/<int:path_id>")
@endpoint(shapes.Path, errors=(404,))
def get_path(path_id: int) -> Answer:
    """A path: the version readers follow, and a newer one waiting for review."""
    return _path(paths.get(deps.session(), path_id, reader=deps.actor()))


@bp.put("/paths/<int:path_id>")
@endpoint(shapes.Path, errors=(404, 422), auth=True)
def update_path(path_id: int, json: shapes.PathFields) -> Answer:
    """Propose a new version of a path; readers follow the published one until it is reviewed."""
    version = paths.revise(
        deps.session(), author=author(), path_id=path_id, title=json.title,
        description=json.description, pages=json.pages, submit=json.submit,
    )  # fmt: skip
    return _path(version.path)


@bp.post("/paths/<int:path_id>/submit")
@endpoint(shapes.Path, errors=(403, 404, 409), auth=True)
def submit_path(path_id: int) -> Answer:
    """Send the newest version of a path for review (its author)."""
    version = paths.submit(deps.session(), actor=author(), path_id=path_id)
    return _path(version.path)


@bp.post("/paths/<int:path_id>/reviews")
@endpoint(shapes.Path, errors=(403, 404, 409, 422), auth=True)
def review_path(path_id: int, json: shapes.PathReviewVerdict) -> Answer:
    """Review the newest version; enough independent approvals publish it."""
    version = paths.review(
        deps.session(), actor=author(), path_id=path_id, verdict=json.verdict,
        comment=json.comment, rules=deps.approval_rules(),
    )  # fmt: skip
    return _path(version.path)


@bp.get("/paths/<int:path_id>/progress")
@endpoint(shapes.Progress, errors=(404,), auth=True)
def get_progress(path_id: int) -> Answer:
    """Your progress: each step done or not, and whether its page changed since you read it."""
    return shapes.to_progress(paths.progress_of(deps.session(), reader=author(), path_id=path_id))


@bp.post("/paths/<int:path_id>/progress")
@endpoint(shapes.Progress, errors=(404, 409), auth=True)
def mark_step(path_id: int, json: shapes.StepDone) -> Answer:
    """Mark a step done (read at the page's current version) or not done."""
    return _marked(path_id, json)


@bp.put("/paths/<int:path_id>/progress")
@endpoint(shapes.Progress, errors=(404, 409), auth=True)
def put_step(path_id: int, json: shapes.StepDone) -> Answer:
    """Mark a step done or not done (the same as POST)."""
    return _marked(path_id, json)


@bp.get("/paths/<int:path_id>/assignments")
@endpoint(shapes.AssignmentList, errors=(403, 404), auth=True)
def list_assignments(path_id: int) -> Answer:
    """Whom the path is given to (those who may assign it)."""
    found = paths.assignments_of(deps.session(), actor=author(), path_id=path_id)
    return shapes.AssignmentList(items=[shapes.to_assignment(item) for item in found])


@bp.post("/paths/<int:path_id>/assignments")
@endpoint(shapes.Assignment, status=201, errors=(403, 404, 409, 422), auth=True)
def assign_path(path_id: int, json: shapes.NewAssignment) -> Answer:
    """Give a published path to a person or a department; each person is told in the inbox."""
    assignment = paths.assign(
        deps.session(), actor=author(), path_id=path_id, username=json.username,
        department=json.department,
    )  # fmt: skip
    return shapes.to_assignment(assignment), 201


@bp.delete("/paths/<int:path_id>/assignments/<int:assignment_id>")
@endpoint(None, status=204, errors=(403, 404), auth=True)
def unassign_path(path_id: int, assignment_id: int) -> Answer:
    """Take an assignment back; people keep their progress."""
    paths.unassign(deps.session(), actor=author(), path_id=path_id, assignment_id=assignment_id)
    return Response(status=204)


@bp.get("/paths/<int:path_id>/stats")
@endpoint(shapes.PathStats, errors=(403, 404), auth=True)
def path_stats(path_id: int) -> Answer:
    """How many follow, started and finished the path, and where they stop (its owners)."""
    return shapes.to_stats(paths.stats(deps.session(), actor=author(), path_id=path_id))


def _marked(path_id: int, json: shapes.StepDone) -> Answer:
    progress = paths.mark_done(
        deps.session(), actor=author(), path_id=path_id, page=json.page, done=json.done
    )
    return shapes.to_progress(progress)


def _path(path: Path) -> shapes.Path:
    session, reader = deps.session(), deps.actor()
    shown = paths.shown_version(session, path, reader)
    latest = paths.latest_version(session, path)
    pending = None
    if latest is not None and latest.id != shown.id and latest.state != State.WITHDRAWN.value:
        pending = (latest, paths.steps(session, latest, reader=reader))
    return shapes.to_path(
        paths.Listed(path, shown), paths.steps(session, shown, reader=reader), pending
    )
