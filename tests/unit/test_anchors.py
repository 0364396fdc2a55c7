"""Line comments follow their text across revisions, or become outdated."""

from __future__ import annotations

from app.review.anchors import excerpt, relocate, replace_lines

OLD = "title\nintro\nstep one\nstep two\nend\n"


def test_line_follows_text_when_lines_are_inserted_above() -> None:
    new = "title\nnew line\nanother\nintro\nstep one\nstep two\nend\n"
    assert relocate(OLD, new, 3) == (5, 5)
    assert relocate(OLD, new, 3, 4) == (5, 6)


def test_changed_line_is_outdated() -> None:
    new = OLD.replace("step one", "step 1")
    assert relocate(OLD, new, 3) is None
    assert relocate(OLD, new, 4) == (4, 4)


def test_range_partly_changed_is_outdated() -> None:
    assert relocate(OLD, OLD.replace("step two", "step 2"), 3, 4) is None


def test_out_of_range_lines_are_outdated() -> None:
    assert relocate(OLD, OLD, 0) is None
    assert relocate(OLD, OLD, 99) is None


def test_excerpt_and_replace_lines() -> None:
    assert excerpt(OLD, 3, 4) == "step one\nstep two"
    assert replace_lines(OLD, 3, 4, "one step") == "title\nintro\none step\nend\n"
    assert (
        replace_lines(OLD, 5, None, "the end\nreally")
        == "title\nintro\nstep one\nstep two\nthe end\nreally\n"
    )
