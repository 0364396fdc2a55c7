"""Peer review through the service layer: proposals, reviews, rules, comments, suggestions."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.exceptions import Conflict, EditConflict, NotFound, PermissionDenied, ValidationError
from app.models import Notification, Page, Revision, User
from app.review.approval import ApprovalRules
from app.review.policy import SYSTEM
from app.review.workflow import InvalidTransition
from app.services import comments, notifications, pages, proposals, review, reviewers, rubric
from tests.factories import edit_page, make_page, make_user

RULES = ApprovalRules()
BODY = "# Expenses\n\nline two\nline three\nline four\n"


@pytest.fixture
def hana(session: Session) -> User:
    return make_user(session, username="hana", name="Hana Sato", department="People")


@pytest.fixture
def published(session: Session, author: User) -> Revision:
    return make_page(session, author, title="Expenses", body=BODY, tags=["finance"])


def inbox_kinds(session: Session, user: User) -> list[str]:
    return [n.kind for n in notifications.inbox(session, user).items]


def test_edit_creates_draft_proposal_and_readers_keep_published(
    session: Session, author: User, published: Revision
) -> None:
    draft = edit_page(session, author, published, BODY + "new line\n", publish=False)
    assert draft.status == "draft" and draft.proposal.state == "draft"
    page = pages.lookup(session, "expenses", reader=SYSTEM)
    assert page.published_revision_id == published.id and page.latest_revision_id == draft.id
    assert proposals.open_for_page(session, page, reader=SYSTEM)[0].id == draft.proposal_id


def test_new_page_proposal_is_unpublished_until_approved(
    session: Session, author: User, reviewer: User
) -> None:
    draft = proposals.create_page(session, author=author, title="Budget Cycle", body="# Budget\n")
    assert draft.page.published_revision_id is None
    assert pages.list_pages(session).total == 0
    review.submit(session, actor=author, revision_id=draft.id, reviewers=["fatima"], rules=RULES)
    review.add_review(session, actor=reviewer, revision_id=draft.id, verdict="approve", rules=RULES)
    page = session.get(Page, draft.page_id)
    session.refresh(page)
    assert page.published_revision_id == draft.id
    assert pages.list_pages(session).total == 1


def test_full_cycle_request_changes_revise_approve_publishes(
    session: Session, author: User, reviewer: User, published: Revision
) -> None:
    draft = edit_page(session, author, published, BODY.replace("line two", "line 2"), publish=False)
    proposal = review.submit(
        session, actor=author, revision_id=draft.id, reviewers=["fatima"], rules=RULES
    )
    assert proposal.state == "in_review"
    assert inbox_kinds(session, reviewer) == ["review_requested"]
    comments.add_comment(
        session, actor=reviewer, revision_id=draft.id, body="Say which form", line=3
    )
    review.add_review(
        session,
        actor=reviewer,
        revision_id=draft.id,
        verdict="request_changes",
        summary="Needs detail",
        rules=RULES,
    )
    assert proposal.state == "changes_requested"
    assert "changes_requested" in inbox_kinds(session, author)
    second = edit_page(
        session, author, draft, BODY.replace("line two", "line 2 (form E-12)"), publish=False
    )
    assert second.proposal_id == proposal.id and proposal.state == "changes_requested"
    review.add_review(
        session, actor=reviewer, revision_id=second.id, verdict="approve", rules=RULES
    )
    assert proposal.state == "published"
    page = pages.lookup(session, "expenses", reader=SYSTEM)
    assert page.published_revision_id == second.id
    session.refresh(published)
    assert published.status == "superseded"
    kinds = [event.kind for event in proposal.events]
    assert kinds == [
        "created", "submit", "review_request_changes", "request_changes", "revise",
        "review_approve", "approve", "publish",
    ]  # fmt: skip
    assert "published" in inbox_kinds(session, author)


def test_author_cannot_review_own_proposal(
    session: Session, author: User, reviewer: User, published: Revision
) -> None:
    draft = edit_page(session, author, published, "x", publish=False)
    review.submit(session, actor=author, revision_id=draft.id, reviewers=["fatima"], rules=RULES)
    with pytest.raises(PermissionDenied):
        review.add_review(
            session, actor=author, revision_id=draft.id, verdict="approve", rules=RULES
        )


def test_a_draft_is_hidden_from_reviewers_and_a_withdrawn_one_cannot_be_reviewed(
    session: Session, author: User, reviewer: User, admin: User, published: Revision
) -> None:
    draft = edit_page(session, author, published, "x", publish=False)
    with pytest.raises(NotFound):  # the same answer as for a revision that does not exist
        review.add_review(
            session, actor=reviewer, revision_id=draft.id, verdict="approve", rules=RULES
        )
    review.withdraw(session, actor=author, revision_id=draft.id)
    with pytest.raises(InvalidTransition) as caught:  # administrators see it, but not to review
        review.add_review(
            session, actor=admin, revision_id=draft.id, verdict="approve", rules=RULES
        )
    assert "withdrawn" in caught.value.message


def test_request_changes_needs_a_specific_comment(
    session: Session, author: User, reviewer: User, published: Revision
) -> None:
    draft = edit_page(session, author, published, "x\ny\n", publish=False)
    review.submit(session, actor=author, revision_id=draft.id, reviewers=["fatima"], rules=RULES)
    with pytest.raises(ValidationError) as caught:
        review.add_review(
            session, actor=reviewer, revision_id=draft.id, verdict="request_changes", rules=RULES
        )
    assert "comments" in caught.value.fields
    item = review.add_review(
        session, actor=reviewer, revision_id=draft.id, verdict="request_changes", rules=RULES,
        comments=[{"body": "Explain y", "line": 2}],
    )  # fmt: skip
    assert item.verdict == "request_changes"


def test_new_revision_dismisses_approvals_but_keeps_comments(
    session: Session, author: User, reviewer: User, hana: User, published: Revision
) -> None:
    rules = ApprovalRules(required=2)
    draft = edit_page(session, author, published, "v1\n", publish=False)
    review.submit(
        session, actor=author, revision_id=draft.id, reviewers=["fatima", "hana"], rules=rules
    )
    comments.add_comment(session, actor=reviewer, revision_id=draft.id, body="nice", line=1)
    review.add_review(session, actor=reviewer, revision_id=draft.id, verdict="approve", rules=rules)
    assert len(review.approval_status(session, draft.proposal, rules).approvers) == 1
    second = edit_page(session, author, draft, "v2\n", publish=False)
    proposal = second.proposal
    assert review.approval_status(session, proposal, rules).approvers == []
    assert proposal.state == "in_review"
    review.add_review(session, actor=hana, revision_id=second.id, verdict="approve", rules=rules)
    assert proposal.state == "in_review"  # only one current approval of two
    assert len(comments.threads(session, proposal, second)) == 1


def test_cross_department_rule_needs_an_outside_approval(
    session: Session, author: User, reviewer: User, published: Revision
) -> None:
    colleague = make_user(session, username="sam", department="Engineering")
    rules = ApprovalRules(required=1, cross_department=True)
    draft = edit_page(session, author, published, "v1\n", publish=False)
    review.submit(
        session, actor=author, revision_id=draft.id, reviewers=["sam", "fatima"], rules=rules
    )
    review.add_review(
        session, actor=colleague, revision_id=draft.id, verdict="approve", rules=rules
    )
    assert draft.proposal.state == "in_review"
    assert "another department" in review.approval_status(session, draft.proposal, rules).describe()
    review.add_review(session, actor=reviewer, revision_id=draft.id, verdict="approve", rules=rules)
    assert draft.proposal.state == "published"


def test_department_setting_overrides_global_required_approvals(
    session: Session, author: User, reviewer: User, hana: User, published: Revision
) -> None:
    author.department.required_approvals = 2
    session.commit()
    draft = edit_page(session, author, published, "v1\n", publish=False)
    review.submit(
        session, actor=author, revision_id=draft.id, departments=["Finance", "People"], rules=RULES
    )
    review.add_review(session, actor=reviewer, revision_id=draft.id, verdict="approve", rules=RULES)
    assert draft.proposal.state == "in_review"
    review.add_review(session, actor=hana, revision_id=draft.id, verdict="approve", rules=RULES)
    assert draft.proposal.state == "published"


def test_request_changes_blocks_until_same_reviewer_approves_or_admin_overrides(
    session: Session, author: User, reviewer: User, hana: User, admin: User, published: Revision
) -> None:
    draft = edit_page(session, author, published, "v1\n", publish=False)
    review.submit(
        session, actor=author, revision_id=draft.id, reviewers=["fatima", "hana"], rules=RULES
    )
    review.add_review(
        session,
        actor=reviewer,
        revision_id=draft.id,
        verdict="request_changes",
        rules=RULES,
        comments=[{"body": "no", "line": 1}],
    )
    review.add_review(session, actor=hana, revision_id=draft.id, verdict="approve", rules=RULES)
    proposal = draft.proposal
    assert proposal.state == "changes_requested"
    with pytest.raises(PermissionDenied):
        review.override(session, actor=hana, revision_id=draft.id, reason="x", rules=RULES)
    with pytest.raises(ValidationError):
        review.override(session, actor=admin, revision_id=draft.id, reason="  ", rules=RULES)
    review.override(
        session, actor=admin, revision_id=draft.id, reason="Reviewer is on leave", rules=RULES
    )
    assert proposal.state == "published"
    assert any(e.kind == "override" and e.detail == "Reviewer is on leave" for e in proposal.events)


def test_withdraw_reopen_and_invalid_transitions(
    session: Session, author: User, reviewer: User, published: Revision
) -> None:
    draft = edit_page(session, author, published, "v1\n", publish=False)
    with pytest.raises(NotFound):  # a draft is its author's: others do not see it
        review.withdraw(session, actor=reviewer, revision_id=draft.id)
    proposal = review.withdraw(session, actor=author, revision_id=draft.id)
    assert proposal.state == "withdrawn" and draft.status == "withdrawn"
    with pytest.raises(InvalidTransition):
        review.withdraw(session, actor=author, revision_id=draft.id)
    with pytest.raises(InvalidTransition):
        review.submit(
            session, actor=author, revision_id=draft.id, reviewers=["fatima"], rules=RULES
        )
    review.reopen(session, actor=author, revision_id=draft.id)
    assert proposal.state == "draft"
    with pytest.raises(InvalidTransition):
        review.reopen(session, actor=author, revision_id=draft.id)


def test_submit_validates_reviewers(
    session: Session, author: User, reviewer: User, published: Revision
) -> None:
    draft = edit_page(session, author, published, "v1\n", publish=False)
    for kwargs, field in [
        ({"reviewers": ["ghost"]}, "reviewers"),
        ({"reviewers": ["alex"]}, "reviewers"),
        ({"departments": ["Nowhere"]}, "departments"),
        ({}, "reviewers"),
    ]:
        with pytest.raises(ValidationError) as caught:
            review.submit(session, actor=author, revision_id=draft.id, rules=RULES, **kwargs)
        assert field in caught.value.fields
    assert draft.proposal.state == "draft"


def test_only_the_author_continues_a_proposal(
    session: Session, author: User, reviewer: User, published: Revision
) -> None:
    draft = edit_page(session, author, published, "v1\n", ask=reviewer)
    with pytest.raises(PermissionDenied):
        edit_page(session, reviewer, draft, "hijack\n", publish=False)
    theirs = edit_page(session, reviewer, published, "their own idea\n", publish=False)
    assert theirs.proposal_id != draft.proposal_id
    second = edit_page(session, author, draft, "v2\n", publish=False)
    with pytest.raises(EditConflict) as caught:
        edit_page(session, author, draft, "stale tab\n", publish=False)
    assert caught.value.current.id == second.id
    assert len(proposals.open_for_page(session, published.page, reader=SYSTEM)) == 2


def test_comment_threads_replies_mentions_and_resolution(
    session: Session, author: User, reviewer: User, hana: User, published: Revision
) -> None:
    draft = edit_page(session, author, published, BODY + "extra\n", publish=False)
    review.submit(session, actor=author, revision_id=draft.id, reviewers=["fatima"], rules=RULES)
    root = comments.add_comment(
        session, actor=reviewer, revision_id=draft.id, body="Ask @hana about this", line=3
    )
    assert 'class="mention"' in root.html
    assert "mention" in inbox_kinds(session, hana)
    assert "comment" in inbox_kinds(session, author)
    reply = comments.add_comment(
        session, actor=author, revision_id=draft.id, body="Done", parent_id=root.id
    )
    assert "reply" in inbox_kinds(session, reviewer)
    threads = comments.threads(session, draft.proposal, draft)
    assert [t.root.id for t in threads] == [root.id] and threads[0].replies[0].id == reply.id
    with pytest.raises(PermissionDenied):
        comments.resolve_comment(session, actor=hana, comment_id=root.id)
    comments.resolve_comment(session, actor=author, comment_id=root.id)
    with pytest.raises(Conflict):
        comments.resolve_comment(session, actor=author, comment_id=root.id)
    assert (
        comments.resolve_comment(
            session, actor=reviewer, comment_id=root.id, resolved=False
        ).resolved_at
        is None
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"body": " "}, "body"),
        ({"body": "x", "line": 999}, "line"),
        ({"body": "x", "line": 3, "line_end": 2}, "line_end"),
        ({"body": "x", "suggestion": "y"}, "suggestion"),
        ({"body": "x", "parent_id": 12345}, "parent_id"),
    ],
)
def test_invalid_comments_are_refused(
    session: Session, author: User, reviewer: User, published: Revision, kwargs: dict, field: str
) -> None:
    draft = edit_page(session, author, published, BODY + "more\n", ask=reviewer)
    with pytest.raises(ValidationError) as caught:
        comments.add_comment(session, actor=reviewer, revision_id=draft.id, **kwargs)
    assert field in caught.value.fields


def test_anchored_comment_moves_with_its_line_and_outdated_keeps_text(
    session: Session, author: User, reviewer: User, published: Revision
) -> None:
    draft = edit_page(session, author, published, BODY + "tail\n", ask=reviewer)
    on_three = comments.add_comment(
        session, actor=reviewer, revision_id=draft.id, body="about three", line=4
    )
    on_four = comments.add_comment(
        session, actor=reviewer, revision_id=draft.id, body="about four", line=5
    )
    second = edit_page(
        session,
        author,
        draft,
        "inserted\n" + (BODY + "tail\n").replace("line four", "line FOUR"),
        publish=False,
    )
    by_id = {t.root.id: t for t in comments.threads(session, draft.proposal, second)}
    assert by_id[on_three.id].line == 5 and not by_id[on_three.id].outdated
    assert by_id[on_four.id].outdated and by_id[on_four.id].root.anchor_text == "line four"


def test_suggested_change_applied_as_new_revision_crediting_reviewer(
    session: Session, author: User, reviewer: User, published: Revision
) -> None:
    draft = edit_page(session, author, published, BODY + "tail\n", publish=False)
    review.submit(session, actor=author, revision_id=draft.id, reviewers=["fatima"], rules=RULES)
    suggestion = comments.add_comment(
        session,
        actor=reviewer,
        revision_id=draft.id,
        body="clearer",
        line=3,
        line_end=4,
        suggestion="Line two and three, merged.",
    )
    with pytest.raises(PermissionDenied):
        comments.apply_suggestion(session, actor=reviewer, comment_id=suggestion.id)
    applied = comments.apply_suggestion(session, actor=author, comment_id=suggestion.id)
    assert applied.proposal_id == draft.proposal_id and applied.number == draft.number + 1
    assert "Line two and three, merged." in applied.body and "line two" not in applied.body
    assert "Fatima Khan" in applied.summary
    assert "suggestion_applied" in inbox_kinds(session, reviewer)
    with pytest.raises(Conflict):
        comments.apply_suggestion(session, actor=author, comment_id=suggestion.id)


def test_outdated_suggestion_cannot_be_applied(
    session: Session, author: User, reviewer: User, published: Revision
) -> None:
    draft = edit_page(session, author, published, BODY + "tail\n", ask=reviewer)
    suggestion = comments.add_comment(
        session, actor=reviewer, revision_id=draft.id, body="x", line=3, suggestion="new"
    )
    edit_page(
        session, author, draft, (BODY + "tail\n").replace("line two", "line 2"), publish=False
    )
    with pytest.raises(Conflict) as caught:
        comments.apply_suggestion(session, actor=author, comment_id=suggestion.id)
    assert "by hand" in caught.value.message


def test_publication_merges_non_overlapping_changes(
    session: Session, author: User, reviewer: User, hana: User, published: Revision
) -> None:
    top = edit_page(
        session, author, published, BODY.replace("# Expenses", "# Expense reports"), publish=False
    )
    bottom = edit_page(
        session,
        hana,
        published,
        BODY.replace("line four", "line four, with receipts"),
        publish=False,
    )
    for draft, who in ((top, "fatima"), (bottom, "fatima")):
        actor = session.get(User, draft.author_id)
        review.submit(session, actor=actor, revision_id=draft.id, reviewers=[who], rules=RULES)
    review.add_review(session, actor=reviewer, revision_id=top.id, verdict="approve", rules=RULES)
    review.add_review(
        session, actor=reviewer, revision_id=bottom.id, verdict="approve", rules=RULES
    )
    page = pages.lookup(session, "expenses", reader=SYSTEM)
    session.refresh(page)
    text = page.published_revision.body
    assert "# Expense reports" in text and "with receipts" in text
    assert bottom.proposal.state == "published"
    assert any(e.kind == "merged" for e in bottom.proposal.events)


def test_overlapping_publication_needs_update_and_loses_nothing(
    session: Session, author: User, reviewer: User, hana: User, published: Revision
) -> None:
    first = edit_page(
        session, author, published, BODY.replace("line two", "line two by alex"), publish=False
    )
    second = edit_page(
        session, hana, published, BODY.replace("line two", "line two by hana"), publish=False
    )
    review.submit(session, actor=author, revision_id=first.id, reviewers=["fatima"], rules=RULES)
    review.submit(session, actor=hana, revision_id=second.id, reviewers=["fatima"], rules=RULES)
    review.add_review(session, actor=reviewer, revision_id=first.id, verdict="approve", rules=RULES)
    review.add_review(
        session, actor=reviewer, revision_id=second.id, verdict="approve", rules=RULES
    )
    proposal = second.proposal
    assert proposal.state == "approved" and proposal.needs_update
    assert "merge_conflict" in inbox_kinds(session, hana)
    merge = proposals.three_way_merge(
        proposal, pages.lookup(session, "expenses", reader=SYSTEM).published_revision
    )
    assert merge.conflicts and "line two by hana" in merge.text and "line two by alex" in merge.text
    update = edit_page(
        session, hana, second, BODY.replace("line two", "line two by alex and hana"), publish=False
    )
    assert proposal.state == "in_review" and not proposal.needs_update
    review.add_review(
        session, actor=reviewer, revision_id=update.id, verdict="approve", rules=RULES
    )
    assert proposal.state == "published"
    assert (
        "alex and hana" in pages.lookup(session, "expenses", reader=SYSTEM).published_revision.body
    )


def test_reviewer_suggestions_include_someone_from_another_department(
    session: Session, author: User, reviewer: User, published: Revision
) -> None:
    colleague = make_user(session, username="sam", department="Engineering")
    make_page(session, colleague, title="Budget rules", tags=["finance"])
    draft = edit_page(session, author, published, "v1\n", publish=False)
    suggestions = reviewers.suggest_reviewers(session, draft.proposal)
    names = [s.user.username for s in suggestions]
    assert "sam" in names and "alex" not in names
    sam = next(s for s in suggestions if s.user.username == "sam")
    assert "#finance" in sam.reason
    outsider = [s for s in suggestions if s.cross_department]
    assert outsider and outsider[0].user.department.name != "Engineering"
    assert "cross-department" in outsider[0].reason


def test_review_queue(session: Session, author: User, reviewer: User, published: Revision) -> None:
    draft = edit_page(session, author, published, "v1\n", publish=False)
    review.submit(session, actor=author, revision_id=draft.id, reviewers=["fatima"], rules=RULES)
    queue = review.review_queue(session, reviewer)
    assert [p.id for p in queue.waiting_for_me] == [draft.proposal_id]
    review.add_review(
        session,
        actor=reviewer,
        revision_id=draft.id,
        verdict="request_changes",
        rules=RULES,
        comments=[{"body": "fix", "line": 1}],
    )
    assert review.review_queue(session, reviewer).waiting_for_me == []
    mine = review.review_queue(session, author)
    assert [p.id for p in mine.changes_requested_of_me] == [draft.proposal_id]
    assert [p.id for p in mine.my_proposals] == [draft.proposal_id]


def test_rubric_scores_are_validated_and_admin_edits_rubric(
    session: Session, author: User, reviewer: User, admin: User, published: Revision
) -> None:
    draft = edit_page(session, author, published, "v1\n", publish=False)
    review.submit(session, actor=author, revision_id=draft.id, reviewers=["fatima"], rules=RULES)
    with pytest.raises(ValidationError) as caught:
        review.add_review(
            session,
            actor=reviewer,
            revision_id=draft.id,
            verdict="comment",
            rubric={"accuracy": 5, "style": 2},
            rules=RULES,
        )
    assert set(caught.value.fields) == {"rubric.accuracy", "rubric.style"}
    item = review.add_review(
        session,
        actor=reviewer,
        revision_id=draft.id,
        verdict="comment",
        rubric={"accuracy": 4, "clarity": 2},
        rules=RULES,
    )
    assert item.rubric == {"accuracy": 4, "clarity": 2}
    assert [c.key for c in rubric.active_rubric(session)] == [
        "accuracy",
        "clarity",
        "completeness",
        "actionability",
    ]
    with pytest.raises(PermissionDenied):
        rubric.update_rubric(session, actor=reviewer, criteria=[{"label": "Tone", "guidance": "g"}])
    updated = rubric.update_rubric(
        session,
        actor=admin,
        criteria=[
            {"label": "Accuracy", "guidance": "Correct?"},
            {"label": "Tone", "guidance": "Kind?"},
        ],
    )
    assert [c.key for c in updated] == ["accuracy", "tone"]


def test_notifications_mark_read(
    session: Session, author: User, reviewer: User, published: Revision
) -> None:
    draft = edit_page(session, author, published, "v1\n", publish=False)
    review.submit(session, actor=author, revision_id=draft.id, reviewers=["fatima"], rules=RULES)
    assert notifications.unread_count(session, reviewer) == 1
    notifications.mark_read(session, reviewer)
    assert notifications.unread_count(session, reviewer) == 0
    assert (
        session.scalar(select(Notification).where(Notification.user_id == reviewer.id)).read_at
        is not None
    )


def test_more_reviewers_can_be_asked_while_in_review(
    session: Session, author: User, reviewer: User, hana: User, published: Revision
) -> None:
    draft = edit_page(session, author, published, "v1\n", publish=False)
    review.submit(session, actor=author, revision_id=draft.id, reviewers=["fatima"], rules=RULES)
    proposal = review.submit(
        session, actor=author, revision_id=draft.id, reviewers=["hana"], rules=RULES
    )
    assert proposal.state == "in_review"
    assert {r.reviewer.username for r in proposal.requests} == {"fatima", "hana"}
    assert inbox_kinds(session, hana) == ["review_requested"]
    assert inbox_kinds(session, reviewer) == ["review_requested"]  # not asked twice
    assert proposal.events[-1].kind == "reviewers_added"
