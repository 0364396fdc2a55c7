"""Keep line comments attached to their text as a proposal's source changes."""

from __future__ import annotations

from difflib import SequenceMatcher

from app.diffing import split_lines


def relocate(
    old_text: str, new_text: str, line: int, line_end: int | None = None
) -> tuple[int, int] | None:
    """Return where lines ``line``..``line_end`` (1-based) of ``old_text`` are in ``new_text``.

    None means the lines were changed or removed, so a comment on them is outdated.
    """
    end = line_end or line
    old_lines, new_lines = split_lines(old_text), split_lines(new_text)
    if not 1 <= line <= end <= len(old_lines):
        return None
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, _j2 in matcher.get_opcodes():
        if tag == "equal" and i1 < line <= end <= i2:
            shift = j1 - i1
            return line + shift, end + shift
    return None


def excerpt(text: str, line: int, line_end: int | None = None) -> str:
    """Return lines ``line``..``line_end`` (1-based) of ``text``."""
    lines = split_lines(text)
    return "\n".join(lines[line - 1 : (line_end or line)])


def replace_lines(text: str, line: int, line_end: int | None, replacement: str) -> str:
    """Return ``text`` with lines ``line``..``line_end`` replaced by ``replacement``."""
    lines = split_lines(text)
    end = line_end or line
    new = lines[: line - 1] + split_lines(replacement) + lines[end:]
    return "\n".join(new) + ("\n" if text.endswith("\n") else "")
