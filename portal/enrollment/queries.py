"""Reading enrolments: waitlist places.

Each function issues a fixed number of statements, whatever the data size: waitlist
positions come from a correlated subquery in the same SELECT, and related rows are
loaded with joins (the relationships are lazy="raise", so a stray per-row query fails).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import aliased, contains_eager

from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.scheduling.models import TrainingSession


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
