"""onboarding paths: versions reviewed like pages, assignments, enrolments, steps done; a link
on notifications

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paths",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_paths_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paths")),
    )
    op.create_table(
        "path_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("assigned_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"], ["users.id"], name=op.f("fk_path_assignments_assigned_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_path_assignments_department_id_departments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["path_id"],
            ["paths.id"],
            name=op.f("fk_path_assignments_path_id_paths"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_path_assignments_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_path_assignments")),
        sa.UniqueConstraint("path_id", "department_id", name="uq_path_assignments_department"),
        sa.UniqueConstraint("path_id", "user_id", name="uq_path_assignments_user"),
    )
    op.create_index(
        op.f("ix_path_assignments_department_id"),
        "path_assignments",
        ["department_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_path_assignments_path_id"), "path_assignments", ["path_id"], unique=False
    )
    op.create_table(
        "path_enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assigned", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["path_id"],
            ["paths.id"],
            name=op.f("fk_path_enrolments_path_id_paths"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_path_enrolments_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_path_enrolments")),
        sa.UniqueConstraint("path_id", "user_id", name="uq_path_enrolments_user"),
    )
    op.create_index(
        op.f("ix_path_enrolments_path_id"), "path_enrolments", ["path_id"], unique=False
    )
    op.create_index(
        op.f("ix_path_enrolments_user_id"), "path_enrolments", ["user_id"], unique=False
    )
    op.create_table(
        "path_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("page_ids", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_path_versions_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["path_id"],
            ["paths.id"],
            name=op.f("fk_path_versions_path_id_paths"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_path_versions")),
        sa.UniqueConstraint("path_id", "number", name="uq_path_versions_path_number"),
    )
    op.create_index(op.f("ix_path_versions_path_id"), "path_versions", ["path_id"], unique=False)
    op.create_index(op.f("ix_path_versions_state"), "path_versions", ["state"], unique=False)
    op.create_table(
        "path_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_path_reviews_reviewer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["path_versions.id"],
            name=op.f("fk_path_reviews_version_id_path_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_path_reviews")),
    )
    op.create_index(
        op.f("ix_path_reviews_version_id"), "path_reviews", ["version_id"], unique=False
    )
    op.create_table(
        "path_steps_done",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["pages.id"],
            name=op.f("fk_path_steps_done_page_id_pages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["path_id"],
            ["paths.id"],
            name=op.f("fk_path_steps_done_path_id_paths"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["revisions.id"],
            name=op.f("fk_path_steps_done_revision_id_revisions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_path_steps_done_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_path_steps_done")),
        sa.UniqueConstraint("path_id", "user_id", "page_id", name="uq_path_steps_done_step"),
    )
    op.create_index(
        op.f("ix_path_steps_done_path_id"), "path_steps_done", ["path_id"], unique=False
    )
    op.create_index(
        op.f("ix_path_steps_done_user_id"), "path_steps_done", ["user_id"], unique=False
    )
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("link", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("link")
    op.drop_index(op.f("ix_path_steps_done_user_id"), table_name="path_steps_done")
    op.drop_index(op.f("ix_path_steps_done_path_id"), table_name="path_steps_done")
    op.drop_table("path_steps_done")
    op.drop_index(op.f("ix_path_reviews_version_id"), table_name="path_reviews")
    op.drop_table("path_reviews")
    op.drop_index(op.f("ix_path_versions_state"), table_name="path_versions")
    op.drop_index(op.f("ix_path_versions_path_id"), table_name="path_versions")
    op.drop_table("path_versions")
    op.drop_index(op.f("ix_path_enrolments_user_id"), table_name="path_enrolments")
    op.drop_index(op.f("ix_path_enrolments_path_id"), table_name="path_enrolments")
    op.drop_table("path_enrolments")
    op.drop_index(op.f("ix_path_assignments_path_id"), table_name="path_assignments")
    op.drop_index(op.f("ix_path_assignments_department_id"), table_name="path_assignments")
    op.drop_table("path_assignments")
    op.drop_table("paths")
