"""Review that non-technical reviewers can follow: the rendered change, and what they were told."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from app.models import Revision, User
from app.services import indexing
from tests.factories import edit_page, make_page

BODY = (
    "# Expenses\n\nFile your receipts within 30 days.\n\n- Taxi\n- Hotel\n- Meals\n\n"
    "| Item | Limit |\n|---|---|\n| Dinner | 40 EUR |\n"
)
CHANGED = (
    "# Expenses\n\nFile your receipts within 14 days using form E-12.\n\n- Taxi\n- Meals\n"
    "- Flights\n\n| Item | Limit |\n|---|---|\n| Dinner | 45 EUR |\n"
)


def text(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.get_data(as_text=True))


@pytest.fixture
def published(session: Session, author: User) -> Revision:
    return make_page(session, author, title="Expenses", body=BODY, tags=["finance"])


@pytest.fixture
def proposal_url(session: Session, author: User, reviewer: User, published: Revision) -> str:
    draft = edit_page(session, author, published, CHANGED, summary="Shorter deadline", ask=reviewer)
    return f"/proposals/{draft.proposal_id}"


def test_changes_are_shown_rendered_inline_by_default(
    reviewer_client: Any, proposal_url: str
) -> None:
    page = text(reviewer_client.get(proposal_url))
    inline = page.split('class="rendered-diff rendered-inline prose"', 1)[1]
    # Words, not Markdown: the paragraph is one <p> with the removed and inserted words marked.
    assert re.search(r"<p>File your receipts within <del>30 days\.</del>\s*<ins>14 days", inline)
    assert "<li><del>Hotel</del></li>" in inline and "<li><ins>Flights</ins></li>" in inline
    assert "<td><del>40</del>" in inline and "<ins>45</ins>" in inline
    assert "| Dinner |" not in inline  # no table source
    assert 'aria-current="page">Rendered</a>' in page


def test_side_by_side_pairs_each_block_before_and_after(
    reviewer_client: Any, proposal_url: str
) -> None:
    page = text(reviewer_client.get(f"{proposal_url}?show=side"))
    assert 'aria-current="page">Side by side</a>' in page
    rows = re.findall(
        r'rendered-sbs__row--changed" role="row">\s*<div[^>]*rendered-sbs__old[^>]*>(.*?)</div>\s*'
        r"<div[^>]*rendered-sbs__new[^>]*>(.*?)</div>",
        page,
        re.S,
    )
    before, after = rows[0]
    assert "<del>30 days.</del>" in before and "<ins>" not in before
    assert "<ins>14 days using form E-12.</ins>" in after and "<del>" not in after
    # The other tabs keep the choice: it lives in the URL.
    assert 'href="/proposals/' in page and "show=side" in page.split('aria-label="What to show"')[1]


def test_source_diff_keeps_line_comments(
    reviewer_client: Any, proposal_url: str, published: Revision
) -> None:
    source = text(reviewer_client.get(f"{proposal_url}?show=source"))
    assert 'aria-current="page">Markdown source</a>' in source
    assert "diff__num-link" in source and "show=source" in source
    revision_id = re.search(r'name="revision_id" value="(\d+)"', source)
    assert revision_id
    response = reviewer_client.post(
        f"{proposal_url}/comments",
        data={
            "body": "Which form?",
            "line": "3",
            "revision_id": revision_id.group(1),
            "view": "changes",
            "show": "source",
        },
    )
    assert response.status_code == 302 and "show=source" in response.headers["Location"]
    shown = text(reviewer_client.get(response.headers["Location"]))
    assert re.search(
        r'id="line-3".*?</div>\s*<div class="diff__threads"[^>]*>.*?Which form\?', shown, re.S
    )
    # On the rendered view the line's thread is listed under Discussion.
    rendered = text(reviewer_client.get(proposal_url))
    assert "Which form?" in rendered.split('id="comments-heading"')[1]


def test_proposed_page_is_the_whole_rendered_page(reviewer_client: Any, proposal_url: str) -> None:
    page = text(reviewer_client.get(f"{proposal_url}?view=page"))
    preview = page.split('class="rendered-page prose"', 1)[1]
    assert "<p>File your receipts within 14 days using form E-12.</p>" in preview
    assert "<td>45 EUR</td>" in preview and "<del>" not in preview.split("</div>")[0]


def test_a_new_page_is_shown_all_inserted(
    session: Session, author: User, reviewer: User, reviewer_client: Any
) -> None:
    draft = make_page(session, author, title="Parking", body="Park in **bay 4**.\n", publish=False)
    from app.review.approval import ApprovalRules
    from app.services import review

    review.submit(
        session, actor=author, revision_id=draft.id, rules=ApprovalRules(), reviewers=["fatima"]
    )
    page = text(reviewer_client.get(f"/proposals/{draft.proposal_id}"))
    assert "<p><ins>Park in <strong>bay 4</strong>.</ins></p>" in page


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)" onclick="alert(1)">x</a>',
        "[click](javascript:alert(1))",
        '<details open ontoggle="alert(1)"><summary>s</summary></details>',
        '<ins onmouseover="alert(1)">x</ins><del style="x">y</del>',
    ],
)
def test_rendered_diff_of_hostile_markdown_stays_escaped(
    session: Session,
    author: User,
    reviewer: User,
    reviewer_client: Any,
    published: Revision,
    markdown: str,
) -> None:
    draft = edit_page(session, author, published, BODY + f"\nNew: {markdown}\n", ask=reviewer)
    for show in ("inline", "side"):
        page = text(reviewer_client.get(f"/proposals/{draft.proposal_id}?show={show}"))
        shown = page.split('id="comments-heading"')[0].split("rendered-legend", 1)[1]
        assert not re.search(r"<script|<[^>]+javascript:", shown), shown
        assert not re.search(r"<[a-z]+[^>]*\s(on\w+|style)=", shown)
        assert "<ins>New:" in shown or "<ins>" in shown


# -- what people were told ------------------------------------------------------------------


def test_request_review_after_changes_requested_puts_it_back_in_review(
    author_client: Any, reviewer_client: Any, proposal_url: str
) -> None:
    page = text(reviewer_client.get(f"{proposal_url}?show=source"))
    revision_id = re.search(r'name="revision_id" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    reviewer_client.post(
        f"{proposal_url}/comments",
        data={"body": "Which form?", "line": "3", "revision_id": revision_id},
    )
    reviewer_client.post(
        f"{proposal_url}/reviews", data={"verdict": "request_changes", "revision_id": revision_id}
    )
    assert "status--changes_requested" in text(author_client.get(proposal_url))
    response = author_client.post(f"{proposal_url}/submit", data={}, follow_redirects=True)
    page = text(response)
    assert "Submitted for review" in page
    status = page.split('id="status-heading"')[1].split("</p>")[0]
    assert "in review" in status and "changes requested" not in status
    timeline = page.split('id="timeline-heading"')[1]
    entries = re.findall(r"<li>\s*<strong>(.*?)</strong>\s*(.*?)\n", timeline)
    assert ("Alex Rivera", "submit") in [(who, what.strip()) for who, what in entries]
    assert not [who for who, what in entries if who == "Alex Rivera" and "request" in what]
    # The request for changes still stands until its reviewer approves.
    assert "Changes requested by Fatima Khan: publication waits until they approve." in page


def test_an_old_revision_with_changes_requested_is_not_shown_as_approved(
    session: Session,
    author: User,
    reviewer: User,
    author_client: Any,
    reviewer_client: Any,
    client: Any,
    published: Revision,
) -> None:
    first = edit_page(session, author, published, CHANGED, ask=reviewer)
    url = f"/proposals/{first.proposal_id}"
    reviewer_client.post(
        f"{url}/comments", data={"body": "Name it", "line": "3", "revision_id": str(first.id)}
    )
    reviewer_client.post(
        f"{url}/reviews", data={"verdict": "request_changes", "revision_id": str(first.id)}
    )
    second = edit_page(session, author, first, CHANGED + "\nThanks.\n", publish=False)
    reviewer_client.post(
        f"{url}/reviews", data={"verdict": "approve", "revision_id": str(second.id)}
    )
    assert "Reviewed and approved by" in text(client.get("/wiki/expenses"))
    old = text(client.get(f"/wiki/expenses/revisions/{first.id}"))
    assert "Reviewed and approved" not in old


def test_anonymous_searchers_are_not_promised_a_notification(
    client: Any, author_client: Any
) -> None:
    anonymous = text(client.get("/search?q=teleportation+policy"))
    assert "Nobody has written this down yet" in anonymous
    assert "you will be notified" not in anonymous
    assert "you will be notified when they do" in text(
        author_client.get("/search?q=teleportation+policy")
    )


def test_did_you_mean_is_not_offered_for_gibberish(
    app: Flask, session: Session, author: User, client: Any
) -> None:
    make_page(session, author, title="Search query tips", body="Write a query in plain words.")
    indexing.process_outbox(session, app.extensions["wiki.search"])
    assert "Did you mean" in text(client.get("/search?q=qurey"))  # a typo still is
    for gibberish in ("qwerty", "qxz", "qzeryxx"):
        assert "Did you mean" not in text(client.get(f"/search?q={gibberish}")), gibberish


def test_reviewer_reasons_use_the_right_article(
    session: Session, author: User, admin: User, author_client: Any, published: Revision
) -> None:
    make_page(session, admin, title="Office rules", body="Rules.\n", tags=["finance"])
    draft = edit_page(session, author, published, CHANGED, publish=False)
    page = text(author_client.get(f"/proposals/{draft.proposal_id}"))
    assert "cross-department pairing: an Operations view on an Engineering page" in page


def test_admins_find_the_rubric_from_the_admin_area(admin_client: Any, author_client: Any) -> None:
    people = text(admin_client.get("/admin/people"))
    assert 'href="/admin/rubric"' in people
    rubric = text(admin_client.get("/admin/rubric"))
    assert 'aria-label="Administration"' in rubric and 'href="/admin/people"' in rubric
    assert 'href="/admin/rubric"' not in text(author_client.get("/"))


def test_rubric_scores_show_whole_criterion_names(
    reviewer_client: Any, author_client: Any, proposal_url: str
) -> None:
    page = text(reviewer_client.get(f"{proposal_url}?show=source"))
    revision_id = re.search(r'name="revision_id" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    reviewer_client.post(
        f"{proposal_url}/reviews",
        data={"verdict": "comment", "revision_id": revision_id, "rubric_actionability": "3"},
    )
    scores = text(author_client.get(proposal_url)).split('class="scores"')[1].split("</table>")[0]
    assert ">Actionability</th>" in scores and ">Accuracy</th>" in scores
    assert ">Fatima Khan</th>" in scores


def test_every_page_has_a_favicon(client: Any) -> None:
    page = text(client.get("/"))
    link = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', page)
    assert link
    icon = client.get(link.group(1))
    try:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
        assert b"<svg" in icon.get_data()
    finally:
        icon.close()


def test_table_cells_do_not_break_words_mid_word(client: Any) -> None:
    """The stylesheet lets prose wrap long words anywhere, but not inside table cells (where it
    squeezed columns until words broke; the browser test shows the table at 390 px)."""
    with client.get("/static/css/peerwiki.css") as response:
        css = text(response)
    rule = re.search(r"\.prose th, \.prose td \{[^}]*overflow-wrap: break-word", css)
    assert rule and css.index(rule.group(0)) > css.index(".prose { font-size")


def test_the_stylesheet_parses_to_its_end(client: Any) -> None:
    """Every rule block is closed: one missing brace (an unclosed @media) silently dropped every
    rule after it, the rendered diff's colours and layout among them."""
    with client.get("/static/css/peerwiki.css") as response:
        css = re.sub(r"/\*.*?\*/", "", text(response), flags=re.S)
    depth = 0
    for char in css:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0 and ".rendered-diff ins" in css
