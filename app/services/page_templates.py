"""Page templates: the built-in starting texts and the ones administrators add."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.exceptions import NotFound, ValidationError
from app.models import PageTemplate, User
from app.review import policy
from app.services import audit

MAX_NAME_CHARS = 80
MAX_DESCRIPTION_CHARS = 200
MAX_BODY_CHARS = 20_000


def list_templates(session: Session) -> list[PageTemplate]:
    """Every template: the built-in ones first, then by name."""
    return list(
        session.scalars(
            select(PageTemplate).order_by(PageTemplate.builtin.desc(), PageTemplate.name)
        )
    )


def get(session: Session, template_id: int) -> PageTemplate:
    """Return one template; NotFound otherwise."""
    found = session.get(PageTemplate, template_id)
    if found is None:
        raise NotFound("There is no such template.")
    return found


def add(session: Session, *, actor: User, name: str, description: str, body: str) -> PageTemplate:
    """Add a template (administrators); names are unique, case aside."""
    policy.require_manage_templates(actor)
    name, description = " ".join(name.split()), " ".join(description.split())
    problems = {}
    if not name or len(name) > MAX_NAME_CHARS:
        problems["name"] = f"Give the template a name of at most {MAX_NAME_CHARS} characters."
    if len(description) > MAX_DESCRIPTION_CHARS:
        problems["description"] = f"Keep the description under {MAX_DESCRIPTION_CHARS} characters."
    if not body.strip() or len(body) > MAX_BODY_CHARS:
        problems["body"] = f"Write the template's text (at most {MAX_BODY_CHARS:,} characters)."
    taken = any(item.name.lower() == name.lower() for item in list_templates(session))
    if name and taken:
        problems["name"] = f"A template called “{name}” exists already."
    if problems:
        raise ValidationError(next(iter(problems.values())), problems)
    template = PageTemplate(name=name, description=description, body=body, builtin=False)
    session.add(template)
    session.flush()
    audit.record(session, "template.add", actor=actor, target=f"template:{template.id}",
                 detail={"name": name})  # fmt: skip
    session.commit()
    return template


def delete(session: Session, *, actor: User, template_id: int) -> None:
    """Delete a template (administrators); built-in ones stay."""
    policy.require_manage_templates(actor)
    template = get(session, template_id)
    if template.builtin:
        raise ValidationError("Built-in templates stay; add your own beside them.")
    audit.record(session, "template.delete", actor=actor, target=f"template:{template.id}",
                 detail={"name": template.name})  # fmt: skip
    session.delete(template)
    session.commit()
