"""The dashboards' filters: year (or a quarter of it), department (with its sub-departments)
and course.

:class:`Filters` is plain data, usable without a request (the quarterly report builds
one itself). :func:`from_request` reads the query string: a bad or unknown value gives a
Korean message and the default, never an error page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask import request
from flask_babel import gettext as _

from portal.core import inputs
from portal.core.clock import SEOUL, today_in_seoul

YEAR_MIN = 2000


def year_max() -> int:
    """The latest selectable year: next year (sessions are planned ahead)."""
    return today_in_seoul().year + 1


@dataclass(frozen=True)
class Filters:
    """What every dashboard figure is computed for.

    ``quarter`` (1–4) narrows the period to that quarter of ``year``; None is the whole
    year. ``department_id`` covers the department and every department below it; None is
    the whole organisation. ``course_id`` None is every course.
    """

    year: int
    department_id: int | None = None
    course_id: int | None = None
    quarter: int | None = None

    @property
    def first_day(self) -> dt.date:
        """The period's first day (1 January, or the quarter's first day)."""
        return dt.date(self.year, 3 * (self.quarter or 1) - 2, 1)

    @property
    def last_day(self) -> dt.date:
        """The period's last day (31 December, or the quarter's last day)."""
        if self.quarter is None or self.quarter == 4:
            return dt.date(self.year, 12, 31)
        return dt.date(self.year, 3 * self.quarter + 1, 1) - dt.timedelta(days=1)

    @property
    def starts_at(self) -> dt.datetime:
        """The period's first day at 00:00 in Asia/Seoul, as UTC."""
        first = self.first_day
        return dt.datetime(first.year, first.month, first.day, tzinfo=SEOUL).astimezone(dt.UTC)

    @property
    def ends_at(self) -> dt.datetime:
        """The day after the period at 00:00 in Asia/Seoul, as UTC (exclusive)."""
        after = self.last_day + dt.timedelta(days=1)
        return dt.datetime(after.year, after.month, after.day, tzinfo=SEOUL).astimezone(dt.UTC)

    def as_args(self) -> dict[str, int]:
        """The query-string arguments that select these filters again."""
        args = {"year": self.year}
        if self.quarter is not None:
            args["quarter"] = self.quarter
        if self.department_id is not None:
            args["department"] = self.department_id
        if self.course_id is not None:
            args["course"] = self.course_id
        return args


@dataclass
class ParsedFilters:
    filters: Filters
    messages: list[str] = field(default_factory=list)


def _raw(name: str) -> str:
    return (request.args.get(name) or "").strip()


def from_request(
    *,
    department_ids: set[int],
    course_ids: set[int],
    allowed_departments: set[int] | None,
    own_department_id: int | None,
) -> ParsedFilters:
    """The filters in the query string, each bad value replaced by its default with a message.

    ``department_ids`` and ``course_ids`` are the existing choices (read once by the view).
    ``allowed_departments`` is None for everyone except a coordinator scoped to their own
    department subtree, whose default department is their own.
    """
    messages: list[str] = []
    default_year = today_in_seoul().year
    high = year_max()
    year = default_year
    raw = _raw("year")
    if raw:
        value = inputs.bounded_int(raw, None, minimum=YEAR_MIN, maximum=high)
        if value is None:
            messages.append(
                _(
                    "연도는 %(low)d~%(high)d 사이의 숫자로 골라 주세요. %(year)d년으로 보여 드립니다.",
                    low=YEAR_MIN,
                    high=high,
                    year=default_year,
                )
            )
        else:
            year = value

    quarter = None
    raw = _raw("quarter")
    if raw and raw != "0":
        value = inputs.bounded_int(raw, None, minimum=1, maximum=4)
        if value is None:
            messages.append(_("분기는 1~4분기 가운데 골라 주세요. 한 해 전체로 보여 드립니다."))
        else:
            quarter = value

    scoped = allowed_departments is not None
    default_department = own_department_id if scoped else None
    department_id = default_department
    raw = _raw("department")
    if raw and raw != "0":
        value = inputs.bounded_int(raw)
        if value is None or value not in department_ids:
            messages.append(
                _(
                    "고른 부서를 찾을 수 없습니다. 목록에서 다시 골라 주세요. 기본 부서로 보여 드립니다."
                )
            )
        elif scoped and value not in allowed_departments:
            messages.append(
                _(
                    "담당 부서(하위 부서 포함)의 현황만 볼 수 있습니다. 소속 부서 기준으로 보여 드립니다."
                )
            )
        else:
            department_id = value
    elif raw == "0" and scoped:
        messages.append(
            _(
                "담당 부서(하위 부서 포함)의 현황만 볼 수 있습니다. 소속 부서 기준으로 보여 드립니다."
            )
        )

    course_id = None
    raw = _raw("course")
    if raw and raw != "0":
        value = inputs.bounded_int(raw)
        if value is None or value not in course_ids:
            messages.append(
                _(
                    "고른 과정을 찾을 수 없습니다. 목록에서 다시 골라 주세요. 전체 과정으로 보여 드립니다."
                )
            )
        else:
            course_id = value
    return ParsedFilters(Filters(year, department_id, course_id, quarter), messages)
