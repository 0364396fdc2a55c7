"""The search backend contract: what every backend must do (each test runs on each backend).

Whoosh's own concerns (its files, layout upgrades, several processes) are tested in
test_search_whoosh.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy import text as sql

from app.search import OVERDUE_DEMOTION, SearchBackend, SearchQuery, open_backend
from app.services import indexing
from tests.conftest import EVERY_SEARCH_BACKEND, postgres_database
from tests.factories import NOW
from tests.factories import search_document as doc


@pytest.fixture(scope="module")
def search_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A migrated throwaway PostgreSQL database for this module's tests."""
    with postgres_database(tmp_path_factory.mktemp("postgres")) as url:
        engine = create_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture(params=EVERY_SEARCH_BACKEND)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> SearchBackend:
    database: Engine | None = None
    if request.param == "postgres":
        database = request.getfixturevalue("search_database")
        with database.begin() as connection:
            connection.execute(sql("TRUNCATE search_documents, search_words"))
    engine = open_backend(
        {
            "SEARCH_BACKEND": request.param,
            "SEARCH_INDEX": tmp_path / "index",
            "SEARCH_LANGUAGE": "en",
        },
        database,
    )
    engine.index(
        [
            doc(1, "Onboarding Checklist", "Your first week: laptop, accounts and a buddy.", tags=("onboarding", "people"), department="People"),
            doc(2, "Submitting Expense Reports", "Claim travel costs and receipts within 30 days.", tags=("finance", "expenses"), department="Finance", author="fatima"),
            doc(3, "Incident Postmortems", "Write a blameless postmortem after an outage.", tags=("incidents",), headings="Timeline Root cause"),
            doc(4, "Café Etiquette", "Clean the espresso machine in the café.", tags=("office",), department="Operations",
                updated_at=NOW - timedelta(days=30), reviewed_at=NOW - timedelta(days=30)),
            doc(5, "Draft: Parental Leave", "Leave for new parents.", visible_to=("hana", "fatima"), proposal_id=9, key="proposal:9"),
        ]
    )  # fmt: skip
    return engine


def titles(backend: SearchBackend, text: str, **kw: object) -> list[str]:
    return [hit.title for hit in backend.search(SearchQuery(text=text, **kw)).hits]  # type: ignore[arg-type]


def test_word_forms_match(backend: SearchBackend) -> None:
    assert titles(backend, "onboard") == ["Onboarding Checklist"]
    assert titles(backend, "postmortem outages")[0] == "Incident Postmortems"


def test_accents_are_folded(backend: SearchBackend) -> None:
    assert titles(backend, "cafe") == ["Café Etiquette"]


def test_phrase_exclusion_or_prefix_and_fields(backend: SearchBackend) -> None:
    assert titles(backend, '"travel costs"') == ["Submitting Expense Reports"]
    assert titles(backend, '"costs travel"') == []
    assert "Onboarding Checklist" not in titles(backend, "laptop OR receipts -buddy")
    assert set(titles(backend, "laptop OR receipts")) == {
        "Onboarding Checklist",
        "Submitting Expense Reports",
    }
    assert titles(backend, "postmort*") == ["Incident Postmortems"]
    assert titles(backend, "tag:finance") == ["Submitting Expense Reports"]
    assert titles(backend, "department:Finance") == ["Submitting Expense Reports"]
    assert titles(backend, "author:fatima") == ["Submitting Expense Reports"]


def test_filters_and_facets(backend: SearchBackend) -> None:
    results = backend.search(
        SearchQuery(text="the OR a OR laptop OR receipts OR outage OR espresso")
    )
    assert results.facets["department"]["Engineering"] == 1
    assert results.facets["tag"]["finance"] == 1
    assert titles(backend, "laptop OR receipts", department="people") == ["Onboarding Checklist"]
    assert titles(backend, "laptop OR receipts", tag="expenses") == ["Submitting Expense Reports"]


def test_syntax_errors_still_search(backend: SearchBackend) -> None:
    for text in ['"unclosed phrase laptop', "laptop AND (", "tag:", "((", ":::", "laptop~~~3"]:
        backend.search(SearchQuery(text=text))  # never raises
    assert "Onboarding Checklist" in titles(backend, '"unclosed laptop')


def test_typos_get_a_suggestion_and_fuzzy_results(backend: SearchBackend) -> None:
    results = backend.search(SearchQuery(text="onbaording"))
    assert [hit.title for hit in results.hits] == ["Onboarding Checklist"] and results.fuzzy
    backend.index([doc(n, f"Onboarding {n}", "onboarding steps") for n in (20, 21, 22)])
    widened = backend.search(SearchQuery(text="onbaording"))
    assert widened.fuzzy and widened.total == 4
    assert widened.suggestion == "onboarding"  # offered however many close spellings matched
    assert backend.search(SearchQuery(text="expence")).suggestion in ("expense", "expenses")


def test_close_spellings_keep_the_exclusions(backend: SearchBackend) -> None:
    backend.index([doc(40, "Hello world", "hello world"), doc(41, "Hello moon", "hello moon")])
    assert titles(backend, "helo -world") == ["Hello moon"]


def test_suggestions_never_reveal_private_or_removed_words(backend: SearchBackend) -> None:
    backend.index([doc(50, "Draft", "zebracorn plans", visible_to=("hana",), key="proposal:50",
                       proposal_id=50), doc(51, "Gone", "quokkaland trip")])  # fmt: skip
    backend.remove(["page:51"])
    assert backend.search(SearchQuery(text="zebracon")).suggestion is None
    assert (
        backend.search(SearchQuery(text="zebracon", pending_for="hana")).suggestion == "zebracorn"
    )
    assert backend.search(SearchQuery(text="quokkalend")).suggestion is None


def test_range_queries_search_instead_of_failing(backend: SearchBackend) -> None:
    assert "Onboarding Checklist" in titles(backend, "title:[nothing TO onboarding]")


def test_suggestions_prefer_fewest_edits_then_the_most_pages(backend: SearchBackend) -> None:
    backend.index(
        [doc(30, "Farm", "farm visit")]
        + [doc(n, f"Form {n}", "form filling") for n in (31, 32, 33)]
        + [doc(34, "Formal", "formal dress")]
    )
    assert backend.search(SearchQuery(text="fxrm")).suggestion == "form"  # farm: 1 page
    assert backend.search(SearchQuery(text="formql")).suggestion == "formal"  # form: 2 edits


def test_snippets_highlight_matches_and_escape_html(backend: SearchBackend, tmp_path: Path) -> None:
    hit = backend.search(SearchQuery(text="receipts")).hits[0]
    assert "<mark>receipts</mark>" in str(hit.snippet)
    backend.index([doc(7, "Markup", "Use <script>alert(1)</script> never; receipts matter")])
    snippet = str(backend.search(SearchQuery(text="receipts matter")).hits[0].snippet)
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet


def test_pending_proposals_only_for_their_people(backend: SearchBackend) -> None:
    assert titles(backend, "parents") == []
    assert titles(backend, "parents", pending_for="alex") == []
    assert titles(backend, "parents", pending_for="hana") == ["Draft: Parental Leave"]


def test_title_matches_rank_above_body_matches(backend: SearchBackend) -> None:
    backend.index(
        [
            doc(8, "Buddy Program", "How the buddy program pairs people."),
            doc(9, "Desks", "Ask your buddy where desks are."),
        ]
    )
    assert titles(backend, "buddy")[0] == "Buddy Program"


def test_recently_reviewed_wins_a_tie(backend: SearchBackend) -> None:
    old, new = NOW - timedelta(days=300), NOW
    backend.index([doc(10, "Alpha", "zebra crossing", reviewed_at=old, updated_at=old),
                   doc(11, "Beta", "zebra crossing", reviewed_at=new, updated_at=new)])  # fmt: skip
    assert titles(backend, "zebra") == ["Beta", "Alpha"]


def test_sort_by_date_and_pagination(backend: SearchBackend) -> None:
    query = "laptop OR receipts OR outage OR espresso"
    dated = backend.search(SearchQuery(text=query, sort="date"))
    assert dated.hits[-1].title == "Café Etiquette"
    first = backend.search(SearchQuery(text=query, per_page=2, page=1))
    second = backend.search(SearchQuery(text=query, per_page=2, page=2))
    assert first.total == 4 and len(first.hits) == 2 and len(second.hits) == 2
    assert {h.key for h in first.hits}.isdisjoint({h.key for h in second.hits})


def test_remove_and_suggest(backend: SearchBackend) -> None:
    assert ("Onboarding Checklist", "onboarding-checklist") in backend.suggest("onbo")
    assert backend.suggest("draft") == []  # proposals are never suggested
    backend.remove(["page:1", "page:404"])
    assert titles(backend, "onboarding") == []
    assert backend.suggest("onbo") == []


def test_rebuild_and_stamps(backend: SearchBackend) -> None:
    assert set(backend.stamps()) == {"page:1", "page:2", "page:3", "page:4", "proposal:9"}
    assert backend.rebuild([doc(1, "Only", "one")]) == 1
    assert list(backend.stamps()) == ["page:1"]


def test_facets_count_every_match(backend: SearchBackend) -> None:
    results = backend.search(SearchQuery(text="laptop OR receipts OR outage OR espresso"))
    assert results.total == 4
    assert results.facets["department"] == {
        "Engineering": 1,
        "Finance": 1,
        "Operations": 1,
        "People": 1,
    }
    assert results.facets["tag"] == {
        "expenses": 1, "finance": 1, "incidents": 1, "office": 1, "onboarding": 1, "people": 1,
    }  # fmt: skip


def test_typed_filters_narrow_instead_of_adding(backend: SearchBackend) -> None:
    assert titles(backend, "laptop OR receipts tag:finance") == ["Submitting Expense Reports"]
    assert titles(backend, "tag:finance laptop") == []
    assert set(titles(backend, "tag:finance tag:people")) == {
        "Submitting Expense Reports",
        "Onboarding Checklist",
    }
    assert titles(backend, "receipts department:people") == []
    assert titles(backend, "laptop OR receipts -tag:finance") == ["Onboarding Checklist"]
    assert set(titles(backend, "tag:finance OR tag:people")) == {
        "Submitting Expense Reports",
        "Onboarding Checklist",
    }


def test_broad_wildcards_are_ignored_and_filters_alone_list_pages(backend: SearchBackend) -> None:
    assert titles(backend, "*") == []
    assert titles(backend, "o*") == []
    assert titles(backend, "cafe *") == ["Café Etiquette"]
    assert titles(backend, "", tag="finance") == ["Submitting Expense Reports"]


def test_fields_headings_and_operators(backend: SearchBackend) -> None:
    assert titles(backend, "title:postmortems") == ["Incident Postmortems"]
    assert titles(backend, "title:laptop") == []  # only the body says laptop
    assert titles(backend, "timeline") == ["Incident Postmortems"]  # a heading
    both = backend.search(SearchQuery(text="laptop AND receipts"))
    assert both.fuzzy  # no page has both: close spellings of either are offered instead
    assert titles(backend, "claim AND receipts") == ["Submitting Expense Reports"]
    assert titles(backend, "(laptop OR receipts) -buddy") == ["Submitting Expense Reports"]
    assert titles(backend, "labtop~") == ["Onboarding Checklist"]
    assert titles(backend, "onboard*") == ["Onboarding Checklist"]


def test_verified_only_keeps_the_pages_named(backend: SearchBackend) -> None:
    assert set(titles(backend, "laptop OR receipts OR postmortem")) == {
        "Onboarding Checklist", "Submitting Expense Reports", "Incident Postmortems",
    }  # fmt: skip
    only = frozenset({2, 3})
    assert set(titles(backend, "laptop OR receipts OR postmortem", only_pages=only)) == {
        "Submitting Expense Reports", "Incident Postmortems",
    }  # fmt: skip
    results = backend.search(SearchQuery(text="laptop", only_pages=frozenset()))
    assert (results.total, results.hits) == (0, [])


def test_overdue_pages_rank_lower_but_are_still_found(backend: SearchBackend) -> None:
    backend.index([
        doc(60, "Laptop setup", "laptop laptop setup for laptops"),
        doc(61, "Laptop returns", "return a laptop"),
    ])  # fmt: skip
    plain = titles(backend, "laptop")
    assert plain[0] == "Laptop setup"
    demoted = backend.search(SearchQuery(text="laptop", demoted_pages=frozenset({60})))
    order = [hit.title for hit in demoted.hits]
    assert set(order) == set(plain) and order.index("Laptop setup") > order.index("Laptop returns")
    scores = {hit.page_id: hit.score for hit in demoted.hits}
    undemoted = {hit.page_id: hit.score for hit in backend.search(SearchQuery(text="laptop")).hits}
    assert scores[60] == pytest.approx(undemoted[60] * OVERDUE_DEMOTION, rel=1e-3)


def test_pages_are_found_by_the_names_of_their_files(backend: SearchBackend) -> None:
    body = indexing.with_file_names("How we plan the year.", ["quarterly-roadmap_v2.pdf"])
    backend.index([doc(6, "Planning", body)])
    for text in ("quarterly-roadmap_v2.pdf", "roadmap", "roadmap v2"):
        assert titles(backend, text) == ["Planning"], text
