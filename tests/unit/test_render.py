"""Rendering: Markdown features, wiki links, and an XSS regression corpus (add a case per bug)."""

from __future__ import annotations

import re

import pytest

from app.render import (
    mark_missing_links,
    mentioned_usernames,
    plain_text,
    render_comment,
    render_markdown,
)

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    '<a href="#" onclick="alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](jav\tascript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](javascript&colon;alert(1))",
    "![img](javascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    "[x](vbscript:msgbox(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="color:red">styled</p>',
    "<iframe src=//evil.example></iframe>",
    "<object data=x></object><embed src=x>",
    "<svg onload=alert(1)><circle /></svg>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<details open ontoggle=alert(1)><summary>x</summary></details>",
    "<kbd onclick=alert(1)>K</kbd>",
    '[x](/ "a\\" onmouseover=\\"alert(1)")',
    '[x](https://ok.example "title\\" onmouseover=\\"alert(1)")',
    "<!-- <script>alert(1)</script> -->",
    "<<script>alert(1)//<</script>",
    "<a href=https://ok.example>unclosed <b>bold",
    "<form action=//evil.example><input name=q></form>",
    "<meta http-equiv=refresh content='0;url=//evil.example'>",
    "<base href=//evil.example/>",
    "<style>body{display:none}</style>",
    "[[<script>alert(1)</script>]]",
    "[[Title|<img src=x onerror=alert(1)>]]",
    "```html\n<script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
]


def _dangerous(html: str) -> list[str]:
    """Problems in real tags (escaped text such as ``&lt;script&gt;`` is harmless)."""
    problems = []
    for tag in re.findall(r"<[a-zA-Z][^>]*>", html):
        name = re.match(r"<([a-zA-Z0-9]+)", tag).group(1).lower()  # type: ignore[union-attr]
        if name in {
            "script",
            "iframe",
            "object",
            "embed",
            "svg",
            "math",
            "form",
            "meta",
            "base",
            "style",
        }:
            problems.append(f"dangerous tag {tag}")
        if name == "input" and 'type="checkbox"' not in tag:
            problems.append(f"input {tag}")
        attributes_only = re.sub(r'"[^"]*"', '""', tag)  # quoted values cannot add attributes
        if re.search(r"\son\w+\s*=", attributes_only, re.I):
            problems.append(f"event handler {tag}")
        if re.search(r"(href|src)\s*=\s*\"?\s*(javascript|vbscript|data):", tag, re.I):
            problems.append(f"dangerous URL {tag}")
        if re.search(r"\sstyle\s*=", attributes_only, re.I):
            problems.append(f"style attribute {tag}")
    return problems


@pytest.mark.parametrize("source", XSS)
def test_xss_corpus_renders_nothing_executable(source: str) -> None:
    for html in (str(render_markdown(source).html), str(render_comment(source))):
        assert _dangerous(html) == [], html


def test_tables_strikethrough_tasks_footnotes_autolinks() -> None:
    html = str(render_markdown(
        "| a | b |\n|--:|:-:|\n| 1 | 2 |\n\n~~old~~\n\n- [ ] todo\n- [x] done\n\nNote[^1] https://example.com\n\n[^1]: the note\n"
    ).html)  # fmt: skip
    assert '<th class="align-right">a</th>' in html and "style" not in html
    assert "<s>old</s>" in html
    assert html.count('type="checkbox"') == 2 and "disabled" in html and "checked" in html
    assert 'class="footnote-ref"' in html and "the note" in html
    assert '<a href="https://example.com" rel="nofollow noopener">https://example.com</a>' in html


def test_headings_get_anchors_and_table_of_contents() -> None:
    rendered = render_markdown("# Title\n\n## Step *one*\n\n### Détails\n")
    assert [(e.level, e.id, e.text) for e in rendered.toc] == [
        (1, "title", "Title"),
        (2, "step-one", "Step one"),
        (3, "details", "Détails"),
    ]
    assert '<h2 id="step-one">' in str(rendered.html)


def test_fenced_code_is_highlighted_and_unknown_languages_are_plain() -> None:
    html = str(render_markdown("```python\ndef f(): pass\n```\n\n```nolang\na < b\n```\n").html)
    assert '<pre class="highlight"><code class="language-python"><span class="k">def</span>' in html
    assert '<code class="language-nolang">a &lt; b' in html


def test_wiki_links_and_labels() -> None:
    rendered = render_markdown(
        "See [[Expense Policy]], [[Expense Policy|the policy]] and [[Travel]]."
    )
    html = str(rendered.html)
    assert (
        '<a href="/wiki/expense-policy" class="wikilink" data-wikilink="expense-policy" title="Expense Policy">Expense Policy</a>'
        in html
    )
    assert ">the policy</a>" in html
    assert rendered.links == ["expense-policy", "travel"]


def test_missing_links_offer_to_create_the_page() -> None:
    html = str(render_markdown("[[Exists]] and [[Not Yet Written]]").html)
    marked = str(mark_missing_links(html, {"exists"}))
    assert 'href="/wiki/exists" class="wikilink"' in marked
    assert 'href="/new?title=Not%20Yet%20Written" class="wikilink missing"' in marked


def test_safe_inline_html_subset_is_kept_and_the_rest_shown_as_text() -> None:
    html = str(
        render_markdown(
            "<kbd>Ctrl</kbd>+<kbd>K</kbd> H<sub>2</sub>O x<sup>2</sup><br>\n\n<details>\n<summary>More</summary>\n\nHidden\n</details>\n\n<span class=x>span</span> <div>div</div>"
        ).html
    )
    for kept in (
        "<kbd>Ctrl</kbd>",
        "<sub>2</sub>",
        "<sup>2</sup>",
        "<br>",
        "<details>",
        "<summary>More</summary>",
    ):
        assert kept in html
    assert "&lt;span class=x&gt;" in html and "&lt;div&gt;" in html


def test_links_rel_and_protocols() -> None:
    html = str(
        render_markdown(
            "[a](https://x.example) [b](/wiki/x) [c](mailto:a@b.example) [d](ftp://x)"
        ).html
    )
    assert '<a href="https://x.example" rel="nofollow noopener">a</a>' in html
    assert '<a href="/wiki/x">b</a>' in html
    assert '<a href="mailto:a@b.example">c</a>' in html
    assert "ftp://" not in re.findall(r'href="([^"]*)"', html)


def test_page_text_is_never_a_template() -> None:
    html = str(render_markdown("{{ 7*7 }} {% if true %}x{% endif %}").html)
    assert "{{ 7*7 }}" in html and "{% if true %}" in html


@pytest.mark.parametrize(
    "source",
    [
        "```\nunclosed fence",
        "> " * 500 + "deep",
        "- " * 300 + "list",
        "x" * 200_000,
        "[" * 5000,
        "*" * 5000,
        "| a |\n|" + "---|" * 500,
    ],
)
def test_malformed_or_huge_markdown_renders(source: str) -> None:
    assert isinstance(str(render_markdown(source).html), str)


def test_comments_link_mentions_but_not_emails() -> None:
    html = str(render_comment("Ask @Hana or mail me@example.com"))
    assert '<a href="/users/hana" class="mention">@Hana</a>' in html
    assert 'href="mailto:me@example.com"' in html
    assert mentioned_usernames("@hana @Hana and @fatima, not x@y.z") == ["hana", "fatima"]


def test_plain_text_for_search() -> None:
    html = str(render_markdown("# Title\n\nHello *world* &amp; <kbd>x</kbd>\n").html)
    assert plain_text(html) == "Title Hello world & x"
