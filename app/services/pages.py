"""Pages and their revisions: create, edit, rename, archive, browse, compare."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy import bindparam, delete, func, select, union, update
from sqlalchemy.orm import Session, joinedload, selectinload

from app import db, render
from app.diffing import Diff, diff_texts
from app.exceptions import Conflict, NotFound, ValidationError
from app.models import (
    ContentGeneration,
    Department,
    Page,
    PageAlias,
    PageContributor,
    PageLink,
    PageOwner,
    Proposal,
    Revision,
    Space,
    Tag,
    User,
    page_tags,
    utcnow,
)
from app.pagination import Paginated, paginate
from app.review import policy
from app.review.workflow import Action, State, advance
from app.services import attachment_links, audit, help, indexing, spaces, users
from app.slugs import slugify

#: Largest page body accepted, in characters (about 100 printed pages).
MAX_BODY_CHARS = 200_000
MAX_TITLE_CHARS = 200
MAX_SUMMARY_CHARS = 300
MAX_TAGS = 12
MAX_TAG_CHARS = 40


def lookup(session: Session, slug: str, *, reader: policy.Reader) -> Page:
    """Return the page at ``slug`` or at a slug it used to have, if ``reader`` may see it;
    raise NotFound otherwise (the same answer whether it does not exist or is hidden).

    The caller compares ``page.slug`` with ``slug`` to redirect old URLs.
    """
    page = session.scalar(select(Page).where(Page.slug == slug))
    if page is None:
        page = session.scalar(
            select(Page).join(PageAlias, PageAlias.page_id == Page.id).where(PageAlias.slug == slug)
        )
    if page is None or not policy.can_view(reader, page):
        raise NotFound(f"There is no page at {slug!r}.")
    return page


def archive(session: Session, *, actor: User, slug: str) -> Page:
    """Archive a page: it leaves listings and links to it show as missing; history stays."""
    page = lookup(session, slug, reader=actor)
    policy.require_archive(actor, page)
    if page.is_archived:
        raise Conflict("This page is archived already.")
    page.archived_at = utcnow()
    page.archived_by_id = actor.id
    # The pages under it stay in the tree: they move up to its parent.
    spaces.lift_children(session, page)
    _reindex_page_and_proposals(session, page)
    content_changed(session)
    audit.record(session, "page.archive", actor=actor, target=f"page:{page.slug}")
    session.commit()
    return page


def restore(session: Session, *, actor: User, slug: str) -> Page:
    """Bring an archived page back."""
    page = lookup(session, slug, reader=actor)
    policy.require_archive(actor, page)
    if not page.is_archived:
        raise Conflict("This page is not archived.")
    if session.scalar(select(Page.id).where(Page.slug == page.slug, Page.id != page.id)):
        raise Conflict("Another page uses this page's address now; rename one of them first.")
    page.archived_at = None
    page.archived_by_id = None
    _reindex_page_and_proposals(session, page)
    content_changed(session)
    audit.record(session, "page.restore", actor=actor, target=f"page:{page.slug}")
    session.commit()
    return page


def _reindex_page_and_proposals(session: Session, page: Page) -> None:
    indexing.enqueue_page(session, page.id)
    for proposal_id in session.scalars(select(Proposal.id).where(Proposal.page_id == page.id)):
        indexing.enqueue_proposal(session, proposal_id)


def list_pages(
    session: Session,
    *,
    tag: str | None = None,
    department: str | None = None,
    page: int = 1,
    per_page: int = 20,
    space: str | None = None,
    owner: str | None = None,
    sort: str = "updated",
) -> Paginated[Page]:
    """Return live pages, optionally filtered (by tag, department, space slug, an owner's
    username), most recently updated first or by title (``sort="title"``)."""
    query = select(Page).where(Page.archived_at.is_(None), Page.published_revision_id.is_not(None))
    if space:
        query = query.join(Space, Page.space_id == Space.id).where(Space.slug == space.strip())
    if owner:
        owned = (
            select(PageOwner.page_id)
            .join(User, User.id == PageOwner.user_id)
            .where(func.lower(User.username) == owner.strip().lower())
        )
        query = query.where(Page.id.in_(owned))
    if tag:
        query = query.where(Page.tags.any(Tag.name == slugify(tag)))
    if department:
        query = query.join(Department, Page.department_id == Department.id).where(
            func.lower(Department.name) == department.strip().lower()
        )
    # Listings show each page's tags and author: load them with the page, not one query each.
    query = query.options(selectinload(Page.tags), joinedload(Page.created_by))
    if sort == "title":
        query = query.order_by(func.lower(Page.title), Page.id)
    else:
        query = query.order_by(Page.updated_at.desc(), Page.id.desc())
    return paginate(session, query, page=page, per_page=per_page)


def tag_counts(session: Session, *, limit: int = 40) -> list[tuple[str, int]]:
    """Return the most used tags of live pages with their page counts."""
    query = (
        select(Tag.name, func.count(page_tags.c.page_id))
        .join(page_tags, page_tags.c.tag_id == Tag.id)
        .join(Page, Page.id == page_tags.c.page_id)
        .where(Page.archived_at.is_(None))
        .group_by(Tag.name)
        .order_by(func.count(page_tags.c.page_id).desc(), Tag.name)
        .limit(limit)
    )
    return [(name, count) for name, count in session.execute(query)]


def department_counts(session: Session) -> list[tuple[Department, int]]:
    """Return every department with its number of live pages."""
    count = func.count(Page.id)
    query = (
        select(Department, count)
        .outerjoin(Page, (Page.department_id == Department.id) & Page.archived_at.is_(None))
        .group_by(Department.id)
        .order_by(Department.name)
    )
    return [(dept, n) for dept, n in session.execute(query)]


def history(session: Session, page: Page, *, reader: policy.Reader) -> list[Revision]:
    """Return the revisions of ``page`` that ``reader`` may see, newest first."""
    revisions = session.scalars(
        select(Revision)
        .where(Revision.page_id == page.id)
        .options(policy.VISIBILITY_OF_REVISION)
        .order_by(Revision.number.desc())
    )
    return [revision for revision in revisions if policy.can_view(reader, revision)]


def get_revision(
    session: Session, revision_id: int, *, reader: policy.Reader, page: Page | None = None
) -> Revision:
    """Return a revision by id (of ``page`` when given) if ``reader`` may see it; raise NotFound
    otherwise."""
    revision = session.get(Revision, revision_id)
    if (
        revision is None
        or (page is not None and revision.page_id != page.id)
        or not policy.can_view(reader, revision)
    ):
        raise NotFound(
            f"There is no revision {revision_id}" + (f" of {page.slug!r}." if page else ".")
        )
    return revision


def compare(
    session: Session, page: Page, from_id: int | None, to_id: int | None, *, reader: policy.Reader
) -> tuple[Revision | None, Revision, Diff]:
    """Diff two revisions of ``page``; by default ``to`` is the latest that ``reader`` may see
    and ``from`` its parent (when visible)."""
    if to_id:
        to_rev = get_revision(session, to_id, reader=reader, page=page)
    else:
        latest = next(iter(history(session, page, reader=reader)), None)
        if latest is None:
            raise NotFound(f"There is no page at {page.slug!r}.")
        to_rev = latest
    if from_id:
        from_rev: Revision | None = get_revision(session, from_id, reader=reader, page=page)
    else:
        parent = to_rev.parent
        from_rev = parent if parent is not None and policy.can_view(reader, parent) else None
    return from_rev, to_rev, diff_texts(from_rev.body if from_rev else "", to_rev.body)


def contributors(session: Session, page: Page) -> list[User]:
    """Return the people who wrote published versions of ``page``, most recent first."""
    return list(
        session.scalars(
            select(User)
            .join(PageContributor, PageContributor.user_id == User.id)
            .where(PageContributor.page_id == page.id)
            .order_by(PageContributor.latest_number.desc())
        )
    )


def backlinks(session: Session, page: Page) -> list[Page]:
    """Return live pages whose published text links to ``page`` (by its slug or an old one)."""
    old_slugs = select(PageAlias.slug).where(PageAlias.page_id == page.id)
    return list(
        session.scalars(
            select(Page)
            .where(
                Page.id.in_(
                    select(PageLink.source_page_id).where(
                        (PageLink.target_slug == page.slug) | PageLink.target_slug.in_(old_slugs)
                    )
                ),
                Page.archived_at.is_(None),
                Page.id != page.id,
            )
            .order_by(Page.title)
        )
    )


@dataclass(frozen=True)
class PublishedVersion:
    """What a view of a live page's published revision depends on, besides the code."""

    page_id: int
    revision_id: int
    generation: int
    #: When the generation last moved on: no view of any page changed since then.
    changed_at: datetime


_PAGES = Page.__table__.c
_GENERATION = ContentGeneration.__table__
#: Built once: a page view's one query when the page is cached (compiled once, bound per call).
_PUBLISHED_VERSION = (
    select(_PAGES.id, _PAGES.published_revision_id, _GENERATION.c.value, _GENERATION.c.changed_at)
    .join_from(Page.__table__, _GENERATION, _GENERATION.c.id == 1)
    .where(
        _PAGES.slug == bindparam("slug"),
        _PAGES.archived_at.is_(None),
        _PAGES.published_revision_id.is_not(None),
    )
)


def published_version(session: Session, slug: str) -> PublishedVersion | None:
    """Return what the view of the live, published page at ``slug`` (its current slug, not an
    old one) depends on, in one query; None for anything else (every reader may see the page
    then, so this tells no secret)."""
    row = session.connection().execute(_PUBLISHED_VERSION, {"slug": slug}).first()
    if row is None:
        return None
    return PublishedVersion(
        page_id=row[0], revision_id=row[1], generation=row[2], changed_at=row[3]
    )


def content_changed(session: Session) -> None:
    """Record, in the caller's transaction, that what readers see on other pages may differ:
    cached page views keyed on the old generation are not used again once this commits."""
    session.execute(
        update(ContentGeneration)
        .where(ContentGeneration.id == 1)
        .values(value=ContentGeneration.value + 1, changed_at=utcnow())
    )


def display_html(session: Session, html: str, *, image_origins: Collection[str]) -> Markup:
    """Return stored revision HTML as readers see it now: links to missing or archived pages
    marked as such, images only from the wiki and ``image_origins`` (others become links), and
    tables and task lists ready for a keyboard and a screen reader."""
    html = render.for_assistive_tech(render.allow_images_from(html, image_origins))
    targets = render.wikilink_targets(html)
    if not targets:
        return Markup(html)
    live = session.scalars(
        union(
            select(Page.slug).where(Page.slug.in_(targets), Page.archived_at.is_(None)),
            select(PageAlias.slug)
            .join(Page, Page.id == PageAlias.page_id)
            .where(PageAlias.slug.in_(targets), Page.archived_at.is_(None)),
        )
    ).all()
    return render.mark_missing_links(html, set(live))


def preview(session: Session, markdown: str, *, image_origins: Collection[str]) -> Markup:
    """Render ``markdown`` exactly as a saved page would show it."""
    if len(markdown) > MAX_BODY_CHARS:
        raise ValidationError("Too long to preview.", {"markdown": _too_long(len(markdown))})
    html = rendered(markdown, field="markdown").html
    return display_html(session, html, image_origins=image_origins)


def rendered(markdown: str, *, field: str = "body") -> render.Rendered:
    """Render page Markdown; text too complex to render quickly is a ValidationError of
    ``field`` that names the limit."""
    try:
        return render.render_markdown(markdown)
    except render.TooComplex as exc:
        raise ValidationError("The page is too complex to show.", {field: str(exc)}) from None


def validate_fields(
    session: Session, *, title: str, body: str, tags: Iterable[str], summary: str
) -> dict[str, Any]:
    """Check and normalise the fields of a revision; raise ValidationError listing every problem."""
    errors: dict[str, str] = {}
    title = " ".join(title.split())
    if not title:
        errors["title"] = "Give the page a title."
    elif len(title) > MAX_TITLE_CHARS:
        errors["title"] = f"Keep the title under {MAX_TITLE_CHARS} characters."
    elif not slugify(title):
        errors["title"] = "The title needs at least one letter or digit."
    body = body.replace("\r\n", "\n")
    if not body.strip():
        errors["body"] = "The page is empty. Write something first."
    elif len(body) > MAX_BODY_CHARS:
        errors["body"] = _too_long(len(body))
    summary = " ".join(summary.split())
    if len(summary) > MAX_SUMMARY_CHARS:
        errors["summary"] = f"Keep the edit summary under {MAX_SUMMARY_CHARS} characters."
    tag_names = normalise_tags(tags)
    if len(tag_names) > MAX_TAGS:
        errors["tags"] = f"Use at most {MAX_TAGS} tags."
    elif any(len(tag) > MAX_TAG_CHARS for tag in tag_names):
        errors["tags"] = f"Keep each tag under {MAX_TAG_CHARS} characters."
    if errors:
        raise ValidationError("Please correct the highlighted fields.", errors)
    return {"title": title, "body": body, "tags": tag_names, "summary": summary}


def normalise_tags(tags: Iterable[str] | str) -> list[str]:
    """Turn tags (a list, or a comma-separated string) into unique lowercase slugs."""
    if isinstance(tags, str):
        tags = tags.split(",")
    return list(dict.fromkeys(slug for slug in (slugify(tag) for tag in tags) if slug))


def _too_long(length: int) -> str:
    return f"The page is {length:,} characters long; the limit is {MAX_BODY_CHARS:,}."


def resolve_department(
    session: Session, name: str | None, *, default: Department | None
) -> Department | None:
    if not name:
        return default
    department = users.find_department(session, name)
    if department is None:
        raise ValidationError(
            "Unknown department.", {"department": f"There is no department {name!r}."}
        )
    return department


def claim_slug(session: Session, slug: str, *, page: Page | None) -> None:
    """Make ``slug`` free for ``page`` (None: a new page), or raise ValidationError."""
    owner = session.scalar(select(Page).where(Page.slug == slug))
    if owner is not None and owner is not page:
        hint = " It is archived; restore it instead." if owner.is_archived else ""
        raise ValidationError(
            "Title in use.", {"title": f"A page called {owner.title!r} exists already.{hint}"}
        )
    # An old address of another page (or of this one) passes to the page that now has the title.
    session.execute(delete(PageAlias).where(PageAlias.slug == slug))


def append_revision(
    session: Session,
    page: Page,
    *,
    author: User,
    base: Revision | None,
    department: Department | None,
    title: str,
    body: str,
    tags: list[str],
    summary: str,
    proposal: Proposal | None = None,
    place: spaces.Place | None = None,
) -> Revision:
    """Add the next numbered revision of ``page``; the only place revision numbers are chosen.

    ``place`` is where the revision puts the page; None: where ``base`` put it (or where the
    page is, without a base)."""
    output = rendered(body)
    if place is None:
        place = spaces.place_of_revision(base) if base is not None else None
        place = place or spaces.place_of(page)
    number = (
        session.scalar(select(func.max(Revision.number)).where(Revision.page_id == page.id)) or 0
    ) + 1
    revision = Revision(
        page=page,
        number=number,
        parent=base,
        author=author,
        title=title,
        body=body,
        html=str(output.html),
        toc=[asdict(entry) for entry in output.toc],
        tags=tags,
        department=department,
        summary=summary,
        status=State(proposal.state).value if proposal else State.DRAFT.value,
        proposal=proposal,
        space=place.space,
        parent_page=place.parent,
    )
    session.add(revision)
    session.flush()
    attachment_links.link(session, revision)
    return revision


def publish_revision(session: Session, page: Page, revision: Revision) -> None:
    """Make ``revision`` what readers see: the only place the published pointer moves.

    The compare-and-set UPDATE makes two simultaneous publications of one page fail loudly
    instead of one silently replacing the other.
    """
    previous = page.published_revision
    if not db.compare_and_set(
        session, Page.published_revision_id, page.id,
        expected=previous.id if previous is not None else None, new=revision.id,
    ):  # fmt: skip
        raise Conflict("Another version of this page was published at the same moment. Try again.")
    if previous is not None:
        previous.status = advance(previous.status, Action.SUPERSEDE).value
    now = utcnow()
    revision.status = State.PUBLISHED.value
    revision.published_at = now
    new_slug = slugify(revision.title)
    if new_slug != page.slug:
        claim_slug(session, new_slug, page=page)
        session.add(PageAlias(slug=page.slug, page_id=page.id))
        page.slug = new_slug
    page.title = revision.title
    page.department = revision.department
    page.tags = _tags(session, revision.tags)
    page.published_revision = revision
    page.updated_at = now
    spaces.apply_proposed_place(session, page, revision)
    indexing.enqueue_page(session, page.id)
    session.execute(delete(PageLink).where(PageLink.source_page_id == page.id))
    session.add_all(
        PageLink(source_page_id=page.id, target_slug=slug)
        for slug in render.wikilink_targets(revision.html)
    )
    contributor = session.get(PageContributor, (page.id, revision.author_id))
    if contributor is None:
        session.add(
            PageContributor(
                page_id=page.id, user_id=revision.author_id, latest_number=revision.number
            )
        )
    else:
        contributor.latest_number = max(contributor.latest_number, revision.number)
    help.published(session, page, revision)  # the questions it was written to answer
    content_changed(session)


def _tags(session: Session, names: Sequence[str]) -> list[Tag]:
    existing = {tag.name: tag for tag in session.scalars(select(Tag).where(Tag.name.in_(names)))}
    for name in names:
        if name not in existing:
            existing[name] = Tag(name=name)
            session.add(existing[name])
    return [existing[name] for name in names]
