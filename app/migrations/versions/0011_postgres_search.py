"""postgres search: a weighted tsvector per search document, and the words for "Did you mean"

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 18:20:00.000000

Only PostgreSQL gets these tables (``PEERWIKI_SEARCH_BACKEND=postgres`` needs a PostgreSQL
database); they stay empty while another backend is configured. ``pg_trgm`` serves close
spellings and as-you-type title suggestions. Downgrading keeps the extension: other databases
objects may use it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    text_array = postgresql.ARRAY(sa.Text())
    op.create_table(
        "search_documents",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_folded", sa.Text(), nullable=False),
        sa.Column("headings", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", text_array, nullable=False),
        sa.Column("tag_keys", text_array, nullable=False),
        sa.Column("department", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("reviewers", text_array, nullable=False),
        sa.Column("visible_to", text_array, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("vector", postgresql.TSVECTOR(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_search_documents")),
    )
    op.create_index(
        "ix_search_documents_vector", "search_documents", ["vector"], postgresql_using="gin"
    )
    op.create_index(
        "ix_search_documents_visible_to", "search_documents", ["visible_to"], postgresql_using="gin"
    )
    op.create_index(
        "ix_search_documents_title_trgm", "search_documents", ["title_folded"],
        postgresql_using="gin", postgresql_ops={"title_folded": "gin_trgm_ops"},
    )  # fmt: skip
    op.create_table(
        "search_words",
        sa.Column("word", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("word", name=op.f("pk_search_words")),
    )
    op.create_index(
        "ix_search_words_word_trgm", "search_words", ["word"],
        postgresql_using="gist", postgresql_ops={"word": "gist_trgm_ops"},
    )  # fmt: skip


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_table("search_words")
    op.drop_table("search_documents")
