"""Spaces, the page tree and moves through the service layer, on a real database."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.exceptions import NotFound, PermissionDenied, ValidationError
from app.models import AuditEntry, Page, Space, User
from app.review.approval import ApprovalRules, Verdict
from app.services import pages, proposals, review, spaces, users
from tests.factories import edit_page, make_page, make_user

RULES = ApprovalRules()


def _shape(nodes: list[spaces.TreeNode]) -> list[object]:
    return [(node.slug, _shape(node.children)) if node.children else node.slug for node in nodes]


def test_each_department_gets_a_space_when_it_is_created(session: Session, admin: User) -> None:
    users.add_department(session, actor=admin, name="Legal Affairs")
    space = spaces.get_space(session, "legal-affairs")
    assert (space.name, space.kind) == ("Legal Affairs", "department")
    assert space.department is not None and space.department.name == "Legal Affairs"
    assert {s.slug for s in spaces.list_spaces(session)} >= {"legal-affairs", "operations"}


def test_a_new_page_goes_to_its_departments_space_at_the_top(
    session: Session, author: User
) -> None:
    page = make_page(session, author).page
    assert spaces.space_of(page).slug == "engineering"
    assert page.parent_id is None


def test_department_members_belong_to_its_space_implicitly(
    session: Session, author: User, reviewer: User, admin: User
) -> None:
    engineering = spaces.get_space(session, "engineering")
    assert spaces.is_member(author, engineering)
    assert not spaces.is_member(reviewer, engineering)
    assert not spaces.is_member(None, engineering)
    assert [user.username for user, _ in spaces.members(session, engineering)] == ["alex"]


def test_tree_nests_published_pages_and_hides_drafts(
    session: Session, author: User, reviewer: User
) -> None:
    make_page(session, author, title="Runbooks")
    make_page(session, author, title="Deploys", parent="runbooks")
    make_page(session, author, title="Rollback", parent="deploys")
    make_page(session, author, title="Secret plan", parent="runbooks", publish=False)
    engineering = spaces.get_space(session, "engineering")
    assert _shape(spaces.tree(session, engineering, reader=reviewer)) == [
        ("runbooks", [("deploys", ["rollback"])])
    ]
    # Even its author sees only what is published in the tree.
    assert "secret-plan" not in str(_shape(spaces.tree(session, engineering, reader=author)))


def test_a_page_cannot_be_put_under_itself_or_its_descendant(
    session: Session, author: User, admin: User
) -> None:
    top = make_page(session, author, title="Runbooks")
    make_page(session, author, title="Deploys", parent="runbooks")
    make_page(session, author, title="Rollback", parent="deploys")
    with pytest.raises(ValidationError) as caught:
        spaces.move_page(session, actor=admin, slug="runbooks", space=None, parent="rollback")
    assert "under itself" in caught.value.message
    assert "outside its branch" in caught.value.fields["parent"]
    with pytest.raises(ValidationError):
        edit_page(session, author, top, "# Runbooks\n\nMoved.", parent="runbooks")


def test_a_parent_in_another_space_is_refused(
    session: Session, author: User, reviewer: User
) -> None:
    make_page(session, reviewer, title="Budgets")  # in Finance
    with pytest.raises(ValidationError) as caught:
        make_page(session, author, title="Deploys", space="engineering", parent="budgets")
    assert "Finance" in caught.value.fields["parent"]


def test_only_members_put_pages_in_a_project_space(
    session: Session, author: User, reviewer: User, admin: User
) -> None:
    spaces.create_space(session, actor=admin, name="Apollo", members=["alex"])
    assert (
        make_page(session, author, title="Launch plan", space="apollo").page.space.slug == "apollo"
    )
    with pytest.raises(ValidationError) as caught:
        make_page(session, reviewer, title="Budget", space="apollo")
    assert "Only members of Apollo" in caught.value.fields["space"]


def test_create_space_is_for_administrators_and_is_audited(
    session: Session, author: User, admin: User
) -> None:
    home = make_page(session, author, title="Apollo home").page
    with pytest.raises(PermissionDenied):
        spaces.create_space(session, actor=author, name="Apollo")
    space = spaces.create_space(
        session, actor=admin, name="Apollo", description="Moon shot.", home_page="apollo-home",
        members=["alex"], maintainers=["admin"],
        settings=spaces.SpaceSettings(review_interval_days=90, required_approvals=2),
    )  # fmt: skip
    assert (space.slug, space.kind, space.review_interval_days) == ("apollo", "project", 90)
    assert space.home_page_id == home.id and home.space_id == space.id
    assert [u.username for u in spaces.maintainers(space)] == ["admin"]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "space.create")).one()
    assert entry.target == "space:apollo" and entry.actor_id == admin.id
    with pytest.raises(ValidationError) as caught:
        spaces.create_space(session, actor=admin, name="Apollo")
    assert "exists already" in caught.value.fields["slug"]


def test_membership_changes_are_for_maintainers_and_administrators(
    session: Session, author: User, reviewer: User, admin: User
) -> None:
    spaces.create_space(session, actor=admin, name="Apollo", maintainers=["alex"])
    spaces.add_member(session, actor=author, slug="apollo", username="fatima")
    space = spaces.get_space(session, "apollo")
    assert spaces.is_member(reviewer, space)
    with pytest.raises(PermissionDenied):
        spaces.add_member(session, actor=reviewer, slug="apollo", username="admin")
    spaces.remove_member(session, actor=admin, slug="apollo", username="fatima")
    session.refresh(space)
    assert not spaces.is_member(reviewer, space)
    with pytest.raises(NotFound):
        spaces.get_space(session, "nowhere")


def test_a_move_in_a_reviewed_edit_applies_on_publication(
    session: Session, author: User, reviewer: User
) -> None:
    make_page(session, author, title="Runbooks")
    deploys = make_page(session, author, title="Deploys")
    proposed = edit_page(session, author, deploys, deploys.body, parent="runbooks", ask=reviewer)
    page = proposed.page
    assert page.parent_id is None  # not before review
    assert spaces.proposed_move(proposed, proposed.proposal.base_revision) is not None
    review.add_review(session, actor=reviewer, revision_id=proposed.id, verdict=Verdict.APPROVE,
                      rules=RULES)  # fmt: skip
    session.refresh(page)
    assert page.parent is not None and page.parent.slug == "runbooks"
    assert [p.slug for p in spaces.ancestors(session, page)] == ["runbooks"]


def test_an_edit_without_a_move_keeps_a_move_made_meanwhile(
    session: Session, author: User, reviewer: User, admin: User
) -> None:
    make_page(session, author, title="Runbooks")
    deploys = make_page(session, author, title="Deploys")
    proposed = edit_page(session, author, deploys, "# Deploys\n\nNew text.", ask=reviewer)
    spaces.move_page(session, actor=admin, slug="deploys", space=None, parent="runbooks")
    review.add_review(session, actor=reviewer, revision_id=proposed.id, verdict=Verdict.APPROVE,
                      rules=RULES)  # fmt: skip
    page = session.get(Page, proposed.page_id)
    assert page is not None and page.parent is not None and page.parent.slug == "runbooks"


def test_an_administrators_move_is_immediate_and_audited(
    session: Session, author: User, admin: User
) -> None:
    make_page(session, author, title="Runbooks")
    make_page(session, author, title="Deploys")
    generation = pages.published_version(session, "deploys")
    with pytest.raises(PermissionDenied):
        spaces.move_page(session, actor=author, slug="deploys", space=None, parent="runbooks")
    page = spaces.move_page(session, actor=admin, slug="deploys", space=None, parent="runbooks")
    assert page.parent is not None and page.parent.slug == "runbooks"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "page.move")).one()
    assert entry.detail is not None
    assert entry.detail["from"] == "Engineering" and entry.detail["to"] == "Engineering › Runbooks"
    after = pages.published_version(session, "deploys")
    assert generation is not None and after is not None
    assert after.generation > generation.generation  # cached trees and breadcrumbs retire


def test_archiving_a_page_moves_its_children_up_a_level(session: Session, author: User) -> None:
    make_page(session, author, title="Handbook")
    make_page(session, author, title="Runbooks", parent="handbook")
    make_page(session, author, title="Deploys", parent="runbooks")
    make_page(session, author, title="Rollback", parent="runbooks")
    pages.archive(session, actor=author, slug="runbooks")
    engineering = spaces.get_space(session, "engineering")
    assert _shape(spaces.tree(session, engineering)) == [("handbook", ["deploys", "rollback"])]
    # Restoring it puts it back at its own place; its former children stay where they went.
    pages.restore(session, actor=author, slug="runbooks")
    assert _shape(spaces.tree(session, engineering)) == [
        ("handbook", ["runbooks", "deploys", "rollback"])
    ]


def test_a_space_setting_overrides_the_approval_count(
    session: Session, author: User, reviewer: User, admin: User
) -> None:
    spaces.create_space(
        session, actor=admin, name="Apollo", members=["alex"],
        settings=spaces.SpaceSettings(required_approvals=2),
    )  # fmt: skip
    make_user(session, username="gus", department="Finance")
    draft = make_page(session, author, title="Launch", space="apollo", publish=False)
    review.submit(session, actor=author, revision_id=draft.id, rules=RULES, reviewers=["fatima"])
    review.add_review(session, actor=reviewer, revision_id=draft.id, verdict=Verdict.APPROVE,
                      rules=RULES)  # fmt: skip
    proposal = proposals.get(session, draft.proposal_id or 0, reader=author)
    assert proposal.state == "in_review"  # one of two approvals
    status = review.approval_status(session, proposal, RULES)
    assert status.rules.required == 2


def test_general_space_takes_pages_of_no_department(session: Session) -> None:
    general = spaces.general_space(session)
    assert (general.slug, general.kind) == ("general", "project")
    assert spaces.general_space(session).id == general.id
    assert session.scalars(select(Space).where(Space.slug == "general")).one() is general
