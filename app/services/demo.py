"""Demo proposals, so a new user of the demo wiki sees the review workflow at once."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.diffing import split_lines
from app.models import Page, Proposal, User
from app.review import policy
from app.review.approval import ApprovalRules, Verdict
from app.services import comments, proposals, review, users

NEW_PAGE_TITLE = "Parental Leave: Questions New Parents Ask"
NEW_PAGE_BODY = """# Parental leave: questions new parents ask

A draft collecting the questions People partners hear most often.

## How much leave can I take?

Check your contract first; the People team confirms the exact dates with you.

## Who do I tell, and when?

Tell your manager and your People partner at least eight weeks before the leave starts.
"""


def seed_proposals(session: Session, rules: ApprovalRules) -> int:
    """Create example proposals in several states (once); return how many were made."""
    if session.scalar(
        select(func.count()).select_from(Proposal).where(Proposal.state != "published")
    ):
        return 0
    alex, fatima, hana, admin = (
        users.find_user(session, name) for name in ("alex", "fatima", "hana", "admin")
    )
    if not all((alex, fatima, hana, admin)):
        return 0
    assert alex and fatima and hana and admin
    pages = list(
        session.scalars(
            select(Page)
            .where(Page.published_revision_id.is_not(None))
            .order_by(Page.title)
            .limit(3)
        )
    )
    if len(pages) < 3:
        return 0
    created = 0

    # 1. In review, with a line comment from a reviewer in another department.
    in_review = _append(session, alex, pages[0], "\n> **Tip:** link the form you mention, so nobody has to search for it.\n",
                        "Add a tip about linking forms")  # fmt: skip
    review.submit(session, actor=alex, revision_id=in_review, reviewers=["fatima"], rules=rules)
    comments.add_comment(session, actor=fatima, revision_id=in_review, line=_last_line(session, in_review),
                       body="Good idea. Could you link the actual form here, @alex?")  # fmt: skip
    created += 1

    # 2. Changes requested, with a suggested change waiting to be applied.
    asked = _append(session, fatima, pages[1], "\nAsk in the project channel if anything is unclear.\n",
                    "Point readers to the project channel")  # fmt: skip
    review.submit(session, actor=fatima, revision_id=asked, reviewers=["hana"], rules=rules)
    line = _last_line(session, asked)
    review.add_review(
        session, actor=hana, revision_id=asked, verdict=Verdict.REQUEST_CHANGES, rules=rules,
        summary="Useful, but name the channel so new hires can find it.", rubric={"clarity": 2, "actionability": 2},
        comments=[{"body": "Which channel exactly?", "line": line,
                   "suggestion": "Ask in the page's project channel (its name is at the top of the page) if anything is unclear."}],
    )  # fmt: skip
    created += 1

    # 3. A new page still in draft.
    proposals.create_page(session, author=hana, title=NEW_PAGE_TITLE, body=NEW_PAGE_BODY, tags=["leave", "people"],
                          department="People", summary="First draft")  # fmt: skip
    created += 1

    # 4. A change published through review, so pages show who approved them.
    published = _append(
        session,
        admin,
        pages[2],
        "\n_Reviewed for the new quarter; still current._\n",
        "Quarterly check",
    )
    review.submit(session, actor=admin, revision_id=published, reviewers=["alex"], rules=rules)
    review.add_review(session, actor=alex, revision_id=published, verdict=Verdict.APPROVE, rules=rules,
                      summary="Checked every step; still accurate.", rubric={"accuracy": 4, "clarity": 4})  # fmt: skip
    return created + 1


def _append(session: Session, author: User, page: Page, text: str, summary: str) -> int:
    base = page.published_revision
    assert base is not None
    revision = proposals.save_revision(
        session, author=author, slug=page.slug, body=base.body.rstrip("\n") + "\n" + text,
        base_revision_id=base.id, summary=summary,
    )  # fmt: skip
    return revision.id


def _last_line(session: Session, revision_id: int) -> int:
    head = proposals.of_revision(session, revision_id, reader=policy.SYSTEM).head_revision
    assert head is not None
    return len(split_lines(head.body))
