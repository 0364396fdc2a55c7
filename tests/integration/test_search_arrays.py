"""The array evaluator must match and score exactly like Whoosh's own matchers.

The index is built from generated pages in several segments, with deleted documents, so the
evaluator's per-segment offsets, deletions and global statistics are all exercised.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from whoosh import query

from app.search import SearchDocument, SearchQuery, whoosh_arrays
from app.search.query import parse
from app.search.whoosh_arrays import IndexArrays, SegmentCache, evaluate
from app.search.whoosh_backend import WhooshBackend
from app.search.whoosh_query import Translator
from bench.corpus import generate

QUESTIONS = [
    "invoice approval",
    "budget form -approval",
    "team OR approval",
    "how do I plan quarter close",
    '"invoice approval"',
    '"contract review" team',
    "deploy*",
    "ticket owner -handbook -policy",
    "calendar AND deadline",
    "checklist handbook -handbook",
    "zzzunknownword",
    "approvl~",
    "invoice OR (budget AND team)",
    "invoice OR (budget -team)",
    "title:[a TO c] budget",
]


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> WhooshBackend:
    engine = WhooshBackend(tmp_path_factory.mktemp("arrays") / "index")
    pages = list(generate(240, words=120))
    stamp = datetime(2026, 11, 1, tzinfo=UTC)
    documents = [
        SearchDocument(
            key=f"page:{number}", page_id=number, slug=f"p{number}", title=page.title,
            headings="", body=page.body, tags=tuple(page.tags),
            department=page.department, author="bench", reviewers=(), updated_at=stamp,
            reviewed_at=stamp,
        )
        for number, page in enumerate(pages)
    ]  # fmt: skip
    for start in range(0, len(documents), 80):  # three commits: three segments
        engine.index(documents[start : start + 80])
    engine.remove([f"page:{number}" for number in range(0, 240, 7)])  # deletions in each
    return engine


def translated(engine: WhooshBackend, text: str) -> query.Query:
    return Translator(engine._searcher().schema).translate(parse(text).root)


def whoosh_scores(engine: WhooshBackend, q: query.Query) -> dict[int, float]:
    searcher = engine._searcher()
    return {docnum: score for score, docnum in searcher.search(q, limit=None).top_n}


def array_scores(engine: WhooshBackend, q: query.Query) -> dict[int, float]:
    found = evaluate(IndexArrays(engine._searcher(), SegmentCache()), q)
    return {int(d): float(found.scores[d]) for d in np.flatnonzero(found.matched)}


def same(expected: dict[int, float], actual: dict[int, float]) -> None:
    assert set(actual) == set(expected)
    for docnum, score in expected.items():
        assert actual[docnum] == pytest.approx(score, rel=1e-9, abs=1e-12)


def test_the_index_has_segments_and_deletions(backend: WhooshBackend) -> None:
    searcher = backend._searcher()
    assert len(list(searcher.leaf_searchers())) >= 2
    assert searcher.doc_count() < searcher.doc_count_all()


@pytest.mark.parametrize("text", QUESTIONS)
def test_parsed_questions_score_like_whoosh(backend: WhooshBackend, text: str) -> None:
    q = translated(backend, text)
    same(whoosh_scores(backend, q), array_scores(backend, q))


def test_questions_are_scored_with_arrays_not_whoosh_matchers(
    backend: WhooshBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scoring like Whoosh proves little if it is Whoosh scoring: only ranges may walk it."""

    def walked(_self: object, q: query.Query) -> None:
        raise AssertionError(f"walked Whoosh's matcher for {q!r}")

    monkeypatch.setattr(whoosh_arrays._Evaluator, "_whoosh", walked)
    for text in QUESTIONS:
        if "[" not in text:
            array_scores(backend, translated(backend, text))


@pytest.mark.parametrize(
    "q",
    [
        query.Or([query.Term("body", "budget", boost=2.0), query.Term("title", "invoic")]),
        query.And([query.Term("body", "team"), query.Term("body", "budget")], boost=1.5),
        query.Require(query.Term("body", "budget"), query.Term("tags", "finance")),
        query.AndMaybe(query.Term("body", "budget"), query.Term("title", "budget")),
        query.AndNot(query.Term("body", "budget"), query.Term("body", "team")),
        query.Prefix("body", "dep"),
        query.FuzzyTerm("body", "budgte", maxdist=2),
        query.Phrase("body", ["invoic", "approv"]),
        query.Phrase("body", ["approv", "invoic", "approv"]),
        query.Phrase("body", ["invoic", "approv"], slop=3),
        query.Phrase("title", ["invoic", "approv"], boost=2.0),
        query.Phrase("body", ["approv", "approv"]),
        query.Not(query.Term("body", "team")),
        query.Term("department_key", "finance"),
        query.TermRange("title", "a", "c"),
        query.Or(
            [
                query.Term("body", "invoic"),
                query.And([query.Term("body", "budget"), query.Term("title", "team")]),
            ]
        ),
        query.Every(),
    ],
    ids=repr,
)
def test_query_types_score_like_whoosh(backend: WhooshBackend, q: query.Query) -> None:
    same(whoosh_scores(backend, q), array_scores(backend, q))


def test_exclusions_exclude_every_page_with_the_word(backend: WhooshBackend) -> None:
    # Whoosh's own AndNot matcher lets a few pages with "team" through after a prefix expansion.
    searcher = backend._searcher()
    wanted = set(searcher.docs_for_query(query.Prefix("body", "dep"))) - set(
        searcher.docs_for_query(query.Term("body", "team"))
    )
    q = query.AndNot(query.Prefix("body", "dep"), query.Term("body", "team"))
    assert set(array_scores(backend, q)) == wanted


def test_totals_and_facets_count_every_match(backend: WhooshBackend) -> None:
    searcher = backend._searcher()
    matched = set(searcher.docs_for_query(translated(backend, "team OR approval")))
    results = backend.search(SearchQuery(text="team OR approval"))
    assert results.total == len(matched) > 100
    departments: dict[str, int] = {}
    for docnum in matched:
        department = searcher.stored_fields(docnum)["department"]
        departments[department] = departments.get(department, 0) + 1
    assert results.facets["department"] == dict(
        sorted(departments.items(), key=lambda item: (-item[1], item[0]))
    )


def test_pages_of_results_follow_the_ranking(backend: WhooshBackend) -> None:
    ranked = backend.search(SearchQuery(text="budget approval", per_page=30)).hits
    paged = [
        hit
        for page in (1, 2, 3)
        for hit in backend.search(SearchQuery(text="budget approval", per_page=10, page=page)).hits
    ]
    assert [hit.key for hit in paged] == [hit.key for hit in ranked]
    assert [hit.score for hit in ranked] == sorted((hit.score for hit in ranked), reverse=True)


def test_segment_cache_keeps_the_most_recently_used_within_its_budget() -> None:
    cache = SegmentCache(max_bytes=2 * 800)
    built: list[str] = []

    def build(name: str) -> tuple[np.ndarray, ...]:
        built.append(name)
        return (np.zeros(100),)  # 800 bytes

    for name in ("a", "b", "a", "c", "a", "b"):
        cache.get(name, lambda name=name: build(name))
    assert built == ["a", "b", "c", "b"]  # "b" was least recently used when "c" arrived
