"""Paginated query results."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Paginated(Generic[T]):
    """One page of results and enough to link to the others."""

    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(session: Session, query: Select[T], *, page: int, per_page: int) -> Paginated[T]:
    """Run ``query`` for one page; ``page`` counts from 1 and ``per_page`` is capped."""
    page = max(1, page)
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return Paginated(items=items, total=total, page=page, per_page=per_page)
