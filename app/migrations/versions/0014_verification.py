"""page owners, verification schedules and verifications

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 21:00:00.000000

Every existing page gets its creator as its first owner, and every published page a schedule
due 180 days (the default interval) after its publication.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_DEFAULT_INTERVAL = timedelta(days=180)


def upgrade() -> None:
    owners = op.create_table(
        "page_owners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("space_id", sa.Integer(), nullable=True),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["page_id"], ["pages.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["added_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("page_id", "user_id", name="uq_page_owners_user"),
        sa.UniqueConstraint("page_id", "space_id", name="uq_page_owners_space"),
    )
    op.create_index("ix_page_owners_page_id", "page_owners", ["page_id"])
    op.create_index("ix_page_owners_user_id", "page_owners", ["user_id"])
    op.create_index("ix_page_owners_space_id", "page_owners", ["space_id"])
    schedules = op.create_table(
        "page_schedules",
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("require_owner_approval", sa.Boolean(), nullable=False),
        sa.Column("review_interval_days", sa.Integer(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_by_id", sa.Integer(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["page_id"], ["pages.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["verified_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("page_id"),
    )
    op.create_index("ix_page_schedules_due_at", "page_schedules", ["due_at"])
    op.create_table(
        "verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("space_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by_id", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("rubric", sa.JSON(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["page_id"], ["pages.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["revision_id"], ["revisions.id"]),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["completed_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposals.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_verifications_page_id", "verifications", ["page_id"])
    op.create_index("ix_verifications_assignee_id", "verifications", ["assignee_id"])
    op.create_index("ix_verifications_space_id", "verifications", ["space_id"])
    op.create_index("ix_verifications_state", "verifications", ["state"])
    op.create_index(
        "uq_verifications_open_page", "verifications", ["page_id"], unique=True,
        sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"),
    )  # fmt: skip
    _backfill(owners, schedules)


def _backfill(owners: sa.Table, schedules: sa.Table) -> None:
    """Creators own their pages; published pages fall due an interval after publication."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT pages.id, pages.created_by_id, pages.created_at, revisions.published_at "
            "FROM pages LEFT JOIN revisions ON revisions.id = pages.published_revision_id"
        )
    ).all()
    if not rows:
        return
    op.bulk_insert(
        owners,
        [
            {"page_id": page_id, "user_id": creator, "created_at": _aware(created)}
            for page_id, creator, created, _ in rows
        ],
    )
    op.bulk_insert(
        schedules,
        [
            {
                "page_id": page_id,
                "require_owner_approval": False,
                "due_at": _aware(published) + _DEFAULT_INTERVAL if published else None,
            }
            for page_id, _, _, published in rows
        ],
    )


def _aware(moment: datetime | str) -> datetime:
    if isinstance(moment, str):  # SQLite hands back text from a raw query
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def downgrade() -> None:
    op.drop_table("verifications")
    op.drop_table("page_schedules")
    op.drop_table("page_owners")
