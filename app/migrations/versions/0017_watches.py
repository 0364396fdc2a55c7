"""watches: members follow a page, a tag or a space; authors watch the pages they created

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 21:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=True),
        sa.Column("tag_id", sa.Integer(), nullable=True),
        sa.Column("space_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(CASE WHEN page_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN tag_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN space_id IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_watches_one_target"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_watches_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["page_id"], ["pages.id"], name=op.f("fk_watches_page_id_pages"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_watches_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["space_id"], ["spaces.id"], name=op.f("fk_watches_space_id_spaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watches")),
    )
    op.create_index(op.f("ix_watches_page_id"), "watches", ["page_id"])
    op.create_index(op.f("ix_watches_tag_id"), "watches", ["tag_id"])
    op.create_index(op.f("ix_watches_space_id"), "watches", ["space_id"])
    op.create_index("uq_watches_user_page", "watches", ["user_id", "page_id"], unique=True)
    op.create_index("uq_watches_user_tag", "watches", ["user_id", "tag_id"], unique=True)
    op.create_index("uq_watches_user_space", "watches", ["user_id", "space_id"], unique=True)
    # Authors watch the pages they created (as new pages' authors do from now on).
    op.execute(
        "INSERT INTO watches (user_id, page_id, created_at) "
        "SELECT created_by_id, id, created_at FROM pages"
    )


def downgrade() -> None:
    op.drop_table("watches")
