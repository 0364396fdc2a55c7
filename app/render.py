"""Markdown to safe HTML: the one place where user-authored text becomes markup.

Two layers of defence: raw HTML in the source is reduced to a tiny allowlist of attribute-less
tags before rendering (everything else shows as text), and the complete output then passes
bleach with explicit tag, attribute and protocol allowlists. bleach is imported nowhere else,
so replacing it is a change to this file only.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import bleach
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markupsafe import Markup
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.gfm import gfm_plugin
from pygments import highlight
from pygments.formatter import Formatter
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from app.slugs import slugify

if TYPE_CHECKING:
    # bleach runs a vendored copy of html5lib; its stubs type that copy's classes as html5lib's.
    from html5lib.filters.base import Filter
else:
    from bleach.html5lib_shim import Filter

#: Where pages live; wiki links point here.
PAGE_PATH = "/wiki/"
#: Where people's profiles live; mentions point here.
USER_PATH = "/users/"
#: Where a missing wiki link offers to create the page.
NEW_PAGE_PATH = "/new"
#: rel added to links that leave the wiki.
EXTERNAL_REL = "nofollow noopener"

#: Element ids the page around rendered content uses (a test keeps this in step with the
#: templates); a heading that would take one gets "-section" appended, as do footnote-like ids.
PAGE_IDS = frozenset(
    {
        "asked-heading", "backlinks-heading", "comments", "comments-heading", "conflict-heading",
        "contributors-heading", "departments", "dept-heading", "draft-status", "feedback",
        "feedback-note", "feedback-title", "header-q", "header-suggestions", "invite-department",
        "invite-email", "invite-heading", "main", "mine-heading", "more-reviewers",
        "override-heading", "override-reason", "page-editor", "pages-heading", "people-heading",
        "preview", "preview-label", "recent-heading", "results-heading", "review-form",
        "review-heading", "review-summary", "reviews", "reviews-heading", "revisions-heading",
        "search-q", "shortcuts", "shortcuts-heading", "site-menu", "status-heading",
        "submit-heading", "tags-heading", "timeline-heading", "toc-heading", "waiting-heading",
        "direct-answer-heading", "results-more",
        # spaces: the sidebar tree, the editor's parent list, filters, the space page
        "space-tree", "parent-pages", "filter-space", "filter-owner", "filter-sort",
        "recent-space", "space-recent-heading", "space-pages-heading", "space-members-heading",
        "space-settings-heading",
        # verification: the form beside the page's text, the owners form, the queue
        "verification-comment", "owners-users", "owners-users-hint", "owners-interval",
        "owners-interval-hint", "owned-heading", "unassigned-heading",
        # used by the templates of paths, experts, help wanted and attachments
        "expert-tags", "ask-details", "ask-experts", "ask-question", "attachments-heading",
        "path-description", "path-pages", "path-pages-hint", "path-title", "all-paths",
        "awaiting", "assign", "assign-department", "assign-user", "pending", "review-comment",
        "files-heading", "upload", "upload-button", "upload-input", "upload-status",
        "editor-departments", "editor-more-reviewers", "review-picker-hint",
    }
)  # fmt: skip
_FOOTNOTE_ID = re.compile(r"fn(ref)?\d+(:\d+)?")

#: Raw HTML tags an author may type; they must carry no attributes (``<details open>`` aside).
RAW_HTML_TAGS = frozenset({"kbd", "sub", "sup", "details", "summary", "br", "mark", "abbr"})

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
        "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "input", "ins", "kbd", "li",
        "mark", "ol", "p", "pre", "s", "section", "span", "strong", "sub", "summary", "sup",
        "table", "tbody", "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_HEADINGS = {f"h{level}": ["id"] for level in range(1, 7)}
ALLOWED_ATTRIBUTES: dict[str, list[str]] = {
    "a": ["href", "title", "class", "id", "rel", "data-wikilink"],
    "img": ["src", "alt", "title"],
    "li": ["id", "class"],
    "ol": ["class", "start"],
    "ul": ["class"],
    "sup": ["class", "id"],
    "section": ["class"],
    "hr": ["class"],
    "div": ["class"],
    "p": ["class"],
    "span": ["class"],
    "code": ["class"],
    "pre": ["class"],
    "th": ["class"],
    "td": ["class"],
    "details": ["open"],
    **_HEADINGS,
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

_RAW_TAG = re.compile(r"<[^<>]*>?")
_TAG = re.compile(r"<[^>]*>")
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):")
_SAFE_RAW_TAG = re.compile(r"<(?P<close>/?)(?P<name>[A-Za-z]+)(?P<open>\s+open)?\s*/?>", re.ASCII)
_WIKILINK = re.compile(r"\[\[([^\[\]|\n]+?)(?:\|([^\[\]\n]+?))?\]\]")
_MENTION_AT = re.compile(r"@([A-Za-z0-9](?:[A-Za-z0-9_.-]{0,30}[A-Za-z0-9_])?)")
_MENTION = re.compile(r"(?<![\w@/])" + _MENTION_AT.pattern)
_IMG_TAG = re.compile(r"<img\b[^>]*>")
_WIKILINK_ANCHOR = re.compile(r'<a\b[^>]*\bdata-wikilink="([^"]*)"[^>]*>')
_BARE_TABLE = re.compile(r'(?<!<div class="table-scroll">)<table>')
_TABLE_END = re.compile(r"</table>(?!</div>)")
#: A task-list checkbox without a name, and its item's text (up to a nested list or block).
_TASK_CHECKBOX = re.compile(
    r'(?P<tag><input(?![^>]*\baria-label=)[^>]*\bclass="task-list-item-checkbox"[^>]*>)'
    r"(?P<text>\s*(?:<p>)?(?:(?!<(?:/li|/p|p|ul|ol|div|pre|blockquote)\b).)*)",
    re.DOTALL,
)
_ALIGN_STYLE = re.compile(r"text-align:\s*(left|right|center)")
_FORMATTER: Formatter[str] = HtmlFormatter(nowrap=True)
#: The dark theme's code colours (only its stylesheet is used: the markup is the same).
_DARK_FORMATTER: Formatter[str] = HtmlFormatter(nowrap=True, style="github-dark")


@dataclass(frozen=True)
class TocEntry:
    """One heading of a page: its level, anchor id and plain text."""

    level: int
    id: str
    text: str


@dataclass(frozen=True)
class Rendered:
    """The result of rendering a page body."""

    html: Markup
    toc: list[TocEntry] = field(default_factory=list)


#: What a page may hold so that it renders within a second (``bench/render_bounds.py``
#: measures the worst inputs at these limits): characters whose cost grows faster than the text
#: (markdown-it scans ahead from each ``[`` and pairs emphasis runs, tables are re-split per
#: row, html5lib re-reads every escaped ``<`` and ``&``), by group ...
MARKUP_LIMITS: dict[str, int] = {"[": 3_000, "*_": 20_000, "|": 4_000, "<&": 8_000}
#: ... and parsed elements (each costs the sanitiser a tag).
MAX_ELEMENTS = 6_000


class TooComplex(ValueError):
    """Markdown beyond what renders within a second; the message names the limit."""


def render_markdown(source: str) -> Rendered:
    """Turn page Markdown into sanitised HTML and its table of contents; raise TooComplex for
    text beyond the limits above.

    The wiki links of the result are read back from the HTML with ``wikilink_targets``, the
    same way as from a stored revision, so there is one source of truth for them.
    """
    for characters, limit in MARKUP_LIMITS.items():
        count = sum(source.count(character) for character in characters)
        if count > limit:
            names = " and ".join(characters)
            raise TooComplex(
                f"The page has {count:,} of the characters {names}; at most {limit:,} fit in "
                "one page. Split it into several pages."
            )
    env: dict[str, Any] = {}
    tokens = _PARSER.parse(source, env)
    elements = sum(1 + len(token.children or ()) for token in tokens)
    if elements > MAX_ELEMENTS:
        raise TooComplex(
            f"The page has {elements:,} formatted elements (paragraphs, links, emphasis, table "
            f"cells...); at most {MAX_ELEMENTS:,} fit in one page. Split it into several pages."
        )
    body = _PARSER.renderer.render(tokens, _PARSER.options, env)
    return Rendered(html=Markup(sanitize(body)), toc=_toc(tokens))


def render_comment(source: str) -> Markup:
    """Render review feedback: the page syntax plus ``@username`` mentions linked to profiles."""
    return Markup(sanitize(_COMMENT_PARSER.render(source)))


def mentioned_usernames(source: str) -> list[str]:
    """Return the usernames ``@mentioned`` in ``source``, in order, without repeats."""
    return list(dict.fromkeys(name.lower() for name in _MENTION.findall(source)))


def plain_text(html: str) -> str:
    """Return the readable text of HTML this module rendered (for search), without markup.

    The input is already sanitised, so dropping tags with a pattern is safe and much faster
    than parsing it again.
    """
    return " ".join(html_lib.unescape(_TAG.sub(" ", html)).split())


def sanitize(html: str) -> str:
    """Strip everything outside the allowlists from ``html`` and mark external links."""
    return _CLEANER.clean(html)


def safe_html(html: str) -> Markup:
    """Sanitise HTML computed from rendered fragments (such as a diff of two revisions) so
    that a template may show it: whatever put it together, it passes the same allowlists."""
    return Markup(sanitize(html))


def mark_missing_links(html: str, existing: Collection[str]) -> Markup:
    """Restyle wiki links whose target slug is not in ``existing`` as "create this page" links."""

    def restyle(match: re.Match[str]) -> str:
        tag, slug = match.group(0), match.group(1)
        if slug in existing:
            return tag
        title = html_lib.unescape(_attr(tag, "title") or slug)
        tag = tag.replace('class="wikilink"', 'class="wikilink missing"')
        href = f"{NEW_PAGE_PATH}?title={quote(title)}"
        tag = re.sub(r'href="[^"]*"', f'href="{html_lib.escape(href)}"', tag)
        return tag

    return Markup(_WIKILINK_ANCHOR.sub(restyle, html))


def allow_images_from(html: str, origins: Collection[str]) -> Markup:
    """Turn images on servers other than the wiki's and ``origins`` (``https://host[:port]``)
    into links: showing them would tell those servers who reads the page, and when (the
    Content-Security-Policy blocks them in the browser too)."""
    allowed = {origin.lower().rstrip("/") for origin in origins}

    def restrict(match: re.Match[str]) -> str:
        tag = match.group(0)
        src = html_lib.unescape(_attr(tag, "src") or "")
        url = urlsplit(f"https:{src}" if src.startswith("//") else src)
        if not url.netloc or f"{url.scheme.lower()}://{url.netloc.lower()}" in allowed:
            return tag
        label = html_lib.unescape(_attr(tag, "alt") or "") or url.netloc
        return (
            f'<a href="{html_lib.escape(src)}" class="external-image" rel="{EXTERNAL_REL}">'
            f"{html_lib.escape(f'Image: {label}')}</a>"
        )

    return Markup(_IMG_TAG.sub(restrict, html))


def for_assistive_tech(html: str) -> Markup:
    """Make stored revision HTML usable with a keyboard and a screen reader, as it is shown:
    each table sits in a box that scrolls sideways on a narrow screen (the table itself keeps
    its table semantics, which ``display: block`` would take away in some screen readers), and
    each task-list checkbox is named by its item's text.

    Done when a revision is shown, not when it is saved, so that revisions saved before this
    rule (their HTML is stored) get it too. Idempotent.
    """
    html = _BARE_TABLE.sub(r'<div class="table-scroll">\g<0>', str(html))
    html = _TABLE_END.sub(r"\g<0></div>", html)

    def name_checkbox(match: re.Match[str]) -> str:
        tag, text = match.group("tag"), match.group("text")
        label = " ".join(html_lib.unescape(_TAG.sub(" ", text)).split()) or "Task"
        return f'{tag[:-1]} aria-label="{html_lib.escape(label)}">{text}'

    return Markup(_TASK_CHECKBOX.sub(name_checkbox, html))


def wikilink_targets(html: str) -> list[str]:
    """Return the target slugs of the wiki links in rendered ``html``."""
    return list(dict.fromkeys(_WIKILINK_ANCHOR.findall(html)))


def highlight_css() -> str:
    """Return the Pygments stylesheet for highlighted code blocks, light and dark.

    The dark colours apply when the reader chose the dark theme (``data-theme="dark"`` on the
    root element) or when the system prefers dark and the reader did not choose light; the
    block's background stays the site's own (``--code-bg``).
    """
    light = _FORMATTER.get_style_defs(".highlight")
    explicit = _dark_highlight_rules(':root[data-theme="dark"] .highlight')
    system = _dark_highlight_rules(':root:not([data-theme="light"]) .highlight')
    return f"{light}\n{explicit}\n@media (prefers-color-scheme: dark) {{\n{system}\n}}\n"


def _dark_highlight_rules(prefix: str) -> str:
    # Token classes the dark style leaves alone take the text colour, not the light style's.
    rules = [f"{prefix} [class] {{ color: inherit; background: none }}"]
    rules += [
        line
        for line in _DARK_FORMATTER.get_style_defs(prefix).splitlines()
        if line.startswith(f"{prefix} .")
    ]
    return "\n".join(rules)


def _attr(tag: str, name: str) -> str | None:
    found = re.search(rf'\b{name}="([^"]*)"', tag)
    return found.group(1) if found else None


def _highlight(code: str, lang: str, _attrs: str) -> str:
    """Highlight a fenced block with Pygments; unknown languages fall back to plain code."""
    if not lang:
        return ""
    try:
        lexer = get_lexer_by_name(lang)
    except ClassNotFound:
        return ""
    lang_class = html_lib.escape(lang)
    body = highlight(code, lexer, _FORMATTER)
    return f'<pre class="highlight"><code class="language-{lang_class}">{body}</code></pre>\n'


def _filter_raw_html(content: str) -> str:
    """Keep the harmless raw tags of RAW_HTML_TAGS; turn every other tag into visible text."""

    def keep_or_escape(match: re.Match[str]) -> str:
        tag = match.group(0)
        safe = _SAFE_RAW_TAG.fullmatch(tag)
        if safe and safe.group("name").lower() in RAW_HTML_TAGS:
            if not safe.group("open") or safe.group("name").lower() == "details":
                return tag
        return html_lib.escape(tag, quote=False)

    return _RAW_TAG.sub(keep_or_escape, content)


def _render_raw_html(_renderer: Any, tokens: Sequence[Token], idx: int, *_args: Any) -> str:
    return _filter_raw_html(tokens[idx].content)


def _wikilink_rule(state: StateInline, silent: bool) -> bool:
    """Parse ``[[Page Title]]`` and ``[[Page Title|label]]`` into links to page slugs."""
    if not state.src.startswith("[[", state.pos):
        return False
    match = _WIKILINK.match(state.src, state.pos)
    if not match:
        return False
    title = match.group(1).strip()
    slug = slugify(title)
    if not slug:
        return False
    if not silent:
        opening = state.push("wikilink_open", "a", 1)
        opening.attrs = {
            "href": PAGE_PATH + slug,
            "class": "wikilink",
            "data-wikilink": slug,
            "title": title,
        }
        text = state.push("text", "", 0)
        text.content = (match.group(2) or title).strip()
        state.push("wikilink_close", "a", -1)
    state.pos = match.end()
    return True


def _mention_rule(state: StateInline, silent: bool) -> bool:
    """Parse ``@username`` (not inside a word or an email address) into a profile link."""
    if state.src[state.pos] != "@" or (
        state.pos > 0 and re.match(r"[\w@/]", state.src[state.pos - 1])
    ):
        return False
    match = _MENTION_AT.match(state.src, state.pos)
    if not match:
        return False
    if not silent:
        username = match.group(1).lower()
        opening = state.push("mention_open", "a", 1)
        opening.attrs = {"href": f"{USER_PATH}{username}", "class": "mention"}
        text = state.push("text", "", 0)
        text.content = match.group(0)
        state.push("mention_close", "a", -1)
    state.pos = match.end()
    return True


def _table_alignment_as_class(state: Any) -> None:
    """Replace the inline ``style`` markdown-it puts on aligned cells with a class."""
    for token in state.tokens:
        style = token.attrGet("style") if token.type in ("th_open", "td_open") else None
        if style:
            aligned = _ALIGN_STYLE.search(str(style))
            token.attrs.pop("style", None)
            if aligned:
                token.attrSet("class", f"align-{aligned.group(1)}")


def heading_id(text: str) -> str:
    """The anchor of a heading: its slug, never empty and never an id the page already uses
    (repeats are numbered by the anchors plugin)."""
    slug = slugify(text) or "section"
    if slug in PAGE_IDS or _FOOTNOTE_ID.fullmatch(slug):
        return f"{slug}-section"
    return slug


def _toc(tokens: Sequence[Token]) -> list[TocEntry]:
    entries = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.attrGet("id"):
            inline = tokens[index + 1]
            text = "".join(
                child.content
                for child in inline.children or []
                if child.type in ("text", "code_inline")
            )
            entries.append(
                TocEntry(level=int(token.tag[1]), id=str(token.attrGet("id")), text=text)
            )
    return entries


class _ExternalLinkFilter(Filter):
    """Add ``rel`` to links that leave the wiki."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for token in super().__iter__():
            if token["type"] == "StartTag" and token["name"] in ("a", "img"):
                attribute = "href" if token["name"] == "a" else "src"
                url = token["data"].get((None, attribute), "")
                scheme = _SCHEME.match(url)
                # bleach lets "tel:123"-like URLs through as paths; only allowlisted schemes stay.
                if scheme and scheme.group(1).lower() not in ALLOWED_PROTOCOLS:
                    token["data"].pop((None, attribute), None)
                elif (
                    token["name"] == "a"
                    and (scheme or url.startswith("//"))
                    and not url.lower().startswith("mailto:")
                ):
                    token["data"][(None, "rel")] = EXTERNAL_REL
                elif token["name"] == "a":
                    token["data"].pop((None, "rel"), None)
            yield token


def _allow_attribute(tag: str, name: str, value: str) -> bool:
    if tag == "input":
        # aria-label: the name for_assistive_tech gives a task-list checkbox, kept when a diff
        # of two shown revisions is sanitised (authors cannot write <input> themselves).
        return (name == "type" and value == "checkbox") or name in (
            "checked",
            "disabled",
            "class",
            "aria-label",
        )
    return name in ALLOWED_ATTRIBUTES.get(tag, ())


def _build_parser(*, mentions: bool = False) -> MarkdownIt:
    parser = MarkdownIt(
        "commonmark",
        # The preset's maxNesting of 20 silently drops deeper text; page size is capped instead.
        {"html": True, "linkify": False, "highlight": _highlight, "maxNesting": 100},
    )
    parser.use(gfm_plugin).use(anchors_plugin, min_level=1, max_level=4, slug_func=heading_id)
    parser.inline.ruler.before("link", "wikilink", _wikilink_rule)
    parser.core.ruler.push("table_alignment_as_class", _table_alignment_as_class)
    parser.add_render_rule("html_inline", _render_raw_html)
    parser.add_render_rule("html_block", _render_raw_html)
    if mentions:
        parser.inline.ruler.before("link", "mention", _mention_rule)
    return parser


_PARSER = _build_parser()
_COMMENT_PARSER = _build_parser(mentions=True)
_CLEANER = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=_allow_attribute,
    protocols=ALLOWED_PROTOCOLS,
    strip=False,
    strip_comments=True,
    filters=[partial(_ExternalLinkFilter)],
)


# -- sections (direct answers) ---------------------------------------------------------------

#: A heading with an anchor, as this module renders it.
_HEADING = re.compile(r'<h([1-4]) id="([^"]+)">(.*?)</h\1>', re.DOTALL)
#: Top-level blocks of rendered HTML: a run up to the end of a line that closes a block.
_BLOCK_END = re.compile(r"</(?:p|ul|ol|pre|table|blockquote|details|div)>\n?")


@dataclass(frozen=True)
class Section:
    """A heading of a rendered page and what stands under it up to the next heading."""

    level: int
    id: str
    heading: str
    html: str

    @property
    def text(self) -> str:
        """The section's readable text (without its heading)."""
        return plain_text(self.html)


def sections(html: str) -> list[Section]:
    """The sections of HTML this module rendered, in page order (text before the first heading
    belongs to none)."""
    html = str(html)
    found = list(_HEADING.finditer(html))
    return [
        Section(
            level=int(match.group(1)),
            id=html_lib.unescape(match.group(2)),
            heading=plain_text(match.group(3)),
            html=html[match.end() : found[number + 1].start() if number + 1 < len(found) else len(html)],
        )
        for number, match in enumerate(found)
    ]  # fmt: skip


def excerpt(html: str, *, characters: int = 320) -> Markup:
    """The first blocks of rendered HTML, up to about ``characters`` of text (at least one
    block), sanitised again so that every element the cut leaves open is closed."""
    kept: list[str] = []
    length = position = 0
    for end in _BLOCK_END.finditer(html):
        block = html[position : end.end()]
        position = end.end()
        if kept and length + len(plain_text(block)) > characters:
            break
        kept.append(block)
        length += len(plain_text(block))
        if length >= characters:
            break
    return Markup(sanitize("".join(kept) if kept else html[:characters]).strip())
