"""Result snippets, shared by the search backends: matched words marked in escaped text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markupsafe import Markup, escape
from whoosh import highlight
from whoosh.analysis import Token

#: How much of the body a result shows when none of its words were matched.
LEAD_CHARS = 220


def fragmenter() -> highlight.PinpointFragmenter:
    """Cut fragments around the matches: up to 240 characters, 70 either side, whole words."""
    return highlight.PinpointFragmenter(maxchars=240, surround=70, autotrim=True)


class Formatter(highlight.HtmlFormatter):  # type: ignore[misc]
    """Highlight matches with <mark>, escaping the surrounding text."""

    def __init__(self) -> None:
        super().__init__(tagname="mark", between=" … ")

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return f"<mark>{escape(highlight.get_text(text, token, replace))}</mark>"

    def _text(self, text: str) -> str:
        return str(escape(text))


def highlighted(text: str, matches: Sequence[Token], *, top: int) -> str:
    """The best ``top`` fragments of ``text`` around ``matches`` (tokens in text order), marked;
    empty when nothing matched."""
    fragments = fragmenter().fragment_matches(text, matches)
    best = highlight.top_fragments(fragments, top, highlight.BasicFragmentScorer(), highlight.FIRST)
    return str(Formatter().format(best))


def lead(body: str) -> Markup:
    """The start of the body, escaped, for a result with no marked words."""
    return escape(body[:LEAD_CHARS]) + ("…" if len(body) > LEAD_CHARS else "")
