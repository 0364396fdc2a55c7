"""Help wanted: each space's list of questions its pages do not answer yet.

A question lands on a space's list two ways: a search that the wiki could not answer (a
knowledge gap) is attributed to the space the search was filtered to (``department:``) or else
to the asker's department space; or someone asks it there directly with "Ask the experts",
which tells the space's maintainers (or, with none named, its most prolific writers). Anyone
answers by writing a page ("Write an answer" remembers the question on the proposal) or by
naming a published page; when a page that answers it is published, everyone signed in who
asked is told (inbox, and email). Anonymous askers are counted, never notified.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.exceptions import NotFound, ValidationError
from app.models import (
    Department,
    HelpAnswerDraft,
    HelpAsker,
    HelpQuestion,
    KnowledgeGap,
    Page,
    PageContributor,
    Revision,
    SearchLog,
    Space,
    User,
    utcnow,
)
from app.pagination import Paginated, paginate
from app.review import policy
from app.search import SearchQuery
from app.services import notifications, spaces

MAX_QUESTION_CHARS = 300
MAX_DETAILS_CHARS = 2000
#: Writers told about a question asked in a space that names no maintainers.
EXPERTS_WITHOUT_MAINTAINERS = 3


# -- where a question belongs -------------------------------------------------------------------


def filtered_space(session: Session, request: SearchQuery) -> Space | None:
    """The space a search is filtered to: the space of its one ``department`` (the facet, or a
    single ``department:`` filter in its text), if that department has one."""
    names = [request.department] if request.department else []
    if not names:
        for item in request.tree().filters:
            if item.field == "department":
                names = list(item.values)
    if len(names) != 1:
        return None
    return session.scalar(
        select(Space)
        .join(Department, Department.id == Space.department_id)
        .where(func.lower(Department.name) == names[0].lower())
    )


def note_gap(session: Session, gap: KnowledgeGap, entry: SearchLog) -> HelpQuestion | None:
    """Put a search just counted into ``gap`` on its space's list (the caller commits): the
    space it was filtered to, else the asker's department space; an anonymous search filtered
    to no space belongs to no list."""
    space: Space | None = session.get(Space, entry.space_id) if entry.space_id else None
    asker = session.get(User, entry.user_id) if entry.user_id is not None else None
    if space is None and asker is not None:
        space = session.scalar(select(Space).where(Space.department_id == asker.department_id))
    if space is None:
        return None
    question = _question(session, space, normalized=gap.normalized, text=entry.query)
    question.gap_id = gap.id
    _count(session, question, asker, details="")
    return question


def ask(
    session: Session,
    *,
    asker: User,
    space_slug: str | None,
    question: str,
    details: str = "",
    department: str | None = None,
) -> HelpQuestion:
    """Ask a space's experts directly: the question joins the space's list (or counts once
    more if it is there) and its experts are told in the inbox. With no ``space_slug`` it goes
    to the space of ``department`` (the department a search was filtered to), else to the
    asker's department space."""
    from app.services import search  # search records gaps through this module

    space = (
        spaces.get_space(session, space_slug)
        if space_slug
        else filtered_space(session, SearchQuery(text="", department=department))
        or spaces.ensure_department_space(session, asker.department)
    )
    text, details = " ".join(question.split()), details.strip()
    errors = {}
    if not text:
        errors["question"] = "Write your question."
    elif len(text) > MAX_QUESTION_CHARS:
        errors["question"] = f"At most {MAX_QUESTION_CHARS} characters."
    if len(details) > MAX_DETAILS_CHARS:
        errors["details"] = f"At most {MAX_DETAILS_CHARS} characters."
    if errors:
        raise ValidationError("The question could not be asked.", errors)
    item = _question(session, space, normalized=search.normalise(text) or text.lower(), text=text)
    if item.answered_at is not None:
        item.answered_at = item.answered_page_id = item.answered_by_id = None  # asked again
    item.asked_directly = True
    _count(session, item, asker, details=details)
    notifications.notify(
        session, experts(session, space), kind="help_wanted", actor=asker,
        message=f"{asker.name} asks in {space.name}: “{text}”",
        link=f"/spaces/{space.slug}/help-wanted#question-{item.id}",
    )  # fmt: skip
    session.commit()
    return item


def experts(session: Session, space: Space) -> list[User]:
    """Who answers a space's questions: its maintainers, or with none named the people who
    wrote most of its published pages."""
    named = spaces.maintainers(space)
    if named:
        return named
    writers = session.scalars(
        select(User)
        .join(PageContributor, PageContributor.user_id == User.id)
        .join(Page, Page.id == PageContributor.page_id)
        .where(Page.space_id == space.id, Page.archived_at.is_(None), User.is_active)
        .group_by(User.id)
        .order_by(func.count(PageContributor.page_id).desc(), User.id)
        .limit(EXPERTS_WITHOUT_MAINTAINERS)
    )
    return list(writers)


def _question(session: Session, space: Space, *, normalized: str, text: str) -> HelpQuestion:
    found = session.scalar(
        select(HelpQuestion).where(
            HelpQuestion.space_id == space.id, HelpQuestion.normalized == normalized
        )
    )
    if found is not None:
        return found
    item = HelpQuestion(
        space_id=space.id, normalized=normalized, question=text[:MAX_QUESTION_CHARS],
        asked=0, askers=0, anonymous=0,
    )  # fmt: skip
    session.add(item)
    session.flush()
    return item


def _count(session: Session, item: HelpQuestion, asker: User | None, *, details: str) -> None:
    now = utcnow()
    item.asked += 1
    item.last_asked_at = now
    if asker is None:
        item.anonymous += 1
        return
    row = session.scalar(
        select(HelpAsker).where(HelpAsker.question_id == item.id, HelpAsker.user_id == asker.id)
    )
    if row is None:
        session.add(HelpAsker(question_id=item.id, user_id=asker.id, details=details, asked_at=now))
        item.askers += 1
    else:
        row.asked_at = now
        row.details = details or row.details


# -- reading ------------------------------------------------------------------------------------


def wanted(
    session: Session, space: Space, *, answered: bool = False, page: int = 1, per_page: int = 30
) -> Paginated[HelpQuestion]:
    """A space's open questions, most askers first (answered ones, newest first, when
    ``answered``)."""
    query = select(HelpQuestion).where(HelpQuestion.space_id == space.id)
    if answered:
        query = query.where(HelpQuestion.answered_at.is_not(None)).order_by(
            HelpQuestion.answered_at.desc(), HelpQuestion.id.desc()
        )
    else:
        query = query.where(HelpQuestion.answered_at.is_(None)).order_by(
            HelpQuestion.asked_directly.desc(), (HelpQuestion.askers + HelpQuestion.anonymous).desc(),
            HelpQuestion.last_asked_at.desc(), HelpQuestion.id.desc(),
        )  # fmt: skip
    return paginate(session, query, page=page, per_page=per_page)


def open_counts(session: Session) -> list[tuple[Space, int]]:
    """Every space with how many open questions it has, most first."""
    counts: dict[int, int] = {
        space_id: count
        for space_id, count in session.execute(
            select(HelpQuestion.space_id, func.count(HelpQuestion.id))
            .where(HelpQuestion.answered_at.is_(None))
            .group_by(HelpQuestion.space_id)
        )
    }
    listed = [(item, counts.get(item.id, 0)) for item in spaces.list_spaces(session)]
    return sorted(listed, key=lambda pair: -pair[1])


def open_question(session: Session, question_id: int) -> HelpQuestion:
    """An unanswered question (NotFound for an unknown or answered one)."""
    item = session.get(HelpQuestion, question_id)
    if item is None or item.answered_at is not None:
        raise NotFound("This question is answered already, or was never asked.")
    return item


def details(session: Session, item: HelpQuestion) -> list[str]:
    """What askers added to the question (not who they are)."""
    return [
        row.details
        for row in session.scalars(
            select(HelpAsker).where(HelpAsker.question_id == item.id).order_by(HelpAsker.id)
        )
        if row.details
    ]


# -- answering ----------------------------------------------------------------------------------


def answer_draft(session: Session, question_id: int) -> Callable[[Revision], object]:
    """The step, for ``proposals.create_page(then=...)``, that remembers the new proposal
    answers question ``question_id``: its publication answers the question."""
    item = open_question(session, question_id)

    def remember(revision: Revision) -> None:
        assert revision.proposal_id is not None
        session.add(HelpAnswerDraft(question_id=item.id, proposal_id=revision.proposal_id))

    return remember


def answer_with_page(session: Session, *, actor: User, question_id: int, slug: str) -> HelpQuestion:
    """Answer a question with a page that is published already; its askers are told."""
    item = open_question(session, question_id)
    page = session.scalar(select(Page).where(Page.slug == slug.strip().strip("/").split("/")[-1]))
    if page is None or page.published_revision_id is None or page.is_archived or not policy.can_view(actor, page):  # fmt: skip
        raise ValidationError("Unknown page.", {"page": f"No published page at {slug!r}."})
    _answer(session, item, page, actor)
    session.commit()
    return item


def published(session: Session, page: Page, revision: Revision) -> None:
    """Answer the questions ``revision``'s proposal was written for, now it is published (the
    caller commits)."""
    if revision.proposal_id is None:
        return
    waiting = session.scalars(
        select(HelpQuestion)
        .join(HelpAnswerDraft, HelpAnswerDraft.question_id == HelpQuestion.id)
        .where(
            HelpAnswerDraft.proposal_id == revision.proposal_id,
            HelpQuestion.answered_at.is_(None),
        )
    ).all()
    for item in waiting:
        _answer(session, item, page, revision.author)


def gap_answered(session: Session, gap: KnowledgeGap, page: Page | None) -> None:
    """A search now answers ``gap``: the questions that only came from it leave the lists
    (their askers are told about the gap already; the caller commits)."""
    session.execute(
        update(HelpQuestion)
        .where(
            HelpQuestion.gap_id == gap.id, HelpQuestion.asked_directly.is_(False),
            HelpQuestion.answered_at.is_(None),
        )
        .values(answered_at=utcnow(), answered_page_id=page.id if page else None)
        .execution_options(synchronize_session="fetch")
    )  # fmt: skip


def _answer(session: Session, item: HelpQuestion, page: Page, actor: User | None) -> bool:
    """Mark ``item`` answered by ``page`` and tell who asked, unless it just was."""
    now: datetime = utcnow()
    claimed = session.execute(
        update(HelpQuestion)
        .where(HelpQuestion.id == item.id, HelpQuestion.answered_at.is_(None))
        .values(answered_at=now, answered_page_id=page.id, answered_by_id=actor.id if actor else None)
        .execution_options(synchronize_session="fetch")
    )  # fmt: skip
    if not claimed.rowcount:  # type: ignore[attr-defined]
        return False
    askers = session.scalars(select(User).join(HelpAsker, HelpAsker.user_id == User.id).where(HelpAsker.question_id == item.id))  # fmt: skip
    notifications.notify(
        session, list(askers), kind="gap_answered", actor=actor,
        message=f"Your question “{item.question}” has an answer: {page.title}.",
        link=f"/wiki/{page.slug}",
    )  # fmt: skip
    return True
