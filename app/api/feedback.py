"""Readers' feedback on published pages over JSON: "this worked" / "this didn't work"."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app import deps
from app.api import bp
from app.api.serializers import Shape, Timestamp, User, to_user
from app.api.spec import Answer, author, endpoint
from app.exceptions import NotFound
from app.models import Page
from app.services import feedback, pages

# -- shapes ---------------------------------------------------------------------------------


class NewFeedback(BaseModel):
    """Whether the published version of the page worked for you, with an optional private note
    to its owners. Voting again on the same version replaces your earlier word."""

    model_config = ConfigDict(strict=True, extra="ignore")

    worked: bool
    note: str = Field(
        default="",
        description=f"Read only by the page's owners; at most {feedback.MAX_NOTE_CHARS} characters.",
    )


class FeedbackNote(Shape):
    user: User
    worked: bool
    note: str
    revision_id: int
    updated_at: Timestamp


class OwnersView(Shape):
    """What only the page's owners read."""

    not_worked: int = Field(description="Readers the published version did not work for.")
    not_worked_since_verified: int = Field(
        description="'Didn't work' reports since the page was last verified."
    )
    threshold: int = Field(description="Reports since then that open a verification early.")
    notes: list[FeedbackNote] = Field(description="Readers' private notes, newest first.")


class MyWord(Shape):
    worked: bool
    note: str
    updated_at: Timestamp


class PageFeedback(Shape):
    revision_id: int = Field(description="The published version the counts are about.")
    worked: int = Field(description="Readers the published version worked for.")
    mine: MyWord | None = Field(description="What you said about this version, if anything.")
    owners: OwnersView | None = Field(description="Only for the page's owners; null otherwise.")
    verification_opened: bool = Field(
        default=False,
        description="This report made enough readers say it did not work: a verification is due.",
    )


# -- routes ---------------------------------------------------------------------------------


@bp.get("/pages/<slug>/feedback")
@endpoint(PageFeedback, errors=(404,))
def page_feedback(slug: str) -> Answer:
    """How many readers the published version worked for (owners: also the rest, and notes)."""
    session = deps.session()
    page = pages.lookup(session, slug, reader=deps.actor())
    if page.published_revision_id is None or page.is_archived:
        raise NotFound(f"There is no published page at {slug!r}.")
    return _answer(page, feedback.tally(session, page))


@bp.post("/pages/<slug>/feedback")
@endpoint(PageFeedback, errors=(403, 404, 422), auth=True)
def give_feedback(slug: str, json: NewFeedback) -> Answer:
    """Say whether the published version worked for you (once per version: again replaces it)."""
    outcome = feedback.give(
        deps.session(), reader=author(), slug=slug, worked=json.worked, note=json.note
    )
    page = outcome.page
    return _answer(page, outcome.tally, opened=outcome.opened_verification)


def _answer(page: Page, tally: feedback.Tally, *, opened: bool = False) -> PageFeedback:
    session, reader = deps.session(), deps.actor()
    assert page.published_revision_id is not None
    mine = feedback.own_word(session, page, reader) if reader is not None else None
    owners = None
    if feedback.reads_owners_view(session, page, reader):
        assert reader is not None
        owners = OwnersView(
            not_worked=tally.not_worked,
            not_worked_since_verified=tally.not_worked_since_verified,
            threshold=tally.threshold,
            notes=[
                FeedbackNote(user=to_user(item.user), worked=item.worked, note=item.note,
                             revision_id=item.revision_id, updated_at=item.updated_at)
                for item in feedback.notes(session, page, reader=reader, limit=200)
            ],
        )  # fmt: skip
    return PageFeedback(
        revision_id=page.published_revision_id,
        worked=tally.worked,
        mine=MyWord(worked=mine.worked, note=mine.note, updated_at=mine.updated_at)
        if mine is not None
        else None,
        owners=owners,
        verification_opened=opened,
    )
