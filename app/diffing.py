"""Line-based diffs of page sources, with the changed words marked inside changed lines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum

_WORDS = re.compile(r"\w+|\s+|[^\w\s]")
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def split_lines(text: str, *, keepends: bool = False) -> list[str]:
    """The lines of a page source as its editor shows them: split at \\n, \\r\\n or \\r only.

    (``str.splitlines`` also splits at U+2028, form feeds and other separators, which would put
    line numbers of diffs and comments out of step with the editor.)
    """
    lines = _LINES.findall(text)
    return lines if keepends else [line.rstrip("\r\n") for line in lines]


class LineKind(StrEnum):
    """How a line differs between the two versions."""

    CONTEXT = "context"
    ADDED = "added"
    REMOVED = "removed"


@dataclass(frozen=True)
class Segment:
    """A run of text in a line; ``changed`` runs are the words that differ."""

    text: str
    changed: bool = False


@dataclass(frozen=True)
class DiffLine:
    """One line of a diff with its numbers in the old and new version (None where absent)."""

    kind: LineKind
    old_number: int | None
    new_number: int | None
    segments: tuple[Segment, ...]

    @property
    def text(self) -> str:
        return "".join(segment.text for segment in self.segments)


@dataclass(frozen=True)
class Hunk:
    """A block of changed lines with some unchanged context around it."""

    old_start: int
    new_start: int
    lines: tuple[DiffLine, ...]


@dataclass(frozen=True)
class Diff:
    """The difference between two texts."""

    hunks: tuple[Hunk, ...]
    added: int
    removed: int

    @property
    def is_empty(self) -> bool:
        return not self.hunks


def diff_texts(old: str, new: str, *, context: int = 3) -> Diff:
    """Compare ``old`` and ``new`` line by line; ``context`` unchanged lines surround changes."""
    old_lines, new_lines = split_lines(old), split_lines(new)
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    hunks: list[Hunk] = []
    added = removed = 0
    for group in matcher.get_grouped_opcodes(context):
        lines: list[DiffLine] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(
                    DiffLine(
                        LineKind.CONTEXT, i1 + k + 1, j1 + k + 1, (Segment(old_lines[i1 + k]),)
                    )
                    for k in range(i2 - i1)
                )
                continue
            removed += i2 - i1
            added += j2 - j1
            lines.extend(_changed_block(old_lines, new_lines, tag, i1, i2, j1, j2))
        hunks.append(Hunk(group[0][1] + 1, group[0][3] + 1, tuple(lines)))
    return Diff(tuple(hunks), added=added, removed=removed)


def _changed_block(
    old_lines: list[str], new_lines: list[str], tag: str, i1: int, i2: int, j1: int, j2: int
) -> list[DiffLine]:
    """Removed lines then added lines; paired lines of a replacement get word-level marks.

    Whole added or removed lines carry no word marks: the line itself is the change.
    """
    old_segments: list[tuple[Segment, ...]] = [(Segment(line),) for line in old_lines[i1:i2]]
    new_segments: list[tuple[Segment, ...]] = [(Segment(line),) for line in new_lines[j1:j2]]
    if tag == "replace":
        for k in range(min(i2 - i1, j2 - j1)):
            old_segments[k], new_segments[k] = _word_diff(old_lines[i1 + k], new_lines[j1 + k])
    removed = [
        DiffLine(LineKind.REMOVED, i1 + k + 1, None, segments)
        for k, segments in enumerate(old_segments)
    ]
    added = [
        DiffLine(LineKind.ADDED, None, j1 + k + 1, segments)
        for k, segments in enumerate(new_segments)
    ]
    return removed + added


def _word_diff(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Split two versions of a line into segments, marking the words that changed."""
    old_words, new_words = _WORDS.findall(old), _WORDS.findall(new)
    matcher = SequenceMatcher(None, old_words, new_words, autojunk=False)
    old_out: list[Segment] = []
    new_out: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        changed = tag != "equal"
        if i2 > i1:
            _append(old_out, "".join(old_words[i1:i2]), changed)
        if j2 > j1:
            _append(new_out, "".join(new_words[j1:j2]), changed)
    return tuple(old_out), tuple(new_out)


def _append(segments: list[Segment], text: str, changed: bool) -> None:
    """Append ``text``, merging it into the previous segment when both are alike."""
    if segments and segments[-1].changed == changed:
        segments[-1] = Segment(segments[-1].text + text, changed)
    else:
        segments.append(Segment(text, changed))
