"""A wiki with weeks of history for the analytics tests and screenshots: pages written, sent for
review, reviewed across departments or not, published; proposals still open; readers' feedback
and unanswered searches. Made through the services, then moved back in time."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.models import PageFeedback, PageSchedule, Proposal, ProposalEvent, Review, Revision, User
from app.review import schedule
from app.review.approval import ApprovalRules
from app.search import SearchQuery
from app.services import feedback, proposals, review, search
from tests.factories import make_user

RULES = ApprovalRules()
DEPARTMENTS = {
    "Engineering": ["alex", "eli", "priya"],
    "Finance": ["fatima", "omar"],
    "People": ["hana", "lena"],
    "Sales": ["sam", "uma"],
}
TOPICS = {
    "Engineering": ["vpn", "deploys", "on-call", "laptops"],
    "Finance": ["expenses", "invoices", "budgets"],
    "People": ["onboarding", "leave", "benefits"],
    "Sales": ["crm", "pricing"],
}
QUESTIONS = ["parking permit", "wifi password guest", "printer on floor 3", "expense limit travel",
             "jury duty leave", "dentist insurance"]  # fmt: skip


@dataclass(frozen=True)
class Seeded:
    """What the seed made: everyone by username, and the times it used."""

    people: dict[str, User]
    now: datetime
    published: int
    open: int


def seed(
    session: Session, app: Flask, *, now: datetime, weeks: int = 8, per_week: int = 4,
    open_proposals: int = 6, old_pages: int = 10, seed_value: int = 13,
) -> Seeded:  # fmt: skip
    """Make ``weeks`` weeks of history ending at ``now``."""
    rng = random.Random(seed_value)
    people = {
        username: make_user(
            session,
            username=username,
            name=username.capitalize() + " " + department[:3] + "son",
            department=department,
        )  # fmt: skip
        for department, usernames in DEPARTMENTS.items()
        for username in usernames
    }
    by_department = {
        department: [people[name] for name in names] for department, names in DEPARTMENTS.items()
    }
    everyone = list(people.values())
    published = 0
    for week in range(weeks, 0, -1):
        for number in range(per_week + rng.randint(-1, 2)):
            department = rng.choice(list(DEPARTMENTS))
            writer = rng.choice(by_department[department])
            outsider = rng.random() < 0.6
            pool = [p for p in everyone if (p.department.name != department) == outsider]
            reviewer = rng.choice([p for p in pool if p.id != writer.id])
            topic = rng.choice(TOPICS[department])
            submitted = now - timedelta(weeks=week) + timedelta(hours=rng.randint(1, 100))
            waited = timedelta(
                hours=rng.choice([1, 2, 4, 8, 20, 30, 50, 90]) * rng.uniform(0.5, 1.5)
            )
            draft = proposals.create_page(
                session, author=writer, title=f"{topic.title()} guide {week}-{number}",
                body=f"# {topic}\n\nHow we handle {topic}.\n", tags=[topic], department=department,
                then=review.submission(session, actor=writer, rules=RULES, reviewers=[reviewer.username]),
            )  # fmt: skip
            first_look = None
            if rng.random() < 0.4:  # someone comments first; the approval comes later
                commenter = rng.choice(
                    [p for p in everyone if p.id not in (writer.id, reviewer.id)]
                )
                review.add_review(session, actor=commenter, revision_id=draft.id,
                                  verdict="comment", summary="Looks close.", rules=RULES)  # fmt: skip
                first_look = submitted + waited / 3
            review.add_review(
                session, actor=reviewer, revision_id=draft.id, verdict="approve", rules=RULES
            )
            _backdate(session, draft.proposal_id, submitted, submitted + waited, first_look)
            published += 1
    for number in range(old_pages):  # published long ago: some are due or overdue for a check
        department = rng.choice(list(DEPARTMENTS))
        writer = rng.choice(by_department[department])
        old = proposals.create_page(
            session, author=writer, title=f"Handbook chapter {number}", body="# Old\n\nStill true?\n",
            department=department, publish=True,
        )  # fmt: skip
        when = now - timedelta(days=rng.choice([90, 140, 170, 185, 190, 260]))
        session.execute(
            update(Revision).where(Revision.id == old.id).values(published_at=when, created_at=when)
        )
        session.execute(
            update(PageSchedule).where(PageSchedule.page_id == old.page_id)
            .values(due_at=when + timedelta(days=schedule.DEFAULT_INTERVAL_DAYS))
        )  # fmt: skip
        session.commit()
    for number in range(open_proposals):
        department = rng.choice(list(DEPARTMENTS))
        writer = rng.choice(by_department[department])
        reviewer = rng.choice([p for p in everyone if p.department.name != department])
        draft = proposals.create_page(
            session, author=writer, title=f"Draft checklist {number}", body="# Steps\n\nTo do.\n",
            department=department,
            then=review.submission(session, actor=writer, rules=RULES, reviewers=[reviewer.username]),
        )  # fmt: skip
        _backdate(session, draft.proposal_id, now - timedelta(days=3 + number * 6), None)
    _feedback(session, rng, everyone, now)
    backend = app.extensions["wiki.search"]
    for count, question in enumerate(QUESTIONS):
        for asker in everyone[: len(QUESTIONS) - count]:
            search.run(session, backend, SearchQuery(text=question), user=asker)
    session.commit()
    return Seeded(people=people, now=now, published=published, open=open_proposals)


def _backdate(
    session: Session, proposal_id: int | None, submitted: datetime, reviewed: datetime | None,
    first_look: datetime | None = None,
) -> None:  # fmt: skip
    """Move a proposal's history back: written an hour before ``submitted``, approved and
    published at ``reviewed`` (if any), after a first comment at ``first_look`` (if any)."""
    assert proposal_id is not None
    written = submitted - timedelta(hours=1)
    session.execute(
        update(Proposal).where(Proposal.id == proposal_id).values(
            created_at=written, updated_at=reviewed or submitted,
            published_at=reviewed if reviewed else None,
        )
    )  # fmt: skip
    session.execute(
        update(ProposalEvent)
        .where(ProposalEvent.proposal_id == proposal_id)
        .values(created_at=submitted if reviewed is None else reviewed)
    )
    session.execute(
        update(ProposalEvent)
        .where(ProposalEvent.proposal_id == proposal_id, ProposalEvent.kind == "submit")
        .values(created_at=submitted)
    )
    session.execute(
        update(Revision).where(Revision.proposal_id == proposal_id).values(created_at=written)
    )
    if reviewed is not None:
        session.execute(
            update(Review).where(Review.proposal_id == proposal_id).values(created_at=reviewed)
        )
        if first_look is not None:
            session.execute(
                update(Review)
                .where(Review.proposal_id == proposal_id, Review.verdict == "comment")
                .values(created_at=first_look)
            )
        session.execute(
            update(Revision)
            .where(Revision.proposal_id == proposal_id, Revision.published_at.is_not(None))
            .values(published_at=reviewed)
        )
    session.commit()


def _feedback(session: Session, rng: random.Random, everyone: list[User], now: datetime) -> None:
    """Readers vote on the published pages, most of them happily."""
    from sqlalchemy import select

    from app.models import Page

    pages = list(session.scalars(select(Page).where(Page.published_revision_id.is_not(None))))
    for page in rng.sample(pages, min(len(pages), 14)):
        assert page.published_revision is not None
        for reader in rng.sample(everyone, rng.randint(1, 6)):
            if reader.id == page.published_revision.author_id:
                continue
            worked = rng.random() < 0.75
            note = "" if worked or rng.random() < 0.5 else "Step 2 fails for me."
            feedback.give(session, reader=reader, slug=page.slug, worked=worked, note=note)
    session.execute(
        update(PageFeedback).values(updated_at=now - timedelta(days=rng.randint(1, 20)))
    )
    session.commit()
