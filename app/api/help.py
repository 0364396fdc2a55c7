"""Help wanted over JSON: a space's open questions, asking its experts, naming an answer."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app import deps, models
from app.api import bp
from app.api.inputs import Body, PageNumber
from app.api.serializers import Shape, Timestamp
from app.api.spec import Answer, author, endpoint
from app.services import help, spaces

# -- requests ------------------------------------------------------------------------------------


class HelpWantedArgs(BaseModel):
    """Which questions: open ones (default) or answered ones."""

    answered: bool = False
    page: PageNumber = 1


class NewQuestion(Body):
    """A question for the space's experts; they are told in the inbox."""

    question: str = Field(
        description=f"At most {help.MAX_QUESTION_CHARS} characters.",
        examples=["How do I expense a train ticket bought abroad?"],
    )
    details: str = Field(default="", description="What you tried.")


class AnswerPage(Body):
    """The published page that answers the question."""

    page: str = Field(description="Its slug.", examples=["travel-expenses"])


# -- answers -------------------------------------------------------------------------------------


class HelpQuestion(Shape):
    id: int
    question: str
    asked_directly: bool = Field(description="Asked with 'Ask the experts', not only searched.")
    asked: int
    askers: int = Field(description="Signed-in people who asked (told when it is answered).")
    anonymous: int = Field(description="Times it was asked by someone not signed in.")
    last_asked_at: Timestamp
    answered_at: Timestamp | None
    answered_by_page: str | None = Field(description="The slug of the page that answers it.")
    write_url: str = Field(description="The editor, prefilled, remembering the question.")


class HelpWanted(Shape):
    space: str
    items: list[HelpQuestion]
    page: int
    pages: int
    total: int


def _question(item: models.HelpQuestion) -> HelpQuestion:
    return HelpQuestion(
        id=item.id, question=item.question, asked_directly=item.asked_directly,
        asked=item.asked, askers=item.askers, anonymous=item.anonymous,
        last_asked_at=item.last_asked_at, answered_at=item.answered_at,
        answered_by_page=item.answered_page.slug if item.answered_page else None,
        write_url=deps.external_url("pages.new", title=item.question, answers=item.id),
    )  # fmt: skip


# -- routes --------------------------------------------------------------------------------------


@bp.get("/spaces/<slug>/help-wanted")
@endpoint(HelpWanted, errors=(404,))
def help_wanted(slug: str, query: HelpWantedArgs) -> Answer:
    """A space's questions that no page answers yet (most asked first), or answered ones."""
    session = deps.session()
    space = spaces.get_space(session, slug)
    listing = help.wanted(session, space, answered=query.answered, page=query.page)
    return HelpWanted(
        space=space.slug, items=[_question(item) for item in listing.items], page=listing.page,
        pages=listing.pages, total=listing.total,
    )  # fmt: skip


@bp.post("/spaces/<slug>/help-wanted")
@endpoint(HelpQuestion, status=201, errors=(404, 422), auth=True)
def ask_experts(slug: str, json: NewQuestion) -> Answer:
    """Ask the space's experts: the question joins its list and they are told."""
    item = help.ask(
        deps.session(), asker=author(), space_slug=slug, question=json.question,
        details=json.details,
    )  # fmt: skip
    return _question(item), 201


@bp.post("/help-wanted/<int:question_id>/answer")
@endpoint(HelpQuestion, errors=(404, 422), auth=True)
def answer_question(question_id: int, json: AnswerPage) -> Answer:
    """Name a published page as the answer; whoever asked is told."""
    item = help.answer_with_page(
        deps.session(), actor=author(), question_id=question_id, slug=json.page
    )
    return _question(item)
