"""Template filters."""

from __future__ import annotations

from datetime import UTC, datetime

from markupsafe import Markup, escape

from app import deps, render
from app.services.notifications import KINDS


def notification_kind(kind: str) -> str:
    """What a kind of notification is called in the inbox ("Review requested")."""
    return KINDS.get(kind, kind.replace("_", " ").capitalize())


def when(value: datetime | None) -> Markup:
    """Render a datetime as a relative ``<time>`` ("3 hours ago") with the exact time on hover."""
    if value is None:
        return Markup("")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    seconds = int((datetime.now(UTC) - value).total_seconds())
    exact = value.strftime("%Y-%m-%d %H:%M UTC")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        value.isoformat(), exact, escape(_relative(seconds, value))
    )


def comment_html(html: str) -> Markup:
    """Show a comment's stored HTML as readers see it now: images only from the wiki and the
    allowed image hosts (others become links), as on pages."""
    return render.allow_images_from(html, deps.image_origins())


def _relative(seconds: int, value: datetime) -> str:
    if seconds < 60:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            if unit == "day" and count > 30:
                return f"on {value.strftime('%d %b %Y')}"
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


#: How long a time older than a month keeps its text ("on 04 Nov 2026"): for good.
_FOREVER = 10**9


def unchanged_for(value: datetime | None) -> int:
    """Return for how many more seconds :func:`when` renders ``value`` as it does now."""
    if value is None:
        return _FOREVER
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    seconds = max(0, int((datetime.now(UTC) - value).total_seconds()))
    if seconds < 60:
        return 60 - seconds
    if seconds >= 31 * 86400:
        return _FOREVER
    size = next(size for size in (86400, 3600, 60) if seconds >= size)
    return size - seconds % size
