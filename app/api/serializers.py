"""What the API answers: one pydantic model per JSON shape, and a ``to_...`` builder from the
domain objects. The models are also the response schemas of the OpenAPI document."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, RootModel, WithJsonSchema
from sqlalchemy.orm import Session

from app import deps, models, render
from app.diffing import Diff, LineKind
from app.pagination import Paginated
from app.review import policy
from app.review.approval import ApprovalRules, Verdict
from app.review.workflow import State
from app.search import SearchHit as Hit
from app.services import comments, pages, proposals, reviewers, spaces, watches
from app.services import review as review_service
from app.services import search as search_service
from app.web import ErrorBody

#: ISO 8601 with the UTC offset, as ``datetime.isoformat`` writes it.
Timestamp = Annotated[
    datetime,
    PlainSerializer(datetime.isoformat, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class Shape(BaseModel):
    """A response body; fields named like Python keywords are written under their alias."""

    model_config = ConfigDict(serialize_by_alias=True)


# -- people and pages ------------------------------------------------------------------------


class User(Shape):
    username: str
    name: str
    department: str


class Me(User):
    email: str
    is_admin: bool


def to_user(user: models.User) -> User:
    return User(username=user.username, name=user.name, department=user.department.name)


def to_me(user: models.User) -> Me:
    return Me(**to_user(user).model_dump(), email=user.email, is_admin=user.is_admin)


class TocEntry(Shape):
    level: int
    id: str
    text: str


class RevisionSummary(Shape):
    id: int
    page_slug: str
    number: int
    parent_id: int | None
    title: str
    tags: list[str]
    department: str | None
    summary: str
    status: State
    author: User
    created_at: Timestamp
    published_at: Timestamp | None
    proposal_id: int | None
    space: str | None = Field(description="The space the revision puts the page in (its slug).")
    parent: str | None = Field(description="The page it puts the page under (null: the top).")


class Revision(RevisionSummary):
    body: str = Field(description="Markdown source.")
    html: str = Field(description="Sanitised HTML, as a page view shows it.")
    toc: list[TocEntry]


def _revision_fields(revision: models.Revision) -> dict[str, Any]:
    return {
        "id": revision.id,
        "page_slug": revision.page.slug,
        "number": revision.number,
        "parent_id": revision.parent_id,
        "title": revision.title,
        "tags": list(revision.tags),
        "department": revision.department.name if revision.department else None,
        "summary": revision.summary,
        "status": revision.status,
        "author": to_user(revision.author),
        "created_at": revision.created_at,
        "published_at": revision.published_at,
        "proposal_id": revision.proposal_id,
        "space": revision.space.slug if revision.space else None,
        "parent": _slug_if_visible(revision.parent_page, None),
    }


def to_revision_summary(revision: models.Revision) -> RevisionSummary:
    return RevisionSummary(**_revision_fields(revision))


def to_revision(session: Session, revision: models.Revision) -> Revision:
    return Revision(
        **_revision_fields(revision),
        body=revision.body,
        html=str(pages.display_html(session, revision.html, image_origins=deps.image_origins())),
        toc=[TocEntry(**entry) for entry in revision.toc],
    )


class RevisionList(Shape):
    items: list[RevisionSummary]
    total: int


class EditConflict(ErrorBody):
    current_revision: Revision | None = Field(
        default=None, description="The latest revision, to merge your edit with (409)."
    )


class PageSummary(Shape):
    id: int
    slug: str
    title: str
    department: str | None
    tags: list[str]
    created_by: User
    created_at: Timestamp
    updated_at: Timestamp
    archived: bool
    url: str
    space: str = Field(description="The slug of the space the page is in.")
    parent: str | None = Field(description="The slug of the page it sits under; null: the top.")
    position: int = Field(description="Its order among the pages with the same parent.")


class Page(PageSummary):
    published_revision: Revision | None = Field(description="What readers see.")
    latest_revision: Revision | None


def _slug_if_visible(page: models.Page | None, reader: policy.Reader) -> str | None:
    """A page's slug, when ``reader`` may know it exists."""
    return page.slug if page is not None and policy.can_view(reader, page) else None


def to_page_summary(page: models.Page, *, reader: policy.Reader = None) -> PageSummary:
    return PageSummary(
        id=page.id,
        slug=page.slug,
        title=page.title,
        department=page.department.name if page.department else None,
        tags=page.tag_names,
        created_by=to_user(page.created_by),
        created_at=page.created_at,
        updated_at=page.updated_at,
        archived=page.is_archived,
        url=deps.external_url("pages.view", slug=page.slug),
        space=page.space.slug,
        parent=_slug_if_visible(page.parent, reader),
        position=page.position,
    )


def to_page(session: Session, page: models.Page, *, reader: policy.Reader) -> Page:
    """The page with its published revision and the latest one ``reader`` may see."""
    published, latest = page.published_revision, page.latest_revision
    if latest is not None and not policy.can_view(reader, latest):
        latest = published
    return Page(
        **to_page_summary(page, reader=reader).model_dump(),
        published_revision=to_revision(session, published) if published else None,
        latest_revision=to_revision(session, latest) if latest else None,
    )


class PageList(Shape):
    items: list[PageSummary]
    page: int
    per_page: int
    total: int
    pages: int


def to_page_list(listing: Paginated[models.Page]) -> PageList:
    return PageList(
        items=[to_page_summary(page) for page in listing.items],
        page=listing.page,
        per_page=listing.per_page,
        total=listing.total,
        pages=listing.pages,
    )


class Department(Shape):
    name: str
    description: str
    pages: int


class DepartmentList(Shape):
    items: list[Department]


class Rendered(Shape):
    html: str = Field(description="Sanitised HTML, exactly as a page view would show it.")


# -- diffs -----------------------------------------------------------------------------------


class Segment(Shape):
    text: str
    changed: bool


class DiffLine(Shape):
    kind: LineKind
    old_number: int | None
    new_number: int | None
    text: str
    segments: list[Segment]


class Hunk(Shape):
    old_start: int
    new_start: int
    lines: list[DiffLine]


class PageDiff(Shape):
    from_: int | None = Field(serialization_alias="from")
    to: int
    added: int
    removed: int
    hunks: list[Hunk]


def to_diff(old: models.Revision | None, new: models.Revision, diff: Diff) -> PageDiff:
    return PageDiff(
        from_=old.id if old else None,
        to=new.id,
        added=diff.added,
        removed=diff.removed,
        hunks=[
            Hunk(
                old_start=hunk.old_start,
                new_start=hunk.new_start,
                lines=[
                    DiffLine(
                        kind=line.kind,
                        old_number=line.old_number,
                        new_number=line.new_number,
                        text=line.text,
                        segments=[
                            Segment(text=segment.text, changed=segment.changed)
                            for segment in line.segments
                        ],
                    )
                    for line in hunk.lines
                ],
            )
            for hunk in diff.hunks
        ],
    )


# -- review ----------------------------------------------------------------------------------


class Proposal(Shape):
    id: int
    page_slug: str
    title: str
    state: State
    author: User
    base_revision_id: int | None
    head_revision_id: int | None
    needs_update: bool = Field(description="Another version was published; merge it first.")
    reviewers: list[User]
    created_at: Timestamp
    updated_at: Timestamp
    published_at: Timestamp | None
    url: str


class Approval(Shape):
    required: int
    cross_department_required: bool
    approved_by: list[str]
    changes_requested_by: list[str]
    satisfied: bool
    summary: str


class ProposalStatus(Proposal):
    approval: Approval


def to_proposal(proposal: models.Proposal) -> Proposal:
    head = proposal.head_revision
    return Proposal(
        id=proposal.id,
        page_slug=proposal.page.slug,
        title=head.title if head else proposal.page.title,
        state=State(proposal.state),
        author=to_user(proposal.author),
        base_revision_id=proposal.base_revision_id,
        head_revision_id=proposal.head_revision_id,
        needs_update=proposal.needs_update,
        reviewers=[to_user(request.reviewer) for request in proposal.requests],
        created_at=proposal.created_at,
        updated_at=proposal.updated_at,
        published_at=proposal.published_at,
        url=deps.external_url("review.detail", proposal_id=proposal.id),
    )


def to_proposal_status(
    session: Session, proposal: models.Proposal, rules: ApprovalRules
) -> ProposalStatus:
    status = review_service.approval_status(session, proposal, rules)
    approval = Approval(
        required=status.rules.required,
        cross_department_required=status.rules.cross_department,
        approved_by=[user.username for user in status.approvers],
        changes_requested_by=[user.username for user in status.blockers],
        satisfied=status.satisfied,
        summary=status.describe(),
    )
    return ProposalStatus(**to_proposal(proposal).model_dump(), approval=approval)


class Review(Shape):
    id: int
    revision_id: int
    reviewer: User
    verdict: Verdict
    summary: str
    rubric: dict[str, int]
    created_at: Timestamp
    dismissed: bool = Field(description="A newer revision came after it.")
    overridden: bool
    override_reason: str | None


class ReviewList(Shape):
    items: list[Review]


class ReviewOutcome(Review):
    proposal: ProposalStatus


def to_review(item: models.Review) -> Review:
    return Review(
        id=item.id,
        revision_id=item.revision_id,
        reviewer=to_user(item.reviewer),
        verdict=Verdict(item.verdict),
        summary=item.summary,
        rubric=item.rubric,
        created_at=item.created_at,
        dismissed=item.dismissed_at is not None,
        overridden=item.overridden_at is not None,
        override_reason=item.override_reason,
    )


class Comment(Shape):
    id: int
    revision_id: int
    parent_id: int | None
    author: User
    body: str
    html: str
    line: int | None
    line_end: int | None
    anchor_text: str | None
    suggestion: str | None
    applied_revision_id: int | None
    resolved: bool
    created_at: Timestamp


class Thread(Comment):
    line_on_revision: int | None = Field(description="Where it sits on the revision asked about.")
    outdated: bool
    replies: list[Comment]


class ThreadList(Shape):
    items: list[Thread]


def to_comment(comment: models.Comment) -> Comment:
    return Comment(
        id=comment.id,
        revision_id=comment.revision_id,
        parent_id=comment.parent_id,
        author=to_user(comment.author),
        body=comment.body,
        html=str(render.allow_images_from(comment.html, deps.image_origins())),
        line=comment.line,
        line_end=comment.line_end,
        anchor_text=comment.anchor_text,
        suggestion=comment.suggestion,
        applied_revision_id=comment.applied_revision_id,
        resolved=comment.is_resolved,
        created_at=comment.created_at,
    )


def to_thread(thread: comments.Thread) -> Thread:
    return Thread(
        **to_comment(thread.root).model_dump(),
        line_on_revision=thread.line,
        outdated=thread.outdated,
        replies=[to_comment(reply) for reply in thread.replies],
    )


class ReviewerSuggestion(User):
    reason: str
    cross_department: bool


class ReviewerSuggestionList(Shape):
    items: list[ReviewerSuggestion]


def to_reviewer_suggestions(found: Sequence[reviewers.Suggestion]) -> ReviewerSuggestionList:
    return ReviewerSuggestionList(
        items=[
            ReviewerSuggestion(
                **to_user(item.user).model_dump(),
                reason=item.reason,
                cross_department=item.cross_department,
            )
            for item in found
        ]
    )


class Event(Shape):
    kind: str
    actor: str | None
    from_: str | None = Field(serialization_alias="from")
    to: str | None
    detail: str
    at: Timestamp


class ReviewRecord(Shape):
    proposal: Proposal
    revisions: list[RevisionSummary]
    reviews: list[Review]
    threads: list[Thread]
    timeline: list[Event]


def to_review_record(session: Session, proposal: models.Proposal) -> ReviewRecord:
    """Everything the review of a proposal produced, for viewing and export."""
    head = proposal.head_revision
    assert head is not None
    return ReviewRecord(
        proposal=to_proposal(proposal),
        revisions=[to_revision_summary(rev) for rev in proposals.revisions(session, proposal)],
        reviews=[to_review(item) for item in proposal.reviews],
        threads=[to_thread(thread) for thread in comments.threads(session, proposal, head)],
        timeline=[
            Event(
                kind=event.kind,
                actor=event.actor.username if event.actor else None,
                from_=event.from_state,
                to=event.to_state,
                detail=event.detail,
                at=event.created_at,
            )
            for event in proposal.events
        ],
    )


class ReviewQueue(Shape):
    waiting_for_my_review: list[ProposalStatus]
    my_proposals: list[ProposalStatus]
    changes_requested_of_me: list[ProposalStatus]


def to_review_queue(
    session: Session, queue: review_service.Queue, rules: ApprovalRules
) -> ReviewQueue:
    def items(found: list[models.Proposal]) -> list[ProposalStatus]:
        return [to_proposal_status(session, proposal, rules) for proposal in found]

    return ReviewQueue(
        waiting_for_my_review=items(queue.waiting_for_me),
        my_proposals=items(queue.my_proposals),
        changes_requested_of_me=items(queue.changes_requested_of_me),
    )


class Notification(Shape):
    id: int
    kind: str
    message: str
    actor: User | None
    proposal_id: int | None
    revision_id: int | None
    comment_id: int | None
    read: bool
    created_at: Timestamp


class NotificationList(Shape):
    items: list[Notification]
    page: int
    per_page: int
    total: int
    pages: int
    unread: int


def to_notification(item: models.Notification) -> Notification:
    return Notification(
        id=item.id,
        kind=item.kind,
        message=item.message,
        actor=to_user(item.actor) if item.actor else None,
        proposal_id=item.proposal_id,
        revision_id=item.proposal.head_revision_id if item.proposal else None,
        comment_id=item.comment_id,
        read=item.read_at is not None,
        created_at=item.created_at,
    )


def to_notification_list(listing: Paginated[models.Notification], unread: int) -> NotificationList:
    return NotificationList(
        items=[to_notification(item) for item in listing.items],
        page=listing.page,
        per_page=listing.per_page,
        total=listing.total,
        pages=listing.pages,
        unread=unread,
    )


class MarkedRead(Shape):
    marked_read: int


# -- search ----------------------------------------------------------------------------------


class SearchHit(Shape):
    slug: str
    title: str
    snippet_html: str = Field(description="Plain text with the matches in <mark>.")
    score: float
    department: str
    tags: list[str]
    updated_at: Timestamp
    reviewed_at: Timestamp | None
    pending_proposal_id: int | None = Field(description="Set for your own pending proposals.")


class SearchResults(Shape):
    total: int
    page: int
    per_page: int
    results: list[SearchHit]
    suggestion: str | None = Field(description="Did you mean ...")
    fuzzy: bool = Field(description="Nothing matched exactly; these are close spellings.")
    facets: dict[str, dict[str, int]] = Field(description="department and tag -> value -> count")
    search_id: int | None
    cut_off: bool = Field(
        description="The list stops where scores fall below half of the best result's; "
        "ask again with all=true for the rest."
    )
    more: int = Field(description="How many matches the cut-off leaves out (0 when not cut).")
    answer: DirectAnswer | None = Field(
        description="The section of the best page that clearly answers the question, if one does."
    )
    unanswered: bool = Field(
        description="Nothing found, only close spellings, or a weak best result: the question "
        "is recorded as a knowledge gap."
    )


def to_search_hit(hit: Hit) -> SearchHit:
    return SearchHit(
        slug=hit.slug,
        title=hit.title,
        snippet_html=str(hit.snippet),
        score=hit.score,
        department=hit.department,
        tags=list(hit.tags),
        updated_at=hit.updated_at,
        reviewed_at=hit.reviewed_at,
        pending_proposal_id=hit.proposal_id,
    )


def to_search_results(outcome: search_service.Outcome, page: int, per_page: int) -> SearchResults:
    results = outcome.results
    answer = outcome.answer
    return SearchResults(
        total=results.total,
        page=page,
        per_page=per_page,
        results=[to_search_hit(hit) for hit in outcome.hits],
        suggestion=results.suggestion,
        fuzzy=results.fuzzy,
        facets=results.facets,
        search_id=outcome.log_id,
        cut_off=outcome.cut_off,
        more=outcome.more,
        answer=None if answer is None else to_direct_answer(answer),
        unanswered=outcome.unanswered,
    )


class TitleSuggestion(Shape):
    title: str
    slug: str


class TitleSuggestions(Shape):
    suggestions: list[TitleSuggestion]


class Gap(Shape):
    id: int
    question: str
    normalized: str
    asked: int
    askers: int
    first_asked_at: Timestamp
    last_asked_at: Timestamp
    answered_at: Timestamp | None
    answered_page: str | None = Field(description="Slug of the page that answers it.")


class GapList(Shape):
    items: list[Gap]
    page: int
    total: int


def to_gap_list(listing: Paginated[models.KnowledgeGap]) -> GapList:
    return GapList(
        items=[
            Gap(
                id=gap.id,
                question=gap.question,
                normalized=gap.normalized,
                asked=gap.asked,
                askers=gap.askers,
                first_asked_at=gap.first_asked_at,
                last_asked_at=gap.last_asked_at,
                answered_at=gap.answered_at,
                answered_page=gap.answered_page.slug if gap.answered_page else None,
            )
            for gap in listing.items
        ],
        page=listing.page,
        total=listing.total,
    )


# -- audit -----------------------------------------------------------------------------------


class AuditEntry(Shape):
    id: int
    action: str = Field(examples=["page.archive"])
    actor: User | None = Field(description="Who acted; null for failed sign-ins and the CLI.")
    target: str = Field(description="What it was done to, as kind:key.", examples=["page:expenses"])
    detail: dict[str, Any] | None
    ip: str | None
    created_at: Timestamp


class AuditList(Shape):
    items: list[AuditEntry]
    page: int
    per_page: int
    total: int
    pages: int


def to_audit_list(listing: Paginated[models.AuditEntry]) -> AuditList:
    return AuditList(
        items=[
            AuditEntry(
                id=entry.id,
                action=entry.action,
                actor=to_user(entry.actor) if entry.actor else None,
                target=entry.target,
                detail=entry.detail,
                ip=entry.ip,
                created_at=entry.created_at,
            )
            for entry in listing.items
        ],
        page=listing.page,
        per_page=listing.per_page,
        total=listing.total,
        pages=listing.pages,
    )


# -- synonyms --------------------------------------------------------------------------------


class SynonymSet(Shape):
    id: int
    terms: list[str] = Field(examples=[["pto", "vacation", "time off"]])
    created_by: User | None = Field(description="Who added it; null once they are deleted.")
    created_at: Timestamp


class SynonymList(Shape):
    items: list[SynonymSet]


def to_synonym_set(synonyms: models.SynonymSet) -> SynonymSet:
    return SynonymSet(
        id=synonyms.id,
        terms=synonyms.terms,
        created_by=to_user(synonyms.created_by) if synonyms.created_by else None,
        created_at=synonyms.created_at,
    )


class OpenAPIDocument(RootModel[dict[str, Any]]):
    """An OpenAPI 3.1 document."""


# -- direct answers (search) -------------------------------------------------------------------


class DirectAnswer(Shape):
    slug: str
    title: str
    heading: str
    anchor: str = Field(description="The heading's id on the page: /wiki/{slug}#{anchor}.")
    excerpt_html: str = Field(description="The first lines under the heading, sanitised HTML.")


def to_direct_answer(answer: search_service.DirectAnswer) -> DirectAnswer:
    return DirectAnswer(
        slug=answer.slug,
        title=answer.title,
        heading=answer.heading,
        anchor=answer.anchor,
        excerpt_html=str(answer.excerpt_html),
    )


# -- watches ----------------------------------------------------------------------------------


class Watch(Shape):
    id: int
    kind: Literal["page", "tag", "space"]
    key: str = Field(description="The page's slug, the tag's name or the space's slug.")
    label: str = Field(description="The page's title, the tag or the space's name.")


class WatchList(Shape):
    items: list[Watch]


def to_watch(watched: watches.Watched) -> Watch:
    return Watch(id=watched.id, kind=watched.kind, key=watched.key, label=watched.label)


# -- spaces and the page tree ----------------------------------------------------------------


class SpaceSummary(Shape):
    slug: str
    name: str
    kind: str = Field(description="`department` (one per department) or `project`.")
    department: str | None
    home_page: str | None = Field(description="The slug of the space's home page.")
    url: str


class SpaceList(Shape):
    items: list[SpaceSummary]


class SpaceMember(Shape):
    user: User
    role: str = Field(description="`member` or `maintainer`.")


class Space(SpaceSummary):
    description: str
    review_interval_days: int
    verify_cross_department: bool
    feedback_threshold: int
    required_approvals: int | None = Field(description="null: the department's or global rule.")
    members: list[SpaceMember] = Field(
        description="Named members and, for a department space, the department's people."
    )


class TreeNode(Shape):
    slug: str
    title: str
    children: list[TreeNode]


class SpaceTree(Shape):
    space: str
    items: list[TreeNode] = Field(description="The top-level pages, each with its children.")


def to_space_summary(space: models.Space) -> SpaceSummary:
    home = space.home_page
    return SpaceSummary(
        slug=space.slug, name=space.name, kind=space.kind,
        department=space.department.name if space.department else None,
        home_page=home.slug if home is not None and policy.can_view(None, home) else None,
        url=deps.external_url("spaces.view", space=space.slug),
    )  # fmt: skip


def to_space(space: models.Space, members: Sequence[tuple[models.User, str]]) -> Space:
    return Space(
        **to_space_summary(space).model_dump(),
        description=space.description,
        review_interval_days=space.review_interval_days,
        verify_cross_department=space.verify_cross_department,
        feedback_threshold=space.feedback_threshold,
        required_approvals=space.required_approvals,
        members=[SpaceMember(user=to_user(user), role=role) for user, role in members],
    )


def to_tree(space: models.Space, nodes: Sequence[spaces.TreeNode]) -> SpaceTree:
    def node(item: spaces.TreeNode) -> TreeNode:
        return TreeNode(slug=item.slug, title=item.title, children=[node(c) for c in item.children])

    return SpaceTree(space=space.slug, items=[node(item) for item in nodes])


class Change(Shape):
    page_slug: str
    page_title: str
    space: str
    revision_id: int
    number: int
    title: str
    summary: str
    author: User
    published_at: Timestamp
    url: str


class RecentChanges(Shape):
    items: list[Change]
    page: int
    per_page: int
    total: int
    pages: int


def to_recent_changes(listing: Paginated[models.Revision]) -> RecentChanges:
    return RecentChanges(
        items=[
            Change(
                page_slug=rev.page.slug, page_title=rev.page.title, space=rev.page.space.slug,
                revision_id=rev.id, number=rev.number, title=rev.title, summary=rev.summary,
                author=to_user(rev.author), published_at=rev.published_at or rev.created_at,
                url=deps.external_url("pages.revision", slug=rev.page.slug, revision_id=rev.id),
            )
            for rev in listing.items
        ],
        page=listing.page, per_page=listing.per_page, total=listing.total, pages=listing.pages,
    )  # fmt: skip
