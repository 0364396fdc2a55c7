"""Who knows about X over JSON: people ranked for a tag or a space."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app import deps
from app.api import bp
from app.api.serializers import Shape, User, to_user
from app.api.spec import Answer, author, endpoint
from app.services import experts

# -- shapes ---------------------------------------------------------------------------------


class ExpertArgs(BaseModel):
    """One subject: a tag or a space."""

    tag: str | None = Field(default=None, description="A tag, e.g. vpn.")
    space: str | None = Field(default=None, description="A space's slug, e.g. finance.")


class Expert(Shape):
    user: User
    pages: int = Field(description="Live pages of the subject they wrote a published version of.")
    reviews: int = Field(description="Their approvals of changes that were published.")
    verifications: int = Field(description="Verifications of its pages they completed.")
    score: int = Field(
        description=f"The ranking: {', '.join(f'{w} x {k}' for k, w in experts.WEIGHTS.items())}."
    )
    reason: str


class ExpertList(Shape):
    subject: str = Field(examples=["tagged #vpn"])
    experts: list[Expert]


# -- routes ---------------------------------------------------------------------------------


@bp.get("/experts")
@endpoint(ExpertList, errors=(404, 422), auth=True)
def list_experts(query: ExpertArgs) -> Answer:
    """Who knows about a tag or a space, most first (signed-in members)."""
    session = deps.session()
    found = experts.directory(session, reader=author(), tag=query.tag, space=query.space)
    subject = experts.subject(query.tag, query.space, session)
    return ExpertList(
        subject=subject,
        experts=[
            Expert(
                user=to_user(item.user),
                pages=item.pages,
                reviews=item.reviews,
                verifications=item.verifications,
                score=item.score,
                reason=item.describe(subject),
            )
            for item in found
        ],  # fmt: skip
    )
