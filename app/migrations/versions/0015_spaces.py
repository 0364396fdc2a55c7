"""spaces and the page tree

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 21:00:00.000000

A space per department, every page in its department's space (pages without a department in a
"general" project space, made only when there are such pages, so an empty database stays empty
for ``restore``), pages' parent and position among siblings, and the space and parent each
revision proposes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.slugs import slugify

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

GENERAL_SLUG = "general"


def _foreign_keys(on: bool) -> None:
    """On SQLite, turn foreign key enforcement off while ``pages`` and ``revisions`` are rebuilt:
    the rebuild drops the old table, which with enforcement on would first delete (cascading to
    revisions, tags, links) every row referring to it. The pragma only works outside a
    transaction, hence the autocommit block (which commits what came before)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.get_context().autocommit_block():
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade() -> None:
    _foreign_keys(False)
    op.create_table(
        "spaces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("home_page_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review_interval_days", sa.Integer(), nullable=False),
        sa.Column("verify_cross_department", sa.Boolean(), nullable=False),
        sa.Column("feedback_threshold", sa.Integer(), nullable=False),
        sa.Column("required_approvals", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_spaces_department_id_departments")
        ),
        sa.ForeignKeyConstraint(
            ["home_page_id"], ["pages.id"], name=op.f("fk_spaces_home_page_id_pages"),
            ondelete="SET NULL",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spaces")),
        sa.UniqueConstraint("slug", name=op.f("uq_spaces_slug")),
        sa.UniqueConstraint("department_id", name=op.f("uq_spaces_department_id")),
    )
    op.create_table(
        "space_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["space_id"], ["spaces.id"], name=op.f("fk_space_members_space_id_spaces"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_space_members_user_id_users"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_space_members")),
        sa.UniqueConstraint("space_id", "user_id", name=op.f("uq_space_members_space_id")),
    )
    op.create_index(op.f("ix_space_members_space_id"), "space_members", ["space_id"])
    op.create_index(op.f("ix_space_members_user_id"), "space_members", ["user_id"])

    with op.batch_alter_table("pages") as batch:
        batch.add_column(sa.Column("space_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("revisions") as batch:
        batch.add_column(sa.Column("space_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("parent_page_id", sa.Integer(), nullable=True))

    _backfill()

    with op.batch_alter_table("pages") as batch:
        batch.alter_column("space_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(op.f("fk_pages_space_id_spaces"), "spaces", ["space_id"], ["id"])
        batch.create_foreign_key(
            op.f("fk_pages_parent_id_pages"), "pages", ["parent_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index(op.f("ix_pages_space_id"), ["space_id"])
        batch.create_index(op.f("ix_pages_parent_id"), ["parent_id"])
    with op.batch_alter_table("revisions") as batch:
        batch.create_foreign_key(
            op.f("fk_revisions_space_id_spaces"), "spaces", ["space_id"], ["id"]
        )
        batch.create_foreign_key(
            op.f("fk_revisions_parent_page_id_pages"), "pages", ["parent_page_id"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip
    _foreign_keys(True)


def _backfill() -> None:
    """A department space for each department; each page (and revision) in its space."""
    connection = op.get_bind()
    now = sa.func.current_timestamp()
    spaces = sa.table(
        "spaces", sa.column("id", sa.Integer()), sa.column("slug", sa.String()),
        sa.column("name", sa.String()), sa.column("kind", sa.String()),
        sa.column("department_id", sa.Integer()), sa.column("description", sa.Text()),
        sa.column("created_at", sa.DateTime()), sa.column("review_interval_days", sa.Integer()),
        sa.column("verify_cross_department", sa.Boolean()),
        sa.column("feedback_threshold", sa.Integer()),
    )  # fmt: skip
    pages = sa.table(
        "pages", sa.column("id", sa.Integer()), sa.column("department_id", sa.Integer()),
        sa.column("space_id", sa.Integer()),
    )  # fmt: skip
    revisions = sa.table(
        "revisions", sa.column("page_id", sa.Integer()), sa.column("space_id", sa.Integer())
    )
    departments = sa.table(
        "departments", sa.column("id", sa.Integer()), sa.column("name", sa.String()),
        sa.column("description", sa.Text()),
    )  # fmt: skip
    taken: set[str] = set()
    # Department spaces are made before "general", so a department called General keeps its name.
    found = connection.execute(
        sa.select(departments.c.id, departments.c.name, departments.c.description).order_by(
            departments.c.id
        )
    ).all()
    defaults = {"review_interval_days": 180, "verify_cross_department": False,
                "feedback_threshold": 3, "created_at": now}  # fmt: skip
    for department_id, name, description in found:
        slug = _free_slug(slugify(name) or "department", taken)
        connection.execute(
            sa.insert(spaces).values(
                slug=slug, name=name, kind="department", department_id=department_id,
                description=description or "", **defaults,
            )
        )  # fmt: skip
        space_id = connection.scalar(sa.select(spaces.c.id).where(spaces.c.slug == slug))
        connection.execute(
            sa.update(pages).where(pages.c.department_id == department_id).values(space_id=space_id)
        )
    homeless = connection.scalar(
        sa.select(sa.func.count()).select_from(pages).where(pages.c.space_id.is_(None))
    )
    if homeless:
        slug = _free_slug(GENERAL_SLUG, taken)
        connection.execute(
            sa.insert(spaces).values(
                slug=slug, name="General", kind="project", department_id=None,
                description="Pages that belong to no department.", **defaults,
            )
        )  # fmt: skip
        space_id = connection.scalar(sa.select(spaces.c.id).where(spaces.c.slug == slug))
        connection.execute(
            sa.update(pages).where(pages.c.space_id.is_(None)).values(space_id=space_id)
        )
    connection.execute(
        sa.update(revisions).values(
            space_id=sa.select(pages.c.space_id)
            .where(pages.c.id == revisions.c.page_id)
            .scalar_subquery()
        )
    )


def _free_slug(slug: str, taken: set[str]) -> str:
    candidate, number = slug, 2
    while candidate in taken:
        candidate, number = f"{slug}-{number}", number + 1
    taken.add(candidate)
    return candidate


def downgrade() -> None:
    _foreign_keys(False)
    with op.batch_alter_table("revisions") as batch:
        batch.drop_constraint(op.f("fk_revisions_parent_page_id_pages"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_revisions_space_id_spaces"), type_="foreignkey")
        batch.drop_column("parent_page_id")
        batch.drop_column("space_id")
    with op.batch_alter_table("pages") as batch:
        batch.drop_index(op.f("ix_pages_parent_id"))
        batch.drop_index(op.f("ix_pages_space_id"))
        batch.drop_constraint(op.f("fk_pages_parent_id_pages"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_pages_space_id_spaces"), type_="foreignkey")
        batch.drop_column("position")
        batch.drop_column("parent_id")
        batch.drop_column("space_id")
    op.drop_table("space_members")
    op.drop_table("spaces")
    _foreign_keys(True)
