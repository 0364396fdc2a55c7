"""content generation's changed_at: when any cached page view last changed (its Last-Modified)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 20:00:00.000000

Cached page views said they were modified when each process cached them, so two app servers (or
two gunicorn workers) answered the same If-Modified-Since differently.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("content_generation") as batch:
        batch.add_column(sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE content_generation SET changed_at = CURRENT_TIMESTAMP")
    with op.batch_alter_table("content_generation") as batch:
        batch.alter_column("changed_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("content_generation") as batch:
        batch.drop_column("changed_at")
