"""Reading enrolments: waitlist places, approvals, the coordinator's session list, view lookups.

Each function issues a fixed number of statements, whatever the data size: waitlist
positions come from a correlated subquery in the same SELECT, and related rows are
loaded with joins (the relationships are lazy="raise", so a stray per-row query fails).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import aliased, contains_eager

from portal.catalog.models import Course
from portal.core.clock import utcnow
from portal.core.pagination import Page, paginate
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.org.queries import subtree_ids
from portal.scheduling.models import TrainingSession
from portal.scheduling.queries import SessionFilters, filter_listing, session_listing
from portal.users.models import User


def waitlist_position_expr() -> ColumnElement[int | None]:
    """The 1-based waitlist place of the outer ``Enrollment`` row; NULL unless it is waitlisted.

    First come, first served: one more than the waitlisted entries of the same session
    with a smaller queue key. A correlated scalar subquery, so a list of enrolments gets
    every place in the same statement.
    """
    ahead = aliased(Enrollment)
    count_ahead = (
        select(func.count(ahead.id))
        .where(
            ahead.session_id == Enrollment.session_id,
            ahead.status == EnrollmentStatus.WAITLISTED,
            ahead.queue_key < Enrollment.queue_key,
        )
        .correlate(Enrollment)
        .scalar_subquery()
    )
    return case((Enrollment.status == EnrollmentStatus.WAITLISTED, count_ahead + 1), else_=None)


def with_session_and_course(stmt: Select) -> Select:
    """Join an Enrollment statement to its session and course, and load both from the join."""
    return (
        stmt.join(Enrollment.session)
        .join(TrainingSession.course)
        .options(contains_eager(Enrollment.session).contains_eager(TrainingSession.course))
    )


def course_slug_for_session(session_id: int) -> str | None:
    return db.session.scalar(
        select(Course.slug)
        .join(TrainingSession, TrainingSession.course_id == Course.id)
        .where(TrainingSession.id == session_id)
    )


def owned_enrollment_slug(enrollment_id: int, user_id: int) -> str | None:
    """The course slug of the user's own enrolment, or None when it is not theirs."""
    return db.session.scalar(
        select(Course.slug)
        .join(TrainingSession, TrainingSession.course_id == Course.id)
        .join(Enrollment, Enrollment.session_id == TrainingSession.id)
        .where(Enrollment.id == enrollment_id, Enrollment.user_id == user_id)
    )


# --- department-head approvals -----------------------------------------------------


def _requests_for(head: User) -> Select:
    return (
        with_session_and_course(select(Enrollment))
        .join(Enrollment.user)
        .outerjoin(User.department)
        .options(contains_eager(Enrollment.user).contains_eager(User.department))
        .where(
            Enrollment.status == EnrollmentStatus.REQUESTED,
            # A head's own request goes to the head above, or to a coordinator.
            User.id != head.id,
            User.department_id.in_(subtree_ids(head.department_id)),
        )
    )


def pending_approvals(head: User) -> list[Enrollment]:
    """Requests from people in the head's department and the departments below it (one query)."""
    if head.department_id is None:
        return []
    return list(
        db.session.scalars(
            _requests_for(head).order_by(TrainingSession.starts_at, Enrollment.created_at)
        )
    )


def is_in_heads_departments(head: User, enrollment_id: int) -> bool:
    """Whether the enrolment belongs to someone the head decides for (any status)."""
    if head.department_id is None:
        return False
    found = db.session.scalar(
        select(Enrollment.id)
        .join(User, User.id == Enrollment.user_id)
        .where(
            Enrollment.id == enrollment_id,
            User.id != head.id,
            User.department_id.in_(subtree_ids(head.department_id)),
        )
    )
    return found is not None


# --- the coordinator's session list ------------------------------------------------


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


def _count_of(status: EnrollmentStatus):
    return (
        select(func.count(Enrollment.id))
        .where(Enrollment.session_id == TrainingSession.id, Enrollment.status == status)
        .correlate(TrainingSession)
        .scalar_subquery()
    )


def _rows_stmt() -> Select:
    return session_listing(
        _count_of(EnrollmentStatus.WAITLISTED).label("waitlisted"),
        _count_of(EnrollmentStatus.REQUESTED).label("requested"),
    )


def _to_row(row) -> SessionRow:
    return SessionRow(
        session=row[0],
        course_title=row.course_title,
        instructor_name=row.instructor_name,
        waitlisted=row.waitlisted or 0,
        requested=row.requested or 0,
    )


def list_sessions(
    filters: SessionFilters, page: int, per_page: int = 25, *, instructor_id: int | None = None
) -> Page:
    """Sessions matching the filters, upcoming first (soonest first) then past (latest first).

    With instructor_id, only the sessions that person teaches (the instructor's 내 강의).
    One COUNT and one SELECT whatever the number of sessions or enrolments.
    """
    stmt = _rows_stmt()
    if instructor_id is not None:
        stmt = stmt.where(TrainingSession.instructor_id == instructor_id)
    stmt = filter_listing(stmt, filters, utcnow())
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
