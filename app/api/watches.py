"""Watches over JSON: what the caller follows, and following or leaving a page, tag or space."""

from __future__ import annotations

from flask import Response

from app import deps
from app.api import bp, inputs
from app.api import serializers as out
from app.api.spec import Answer, author, endpoint
from app.services import watches


@bp.get("/watches")
@endpoint(out.WatchList, auth=True)
def list_watches() -> Answer:
    """Everything you watch: pages, then spaces, then tags."""
    watched = watches.watches_of(deps.session(), author())
    return out.WatchList(items=[out.to_watch(item) for item in watched])


@bp.post("/watches")
@endpoint(out.Watch, status=201, errors=(404, 422), auth=True)
def add_watch(json: inputs.NewWatch) -> Answer:
    """Watch a page, tag or space (again: the same watch); its publications and new proposals
    reach your inbox."""
    watched = watches.watch(deps.session(), user=author(), kind=json.kind, key=json.key)
    return out.to_watch(watched), 201


@bp.delete("/watches/<int:watch_id>")
@endpoint(None, status=204, errors=(404,), auth=True)
def delete_watch(watch_id: int) -> Answer:
    """Stop watching (404 for a watch that is not yours)."""
    watches.unwatch_id(deps.session(), user=author(), watch_id=watch_id)
    return Response(status=204)
