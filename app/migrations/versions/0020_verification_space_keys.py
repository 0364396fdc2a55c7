"""verification: page_owners.space_id and verifications.space_id point at spaces

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 22:30:00.000000

Verification (0014) came before spaces (0015); its space columns now get their foreign keys
(deleting a space removes it as an owner and leaves its verifications without a space).
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "DELETE FROM page_owners WHERE space_id IS NOT NULL "
        "AND space_id NOT IN (SELECT id FROM spaces)"
    )
    op.execute(
        "UPDATE verifications SET space_id = NULL WHERE space_id IS NOT NULL "
        "AND space_id NOT IN (SELECT id FROM spaces)"
    )
    with op.batch_alter_table("page_owners") as batch:
        batch.create_foreign_key(
            "fk_page_owners_space_id_spaces", "spaces", ["space_id"], ["id"], ondelete="CASCADE"
        )
    with op.batch_alter_table("verifications") as batch:
        batch.create_foreign_key(
            "fk_verifications_space_id_spaces", "spaces", ["space_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("verifications") as batch:
        batch.drop_constraint("fk_verifications_space_id_spaces", type_="foreignkey")
    with op.batch_alter_table("page_owners") as batch:
        batch.drop_constraint("fk_page_owners_space_id_spaces", type_="foreignkey")
