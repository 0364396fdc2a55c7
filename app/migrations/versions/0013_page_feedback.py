"""page_feedback: readers' "this worked" / "this didn't work" per published version

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "page_feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "page_id", sa.Integer(), sa.ForeignKey("pages.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "revision_id",
            sa.Integer(),
            sa.ForeignKey("revisions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("worked", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("revision_id", "user_id", name="uq_page_feedback_revision_user"),
    )
    op.create_index("ix_page_feedback_page_updated", "page_feedback", ["page_id", "updated_at"])
    op.create_index("ix_page_feedback_user_id", "page_feedback", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_page_feedback_user_id", "page_feedback")
    op.drop_index("ix_page_feedback_page_updated", "page_feedback")
    op.drop_table("page_feedback")
