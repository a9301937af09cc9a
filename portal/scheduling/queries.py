"""Reading sessions: round numbers, the course and instructor choices, and the session list.

The coordinator's list adds each session's queue figures, which are enrolments: it is
built in portal.enrollment.queries from session_listing and filter_listing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, case, func, select

from portal.catalog.models import Course
from portal.core.clock import SEOUL
from portal.db import db
from portal.org.models import Department
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.users.models import Role, User

# Who may teach a session.
INSTRUCTOR_ROLES = (Role.INSTRUCTOR, Role.COORDINATOR)


@dataclass(frozen=True)
class SessionFilters:
    course_id: int | None = None
    status: SessionStatus | None = None
    period: str = ""  # "upcoming", "past" or "" for both
    from_on: dt.date | None = None  # Seoul dates
    to_on: dt.date | None = None


def next_round_number(course_id: int) -> int:
    """The round after the course's highest one (1 for a course with no sessions)."""
    highest = db.session.scalar(
        select(func.max(TrainingSession.round_number)).where(TrainingSession.course_id == course_id)
    )
    return (highest or 0) + 1


def course_choices(
    *, include_id: int | None = None, active_only: bool = True
) -> list[tuple[int, str]]:
    """Courses for a select, in catalogue order; a session's current course stays selectable."""
    stmt = select(Course.id, Course.title).order_by(Course.sort_order, Course.title, Course.id)
    if active_only:
        stmt = stmt.where(Course.is_active | (Course.id == (include_id or -1)))
    return [(row.id, row.title) for row in db.session.execute(stmt)]


def instructor_choices(*, include_id: int | None = None) -> list[tuple[int, str]]:
    """Active instructors and coordinators as "name (department)"; the current one stays."""
    stmt = (
        select(User.id, User.name, Department.name.label("department"))
        .outerjoin(Department, Department.id == User.department_id)
        .where((User.role.in_(INSTRUCTOR_ROLES) & User.is_active) | (User.id == (include_id or -1)))
        .order_by(User.name, User.id)
    )
    return [
        (row.id, f"{row.name} ({row.department})" if row.department else row.name)
        for row in db.session.execute(stmt)
    ]


def session_listing(*columns: ColumnElement) -> Select:
    """Sessions with their course title and instructor name, plus any further columns."""
    return (
        select(
            TrainingSession,
            Course.title.label("course_title"),
            User.name.label("instructor_name"),
            *columns,
        )
        .join(Course, Course.id == TrainingSession.course_id)
        .outerjoin(User, User.id == TrainingSession.instructor_id)
    )


def _seoul_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=SEOUL).astimezone(dt.UTC)


def filter_listing(stmt: Select, filters: SessionFilters, now: dt.datetime) -> Select:
    """A session listing narrowed to the filters and put in the list's order.

    Upcoming sessions come first (soonest first), then past ones (latest first).
    """
    if filters.course_id:
        stmt = stmt.where(TrainingSession.course_id == filters.course_id)
    if filters.status:
        stmt = stmt.where(TrainingSession.status == filters.status)
    if filters.period == "upcoming":
        stmt = stmt.where(TrainingSession.ends_at > now)
    elif filters.period == "past":
        stmt = stmt.where(TrainingSession.ends_at <= now)
    # A date range matches every session that overlaps it, so multi-day sessions show.
    if filters.from_on:
        stmt = stmt.where(TrainingSession.ends_at > _seoul_midnight(filters.from_on))
    if filters.to_on:
        day_after = filters.to_on + dt.timedelta(days=1)
        stmt = stmt.where(TrainingSession.starts_at < _seoul_midnight(day_after))
    # Upcoming sessions first, soonest first; then past ones, latest first.
    is_upcoming = TrainingSession.ends_at > now
    return stmt.order_by(
        case((is_upcoming, 0), else_=1),
        case((is_upcoming, TrainingSession.starts_at), else_=None).asc(),
        TrainingSession.starts_at.desc(),
        TrainingSession.id,
    )
