"""What clients send: request bodies (strict JSON types) and query strings, one model each.

Bodies are strict (``"3"`` is not a line number; unknown keys are ignored); the services still
own the rules about values (lengths, known reviewers, ...), so their messages stay the same on
the site and the API. Query strings are parsed leniently from text.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app import web
from app.models import User
from app.review.approval import Verdict
from app.search import SearchQuery
from app.services import audit, comments, pages, review, synonyms

#: Deep pages are refused rather than turned into huge database offsets.
MAX_PAGE = 100_000

#: An id or line number: what fits the database's integer columns (larger ones found nothing
#: anyway, but would reach the database as an overflow).
Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]

PageNumber = Annotated[int, Field(ge=1, le=MAX_PAGE, description="Page number, from 1.")]
PageSize = Annotated[int, Field(ge=1, description="Items per page; large values are capped.")]


class Body(BaseModel):
    """A JSON request body: strict types, unknown keys ignored."""

    model_config = ConfigDict(strict=True, extra="ignore")


Names = list[str]


class ReviewRequest(Body):
    """Whom to ask for a review."""

    reviewers: Names = Field(default=[], description="Usernames.", examples=[["fatima"]])
    departments: Names = Field(
        default=[], description="Department names: all their members.", examples=[["Finance"]]
    )


class NewPage(ReviewRequest):
    """A new page; it stays a draft proposal until reviewed."""

    title: str = Field(
        description=f"At most {pages.MAX_TITLE_CHARS} characters.", examples=["Team Lunch"]
    )
    body: str = Field(description="Markdown.", examples=["# Fridays\n\nWe meet at noon."])
    tags: Names = Field(default=[], examples=[["social"]])
    department: str | None = None
    summary: str = Field(default="", description=f"At most {pages.MAX_SUMMARY_CHARS} characters.")
    submit: bool = Field(
        default=False, description="Submit the new draft at once, to `reviewers`/`departments`."
    )
    space: str | None = Field(
        default=None,
        description="A space's slug; default: the parent's space, else the department's.",
        examples=["engineering"],
    )
    parent: str | None = Field(
        default=None, description="The slug of the page to put it under; null: the top."
    )


class NewRevision(ReviewRequest):
    """An edit, made on top of the revision it started from."""

    body: str = Field(description="Markdown.")
    base_revision_id: Int32 = Field(
        description="The revision your edit starts from; 409 when it is no longer the latest."
    )
    title: str | None = None
    tags: Names | None = Field(default=None, description="Omit to keep the current tags.")
    department: str | None = None
    summary: str = ""
    submit: bool = Field(
        default=False, description="Submit the new draft at once, to `reviewers`/`departments`."
    )
    space: str | None = Field(
        default=None, description="Propose moving the page to this space (a slug); omit to keep."
    )
    parent: str | None = Field(
        default=None,
        description="Propose moving it under this page (a slug), or to the top with null; "
        "omit to keep.",
    )

    def requested_parent(self) -> str | None:
        """The service's ``parent``: None to keep it, "" for the top of the space."""
        if "parent" not in self.model_fields_set:
            return None
        return self.parent or ""


class Override(Body):
    """An administrator's reason for lifting requests for changes."""

    reason: str = Field(
        description=f"At most {review.MAX_OVERRIDE_REASON_CHARS} characters.",
        examples=["Fixed in the meeting with the reviewer."],
    )


class NewComment(Body):
    """A comment: general, on a line or range, a reply, or a suggested change."""

    model_config = ConfigDict(strict=True, extra="forbid")

    body: str = Field(
        description=f"At most {comments.MAX_COMMENT_CHARS} characters.", examples=["Which form?"]
    )
    line: Int32 | None = Field(default=None, description="1-based line of the revision's Markdown.")
    line_end: Int32 | None = None
    parent_id: Int32 | None = Field(default=None, description="The comment this replies to.")
    suggestion: str | None = Field(default=None, description="Replacement text for line..line_end.")


class NewReview(Body):
    """A verdict on the latest revision, with optional line comments."""

    verdict: Verdict = Field(strict=False)
    summary: str = Field(default="", description=f"At most {review.MAX_SUMMARY_CHARS} characters.")
    rubric: dict[str, int] = Field(default={}, description="Criterion -> score (1-4).")
    comments: list[NewComment] = Field(
        default=[], description="request_changes needs at least one."
    )


class Render(Body):
    """Markdown to preview."""

    markdown: str = Field(
        description=f"At most {pages.MAX_BODY_CHARS} characters.", examples=["**Bold** [[Link]]"]
    )


class ReadNotifications(Body):
    """Which notifications to mark read; no body (or no ids) marks all."""

    ids: list[Int32] | None = None


class PageListArgs(BaseModel):
    """Filters and paging of the page list."""

    tag: str | None = None
    department: str | None = None
    page: PageNumber = 1
    per_page: PageSize = 20


class DiffArgs(BaseModel):
    """Which two revisions to compare (default: the latest against its parent)."""

    from_: Int32 | None = Field(default=None, alias="from")
    to: Int32 | None = None


class RecordArgs(BaseModel):
    """``download=1`` asks the browser to save the record as a file."""

    download: bool = False


class NotificationArgs(BaseModel):
    """Paging of the inbox; ``unread=1`` lists unread ones only."""

    page: PageNumber = 1
    per_page: PageSize = 30
    unread: bool = False


class GapArgs(BaseModel):
    """Paging of the knowledge gaps; ``answered=1`` lists answered ones instead."""

    page: PageNumber = 1
    per_page: PageSize = 20
    answered: bool = False


class AuditArgs(BaseModel):
    """Filters and paging of the audit log; days are UTC and inclusive."""

    action: str | None = Field(default=None, examples=["auth.sign_in_failed"])
    actor: str | None = Field(default=None, description="Username of who acted.")
    from_: date | None = Field(default=None, alias="from", description="First day, YYYY-MM-DD.")
    to: date | None = Field(default=None, description="Last day, YYYY-MM-DD.")
    page: PageNumber = 1
    per_page: PageSize = 50

    def to_filter(self) -> audit.AuditFilter:
        """The service's filter."""
        return audit.AuditFilter(
            action=self.action or None, actor=self.actor or None, since=self.from_, until=self.to
        )


class SuggestArgs(BaseModel):
    """The start of a title, as typed."""

    q: str = Field(default="", description="Only the first 100 characters count.")
    limit: int = Field(default=8, ge=1, le=100)


class SearchArgs(BaseModel):
    """A full-text search."""

    q: str = Field(
        default="",
        description='Words, "phrases", -exclusions, OR, prefix*, tag:, department:, author:',
    )
    tag: str | None = None
    department: str | None = None
    author: str | None = None
    page: PageNumber = 1
    per_page: Annotated[int, Field(ge=1, le=web.SEARCH_MAX_PER_PAGE)] = 10
    sort: Literal[web.SEARCH_SORTS] = "relevance"  # type: ignore[valid-type]
    pending: bool = Field(default=False, description="Include your own pending proposals.")
    verified: bool = Field(
        default=False,
        description="Only pages verified as still accurate and not yet due for verification.",
    )
    all: bool = Field(
        default=False,
        description="Every result of the page: no cut-off where scores fall off (see `cut_off`).",
    )

    def to_query(self, user: User | None) -> SearchQuery:
        """Return the search to run for ``user``."""
        return SearchQuery(
            text=self.q, tag=self.tag or None, department=self.department or None,
            author=self.author or None, page=self.page, per_page=self.per_page, sort=self.sort,
            pending_for=user.username if user is not None and self.pending else None,
            verified_only=self.verified,
        )  # fmt: skip


class NewSynonymSet(Body):
    """Terms that mean the same here: a search for one also finds the others, at once."""

    terms: list[str] = Field(
        description=(
            f"At least 2 different terms (case aside), at most {synonyms.MAX_TERMS}, each of at "
            f"most {synonyms.MAX_TERM_CHARS} characters; a term may have several words."
        ),
        examples=[["pto", "vacation", "time off"]],
    )


# -- watches ----------------------------------------------------------------------------------


class NewWatch(Body):
    """Something to watch: its publications and new proposals reach your inbox."""

    kind: Literal["page", "tag", "space"] = Field(examples=["page"])
    key: str = Field(
        min_length=1, max_length=200,
        description="The page's slug, the tag's name or the space's slug.", examples=["expenses"],
    )  # fmt: skip


# ---- spaces and the page tree ---------------------------------------------------------------


class NewSpace(Body):
    """A project space (administrators)."""

    name: str = Field(examples=["Apollo"])
    slug: str | None = Field(default=None, description="Its address; default: from the name.")
    description: str = ""
    home_page: str | None = Field(
        default=None, description="The slug of a page that becomes its home (moved into it)."
    )
    members: Names = Field(default=[], description="Usernames.")
    maintainers: Names = Field(default=[], description="Usernames; they manage the space.")
    review_interval_days: int = Field(default=180, ge=1, le=3650)
    verify_cross_department: bool = False
    feedback_threshold: int = Field(default=3, ge=1, le=100)
    required_approvals: int | None = Field(default=None, ge=1, le=10)


class Move(Body):
    """Where to move a page at once (administrators; recorded in the audit log)."""

    space: str | None = Field(default=None, description="A space's slug; omit to keep.")
    parent: str | None = Field(default=None, description="A page's slug; null: the top.")
    position: int | None = Field(default=None, ge=0, description="Order among its siblings.")

    def requested_parent(self) -> str | None:
        """The service's ``parent``: None to keep it, "" for the top of the space."""
        if "parent" not in self.model_fields_set:
            return None
        return self.parent or ""


class RecentChangesArgs(BaseModel):
    """Filters and paging of recent changes."""

    space: str | None = Field(default=None, description="A space's slug.")
    page: PageNumber = 1
    per_page: PageSize = 50
