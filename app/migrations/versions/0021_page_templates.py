"""page templates: how-to, runbook, incident postmortem and onboarding checklist built in;
administrators add more

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 23:00:00.000000
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

BUILT_IN = [
    ("How-to", "Steps to get one thing done.",
     "## Before you start\n\n- What you need\n\n## Steps\n\n1. First step\n2. Second step\n\n"
     "## If something goes wrong\n\n## Who to ask\n"),
    ("Runbook", "What to do when a system needs attention.",
     "## When to use this\n\n## Checks\n\n1. \n\n## Fix\n\n1. \n\n## Escalation\n\n"
     "| When | Who | How |\n|---|---|---|\n| | | |\n"),
    ("Incident postmortem", "What happened, why, and what changes (blameless).",
     "## Summary\n\n## Impact\n\n## Timeline\n\n| Time | What happened |\n|---|---|\n| | |\n\n"
     "## Root cause\n\n## What went well\n\n## What we change\n\n- [ ] Action, owner, date\n"),
    ("Onboarding checklist", "A new colleague's first weeks, step by step.",
     "## Before day one\n\n- [ ] \n\n## Day one\n\n- [ ] \n\n## First week\n\n- [ ] \n\n"
     "## First month\n\n- [ ] \n\n## People to meet\n"),
]  # fmt: skip


def upgrade() -> None:
    table = op.create_table(
        "page_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_page_templates_name")),
    )
    now = datetime.now(UTC)
    op.bulk_insert(table, [
        {"name": name, "description": description, "body": body, "builtin": True, "created_at": now}
        for name, description, body in BUILT_IN
    ])  # fmt: skip


def downgrade() -> None:
    op.drop_table("page_templates")
