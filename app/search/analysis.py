"""How every search backend turns text into index terms: word forms, exact words, folded accents.

Whoosh's analysis classes are plain Python, so backends other than Whoosh reuse them too: a
word then matches the same pages whichever backend is configured.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    LanguageAnalyzer,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
)
from whoosh.support.charset import accent_map

from app.search import SearchDocument

#: A word worth offering in "Did you mean": three or more letters.
_WORDS = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


def stemming_analyzer(language: str) -> Analyzer:
    """Stems for word forms ("onboarding" finds "onboard"), stop words dropped, accents folded."""
    return LanguageAnalyzer(language) | CharsetFilter(accent_map)


@lru_cache(maxsize=4096)  # synonym terms are compared on every search: stem each once
def word_forms(text: str, language: str) -> tuple[str, ...]:
    """The words of ``text`` as the stemmed fields index them, stop words kept: "Vacations" and
    "vacation" give the same forms, and "time off" keeps its "off"."""
    return tuple(token.text for token in _stemmer(language)(text, removestops=False))


@cache
def _stemmer(language: str) -> Analyzer:
    return stemming_analyzer(language)


def exact_analyzer(language: str) -> Analyzer:
    """Words as written (lowercased, accents folded), stop words dropped."""
    return (
        RegexTokenizer() | LowercaseFilter() | StopFilter(lang=language) | CharsetFilter(accent_map)
    )


def fold(text: str) -> str:
    """Fold accents the way the index does ("café" -> "cafe")."""
    return text.translate(accent_map)


def vocabulary(document: SearchDocument) -> set[str]:
    """Every distinct word of a document as written (lowercased, folded): spelling candidates."""
    text = " ".join((document.title, document.headings, document.body))
    return set(_WORDS.findall(fold(text.lower())))  # folding the text once is ~5x faster


def forms_of(text: str, language: str) -> set[str]:
    """Every word form of ``text`` (as :func:`word_forms`, stop words kept; not cached, for
    whole pages)."""
    return {token.text for token in _stemmer(language)(text, removestops=False)}


def phrase_pattern(text: str, language: str) -> str | None:
    """What a phrase with stop words must also match in a page's text, or None when it has none.

    The stemmed fields leave stop words out, so on its own the phrase "time off" would be the
    word "time". The pattern asks for the phrase's words in order, separated by anything but
    letters and digits: its stop words exactly, its other words by their stems (with any ending:
    "time off" finds "times off"). It is written so that Python's ``re`` and PostgreSQL's
    regular expressions read it alike; match it case-insensitively against folded text.
    """
    analysed = _stemmer(language)(fold(text.lower()), removestops=False)
    tokens = [(token.text, token.stopped) for token in analysed]  # Whoosh reuses one token
    if len(tokens) < 2 or not any(stopped for _, stopped in tokens):
        return None
    words = [re.escape(word) + ("" if stopped else r"\w*") for word, stopped in tokens]
    return r"(?<!\w)" + r"\W+".join(words) + r"(?!\w)"
