"""Reading the audit log: filters from the query string, one page, or every row for export.

A page costs three statements whatever the log's size: the distinct actions, a COUNT
and one SELECT that joins the actor. The export streams rows in batches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, select

from portal.audit import labels, present
from portal.audit.models import AuditEntry
from portal.core import inputs
from portal.core.clock import SEOUL, utcnow
from portal.core.pagination import Page, paginate
from portal.db import db, set_write_intent
from portal.users.models import User

PER_PAGE = 50
EXPORT_BATCH = 1000
# Dates outside the portal's range are typing mistakes (and would overflow datetime arithmetic).
_EARLIEST_YEAR = inputs.MIN_DATE.year
_LATEST_YEAR = inputs.MAX_DATE.year


@dataclass(frozen=True)
class AuditFilters:
    """What an admin searches for; empty strings and None mean "any"."""

    action: str = ""
    actor: str = ""
    target_type: str = ""
    target_id: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    ip: str = ""

    def used_keys(self) -> list[str]:
        """Names of the filters in use (never their values: those may be personal data)."""
        return [f.name for f in fields(self) if getattr(self, f.name) not in ("", None)]

    def as_args(self) -> dict[str, str]:
        """The filters as query-string arguments, for pagination and export links."""
        args = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value not in ("", None):
                args[f.name] = value.isoformat() if isinstance(value, dt.date) else value
        return args


_TEXT_LIMITS = {"action": 50, "actor": 20, "target_type": 30, "target_id": 50, "ip": 45}


def _parse_date(raw: str, label: str, errors: list[str]) -> dt.date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = dt.date.fromisoformat(raw)
    except ValueError:
        errors.append(
            _(
                "%(label)s 형식이 올바르지 않습니다. 2026-03-02처럼 연-월-일로 입력해 주세요.",
                label=label,
            )
        )
        return None
    if not _EARLIEST_YEAR <= value.year <= _LATEST_YEAR:
        errors.append(
            _(
                "%(label)s은 %(first)d년부터 %(last)d년 사이의 날짜여야 합니다.",
                label=label,
                first=_EARLIEST_YEAR,
                last=_LATEST_YEAR,
            )
        )
        return None
    return value


def parse_filters(args: Mapping[str, str]) -> tuple[AuditFilters, list[str]]:
    """Filters from the query string, and Korean messages for anything unusable."""
    errors: list[str] = []
    text = {}
    for name, limit in _TEXT_LIMITS.items():
        value = (args.get(name) or "").strip()
        if len(value) > limit:
            errors.append(_("검색어가 너무 깁니다(%(n)d자 이내로 입력해 주세요).", n=limit))
            value = ""
        text[name] = value
    date_from = _parse_date(args.get("date_from") or "", _("시작일"), errors)
    date_to = _parse_date(args.get("date_to") or "", _("종료일"), errors)
    if date_from and date_to and date_from > date_to:
        errors.append(_("시작일이 종료일보다 늦습니다. 기간을 다시 확인해 주세요."))
    return AuditFilters(date_from=date_from, date_to=date_to, **text), errors


def seoul_midnight_utc(day: dt.date) -> dt.datetime:
    """The UTC instant at which `day` begins in Asia/Seoul."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=SEOUL).astimezone(dt.UTC)


def _text_match(column: Any, value: str) -> ColumnElement[bool]:
    # A value ending in "." (such as "login.") matches everything that starts with it.
    if value.endswith("."):
        return column.startswith(value, autoescape=True)
    return column == value


def _apply(stmt: Select, f: AuditFilters) -> Select:
    if f.action:
        stmt = stmt.where(_text_match(AuditEntry.action, f.action))
    if f.actor:
        stmt = stmt.where(User.employee_number == f.actor)
    if f.target_type:
        stmt = stmt.where(AuditEntry.target_type == f.target_type)
    if f.target_id:
        stmt = stmt.where(AuditEntry.target_id == f.target_id)
    if f.ip:
        stmt = stmt.where(_text_match(AuditEntry.ip, f.ip))
    if f.date_from:
        stmt = stmt.where(AuditEntry.occurred_at >= seoul_midnight_utc(f.date_from))
    if f.date_to:
        next_day = f.date_to + dt.timedelta(days=1)
        stmt = stmt.where(AuditEntry.occurred_at < seoul_midnight_utc(next_day))
    return stmt


def _newest_first(stmt: Select) -> Select:
    return stmt.outerjoin(User, User.id == AuditEntry.actor_id).order_by(
        AuditEntry.occurred_at.desc(), AuditEntry.id.desc()
    )


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    actor_employee_number: str | None
    actor_name: str | None
    readable: present.Readable


def known_actions() -> list[str]:
    """Every action recorded so far, for the filter's suggestions."""
    return list(
        db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    )


def action_families(actions: list[str]) -> list[str]:
    """Prefixes such as "login." that select a whole family of actions."""
    return sorted({a.split(".", 1)[0] + "." for a in actions if "." in a})


def search(f: AuditFilters, page: int) -> Page:
    """One page of matching entries, newest first, each with its actor's number and name."""
    stmt = _newest_first(
        _apply(select(AuditEntry, User.employee_number, User.name).select_from(AuditEntry), f)
    )
    result = paginate(stmt, page, PER_PAGE, scalars=False)
    shown = present.readable(entry for entry, _number, _name in result.items)
    rows = [
        AuditRow(entry, number, name, text)
        for (entry, number, name), text in zip(result.items, shown, strict=True)
    ]
    return Page(items=rows, number=result.number, per_page=result.per_page, total=result.total)


def export_rows(f: AuditFilters, *, before_id: int) -> Iterator[tuple]:
    """Matching entries with ids below before_id, newest first, each with its readable form.

    A generator: the query runs when iteration starts (after the request has committed);
    rows are fetched and their names resolved a batch at a time, so memory stays flat and
    the statements grow with the number of batches, not of rows.
    """
    set_write_intent(False)
    stmt = _newest_first(
        _apply(
            select(
                AuditEntry.occurred_at,
                User.employee_number,
                AuditEntry.actor_id,
                AuditEntry.action,
                AuditEntry.target_type,
                AuditEntry.target_id,
                AuditEntry.ip,
                AuditEntry.details,
            )
            .select_from(AuditEntry)
            .where(AuditEntry.id < before_id),
            f,
        )
    )
    result = db.session.execute(stmt.execution_options(yield_per=EXPORT_BATCH))
    for batch in result.partitions():
        yield from zip(batch, present.readable(batch), strict=True)


# The personal-data access report (개인정보 접근 기록): one calendar month, in UTC.


def parse_month(raw: str | None) -> tuple[dt.date, list[str]]:
    """The month asked for (its first day) as YYYY-MM; this month (UTC) when absent or bad."""
    current = utcnow().date().replace(day=1)
    raw = (raw or "").strip()
    if not raw:
        return current, []
    try:
        year, month = raw.split("-")
        if len(year) != 4 or len(month) != 2 or not (year + month).isdigit():
            raise ValueError(raw)
        value = dt.date(int(year), int(month), 1)
    except ValueError:
        return current, [_("월 형식이 올바르지 않습니다. 2026-11처럼 연-월로 입력해 주세요.")]
    if not _EARLIEST_YEAR <= value.year <= _LATEST_YEAR:
        return current, [
            _(
                "%(first)d년부터 %(last)d년 사이의 월을 입력해 주세요.",
                first=_EARLIEST_YEAR,
                last=_LATEST_YEAR,
            )
        ]
    return value, []


def _month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(month, dt.time(0), tzinfo=dt.UTC)
    following = (month + dt.timedelta(days=32)).replace(day=1)
    return start, dt.datetime.combine(following, dt.time(0), tzinfo=dt.UTC)


def _personal_data(stmt: Select, month: dt.date) -> Select:
    start, end = _month_bounds(month)
    return stmt.where(
        AuditEntry.action.in_(sorted(labels.PERSONAL_DATA_ACTIONS)),
        AuditEntry.occurred_at >= start,
        AuditEntry.occurred_at < end,
    )


def personal_data_page(month: dt.date, page: int) -> Page:
    """One page of the month's views and exports of personal data, newest first."""
    stmt = _newest_first(
        _personal_data(
            select(AuditEntry, User.employee_number, User.name).select_from(AuditEntry), month
        )
    )
    result = paginate(stmt, page, PER_PAGE, scalars=False)
    shown = present.readable(entry for entry, _number, _name in result.items)
    rows = [
        AuditRow(entry, number, name, text)
        for (entry, number, name), text in zip(result.items, shown, strict=True)
    ]
    return Page(items=rows, number=result.number, per_page=result.per_page, total=result.total)


def personal_data_rows(month: dt.date, *, before_id: int) -> Iterator[tuple]:
    """The month's personal-data entries below before_id, with readable forms, in batches."""
    set_write_intent(False)
    stmt = _newest_first(
        _personal_data(
            select(
                AuditEntry.occurred_at,
                User.employee_number,
                AuditEntry.actor_id,
                AuditEntry.action,
                AuditEntry.target_type,
                AuditEntry.target_id,
                AuditEntry.ip,
                AuditEntry.details,
            )
            .select_from(AuditEntry)
            .where(AuditEntry.id < before_id),
            month,
        )
    )
    result = db.session.execute(stmt.execution_options(yield_per=EXPORT_BATCH))
    for batch in result.partitions():
        yield from zip(batch, present.readable(batch), strict=True)
