"""Import and export pages as Markdown files with a front-matter block."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

import frontmatter
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.exceptions import NotFound, ValidationError, WikiError
from app.models import Page, ProposalEvent, Revision, User
from app.review import policy
from app.review.workflow import Action
from app.services import pages, proposals, users
from app.slugs import slugify

#: Account that owns imported pages when no author is named.
SYSTEM_USERNAME = "peerwiki"
DEFAULT_DEPARTMENT = "General"


@dataclass
class ImportReport:
    """What an import did, file by file."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def import_directory(
    session: Session, directory: Path, *, author: User | None = None
) -> ImportReport:
    """Create or update one page per ``*.md`` file, one transaction each; files already
    imported change nothing, and a file that fails leaves nothing behind."""
    if not directory.is_dir():
        raise NotFound(f"{directory} is not a directory.")
    report = ImportReport()
    for path in sorted(directory.glob("*.md")):
        try:
            outcome = _import_file(session, path, author)
        except (WikiError, yaml.YAMLError, UnicodeDecodeError) as exc:
            session.rollback()
            report.failed.append((path.name, _describe(exc)))
            continue
        getattr(report, outcome).append(path.name)
    return report


def export_directory(session: Session, directory: Path) -> list[Path]:
    """Write every live page's published version to ``directory`` as ``<slug>.md``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    query = select(Page).where(Page.archived_at.is_(None), Page.published_revision_id.is_not(None))
    for page in session.scalars(query.order_by(Page.slug)):
        revision = page.published_revision
        assert revision is not None
        post = frontmatter.Post(
            revision.body,
            title=revision.title,
            slug=page.slug,
            tags=list(revision.tags),
            department=revision.department.name if revision.department else None,
        )
        path = directory / f"{page.slug}.md"
        path.write_text(frontmatter.dumps(post, sort_keys=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


def _import_file(session: Session, path: Path, author: User | None) -> str:
    """Import one file in one transaction; an unchanged file writes nothing."""
    post = frontmatter.loads(path.read_text(encoding="utf-8"))
    title = str(post.get("title") or path.stem.replace("-", " ").capitalize())
    tags = post.get("tags") or []
    tag_list = pages.normalise_tags(tags if isinstance(tags, (list, str)) else [str(tags)])
    department = str(post.get("department") or "").strip() or None
    slug = str(post.get("slug") or slugify(title))
    try:
        page: Page | None = pages.lookup(session, slug, reader=policy.SYSTEM)
    except NotFound:
        page = None
    if page is not None and _as_last_imported(
        session, page, title, post.content, tag_list, department
    ):
        return "unchanged"
    owner = author or _system_user(session)
    if department:  # committed with the page: a file that fails leaves no department behind
        users.ensure_department(session, department)
    summary = f"Imported from {path.name}"
    if page is None:
        proposals.create_page(
            session, author=owner, title=title, body=post.content, tags=tag_list,
            department=department, summary=summary, publish=True,
        )  # fmt: skip
        return "created"
    current = page.published_revision or page.latest_revision
    assert current is not None
    proposals.save_revision(
        session, author=owner, slug=page.slug, body=post.content, base_revision_id=current.id,
        title=title, tags=tag_list, department=department, summary=summary, publish=True,
    )  # fmt: skip
    return "updated"


def _as_last_imported(
    session: Session, page: Page, title: str, body: str, tags: list[str], department: str | None
) -> bool:
    """Whether a file says what this page had when it was last imported (edits made in the wiki
    since are not undone by importing the same file again)."""
    known = _last_imported(session, page) or page.published_revision or page.latest_revision
    assert known is not None
    known_department = known.department.name if known.department else None
    wanted = (title, body.strip(), tags, department or known_department)
    return (known.title, known.body.strip(), known.tags, known_department) == wanted


def _last_imported(session: Session, page: Page) -> Revision | None:
    """Return the newest revision of ``page`` that an import published."""
    return session.scalar(
        select(Revision)
        .join(ProposalEvent, ProposalEvent.proposal_id == Revision.proposal_id)
        .where(Revision.page_id == page.id, ProposalEvent.kind == Action.IMPORT.value)
        .order_by(Revision.number.desc())
        .limit(1)
    )


def _system_user(session: Session) -> User:
    """Return the account that owns imported pages, adding it with the first file's page (a
    file that fails takes the account and its department with it)."""
    user = users.find_user(session, SYSTEM_USERNAME)
    if user is not None:
        return user
    user = users.add_user(
        session,
        username=SYSTEM_USERNAME,
        name="Peerwiki starter content",
        password=secrets.token_urlsafe(24),
        department=DEFAULT_DEPARTMENT,
        create_department=True,
    )
    user.is_active = False  # owns imported pages; nobody signs in as it
    return user


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and exc.fields:
        return "; ".join(f"{name}: {message}" for name, message in exc.fields.items())
    return getattr(exc, "message", None) or str(exc)
