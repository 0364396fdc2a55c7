"""Page owners and recurring verification over JSON."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app import deps
from app.api import bp
from app.api.serializers import Shape, Timestamp, User, to_user
from app.api.spec import Answer, author, endpoint
from app.models import Page
from app.review import schedule
from app.services import ownership, pages, verification

# -- shapes ---------------------------------------------------------------------------------


class Owners(Shape):
    users: list[User] = Field(description="People who own the page (active accounts only).")
    spaces: list[int] = Field(description="Ids of the spaces that own the page.")
    require_owner_approval: bool = Field(
        description="Whether publishing a change needs an approval from an owner who did not "
        "contribute to it."
    )
    review_interval_days: int | None = Field(
        description="The page's own interval between verifications; null: its space's."
    )
    interval_days: int = Field(description="The interval that applies, in days.")
    due_at: Timestamp | None = Field(description="When the page falls due; null: unpublished.")
    freshness: Literal["fresh", "due", "overdue"] | None = Field(
        description=f"fresh: not due; due: fell due; overdue: due for more than "
        f"{schedule.GRACE.days} days; null: unpublished."
    )


class OwnersChange(BaseModel):
    """A page's new owners and settings; a field left out stays as it is."""

    model_config = ConfigDict(strict=True, extra="ignore")

    users: list[str] | None = Field(
        default=None,
        description="Usernames of the owners (replaces the list).",
        examples=[["alex"]],
    )
    spaces: list[int] | None = Field(default=None, description="Ids of owning spaces.")
    require_owner_approval: bool | None = None
    review_interval_days: int | None = Field(
        default=None,
        ge=1,
        le=schedule.MAX_INTERVAL_DAYS,
        description="Days between verifications; send null to follow the space again.",
    )


class Verification(Shape):
    id: int
    page: str = Field(description="The page's slug.")
    title: str
    revision_id: int = Field(description="The published revision when it was opened.")
    state: Literal["open", "verified", "needs_changes"]
    reason: str = Field(description="scheduled, or why it was opened early.")
    assignee: User | None = Field(description="Who is asked; null: the space's queue.")
    freshness: Literal["fresh", "due", "overdue"]
    opened_at: Timestamp
    due_at: Timestamp
    completed_at: Timestamp | None
    completed_by: User | None
    comment: str
    rubric: dict[str, int]
    proposal_id: int | None = Field(description="The draft that 'needs_changes' opened.")


class VerificationList(Shape):
    items: list[Verification]


class VerificationArgs(BaseModel):
    """Which open verifications to list."""

    due: bool = Field(default=False, description="Only those whose page has fallen due.")
    overdue: bool = Field(
        default=False, description=f"Only those due for more than {schedule.GRACE.days} days."
    )
    space: int | None = Field(default=None, description="Only those of this space (its id).")
    assignee: str | None = Field(default=None, description="Only those assigned to this username.")


class VerificationOutcome(BaseModel):
    """What the verifier found: still accurate, or in need of changes (then say what)."""

    model_config = ConfigDict(strict=True, extra="ignore")

    outcome: Literal["verified", "needs_changes"]
    comment: str = Field(
        default="",
        description=f"Required for needs_changes; at most {verification.MAX_COMMENT_CHARS} characters.",
    )
    rubric: dict[str, int] = Field(
        default={},
        description="Rubric scores from 1 to 4 by criterion key.",
        examples=[{"accuracy": 4}],
    )


def _owners(page: Page) -> Owners:
    session = deps.session()
    found = ownership.owners(session, page)
    fresh = verification.freshness(session, page)
    return Owners(
        users=[to_user(user) for user in found.users],
        spaces=found.space_ids,
        require_owner_approval=found.require_owner_approval,
        review_interval_days=found.review_interval_days,
        interval_days=found.interval_days,
        due_at=fresh.freshness.due_at if fresh else None,
        freshness=fresh.freshness.state.value if fresh else None,  # type: ignore[arg-type]
    )


def _verification(item: verification.Listed) -> Verification:
    found = item.verification
    return Verification(
        id=found.id, page=found.page.slug, title=found.page.title, revision_id=found.revision_id,
        state=found.state,  # type: ignore[arg-type]
        reason=found.reason, assignee=to_user(found.assignee) if found.assignee else None,
        freshness=item.freshness.state.value,  # type: ignore[arg-type]
        opened_at=found.opened_at, due_at=found.due_at, completed_at=found.completed_at,
        completed_by=to_user(found.completed_by) if found.completed_by else None,
        comment=found.comment, rubric=found.rubric, proposal_id=found.proposal_id,
    )  # fmt: skip


# -- routes ---------------------------------------------------------------------------------


@bp.get("/pages/<slug>/owners")
@endpoint(Owners, errors=(404,))
def get_owners(slug: str) -> Answer:
    """A page's owners, owner-approval rule, review interval and freshness."""
    return _owners(pages.lookup(deps.session(), slug, reader=deps.actor()))


@bp.put("/pages/<slug>/owners")
@endpoint(Owners, errors=(403, 404, 422), auth=True)
def put_owners(slug: str, json: OwnersChange) -> Answer:
    """Change a page's owners and settings (its owners and administrators; audited)."""
    session = deps.session()
    interval: int | None | bool = (
        json.review_interval_days if "review_interval_days" in json.model_fields_set else False
    )
    ownership.set_owners(
        session, actor=author(), slug=slug, usernames=json.users, space_ids=json.spaces,
        require_owner_approval=json.require_owner_approval, review_interval_days=interval,
    )  # fmt: skip
    return _owners(pages.lookup(session, slug, reader=author()))


@bp.get("/verifications")
@endpoint(VerificationList, auth=True)
def list_verifications(query: VerificationArgs) -> Answer:
    """Open verifications, soonest due first (filters: due, overdue, space, assignee)."""
    found = verification.listing(
        deps.session(), reader=author(), due=query.due, overdue=query.overdue,
        space_id=query.space, assignee=query.assignee,
    )  # fmt: skip
    return VerificationList(items=[_verification(item) for item in found])


@bp.post("/verifications/<int:verification_id>")
@endpoint(Verification, errors=(403, 404, 409, 422), auth=True)
def complete_verification(verification_id: int, json: VerificationOutcome) -> Answer:
    """Record a verification's outcome: verified (the page's clock restarts) or needs_changes
    (opens a draft proposal with the comment for an owner)."""
    session = deps.session()
    done = verification.complete(
        session, actor=author(), verification_id=verification_id, outcome=json.outcome,
        comment=json.comment, rubric=json.rubric,
    )  # fmt: skip
    return _verification(
        verification.Listed(done, schedule.freshness(done.due_at, done.completed_at or done.due_at))
    )
