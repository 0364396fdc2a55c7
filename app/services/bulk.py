"""Load many pages at once: bulk inserts of the rows that the services would have written.

For filling a wiki nobody uses yet (benchmarks, demos, a migration from another wiki): ids are
chosen here, so nothing else may write meanwhile. Each page comes with its published history,
every version proposed by its author, approved by one reviewer and published. The rows are
those that ``proposals.create_page`` / ``save_revision``, ``review.submission`` and
``review.add_review`` leave behind: revisions rendered once by the services' renderer,
proposals with their timelines, review requests, approvals, tags, links and contributors. Not written:
notifications and audit entries about that history (messages to people, not page data) and
search change-log rows; rebuild the search index once at the end with ``indexing.rebuild``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session

from app import render
from app.exceptions import ValidationError
from app.models import (
    Department,
    Page,
    PageContributor,
    PageLink,
    Proposal,
    ProposalEvent,
    Review,
    ReviewRequest,
    Revision,
    Tag,
    User,
    page_tags,
)
from app.review.approval import Verdict
from app.review.workflow import Action, State, advance
from app.services import backup, pages, spaces
from app.slugs import slugify

#: Pages written per transaction.
BATCH = 500


@dataclass(frozen=True)
class Version:
    """One published version of a page: proposed by ``author``, approved by ``reviewer``."""

    author: str
    reviewer: str
    body: str
    proposed_at: datetime
    published_at: datetime
    summary: str = ""
    #: What the reviewer said when approving.
    review: str = ""


@dataclass(frozen=True)
class PageHistory:
    """A page and its published versions, oldest first (the last is what readers see)."""

    title: str
    department: str
    versions: Sequence[Version]
    tags: Sequence[str] = field(default_factory=tuple)


def load(
    session: Session, histories: Iterable[PageHistory], *, batch: int = BATCH, processes: int = 1
) -> int:
    """Write ``histories`` in transactions of ``batch`` pages; return how many were written.

    Rendering, most of the work, runs in ``processes`` worker processes when more than one.

    :raises ValidationError: for an unknown person or department, a taken title, a reviewer
        approving their own version, or fields the services would refuse (pages written by
        earlier transactions stay).
    """
    names = _Names(session)
    ids = _Ids(session)
    written = 0
    pending = iter(histories)
    with _renderer(processes) as render_all:
        while chunk := list(islice(pending, batch)):
            rows = _Rows()
            for history in chunk:
                rows.add(session, history, names, ids)
            _check_free(session, rows.slugs)
            rows.render(render_all)
            rows.write(session)
            pages.content_changed(session)  # cached views of pages linking to these
            session.commit()
            written += len(chunk)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        backup.reset_sequences(connection)  # ids were chosen here, not by the sequences
    session.commit()
    return written


_Rendering = tuple[str, list[dict[str, Any]]]


def _rendered(body: str) -> _Rendering:
    """What a revision stores of its rendering: the HTML and the table of contents."""
    output = pages.rendered(body)
    return str(output.html), [asdict(entry) for entry in output.toc]


@contextmanager
def _renderer(processes: int) -> Iterator[Callable[[list[str]], Iterable[_Rendering]]]:
    if processes <= 1:
        yield lambda bodies: map(_rendered, bodies)
        return
    with ProcessPoolExecutor(processes) as pool:
        yield lambda bodies: pool.map(_rendered, bodies, chunksize=25)


class _Names:
    """Ids of people, departments and tags by name (new tags get one on first use)."""

    def __init__(self, session: Session) -> None:
        self.users = {name: id_ for name, id_ in session.execute(select(User.username, User.id))}
        self.departments = {
            name.lower(): id_
            for name, id_ in session.execute(select(Department.name, Department.id))
        }
        self.tags = {name: id_ for name, id_ in session.execute(select(Tag.name, Tag.id))}
        self.new_tags: list[dict[str, Any]] = []
        self._session = session
        self._spaces: dict[int, int] = {}

    def space(self, department_id: int) -> int:
        """The id of the department's space (made now if it has none)."""
        if department_id not in self._spaces:
            department = self._session.get(Department, department_id)
            assert department is not None
            self._spaces[department_id] = spaces.ensure_department_space(
                self._session, department
            ).id
        return self._spaces[department_id]

    def user(self, username: str) -> int:
        try:
            return self.users[username.strip().lower()]
        except KeyError:
            raise ValidationError(
                "Unknown person.", {"author": f"There is no user called {username!r}."}
            ) from None

    def department(self, name: str) -> int:
        try:
            return self.departments[name.strip().lower()]
        except KeyError:
            raise ValidationError(
                "Unknown department.", {"department": f"There is no department {name!r}."}
            ) from None

    def tag(self, name: str, ids: _Ids) -> int:
        if name not in self.tags:
            self.tags[name] = ids.take(Tag)
            self.new_tags.append({"id": self.tags[name], "name": name})
        return self.tags[name]


class _Ids:
    """The next free id of each table this module writes (nobody else writes meanwhile)."""

    def __init__(self, session: Session) -> None:
        self._next = {
            model: (session.scalar(select(func.max(model.id))) or 0) + 1
            for model in (Page, Revision, Proposal, ProposalEvent, ReviewRequest, Review, Tag)
        }

    def take(self, model: type[Any]) -> int:
        taken = self._next[model]
        self._next[model] = taken + 1
        return taken


#: The states a version passes through, from proposal to publication, and the timeline entry
#: each step leaves (``None``: the reviewer's verdict, which changes no state).
_PROPOSED = State.DRAFT
_SUBMITTED = advance(_PROPOSED, Action.SUBMIT)
_APPROVED = advance(_SUBMITTED, Action.APPROVE)
_PUBLISHED = advance(_APPROVED, Action.PUBLISH)
_SUPERSEDED = advance(_PUBLISHED, Action.SUPERSEDE)


class _Rows:
    """The rows of one transaction, table by table, in an order foreign keys accept."""

    def __init__(self) -> None:
        self.slugs: set[str] = set()
        self.pages: list[dict[str, Any]] = []
        self.proposals: list[dict[str, Any]] = []
        self.revisions: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.reviews: list[dict[str, Any]] = []
        self.page_tags: list[dict[str, Any]] = []
        self.links: list[dict[str, Any]] = []
        self.contributors: list[dict[str, Any]] = []
        self.pointers: list[dict[str, Any]] = []
        self.heads: list[dict[str, Any]] = []
        self.new_tags: list[dict[str, Any]] = []

    def add(self, session: Session, history: PageHistory, names: _Names, ids: _Ids) -> None:
        if not history.versions:
            raise ValidationError("A page needs a version.", {"body": "The page is empty."})
        department = names.department(history.department)
        page_id = ids.take(Page)
        revision_id: int | None = None
        fields: dict[str, Any] = {}
        for number, version in enumerate(history.versions, start=1):
            fields = pages.validate_fields(
                session, title=history.title, body=version.body, tags=history.tags,
                summary=version.summary,
            )  # fmt: skip
            author, reviewer = names.user(version.author), names.user(version.reviewer)
            if author == reviewer:
                raise ValidationError(
                    "Nobody approves their own proposal.",
                    {
                        "reviewer": f"{version.reviewer} wrote version {number} of {history.title!r}."
                    },
                )
            if number == 1:
                self._page(page_id, history, fields, department, author, version,
                           space=names.space(department))  # fmt: skip
            parent_id, revision_id = revision_id, ids.take(Revision)
            proposal_id = ids.take(Proposal)
            latest = number == len(history.versions)
            self.proposals.append(
                {"id": proposal_id, "page_id": page_id, "author_id": author,
                 "base_revision_id": None, "head_revision_id": None,
                 "state": _PUBLISHED.value, "needs_update": False,
                 "created_at": version.proposed_at, "updated_at": version.published_at,
                 "published_at": version.published_at}
            )  # fmt: skip
            self.heads.append({"_id": proposal_id, "_base": parent_id, "_head": revision_id})
            self.revisions.append(
                {"id": revision_id, "page_id": page_id, "number": number, "parent_id": parent_id,
                 "author_id": author, "title": fields["title"], "body": fields["body"],
                 "html": None, "toc": None, "tags": fields["tags"], "department_id": department,
                 "summary": fields["summary"],
                 "status": (_PUBLISHED if latest else _SUPERSEDED).value,
                 "created_at": version.proposed_at, "published_at": version.published_at,
                 "proposal_id": proposal_id, "space_id": names.space(department),
                 "parent_page_id": None}
            )  # fmt: skip
            self._review(ids, proposal_id, revision_id, author, reviewer, version)
        self.pointers.append({"_id": page_id, "_revision": revision_id})
        latest_by = {names.user(version.author): n for n, version in enumerate(history.versions, 1)}
        self.contributors.extend(
            {"page_id": page_id, "user_id": user, "latest_number": number}
            for user, number in latest_by.items()
        )
        self.page_tags.extend(
            {"page_id": page_id, "tag_id": names.tag(name, ids)} for name in fields["tags"]
        )
        self.new_tags.extend(names.new_tags)
        names.new_tags.clear()

    def render(self, render_all: Callable[[list[str]], Iterable[_Rendering]]) -> None:
        """Render every revision once; the published ones' wiki links become the page's."""
        bodies = [row["body"] for row in self.revisions]
        for row, (html, toc) in zip(self.revisions, render_all(bodies), strict=True):
            row["html"], row["toc"] = html, toc
            if row["status"] == _PUBLISHED.value:
                self.links.extend(
                    {"source_page_id": row["page_id"], "target_slug": slug}
                    for slug in render.wikilink_targets(html)
                )

    def _page(
        self,
        page_id: int,
        history: PageHistory,
        fields: dict[str, Any],
        department: int,
        author: int,
        first: Version,
        *,
        space: int,
    ) -> None:
        slug = slugify(fields["title"])
        if slug in self.slugs:
            raise ValidationError("Title in use.", {"title": f"{history.title!r} comes twice."})
        self.slugs.add(slug)
        self.pages.append(
            {"id": page_id, "slug": slug, "title": fields["title"], "department_id": department,
             "created_by_id": author, "created_at": first.proposed_at,
             "updated_at": history.versions[-1].published_at, "archived_at": None,
             "archived_by_id": None, "published_revision_id": None, "latest_revision_id": None,
             "space_id": space, "parent_id": None, "position": 0}
        )  # fmt: skip

    def _review(
        self,
        ids: _Ids,
        proposal_id: int,
        revision_id: int,
        author: int,
        reviewer: int,
        version: Version,
    ) -> None:
        """The request, the approval and the timeline of one version's proposal."""
        proposed, published = version.proposed_at, version.published_at
        self.requests.append(
            {"id": ids.take(ReviewRequest), "proposal_id": proposal_id, "reviewer_id": reviewer,
             "requested_by_id": author, "department_id": None, "created_at": proposed}
        )  # fmt: skip
        self.reviews.append(
            {"id": ids.take(Review), "proposal_id": proposal_id, "revision_id": revision_id,
             "reviewer_id": reviewer, "verdict": Verdict.APPROVE.value,
             "summary": version.review.strip(), "rubric": {}, "created_at": published,
             "dismissed_at": None, "overridden_at": None, "overridden_by_id": None,
             "override_reason": None}
        )  # fmt: skip
        for actor, kind, before, after, detail, at in (
            (author, "created", None, _PROPOSED, "", proposed),
            (author, Action.SUBMIT.value, _PROPOSED, _SUBMITTED, "", proposed),
            (reviewer, f"review_{Verdict.APPROVE.value}", None, None, version.review.strip()[:300],
             published),
            (reviewer, Action.APPROVE.value, _SUBMITTED, _APPROVED, "", published),
            (reviewer, Action.PUBLISH.value, _APPROVED, _PUBLISHED, "", published),
        ):  # fmt: skip
            self.events.append(
                {"id": ids.take(ProposalEvent), "proposal_id": proposal_id, "actor_id": actor,
                 "kind": kind, "from_state": before.value if before else None,
                 "to_state": after.value if after else None, "detail": detail, "created_at": at}
            )  # fmt: skip

    def write(self, session: Session) -> None:
        """Insert (and point) everything; executemany per table."""
        connection = session.connection()
        for table, rows in (
            (_table(Tag), self.new_tags),
            (_table(Page), self.pages),
            (_table(Proposal), self.proposals),
            (_table(Revision), self.revisions),
        ):
            if rows:
                connection.execute(table.insert(), rows)
        proposals_table, pages_table = _table(Proposal), _table(Page)
        connection.execute(
            proposals_table.update()
            .where(proposals_table.c.id == bindparam("_id"))
            .values(base_revision_id=bindparam("_base"), head_revision_id=bindparam("_head")),
            self.heads,
        )
        connection.execute(
            pages_table.update()
            .where(pages_table.c.id == bindparam("_id"))
            .values(
                published_revision_id=bindparam("_revision"),
                latest_revision_id=bindparam("_revision"),
            ),
            self.pointers,
        )
        for table, rows in (
            (_table(ProposalEvent), self.events),
            (_table(ReviewRequest), self.requests),
            (_table(Review), self.reviews),
            (page_tags, self.page_tags),
            (_table(PageLink), self.links),
            (_table(PageContributor), self.contributors),
        ):
            if rows:
                connection.execute(table.insert(), rows)


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def _check_free(session: Session, slugs: Iterable[str]) -> None:
    taken = session.scalars(select(Page.slug).where(Page.slug.in_(slugs))).first()
    if taken is not None:
        raise ValidationError("Title in use.", {"title": f"A page at {taken!r} exists already."})
