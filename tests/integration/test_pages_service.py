"""Pages and revisions through the service layer, on a real (SQLite) database."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.exceptions import Conflict, EditConflict, NotFound, PermissionDenied, ValidationError
from app.models import PageAlias, Revision, User
from app.review.policy import SYSTEM
from app.services import pages, proposals
from tests.conftest import recorded_statements
from tests.factories import edit_page, make_page, make_user


def test_create_page_publishes_first_revision_with_rendered_html(
    session: Session, author: User
) -> None:
    revision = make_page(
        session,
        author,
        title="Filing Expenses",
        body="# Receipts\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        tags=["Finance", "how to"],
    )
    page = revision.page
    assert page.slug == "filing-expenses"
    assert revision.number == 1 and revision.parent_id is None
    assert revision.status == "published"
    assert page.published_revision_id == page.latest_revision_id == revision.id
    assert "<table>" in revision.html
    assert revision.toc == [{"level": 1, "id": "receipts", "text": "Receipts"}]
    assert page.tag_names == ["finance", "how-to"]
    assert page.department is not None and page.department.name == "Engineering"


def test_edit_appends_revision_and_supersedes_previous(
    session: Session, author: User, reviewer: User
) -> None:
    first = make_page(session, author)
    second = edit_page(session, reviewer, first, "# New\n\nBody", summary="clarify")
    assert second.number == 2 and second.parent_id == first.id
    assert second.author.username == "fatima" and second.summary == "clarify"
    session.refresh(first)
    assert first.status == "superseded"
    assert first.body.startswith("# How to file expenses")  # old revision kept intact
    assert second.page.published_revision_id == second.id


def test_stale_base_revision_raises_edit_conflict_with_current(
    session: Session, author: User, reviewer: User
) -> None:
    first = make_page(session, author)
    current = edit_page(session, author, first, "Alex's version")
    with pytest.raises(EditConflict) as caught:
        edit_page(session, reviewer, first, "Fatima's version")
    assert caught.value.current.id == current.id
    assert caught.value.base.id == first.id
    assert len(pages.history(session, current.page, reader=SYSTEM)) == 2


def test_unchanged_edit_is_refused(session: Session, author: User) -> None:
    first = make_page(session, author)
    with pytest.raises(ValidationError) as caught:
        edit_page(session, author, first, first.body)
    assert "body" in caught.value.fields


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [
        ("", "text", "title"),
        ("!!!", "text", "title"),
        ("x" * 201, "text", "title"),
        ("Fine title", "   ", "body"),
        ("Fine title", "x" * (pages.MAX_BODY_CHARS + 1), "body"),
    ],
)
def test_invalid_page_fields_are_refused_with_field_message(
    session: Session, author: User, title: str, body: str, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        proposals.create_page(session, author=author, title=title, body=body)
    assert field in caught.value.fields


def test_too_many_tags_are_refused(session: Session, author: User) -> None:
    with pytest.raises(ValidationError) as caught:
        make_page(session, author, tags=[f"t{i}" for i in range(pages.MAX_TAGS + 1)])
    assert "tags" in caught.value.fields


def test_duplicate_title_is_refused(session: Session, author: User) -> None:
    make_page(session, author, title="Onboarding")
    with pytest.raises(ValidationError) as caught:
        make_page(session, author, title="onboarding!")
    assert "exists already" in caught.value.fields["title"]


def test_unknown_department_is_refused(session: Session, author: User) -> None:
    with pytest.raises(ValidationError) as caught:
        make_page(session, author, department="Nowhere")
    assert "department" in caught.value.fields


def test_rename_keeps_old_slug_as_alias(session: Session, author: User) -> None:
    first = make_page(session, author, title="Old Name")
    edit_page(session, author, first, first.body, title="New Name")
    page = pages.lookup(session, "old-name", reader=SYSTEM)
    assert page.slug == "new-name" and page.title == "New Name"
    assert session.scalar(select(PageAlias.slug).where(PageAlias.page_id == page.id)) == "old-name"


def test_new_page_can_take_over_an_old_alias(session: Session, author: User) -> None:
    first = make_page(session, author, title="Old Name")
    edit_page(session, author, first, first.body, title="New Name")
    other = make_page(session, author, title="Old Name", body="A different page")
    assert pages.lookup(session, "old-name", reader=SYSTEM).id == other.page.id
    assert pages.lookup(session, "new-name", reader=SYSTEM).id == first.page_id


def test_lookup_unknown_slug_raises_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        pages.lookup(session, "nothing-here", reader=SYSTEM)


def test_backlinks_follow_published_wiki_links(session: Session, author: User) -> None:
    target = make_page(session, author, title="Expense Policy")
    source = make_page(session, author, title="Travel", body="See [[Expense Policy|the policy]].")
    assert [p.title for p in pages.backlinks(session, target.page)] == ["Travel"]
    edit_page(session, author, source, "No more links.")
    assert pages.backlinks(session, target.page) == []


def test_display_html_marks_missing_and_archived_targets(session: Session, author: User) -> None:
    make_page(session, author, title="Exists")
    gone = make_page(session, author, title="Gone")
    source = make_page(session, author, title="Links", body="[[Exists]] [[Gone]] [[Never Written]]")
    pages.archive(session, actor=author, slug=gone.page.slug)
    html = str(pages.display_html(session, source.html, image_origins=()))
    assert 'href="/wiki/exists"' in html
    assert 'class="wikilink missing" data-wikilink="gone"' in html
    assert 'href="/new?title=Never%20Written"' in html


def test_archive_hides_page_from_listing_and_restore_brings_it_back(
    session: Session, author: User
) -> None:
    revision = make_page(session, author)
    slug = revision.page.slug
    pages.archive(session, actor=author, slug=slug)
    assert pages.list_pages(session).total == 0
    assert pages.lookup(session, slug, reader=SYSTEM).is_archived
    assert len(pages.history(session, revision.page, reader=SYSTEM)) == 1
    with pytest.raises(Conflict):
        edit_page(session, author, revision, "edit while archived")
    pages.restore(session, actor=author, slug=slug)
    assert pages.list_pages(session).total == 1


def test_archive_by_someone_else_is_refused_but_admin_may(
    session: Session, author: User, reviewer: User, admin: User
) -> None:
    revision = make_page(session, author)
    with pytest.raises(PermissionDenied):
        pages.archive(session, actor=reviewer, slug=revision.page.slug)
    pages.archive(session, actor=admin, slug=revision.page.slug)
    with pytest.raises(Conflict):
        pages.archive(session, actor=admin, slug=revision.page.slug)


def test_list_pages_filters_by_tag_and_department_and_paginates(
    session: Session, author: User, reviewer: User
) -> None:
    for index in range(5):
        make_page(session, author, title=f"Eng page {index}", tags=["onboarding"])
    make_page(session, reviewer, title="Budget", tags=["budget"])
    assert pages.list_pages(session, tag="Onboarding").total == 5
    assert [p.title for p in pages.list_pages(session, department="finance").items] == ["Budget"]
    second = pages.list_pages(session, page=2, per_page=2)
    assert second.total == 6 and second.pages == 3 and len(second.items) == 2


def test_compare_defaults_to_latest_against_parent(session: Session, author: User) -> None:
    first = make_page(session, author, body="one\ntwo\nthree\n")
    second = edit_page(session, author, first, "one\n2\nthree\n")
    old, new, diff = pages.compare(session, second.page, None, None, reader=SYSTEM)
    assert (old.id, new.id) == (first.id, second.id)
    assert (diff.added, diff.removed) == (1, 1)
    with pytest.raises(NotFound):
        pages.compare(session, second.page, 99999, None, reader=SYSTEM)


def test_revision_of_another_page_is_not_found(session: Session, author: User) -> None:
    one = make_page(session, author, title="One")
    two = make_page(session, author, title="Two")
    with pytest.raises(NotFound):
        pages.get_revision(session, two.id, page=one.page, reader=SYSTEM)


def test_revision_numbers_are_unique_per_page(session: Session, author: User) -> None:
    first = make_page(session, author)
    second = edit_page(session, author, first, "v2")
    third = edit_page(session, author, second, "v3")
    numbers = session.scalars(
        select(Revision.number).where(Revision.page_id == first.page_id)
    ).all()
    assert sorted(numbers) == [1, 2, 3] and third.number == 3


def test_contributors_lists_authors_of_published_versions(
    session: Session, author: User, reviewer: User
) -> None:
    first = make_page(session, author)
    edit_page(session, reviewer, first, "changed")
    assert [u.username for u in pages.contributors(session, first.page)] == ["fatima", "alex"]


def test_user_validation_lists_every_problem(session: Session) -> None:
    make_user(session, username="taken")
    from app.services import users

    with pytest.raises(ValidationError) as caught:
        users.create_user(
            session, username="taken", password="short", department="Nope", email="not-an-email"
        )
    assert set(caught.value.fields) == {"username", "password", "department", "email"}


def test_concurrent_saves_of_one_proposal_conflict_instead_of_overwriting(
    app, session: Session, author: User
) -> None:
    first = make_page(session, author)
    draft = edit_page(session, author, first, "my draft", publish=False)
    other: Session = app.extensions["wiki.sessionmaker"]()
    try:
        pages.lookup(
            other, draft.page.slug, reader=SYSTEM
        )  # the second tab read the page before the first saved
        edit_page(session, author, draft, "first tab wins", publish=False)
        with pytest.raises(EditConflict) as caught:
            proposals.save_revision(
                other,
                author=author,
                slug=draft.page.slug,
                body="second tab",
                base_revision_id=draft.id,
            )
        assert caught.value.current.body == "first tab wins"
    finally:
        other.close()
    bodies = session.scalars(select(Revision.body).where(Revision.page_id == first.page_id)).all()
    assert "second tab" not in bodies and "first tab wins" in bodies


def test_listing_loads_tags_and_authors_without_a_query_per_page(
    app, session: Session, author: User
) -> None:
    for index in range(12):
        make_page(session, author, title=f"Listed {index}", tags=["a", f"t{index}"])
    session.expunge_all()
    with recorded_statements(app) as statements:
        listing = pages.list_pages(session, per_page=12)
        shown = [
            (p.title, p.tag_names, p.created_by.username, p.department.name) for p in listing.items
        ]
    assert len(shown) == 12
    assert len(statements) <= 3  # count, pages (+ authors, departments), tags
