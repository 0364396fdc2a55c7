"""synonyms: synonym sets, and suggested pairs learnt from searches with the people behind them

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 18:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "synonym_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_synonym_sets_created_by_id_users"),
            ondelete="SET NULL",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_synonym_sets")),
    )
    op.create_table(
        "synonym_suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term_a", sa.String(length=100), nullable=False),
        sa.Column("term_b", sa.String(length=100), nullable=False),
        sa.Column("evidence", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_synonym_suggestions")),
        sa.UniqueConstraint("term_a", "term_b", name=op.f("uq_synonym_suggestions_term_a")),
    )
    op.create_index(
        op.f("ix_synonym_suggestions_status"), "synonym_suggestions", ["status"], unique=False
    )
    op.create_table(
        "synonym_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["synonym_suggestions.id"],
            name=op.f("fk_synonym_evidence_suggestion_id_synonym_suggestions"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_synonym_evidence_user_id_users"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_synonym_evidence")),
        sa.UniqueConstraint(
            "suggestion_id", "user_id", name=op.f("uq_synonym_evidence_suggestion_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("synonym_evidence")
    op.drop_index(op.f("ix_synonym_suggestions_status"), table_name="synonym_suggestions")
    op.drop_table("synonym_suggestions")
    op.drop_table("synonym_sets")
