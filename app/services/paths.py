"""Onboarding paths: make and review them, give them to people, follow them step by step.

A path is an ordered list of published pages with a title and a description. Every change is
a new :class:`PathVersion` (append-only, like a page's revisions) that goes through the review
workflow of ``app.review.workflow``: its author submits it, and it is published once it has as
many approvals as a page needs (``REVIEW_REQUIRED_APPROVALS``) from people who did not write it,
with no request for changes standing. Readers follow the published version; a step is done
once they pressed "Done" on its page, and is "updated since you read it" when the page has been
published again since.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.exceptions import Conflict, NotFound, ValidationError
from app.models import (
    Department,
    Page,
    Path,
    PathAssignment,
    PathEnrolment,
    PathReview,
    PathStepDone,
    PathVersion,
    Space,
    User,
    utcnow,
)
from app.review import policy
from app.review.approval import ApprovalRules, Verdict
from app.review.workflow import OPEN_STATES, Action, State, advance
from app.services import audit, notifications

MAX_TITLE_CHARS = 200
MAX_DESCRIPTION_CHARS = 2000
MAX_STEPS = 50
MAX_COMMENT_CHARS = 2000
#: What a line of the step list may be besides a slug: the page's address on this wiki.
_WIKI_ADDRESS = re.compile(r"^(?:https?://[^/]+)?/wiki/([^/?#]+)")


# -- reading ------------------------------------------------------------------------------------


def get(session: Session, path_id: int, *, reader: policy.Reader) -> Path:
    """Return the path ``reader`` may see; raise NotFound otherwise (hidden or missing alike)."""
    path = session.get(Path, path_id)
    if path is None or not policy.can_view_path(reader, path, latest_version(session, path)):
        raise NotFound(f"There is no path {path_id}.")
    return path


def latest_version(session: Session, path: Path) -> PathVersion | None:
    """Return the newest version of ``path`` (a draft or one in review, or the published one)."""
    return session.scalar(
        select(PathVersion)
        .where(PathVersion.path_id == path.id)
        .order_by(PathVersion.number.desc())
        .limit(1)
    )


def published_version(session: Session, path: Path) -> PathVersion | None:
    """Return the version of ``path`` readers follow, if one was published."""
    return session.scalar(
        select(PathVersion).where(
            PathVersion.path_id == path.id, PathVersion.state == State.PUBLISHED.value
        )
    )


def shown_version(session: Session, path: Path, reader: policy.Reader) -> PathVersion:
    """The version ``reader`` sees first: the published one, or the newest before that."""
    version = published_version(session, path) or latest_version(session, path)
    assert version is not None  # a path is created with its first version
    return version


def versions(session: Session, path: Path) -> list[PathVersion]:
    """Every version of ``path``, newest first."""
    return list(
        session.scalars(
            select(PathVersion)
            .where(PathVersion.path_id == path.id)
            .order_by(PathVersion.number.desc())
        )
    )


def reviews(session: Session, version: PathVersion) -> list[PathReview]:
    """The reviews of one version, oldest first."""
    return list(
        session.scalars(
            select(PathReview).where(PathReview.version_id == version.id).order_by(PathReview.id)
        )
    )


def owner_ids(session: Session, path: Path) -> set[int]:
    """Who owns ``path``: who made it and who wrote a version that was published."""
    authors = session.scalars(
        select(PathVersion.author_id).where(
            PathVersion.path_id == path.id, PathVersion.published_at.is_not(None)
        )
    )
    return {path.created_by_id, *authors}


@dataclass(frozen=True)
class Listed:
    """A path in a list, with the version the reader sees."""

    path: Path
    version: PathVersion


def listing(session: Session, *, reader: policy.Reader) -> list[Listed]:
    """Published paths, A to Z; for members also the paths waiting for review, and the
    reader's own drafts."""
    query = select(Path).order_by(func.lower(Path.title))
    found = []
    for path in session.scalars(query):
        latest = latest_version(session, path)
        if not policy.can_view_path(reader, path, latest):
            continue
        found.append(Listed(path, shown_version(session, path, reader)))
    return found


def awaiting_review(session: Session, *, reader: User) -> list[PathVersion]:
    """Path versions in review that ``reader`` did not write (they may review them)."""
    return list(
        session.scalars(
            select(PathVersion)
            .where(
                PathVersion.state.in_([State.IN_REVIEW.value, State.CHANGES_REQUESTED.value]),
                PathVersion.author_id != reader.id,
            )
            .order_by(PathVersion.submitted_at)
        )
    )


@dataclass(frozen=True)
class Step:
    """One step of a path as a reader sees it."""

    position: int  #: from 1
    page: Page
    done: bool = False
    #: The revision the reader read when they pressed "Done".
    read_revision_id: int | None = None
    #: The page was published again after the reader marked it done.
    updated: bool = False


def steps(session: Session, version: PathVersion, *, reader: policy.Reader) -> list[Step]:
    """The pages of ``version`` in order, those ``reader`` may see (an archived page drops out
    of the path for anonymous readers, as everywhere)."""
    found = _pages(session, version.page_ids)
    shown = [found[i] for i in version.page_ids if i in found]
    return [
        Step(position=n, page=page)
        for n, page in enumerate((page for page in shown if policy.can_view(reader, page)), start=1)
    ]


def _pages(session: Session, ids: Iterable[int]) -> dict[int, Page]:
    wanted = list(ids)
    if not wanted:
        return {}
    return {page.id: page for page in session.scalars(select(Page).where(Page.id.in_(wanted)))}


# -- writing and reviewing ----------------------------------------------------------------------


def create(
    session: Session,
    *,
    author: User,
    title: str,
    description: str,
    pages: Sequence[str],
    submit: bool = False,
) -> PathVersion:
    """Make a new path: its first version is a draft (or in review with ``submit``)."""
    fields = _validated(session, title=title, description=description, pages=pages)
    path = Path(title=fields.title, description=fields.description, created_by=author)
    session.add(path)
    session.flush()
    version = _add_version(session, path, author, fields, submit=submit)
    audit.record(session, "path.create", actor=author, target=f"path:{path.id}")
    session.commit()
    return version


def revise(
    session: Session,
    *,
    author: User,
    path_id: int,
    title: str,
    description: str,
    pages: Sequence[str],
    submit: bool = False,
) -> PathVersion:
    """Propose a new version of a path (any member may); readers keep following the published
    one until the new one is reviewed. An open version it replaces is withdrawn."""
    path = get(session, path_id, reader=author)
    fields = _validated(session, title=title, description=description, pages=pages)
    for open_version in session.scalars(
        select(PathVersion).where(
            PathVersion.path_id == path.id,
            PathVersion.state.in_([state.value for state in OPEN_STATES]),
        )
    ):
        open_version.state = advance(State(open_version.state), Action.WITHDRAW).value
    version = _add_version(session, path, author, fields, submit=submit)
    session.commit()
    return version


def submit(session: Session, *, actor: User, path_id: int) -> PathVersion:
    """Ask for review of the newest version of a path."""
    path = get(session, path_id, reader=actor)
    version = latest_version(session, path)
    assert version is not None
    policy.require_manage_path_version(actor, version)
    version.state = advance(State(version.state), Action.SUBMIT).value
    version.submitted_at = utcnow()
    session.commit()
    return version


def review(
    session: Session,
    *,
    actor: User,
    path_id: int,
    verdict: str,
    comment: str,
    rules: ApprovalRules,
) -> PathVersion:
    """Review the newest version of a path: an approval publishes it once the approval rules'
    count of independent approvals is reached and nobody's request for changes stands."""
    path = get(session, path_id, reader=actor)
    version = latest_version(session, path)
    assert version is not None
    if State(version.state) not in (State.IN_REVIEW, State.CHANGES_REQUESTED):
        raise Conflict("This version of the path is not waiting for review.")
    try:
        chosen = Verdict(verdict)
    except ValueError:
        raise ValidationError("Unknown verdict.", {"verdict": "Choose approve, request_changes or comment."}) from None  # fmt: skip
    comment = comment.strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise ValidationError("Comment too long.", {"comment": f"At most {MAX_COMMENT_CHARS} characters."})  # fmt: skip
    if chosen is not Verdict.COMMENT:
        policy.require_approve_path(actor, version)
    if chosen is Verdict.REQUEST_CHANGES and not comment:
        raise ValidationError(
            "Say what should change.", {"comment": "Requesting changes needs a comment."}
        )
    # An unconfirmed department's approval is recorded as a comment, as for pages.
    if chosen is Verdict.APPROVE and not actor.department_confirmed:
        chosen = Verdict.COMMENT
    session.add(
        PathReview(version_id=version.id, reviewer=actor, verdict=chosen.value, comment=comment)
    )
    session.flush()
    approvers, blockers = _standing(session, version)
    link = f"/paths/{path.id}"
    if chosen is Verdict.REQUEST_CHANGES and version.state == State.IN_REVIEW.value:
        version.state = advance(State.IN_REVIEW, Action.REQUEST_CHANGES).value
    elif chosen is Verdict.APPROVE and not blockers and version.state != State.IN_REVIEW.value:
        version.state = advance(State.CHANGES_REQUESTED, Action.UNBLOCK).value
    if version.state == State.IN_REVIEW.value and not blockers and len(approvers) >= rules.required:
        version.state = advance(State.IN_REVIEW, Action.APPROVE).value
        _publish(session, path, version, actor)
        message = f"Your path “{version.title}” is published."
    else:
        message = f"{actor.name} reviewed your path “{version.title}”: {chosen.value.replace('_', ' ')}."  # fmt: skip
    notifications.notify(
        session, [version.author], kind="path_review", actor=actor, message=message, link=link
    )
    session.commit()
    return version


def _standing(session: Session, version: PathVersion) -> tuple[set[int], set[int]]:
    """Who approves and who requests changes now (each reviewer's latest verdict counts)."""
    latest: dict[int, str] = {}
    for item in reviews(session, version):
        if item.verdict != Verdict.COMMENT.value:
            latest[item.reviewer_id] = item.verdict
    approvers = {who for who, verdict in latest.items() if verdict == Verdict.APPROVE.value}
    blockers = {who for who, verdict in latest.items() if verdict == Verdict.REQUEST_CHANGES.value}
    return approvers, blockers


def _publish(session: Session, path: Path, version: PathVersion, actor: User) -> None:
    previous = published_version(session, path)
    if previous is not None:
        previous.state = advance(State.PUBLISHED, Action.SUPERSEDE).value
        session.flush()
    version.state = advance(State(version.state), Action.PUBLISH).value
    now = utcnow()
    version.published_at = now
    path.title, path.description, path.updated_at = version.title, version.description, now
    path.published_at = path.published_at or now
    audit.record(
        session, "path.publish", actor=actor, target=f"path:{path.id}",
        detail={"version": version.number},
    )  # fmt: skip


@dataclass(frozen=True)
class _Fields:
    title: str
    description: str
    page_ids: list[int]


def _validated(session: Session, *, title: str, description: str, pages: Sequence[str]) -> _Fields:
    errors: dict[str, str] = {}
    title, description = title.strip(), description.strip()
    if not title:
        errors["title"] = "Give the path a title."
    elif len(title) > MAX_TITLE_CHARS:
        errors["title"] = f"At most {MAX_TITLE_CHARS} characters."
    if len(description) > MAX_DESCRIPTION_CHARS:
        errors["description"] = f"At most {MAX_DESCRIPTION_CHARS} characters."
    page_ids: list[int] = []
    unknown: list[str] = []
    for entry in (item.strip() for item in pages):
        if not entry:
            continue
        page = _find_page(session, entry)
        if page is None:
            unknown.append(entry)
        elif page.id not in page_ids:
            page_ids.append(page.id)
    if unknown:
        errors["pages"] = "No published page called " + ", ".join(f"“{u}”" for u in unknown[:5]) + "."  # fmt: skip
    elif not page_ids:
        errors["pages"] = "Add at least one page."
    elif len(page_ids) > MAX_STEPS:
        errors["pages"] = f"At most {MAX_STEPS} pages."
    if errors:
        raise ValidationError("The path could not be saved.", errors)
    return _Fields(title, description, page_ids)


def _find_page(session: Session, entry: str) -> Page | None:
    """A published, live page named by its slug, its address or its title."""
    address = _WIKI_ADDRESS.match(entry)
    slug = address.group(1) if address else entry.strip("/").lower()
    page = session.scalar(select(Page).where(Page.slug == slug))
    if page is None:
        page = session.scalar(select(Page).where(func.lower(Page.title) == entry.lower()).limit(1))
    if page is None or page.published_revision_id is None or page.is_archived:
        return None
    return page


def _add_version(
    session: Session, path: Path, author: User, fields: _Fields, *, submit: bool
) -> PathVersion:
    number = (
        session.scalar(select(func.max(PathVersion.number)).where(PathVersion.path_id == path.id))
        or 0
    ) + 1
    now = utcnow()
    version = PathVersion(
        path_id=path.id, number=number, author=author, title=fields.title,
        description=fields.description, page_ids=fields.page_ids,
        state=State.IN_REVIEW.value if submit else State.DRAFT.value,
        submitted_at=now if submit else None,
    )  # fmt: skip
    session.add(version)
    if not path.is_published:
        path.title, path.description = fields.title, fields.description
    path.updated_at = now
    session.flush()
    return version


# -- assigning ----------------------------------------------------------------------------------


def assign(
    session: Session,
    *,
    actor: User,
    path_id: int,
    username: str | None = None,
    department: str | None = None,
) -> PathAssignment:
    """Give a published path to a person or a whole department (whose future members get it
    when they join); each person it reaches is told in the inbox. Audited.

    Besides the path's owners and administrators, the members of a department's space give it
    to that department or to people in it.
    """
    path = get(session, path_id, reader=actor)
    if not path.is_published:
        raise Conflict("Only a published path can be assigned: it needs its review first.")
    if bool(username) == bool(department):
        raise ValidationError(
            "Say whom to assign it to.", {"assignee": "Choose one person or one department."}
        )
    if username:
        user = session.scalar(select(User).where(User.username == username.strip().lower()))
        if user is None or not user.is_active:
            raise ValidationError("Unknown person.", {"username": f"There is no {username!r}."})
        taken, within = PathAssignment.user_id == user.id, user.department_id
        people, target = [user], {"user": user.username}
        assignment = PathAssignment(path_id=path.id, user=user, assigned_by=actor)
    else:
        assert department is not None
        dept = session.scalar(select(Department).where(Department.name == department.strip()))
        if dept is None:
            raise ValidationError(
                "Unknown department.", {"department": f"There is no department {department!r}."}
            )
        taken, within = PathAssignment.department_id == dept.id, dept.id
        people = [member for member in _members(session, dept) if member.is_active]
        target = {"department": dept.name}
        assignment = PathAssignment(path_id=path.id, department=dept, assigned_by=actor)
    home = session.scalar(select(Space).where(Space.department_id == within))
    policy.require_assign_path(
        actor, path, authors=owner_ids(session, path),
        space_member=home is not None and policy.is_space_member(actor, home),
    )  # fmt: skip
    if session.scalar(select(PathAssignment.id).where(PathAssignment.path_id == path.id, taken)):
        raise Conflict("This path is assigned there already.")
    session.add(assignment)
    for person in people:
        _enrol(session, path, person, actor=actor)
    audit.record(
        session, "path.assign", actor=actor, target=f"path:{path.id}",
        detail={**target, "people": len(people)},
    )  # fmt: skip
    session.commit()
    return assignment


def unassign(session: Session, *, actor: User, path_id: int, assignment_id: int) -> None:
    """Take back an assignment (people keep the progress they made). Audited."""
    path = get(session, path_id, reader=actor)
    policy.require_assign_path(actor, path, authors=owner_ids(session, path))
    assignment = session.get(PathAssignment, assignment_id)
    if assignment is None or assignment.path_id != path.id:
        raise NotFound(f"There is no assignment {assignment_id} of this path.")
    detail = (
        {"user": assignment.user.username}
        if assignment.user is not None
        else {"department": assignment.department.name if assignment.department else ""}
    )
    session.delete(assignment)
    audit.record(session, "path.unassign", actor=actor, target=f"path:{path.id}", detail=detail)
    session.commit()


def assignments_of(session: Session, *, actor: User, path_id: int) -> list[PathAssignment]:
    """Whom path ``path_id`` is given to, for those who may assign it."""
    path = get(session, path_id, reader=actor)
    policy.require_assign_path(actor, path, authors=owner_ids(session, path))
    return assignments(session, path)


def assignments(session: Session, path: Path) -> list[PathAssignment]:
    """Whom ``path`` is given to, oldest first."""
    return list(
        session.scalars(
            select(PathAssignment)
            .where(PathAssignment.path_id == path.id)
            .order_by(PathAssignment.id)
        )
    )


def joined_department(session: Session, user: User) -> int:
    """Give a person who just joined (or moved into) a department the paths assigned to it;
    return how many they got (the caller commits)."""
    session.flush()  # a department just set on ``user`` is in ``department_id`` from here on
    given = 0
    for assignment in session.scalars(
        select(PathAssignment).where(PathAssignment.department_id == user.department_id)
    ):
        path = session.get(Path, assignment.path_id)
        assert path is not None
        given += _enrol(session, path, user, actor=assignment.assigned_by)
    return given


def _members(session: Session, department: Department) -> list[User]:
    return list(session.scalars(select(User).where(User.department_id == department.id)))


def _enrol(session: Session, path: Path, user: User, *, actor: User) -> bool:
    """Make ``path`` assigned to ``user``; tell them unless it already was."""
    enrolment = session.scalar(
        select(PathEnrolment).where(
            PathEnrolment.path_id == path.id, PathEnrolment.user_id == user.id
        )
    )
    if enrolment is not None and enrolment.assigned:
        return False
    if enrolment is None:
        session.add(PathEnrolment(path_id=path.id, user=user, assigned=True))
    else:
        enrolment.assigned = True
    session.flush()
    notifications.notify(
        session, [user], kind="path_assigned", actor=None if actor.id == user.id else actor,
        message=f"You have a new path to follow: “{path.title}”.", link=f"/paths/{path.id}",
    )  # fmt: skip
    return True


# -- following ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """Where a reader is on a path."""

    path: Path
    version: PathVersion
    steps: list[Step]
    enrolled: bool
    assigned: bool

    @property
    def done(self) -> int:
        return sum(1 for step in self.steps if step.done)

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def finished(self) -> bool:
        return bool(self.steps) and self.done == self.total

    @property
    def updated(self) -> int:
        return sum(1 for step in self.steps if step.updated)

    @property
    def next_step(self) -> Step | None:
        return next((step for step in self.steps if not step.done), None)

    def step_of(self, page_id: int) -> Step | None:
        return next((step for step in self.steps if step.page.id == page_id), None)


def progress(session: Session, path: Path, *, reader: policy.Reader) -> Progress:
    """Return ``reader``'s progress on the version of ``path`` they see."""
    version = shown_version(session, path, reader)
    shown = steps(session, version, reader=reader)
    if not isinstance(reader, User):
        return Progress(path, version, shown, enrolled=False, assigned=False)
    done = {
        row.page_id: row
        for row in session.scalars(
            select(PathStepDone).where(
                PathStepDone.path_id == path.id, PathStepDone.user_id == reader.id
            )
        )
    }
    enrolment = _enrolment(session, path, reader)
    marked = []
    for step in shown:
        row = done.get(step.page.id)
        if row is None:
            marked.append(step)
            continue
        current = step.page.published_revision_id
        marked.append(
            Step(
                position=step.position, page=step.page, done=True,
                read_revision_id=row.revision_id,
                updated=current is not None and current != row.revision_id,
            )
        )  # fmt: skip
    return Progress(
        path, version, marked, enrolled=enrolment is not None,
        assigned=enrolment is not None and enrolment.assigned,
    )  # fmt: skip


def progress_of(session: Session, *, reader: User, path_id: int) -> Progress:
    """Return ``reader``'s progress on path ``path_id``."""
    return progress(session, get(session, path_id, reader=reader), reader=reader)


def mark_done(
    session: Session, *, actor: User, path_id: int, page: str | int, done: bool = True
) -> Progress:
    """Mark a step of a published path read (at the page's current published revision), or
    not read again with ``done=False``; starting a path this way enrols the reader."""
    path = get(session, path_id, reader=actor)
    if not path.is_published:
        raise Conflict("This path is not published yet: it cannot be followed.")
    current = progress(session, path, reader=actor)
    step = next((s for s in current.steps if s.page.id == page or s.page.slug == page), None)
    if step is None:
        raise NotFound("That page is not a step of this path.")
    row = session.scalar(
        select(PathStepDone).where(
            PathStepDone.path_id == path.id, PathStepDone.user_id == actor.id,
            PathStepDone.page_id == step.page.id,
        )
    )  # fmt: skip
    revision_id = step.page.published_revision_id
    assert revision_id is not None  # steps are published pages
    if done and row is None:
        session.add(
            PathStepDone(
                path_id=path.id, user_id=actor.id, page_id=step.page.id, revision_id=revision_id
            )
        )
    elif done and row is not None:
        row.revision_id, row.done_at = revision_id, utcnow()
    elif row is not None:
        session.delete(row)
    if _enrolment(session, path, actor) is None:
        session.add(PathEnrolment(path_id=path.id, user_id=actor.id, assigned=False))
    session.commit()
    return progress(session, path, reader=actor)


def _enrolment(session: Session, path: Path, user: User) -> PathEnrolment | None:
    return session.scalar(
        select(PathEnrolment).where(
            PathEnrolment.path_id == path.id, PathEnrolment.user_id == user.id
        )
    )


def mine(session: Session, user: User) -> list[Progress]:
    """The published paths ``user`` follows (assigned or started), unfinished ones first."""
    enrolments = session.scalars(
        select(PathEnrolment)
        .join(Path, Path.id == PathEnrolment.path_id)
        .where(PathEnrolment.user_id == user.id, Path.published_at.is_not(None))
        .order_by(PathEnrolment.created_at.desc(), PathEnrolment.id.desc())
    ).all()
    found = [progress(session, enrolment.path, reader=user) for enrolment in enrolments]
    return sorted(found, key=lambda item: item.finished)


@dataclass(frozen=True)
class Bar:
    """What a page view opened from a path shows: step N of M, Done, the next step."""

    progress: Progress
    step: Step

    @property
    def following(self) -> Step | None:
        """The step after this one."""
        steps = self.progress.steps
        return steps[self.step.position] if self.step.position < len(steps) else None


def bar(session: Session, *, reader: User, path_id: int, page: Page) -> Bar | None:
    """The path bar for ``page`` opened from path ``path_id``, if the page is one of its steps
    (None for anything else: a stale or made-up link shows the page without a bar)."""
    try:
        path = get(session, path_id, reader=reader)
    except NotFound:
        return None
    if not path.is_published:
        return None
    current = progress(session, path, reader=reader)
    step = current.step_of(page.id)
    return Bar(current, step) if step is not None else None


# -- owners' figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StepFigures:
    """How many followers did one step, and how many stopped right before it."""

    step: Step
    done: int
    stopped_here: int


@dataclass(frozen=True)
class Stats:
    """How a path is followed: people who have it, started it, finished it; per step."""

    path: Path
    following: int
    assigned: int
    started: int
    finished: int
    steps: list[StepFigures]


def stats(session: Session, *, actor: User, path_id: int) -> Stats:
    """Figures for a path's owners (and administrators): started means at least one step done,
    finished means every step done; a follower "stops" at the first step they have not done."""
    path = get(session, path_id, reader=actor)
    policy.require_own_path(actor, path, authors=owner_ids(session, path))
    version = shown_version(session, path, actor)
    shown = steps(session, version, reader=policy.SYSTEM)
    enrolments = session.scalars(
        select(PathEnrolment).where(PathEnrolment.path_id == path.id)
    ).all()
    done_by: dict[int, set[int]] = {}
    for user_id, page_id in session.execute(
        select(PathStepDone.user_id, PathStepDone.page_id).where(PathStepDone.path_id == path.id)
    ):
        done_by.setdefault(user_id, set()).add(page_id)
    stopped = [0] * len(shown)
    started = finished = 0
    for enrolment in enrolments:
        pages_done = done_by.get(enrolment.user_id, set())
        if not pages_done & {step.page.id for step in shown}:
            continue
        started += 1
        first_open = next((i for i, s in enumerate(shown) if s.page.id not in pages_done), None)
        if first_open is None:
            finished += 1
        else:
            stopped[first_open] += 1
    figures = [
        StepFigures(
            step=step,
            done=sum(1 for e in enrolments if step.page.id in done_by.get(e.user_id, set())),
            stopped_here=stopped[i],
        )
        for i, step in enumerate(shown)
    ]
    return Stats(
        path=path, following=len(enrolments),
        assigned=sum(1 for e in enrolments if e.assigned),
        started=started, finished=finished, steps=figures,
    )  # fmt: skip
