"""pointer foreign keys outside SQLite

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 10:00:00.000000

0001 and 0002 declared the pointers from pages and proposals to revisions as ``use_alter``
constraints inside ``create_table``, which only SQLite (it writes them inline) honours: on
other databases ``CREATE TABLE`` leaves them out and nothing added them afterwards.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: (table, column): each points at ``revisions.id``.
POINTERS = [
    ("pages", "published_revision_id"),
    ("pages", "latest_revision_id"),
    ("proposals", "head_revision_id"),
]


def _needs_alter() -> bool:
    return op.get_bind().dialect.name != "sqlite"


def upgrade() -> None:
    if _needs_alter():
        for table, column in POINTERS:
            op.create_foreign_key(
                op.f(f"fk_{table}_{column}_revisions"), table, "revisions", [column], ["id"]
            )


def downgrade() -> None:
    if _needs_alter():
        for table, column in reversed(POINTERS):
            op.drop_constraint(op.f(f"fk_{table}_{column}_revisions"), table, type_="foreignkey")
