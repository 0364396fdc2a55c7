"""Administrators keep the wiki's synonym sets and decide on the pairs searches suggest."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app import deps
from app.exceptions import Conflict, NotFound, ValidationError
from app.models import User
from app.services import synonyms

bp = Blueprint("synonyms", __name__)
_T = TypeVar("_T")


@bp.get("/admin/synonyms")
@login_required
def index() -> ResponseReturnValue:
    session, actor = deps.session(), deps.require_actor()
    return render_template(
        "synonyms/index.html",
        sets=synonyms.list_sets(session, reader=actor),
        suggestions=synonyms.suggestions(session, reader=actor),
        limits={"terms": synonyms.MAX_TERMS, "chars": synonyms.MAX_TERM_CHARS},
    )


@bp.post("/admin/synonyms")
@login_required
def add() -> ResponseReturnValue:
    terms = request.form.get("terms", "").split(",")
    return _change(
        lambda actor: synonyms.add_set(deps.session(), actor=actor, terms=terms).terms,
        lambda added: f"Searches for {_listed(added)} now find each other.",
    )


@bp.post("/admin/synonyms/<int:set_id>/delete")
@login_required
def delete(set_id: int) -> ResponseReturnValue:
    return _change(
        lambda actor: synonyms.delete_set(deps.session(), actor=actor, set_id=set_id),
        lambda _: "Synonym set deleted: searches no longer use it.",
    )


@bp.post("/admin/synonyms/suggestions/<int:suggestion_id>/accept")
@login_required
def accept(suggestion_id: int) -> ResponseReturnValue:
    return _change(
        lambda actor: (
            synonyms.accept(deps.session(), actor=actor, suggestion_id=suggestion_id).terms
        ),
        lambda joined: f"Accepted: {_listed(joined)} are synonyms.",
    )


@bp.post("/admin/synonyms/suggestions/<int:suggestion_id>/dismiss")
@login_required
def dismiss(suggestion_id: int) -> ResponseReturnValue:
    return _change(
        lambda actor: synonyms.dismiss(deps.session(), actor=actor, suggestion_id=suggestion_id),
        lambda pair: f"Dismissed: “{pair.term_a}” and “{pair.term_b}” are not suggested again.",
    )


def _change(change: Callable[[User], _T], done: Callable[[_T], str]) -> ResponseReturnValue:
    """Run one administrator's change to the synonyms, and say how it went (anyone else gets
    403 from the service's policy check)."""
    try:
        result = change(deps.require_actor())
    except ValidationError as exc:
        flash(" ".join(exc.fields.values()) or exc.message, "error")
    except (NotFound, Conflict) as exc:
        flash(exc.message, "error")
    else:
        flash(done(result), "success")
    return redirect(url_for("synonyms.index"))


def _listed(terms: list[str]) -> str:
    return ", ".join(f"“{term}”" for term in terms)
