"""Synonym sets applied to parsed queries (no backend, no app)."""

from __future__ import annotations

import pytest

from app.search.query import And, Filter, Fuzzy, Not, Or, Phrase, Prefix, Term, parse
from app.search.synonyms import expand, thesaurus

T, P = Term, Phrase
SETS = [["PTO", "vacation", "time off", "annual leave"], ["laptop", "notebook"]]
WORDS = thesaurus(SETS, language="en")
PTO = (P("time off"), P("annual leave"))


def expanded(text: str) -> object:
    return expand(parse(text).root, WORDS)


@pytest.mark.parametrize(
    ("text", "root"),
    [
        ("pto", Or((T("pto"), T("vacation"), *PTO))),
        ("Laptop", Or((T("Laptop"), T("notebook")))),
        # plural and case: the word's stem is the set's
        ("Vacations", Or((T("Vacations"), T("PTO"), *PTO))),
        ("notebooks", Or((T("notebooks"), T("laptop")))),
        # a multi-word term typed as words, quoted, or hyphenated
        (
            "time off",
            Or((T("time"), T("off"), T("PTO"), T("vacation"), P("annual leave"))),
        ),
        ('"time off"', Or((P("time off"), T("PTO"), T("vacation"), P("annual leave")))),
        ("time-off", Or((T("time-off"), T("PTO"), T("vacation"), P("annual leave")))),
        # next to other words: only the run is widened
        (
            "my annual leave request",
            Or(
                (
                    T("my"),
                    Or((T("annual"), T("leave"), T("PTO"), T("vacation"), P("time off"))),
                    T("request"),
                )
            ),
        ),
        ("laptop policy", Or((Or((T("laptop"), T("notebook"))), T("policy")))),
        # inside And, Or and fields
        (
            "laptop AND receipts",
            And((Or((T("laptop"), T("notebook"))), T("receipts"))),
        ),
        (
            "title:laptop OR body:pto",
            Or(
                (
                    Or((T("laptop", "title"), T("notebook", "title"))),
                    Or(
                        (T("pto", "body"), T("vacation", "body"), *(P(p.text, "body") for p in PTO))
                    ),
                )
            ),
        ),
        # a word that is in no set, or only part of a term, stays as it is
        ("receipts", T("receipts")),
        ("annual", T("annual")),
        ("time", T("time")),
        ("time AND off", And((T("time"), T("off")))),
        # prefixes, close spellings and words in different fields are not synonyms
        ("lapt*", Prefix("lapt")),
        ("laptop~", Fuzzy("laptop")),
        ("title:time body:off", Or((T("time", "title"), T("off", "body")))),
    ],
)
def test_expansion(text: str, root: object) -> None:
    assert expanded(text) == root


def test_excluding_a_term_excludes_its_synonyms() -> None:
    assert expanded("policy -pto") == And((T("policy"), Not(Or((T("pto"), T("vacation"), *PTO)))))


def test_filters_and_plain_value_fields_are_untouched() -> None:
    parsed = parse("laptop tag:pto -tags:laptop")
    assert parsed.filters == (Filter("tags", ("pto",)),)
    assert expand(parsed.root, WORDS) == And(
        (Or((T("laptop"), T("notebook"))), Not(T("laptop", "tags")))
    )


def test_sets_sharing_a_term_are_joined_for_it() -> None:
    words = thesaurus([["laptop", "notebook"], ["laptop", "computer"]], language="en")
    assert expand(T("laptop"), words) == Or((T("laptop"), T("notebook"), T("computer")))
    assert expand(T("notebook"), words) == Or((T("notebook"), T("laptop")))


def test_no_sets_change_nothing() -> None:
    root = parse("pto -laptop").root
    assert expand(root, thesaurus([], language="en")) is root
    assert expand(None, WORDS) is None
