"""Reading sessions: round numbers, the course and instructor choices, and the session list.

Each function issues a fixed number of statements, whatever the number of sessions or
enrolments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, case, func, select

from portal.catalog.models import Course
from portal.core.clock import SEOUL, utcnow
from portal.core.pagination import Page, paginate
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.org.models import Department
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.users.models import Role, User

# Who may teach a session.
INSTRUCTOR_ROLES = (Role.INSTRUCTOR, Role.COORDINATOR)


@dataclass(frozen=True)
class SessionRow:
    """A session with the figures the management pages show, read in one query."""

    session: TrainingSession
    course_title: str
    instructor_name: str | None
    waitlisted: int
    requested: int

    @property
    def is_past(self) -> bool:
        return self.session.ends_at <= utcnow()


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


def _count_of(status: EnrollmentStatus):
    return (
        select(func.count(Enrollment.id))
        .where(Enrollment.session_id == TrainingSession.id, Enrollment.status == status)
        .correlate(TrainingSession)
        .scalar_subquery()
    )


def _rows_stmt() -> Select:
    return (
        select(
            TrainingSession,
            Course.title.label("course_title"),
            User.name.label("instructor_name"),
            _count_of(EnrollmentStatus.WAITLISTED).label("waitlisted"),
            _count_of(EnrollmentStatus.REQUESTED).label("requested"),
        )
        .join(Course, Course.id == TrainingSession.course_id)
        .outerjoin(User, User.id == TrainingSession.instructor_id)
    )


def _to_row(row) -> SessionRow:
    return SessionRow(
        session=row[0],
        course_title=row.course_title,
        instructor_name=row.instructor_name,
        waitlisted=row.waitlisted or 0,
        requested=row.requested or 0,
    )


def _seoul_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=SEOUL).astimezone(dt.UTC)


def list_sessions(filters: SessionFilters, page: int, per_page: int = 25) -> Page:
    """Sessions matching the filters, upcoming first (soonest first) then past (latest first).

    One COUNT and one SELECT whatever the number of sessions or enrolments.
    """
    now = utcnow()
    stmt = _rows_stmt()
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
    stmt = stmt.order_by(
        case((is_upcoming, 0), else_=1),
        case((is_upcoming, TrainingSession.starts_at), else_=None).asc(),
        TrainingSession.starts_at.desc(),
        TrainingSession.id,
    )
    result = paginate(stmt, page, per_page, scalars=False)
    return Page(
        items=[_to_row(row) for row in result.items],
        number=result.number,
        per_page=result.per_page,
        total=result.total,
    )


def session_row(session_id: int) -> SessionRow | None:
    """One session with its course title, instructor and queue figures (one query)."""
    row = db.session.execute(_rows_stmt().where(TrainingSession.id == session_id)).one_or_none()
    return _to_row(row) if row is not None else None
