"""Synonym sets over JSON (administrators): every search uses them at once."""

from __future__ import annotations

from flask import Response

from app import deps
from app.api import bp, inputs
from app.api import serializers as out
from app.api.spec import Answer, author, endpoint
from app.services import synonyms


@bp.get("/synonyms")
@endpoint(out.SynonymList, errors=(403,), auth=True)
def list_synonyms() -> Answer:
    """Every synonym set, oldest first (administrators)."""
    sets = synonyms.list_sets(deps.session(), reader=author())
    return out.SynonymList(items=[out.to_synonym_set(item) for item in sets])


@bp.post("/synonyms")
@endpoint(out.SynonymSet, status=201, errors=(403, 422), auth=True)
def add_synonyms(json: inputs.NewSynonymSet) -> Answer:
    """Add a synonym set (administrators); searches use it at once."""
    added = synonyms.add_set(deps.session(), actor=author(), terms=json.terms)
    return out.to_synonym_set(added), 201


@bp.delete("/synonyms/<int:set_id>")
@endpoint(None, status=204, errors=(403, 404), auth=True)
def delete_synonyms(set_id: int) -> Answer:
    """Delete a synonym set (administrators); searches stop using it at once."""
    synonyms.delete_set(deps.session(), actor=author(), set_id=set_id)
    return Response(status=204)
