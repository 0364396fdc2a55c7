"""Page templates: the starting text offered when someone creates a page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import SEEDED_BY_MIGRATION, Base
from app.models.base import UTCDateTime, utcnow


class PageTemplate(Base):
    """A named starting text (how-to, runbook, ...); built-in ones come with the wiki."""

    __tablename__ = "page_templates"
    __table_args__ = {"info": {SEEDED_BY_MIGRATION: True}}  # the built-in templates (0021)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
