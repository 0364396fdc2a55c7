"""The review rubric: the criteria reviewers score, edited by administrators."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.exceptions import ValidationError
from app.models import RubricCriterion, User
from app.review import policy
from app.services import audit
from app.slugs import slugify

#: Scores run from 1 (poor) to 4 (excellent).
SCORES = range(1, 5)


def active_rubric(session: Session) -> list[RubricCriterion]:
    """Return the rubric criteria reviewers score, in order."""
    return list(
        session.scalars(
            select(RubricCriterion)
            .where(RubricCriterion.active.is_(True))
            .order_by(RubricCriterion.position, RubricCriterion.id)
        )
    )


def update_rubric(
    session: Session, *, actor: User, criteria: Sequence[dict[str, str]]
) -> list[RubricCriterion]:
    """Replace the active rubric with ``criteria`` ({label, guidance}); old scores keep their keys."""
    policy.require_edit_rubric(actor)
    errors: dict[str, str] = {}
    cleaned: list[tuple[str, str, str]] = []
    for index, item in enumerate(criteria):
        label = " ".join(str(item.get("label", "")).split())
        guidance = " ".join(str(item.get("guidance", "")).split())
        if not label:
            continue
        if len(label) > 80 or len(guidance) > 300:
            errors[f"criteria.{index}"] = "Keep labels under 80 and guidance under 300 characters."
        key = slugify(label).replace("-", "_")[:40]
        cleaned.append((key, label, guidance))
    if not cleaned:
        errors["criteria"] = "Keep at least one criterion."
    if len({key for key, _, _ in cleaned}) != len(cleaned):
        errors["criteria"] = "Two criteria have the same name."
    if errors:
        raise ValidationError("The rubric could not be saved.", errors)
    existing = {criterion.key: criterion for criterion in session.scalars(select(RubricCriterion))}
    for criterion in existing.values():
        criterion.active = False
    for position, (key, label, guidance) in enumerate(cleaned):
        criterion = existing.get(key) or RubricCriterion(key=key)
        criterion.label, criterion.guidance, criterion.position, criterion.active = (
            label,
            guidance,
            position,
            True,
        )
        session.add(criterion)
    audit.record(
        session, "rubric.update", actor=actor, target="rubric",
        detail={"criteria": [label for _, label, _ in cleaned]},
    )  # fmt: skip
    session.commit()
    return active_rubric(session)


def validate_scores(session: Session, rubric: object) -> dict[str, int]:
    """Check rubric scores ({criterion key: score}) against the active criteria."""
    if not isinstance(rubric, dict):
        raise ValidationError("Invalid rubric.", {"rubric": "Send an object of criterion: score."})
    keys = {criterion.key for criterion in active_rubric(session)}
    errors: dict[str, str] = {}
    for key, score in rubric.items():
        if key not in keys:
            errors[f"rubric.{key}"] = f"Unknown criterion; use one of {', '.join(sorted(keys))}."
        elif not isinstance(score, int) or isinstance(score, bool) or score not in SCORES:
            errors[f"rubric.{key}"] = "Score from 1 (poor) to 4 (excellent)."
    if errors:
        raise ValidationError("Invalid rubric scores.", errors)
    return {str(key): int(score) for key, score in rubric.items()}
