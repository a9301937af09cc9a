"""The coordinator's (and admin's) working overview on the home page.

Four blocks, each a fixed number of aggregate statements whatever the data size:
sessions in the next two weeks with fill and waitlist, approvals waiting, every overdue
new appointee (paginated), and mail that failed. A coordinator scoped to a department
(COORDINATOR_DEPARTMENT_SCOPE) sees the people of that department and those below it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import (
    func,
    select,
    true,
)

from portal.attendance.models import (
    HoursEntry,
    HoursSource,
    HoursStatus,
)
from portal.core.clock import today_in_seoul, utcnow
from portal.core.pagination import Page, paginate
from portal.db import db
from portal.enrollment import queries as enrollment_queries
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.notifications import session_mail
from portal.reminders import queries as mandatory
from portal.reports import access
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.scheduling.queries import SessionFilters
from portal.users.models import Role, User

UPCOMING_DAYS = 14
UPCOMING_SHOWN = 20
OVERDUE_PER_PAGE = 20
FAILED_SESSIONS_SHOWN = 10


@dataclass(frozen=True)
class Approvals:
    enrolment_requests: int  # waiting for a department head, in sessions still ahead
    hours_pending: int  # outside-learning hours waiting for a coordinator


@dataclass(frozen=True)
class Overview:
    upcoming: Page  # items: enrollment.queries.SessionRow
    upcoming_from: dt.date
    upcoming_to: dt.date
    approvals: Approvals
    overdue: Page  # items: reminders.queries.MandatoryRow
    failed: session_mail.FailedMail
    scoped: bool


def _in(departments: set[int] | None, column):
    return true() if departments is None else column.in_(sorted(departments))


def approvals(departments: set[int] | None) -> Approvals:
    """Enrolment requests and outside-learning hours waiting, in one statement."""
    requests = (
        select(func.count(Enrollment.id))
        .join(TrainingSession, TrainingSession.id == Enrollment.session_id)
        .join(User, User.id == Enrollment.user_id)
        .where(
            Enrollment.status == EnrollmentStatus.REQUESTED,
            TrainingSession.status == SessionStatus.SCHEDULED,
            TrainingSession.starts_at > utcnow(),
            _in(departments, User.department_id),
        )
        .scalar_subquery()
    )
    hours = (
        select(func.count(HoursEntry.id))
        .join(User, User.id == HoursEntry.user_id)
        .where(
            HoursEntry.status == HoursStatus.PENDING,
            HoursEntry.source == HoursSource.EXTERNAL,
            _in(departments, User.department_id),
        )
        .scalar_subquery()
    )
    row = db.session.execute(select(requests, hours)).one()
    return Approvals(row[0] or 0, row[1] or 0)


def upcoming_sessions(today: dt.date) -> Page:
    """Scheduled sessions starting within the next two weeks, soonest first (two statements)."""
    filters = SessionFilters(
        status=SessionStatus.SCHEDULED,
        period="upcoming",
        from_on=today,
        to_on=today + dt.timedelta(days=UPCOMING_DAYS),
    )
    return enrollment_queries.list_sessions(filters, 1, per_page=UPCOMING_SHOWN)


def overdue_appointees(departments: set[int] | None, page: int) -> Page:
    """Every new appointee past a mandatory course's due date, one page at a time."""
    courses = mandatory.mandatory_courses()
    found = paginate(
        mandatory.overdue_everywhere(courses, departments), page, OVERDUE_PER_PAGE, scalars=False
    )
    rows = mandatory.overdue_rows(courses, found.items)
    return Page(items=rows, number=found.number, per_page=found.per_page, total=found.total)


def overview(user: User, overdue_page: int) -> Overview:
    """Everything the coordinator's home shows, in a fixed number of statements."""
    departments = access.allowed_departments(user)
    today = today_in_seoul()
    return Overview(
        upcoming=upcoming_sessions(today),
        upcoming_from=today,
        upcoming_to=today + dt.timedelta(days=UPCOMING_DAYS),
        approvals=approvals(departments),
        overdue=overdue_appointees(departments, overdue_page),
        failed=session_mail.failed_mail(
            departments, limit=FAILED_SESSIONS_SHOWN, include_all=user.role is Role.ADMIN
        ),
        scoped=departments is not None,
    )
