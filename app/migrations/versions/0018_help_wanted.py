"""help wanted: questions on a space's list (from knowledge gaps or asked directly), who asked,
drafts that answer them; the space a search was filtered to

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 21:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "help_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("normalized", sa.String(length=300), nullable=False),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("gap_id", sa.Integer(), nullable=True),
        sa.Column("asked_directly", sa.Boolean(), nullable=False),
        sa.Column("asked", sa.Integer(), nullable=False),
        sa.Column("askers", sa.Integer(), nullable=False),
        sa.Column("anonymous", sa.Integer(), nullable=False),
        sa.Column("first_asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_page_id", sa.Integer(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["users.id"],
            name=op.f("fk_help_questions_answered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["answered_page_id"],
            ["pages.id"],
            name=op.f("fk_help_questions_answered_page_id_pages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["gap_id"],
            ["knowledge_gaps.id"],
            name=op.f("fk_help_questions_gap_id_knowledge_gaps"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["spaces.id"],
            name=op.f("fk_help_questions_space_id_spaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_questions")),
        sa.UniqueConstraint("space_id", "normalized", name=op.f("uq_help_questions_space_id")),
    )
    op.create_index(
        op.f("ix_help_questions_answered_at"), "help_questions", ["answered_at"], unique=False
    )
    op.create_index(op.f("ix_help_questions_gap_id"), "help_questions", ["gap_id"], unique=False)
    op.create_index(
        op.f("ix_help_questions_space_id"), "help_questions", ["space_id"], unique=False
    )
    op.create_table(
        "help_answer_drafts",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_help_answer_drafts_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["help_questions.id"],
            name=op.f("fk_help_answer_drafts_question_id_help_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("question_id", "proposal_id", name=op.f("pk_help_answer_drafts")),
    )
    op.create_index(
        op.f("ix_help_answer_drafts_proposal_id"),
        "help_answer_drafts",
        ["proposal_id"],
        unique=False,
    )
    op.create_table(
        "help_askers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["help_questions.id"],
            name=op.f("fk_help_askers_question_id_help_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_help_askers_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_askers")),
        sa.UniqueConstraint("question_id", "user_id", name=op.f("uq_help_askers_question_id")),
    )
    op.create_index(
        op.f("ix_help_askers_question_id"), "help_askers", ["question_id"], unique=False
    )
    with op.batch_alter_table("search_logs") as batch:
        batch.add_column(sa.Column("space_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_search_logs_space_id_spaces"),
            "spaces",
            ["space_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("search_logs") as batch:
        batch.drop_constraint(op.f("fk_search_logs_space_id_spaces"), type_="foreignkey")
        batch.drop_column("space_id")
    op.drop_index(op.f("ix_help_askers_question_id"), table_name="help_askers")
    op.drop_table("help_askers")
    op.drop_index(op.f("ix_help_answer_drafts_proposal_id"), table_name="help_answer_drafts")
    op.drop_table("help_answer_drafts")
    op.drop_index(op.f("ix_help_questions_space_id"), table_name="help_questions")
    op.drop_index(op.f("ix_help_questions_gap_id"), table_name="help_questions")
    op.drop_index(op.f("ix_help_questions_answered_at"), table_name="help_questions")
    op.drop_table("help_questions")
