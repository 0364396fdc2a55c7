"""Onboarding paths over JSON: what clients send and what the API answers (one model each)."""

from __future__ import annotations

from pydantic import Field

from app import deps, models
from app.api.inputs import Body
from app.api.serializers import Shape, Timestamp, User, to_user
from app.services import paths

# -- requests ------------------------------------------------------------------------------------


class PathFields(Body):
    """A path's content: every save is a new version, reviewed before readers follow it."""

    title: str = Field(
        description=f"At most {paths.MAX_TITLE_CHARS} characters.",
        examples=["Your first week in Finance"],
    )
    description: str = Field(default="", description=f"At most {paths.MAX_DESCRIPTION_CHARS} characters.")  # fmt: skip
    pages: list[str] = Field(
        description=f"Published pages in order (slugs, /wiki/ addresses or titles), at most {paths.MAX_STEPS}.",  # fmt: skip
        examples=[["expenses-guide", "travel-policy"]],
    )
    submit: bool = Field(default=False, description="Send the new version for review at once.")


class PathReviewVerdict(Body):
    """A review of the path's newest version."""

    verdict: str = Field(description="approve, request_changes or comment.", examples=["approve"])
    comment: str = Field(default="", description="Required to request changes.")


class StepDone(Body):
    """Mark a step of the path read (at the page's current version), or not."""

    page: str = Field(description="The step's page slug.", examples=["expenses-guide"])
    done: bool = True


class NewAssignment(Body):
    """Whom to give the path to: one person, or a department (its future members too)."""

    username: str | None = Field(default=None, examples=["sam"])
    department: str | None = Field(default=None, examples=["Finance"])


# -- answers -------------------------------------------------------------------------------------


class PathStep(Shape):
    position: int
    slug: str
    title: str
    url: str


class PathVersion(Shape):
    number: int
    state: str = Field(description="draft, in_review, changes_requested, published, ...")
    title: str
    description: str
    author: User
    created_at: Timestamp
    published_at: Timestamp | None
    steps: list[PathStep]


class PathSummary(Shape):
    id: int
    title: str
    description: str
    published: bool
    steps: int
    created_by: User
    url: str


class PathList(Shape):
    items: list[PathSummary]


class Path(PathSummary):
    version: PathVersion = Field(description="The version readers follow (or the newest).")
    pending: PathVersion | None = Field(description="A newer version not published yet.")


class StepProgress(PathStep):
    done: bool
    read_revision_id: int | None
    updated_since_read: bool
    diff_url: str | None = Field(description="What changed since the reader read it.")


class Progress(Shape):
    path_id: int
    done: int
    total: int
    finished: bool
    assigned: bool
    steps: list[StepProgress]


class Assignment(Shape):
    id: int
    user: User | None
    department: str | None
    assigned_by: User
    created_at: Timestamp


class AssignmentList(Shape):
    items: list[Assignment]


class StepStats(Shape):
    position: int
    slug: str
    title: str
    done: int
    stopped_here: int = Field(description="Started, and this is their first step not done.")


class PathStats(Shape):
    path_id: int
    following: int
    assigned: int
    started: int
    finished: int
    steps: list[StepStats]


def _step(step: paths.Step) -> PathStep:
    return PathStep(
        position=step.position, slug=step.page.slug, title=step.page.title,
        url=deps.external_url("pages.view", slug=step.page.slug),
    )  # fmt: skip


def to_version(version: models.PathVersion, steps: list[paths.Step]) -> PathVersion:
    return PathVersion(
        number=version.number, state=version.state, title=version.title,
        description=version.description, author=to_user(version.author),
        created_at=version.created_at, published_at=version.published_at,
        steps=[_step(step) for step in steps],
    )  # fmt: skip


def to_summary(item: paths.Listed) -> PathSummary:
    return PathSummary(
        id=item.path.id, title=item.path.title, description=item.path.description,
        published=item.path.is_published, steps=len(item.version.page_ids),
        created_by=to_user(item.path.created_by),
        url=deps.external_url("paths.view", path_id=item.path.id),
    )  # fmt: skip


def to_path(
    item: paths.Listed,
    steps: list[paths.Step],
    pending: tuple[models.PathVersion, list[paths.Step]] | None,
) -> Path:
    return Path(
        **to_summary(item).model_dump(),
        version=to_version(item.version, steps),
        pending=to_version(*pending) if pending else None,
    )


def to_progress(progress: paths.Progress) -> Progress:
    def step(item: paths.Step) -> StepProgress:
        diff = (
            deps.external_url(
                "pages.diff", slug=item.page.slug,
                **{"from": item.read_revision_id, "to": item.page.published_revision_id},
            )
            if item.updated
            else None
        )  # fmt: skip
        return StepProgress(
            **_step(item).model_dump(), done=item.done, read_revision_id=item.read_revision_id,
            updated_since_read=item.updated, diff_url=diff,
        )  # fmt: skip

    return Progress(
        path_id=progress.path.id, done=progress.done, total=progress.total,
        finished=progress.finished, assigned=progress.assigned,
        steps=[step(item) for item in progress.steps],
    )  # fmt: skip


def to_assignment(item: models.PathAssignment) -> Assignment:
    return Assignment(
        id=item.id, user=to_user(item.user) if item.user else None,
        department=item.department.name if item.department else None,
        assigned_by=to_user(item.assigned_by), created_at=item.created_at,
    )  # fmt: skip


def to_stats(stats: paths.Stats) -> PathStats:
    return PathStats(
        path_id=stats.path.id, following=stats.following, assigned=stats.assigned,
        started=stats.started, finished=stats.finished,
        steps=[
            StepStats(
                position=row.step.position, slug=row.step.page.slug, title=row.step.page.title,
                done=row.done, stopped_here=row.stopped_here,
            )
            for row in stats.steps
        ],
    )  # fmt: skip
