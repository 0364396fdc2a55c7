"""Search over JSON: results with snippets and facets, title suggestions, knowledge gaps."""

from __future__ import annotations

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from app import deps, web
from app.api import bp
from app.api.serializers import iso
from app.search import SearchUnavailable
from app.services import search


@bp.get("/search")
def search_pages() -> ResponseReturnValue:
    query = web.search_query_from_args()
    try:
        outcome = search.run(deps.session(), deps.search_backend(), query, user=deps.actor())
    except SearchUnavailable as exc:
        return web.error_response(503, "search_unavailable", str(exc))
    results = outcome.results
    return jsonify(
        {
            "total": results.total,
            "page": query.page,
            "per_page": query.per_page,
            "results": [
                {
                    "slug": hit.slug,
                    "title": hit.title,
                    "snippet_html": str(hit.snippet),
                    "score": hit.score,
                    "department": hit.department,
                    "tags": list(hit.tags),
                    "updated_at": iso(hit.updated_at),
                    "reviewed_at": iso(hit.reviewed_at),
                    "pending_proposal_id": hit.proposal_id,
                }
                for hit in results.hits
            ],
            "suggestion": results.suggestion,
            "fuzzy": results.fuzzy,
            "facets": results.facets,
            "search_id": outcome.log_id,
        }
    )


@bp.get("/search/suggest")
def suggest() -> ResponseReturnValue:
    prefix = request.args.get("q", "")[:100]
    try:
        titles = deps.search_backend().suggest(
            prefix, limit=request.args.get("limit", 8, type=int) or 8
        )
    except SearchUnavailable as exc:
        return web.error_response(503, "search_unavailable", str(exc))
    return jsonify({"suggestions": [{"title": title, "slug": slug} for title, slug in titles]})


@bp.get("/gaps")
def gaps() -> ResponseReturnValue:
    listing = search.gaps(
        deps.session(), answered=request.args.get("answered") in ("1", "true"),
        page=request.args.get("page", 1, type=int), per_page=request.args.get("per_page", 20, type=int),
    )  # fmt: skip
    return jsonify(
        {
            "items": [
                {
                    "id": gap.id,
                    "question": gap.question,
                    "normalized": gap.normalized,
                    "asked": gap.asked,
                    "askers": gap.askers,
                    "first_asked_at": iso(gap.first_asked_at),
                    "last_asked_at": iso(gap.last_asked_at),
                    "answered_at": iso(gap.answered_at),
                    "answered_page": gap.answered_page.slug if gap.answered_page else None,
                }
                for gap in listing.items
            ],
            "page": listing.page,
            "total": listing.total,
        }
    )
