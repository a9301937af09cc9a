"""Page-at-a-time listing with one COUNT and one SELECT, whatever the table size."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, func, select

from portal.db import db


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_index(self) -> int:
        return 0 if self.total == 0 else (self.number - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.number * self.per_page)

    def window(self, around: int = 2) -> list[int | None]:
        """Page numbers to show, with None where a run of pages is skipped."""
        shown = {1, self.pages, *range(self.number - around, self.number + around + 1)}
        numbers = sorted(n for n in shown if 1 <= n <= self.pages)
        out: list[int | None] = []
        for n in numbers:
            if out and n - (out[-1] or 0) > 1:
                out.append(None)
            out.append(n)
        return out


@functools.lru_cache(maxsize=128)
def _prepared(stmt: Select) -> tuple[Select, Select]:
    """The COUNT and the page of a statement built once, with limit and offset as parameters."""
    return (
        select(func.count()).select_from(stmt.order_by(None).subquery()),
        stmt.limit(bindparam("page_limit")).offset(bindparam("page_offset")),
    )


def paginate(
    stmt: Select,
    page: int,
    per_page: int = 25,
    *,
    scalars: bool = True,
    params: Mapping[str, Any] | None = None,
) -> Page:
    """Run stmt for one page; page numbers past the end show the last page.

    A statement built once (a module-level constant, or one from a cached function) with its
    varying values as bind parameters passes them in ``params``: its COUNT and page statements
    are then built once too, which on a busy page costs more than running them. Without
    ``params`` both are built for this call, as for any statement built per request.
    """
    if params is None:
        counted = select(func.count()).select_from(stmt.order_by(None).subquery())
        total = db.session.scalar(counted) or 0
    else:
        counted, paged = _prepared(stmt)
        total = db.session.scalar(counted, params) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    if params is None:
        paged = stmt.limit(per_page).offset((page - 1) * per_page)
        arguments = {}
    else:
        arguments = {**params, "page_limit": per_page, "page_offset": (page - 1) * per_page}
    result = (
        db.session.scalars(paged, arguments) if scalars else db.session.execute(paged, arguments)
    )
    return Page(
        items=list(result.unique() if scalars else result),
        number=page,
        per_page=per_page,
        total=total,
    )
