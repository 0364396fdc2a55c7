"""Line diffs of page sources, with the changed words marked inside changed lines."""

from __future__ import annotations

import pytest

from app.diffing import Diff, LineKind, diff_texts, split_lines

CONTEXT, ADDED, REMOVED = LineKind.CONTEXT, LineKind.ADDED, LineKind.REMOVED
THIRTY_LINES = "".join(f"line {number}\n" for number in range(1, 31))


def _lines(diff: Diff) -> list[tuple[LineKind, int | None, int | None, str]]:
    return [
        (line.kind, line.old_number, line.new_number, line.text)
        for hunk in diff.hunks
        for line in hunk.lines
    ]


def _marks(diff: Diff) -> list[list[tuple[str, bool]]]:
    """The segments of every changed line: (text, changed)."""
    return [
        [(segment.text, segment.changed) for segment in line.segments]
        for hunk in diff.hunks
        for line in hunk.lines
        if line.kind != CONTEXT
    ]


def _change(text: str, numbers: set[int]) -> str:
    return "".join(
        f"CHANGED {n}\n" if n in numbers else f"{line}\n"
        for n, line in enumerate(text.splitlines(), start=1)
    )


@pytest.mark.parametrize("text", ["", "one line\n", "a\nb\nc\n", THIRTY_LINES])
def test_identical_texts_give_an_empty_diff(text: str) -> None:
    diff = diff_texts(text, text)
    assert diff.is_empty
    assert (diff.hunks, diff.added, diff.removed) == ((), 0, 0)


def test_changed_line_is_removed_then_added_at_its_line_numbers() -> None:
    diff = diff_texts("a\nb\nc\n", "a\nB\nc\n")
    assert not diff.is_empty
    assert _lines(diff) == [
        (CONTEXT, 1, 1, "a"),
        (REMOVED, 2, None, "b"),
        (ADDED, None, 2, "B"),
        (CONTEXT, 3, 3, "c"),
    ]


def test_added_lines_shift_the_new_numbers_of_later_lines() -> None:
    diff = diff_texts("a\nb\n", "a\nnew 1\nnew 2\nb\n")
    assert _lines(diff) == [
        (CONTEXT, 1, 1, "a"),
        (ADDED, None, 2, "new 1"),
        (ADDED, None, 3, "new 2"),
        (CONTEXT, 2, 4, "b"),
    ]


def test_removed_line_keeps_its_old_number() -> None:
    diff = diff_texts("a\nb\nc\n", "a\nc\n")
    assert _lines(diff) == [(CONTEXT, 1, 1, "a"), (REMOVED, 2, None, "b"), (CONTEXT, 3, 2, "c")]


def test_word_segments_mark_only_the_changed_words() -> None:
    diff = diff_texts("The quick brown fox\n", "The quick red fox\n")
    assert _marks(diff) == [
        [("The quick ", False), ("brown", True), (" fox", False)],
        [("The quick ", False), ("red", True), (" fox", False)],
    ]


def test_word_segments_mark_a_run_of_new_words_as_one_segment() -> None:
    diff = diff_texts("foo bar\n", "foo baz qux\n")
    assert _marks(diff) == [
        [("foo ", False), ("bar", True)],
        [("foo ", False), ("baz qux", True)],
    ]


def test_word_segments_mark_punctuation_separately_from_words() -> None:
    diff = diff_texts("Hello, world.\n", "Hello, world!\n")
    assert _marks(diff) == [
        [("Hello, world", False), (".", True)],
        [("Hello, world", False), ("!", True)],
    ]


def test_whitespace_only_change_is_marked() -> None:
    diff = diff_texts("a b\n", "a  b\n")
    assert _marks(diff) == [
        [("a", False), (" ", True), ("b", False)],
        [("a", False), ("  ", True), ("b", False)],
    ]


def test_lines_without_a_partner_carry_no_word_marks() -> None:
    diff = diff_texts("one\n", "uno\nextra\n")
    assert _marks(diff) == [[("one", True)], [("uno", True)], [("extra", False)]]


def test_whole_added_line_has_a_single_unmarked_segment() -> None:
    diff = diff_texts("a\n", "a\nbrand new line\n")
    assert _marks(diff) == [[("brand new line", False)]]


@pytest.mark.parametrize(
    ("old", "new", "added", "removed"),
    [
        ("a\n", "a\nb\n", 1, 0),
        ("a\nb\n", "a\n", 0, 1),
        ("a\nb\n", "a\nc\n", 1, 1),
        ("l1\nl2\n", "m1\nm2\nm3\n", 3, 2),
        (THIRTY_LINES, _change(THIRTY_LINES, {2, 28}), 2, 2),
        ("", "one\ntwo\nthree\n", 3, 0),
        ("one\ntwo\n", "", 0, 2),
    ],
)
def test_added_and_removed_count_lines(old: str, new: str, added: int, removed: int) -> None:
    diff = diff_texts(old, new)
    assert (diff.added, diff.removed) == (added, removed)
    assert [kind for kind, *_ in _lines(diff)].count(ADDED) == added
    assert [kind for kind, *_ in _lines(diff)].count(REMOVED) == removed


def test_far_apart_changes_form_separate_hunks_with_three_lines_of_context() -> None:
    diff = diff_texts(THIRTY_LINES, _change(THIRTY_LINES, {2, 28}))
    assert [(hunk.old_start, hunk.new_start) for hunk in diff.hunks] == [(1, 1), (25, 25)]
    first, second = ([line.old_number for line in hunk.lines] for hunk in diff.hunks)
    assert first == [1, 2, None, 3, 4, 5]
    assert second == [25, 26, 27, 28, None, 29, 30]


def test_context_argument_sets_the_lines_around_each_change() -> None:
    diff = diff_texts(THIRTY_LINES, _change(THIRTY_LINES, {10, 20}), context=1)
    assert [[line.text for line in hunk.lines] for hunk in diff.hunks] == [
        ["line 9", "line 10", "CHANGED 10", "line 11"],
        ["line 19", "line 20", "CHANGED 20", "line 21"],
    ]


def test_zero_context_shows_only_the_changed_lines() -> None:
    diff = diff_texts("a\nb\nc\nd\ne\n", "a\nb\nX\nd\ne\n", context=0)
    assert [(hunk.old_start, hunk.new_start) for hunk in diff.hunks] == [(3, 3)]
    assert _lines(diff) == [(REMOVED, 3, None, "c"), (ADDED, None, 3, "X")]


def test_nearby_changes_share_one_hunk() -> None:
    diff = diff_texts(THIRTY_LINES, _change(THIRTY_LINES, {10, 16}))
    assert len(diff.hunks) == 1
    numbers = [line.old_number for line in diff.hunks[0].lines if line.old_number]
    assert numbers == list(range(7, 20))


def test_new_page_diff_adds_every_line() -> None:
    diff = diff_texts("", "# Title\n\nBody\n")
    assert _lines(diff) == [
        (ADDED, None, 1, "# Title"),
        (ADDED, None, 2, ""),
        (ADDED, None, 3, "Body"),
    ]
    assert (diff.added, diff.removed) == (3, 0)


def test_emptying_a_page_removes_every_line() -> None:
    diff = diff_texts("a\nb\n", "")
    assert _lines(diff) == [(REMOVED, 1, None, "a"), (REMOVED, 2, None, "b")]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("a\r\nb\r\n", "a\nb\n"),
        ("a\rb\r", "a\nb\n"),
        ("a\nb", "a\nb\n"),
    ],
    ids=["crlf-vs-lf", "cr-vs-lf", "missing-final-newline"],
)
def test_line_ending_differences_are_not_changes(old: str, new: str) -> None:
    assert diff_texts(old, new).is_empty


def test_crlf_lines_are_compared_without_their_carriage_returns() -> None:
    diff = diff_texts("a\r\nb\r\nc\r\n", "a\r\nB\r\nc\r\n")
    assert _lines(diff) == [
        (CONTEXT, 1, 1, "a"),
        (REMOVED, 2, None, "b"),
        (ADDED, None, 2, "B"),
        (CONTEXT, 3, 3, "c"),
    ]


def test_line_added_after_a_last_line_without_newline() -> None:
    diff = diff_texts("a\nb", "a\nb\nc")
    assert _lines(diff) == [(CONTEXT, 1, 1, "a"), (CONTEXT, 2, 2, "b"), (ADDED, None, 3, "c")]


@pytest.mark.parametrize(
    ("old", "new", "old_marks", "new_marks"),
    [
        (
            "café au lait\n",
            "café au thé\n",
            [("café au ", False), ("lait", True)],
            [("café au ", False), ("thé", True)],
        ),
        (
            "Grüße aus Köln\n",
            "Grüße aus Zürich\n",
            [("Grüße aus ", False), ("Köln", True)],
            [("Grüße aus ", False), ("Zürich", True)],
        ),
        (
            "Привет мир\n",
            "Привет всем\n",
            [("Привет ", False), ("мир", True)],
            [("Привет ", False), ("всем", True)],
        ),
        ("日本語 テキスト\n", "日本語 文章\n", [("日本語 ", False), ("テキスト", True)], None),
        ("ship it 🚀\n", "ship it 🎉\n", [("ship it ", False), ("🚀", True)], None),
    ],
)
def test_unicode_words_are_compared_whole(
    old: str,
    new: str,
    old_marks: list[tuple[str, bool]],
    new_marks: list[tuple[str, bool]] | None,
) -> None:
    diff = diff_texts(old, new)
    marks = _marks(diff)
    assert marks[0] == old_marks
    if new_marks is not None:
        assert marks[1] == new_marks
    assert [line.text for hunk in diff.hunks for line in hunk.lines] == [
        old.rstrip("\n"),
        new.rstrip("\n"),
    ]


@pytest.mark.parametrize(
    ("text", "lines", "with_ends"),
    [
        ("", [], []),
        ("a", ["a"], ["a"]),
        ("a\n", ["a"], ["a\n"]),
        ("a\n\nb", ["a", "", "b"], ["a\n", "\n", "b"]),
        ("a\u2028b\x0cc\n", ["a\u2028b\x0cc"], ["a\u2028b\x0cc\n"]),
    ],
)
def test_lines_split_at_newlines_only(text: str, lines: list[str], with_ends: list[str]) -> None:
    assert split_lines(text) == lines
    assert split_lines(text, keepends=True) == with_ends
    assert "".join(split_lines(text, keepends=True)) == text


def test_a_line_separator_inside_a_line_does_not_shift_the_diff() -> None:
    diff = diff_texts("one\u2028still one\ntwo\n", "one\u2028still one\nTWO\n")
    changed = [(line.kind, line.old_number, line.new_number) for line in diff.hunks[0].lines]
    assert changed == [
        (LineKind.CONTEXT, 1, 1),
        (LineKind.REMOVED, 2, None),
        (LineKind.ADDED, None, 2),
    ]


# -- rendered HTML ------------------------------------------------------------------------------


def test_html_diff_marks_words_inside_blocks_and_keeps_markup() -> None:
    from app.diffing import diff_html

    diff = diff_html(
        '<p>Use <a href="/wiki/form">the form</a> within 30 days.</p>',
        '<p>Use <a href="/wiki/form">the form</a> within <strong>14</strong> days.</p>',
    )
    assert diff.inline.startswith('<p>Use <a href="/wiki/form">the form</a> within <del>30 days.')
    assert "<strong><ins>14</ins></strong>" in diff.inline and "<ins></ins>" not in diff.inline
    (row,) = diff.rows
    assert "<ins>" not in row.old and "<del>" not in row.new and row.changed


def test_html_diff_pairs_list_items_and_table_cells_in_place() -> None:
    from app.diffing import diff_html

    old = "<ul><li>Taxi</li><li>Hotel</li></ul><table><tr><td>a</td><td>1</td></tr></table>"
    new = "<ul><li>Taxi</li><li>Hotels</li><li>Bus</li></ul><table><tr><td>a</td><td>2</td></tr></table>"
    inline = diff_html(old, new).inline
    assert (
        "<li>Taxi</li><li><del>Hotel</del><ins>Hotels</ins></li><li><ins>Bus</ins></li>" in inline
    )
    assert "<tr><td>a</td><td><del>1</del><ins>2</ins></td></tr>" in inline


def test_html_diff_of_equal_or_empty_fragments() -> None:
    from app.diffing import diff_html

    assert diff_html("<p>same</p>", "<p>same</p>").is_empty
    assert diff_html("", "").is_empty
    added = diff_html("", "<h2>New</h2><hr>")
    assert added.inline == "<h2><ins>New</ins></h2><ins><hr></ins>" and not added.is_empty
    removed = diff_html("<p>Gone</p>", "")
    assert removed.rows[0].old == "<p><del>Gone</del></p>" and removed.rows[0].new == ""
