"""page view state: each page's contributors, and the generation cached page views are keyed on

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 18:30:00.000000

``page_contributors`` is filled from the published history already there, so a page view reads
its few writers instead of one row per revision. ``content_generation`` gets its one row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "page_contributors",
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("latest_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["page_id"], ["pages.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("page_id", "user_id"),
    )
    op.execute(
        "INSERT INTO page_contributors (page_id, user_id, latest_number) "
        "SELECT page_id, author_id, MAX(number) FROM revisions "
        "WHERE status IN ('published', 'superseded') GROUP BY page_id, author_id"
    )
    generation = op.create_table(
        "content_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(generation, [{"id": 1, "value": 0}])


def downgrade() -> None:
    op.drop_table("content_generation")
    op.drop_table("page_contributors")
