"""Line-based diffs of page sources, with the changed words marked inside changed lines, and
block-by-block diffs of their rendered HTML."""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum
from typing import Any

import htmldiff2
import lxml.html

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


# -- rendered HTML ------------------------------------------------------------------------------
#
# Readers never see Markdown, so reviewers who are not writers should not have to either: two
# revisions' rendered HTML are compared block by block (paragraphs, headings, list items, table
# cells), and within two versions of one block word by word, by htmldiff2 (which keeps the
# inline markup intact: a changed link or a word made bold is marked as such). The results are
# HTML strings built from already sanitised fragments, and are sanitised again by the caller
# (``app.render.sanitize``) before any template shows them.

#: Elements whose children are compared one by one (a list's items, a table's rows and cells).
_CONTAINERS = frozenset(
    {"ul", "ol", "table", "thead", "tbody", "tfoot", "tr", "blockquote", "dl", "section", "div"}
)
_VOID = frozenset({"hr", "img", "br", "input"})
#: How alike (by words) two blocks must be to show as one changed block, not a removal and an
#: addition.
_PAIRING = 0.4
#: Past this many block pairs to weigh, a changed region is shown as removed then added.
_MAX_PAIRINGS = 2_500
_SLOT = "\ue000peerwiki-slot\ue000"


@dataclass(frozen=True)
class Row:
    """One block of a side-by-side comparison: its old and new HTML ("" where absent)."""

    old: str
    new: str
    changed: bool


@dataclass(frozen=True)
class HtmlDiff:
    """Two versions of rendered HTML compared: ``inline`` is the new version with removed text
    in ``<del>`` and inserted text in ``<ins>``; ``rows`` pair the blocks side by side. Not
    sanitised here: pass every part through ``app.render.sanitize`` before showing it."""

    inline: str
    rows: tuple[Row, ...]

    @property
    def is_empty(self) -> bool:
        return not any(row.changed for row in self.rows)


@dataclass(frozen=True)
class _Piece:
    inline: str
    old: str
    new: str
    changed: bool


def diff_html(old: str, new: str) -> HtmlDiff:
    """Compare two rendered (sanitised) HTML fragments block by block, marking changed words."""
    pieces = _diff_siblings(_blocks(old), _blocks(new))
    rows: list[Row] = []
    for piece in pieces:
        if rows and not piece.changed and not rows[-1].changed:  # runs of unchanged blocks
            rows[-1] = Row(rows[-1].old + piece.old, rows[-1].new + piece.new, False)
        else:
            rows.append(Row(piece.old, piece.new, piece.changed))
    return HtmlDiff("".join(piece.inline for piece in pieces), tuple(rows))


def _blocks(html: str) -> list[Any]:
    if not html.strip():
        return []
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    blocks = list(root)
    if root.text and root.text.strip():  # text before the first element: keep it as a block
        lead = lxml.html.Element("p")
        lead.text = root.text
        blocks.insert(0, lead)
    return blocks


def _html(element: Any) -> str:
    return str(lxml.html.tostring(element, encoding="unicode", with_tail=False))


def _inner(element: Any) -> str:
    text = html_lib.escape(element.text or "", quote=False)
    return text + "".join(
        str(lxml.html.tostring(child, encoding="unicode", with_tail=True)) for child in element
    )


def _shell(element: Any, inner: str) -> str:
    shell = lxml.html.Element(element.tag, dict(element.attrib))
    shell.text = _SLOT
    return _html(shell).replace(_SLOT, inner)


def _alike(old: Any, new: Any) -> bool:
    """Whether two blocks are versions of one: same element, and enough of the text shared
    (letter by letter for short blocks, so "Hotel" and "Hotels" pair; by words for long ones)."""
    if old.tag != new.tag:
        return False
    a, b = str(old.text_content()), str(new.text_content())
    if len(a) + len(b) > 2_000:
        return SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio() >= _PAIRING
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= _PAIRING


def _diff_siblings(olds: list[Any], news: list[Any]) -> list[_Piece]:
    old_keys, new_keys = [_html(block) for block in olds], [_html(block) for block in news]
    matcher = SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    pieces: list[_Piece] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pieces.extend(_Piece(key, key, key, False) for key in old_keys[i1:i2])
        else:
            pieces.extend(_changed_region(olds[i1:i2], news[j1:j2]))
    return pieces


def _changed_region(olds: list[Any], news: list[Any]) -> list[_Piece]:
    """Pair alike blocks of a changed region in order; the rest were removed or added."""
    pairs: list[tuple[int, int]] = []
    if len(olds) * len(news) <= _MAX_PAIRINGS:
        start = 0
        for i, old in enumerate(olds):
            for j in range(start, len(news)):
                if _alike(old, news[j]):
                    pairs.append((i, j))
                    start = j + 1
                    break
    pieces: list[_Piece] = []
    i = j = 0
    for pi, pj in [*pairs, (len(olds), len(news))]:
        removed = [_marked(block, "del") for block in olds[i:pi]]
        added = [_marked(block, "ins") for block in news[j:pj]]
        if removed or added:
            pieces.append(_Piece("".join(removed + added), "".join(removed), "".join(added), True))
        if pi < len(olds):
            pieces.append(_paired(olds[pi], news[pj]))
        i, j = pi + 1, pj + 1
    return pieces


def _paired(old: Any, new: Any) -> _Piece:
    """Two versions of one block: containers child by child, others word by word."""
    if new.tag in _CONTAINERS and old.tag == new.tag:
        if new.tag == "tr" and len(old) == len(new):  # cells are columns: compare in place
            children = [
                _Piece(_html(b), _html(a), _html(b), False)
                if _html(a) == _html(b)
                else _paired(a, b)
                for a, b in zip(old, new, strict=True)
            ]
        else:
            children = _diff_siblings(list(old), list(new))
        return _Piece(
            _shell(new, "".join(child.inline for child in children)),
            _shell(old, "".join(child.old for child in children)),
            _shell(new, "".join(child.new for child in children)),
            True,
        )
    # The blocks' contents are compared, not the blocks: a table cell parsed out of its table
    # would be dropped.
    try:
        marked = str(htmldiff2.render_html_diff(_inner(old), _inner(new)))
        root = lxml.html.fragment_fromstring(marked)  # htmldiff2's <div> around the result
        for empty in [mark for mark in root.iter("ins", "del") if not len(mark) and not mark.text]:
            empty.drop_tree()
        inner = _inner(root)
    except Exception:  # an input the word differ cannot take: show removed, then added
        removed, added = _marked(old, "del"), _marked(new, "ins")
        return _Piece(removed + added, removed, added, True)
    return _Piece(
        _shell(new, inner),
        _shell(old, _without(inner, "ins")),
        _shell(new, _without(inner, "del")),
        True,
    )


def _marked(element: Any, mark: str) -> str:
    """A whole block removed (``del``) or added (``ins``)."""
    if element.tag in _CONTAINERS:
        return _shell(element, "".join(_marked(child, mark) for child in element))
    if element.tag in _VOID:
        return f"<{mark}>{_html(element)}</{mark}>"
    return _shell(element, f"<{mark}>{_inner(element)}</{mark}>")


def _without(html: str, mark: str) -> str:
    """``html`` without its ``mark`` elements and what they hold (one side of the comparison)."""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for element in list(root.iter(mark)):
        element.drop_tree()
    return _inner(root)
