"""Whom to ask for a review: people who know the subject, always someone from another department."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app import render
from app.models import Department, Page, PageLink, Proposal, Review, Revision, User
from app.review.workflow import OPEN_STATES, State
from app.services import experts
from app.services.content import SYSTEM_USERNAME


@dataclass(frozen=True)
class Suggestion:
    """A suggested reviewer and why."""

    user: User
    reason: str
    cross_department: bool


def suggest_reviewers(session: Session, proposal: Proposal, *, limit: int = 6) -> list[Suggestion]:
    """Suggest reviewers who know the subject, always including someone from another department."""
    head = proposal.head_revision
    assert head is not None
    excluded = {proposal.author_id, *(request.reviewer_id for request in proposal.requests)}
    return suggest_for_revision(
        session, head, home=head.department or proposal.author.department, excluded=excluded,
        limit=limit,
    )  # fmt: skip


def suggest_for_editor(
    session: Session, *, author: User, start: Revision | None, limit: int = 6
) -> list[Suggestion]:
    """Suggest reviewers in the editor, before anything is saved. ``start`` is where the edit
    starts (the published text, or the head of the author's open proposal, whose reviewers are
    not suggested again); None for a new page, which only has its author's department to go by."""
    proposal = start.proposal if start is not None else None
    if proposal is not None and start is not None and proposal.head_revision_id == start.id:
        if proposal.state in OPEN_STATES:
            return suggest_reviewers(session, proposal, limit=limit)
    if start is not None:
        home = start.department or author.department
        return suggest_for_revision(session, start, home=home, excluded={author.id}, limit=limit)
    other = _active_outsider(session, author.department, {author.id})
    if other is None:
        return []
    return [_suggestion(other, "Most active reviewer outside your department", author.department)]


def suggest_for_revision(
    session: Session, head: Revision, *, home: Department, excluded: set[int], limit: int = 6
) -> list[Suggestion]:
    """Suggest people who know the subject of ``head`` (a page's department is ``home``), always
    including someone from another department; nobody in ``excluded``."""
    page = head.page
    scores: Counter[int] = Counter()
    reasons: dict[int, str] = {}

    def consider(users: Iterable[User], reason: str, weight: int) -> None:
        for user in users:
            if user.id in excluded or not user.is_active or user.username == SYSTEM_USERNAME:
                continue
            scores[user.id] += weight
            reasons.setdefault(user.id, reason)

    for tag in head.tags:  # the expert directory's signal: who knows the tag's pages
        for expert in experts.rank(session, tag=tag, exclude_page_id=page.id, limit=limit * 3):
            consider([expert.user], expert.describe(f"tagged #{tag}"), expert.score)
    linked_slugs = render.wikilink_targets(head.html)
    linked = select(Page.id).where(Page.slug.in_(linked_slugs))
    consider(_authors_of(session, linked), "Wrote a page this one links to", 2)
    linking = select(PageLink.source_page_id).where(PageLink.target_slug == page.slug)
    consider(_authors_of(session, linking), "Wrote a page that links here", 2)
    consider(
        _authors_of(session, select(Page.id).where(Page.id == page.id)),
        "Wrote earlier versions of this page",
        4,
    )

    users = {
        user.id: user for user in session.scalars(select(User).where(User.id.in_(list(scores))))
    }
    ranked = sorted(users.values(), key=lambda user: (-scores[user.id], user.name))
    chosen = [_suggestion(user, reasons[user.id], home) for user in ranked[:limit]]
    if not any(item.cross_department for item in chosen):
        other = next(
            (user for user in ranked if user.department_id != home.id), None
        ) or _active_outsider(session, home, excluded)
        if other is not None:
            reason = reasons.get(other.id) or "Most active reviewer outside the page's department"
            chosen = [*chosen[: limit - 1], _suggestion(other, reason, home)]
    return chosen


def _suggestion(user: User, reason: str, home: Department) -> Suggestion:
    crossed = user.department_id != home.id
    if crossed:
        reason = (
            f"{reason} · cross-department pairing: {with_article(user.department.name)} view "
            f"on {with_article(home.name)} page"
        )
    return Suggestion(user=user, reason=reason, cross_department=crossed)


#: Letters whose English names start with a vowel sound: "an HR view", "an SRE page".
_VOWEL_SOUND_LETTERS = frozenset("AEFHILMNORSX")
#: Words that start with a vowel letter but a consonant sound: "a user", "a European".
_CONSONANT_SOUND_STARTS = ("uni", "use", "usu", "uti", "eu", "one", "once")


def with_article(noun: str) -> str:
    """``noun`` with "a" or "an" before it, by how it is said: "an Operations", "a Finance"."""
    word = noun.strip()
    if not word:
        return noun
    first = word.split()[0]
    if len(first) > 1 and first.isupper():  # an acronym, spoken letter by letter
        vowel_sound = first[0] in _VOWEL_SOUND_LETTERS
    else:
        lowered = first.lower()
        vowel_sound = lowered[0] in "aeiou" and not lowered.startswith(_CONSONANT_SOUND_STARTS)
    return f"{'an' if vowel_sound else 'a'} {word}"


def _authors_of(session: Session, page_ids: Select[Any]) -> list[User]:
    query = (
        select(User)
        .join(Revision, Revision.author_id == User.id)
        .where(
            Revision.page_id.in_(page_ids),
            Revision.status.in_([State.PUBLISHED.value, State.SUPERSEDED.value]),
        )
    )
    return list(session.scalars(query))


def _active_outsider(session: Session, home: Department, excluded: set[int]) -> User | None:
    activity = func.count(Review.id) + func.count(Revision.id)
    query = (
        select(User)
        .outerjoin(Review, Review.reviewer_id == User.id)
        .outerjoin(Revision, Revision.author_id == User.id)
        .where(
            User.department_id != home.id,
            User.is_active.is_(True),
            User.username != SYSTEM_USERNAME,
        )
        .where(User.id.not_in(excluded))
        .group_by(User.id)
        .order_by(activity.desc(), User.name)
        .limit(1)
    )
    return session.scalar(query)
