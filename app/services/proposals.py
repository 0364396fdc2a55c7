"""Proposals: every new page and every edit is a chain of revisions waiting for review.

This module owns creating and revising proposals, recording their timeline, and publishing
them (with a three-way merge when the published page moved on in the meantime).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import merge3
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, selectinload

from app import db
from app.diffing import split_lines
from app.exceptions import Conflict, EditConflict, NotFound, ValidationError
from app.models import Page, Proposal, ProposalEvent, Revision, User, utcnow
from app.review import approval, policy
from app.review.workflow import OPEN_STATES, Action, State, advance
from app.services import audit, indexing, ownership, pages, spaces, watches
from app.slugs import slugify


def create_page(
    session: Session,
    *,
    author: User,
    title: str,
    body: str,
    tags: Iterable[str] = (),
    department: str | None = None,
    summary: str = "",
    publish: bool = False,
    then: Callable[[Revision], object] | None = None,
    space: str | None = None,
    parent: str | None = None,
) -> Revision:
    """Propose a new page; it stays unpublished until reviewed (``publish``: trusted imports).

    ``space`` (a slug; default: the department's space) and ``parent`` (a page slug; default:
    the top of the space) say where it goes in the tree.

    ``then`` runs on the new revision in the same transaction (asking for review, say): when it
    fails, nothing of the page remains.
    """
    fields = pages.validate_fields(session, title=title, body=body, tags=tags, summary=summary)
    slug = slugify(fields["title"])
    pages.claim_slug(session, slug, page=None)
    dept = pages.resolve_department(session, department, default=author.department)
    place = spaces.resolve_place(
        session, actor=author, page=None, space=space, parent=parent,
        default=spaces.default_place(session, author=author, department=dept),
    )  # fmt: skip
    with _write_guard(session, page=None, proposal=None, base=None):
        page = Page(
            slug=slug, title=fields["title"], department=dept, created_by=author,
            space=place.space, parent=place.parent,
            position=spaces.next_position(session, place.space, place.parent),
        )  # fmt: skip
        session.add(page)
        session.flush()
        ownership.start_owning(session, page, author)
        watches.start_watching(session, author, page)
        proposal = _new_proposal(session, page, author, base=None)
        revision = _push(
            session, proposal, author=author, base=None, department=dept, place=place, **fields
        )
        pages.content_changed(session)  # links to its slug no longer show as missing
        _finish(session, proposal, revision, author, publish=publish, then=then)
    return revision


def save_revision(
    session: Session,
    *,
    author: User,
    slug: str,
    body: str,
    base_revision_id: int | None,
    title: str | None = None,
    tags: Iterable[str] | None = None,
    department: str | None = None,
    summary: str = "",
    publish: bool = False,
    then: Callable[[Revision], object] | None = None,
    space: str | None = None,
    parent: str | None = None,
) -> Revision:
    """Save an edit made on top of ``base_revision_id``.

    ``space`` and ``parent`` propose a move (``parent=""``: to the top of the space; both None:
    where the base revision had it); a place equal to where the page is now proposes none.

    On the head of an open proposal it adds a revision to that proposal (its author only); on
    the published revision it starts a new proposal. Any other base is stale: EditConflict.
    ``then`` runs on the new revision in the same transaction, as for :func:`create_page`.
    """
    page = pages.lookup(session, slug, reader=author)
    if page.is_archived:
        raise Conflict("This page is archived. Restore it before editing.")
    base = session.get(Revision, base_revision_id) if base_revision_id else None
    if base is None or base.page_id != page.id or not policy.can_view(author, base):
        raise EditConflict(
            "The edit does not say which current revision of this page it starts from.",
            current=current_revision(session, page, author),
            base=None,
        )
    proposal = continued_by(base)
    if proposal is not None:
        policy.require_manage(author, proposal)
        advance(proposal.state, Action.REVISE)
    elif not _starts_new_proposal(page, base):
        raise EditConflict(
            "Someone saved a newer version of this page while you were editing.",
            current=_successor(session, page, base, author),
            base=base,
        )
    fields = pages.validate_fields(
        session,
        title=base.title if title is None else title,
        body=body,
        tags=base.tags if tags is None else tags,
        summary=summary,
    )
    dept = (
        pages.resolve_department(session, department, default=None)
        if department
        else base.department
    )
    place = _proposed_place(session, author, page, base, space=space, parent=parent)
    if (fields["title"], fields["body"], fields["tags"], dept) == (
        base.title, base.body, base.tags, base.department,
    ) and spaces.proposed_move(place, base) is None:  # fmt: skip
        raise ValidationError(
            "Nothing changed.", {"body": "This is the same as the version you started from."}
        )
    if slugify(fields["title"]) != page.slug:
        pages.claim_slug(session, slugify(fields["title"]), page=page)
    with _write_guard(session, page=page, proposal=proposal, base=base):
        if proposal is None:
            published_base = base if base.id == page.published_revision_id else None
            proposal = _new_proposal(session, page, author, base=published_base)
        else:
            _revise(session, proposal, author)
        revision = _push(
            session, proposal, author=author, base=base, department=dept, place=place, **fields
        )
        _finish(session, proposal, revision, author, publish=publish, then=then)
    return revision


def restore_revision(session: Session, *, author: User, slug: str, revision_id: int) -> Revision:
    """Propose the text, title and tags of an earlier revision again: a new proposal on top of
    the published version, reviewed like any other edit (the page stays where it is now)."""
    page = pages.lookup(session, slug, reader=author)
    old = pages.get_revision(session, revision_id, reader=author, page=page)
    current = page.published_revision
    if current is None:
        raise ValidationError("This page has no published version to restore over yet.")
    if old.id == current.id:
        raise ValidationError("This is the published version already.")
    return save_revision(
        session, author=author, slug=page.slug, body=old.body, base_revision_id=current.id,
        title=old.title, tags=list(old.tags), summary=f"Restore revision {old.number}",
    )  # fmt: skip


def _proposed_place(
    session: Session,
    author: User,
    page: Page,
    base: Revision,
    *,
    space: str | None,
    parent: str | None,
) -> spaces.Place:
    """Where an edit puts the page: where its base did, unless it asks for another place than
    the page's present one."""
    kept = spaces.place_of_revision(base) or spaces.place_of(page)
    if space is None and parent is None:
        return kept
    wanted = spaces.requested_place(session, actor=author, page=page, space=space, parent=parent)
    return kept if spaces.same_place(wanted, spaces.place_of(page)) else wanted


def _finish(
    session: Session,
    proposal: Proposal,
    revision: Revision,
    author: User,
    *,
    publish: bool,
    then: Callable[[Revision], object] | None,
) -> None:
    """End a save: publish a trusted import, run the follow-up step, commit once."""
    if publish:
        _import(session, proposal, author)
    if then is not None:
        session.flush()
        then(revision)
    session.commit()


def get(session: Session, proposal_id: int, *, reader: policy.Reader) -> Proposal:
    """Return a proposal by id if ``reader`` may see it; raise NotFound otherwise."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or not policy.can_view(reader, proposal):
        raise NotFound(f"There is no proposal {proposal_id}.")
    return proposal


def of_revision(session: Session, revision_id: int, *, reader: policy.Reader) -> Proposal:
    """Return the proposal a revision belongs to, if ``reader`` may see it; raise NotFound
    otherwise."""
    revision = pages.get_revision(session, revision_id, reader=reader)
    if revision.proposal is None:
        raise NotFound(f"Revision {revision_id} is not part of a proposal (it was imported).")
    return revision.proposal


def revisions(session: Session, proposal: Proposal) -> list[Revision]:
    """Return the revisions of ``proposal``, oldest first (they are as visible as it is)."""
    return list(
        session.scalars(
            select(Revision).where(Revision.proposal_id == proposal.id).order_by(Revision.number)
        )
    )


def open_for_page(session: Session, page: Page, *, reader: policy.Reader) -> list[Proposal]:
    """Return the open proposals of ``page`` that ``reader`` may see, newest first."""
    found = session.scalars(
        select(Proposal)
        .where(Proposal.page_id == page.id, Proposal.state.in_([s.value for s in OPEN_STATES]))
        .options(selectinload(Proposal.revisions), selectinload(Proposal.head_revision))
        .order_by(Proposal.updated_at.desc())
    )
    return [proposal for proposal in found if policy.can_view(reader, proposal)]


def open_by(session: Session, page: Page, user: User) -> Proposal | None:
    """Return ``user``'s newest open proposal for ``page``, if any."""
    return next(
        (p for p in open_for_page(session, page, reader=user) if p.author_id == user.id), None
    )


def current_revision(session: Session, page: Page, user: User | None) -> Revision:
    """Return what an edit of ``page`` by ``user`` starts from: their open proposal or the page."""
    mine = open_by(session, page, user) if user is not None else None
    if mine is not None and mine.head_revision is not None:
        return mine.head_revision
    revision = page.published_revision or page.latest_revision
    if revision is None or not policy.can_view(user, revision):
        raise NotFound(f"There is no page at {page.slug!r}.")
    return revision


def transition(
    session: Session, proposal: Proposal, action: Action, actor: User | None, detail: str = ""
) -> State:
    """Apply ``action`` to ``proposal`` (raising InvalidTransition), and record it."""
    before = State(proposal.state)
    after = advance(before, action)
    proposal.state = after.value
    proposal.updated_at = utcnow()
    indexing.enqueue_proposal(session, proposal.id)
    if proposal.head_revision is not None and after is not State.PUBLISHED:
        proposal.head_revision.status = after.value
    record(session, proposal, actor, action.value, detail, before=before, after=after)
    return after


def record(
    session: Session,
    proposal: Proposal,
    actor: User | None,
    kind: str,
    detail: str = "",
    *,
    before: State | None = None,
    after: State | None = None,
) -> None:
    """Add an entry to ``proposal``'s timeline."""
    proposal.events.append(
        ProposalEvent(
            actor=actor,
            kind=kind,
            detail=detail,
            from_state=before.value if before else None,
            to_state=after.value if after else None,
        )
    )


def publish(session: Session, proposal: Proposal, actor: User | None) -> Revision | None:
    """Publish an approved proposal, merging it with newer published text when needed.

    Returns the published revision, or None when the changes overlap: then the proposal is
    marked ``needs_update`` and its author resolves the conflict. Does not commit.
    """
    page = proposal.page
    head = proposal.head_revision
    assert head is not None
    current = page.published_revision
    if current is not None and proposal.base_revision_id != current.id:
        merged = three_way_merge(proposal, current)
        if merged.conflicts:
            proposal.needs_update = True
            record(
                session, proposal, actor, "merge_conflict",
                f"Revision {current.number} was published meanwhile and changes the same lines.",
            )  # fmt: skip
            return None
        head = pages.append_revision(
            session, page, author=proposal.author, base=head, department=head.department,
            title=head.title, body=merged.text, tags=list(head.tags), proposal=proposal,
            summary=f"Merged automatically with revision {current.number}",
        )  # fmt: skip
        _move_head(session, proposal, head)
        proposal.base_revision = current
        record(session, proposal, actor, "merged", f"Merged with revision {current.number}.")
    transition(session, proposal, Action.PUBLISH, actor)
    _publish(session, proposal, head, actor)
    proposal.needs_update = False
    return head


def _publish(session: Session, proposal: Proposal, head: Revision, actor: User | None) -> None:
    """Make ``head`` what readers see, and audit it."""
    pages.publish_revision(session, proposal.page, head)
    watches.announce_publication(session, proposal, head, actor=actor)
    ownership.schedule_after_publication(session, proposal.page)  # its clock restarts
    proposal.published_at = utcnow()
    audit.record(
        session, "proposal.publish", actor=actor, target=f"proposal:{proposal.id}",
        detail={"page": proposal.page.slug, "revision": head.number},
    )  # fmt: skip


class Merge:
    """The outcome of merging a proposal with the currently published text."""

    def __init__(self, text: str, conflicts: bool) -> None:
        self.text = text
        self.conflicts = conflicts


def three_way_merge(proposal: Proposal, current: Revision) -> Merge:
    """Merge the proposal's change (base -> head) into ``current``; conflict markers on overlap."""
    head = proposal.head_revision
    assert head is not None
    base_text = proposal.base_revision.body if proposal.base_revision else ""
    merger = merge3.Merge3(
        split_lines(base_text, keepends=True),
        split_lines(head.body, keepends=True),
        split_lines(current.body, keepends=True),
    )
    conflicts = any(region[0] == "conflict" for region in merger.merge_regions())
    text = "".join(
        merger.merge_lines(name_a="this proposal", name_b=f"published revision {current.number}")
    )
    return Merge(text, conflicts)


def continued_by(revision: Revision) -> Proposal | None:
    """The open proposal that an edit based on ``revision`` adds to, if any (it is its head)."""
    proposal = revision.proposal
    if (
        proposal is not None
        and proposal.head_revision_id == revision.id
        and proposal.state in OPEN_STATES
    ):
        return proposal
    return None


def _starts_new_proposal(page: Page, base: Revision) -> bool:
    """An edit of the published text, or of an abandoned first draft of an unpublished page."""
    if base.id == page.published_revision_id:
        return True
    return page.published_revision_id is None and base.id == page.latest_revision_id


def _successor(session: Session, page: Page, base: Revision, user: User) -> Revision:
    """The revision a stale edit should have started from."""
    proposal = base.proposal
    if proposal is not None and proposal.state in OPEN_STATES and proposal.head_revision:
        return proposal.head_revision
    return current_revision(session, page, user)


def _new_proposal(session: Session, page: Page, author: User, *, base: Revision | None) -> Proposal:
    proposal = Proposal(page=page, author=author, base_revision=base, state=State.DRAFT.value)
    session.add(proposal)
    session.flush()
    record(session, proposal, author, "created", after=State.DRAFT)
    return proposal


def _revise(session: Session, proposal: Proposal, author: User) -> None:
    """A new revision dismisses earlier approvals (comments stay) and rebases a conflict."""
    now = utcnow()
    for review in approval.approvals_in_force(proposal.reviews):
        review.dismissed_at = now
    if proposal.needs_update and proposal.page.published_revision is not None:
        proposal.base_revision = proposal.page.published_revision
        proposal.needs_update = False
    transition(session, proposal, Action.REVISE, author)


def _push(
    session: Session, proposal: Proposal, *, author: User, base: Revision | None, **fields: object
) -> Revision:
    revision = pages.append_revision(
        session,
        proposal.page,
        author=author,
        base=base,
        proposal=proposal,
        **fields,  # type: ignore[arg-type]
    )
    _move_head(session, proposal, revision, expected=proposal.head_revision_id)
    session.expire(proposal, ["revisions"])  # its contributors may have changed
    return revision


def _move_head(
    session: Session, proposal: Proposal, revision: Revision, *, expected: int | None = -1
) -> None:
    """Point the proposal (compare-and-set against ``expected``) and the page at ``revision``."""
    old_head = proposal.head_revision
    if expected != -1 and not db.compare_and_set(
        session, Proposal.head_revision_id, proposal.id, expected=expected, new=revision.id
    ):
        raise _StaleHead
    if old_head is not None and old_head.id != revision.id:
        old_head.status = State.SUPERSEDED.value
    revision.status = proposal.state
    proposal.head_revision = revision
    indexing.enqueue_proposal(session, proposal.id)
    proposal.updated_at = utcnow()
    proposal.page.latest_revision = revision


def _import(session: Session, proposal: Proposal, actor: User) -> None:
    """Publish a trusted import without review, recorded on the timeline."""
    head = proposal.head_revision
    assert head is not None
    current = proposal.page.published_revision
    if current is not None and proposal.base_revision_id != current.id:
        raise Conflict("The page changed since this import started.")
    transition(session, proposal, Action.IMPORT, actor, "Imported from a content file.")
    _publish(session, proposal, head, actor)


@contextmanager
def _write_guard(
    session: Session, *, page: Page | None, proposal: Proposal | None, base: Revision | None
) -> Iterator[None]:
    """Turn a lost race with a concurrent writer into a clear error, leaving nothing half-done.

    The race shows as a moved proposal head (compare-and-set), a duplicate revision number or
    slug (IntegrityError), or SQLite refusing a write from an outdated snapshot.
    """
    try:
        yield
    except (IntegrityError, OperationalError, _StaleHead) as exc:
        session.rollback()
        if isinstance(exc, OperationalError) and "locked" not in str(exc):
            raise
        if page is None:
            raise ValidationError(
                "Title in use.", {"title": "A page with this title was created a moment ago."}
            ) from None
        slug = page.slug
        fresh = pages.lookup(session, slug, reader=policy.SYSTEM)
        current = (
            proposal.head_revision
            if proposal is not None and proposal.head_revision is not None
            else fresh.published_revision or fresh.latest_revision
        )
        raise EditConflict(
            "Someone saved this page at the same moment. Your text is kept; review their "
            "change and save again.",
            current=current,
            base=base,
        ) from None


class _StaleHead(Exception):
    """The proposal's head moved since the edit started."""


def start_draft(session: Session, page: Page, *, author: User, summary: str) -> Revision:
    """Open a draft proposal for ``page`` whose first revision is its published text, for
    ``author`` to change (a verification found the page needs work). Does not commit."""
    published = page.published_revision
    assert published is not None
    proposal = _new_proposal(session, page, author, base=published)
    return _push(
        session, proposal, author=author, base=published, department=published.department,
        title=published.title, body=published.body, tags=list(published.tags), summary=summary,
    )  # fmt: skip
