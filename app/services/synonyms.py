"""The company's own words: synonym sets administrators keep, applied to every search at once,
and pairs of terms that people's searches suggest mean the same."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.exceptions import Conflict, NotFound, ValidationError
from app.models import SynonymEvidence, SynonymSet, SynonymSuggestion, User, utcnow
from app.review import policy
from app.search.synonyms import Thesaurus, thesaurus
from app.services import audit

#: The most terms one set may hold, and the longest term.
MAX_TERMS = 20
MAX_TERM_CHARS = 100
#: A suggested pair is shown to administrators once this many people's searches showed it.
SUGGEST_AFTER = 3
_WORD = re.compile(r"\w", re.UNICODE)


class Status(StrEnum):
    """Where a suggested pair stands."""

    SUGGESTED = "suggested"
    ACCEPTED = "accepted"
    DISMISSED = "dismissed"


def words(session: Session, *, language: str) -> Thesaurus:
    """Every synonym set, ready to expand queries in ``language`` (one small query)."""
    sets = tuple(tuple(terms) for terms in session.scalars(select(SynonymSet.terms)))
    return _prepared(sets, language)


@lru_cache(maxsize=8)  # the same sets, search after search: prepared once (2 ms for 200 sets)
def _prepared(sets: tuple[tuple[str, ...], ...], language: str) -> Thesaurus:
    return thesaurus(sets, language=language)


def list_sets(session: Session, *, reader: User) -> list[SynonymSet]:
    """Every synonym set, oldest first (administrators only)."""
    policy.require_manage_synonyms(reader)
    return list(session.scalars(select(SynonymSet).order_by(SynonymSet.id)))


def add_set(session: Session, *, actor: User, terms: Sequence[str]) -> SynonymSet:
    """Add a synonym set of ``terms`` (at least two different ones); searches use it at once."""
    policy.require_manage_synonyms(actor)
    synonyms = SynonymSet(terms=_cleaned(terms), created_by=actor)
    session.add(synonyms)
    session.flush()
    audit.record(
        session, "synonyms.add", actor=actor, target=f"synonyms:{synonyms.id}",
        detail={"terms": synonyms.terms},
    )  # fmt: skip
    session.commit()
    return synonyms


def delete_set(session: Session, *, actor: User, set_id: int) -> None:
    """Delete a synonym set; searches stop using it at once."""
    policy.require_manage_synonyms(actor)
    synonyms = session.get(SynonymSet, set_id)
    if synonyms is None:
        raise NotFound(f"There is no synonym set {set_id}.")
    audit.record(
        session, "synonyms.delete", actor=actor, target=f"synonyms:{set_id}",
        detail={"terms": synonyms.terms},
    )  # fmt: skip
    session.delete(synonyms)
    session.commit()


def suggestions(session: Session, *, reader: User) -> list[SynonymSuggestion]:
    """Pairs awaiting a decision that enough people's searches showed, most shown first."""
    policy.require_manage_synonyms(reader)
    return list(
        session.scalars(
            select(SynonymSuggestion)
            .where(
                SynonymSuggestion.status == Status.SUGGESTED,
                SynonymSuggestion.evidence >= SUGGEST_AFTER,
            )
            .order_by(SynonymSuggestion.evidence.desc(), SynonymSuggestion.id)
        )
    )


def note_pair(session: Session, *, first: str, then: str, user_id: int) -> None:
    """Count that a person found nothing useful for ``first`` and then found it with ``then``
    (each person once per pair; a decided pair is never counted again). The caller commits."""
    term_a, term_b = sorted((first[:MAX_TERM_CHARS], then[:MAX_TERM_CHARS]))
    if _together(session, term_a, term_b):
        return
    pair = session.scalar(
        select(SynonymSuggestion).where(
            SynonymSuggestion.term_a == term_a, SynonymSuggestion.term_b == term_b
        )
    )
    if pair is None:
        pair = SynonymSuggestion(term_a=term_a, term_b=term_b, evidence=0, status=Status.SUGGESTED)
        session.add(pair)
        session.flush()
    elif pair.status != Status.SUGGESTED:
        return
    counted = session.scalar(
        select(SynonymEvidence.id).where(
            SynonymEvidence.suggestion_id == pair.id, SynonymEvidence.user_id == user_id
        )
    )
    if counted is None:
        session.add(SynonymEvidence(suggestion_id=pair.id, user_id=user_id))
        pair.evidence += 1


def accept(session: Session, *, actor: User, suggestion_id: int) -> SynonymSet:
    """Make a suggested pair synonyms: it joins a set that has one of its terms, or becomes one."""
    pair = _undecided(session, actor, suggestion_id)
    terms = (pair.term_a, pair.term_b)
    joined = next(
        (
            synonyms
            for synonyms in session.scalars(select(SynonymSet).order_by(SynonymSet.id))
            if {_key(term) for term in synonyms.terms} & {_key(term) for term in terms}
        ),
        None,
    )
    if joined is None:
        joined = SynonymSet(terms=list(terms), created_by=actor)
        session.add(joined)
    else:
        known = {_key(term) for term in joined.terms}
        joined.terms = [*joined.terms, *(term for term in terms if _key(term) not in known)]
    session.flush()
    _decide(session, actor, pair, Status.ACCEPTED, "synonyms.accept", detail={"set": joined.id})
    return joined


def dismiss(session: Session, *, actor: User, suggestion_id: int) -> SynonymSuggestion:
    """Dismiss a suggested pair: it is never suggested again."""
    pair = _undecided(session, actor, suggestion_id)
    _decide(session, actor, pair, Status.DISMISSED, "synonyms.dismiss", detail={})
    return pair


def _undecided(session: Session, actor: User, suggestion_id: int) -> SynonymSuggestion:
    policy.require_manage_synonyms(actor)
    pair = session.get(SynonymSuggestion, suggestion_id)
    if pair is None:
        raise NotFound(f"There is no suggested synonym {suggestion_id}.")
    if pair.status != Status.SUGGESTED:
        raise Conflict(f"“{pair.term_a}” and “{pair.term_b}” were {pair.status} already.")
    return pair


def _decide(
    session: Session,
    actor: User,
    pair: SynonymSuggestion,
    status: Status,
    action: str,
    detail: dict[str, int],
) -> None:
    pair.status, pair.decided_at = status, utcnow()
    audit.record(
        session, action, actor=actor,
        target=f"synonym-suggestion:{pair.id}", detail={"terms": [pair.term_a, pair.term_b], **detail},
    )  # fmt: skip
    session.commit()


def _together(session: Session, term_a: str, term_b: str) -> bool:
    """Whether one set holds both terms already."""
    wanted = {_key(term_a), _key(term_b)}
    return any(
        wanted <= {_key(term) for term in terms}
        for terms in session.scalars(select(SynonymSet.terms))
    )


def _cleaned(terms: Sequence[str]) -> list[str]:
    """The distinct terms, spaces collapsed; raise ValidationError naming what is wrong."""
    errors: dict[str, str] = {}
    kept: dict[str, str] = {}
    for index, raw in enumerate(terms):
        term = " ".join(raw.split())
        if not term:
            continue
        if len(term) > MAX_TERM_CHARS:
            errors[f"terms.{index}"] = f"Keep each term to {MAX_TERM_CHARS} characters or fewer."
        elif not term.isprintable() or not _WORD.search(term):
            errors[f"terms.{index}"] = "A term is made of words: letters or digits."
        kept.setdefault(_key(term), term)
    if len(kept) > MAX_TERMS:
        errors["terms"] = f"A set holds at most {MAX_TERMS} terms."
    elif len(kept) < 2 and not errors:
        errors["terms"] = "Give at least two different terms."
    if errors:
        raise ValidationError("The synonym set could not be saved.", errors)
    return list(kept.values())


def _key(term: str) -> str:
    return " ".join(term.casefold().split())
