"""Keeping pages true: a page's freshness, its owners, and the verification queues and form."""

from __future__ import annotations

import time

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app import deps
from app.exceptions import ValidationError
from app.models import Page, Verification
from app.review import policy, schedule
from app.services import ownership, pages, spaces, verification
from app.services import rubric as rubric_service

bp = Blueprint("verification", __name__)


def page_freshness(page: Page) -> verification.PageFreshness | None:
    """The freshness a page view shows, computed for this request (it changes with time)."""
    return verification.freshness(deps.session(), page)


def freshness_expires(page: Page) -> float:
    """Until when (a Unix time) a cached view of ``page`` shows its freshness rightly."""
    shown = page_freshness(page)
    return shown.changes_at.timestamp() if shown is not None else time.time() + 86400


@bp.app_context_processor
def _freshness() -> dict[str, object]:
    return {"page_freshness": page_freshness, "GRACE_DAYS": schedule.GRACE.days}


@bp.get("/verifications")
@login_required
def queue() -> ResponseReturnValue:
    session = deps.session()
    user = deps.require_actor()
    mine = verification.queue_for(session, user)
    unassigned = verification.unassigned(session) if user.is_admin else []
    return render_template(
        "verification/queue.html",
        mine=mine,
        unassigned=unassigned,
        owned=ownership.owned_pages(session, user),
        spaces=spaces.list_spaces(session),
    )


@bp.get("/spaces/<space_slug>/verifications")
@login_required
def space_queue(space_slug: str) -> ResponseReturnValue:
    session = deps.session()
    space = spaces.get_space(session, space_slug)
    return render_template(
        "verification/space_queue.html",
        space=space,
        items=verification.queue_for_space(session, space.id),
        maintainers=spaces.maintainers(space),
    )


@bp.get("/verifications/<int:verification_id>")
@login_required
def form(verification_id: int) -> ResponseReturnValue:
    session = deps.session()
    user = deps.require_actor()
    item = verification.get(session, verification_id, reader=user)
    return _form(item)


def _form(item: Verification, *, status: int = 200) -> ResponseReturnValue:
    session = deps.session()
    user = deps.require_actor()
    return render_template(
        "verification/form.html",
        item=item,
        page=item.page,
        revision=item.page.published_revision,
        freshness=verification.freshness(session, item.page),
        rubric=rubric_service.active_rubric(session),
        can_verify=item.is_open and verification.can_verify(session, user, item),
        html=pages.display_html(
            session,
            item.page.published_revision.html if item.page.published_revision else "",
            image_origins=deps.image_origins(),
        ),
    ), status


@bp.post("/verifications/<int:verification_id>")
@login_required
def complete(verification_id: int) -> ResponseReturnValue:
    session = deps.session()
    user = deps.require_actor()
    rubric = {
        criterion.key: int(request.form[f"rubric_{criterion.key}"])
        for criterion in rubric_service.active_rubric(session)
        if request.form.get(f"rubric_{criterion.key}", "").isdigit()
    }
    try:
        done = verification.complete(
            session,
            actor=user,
            verification_id=verification_id,
            outcome=request.form.get("outcome", ""),
            comment=request.form.get("comment", ""),
            rubric=rubric,
        )
    except ValidationError as exc:
        session.rollback()
        flash(" ".join(exc.fields.values()) or exc.message, "error")
        return _form(verification.get(session, verification_id, reader=user), status=400)
    if done.proposal_id is not None:
        flash("Thank you. A draft with your comment waits for the page's owners.", "success")
        return redirect(url_for("review.detail", proposal_id=done.proposal_id))
    flash(f"“{done.page.title}” is verified: still accurate.", "success")
    return redirect(url_for("pages.view", slug=done.page.slug))


@bp.get("/wiki/<slug>/owners")
@login_required
def owners(slug: str) -> ResponseReturnValue:
    session = deps.session()
    user = deps.require_actor()
    page = pages.lookup(session, slug, reader=user)
    if page.slug != slug:
        return redirect(url_for("verification.owners", slug=page.slug), 301)
    return _owners(page)


def _owners(page: Page, *, status: int = 200) -> ResponseReturnValue:
    session = deps.session()
    user = deps.require_actor()
    return render_template(
        "verification/owners.html",
        page=page,
        owners=ownership.owners(session, page),
        can_manage=policy.can_manage_owners(user, ownership.owner_ids(session, page)),
        freshness=verification.freshness(session, page),
    ), status


@bp.post("/wiki/<slug>/owners")
@login_required
def set_owners(slug: str) -> ResponseReturnValue:
    session = deps.session()
    user = deps.require_actor()
    interval = request.form.get("review_interval_days", "").strip()
    try:
        ownership.set_owners(
            session,
            actor=user,
            slug=slug,
            usernames=[name for name in request.form.get("users", "").replace(",", " ").split()],
            require_owner_approval=request.form.get("require_owner_approval") == "1",
            review_interval_days=int(interval) if interval.isdigit() else None,
        )
    except ValidationError as exc:
        session.rollback()
        flash(" ".join(exc.fields.values()) or exc.message, "error")
        return _owners(pages.lookup(session, slug, reader=user), status=400)
    flash("Owners saved.", "success")
    return redirect(url_for("verification.owners", slug=slug))
