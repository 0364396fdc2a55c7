"""Searching the wiki and learning from the questions it cannot answer yet."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from markupsafe import Markup
from rapidfuzz.distance import OSA
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from app import render
from app.exceptions import NotFound
from app.models import GapAsker, KnowledgeGap, Page, SearchLog, User, utcnow
from app.pagination import Paginated, paginate
from app.review import policy
from app.search import SearchBackend, SearchHit, SearchQuery, SearchResults, query
from app.search.analysis import forms_of, word_forms
from app.search.spelling import typo_distance
from app.search.synonyms import Thesaurus, with_synonyms
from app.services import help, notifications, synonyms, verification

#: The one relevance threshold (docs/search-relevance.md, "Noise"): a result scoring less than
#: this share of the best result's score is cut from the list (behind "show more"), and a best
#: result holding less than this share of the question's words is weak, which makes the search
#: an unanswered question (a knowledge gap) at once.
CUT_OFF = 0.5
#: The share of the question's words a section must hold to answer it directly.
ANSWER_SHARE = 1.0
#: A search with results that nobody opened within this time counts as unanswered.
UNOPENED_AFTER = timedelta(minutes=30)
MAX_QUERY_CHARS = 300
#: How many open gaps are re-searched after each index update.
GAP_CHECKS_PER_UPDATE = 200
#: A search followed this soon by another of the same person is that person's second try.
RETRY_WITHIN = timedelta(minutes=5)
#: The most words each side of a suggested synonym pair may have.
_PAIR_WORDS = 3
#: Words that do not change what a question asks.
_STOP_WORDS = frozenset(
    "a an and are as at be by can do does for from how i in is it me my of on or our should "
    "the to we what when where which who why will with you your".split()
)
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class DirectAnswer:
    """The section of the best page that clearly answers the question."""

    slug: str
    title: str
    heading: str
    anchor: str
    excerpt_html: Markup


@dataclass(frozen=True)
class Outcome:
    """Results of one search, and the log id that result links report clicks against."""

    results: SearchResults
    log_id: int | None
    #: How many of ``results.hits`` to show: the rest score below ``CUT_OFF`` of the best.
    shown: int = 0
    #: Matches left out by the cut-off (this page's weaker hits and every later page's).
    more: int = 0
    answer: DirectAnswer | None = None
    #: Nothing found, only close spellings, or a weak best result: a knowledge gap at once.
    unanswered: bool = False

    @property
    def hits(self) -> list[SearchHit]:
        """The hits to show (the cut-off applied)."""
        return self.results.hits[: self.shown]

    @property
    def cut_off(self) -> bool:
        return self.more > 0


def normalise(question: str) -> str:
    """Reduce a question to its meaningful words, lowercased and in a stable order."""
    return " ".join(sorted(set(_meaningful(question))))[:MAX_QUERY_CHARS]


def _meaningful(question: str) -> list[str]:
    return [word for word in _WORD.findall(question.lower()) if word not in _STOP_WORDS]


def run(
    session: Session,
    backend: SearchBackend,
    request: SearchQuery,
    *,
    user: User | None,
    record: bool = True,
    everything: bool = False,
) -> Outcome:
    """Search, and log first-page searches so unanswered questions become knowledge gaps.

    The first page of a search by relevance is cut where scores fall below ``CUT_OFF`` of the
    best (unless ``everything``), and carries the direct answer when one section of the best
    page clearly answers the question. A search that finds nothing, only close spellings, or a
    weak best result is counted as a knowledge gap at once; one with results counts when nobody
    opens any within ``UNOPENED_AFTER``.

    The search's log is its only write: it also counts older searches whose results nobody
    opened into their gaps, so that reading the gaps changes nothing.
    """
    text = request.text.strip()[:MAX_QUERY_CHARS]
    words = synonyms.words(session, language=backend.language)
    asked = with_synonyms(verification.search_request(session, _with_text(request, text)), words)
    results = backend.search(asked)
    ranked = request.sort != "date" and request.page == 1 and bool(text)
    shown = _shown(results.hits) if ranked and not everything else len(results.hits)
    wanted = _wanted(asked.tree().root, words)
    best = _best_page(session, results, user) if ranked else None
    weak = best is not None and _share(wanted, _forms(best, words.language)) < CUT_OFF
    answer = None
    if best is not None and not weak and not results.fuzzy:
        answer = direct_answer(best, wanted, words.language)
    unanswered = bool(text) and (results.total == 0 or results.fuzzy or weak)
    log_id = None
    if record:
        _count_unopened(session)
    if record and text and request.page == 1:
        entry = SearchLog(query=text, normalized=normalise(text) or text.lower(), user_id=user.id if user else None,
                          results=results.total)  # fmt: skip
        filtered = help.filtered_space(session, request)
        entry.space_id = filtered.id if filtered is not None else None
        session.add(entry)
        session.flush()
        if unanswered:
            _count_gap(session, entry)
        log_id = entry.id
    session.commit()
    more = results.total - shown if shown < len(results.hits) else 0
    return Outcome(results, log_id, shown, more, answer, unanswered)


def _shown(hits: list[SearchHit]) -> int:
    """How many of the (best first) hits score at least ``CUT_OFF`` of the best one."""
    if not hits or hits[0].score <= 0:
        return len(hits)
    floor = hits[0].score * CUT_OFF
    return next((number for number, hit in enumerate(hits) if hit.score < floor), len(hits))


#: A question's words: for each, the word forms that hold it (its own, or a synonym's).
Wanted = list[list[tuple[str, ...]]]


def _wanted(root: query.Node | None, words: Thesaurus) -> Wanted:
    """The meaningful words of the question's text (not its exclusions or filters), each with
    the forms of its synonyms."""
    typed = " ".join(
        leaf.text
        for leaf in query.positive_leaves(root)
        if isinstance(leaf, query.Term | query.Phrase | query.Prefix | query.Fuzzy)
        and leaf.field in (None, "title", "headings", "body")
    )
    wanted: Wanted = []
    for word in dict.fromkeys(_meaningful(typed)):
        forms = word_forms(word, words.language)
        if forms and all(forms != choice[0] for choice in wanted):
            others = words.alternatives.get(forms, ())
            wanted.append([forms, *(word_forms(other, words.language) for other in others)])
    return wanted


def _share(wanted: Wanted, held: set[str]) -> float:
    """The share of the question's words that ``held`` (word forms) holds; 1 without words."""
    if not wanted:
        return 1.0
    found = sum(any(set(forms) <= held for forms in choice) for choice in wanted)
    return found / len(wanted)


def _best_page(session: Session, results: SearchResults, reader: User | None) -> Page | None:
    """The best result's page, when it is a published page the reader may see."""
    hit = results.hits[0] if results.hits else None
    if hit is None or hit.proposal_id is not None:
        return None
    page = session.get(Page, hit.page_id)
    if page is None or page.published_revision is None or not policy.can_view(reader, page):
        return None
    return page


def _forms(page: Page, language: str) -> set[str]:
    revision = page.published_revision
    assert revision is not None
    return forms_of(f"{revision.title} {render.plain_text(revision.html)}", language)


def direct_answer(page: Page, wanted: Wanted, language: str) -> DirectAnswer | None:
    """The section of ``page`` that clearly answers the question, or None.

    A section answers clearly when its heading holds at least one of the question's words and
    the heading with the text under it holds ``ANSWER_SHARE`` of them (every one) and more of
    them than any other section of the page.
    """
    revision = page.published_revision
    if revision is None or not wanted:
        return None
    scored = []
    for section in render.sections(revision.html):
        held = forms_of(f"{section.heading} {section.text}", language)
        titled = _share(wanted, forms_of(section.heading, language)) > 0
        scored.append((_share(wanted, held), titled, section))
    if not scored:
        return None
    scored.sort(key=lambda entry: -entry[0])
    share, titled, section = scored[0]
    if share < ANSWER_SHARE or not titled or (len(scored) > 1 and scored[1][0] >= share):
        return None
    return DirectAnswer(
        slug=page.slug,
        title=revision.title,
        heading=section.heading,
        anchor=section.id,
        excerpt_html=render.excerpt(section.html),
    )


def record_open(session: Session, *, log_id: int, page_id: int) -> None:
    """Remember that a search's result was opened; an open answers a matching gap, and after
    a search by the same person that found nothing useful it suggests a synonym pair."""
    entry = session.get(SearchLog, log_id)
    if entry is None or entry.clicked_page_id is not None:
        return
    entry.clicked_page_id = page_id
    gap = session.scalar(select(KnowledgeGap).where(KnowledgeGap.normalized == entry.normalized))
    if gap is not None and gap.answered_at is None and entry.results > 0:
        _answer(session, gap, session.get(Page, page_id))
    _learn_synonym(session, entry)
    session.commit()


def _learn_synonym(session: Session, opened: SearchLog) -> None:
    """Note the words that replaced others when a person's previous search, just before this
    one, found nothing they opened ("vacation policy", then "pto policy": vacation ~ pto).

    Anonymous searches are not counted (nobody can tell two people apart), nor refinements
    that only add or drop words, nor typo corrections (close spellings handle those).
    """
    if opened.user_id is None:
        return
    before = session.scalar(
        select(SearchLog)
        .where(
            SearchLog.user_id == opened.user_id, SearchLog.id < opened.id,
            SearchLog.created_at >= opened.created_at - RETRY_WITHIN,
        )
        .order_by(SearchLog.id.desc())
        .limit(1)
    )  # fmt: skip
    if before is None or before.clicked_page_id is not None:
        return
    tried, worked = _meaningful(before.query), _meaningful(opened.query)
    first = " ".join(word for word in tried if word not in worked)
    then = " ".join(word for word in worked if word not in tried)
    if not first or not then or max(len(first.split()), len(then.split())) > _PAIR_WORDS:
        return
    if OSA.distance(first, then) <= typo_distance(first):
        return
    synonyms.note_pair(session, first=first, then=then, user_id=opened.user_id)


def _count_unopened(session: Session) -> None:
    """Turn old searches whose results nobody opened into knowledge-gap counts (the caller
    commits); each is claimed first, so two searches at once count it once."""
    cutoff = utcnow() - UNOPENED_AFTER
    entries = session.scalars(
        select(SearchLog).where(
            SearchLog.gap_counted.is_(False), SearchLog.clicked_page_id.is_(None),
            SearchLog.results > 0, SearchLog.created_at < cutoff,
        )
    ).all()  # fmt: skip
    for entry in entries:
        claimed = session.execute(
            update(SearchLog)
            .where(SearchLog.id == entry.id, SearchLog.gap_counted.is_(False))
            .values(gap_counted=True)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount:  # type: ignore[attr-defined]
            _count_gap(session, entry)


def gaps(
    session: Session,
    *,
    answered: bool = False,
    asked_since: datetime | None = None,
    page: int = 1,
    per_page: int = 20,
) -> Paginated[KnowledgeGap]:
    """Return knowledge gaps, most asked first (answered ones when ``answered``; only those
    asked again since ``asked_since``, when given)."""
    state: ColumnElement[bool] = (
        KnowledgeGap.answered_at.is_not(None) if answered else KnowledgeGap.answered_at.is_(None)
    )
    if asked_since is not None:
        state = state & (KnowledgeGap.last_asked_at >= asked_since)
    query = (
        select(KnowledgeGap)
        .where(state)
        .order_by(
            KnowledgeGap.askers.desc(), KnowledgeGap.asked.desc(), KnowledgeGap.last_asked_at.desc()
        )
    )
    return paginate(session, query, page=page, per_page=per_page)


def get_gap(session: Session, gap_id: int) -> KnowledgeGap:
    gap = session.get(KnowledgeGap, gap_id)
    if gap is None:
        raise NotFound(f"There is no knowledge gap {gap_id}.")
    return gap


def askers(session: Session, gap: KnowledgeGap) -> list[GapAsker]:
    """Who asked (administrators only; the caller checks)."""
    return list(
        session.scalars(
            select(GapAsker).where(GapAsker.gap_id == gap.id).order_by(GapAsker.asked_at.desc())
        )
    )


def check_gaps_answered(session: Session, backend: SearchBackend) -> int:
    """Mark open gaps whose question now finds a published page as answered; notify askers.

    Runs after index updates, so it looks at the most asked gaps only (a search each); a rarer
    gap is answered when someone asks it again and opens a result.
    """
    answered = 0
    words = synonyms.words(session, language=backend.language)
    most_asked = (
        select(KnowledgeGap)
        .where(KnowledgeGap.answered_at.is_(None))
        .order_by(KnowledgeGap.askers.desc(), KnowledgeGap.asked.desc(), KnowledgeGap.id)
        .limit(GAP_CHECKS_PER_UPDATE)
    )
    for gap in session.scalars(most_asked).all():
        found = backend.search(with_synonyms(SearchQuery(text=gap.question, per_page=1), words))
        if found.total and not found.fuzzy and found.hits:
            answered += _answer(session, gap, session.get(Page, found.hits[0].page_id))
    session.commit()
    return answered


def _count_gap(session: Session, entry: SearchLog) -> None:
    entry.gap_counted = True
    gap = session.scalar(select(KnowledgeGap).where(KnowledgeGap.normalized == entry.normalized))
    now = utcnow()
    if gap is None:
        gap = KnowledgeGap(
            normalized=entry.normalized, question=entry.query, asked=0, askers=0, first_asked_at=now
        )
        session.add(gap)
        session.flush()
    elif gap.answered_at is not None and entry.results == 0:
        gap.answered_at = None  # asked again and still unanswered: the gap is open again
        gap.answered_page_id = None
    gap.asked += 1
    gap.last_asked_at = now
    if entry.user_id is not None:
        asker = session.scalar(
            select(GapAsker).where(GapAsker.gap_id == gap.id, GapAsker.user_id == entry.user_id)
        )
        if asker is None:
            session.add(
                GapAsker(gap_id=gap.id, user_id=entry.user_id, query=entry.query, asked_at=now)
            )
            gap.askers += 1
        else:
            asker.query, asker.asked_at = entry.query, now
    help.note_gap(session, gap, entry)  # on the help-wanted list of its space


def _answer(session: Session, gap: KnowledgeGap, page: Page | None) -> bool:
    """Mark ``gap`` answered and notify who asked, unless another server just did."""
    claimed = session.execute(
        update(KnowledgeGap)
        .where(KnowledgeGap.id == gap.id, KnowledgeGap.answered_at.is_(None))
        .values(answered_at=utcnow(), answered_page_id=page.id if page else None)
        .execution_options(synchronize_session="fetch")
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        return False
    help.gap_answered(session, gap, page)
    people = [asker.user for asker in askers(session, gap)]
    title = page.title if page else "a page"
    notifications.notify(
        session, people, kind="gap_answered", actor=None,
        message=f"Your question “{gap.question}” now has an answer: {title}.",
    )  # fmt: skip
    return True


def _with_text(request: SearchQuery, text: str) -> SearchQuery:
    return replace(request, text=text)
