"""Search over JSON: results with snippets and facets, title suggestions, knowledge gaps."""

from __future__ import annotations

from app import deps, observability
from app.api import bp, inputs
from app.api import serializers as out
from app.api.spec import Answer, endpoint
from app.services import search


@bp.get("/search")
@endpoint(out.SearchResults, errors=(503,))
def search_pages(query: inputs.SearchArgs) -> Answer:
    """Full-text search of published pages (and, with pending=1, your open proposals)."""
    wanted = query.to_query(deps.actor())
    with observability.timed_search():
        outcome = search.run(
            deps.session(), deps.search_backend(), wanted, user=deps.actor(), everything=query.all
        )
    return out.to_search_results(outcome, wanted.page, wanted.per_page)


@bp.get("/search/suggest")
@endpoint(out.TitleSuggestions, errors=(503,))
def suggest(query: inputs.SuggestArgs) -> Answer:
    """Page titles for the as-you-type search box."""
    titles = deps.search_backend().suggest(query.q[:100], limit=query.limit)
    return out.TitleSuggestions(
        suggestions=[out.TitleSuggestion(title=title, slug=slug) for title, slug in titles]
    )


@bp.get("/gaps")
@endpoint(out.GapList)
def gaps(query: inputs.GapArgs) -> Answer:
    """Knowledge gaps: unanswered questions, most asked first."""
    listing = search.gaps(
        deps.session(), answered=query.answered, page=query.page, per_page=query.per_page
    )
    return out.to_gap_list(listing)
