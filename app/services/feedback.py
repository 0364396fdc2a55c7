"""Readers' feedback on published pages: "this worked for me" / "this didn't work", with an
optional private note to the page's owners; repeated "didn't work" asks for an early
verification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.exceptions import NotFound, ValidationError
from app.models import Page, PageFeedback, PageSchedule, User, utcnow
from app.review import policy
from app.services import ownership, pages, verification

#: Longest private note a reader may leave.
MAX_NOTE_CHARS: Final = 1000
#: "Didn't work" reports since the last verification that open one early for a page of no
#: space (each space has its own setting).
DEFAULT_THRESHOLD: Final = 3
#: Notes an owner sees on the page (newest first); the API pages through all of them.
NOTES_SHOWN: Final = 20


@dataclass(frozen=True)
class Tally:
    """What readers said about a page: for its published version, and since its last
    verification (which decides when one is opened early)."""

    worked: int
    not_worked: int
    not_worked_since_verified: int
    threshold: int


@dataclass(frozen=True)
class Note:
    """A reader's private note to the owners, with their word on the version they read."""

    user: User
    worked: bool
    note: str
    revision_id: int
    updated_at: datetime


@dataclass(frozen=True)
class Outcome:
    """The reader's recorded word, the page's tally after it, and whether it made the page due
    for verification ahead of schedule."""

    feedback: PageFeedback
    page: Page
    tally: Tally
    opened_verification: bool


def crosses_threshold(before: int, after: int, threshold: int) -> bool:
    """Tell whether "didn't work" reports going from ``before`` to ``after`` reach
    ``threshold``: only the report that reaches it opens a verification, not every one past it."""
    return before < threshold <= after


def threshold_for(page: Page) -> int:
    """How many "didn't work" reports since the last verification open one early for ``page``:
    its space's setting."""
    return page.space.feedback_threshold if page.space is not None else DEFAULT_THRESHOLD


def counted_since(session: Session, page: Page) -> datetime | None:
    """When "didn't work" reports start counting towards an early verification: the page's last
    verification or publication, whichever is later (a reviewed publication is as good as a
    verification, as the page's schedule has it)."""
    revision = page.published_revision
    published = revision.published_at if revision is not None else None
    plan = session.get(PageSchedule, page.id)
    verified = plan.verified_at if plan is not None else None
    moments = [moment for moment in (published, verified) if moment is not None]
    return max(moments) if moments else None


def give(session: Session, *, reader: User, slug: str, worked: bool, note: str = "") -> Outcome:
    """Record ``reader``'s word on the published version of the page at ``slug`` (replacing
    their earlier word on that version), and open a verification early when this report makes
    enough readers say it did not work."""
    page = pages.lookup(session, slug, reader=reader)
    revision = page.published_revision
    if revision is None or page.is_archived:
        raise NotFound(f"There is no published page at {slug!r}.")
    policy.require_give_feedback(reader, page)
    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        raise ValidationError(
            f"Keep the note under {MAX_NOTE_CHARS} characters.",
            {"note": f"Keep the note under {MAX_NOTE_CHARS} characters ({len(note)} now)."},
        )
    before = tally(session, page)
    feedback = session.scalar(
        select(PageFeedback).where(
            PageFeedback.revision_id == revision.id, PageFeedback.user_id == reader.id
        )
    )
    now = utcnow()
    if feedback is None:
        feedback = PageFeedback(
            page_id=page.id, revision_id=revision.id, user_id=reader.id, created_at=now
        )
        session.add(feedback)
    feedback.worked = worked
    feedback.note = note
    feedback.updated_at = now
    session.flush()
    after = tally(session, page)
    opened = crosses_threshold(
        before.not_worked_since_verified, after.not_worked_since_verified, after.threshold
    )
    if opened:
        verification.open_verification_early(
            session, page, f"{after.not_worked_since_verified} readers said it did not work"
        )
    session.commit()
    return Outcome(feedback=feedback, page=page, tally=after, opened_verification=opened)


def tally(session: Session, page: Page) -> Tally:
    """Count what readers said about ``page``, in one query."""
    revision_id = page.published_revision_id
    since = counted_since(session, page)
    not_worked = PageFeedback.worked.is_(False)
    current = PageFeedback.revision_id == revision_id
    recent = not_worked if since is None else not_worked & (PageFeedback.updated_at >= since)
    row = session.execute(
        select(
            func.count(case((current & PageFeedback.worked.is_(True), 1))),
            func.count(case((current & not_worked, 1))),
            func.count(case((recent, 1))),
        ).where(PageFeedback.page_id == page.id)
    ).one()
    return Tally(
        worked=row[0], not_worked=row[1], not_worked_since_verified=row[2],
        threshold=threshold_for(page),
    )  # fmt: skip


def own_word(session: Session, page: Page, reader: User) -> PageFeedback | None:
    """What ``reader`` said about the version of ``page`` readers see now, if anything."""
    return session.scalar(
        select(PageFeedback).where(
            PageFeedback.revision_id == page.published_revision_id,
            PageFeedback.user_id == reader.id,
        )
    )


def reads_owners_view(session: Session, page: Page, reader: User | None) -> bool:
    """Whether ``reader`` is one of those who read the full tally and the notes of ``page``."""
    return policy.can_read_feedback(reader, ownership.owner_ids(session, page))


def notes(session: Session, page: Page, *, reader: User, limit: int = NOTES_SHOWN) -> list[Note]:
    """The readers' private notes on ``page`` (every version), newest first: owners only."""
    if not reads_owners_view(session, page, reader):
        return []
    rows = session.scalars(
        select(PageFeedback)
        .where(PageFeedback.page_id == page.id, PageFeedback.note != "")
        .order_by(PageFeedback.updated_at.desc(), PageFeedback.id.desc())
        .limit(limit)
    )
    return [
        Note(user=row.user, worked=row.worked, note=row.note, revision_id=row.revision_id,
             updated_at=row.updated_at)
        for row in rows
    ]  # fmt: skip
