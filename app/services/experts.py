"""Who knows about X: people ranked by what they did on the live pages of a tag or a space
(published versions they wrote, reviews of theirs that approved a published change, verifications
they completed). The expert directory and reviewer suggestions read the same signal."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from app.exceptions import NotFound, ValidationError
from app.models import (
    Page,
    PageContributor,
    Proposal,
    Review,
    Space,
    Tag,
    User,
    Verification,
    VerificationState,
)
from app.review import policy
from app.review.approval import Verdict
from app.services import spaces
from app.services.content import SYSTEM_USERNAME

#: What each kind of contribution counts for in the ranking.
WEIGHTS: Final = {"pages": 3, "reviews": 2, "verifications": 2}
#: People a directory lists at most.
LIMIT: Final = 20


@dataclass(frozen=True)
class Expert:
    """Someone who knows a subject, and what they did on its pages."""

    user: User
    pages: int
    reviews: int
    verifications: int

    @property
    def score(self) -> int:
        """The ranking's weight: :data:`WEIGHTS` times each count."""
        return (
            WEIGHTS["pages"] * self.pages
            + WEIGHTS["reviews"] * self.reviews
            + WEIGHTS["verifications"] * self.verifications
        )

    def describe(self, subject: str) -> str:
        """What they did, in words: "Wrote 2 pages and approved 1 change tagged #vpn"."""
        parts = []
        if self.pages:
            parts.append(f"wrote {_count(self.pages, 'page')}")
        if self.reviews:
            parts.append(f"approved {_count(self.reviews, 'published change')}")
        if self.verifications:
            parts.append(f"verified {_count(self.verifications, 'page')}")
        said = " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)
        return f"{said[:1].upper()}{said[1:]} {subject}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def directory(
    session: Session, *, reader: User | None, tag: str | None, space: str | None
) -> list[Expert]:
    """The expert directory's answer for ``reader``: who knows about ``tag`` or ``space``."""
    policy.require_find_experts(reader)
    return rank(session, tag=tag or None, space=space or None)


def rank(
    session: Session,
    *,
    tag: str | None = None,
    space: str | None = None,
    exclude_page_id: int | None = None,
    limit: int = LIMIT,
) -> list[Expert]:
    """The people who know the live pages tagged ``tag`` or in the space ``space`` (a slug), most
    first (by :attr:`Expert.score`, then name); raise ValidationError unless exactly one of
    them is given, NotFound for an unknown space. ``exclude_page_id``: leave that page out
    (the one being reviewed)."""
    if (tag is None) == (space is None):
        raise ValidationError("Ask about a tag or a space.", {"tag": "Give a tag or a space."})
    scope = select(Page.id).where(
        Page.archived_at.is_(None), Page.published_revision_id.is_not(None)
    )
    if tag is not None:
        scope = scope.where(Page.tags.any(Tag.name == tag.strip().lower()))
    else:
        assert space is not None
        found: Space = spaces.get_space(session, space)
        scope = scope.where(Page.space_id == found.id)
    if exclude_page_id is not None:
        scope = scope.where(Page.id != exclude_page_id)
    counts: dict[int, Counter[str]] = {}
    for kind, query in _contributions(scope).items():
        for user_id, number in session.execute(query):
            if user_id is not None:
                counts.setdefault(user_id, Counter())[kind] = int(number)
    if not counts:
        return []
    people = session.scalars(
        select(User).where(
            User.id.in_(list(counts)), User.is_active.is_(True), User.username != SYSTEM_USERNAME
        )
    )
    experts = [
        Expert(user=user, pages=counts[user.id]["pages"], reviews=counts[user.id]["reviews"],
               verifications=counts[user.id]["verifications"])
        for user in people
    ]  # fmt: skip
    experts.sort(key=lambda expert: (-expert.score, expert.user.name, expert.user.id))
    return experts[:limit]


def _contributions(scope: Select[Any]) -> dict[str, Select[int | None, int]]:
    """Per person, in ``scope``: pages they wrote a published version of, their approvals of
    changes that were published (and still counted), verifications they completed."""
    pages = (
        select(PageContributor.user_id, func.count(PageContributor.page_id))
        .where(PageContributor.page_id.in_(scope))
        .group_by(PageContributor.user_id)
    )
    in_scope: ColumnElement[bool] = Proposal.page_id.in_(scope)
    reviews = (
        select(Review.reviewer_id, func.count(func.distinct(Review.proposal_id)))
        .join(Proposal, Proposal.id == Review.proposal_id)
        .where(
            in_scope,
            Review.verdict == Verdict.APPROVE.value,
            Review.dismissed_at.is_(None),
            Proposal.published_at.is_not(None),
            Review.reviewer_id != Proposal.author_id,
        )
        .group_by(Review.reviewer_id)
    )
    verifications = (
        select(Verification.completed_by_id, func.count(Verification.id))
        .where(
            Verification.page_id.in_(scope),
            Verification.state == VerificationState.VERIFIED.value,
            Verification.completed_by_id.is_not(None),
        )
        .group_by(Verification.completed_by_id)
    )
    return {"pages": pages, "reviews": reviews, "verifications": verifications}


def topics(session: Session) -> tuple[list[str], list[tuple[str, str]]]:
    """What the directory can be asked about: tags of live pages (most used first) and spaces
    (slug, name)."""
    tags = session.scalars(
        select(Tag.name)
        .join(Page.tags)
        .where(Page.archived_at.is_(None), Page.published_revision_id.is_not(None))
        .group_by(Tag.name)
        .order_by(func.count(Page.id).desc(), Tag.name)
        .limit(40)
    ).all()
    return list(tags), [(item.slug, item.name) for item in spaces.list_spaces(session)]


def subject(tag: str | None, space: str | None, session: Session) -> str:
    """How a question reads: "tagged #vpn" or "in Finance"."""
    if tag:
        return f"tagged #{tag.strip().lower()}"
    if space:
        try:
            return f"in {spaces.get_space(session, space).name}"
        except NotFound:
            return f"in {space}"
    return ""
