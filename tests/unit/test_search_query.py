"""The search box's syntax parsed into a query tree (no backend, no app)."""

from __future__ import annotations

import pytest

from app.search.query import (
    And,
    Every,
    Filter,
    Fuzzy,
    Not,
    Or,
    ParsedQuery,
    Phrase,
    Prefix,
    Range,
    Term,
    parse,
    positive_leaves,
)

T = Term


@pytest.mark.parametrize(
    ("text", "root"),
    [
        ("laptop", T("laptop")),
        ("laptop receipts", Or((T("laptop"), T("receipts")))),
        ("laptop OR receipts -buddy", And((Or((T("laptop"), T("receipts"))), Not(T("buddy"))))),
        ("laptop NOT buddy", And((T("laptop"), Not(T("buddy"))))),
        ("laptop AND -buddy", And((T("laptop"), Not(T("buddy"))))),
        ("(a OR b) AND c", And((Or((T("a"), T("b"))), T("c")))),
        ("x OR (y -z)", Or((T("x"), And((T("y"), Not(T("z"))))))),
        ('"travel costs"', Phrase("travel costs")),
        ('-"travel costs" x', And((T("x"), Not(Phrase("travel costs"))))),
        ("postmort*", Prefix("postmort")),
        ("cafe *", T("cafe")),
        ("labtop~ form~2 budgte~2/1", Or((Fuzzy("labtop"), Fuzzy("form", None, 2), Fuzzy("budgte", None, 2, 1)))),
        ("title:[nothing TO onboarding]", Range("nothing", "onboarding", "title")),
        ("title:{a TO]", Range("a", None, "title", start_inclusive=False)),
        ("title:onb* headings:root body:\"a b\"", Or((Prefix("onb", "title"), T("root", "headings"), Phrase("a b", "body")))),
        ("how-to post-mortem", Or((T("how-to"), T("post-mortem")))),
        ("foo:bar", T("foo:bar")),
        ("laptop -tag:finance", And((T("laptop"), Not(T("finance", "tags"))))),
    ],
)  # fmt: skip
def test_the_syntax_becomes_a_tree(text: str, root: object) -> None:
    assert parse(text) == ParsedQuery(root)


@pytest.mark.parametrize(
    ("text", "filters", "root"),
    [
        ("tag:finance laptop", (Filter("tags", ("finance",)),), T("laptop")),
        ("tag:a OR tag:B", (Filter("tags", ("a", "b")),), Every()),
        ('dept:Finance by:fatima department:"Human Resources"',
         (Filter("department", ("finance", "human resources")), Filter("author", ("fatima",))), Every()),
        ("tag:finance -buddy", (Filter("tags", ("finance",)),), And((Every(), Not(T("buddy"))))),
        ("(x OR tag:y)", (Filter("tags", ("y",)),), T("x")),
    ],
)  # fmt: skip
def test_filters_are_taken_out_to_narrow(
    text: str, filters: tuple[Filter, ...], root: object
) -> None:
    assert parse(text) == ParsedQuery(root, filters)


@pytest.mark.parametrize("text", ["*", "o*", "((", "-buddy", "NOT x", "OR AND"])
def test_nothing_searchable_matches_nothing(text: str) -> None:
    assert parse(text) == ParsedQuery(None)


def test_unclosed_quotes_and_stray_brackets_search_the_words() -> None:
    assert parse('"unclosed laptop').root == Or((T("unclosed"), T("laptop")))
    assert parse(")laptop(").root == T("laptop")
    assert parse("laptop AND (").root == T("laptop")
    assert parse("laptop~~~3 :::").root == Or((T("laptop~~~3"), T(":::")))  # the backend analyses
    assert parse("").root == Every()


def test_positive_leaves_skip_exclusions() -> None:
    root = parse('a OR "b c" -d title:ex*').root
    assert list(positive_leaves(root)) == [T("a"), Phrase("b c"), Prefix("ex", "title")]
