"""Reading the learning-hours ledger (상시학습): a person's year, and the review queue."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from sqlalchemy import Select, bindparam, func, select

from portal.attendance.models import HoursEntry, HoursEvidence, HoursSource, HoursStatus
from portal.core.clock import today_in_seoul
from portal.core.pagination import Page, paginate
from portal.db import db
from portal.org.models import Department
from portal.org.queries import subtree_ids
from portal.users.models import User

ZERO = Decimal("0.0")
# The year selector reaches this far back when the person has no older lines.
YEARS_BACK = 2


@dataclass(frozen=True)
class YearSummary:
    approved: Decimal  # approved portal completions + approved outside learning
    pending: Decimal  # outside learning still waiting for a coordinator
    target: int  # ANNUAL_LEARNING_HOURS_TARGET
    percent: int  # approved against the target, rounded down (may pass 100)

    @property
    def remaining(self) -> Decimal:
        return max(ZERO, Decimal(self.target) - self.approved)

    @property
    def bar_value(self) -> Decimal:
        """The progress bar's value: approved, but never past the target."""
        return min(self.approved, Decimal(self.target)) if self.target else ZERO

    @property
    def met(self) -> bool:
        return self.approved >= self.target


@functools.cache
def _year_summary_statement() -> Select:
    # Built once with the person and the year as parameters ("나의 학습" shows it every visit).
    return (
        select(HoursEntry.status, func.coalesce(func.sum(HoursEntry.hours), 0))
        .where(
            HoursEntry.user_id == bindparam("user_id"),
            HoursEntry.year == bindparam("year"),
            HoursEntry.status.in_([HoursStatus.APPROVED, HoursStatus.PENDING]),
        )
        .group_by(HoursEntry.status)
    )


def year_summary(user_id: int, year: int) -> YearSummary:
    """The person's approved and pending hours in one calendar year, against the target."""
    rows = db.session.execute(_year_summary_statement(), {"user_id": user_id, "year": year}).all()
    totals = {status: Decimal(total).quantize(Decimal("0.1")) for status, total in rows}
    approved = totals.get(HoursStatus.APPROVED, ZERO)
    pending = totals.get(HoursStatus.PENDING, ZERO)
    target = int(current_app.config["ANNUAL_LEARNING_HOURS_TARGET"])
    percent = int(approved * 100 // target) if target > 0 else 100
    return YearSummary(approved=approved, pending=pending, target=target, percent=percent)


def ledger_years(user_id: int) -> list[int]:
    """Years for the selector, newest first: this year, the last few, and any with lines."""
    this_year = today_in_seoul().year
    years = set(range(this_year - YEARS_BACK, this_year + 1))
    years.update(
        db.session.scalars(select(HoursEntry.year).where(HoursEntry.user_id == user_id).distinct())
    )
    return sorted(years, reverse=True)


@dataclass(frozen=True)
class LedgerLine:
    entry: HoursEntry
    has_evidence: bool


def ledger(user_id: int, year: int, page: int, *, per_page: int = 20) -> Page:
    """One page of a person's lines in a year, latest first (items are LedgerLine)."""
    stmt = (
        select(HoursEntry, HoursEvidence.id)
        .outerjoin(HoursEvidence, HoursEvidence.entry_id == HoursEntry.id)
        .where(HoursEntry.user_id == user_id, HoursEntry.year == year)
        .order_by(HoursEntry.completed_on.desc(), HoursEntry.id.desc())
    )
    found = paginate(stmt, page, per_page, scalars=False)
    return Page(
        items=[LedgerLine(entry, evidence_id is not None) for entry, evidence_id in found.items],
        number=found.number,
        per_page=found.per_page,
        total=found.total,
    )


@dataclass(frozen=True)
class QueueFilters:
    status: HoursStatus | None = HoursStatus.PENDING  # None: every status
    department_id: int | None = None  # the department and everything under it
    year: int | None = None


@dataclass(frozen=True)
class QueueLine:
    entry: HoursEntry
    person_name: str
    employee_number: str
    department: str | None
    has_evidence: bool


def _queue_statement(filters: QueueFilters) -> Select:
    stmt = (
        select(HoursEntry, User.name, User.employee_number, Department.name, HoursEvidence.id)
        .join(User, User.id == HoursEntry.user_id)
        .outerjoin(Department, Department.id == User.department_id)
        .outerjoin(HoursEvidence, HoursEvidence.entry_id == HoursEntry.id)
        .where(HoursEntry.source == HoursSource.EXTERNAL)
    )
    if filters.status is not None:
        stmt = stmt.where(HoursEntry.status == filters.status)
    if filters.department_id is not None:
        stmt = stmt.where(User.department_id.in_(subtree_ids(filters.department_id)))
    if filters.year is not None:
        stmt = stmt.where(HoursEntry.year == filters.year)
    # Oldest requests first while waiting; the latest decisions first otherwise.
    if filters.status is HoursStatus.PENDING:
        return stmt.order_by(HoursEntry.created_at, HoursEntry.id)
    return stmt.order_by(HoursEntry.created_at.desc(), HoursEntry.id.desc())


def review_queue(filters: QueueFilters, page: int, *, per_page: int = 25) -> Page:
    """One page of outside-learning entries for coordinators (items are QueueLine)."""
    found = paginate(_queue_statement(filters), page, per_page, scalars=False)
    return Page(
        items=[
            QueueLine(entry, name, number, dept, evidence_id is not None)
            for entry, name, number, dept, evidence_id in found.items
        ],
        number=found.number,
        per_page=found.per_page,
        total=found.total,
    )


def queue_line(entry_id: int) -> QueueLine | None:
    """One outside entry with its person, for the review page."""
    row = db.session.execute(
        _queue_statement(QueueFilters(status=None)).where(HoursEntry.id == entry_id)
    ).first()
    if row is None:
        return None
    entry, name, number, dept, evidence_id = row
    return QueueLine(entry, name, number, dept, evidence_id is not None)


def evidence_meta(entry_id: int) -> tuple[str, str, int] | None:
    """(file name, content type, size) of an entry's evidence, without loading the file."""
    row = db.session.execute(
        select(HoursEvidence.filename, HoursEvidence.content_type, HoursEvidence.size).where(
            HoursEvidence.entry_id == entry_id
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2])


def queue_years() -> list[int]:
    """Years for the queue's filter: this year back a few, and any year with outside lines."""
    this_year = today_in_seoul().year
    years = set(range(this_year - YEARS_BACK, this_year + 1))
    years.update(
        db.session.scalars(
            select(HoursEntry.year).where(HoursEntry.source == HoursSource.EXTERNAL).distinct()
        )
    )
    return sorted(years, reverse=True)
