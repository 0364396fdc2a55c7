"""Command-line interface: ``flask --app app <group> <command>``."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo, with_appcontext
from sqlalchemy.orm import Session
from werkzeug.serving import run_simple

from app import deps
from app.exceptions import ValidationError, WikiError
from app.jobs import Job
from app.models import utcnow
from app.review.policy import SYSTEM
from app.search import SearchUnavailable
from app.services import (
    accounts,
    background,
    backup,
    content,
    demo,
    indexing,
    notifications,
    queue,
    tokens,
    users,
    verification,
)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

#: Demo accounts created by ``flask demo`` (username, full name, department, admin).
DEMO_ACCOUNTS = [
    ("alex", "Alex Rivera", "Engineering", False),
    ("fatima", "Fatima Khan", "Finance", False),
    ("hana", "Hana Sato", "People", False),
    ("admin", "Ada Admin", "Operations", True),
]
DEMO_PASSWORD = "peerwiki-demo"
#: Seconds without jobs after which the worker merges what index commits left unmerged.
WORKER_IDLE_AFTER = 2.0
#: Seconds between the worker's passes over the verification schedule (open due, remind).
VERIFY_EVERY = 3600.0
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def init_app(app: Flask) -> None:
    """Register every command group on ``app``."""
    for group in (
        db_group,
        users_group,
        tokens_group,
        content_group,
        notifications_group,
        search_group,
        verifications_group,
    ):
        app.cli.add_command(group)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(quickstart_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(jobs_group)


@contextmanager
def _session() -> Iterator[Session]:
    session = current_app.extensions["wiki.sessionmaker"]()
    try:
        yield session
    finally:
        session.close()


def _fail(exc: WikiError) -> None:
    details = ""
    if isinstance(exc, ValidationError) and exc.fields:
        details = "".join(f"\n  {name}: {message}" for name, message in exc.fields.items())
    raise click.ClickException(exc.message + details)


# -- db ---------------------------------------------------------------------------------------


def _alembic() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["database_url"] = current_app.config["DATABASE_URL"]
    return cfg


@click.group("db", cls=AppGroup)
def db_group() -> None:
    """Create and migrate the database schema (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the schema to REVISION (default: the newest)."""
    alembic_command.upgrade(_alembic(), revision)
    click.echo(f"Database is at {revision}.")


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION (for example -1 or base)."""
    alembic_command.downgrade(_alembic(), revision)


@db_group.command("current")
def db_current() -> None:
    """Show the schema revision the database is at."""
    alembic_command.current(_alembic(), verbose=False)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate/--empty", default=True)
def db_revision(message: str, autogenerate: bool) -> None:
    """Write a new migration (for developers)."""
    alembic_command.revision(_alembic(), message=message, autogenerate=autogenerate)


# -- users and tokens -------------------------------------------------------------------------


@click.group("users", cls=AppGroup)
def users_group() -> None:
    """Manage accounts."""


@users_group.command("create")
@click.argument("username")
@click.option("--department", required=True, help="Created when it does not exist yet.")
@click.option("--password", required=True)
@click.option("--admin", is_flag=True, help="Make the user an administrator.")
@click.option("--email", default=None)
@click.option("--name", default=None, help="Full name.")
def users_create(
    username: str, department: str, password: str, admin: bool, email: str | None, name: str | None
) -> None:
    """Create the account USERNAME."""
    with _session() as session:
        try:
            user = users.create_user(
                session, username=username, password=password, department=department,
                email=email, name=name, is_admin=admin, create_department=True,
                enforce_password_policy=False,
                password_method=deps.password_method(),
            )  # fmt: skip
        except WikiError as exc:
            _fail(exc)
        problem = users.password_problem(password)
        if problem:
            click.echo(f"Warning: a weak password. {problem}", err=True)
        click.echo(
            f"Created {'administrator' if admin else 'user'} {user.username} ({department})."
        )


@users_group.command("deactivate")
@click.argument("username")
def users_deactivate(username: str) -> None:
    """Deactivate USERNAME: signed out everywhere at once, API tokens revoked, no sign-in."""
    _set_active(username, active=False)
    click.echo(f"Deactivated {username}: their sessions ended and their API tokens are revoked.")


@users_group.command("activate")
@click.argument("username")
def users_activate(username: str) -> None:
    """Let a deactivated USERNAME sign in again (revoked tokens stay revoked)."""
    _set_active(username, active=True)
    click.echo(f"Activated {username}.")


def _set_active(username: str, *, active: bool) -> None:
    with _session() as session:
        try:
            accounts.set_active(session, actor=SYSTEM, username=username, active=active)
        except WikiError as exc:
            _fail(exc)


@click.group("tokens", cls=AppGroup)
def tokens_group() -> None:
    """Manage API tokens."""


@tokens_group.command("create")
@click.argument("username")
@click.option("--name", default="command line", show_default=True, help="What the token is for.")
@click.option("--read-only", is_flag=True, help="GET requests only (writes answer 403).")
@click.option("--expires-in", type=click.IntRange(1, 1096), default=None, help="Days it works.")
def tokens_create(username: str, name: str, read_only: bool, expires_in: int | None) -> None:
    """Print a new API token for USERNAME (only its hash is stored)."""
    with _session() as session:
        try:
            user = users.get_user(session, username)
            created = tokens.create(
                session, owner=user, name=name,
                scope=tokens.Scope.READ if read_only else tokens.Scope.WRITE,
                expires_at=utcnow() + timedelta(days=expires_in) if expires_in else None,
            )  # fmt: skip
        except WikiError as exc:
            _fail(exc)
    click.echo(
        f"New API token {created.token.id} for {username}; it is shown once, keep it safe:",
        err=True,
    )
    click.echo(created.secret)


@tokens_group.command("list")
@click.argument("username")
def tokens_list(username: str) -> None:
    """List USERNAME's tokens: id, name, scope, state, created, last used, expiry."""
    with _session() as session:
        try:
            user = users.get_user(session, username)
        except WikiError as exc:
            _fail(exc)
        owned = tokens.owned_by(session, user)
    if not owned:
        click.echo(f"{username} has no API tokens.")
    now = utcnow()
    for token in owned:
        state = (
            "revoked" if token.revoked_at else "live" if tokens.is_live(token, now) else "expired"
        )
        click.echo(
            f"{token.id}\t{token.name or '-'}\t{token.scope}\t{state}\t{token.prefix}…"
            f"\tcreated {token.created_at:%Y-%m-%d}"
            f"\tlast used {_day(token.last_used_at)}\texpires {_day(token.expires_at)}"
        )


@tokens_group.command("revoke")
@click.argument("token_id", type=click.IntRange(1, 2**31 - 1))
def tokens_revoke(token_id: int) -> None:
    """Revoke the token TOKEN_ID (see `tokens list`): it answers 401 from now on."""
    with _session() as session:
        try:
            token = tokens.revoke(session, actor=SYSTEM, token_id=token_id)
        except WikiError as exc:
            _fail(exc)
        click.echo(
            f"Revoked token {token.id} ({token.name or 'unnamed'}) of {token.user.username}."
        )


def _day(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d}" if value else "never"


# -- content ----------------------------------------------------------------------------------


@click.group("content", cls=AppGroup)
def content_group() -> None:
    """Import and export pages as Markdown files."""


@content_group.command("import")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--author", default=None, help="Username that owns new revisions.")
def content_import(directory: Path, author: str | None) -> None:
    """Import every DIRECTORY/*.md page; unchanged files create nothing."""
    with _session() as session:
        try:
            owner = users.get_user(session, author) if author else None
            report = content.import_directory(session, directory, author=owner)
        except WikiError as exc:
            _fail(exc)
    _echo_report(directory, report)
    if report.failed:
        raise SystemExit(1)


def _echo_report(directory: Path, report: content.ImportReport) -> None:
    click.echo(
        f"Imported {directory}: {len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.failed)} failed."
    )
    for name, reason in report.failed:
        click.echo(f"  {name}: {reason}", err=True)


@content_group.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def content_export(directory: Path) -> None:
    """Write every live page to DIRECTORY/<slug>.md."""
    with _session() as session:
        written = content.export_directory(session, directory)
    click.echo(f"Exported {len(written)} pages to {directory}.")


# -- search -------------------------------------------------------------------------------------


@click.group("search", cls=AppGroup)
def search_group() -> None:
    """Maintain the full-text search index."""


@search_group.command("rebuild")
def search_rebuild() -> None:
    """Rebuild the index from the database (PEERWIKI_SEARCH_INDEX)."""
    backend = deps.search_backend()
    with _session() as session:
        total = indexing.count_documents(session)
        with click.progressbar(length=total, label="Indexing", show_pos=True) as bar:
            count = indexing.rebuild(session, backend, progress=bar.update)
    click.echo(f"Indexed {count} documents into {current_app.config['SEARCH_INDEX']}.")


@search_group.command("check")
def search_check() -> None:
    """Report pages missing from, stale in, or extra in the index; exit 1 if there are any."""
    with _session() as session:
        try:
            report = indexing.check(session, deps.search_backend())
        except SearchUnavailable as exc:
            raise click.ClickException(str(exc)) from exc
    for label, keys in (
        ("missing", report.missing),
        ("stale", report.stale),
        ("extra", report.extra),
    ):
        click.echo(
            f"{label}: {len(keys)}"
            + (f" ({', '.join(keys[:20])}{' …' if len(keys) > 20 else ''})" if keys else "")
        )
    if not report.ok:
        click.echo(
            "The index is out of step; run `flask --app app search sync` or `search rebuild`.",
            err=True,
        )
        raise SystemExit(1)
    click.echo("The index matches the database.")


@search_group.command("sync")
def search_sync() -> None:
    """Apply queued index work now (normally done after each change)."""
    with _session() as session:
        try:
            applied = indexing.process_outbox(session, deps.search_backend())
        except SearchUnavailable as exc:
            raise click.ClickException(f"Index updates are still queued: {exc}") from exc
        waiting, error = indexing.queued(session, deps.search_backend())
    click.echo(f"Applied {applied.rows} queued index updates.")
    if waiting:
        raise click.ClickException(f"{waiting} index updates are still queued: {error}")


# -- backup and restore -----------------------------------------------------------------------


@click.command("backup")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def backup_command(file: Path) -> None:
    """Write every row of the database to FILE (JSON Lines, gzipped when FILE ends in .gz)."""
    with _session() as session:
        try:
            counts = backup.write_file(session, file, files=deps.blob_store())
        except OSError as exc:  # a missing directory, no permission, a full disk
            raise click.ClickException(f"Cannot write {file}: {exc.strerror or exc}.") from exc
    click.echo(f"Backed up {sum(counts.values())} rows of {len(counts)} tables to {file}.")


@click.command("restore")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_command(file: Path) -> None:
    """Load a backup FILE into an empty, migrated database and rebuild the search index."""
    with _session() as session:
        try:
            counts = backup.restore_file(
                session, deps.search_backend(), file, files=deps.blob_store()
            )
        except WikiError as exc:
            _fail(exc)
    click.echo(
        f"Restored {sum(counts.values())} rows of {len(counts)} tables from {file}; "
        "the search index was rebuilt."
    )


# -- notifications ----------------------------------------------------------------------------


@click.group("notifications", cls=AppGroup)
def notifications_group() -> None:
    """Notification emails."""


@notifications_group.command("deliver")
@click.option(
    "--base-url", default=None, help="Site address used in links (default: PEERWIKI_BASE_URL)."
)
def notifications_deliver(base_url: str | None) -> None:
    """Email pending notifications now (the worker, or the app after a change, also does)."""
    mailer = current_app.extensions.get("wiki.mailer")
    if mailer is None:
        raise click.ClickException("Email is off: set PEERWIKI_SMTP_HOST to turn it on.")
    work: background.Work = current_app.extensions["wiki.work"]
    with _session() as session:
        sent = notifications.deliver_pending(
            session, mailer, base_url=(base_url or work.base_url).rstrip("/")
        )
    click.echo(f"Sent {sent} notification emails.")


# -- verifications ----------------------------------------------------------------------------


@click.group("verifications", cls=AppGroup)
def verifications_group() -> None:
    """Recurring verification of pages (the worker does this every hour by itself)."""


@verifications_group.command("open-due")
@click.option(
    "--now", "as_of", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
    default=None, help="Open what is due as of this time (ISO 8601, UTC unless it says); default now.",
)  # fmt: skip
def verifications_open_due(as_of: datetime | None) -> None:
    """Open a verification for every page that has fallen due (none twice), and send reminders."""
    now = utcnow() if as_of is None else _utc(as_of)
    with _session() as session:
        opened, reminded = verification.run_schedule(session, now=now)
    click.echo(f"Opened {opened} verifications; reminded {reminded} as of {now.isoformat()}.")


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# -- worker and job queue ---------------------------------------------------------------------


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="Run the work that is due, then exit (cron, tests).")
@click.option(
    "--poll", default=1.0, show_default=True, type=click.FloatRange(0.01),
    help="Seconds between looks at an empty queue.",
)  # fmt: skip
@click.option(
    "--every", default=60.0, show_default=True, type=click.FloatRange(1),
    help="Seconds between catch-up runs of the search outbox and pending emails.",
)  # fmt: skip
@click.option(
    "--gaps-every", default=900.0, show_default=True, type=click.FloatRange(1),
    help="Seconds between checks of knowledge gaps (also done after each index update).",
)  # fmt: skip
def worker_command(once: bool, poll: float, every: float, gaps_every: float) -> None:
    """Run queued work (index updates, emails, gap checks, rebuilds) until SIGTERM or Ctrl+C.

    Run one beside the app servers with PEERWIKI_BACKGROUND_RUNNER=queue. A stop signal lets
    the current job finish (a rebuild is given back, for the next start); a second one ends the
    worker at once.
    """
    stop = threading.Event()

    def stop_soon(signum: int, _frame: object) -> None:
        if stop.is_set():
            raise SystemExit(128 + signum)
        stop.set()

    previous = {signum: signal.signal(signum, stop_soon) for signum in _STOP_SIGNALS}
    try:
        _work_until(stop, once=once, poll=poll, every=every, gaps_every=gaps_every)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    click.echo("Worker stopped.")


def _work_until(
    stop: threading.Event, *, once: bool, poll: float, every: float, gaps_every: float
) -> None:
    """The worker's loop: queue periodic work when due, run due jobs, tidy up in pauses."""
    work: background.Work = current_app.extensions["wiki.work"]
    worker = background.Worker(
        work, name=f"{socket.gethostname()}:{os.getpid()}", stopping=stop.is_set
    )
    periodic = [Job.INDEX, Job.MAIL] if work.mailer is not None else [Job.INDEX]
    due = {"periodic": 0.0, "gaps": 0.0, "verify": 0.0}
    busy_until = 0.0  # housekeeping (merging index segments) waits for a pause in the work
    click.echo(f"Worker {worker.name} is running jobs (Ctrl+C stops it).")
    while not stop.is_set():
        now = time.monotonic()
        if now >= due["periodic"]:
            worker.schedule(periodic)
            due["periodic"] = now + every
        if now >= due["gaps"]:
            worker.schedule([Job.GAPS])
            due["gaps"] = now + gaps_every
        if now >= due["verify"]:
            worker.schedule([Job.VERIFY])
            due["verify"] = now + VERIFY_EVERY
        if worker.drain():
            busy_until = time.monotonic() + WORKER_IDLE_AFTER
        if stop.is_set():
            break
        if once or time.monotonic() >= busy_until:
            work.idle()
        if once:
            break
        stop.wait(poll)


@click.group("jobs", cls=AppGroup)
def jobs_group() -> None:
    """The queue of work for `flask --app app worker`."""


@jobs_group.command("status")
def jobs_status() -> None:
    """Show the queue: jobs waiting or running, the oldest wait, and failed jobs."""
    with _session() as session:
        found = queue.status(session)
        failed = queue.failed(session)
    click.echo(
        f"{found.depth} jobs queued or running; the oldest due job has waited "
        f"{found.oldest_age_seconds:.0f} s; {found.failed} failed."
    )
    for job in failed:
        click.echo(
            f"  failed: job {job.id} ({job.kind}) after {job.attempts} attempts "
            f"at {job.finished_at:%Y-%m-%d %H:%M}: {job.last_error}"
        )


@jobs_group.command("retry")
def jobs_retry() -> None:
    """Queue the failed jobs again with fresh attempts."""
    with _session() as session:
        count = queue.retry_failed(session)
    click.echo(f"Queued {count} failed jobs again.")


@jobs_group.command("rebuild")
def jobs_rebuild() -> None:
    """Queue a rebuild of the search index for the worker (`search rebuild` does it now)."""
    with _session() as session:
        queue.enqueue(session, Job.REBUILD)
        session.commit()
    click.echo("Queued a rebuild of the search index.")


# -- demo -------------------------------------------------------------------------------------


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create the schema, the demo accounts and the starter content (safe to repeat)."""
    alembic_command.upgrade(_alembic(), "head")
    with _session() as session:
        for username, name, department, admin in DEMO_ACCOUNTS:
            if users.find_user(session, username) is None:
                users.create_user(
                    session, username=username, name=name, password=DEMO_PASSWORD,
                    department=department, email=f"{username}@example.com", is_admin=admin,
                    create_department=True,
                    password_method=deps.password_method(),
                )  # fmt: skip
        directory = Path(current_app.config["CONTENT_DIR"])
        report = content.import_directory(session, directory)
        seeded = demo.seed_proposals(session, deps.approval_rules())
        indexing.process_outbox(session, deps.search_backend())
    _echo_report(directory, report)
    if seeded:
        click.echo(f"Created {seeded} example proposals in different review states.")
    names = ", ".join(username for username, *_ in DEMO_ACCOUNTS)
    click.echo(f"Demo accounts ({names}) use the password {DEMO_PASSWORD!r}.")


@click.command("quickstart")
@with_appcontext
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.pass_context
def quickstart_command(ctx: click.Context, host: str, port: int) -> None:
    """Set up the demo wiki and serve it at http://HOST:PORT."""
    ctx.invoke(demo_command)
    click.echo(f"Peerwiki is running at http://{host}:{port} (Ctrl+C stops it).")
    # The app itself, not the current_app proxy: the server's threads have no app context.
    run_simple(host, port, ctx.ensure_object(ScriptInfo).load_app(), threaded=True)
