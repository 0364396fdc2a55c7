"""The relevance bench measures what it says: its scores, its question file, its corpus loading.

The bench itself (bench/relevance.py) needs the real manual; these tests use hand-made examples.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from bench import relevance

NAV = (
    '<div class="navheader"><table><tr><th>{title}</th></tr><tr><td>'
    '<a accesskey="p" href="prev.html">Prev</a></td><td>'
    '<a accesskey="u" href="{up}.html" title="{up_title}">Up</a></td></tr></table></div>'
)
FOOTER = '<div class="navfooter"><a accesskey="n" href="next.html">Next</a> Home</div>'


def _manual_page(title: str, up_title: str, body: str) -> str:
    return (
        f"<html><head><title>{title}</title></head><body>"
        f"{NAV.format(title=title, up='up', up_title=up_title)}"
        f'<div class="sect1"><h2>{title}</h2>{body}</div>{FOOTER}</body></html>'
    )


def test_first_rank_is_the_position_of_the_first_answer_within_the_top_ten() -> None:
    assert relevance.first_rank(["a", "b", "c"], {"c", "b"}) == 2
    assert relevance.first_rank(["a"], {"z"}) is None
    assert relevance.first_rank([], {"a"}) is None
    assert relevance.first_rank([f"p{i}" for i in range(1, 12)], {"p11"}) is None
    assert relevance.first_rank([f"p{i}" for i in range(1, 12)], {"p10"}) == 10


def test_scores_of_a_hand_made_example() -> None:
    scores = relevance.score([1, 3, None, 6])

    assert scores.n == 4
    assert scores.success_at_1 == 0.25
    assert scores.success_at_5 == 0.5
    assert scores.mrr_at_10 == pytest.approx((1 + 1 / 3 + 0 + 1 / 6) / 4)
    assert relevance.score([]) == relevance.Scores(0, 0.0, 0.0, 0.0)


def test_the_question_file_is_well_formed_and_balanced() -> None:
    questions = relevance.load_questions()

    assert len(questions) >= 60
    assert len({q.q.lower() for q in questions}) == len(questions)
    per_form_and_half = Counter((q.form, q.half) for q in questions)
    for form in relevance.FORMS:
        assert per_form_and_half[form, "A"] >= 6, form
        assert per_form_and_half[form, "B"] >= 6, form
    for question in questions:
        assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*", page) for page in question.answers)


def test_a_malformed_question_file_is_refused_naming_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "questions.toml"
    path.write_text(
        '[[question]]\nid = 1\nform = "plain"\nq = "vacuum"\nanswers = ["sql-vacuum"]\n'
        '[[question]]\nid = 1\nform = "guess"\nq = ""\nanswers = []\n'
        '[[question]]\nid = 3\nform = "plain"\nq = "x"\n',
        encoding="utf-8",
    )

    with pytest.raises(ValueError) as refused:
        relevance.load_questions(path)

    message = str(refused.value)
    for problem in ("unique integer", "form must be one of", "q must be", "answers must", "id 3"):
        assert problem in message


def test_questions_naming_pages_the_corpus_lacks_stop_the_bench() -> None:
    questions = [relevance.Question(7, "plain", "vacuum", ("sql-vacuum", "no-such-page"))]

    with pytest.raises(SystemExit, match="#7: no-such-page"):
        relevance.check_answers(questions, {"sql-vacuum"})


def test_the_manual_becomes_wiki_pages_that_both_systems_rank(tmp_path: Path) -> None:
    html = tmp_path / "html"
    html.mkdir()
    pages = {
        "sql-vacuum": ("VACUUM", "SQL Commands", "<p>VACUUM reclaims storage of dead tuples.</p>"),
        "hash-intro": ("72.1.\u00a0Overview", "Chapter 72. Hash Indexes", "<p>Hash buckets.</p>"),
        "brin-intro": ("71.1.\u00a0Overview", "Chapter 71. BRIN Indexes", "<p>Block ranges.</p>"),
        "bookindex": ("Index", "Home", "<p>VACUUM, hash, block</p>"),
    }
    for stem, (title, up, body) in pages.items():
        (html / f"{stem}.html").write_text(_manual_page(title, up, body), encoding="utf-8")

    corpus = relevance.convert_manual(html)

    assert [(page.id, page.title) for page in corpus] == [
        ("brin-intro", "Overview (BRIN Indexes)"),
        ("hash-intro", "Overview (Hash Indexes)"),
        ("sql-vacuum", "VACUUM"),
    ]
    vacuum = corpus[2].markdown
    assert "VACUUM reclaims storage of dead tuples." in vacuum
    assert "Prev" not in vacuum and "Next" not in vacuum

    questions = [
        relevance.Question(1, "plain", "reclaim dead tuples", ("sql-vacuum",)),
        relevance.Question(2, "typo", "blcok", ("brin-intro",)),
    ]
    with relevance.wiki("memory", corpus, tmp_path) as loaded:
        assert sorted(loaded.ids.values()) == ["brin-intro", "hash-intro", "sql-vacuum"]
        assert loaded.skipped == []
        baseline = relevance.Baseline(loaded.documents(), loaded.ids)
        run = relevance.evaluate(
            questions, {"Peerwiki": loaded.ranking, "baseline": baseline.ranking}
        )

    assert run.ranks("Peerwiki") == [1, 1]
    assert run.ranks("baseline") == [1, None]  # no spelling correction in the baseline
    assert "| all | 2 | 1.00 | 1.00 | 1.000 | 0.50 | 0.50 | 0.500 |" in run.table()


def test_a_page_too_complex_for_the_wiki_is_published_in_parts(tmp_path: Path) -> None:
    sections = "".join(
        f"<h3>Section {number}</h3>" + "<p>statistic</p>" * 1_000 for number in range(1, 4)
    )
    huge = relevance.CorpusPage("monitoring-stats", "Statistics", relevance.convert_page(
        _manual_page("28.2.\u00a0Statistics", "Monitoring", sections)
    )[2])  # fmt: skip
    refused = relevance.CorpusPage("one-table", "One Table", "|a|\n|-|\n" + "|x|\n" * 5_000)

    with relevance.wiki("memory", [huge, refused], tmp_path) as loaded:
        assert sorted(loaded.ids) == [
            "statistics-part-1-of-3", "statistics-part-2-of-3", "statistics-part-3-of-3",
        ]  # fmt: skip
        assert set(loaded.ids.values()) == {"monitoring-stats"}
        assert [page_id for page_id, _ in loaded.skipped] == ["one-table"]
        assert loaded.ranking("statistic")[0] == "monitoring-stats"
