"""Rendering: an XSS regression corpus (add a case per bug) and the Markdown features."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import Markup

from app.render import (
    PAGE_IDS,
    TooComplex,
    allow_images_from,
    for_assistive_tech,
    highlight_css,
    mark_missing_links,
    mentioned_usernames,
    plain_text,
    render_comment,
    render_markdown,
    wikilink_targets,
)

# --- Reading rendered HTML the way a browser would -------------------------------------------

#: Elements that run code, load other documents, or submit data. None may ever be rendered.
DANGEROUS_TAGS = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "svg",
        "math", "form", "button", "textarea", "select", "meta", "base", "link", "template",
        "noscript", "xmp", "plaintext", "noembed", "portal",
    }
)  # fmt: skip
#: Attributes whose value is a URL the browser may follow or load.
URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "xlink:href", "poster", "background", "data", "cite"}
)
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")


class _Elements(HTMLParser):
    """Collect start tags (name, attributes with entities decoded) and comments."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def _elements(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser


def _tags(html: str, name: str) -> list[dict[str, str | None]]:
    """The attributes of every ``name`` element in ``html``."""
    return [attrs for tag, attrs in _elements(html).tags if tag == name]


def _url_scheme(value: str) -> str | None:
    """The scheme a browser would see: tabs/newlines removed, leading controls stripped."""
    cleaned = re.sub(r"[\t\n\r]", "", value).lstrip("".join(map(chr, range(33)))).lower()
    found = _SCHEME.match(cleaned)
    return found.group(1) if found else None


def _executable(html: str) -> list[str]:
    """Everything in ``html`` that could run script (escaped text like ``&lt;script&gt;`` is fine)."""
    parsed = _elements(html)
    problems = [f"comment <!--{comment}-->" for comment in parsed.comments]
    for tag, attrs in parsed.tags:
        if tag in DANGEROUS_TAGS:
            problems.append(f"<{tag}> element")
        if tag == "input" and attrs.get("type") != "checkbox":
            problems.append(f"<input> that is not a checkbox: {attrs}")
        for name, value in attrs.items():
            if name.startswith("on"):
                problems.append(f"event handler {name}= on <{tag}>")
            if name in ("style", "srcdoc", "formaction"):
                problems.append(f"{name}= on <{tag}>")
            if name in URL_ATTRIBUTES and value is not None:
                scheme = _url_scheme(value)
                if scheme is not None and scheme not in SAFE_SCHEMES:
                    problems.append(f"{scheme}: URL in {name}= on <{tag}>")
    return problems


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        '<a href=" JaVaScRiPt:alert(1)">x</a>',
        '<img src="data:image/svg+xml,x">',
        '<p style="color:red">x</p>',
        "<svg></svg>",
        '<input type="text">',
        "<!-- comment -->",
    ],
)
def test_checker_finds_executable_markup(html: str) -> None:
    assert _executable(html) != []


@pytest.mark.parametrize(
    "html",
    [
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
        '<p>&lt;img src=x onerror="alert(1)"&gt;</p>',
        '<a href="/" title="a&quot; onmouseover=&quot;alert(1)">x</a>',
        '<a href="https://ok.example" rel="nofollow noopener">x</a>',
        '<a href="mailto:a@b.example">x</a>',
        '<input class="task-list-item-checkbox" disabled type="checkbox">',
    ],
)
def test_checker_accepts_harmless_markup(html: str) -> None:
    assert _executable(html) == []


# --- XSS regression corpus ---------------------------------------------------------------------

XSS = {
    "script": "<script>alert(1)</script>",
    "script-uppercase-src": "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "script-split-over-lines": "<script\n>alert(1)</script\n>",
    "script-nested-in-name": "<scr<script>ipt>alert(1)</script>",
    "script-double-open": "<<script>alert(1)//<</script>",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "img-onerror-quoted": '<img src=x onerror="alert(1)">',
    "img-onerror-over-lines": "<img\nsrc=x\nonerror=alert(1)>",
    "a-onclick": '<a href="#" onclick="alert(1)">x</a>',
    "a-onclick-no-href": "<a onclick=alert(1)>x</a>",
    "raw-a-href-javascript": '<a href="javascript:alert(1)">x</a>',
    "raw-a-href-entity": '<a href="&#106;avascript:alert(1)">x</a>',
    "raw-a-href-https": '<a href="https://ok.example">raw</a>',
    "raw-a-href-unquoted": "<a href=/wiki/x>y</a>",
    "link-javascript": "[click](javascript:alert(1))",
    "link-javascript-case": "[click](JaVaScRiPt:alert(1))",
    "link-javascript-tab": "[click](jav\tascript:alert(1))",
    "link-javascript-tab-entity": "[click](jav&#x09;ascript:alert(1))",
    "link-javascript-newline": "[click](jav\nascript:alert(1))",
    "link-javascript-angle-newline": "[click](<java\nscript:alert(1)>)",
    "link-javascript-angle-tab": "[click](<jav\tascript:alert(1)>)",
    "link-javascript-entity-dec": "[click](&#106;avascript:alert(1))",
    "link-javascript-entity-hex": "[click](&#x6A;avascript:alert(1))",
    "link-javascript-entity-no-semicolon": "[click](&#106avascript:alert(1))",
    "link-javascript-colon-entity": "[click](javascript&colon;alert(1))",
    "link-javascript-colon-numeric": "[click](javascript&#58;alert(1))",
    "link-javascript-leading-space-entity": "[click](&#x20;javascript:alert(1))",
    "link-javascript-control-char": "[click](\x01javascript:alert(1))",
    "link-javascript-nul": "[click](java\x00script:alert(1))",
    "link-javascript-percent": "[click](%6Aavascript:alert(1))",
    "link-reference-javascript": "[a]: javascript:alert(1)\n\n[x][a]",
    "link-reference-angle-javascript": "[a]: <javascript:alert(1)>\n\n[a]",
    "image-javascript": "![img](javascript:alert(1))",
    "image-javascript-tab": "![img](jav\tascript:alert(1))",
    "autolink-javascript": "<javascript:alert(1)>",
    "autolink-javascript-case": "<JaVaScRiPt:alert(1)>",
    "bare-javascript": "javascript:alert(1)",
    "link-data-html": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "link-data-html-inline": "[x](data:text/html,<script>alert(1)</script>)",
    "image-data-svg": "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    "image-data-svg-inline": "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    "image-data-png": "![x](data:image/png;base64,AAAA)",
    "reference-data": "[a]: data:text/html,x\n\n[a]",
    "autolink-data": "<data:text/html,x>",
    "link-vbscript": "[x](vbscript:msgbox(1))",
    "reference-vbscript": "[a]: VBScript:msgbox\n\n[a]",
    "autolink-vbscript": "<vbscript:msgbox(1)>",
    "style-attribute-div": '<div style="background:url(javascript:alert(1))">x</div>',
    "style-attribute-p": '<p style="color:red">styled</p>',
    "style-attribute-span": "<span style=color:red>x</span>",
    "style-element": "<style>body{display:none}</style>",
    "iframe": "<iframe src=//evil.example></iframe>",
    "iframe-srcdoc": "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    "object-embed": "<object data=x></object><embed src=x>",
    "object-inline": "text <object data=x.swf></object>",
    "svg-onload": "<svg onload=alert(1)><circle /></svg>",
    "svg-script": "<svg><script>alert(1)</script></svg>",
    "math-xlink": '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "math-href": "<math href=javascript:alert(1)>x</math>",
    "math-mutation": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "details-open-onclick": "<details open onclick=alert(1)><summary>x</summary></details>",
    "details-open-ontoggle": "<details open ontoggle=alert(1)>x</details>",
    "kbd-onclick": "<kbd onclick=alert(1)>K</kbd>",
    "kbd-slash-onclick": "<kbd/onclick=alert(1)>x</kbd>",
    "sub-onclick-over-lines": "<sub\nonclick=alert(1)>x</sub>",
    "br-onclick": "<br onclick=alert(1)>",
    "title-escaped-double-quote": '[x](/ "a\\" onmouseover=\\"alert(1)")',
    "title-escaped-double-quote-external": '[x](https://ok.example "t\\" onmouseover=\\"alert(1)")',
    "title-single-quote": "[x](/ 'a\\' onmouseover=alert(1)')",
    "title-parens": '[x](/ (a" onmouseover="alert(1)))',
    "title-unescaped-quotes": '[x](/ "a" onmouseover="alert(1)")',
    "image-title": '![x](/x.png "t\\" onerror=\\"alert(1)")',
    "image-alt-markup": "![<img src=x onerror=alert(1)>](/x.png)",
    "link-text-markup": "[<img src=x onerror=alert(1)>](/x)",
    "comment": "<!-- <script>alert(1)</script> -->",
    "comment-multiline": "<!--\n<script>alert(1)</script>\n-->",
    "comment-inline": "text <!--x--> more",
    "cdata": "<![CDATA[<script>alert(1)</script>]]>",
    "processing-instruction": "<?php echo 1; ?>",
    "unclosed-markup": "<a href=https://ok.example>unclosed <b>bold",
    "unclosed-safe-tags": "<sup>a<sub>b<kbd>c",
    "nested-markup": "<div><div><div><b>unclosed",
    "markup-in-strong": "**<img src=x onerror=alert(1)>**",
    "markup-in-blockquote": "> <script>alert(1)</script>",
    "markup-in-list": "- <svg onload=alert(1)>",
    "markup-in-table": "| <img src=x onerror=alert(1)> |\n|---|\n| x |",
    "form": "<form action=//evil.example><input name=q></form>",
    "meta-refresh": "<meta http-equiv=refresh content='0;url=//evil.example'>",
    "base": "<base href=//evil.example/>",
    "wikilink-script": "[[<script>alert(1)</script>]]",
    "wikilink-label-img": "[[Title|<img src=x onerror=alert(1)>]]",
    "wikilink-quote": '[[a" onmouseover="alert(1)]]',
    "wikilink-then-script": "[[x]]<script>",
    "mention-script": "@<script>alert(1)</script>",
    "mention-quote": '@a" onmouseover="alert(1)',
    "fenced-html": "```html\n<script>alert(1)</script>\n```",
    "fenced-info-string": '```"><script>alert(1)</script>\nx\n```',
    "fenced-info-attribute": "```py onclick=alert(1)\nx = 1\n```",
    "code-span": "`<script>alert(1)</script>`",
}


@pytest.mark.parametrize("source", list(XSS.values()), ids=list(XSS))
def test_page_renders_nothing_executable(source: str) -> None:
    html = str(render_markdown(source).html)
    assert _executable(html) == [], html


@pytest.mark.parametrize("source", list(XSS.values()), ids=list(XSS))
def test_comment_renders_nothing_executable(source: str) -> None:
    html = str(render_comment(source))
    assert _executable(html) == [], html


@pytest.mark.parametrize(
    ("source", "visible"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ('<a href="https://ok.example">raw</a>', '&lt;a href="https://ok.example"&gt;raw'),
        ("<details open onclick=alert(1)>x", "&lt;details open onclick=alert(1)&gt;"),
        ("<!-- a note -->", "&lt;!-- a note --&gt;"),
        ("<iframe src=//evil.example></iframe>", "&lt;iframe src=//evil.example&gt;"),
    ],
)
def test_raw_html_is_shown_as_text(source: str, visible: str) -> None:
    assert visible in str(render_markdown(source).html)


@pytest.mark.parametrize(
    "source",
    ["[click](javascript:alert(1))", "[click](&#106;avascript:alert(1))", "<javascript:alert(1)>"],
)
def test_javascript_link_is_not_a_link(source: str) -> None:
    assert _tags(str(render_markdown(source).html), "a") == []


def test_malicious_link_title_stays_inside_the_title() -> None:
    html = str(render_markdown('[x](/ "a\\" onmouseover=\\"alert(1)")').html)
    assert _tags(html, "a") == [{"href": "/", "title": 'a" onmouseover="alert(1)'}]


# --- Markdown features -------------------------------------------------------------------------


def test_rendered_html_is_markup_ready_for_templates() -> None:
    assert isinstance(render_markdown("*x*").html, Markup)
    assert isinstance(render_comment("*x*"), Markup)


@pytest.mark.parametrize(
    ("delimiter", "css_class"),
    [(":--", "align-left"), (":-:", "align-center"), ("--:", "align-right")],
)
def test_table_alignment_becomes_a_class_not_a_style(delimiter: str, css_class: str) -> None:
    html = str(render_markdown(f"| a | b |\n|{delimiter}|---|\n| 1 | 2 |\n").html)
    assert f'<th class="{css_class}">a</th>' in html
    assert f'<td class="{css_class}">1</td>' in html
    assert "<th>b</th>" in html and "<td>2</td>" in html
    assert "style" not in html


def test_strikethrough_renders_as_s() -> None:
    assert "<p><s>old</s> new</p>" in str(render_markdown("~~old~~ new").html)


def test_task_list_items_are_disabled_checkboxes() -> None:
    html = str(render_markdown("- [ ] todo\n- [x] done\n").html)
    boxes = _tags(html, "input")
    assert [box.get("type") for box in boxes] == ["checkbox", "checkbox"]
    assert all("disabled" in box for box in boxes)
    assert ["checked" in box for box in boxes] == [False, True]
    assert "todo</li>" in html and "done</li>" in html


def test_task_list_checkboxes_are_named_by_their_item_when_shown() -> None:
    html = for_assistive_tech(
        str(
            render_markdown(
                "- [ ] Tell **support**\n- [x] Tag\n  - [ ] Push\n\n1. [ ] Loose\n\n2. [x] Too\n"
            ).html
        )
    )
    names = [box.get("aria-label") for box in _tags(html, "input")]
    assert names == ["Tell support", "Tag", "Push", "Loose", "Too"]


@pytest.mark.parametrize(
    "item",
    ['"><script>alert(1)</script>', '" onmouseover="alert(1)', "<img src=x onerror=alert(1)>"],
)
def test_a_task_name_cannot_break_out_of_its_attribute(item: str) -> None:
    html = for_assistive_tech(str(render_markdown(f"- [ ] {item}\n").html))
    assert _executable(html) == []
    assert len(_tags(html, "input")) == 1


def test_tables_are_shown_in_a_box_that_scrolls_and_stay_tables() -> None:
    html = for_assistive_tech(str(render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n").html))
    assert html.startswith('<div class="table-scroll"><table>')
    assert html.rstrip().endswith("</table></div>")
    assert for_assistive_tech(html) == html  # shown twice, wrapped once


def test_code_highlighting_has_dark_colours_for_the_dark_theme() -> None:
    css = highlight_css()
    assert ".highlight .k {" in css  # the light theme's keywords
    assert ':root[data-theme="dark"] .highlight .k {' in css  # chosen with the toggle
    assert "@media (prefers-color-scheme: dark)" in css  # and the system's choice
    assert ':root:not([data-theme="light"]) .highlight .k {' in css


def test_footnotes_link_to_their_notes_and_back() -> None:
    html = str(render_markdown("Claim[^1].\n\n[^1]: the *source*\n").html)
    assert '<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup>' in html
    assert '<li id="fn1" class="footnote-item"><p>the <em>source</em>' in html
    assert '<a href="#fnref1" class="footnote-backref">' in html


@pytest.mark.parametrize(
    ("source", "href", "text"),
    [
        ("see https://example.com today", "https://example.com", "https://example.com"),
        ("x https://ok.example/p?a=1&b=2 y", "https://ok.example/p?a=1&b=2", None),
        ("<https://ok.example>", "https://ok.example", "https://ok.example"),
        ("visit www.example.com", "http://www.example.com", "www.example.com"),
        ("mail a@b.example", "mailto:a@b.example", "a@b.example"),
    ],
)
def test_autolinks_become_links(source: str, href: str, text: str | None) -> None:
    html = str(render_markdown(source).html)
    assert [link["href"] for link in _tags(html, "a")] == [href]
    if text is not None:
        assert f">{text}</a>" in html


def test_headings_get_ids_and_table_of_contents_entries() -> None:
    rendered = render_markdown(
        "# Title\n\n## Step *one* & `two`\n\n### Détails\n\n#### See [[Other Page]]\n"
    )
    assert [(entry.level, entry.id, entry.text) for entry in rendered.toc] == [
        (1, "title", "Title"),
        (2, "step-one-two", "Step one & two"),
        (3, "details", "Détails"),
        (4, "see-other-page", "See Other Page"),
    ]
    html = str(rendered.html)
    assert '<h1 id="title">Title</h1>' in html
    assert '<h2 id="step-one-two">' in html
    assert '<h3 id="details">' in html


def test_repeated_headings_get_distinct_ids() -> None:
    rendered = render_markdown("## Notes\n\n## Notes\n")
    assert [entry.id for entry in rendered.toc] == ["notes", "notes-1"]
    assert '<h2 id="notes-1">Notes</h2>' in str(rendered.html)


def test_heading_ids_are_never_empty_and_never_clash_with_the_page() -> None:
    rendered = render_markdown("# !!!\n\n## Comments\n\n## Preview\n\n## fn1\n\n## !!!\n")
    assert [entry.id for entry in rendered.toc] == [
        "section", "comments-section", "preview-section", "fn1-section", "section-1",
    ]  # fmt: skip


def test_page_ids_list_every_id_the_templates_use() -> None:
    templates = Path(__file__).resolve().parents[2] / "templates"
    used = {
        match
        for path in templates.rglob("*.html")
        for match in re.findall(r'\bid="([a-z0-9_-]+)"', path.read_text())
    }
    assert used <= PAGE_IDS


def test_headings_below_level_four_are_left_out_of_the_table_of_contents() -> None:
    rendered = render_markdown("##### Five\n\n###### Six\n")
    assert rendered.toc == []
    assert "<h5>Five</h5>" in str(rendered.html)


def test_fenced_code_is_highlighted_by_pygments() -> None:
    html = str(render_markdown("```python\ndef f(): pass\n```\n").html)
    assert html.startswith('<pre class="highlight"><code class="language-python">')
    assert '<span class="k">def</span>' in html
    assert '<span class="nf">f</span>' in html


def test_highlighted_code_escapes_markup() -> None:
    html = str(render_markdown("```html\n<b>x</b>\n```\n").html)
    assert '<pre class="highlight">' in html
    assert "<b>" not in html and "&lt;" in html


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("```nolang\na < b & c\n```\n", '<pre><code class="language-nolang">a &lt; b &amp; c\n'),
        ("```\nplain <b>\n```\n", "<pre><code>plain &lt;b&gt;\n</code></pre>"),
    ],
)
def test_code_without_a_known_language_is_escaped_plain_code(source: str, expected: str) -> None:
    html = str(render_markdown(source).html)
    assert expected in html
    assert "<span" not in html and "highlight" not in html


def test_wiki_link_points_to_the_page_slug() -> None:
    html = str(render_markdown("See [[Expense Policy]].").html)
    assert _tags(html, "a") == [
        {
            "href": "/wiki/expense-policy",
            "class": "wikilink",
            "data-wikilink": "expense-policy",
            "title": "Expense Policy",
        }
    ]
    assert ">Expense Policy</a>" in html


def test_wiki_link_with_label_shows_the_label() -> None:
    html = str(render_markdown("[[Expense Policy|the policy]]").html)
    assert (
        '<a href="/wiki/expense-policy" class="wikilink" data-wikilink="expense-policy"'
        ' title="Expense Policy">the policy</a>'
    ) in html


def test_wiki_link_slug_is_ascii_when_the_title_is_not() -> None:
    rendered = render_markdown("[[Über Straße]]")
    assert wikilink_targets(str(rendered.html)) == ["uber-strasse"]
    assert 'href="/wiki/uber-strasse"' in str(rendered.html)


def test_links_are_listed_in_order_of_first_appearance_without_repeats() -> None:
    rendered = render_markdown(
        "[[Travel]] then [[Expense Policy|policy]], [[travel]], [[Expense Policy]]"
    )
    assert wikilink_targets(str(rendered.html)) == ["travel", "expense-policy"]


def test_wiki_links_are_found_in_tables_headings_quotes_and_footnotes() -> None:
    source = (
        "# [[Heading]]\n\n| [[Cell]] |\n|---|\n| x |\n\n> [[Quote]]\n\nx[^1]\n\n[^1]: [[Note]]\n"
    )
    assert wikilink_targets(str(render_markdown(source).html)) == [
        "heading",
        "cell",
        "quote",
        "note",
    ]


@pytest.mark.parametrize("source", ["`[[Code]]`", "```\n[[Code]]\n```", "[[!!!]]", "[[]]"])
def test_wiki_link_syntax_is_left_as_text_when_it_is_not_a_link(source: str) -> None:
    rendered = render_markdown(source)
    assert wikilink_targets(str(rendered.html)) == []
    assert "wikilink" not in str(rendered.html)
    assert "[[" in str(rendered.html)


def test_missing_wiki_link_offers_to_create_the_page() -> None:
    html = str(render_markdown("[[Exists]] and [[Not Yet Written|later]]").html)
    marked = str(mark_missing_links(html, {"exists"}))
    assert (
        '<a href="/wiki/exists" class="wikilink" data-wikilink="exists" title="Exists">Exists</a>'
        in marked
    )
    assert (
        '<a href="/new?title=Not%20Yet%20Written" class="wikilink missing"'
        ' data-wikilink="not-yet-written" title="Not Yet Written">later</a>'
    ) in marked


@pytest.mark.parametrize(
    ("title", "query"),
    [
        ("Fish & Chips", "Fish%20%26%20Chips"),
        ('Say "hi"', "Say%20%22hi%22"),
        ("A+B", "A%2BB"),
        ("50% off", "50%25%20off"),
        ("Q? #1", "Q%3F%20%231"),
        ("Über Straße", "%C3%9Cber%20Stra%C3%9Fe"),
    ],
)
def test_missing_wiki_link_title_is_url_encoded(title: str, query: str) -> None:
    marked = str(mark_missing_links(str(render_markdown(f"[[{title}]]").html), set()))
    assert [link["href"] for link in _tags(marked, "a")] == [f"/new?title={query}"]


def test_existing_wiki_links_and_ordinary_links_are_unchanged() -> None:
    html = str(render_markdown("[[Exists]] [plain](/wiki/nowhere) [out](https://x.example)").html)
    assert str(mark_missing_links(html, {"exists"})) == html


@pytest.mark.parametrize(
    ("source", "kept"),
    [
        ("<kbd>Ctrl</kbd>+<kbd>K</kbd>", "<kbd>Ctrl</kbd>+<kbd>K</kbd>"),
        ("H<sub>2</sub>O", "H<sub>2</sub>O"),
        ("x<sup>2</sup>", "x<sup>2</sup>"),
        ("a<br>b<br/>c", "a<br>b<br>c"),
        ("<mark>hot</mark> <abbr>HTML</abbr>", "<mark>hot</mark> <abbr>HTML</abbr>"),
        (
            "<details>\n<summary>More</summary>\n\nHidden\n</details>",
            "<details>\n<summary>More</summary>\n<p>Hidden</p>\n</details>",
        ),
        ("<details open>\n<summary>S</summary>\n</details>", "<details open>"),
    ],
)
def test_safe_inline_html_is_kept(source: str, kept: str) -> None:
    assert kept in str(render_markdown(source).html)


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("<div>block</div>", "&lt;div&gt;block&lt;/div&gt;"),
        ("<span class=x>span</span>", "&lt;span class=x&gt;span&lt;/span&gt;"),
        ("<kbd class=x>k</kbd>", "&lt;kbd class=x&gt;k"),
        ("<b>bold</b> <ins>i</ins>", "&lt;b&gt;bold&lt;/b&gt; &lt;ins&gt;i&lt;/ins&gt;"),
        ("<img src=/x.png>", "&lt;img src=/x.png&gt;"),
        ("<kbd open>k</kbd>", "&lt;kbd open&gt;k"),
        ('<details open="open">x</details>', '&lt;details open="open"&gt;x'),
    ],
)
def test_other_raw_html_is_escaped_text(source: str, shown: str) -> None:
    html = str(render_markdown(source).html)
    assert shown in html
    assert not any(tag in ("div", "span", "b", "ins", "img") for tag, _ in _elements(html).tags)
    assert _tags(html, "kbd") == [] and _tags(html, "details") == []


@pytest.mark.parametrize(
    ("href", "rel"),
    [
        ("https://x.example", "nofollow noopener"),
        ("http://x.example/page", "nofollow noopener"),
        ("//x.example", "nofollow noopener"),
        ("/wiki/x", None),
        ("page", None),
        ("#section", None),
        ("?q=1", None),
        ("mailto:a@b.example", None),
    ],
)
def test_only_external_links_get_rel(href: str, rel: str | None) -> None:
    html = str(render_markdown(f"[a]({href})").html)
    assert _tags(html, "a") == [{"href": href} | ({"rel": rel} if rel else {})]


@pytest.mark.parametrize("source", ["[a](HTTPS://x.example)", "<Http://x.example>"])
def test_external_link_gets_rel_when_scheme_is_uppercase(source: str) -> None:
    links = _tags(str(render_markdown(source).html), "a")
    assert [link.get("rel") for link in links] == ["nofollow noopener"]


@pytest.mark.parametrize("href", ["ftp://x.example/file", "foo:bar", "irc://x.example"])
def test_link_with_a_scheme_outside_the_allowlist_loses_its_href(href: str) -> None:
    html = str(render_markdown(f"[a]({href})").html)
    assert _tags(html, "a") == [{}]


@pytest.mark.parametrize("href", ["tel:123", "sms:123", "intent:1", "ms-settings:1"])
def test_link_with_a_scheme_outside_the_allowlist_loses_its_href_when_rest_is_digits(
    href: str,
) -> None:
    html = str(render_markdown(f"[a]({href})").html)
    assert _tags(html, "a") == [{}]


@pytest.mark.parametrize(
    "source",
    [
        "{{ 7*7 }}",
        "{% raw %}x{% endraw %}",
        "{% if true %}yes{% endif %}",
        "{{ config.items() }}",
        "${name} #{name} %(name)s",
    ],
)
def test_page_text_is_never_evaluated_as_a_template(source: str) -> None:
    html = str(render_markdown(source).html)
    assert html == f"<p>{source}</p>\n"


@pytest.mark.parametrize(
    ("source", "survives"),
    [
        ("```\nunclosed fence", "<pre><code>unclosed fence</code></pre>"),
        ("```python\nunclosed = True", "unclosed"),
        ("> " * 500 + "deep", "<blockquote>"),
        ("- " * 500 + "list", "<ul>"),
        ("1. " * 500 + "list", "<ol>"),
        ("x" * 200_000, "x" * 200_000),
        ("[" * 3000, "[" * 3000),
        ("[[" * 1500, "[[" * 1500),
        ("<" * 5000, "&lt;" * 5000),
        ("<kbd>" * 2000 + "k", "k"),
        ("[x](" * 3000, "[x]("),
        ("*a " * 5000, "*a"),
        ("| a |\n|" + "---|" * 500, "a"),
        ("<sup>a<sub>b", "<sup>a<sub>b</sub></sup>"),
    ],
    ids=[
        "unclosed-fence",
        "unclosed-highlighted-fence",
        "quotes-500-deep",
        "bullets-500-deep",
        "ordered-500-deep",
        "huge-line",
        "brackets",
        "wikilink-openers",
        "angle-brackets",
        "kbd-openers",
        "link-openers",
        "emphasis-openers",
        "wide-table-delimiter",
        "unclosed-inline-tags",
    ],
)
def test_malformed_or_huge_markdown_renders(source: str, survives: str) -> None:
    html = str(render_markdown(source).html)
    assert survives in html
    assert _executable(html) == []


@pytest.mark.parametrize(
    ("source", "limit"),
    [
        ("[" * 190_000, "[; at most 3,000"),
        ("_a" * 30_000, "* and _; at most 20,000"),
        ("|x|y|\n" * 2_000, "|; at most 4,000"),
        ("&" * 9_000, "< and &; at most 8,000"),
        ("\n\n".join(["Plain words."] * 3_000), "formatted elements"),
    ],
    ids=["brackets", "emphasis", "table-rows", "entities", "paragraphs"],
)
def test_text_too_complex_to_render_quickly_is_refused_naming_the_limit(
    source: str, limit: str
) -> None:
    with pytest.raises(TooComplex, match=re.escape(limit)):
        render_markdown(source)


@pytest.mark.parametrize(
    "source",
    ["> " * 25 + "deep", "\n".join("  " * level + f"- item{level}" for level in range(12))],
    ids=["quotes-25-deep", "list-12-deep"],
)
def test_deeply_nested_text_is_still_shown(source: str) -> None:
    last_words = source.rsplit(maxsplit=1)[-1]
    assert last_words in plain_text(str(render_markdown(source).html))


def test_comments_link_mentions_but_not_emails() -> None:
    html = str(render_comment("Ask @Hana or mail me@example.com"))
    assert '<a href="/users/hana" class="mention">@Hana</a>' in html
    assert 'href="mailto:me@example.com"' in html
    assert "/users/example" not in html


def test_mentioned_usernames_are_lowercase_in_order_without_repeats() -> None:
    assert mentioned_usernames("@hana @Hana and @fatima, not x@y.z") == ["hana", "fatima"]


def test_page_bodies_do_not_link_mentions() -> None:
    assert "mention" not in str(render_markdown("Ask @hana").html)


def test_plain_text_drops_markup_for_search() -> None:
    html = str(render_markdown("# Title\n\nHello *world* &amp; <kbd>x</kbd>\n").html)
    assert plain_text(html) == "Title Hello world & x"


# --- Images only from the wiki and IMAGE_HOSTS ---------------------------------------------------

ORIGINS = ("https://images.example.com", "http://intranet.example:8080")


@pytest.mark.parametrize(
    "source",
    [
        "![chart](/static/chart.png)",
        "![chart](https://images.example.com/chart.png)",
        "![chart](HTTPS://Images.Example.com/chart.png)",
        "![chart](http://intranet.example:8080/chart.png)",
    ],
)
def test_images_from_the_wiki_and_its_image_hosts_are_shown(source: str) -> None:
    html = str(allow_images_from(render_markdown(source).html, ORIGINS))
    assert "<img " in html and "external-image" not in html


@pytest.mark.parametrize(
    ("source", "href", "label"),
    [
        ("![chart](https://tracker.example/pixel.png)", "https://tracker.example/pixel.png", "chart"),
        ("![](//tracker.example/p.png)", "//tracker.example/p.png", "tracker.example"),
        ("![x](http://images.example.com/chart.png)", "http://images.example.com/chart.png", "x"),
        ("![x](http://intranet.example/chart.png)", "http://intranet.example/chart.png", "x"),
        ('![a "b" <i>c</i>](https://t.example/q.png?a=1&b=2)', "https://t.example/q.png?a=1&amp;b=2",
         "a &quot;b&quot; &lt;i&gt;c&lt;/i&gt;"),
    ],
)  # fmt: skip
def test_images_from_other_servers_become_links(source: str, href: str, label: str) -> None:
    html = str(allow_images_from(render_markdown(source).html, ORIGINS))
    assert "<img" not in html
    assert (
        f'<a href="{href}" class="external-image" rel="nofollow noopener">Image: {label}</a>'
        in html
    )
    assert _executable(html) == [], html


@pytest.mark.parametrize(
    "html",
    [
        "<p><ins onmouseover=alert(1)>x</ins></p><script>alert(1)</script>",
        '<p><del style="background:url(javascript:alert(1))">x</del></p>',
        '<a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)>',
    ],
)
def test_safe_html_sanitises_computed_fragments(html: str) -> None:
    """A rendered diff is rebuilt HTML: it passes the same allowlists as a rendered page."""
    from app.render import safe_html

    out = str(safe_html(html))
    assert "<script" not in out and "onmouseover" not in out and "onerror" not in out
    assert "style=" not in out and 'href="javascript' not in out
