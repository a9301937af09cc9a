"""Who owes which mandatory course for new appointees, and where they stand.

A person owes a course marked ``is_mandatory_for_new`` when they are active and were
appointed on or before today; the due date is ``appointed_on + mandatory_within_days``.
As on the staff home page, people more than a year past the due date are no longer listed.

Status, read in the same statement as the people:

* 수료 (COMPLETED): a COMPLETED completion of any session of the course;
* 신청함 (APPLIED): a place (enrolled, waitlisted or awaiting approval) in a session of the
  course not yet judged, or a completion PENDING on a survey or exercise;
* 미신청 (NONE): neither.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import Select, case, exists, literal, literal_column, or_, select, union_all
from sqlalchemy.orm import joinedload

from portal.attendance.models import Completion, CompletionStatus
from portal.catalog.models import Course
from portal.core.clock import today_in_seoul, utcnow
from portal.db import db
from portal.enrollment.models import ACTIVE, Enrollment
from portal.org.models import Department
from portal.org.queries import subtree_ids
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.users.models import User

LISTED_DAYS_PAST_DUE = 365
DUE_SOON_DAYS = 14  # the page's "due soon" tab


class MandatoryStatus(enum.StrEnum):
    COMPLETED = "completed"
    APPLIED = "applied"
    NONE = "none"


class Tab(enum.StrEnum):
    ALL = "all"
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"


@dataclass(frozen=True)
class MandatoryRow:
    user: User
    course: Course
    due_on: dt.date
    status: MandatoryStatus
    today: dt.date

    @property
    def days_left(self) -> int:
        return (self.due_on - self.today).days

    @property
    def is_overdue(self) -> bool:
        return self.status is not MandatoryStatus.COMPLETED and self.days_left < 0


def mandatory_courses() -> list[Course]:
    return list(
        db.session.scalars(
            select(Course)
            .where(Course.is_active, Course.is_mandatory_for_new)
            .order_by(Course.sort_order, Course.title, Course.id)
        )
    )


def _completed(course_id: int):
    return exists().where(
        Completion.user_id == User.id,
        Completion.course_id == course_id,
        Completion.status == CompletionStatus.COMPLETED,
    )


def _status_column(course_id: int):
    """수료, 신청함 (a pending completion, or an open place in a session of the course not yet
    judged) or 미신청.

    The open place is looked up among the person's own enrolments (a few, by index), each
    one's session read by its key, rather than by probing the enrolments once per session
    of the course: at 200,000 enrolments that was the difference between about 400 ms and
    80 ms for the coordinator home's overdue list on SQLite.
    """
    pending = exists().where(
        Completion.user_id == User.id,
        Completion.course_id == course_id,
        Completion.status == CompletionStatus.PENDING,
    )
    of_course = exists().where(
        TrainingSession.id == Enrollment.session_id,
        TrainingSession.course_id == course_id,
        TrainingSession.status != SessionStatus.CANCELLED,
    )
    judged = exists().where(
        Completion.session_id == Enrollment.session_id,
        Completion.user_id == Enrollment.user_id,
    )
    open_place = exists().where(
        Enrollment.user_id == User.id, Enrollment.status.in_(ACTIVE), of_course, ~judged
    )
    return case(
        (_completed(course_id), literal(MandatoryStatus.COMPLETED.value)),
        (or_(pending, open_place), literal(MandatoryStatus.APPLIED.value)),
        else_=literal(MandatoryStatus.NONE.value),
    ).label("mandatory_status")


def people_statement(
    course: Course,
    *,
    due_from: dt.date | None = None,
    due_to: dt.date | None = None,
    statuses: tuple[MandatoryStatus, ...] | None = None,
    department_id: int | None = None,
    include_sub: bool = True,
    today: dt.date | None = None,
) -> Select:
    """People owing ``course`` (with their status), due between the dates (inclusive)."""
    today = today or today_in_seoul()
    within = dt.timedelta(days=course.mandatory_within_days or 0)
    earliest_due = today - dt.timedelta(days=LISTED_DAYS_PAST_DUE)
    due_from = max(due_from or earliest_due, earliest_due)
    status = _status_column(course.id)
    stmt = select(User, status).where(
        User.is_active,
        User.appointed_on.is_not(None),
        User.appointed_on <= today,
        User.appointed_on >= due_from - within,
    )
    if due_to is not None:
        stmt = stmt.where(User.appointed_on <= due_to - within)
    if department_id is not None:
        if include_sub:
            stmt = stmt.where(User.department_id.in_(subtree_ids(department_id)))
        else:
            stmt = stmt.where(User.department_id == department_id)
    if statuses and set(statuses) == set(NOT_DONE):
        # "Not completed" by itself, rather than the whole status computed a second time.
        stmt = stmt.where(~_completed(course.id))
    elif statuses:
        stmt = stmt.where(status.in_([s.value for s in statuses]))
    return stmt


def rows(course: Course, stmt: Select, today: dt.date | None = None) -> list[MandatoryRow]:
    today = today or today_in_seoul()
    return [
        MandatoryRow(
            user, course, due_on(course, user.appointed_on), MandatoryStatus(status), today
        )
        for user, status in db.session.execute(stmt.options(joinedload(User.department)))
    ]


NOT_DONE = (MandatoryStatus.APPLIED, MandatoryStatus.NONE)


def due_on(course: Course, appointed_on: dt.date) -> dt.date:
    """The day a person appointed on ``appointed_on`` must have completed ``course``."""
    return appointed_on + dt.timedelta(days=course.mandatory_within_days or 0)


def overdue_statement(
    course: Course,
    department_id: int | None = None,
    include_sub: bool = True,
    *,
    today: dt.date | None = None,
) -> Select:
    """People past their due date for ``course`` who have not completed it."""
    today = today or today_in_seoul()
    return people_statement(
        course,
        due_to=today - dt.timedelta(days=1),
        statuses=NOT_DONE,
        department_id=department_id,
        include_sub=include_sub,
        today=today,
    )


def overdue_everywhere(courses: list[Course], departments: set[int] | None = None) -> Select:
    """Everyone overdue on any of ``courses``, as (user_id, course_id, status) rows.

    One UNION ALL of each course's overdue list, in course order and then by appointment
    date (the due date's order within a course). ``departments`` limits it to those
    departments (a scoped coordinator); None means everyone.
    """
    today = today_in_seoul()
    parts = []
    for order, course in enumerate(courses):
        stmt = overdue_statement(course, today=today)
        if departments is not None:
            stmt = stmt.where(User.department_id.in_(sorted(departments)))
        status = stmt.selected_columns["mandatory_status"]
        parts.append(
            stmt.with_only_columns(
                User.id.label("user_id"),
                # Plain integers written into the SQL: bound parameters in a UNION's select
                # list have no type on PostgreSQL.
                literal_column(str(int(course.id))).label("course_id"),
                status.label("status"),
                literal_column(str(order)).label("course_order"),
                User.appointed_on.label("appointed_on"),
                User.employee_number.label("employee_number"),
            )
        )
    if not parts:
        return select(literal_column("0").label("user_id")).where(literal(False))
    union = union_all(*parts).subquery()
    return select(union.c.user_id, union.c.course_id, union.c.status).order_by(
        union.c.course_order, union.c.appointed_on, union.c.employee_number, union.c.user_id
    )


def overdue_rows(courses: list[Course], items, today: dt.date | None = None) -> list[MandatoryRow]:
    """MandatoryRows for (user_id, course_id, status) rows, the people read in one query."""
    today = today or today_in_seoul()
    items = list(items)
    if not items:
        return []
    by_course = {course.id: course for course in courses}
    people = {
        user.id: user
        for user in db.session.scalars(
            select(User)
            .options(joinedload(User.department))
            .where(User.id.in_({user_id for user_id, _c, _s in items}))
        )
    }
    out = []
    for user_id, course_id, status in items:
        user, course = people[user_id], by_course[course_id]
        out.append(
            MandatoryRow(
                user, course, due_on(course, user.appointed_on), MandatoryStatus(status), today
            )
        )
    return out


def tab_statement(course: Course, tab: Tab, department_id: int | None, include_sub: bool) -> Select:
    """The compliance page's list: everyone, the overdue, or those due within 14 days."""
    today = today_in_seoul()
    if tab is Tab.OVERDUE:
        stmt = overdue_statement(course, department_id, include_sub, today=today)
    elif tab is Tab.DUE_SOON:
        stmt = people_statement(
            course,
            due_from=today,
            due_to=today + dt.timedelta(days=DUE_SOON_DAYS),
            statuses=NOT_DONE,
            department_id=department_id,
            include_sub=include_sub,
        )
    else:
        stmt = people_statement(course, department_id=department_id, include_sub=include_sub)
    return stmt.options(joinedload(User.department)).order_by(
        User.appointed_on, User.employee_number, User.id
    )


def next_session_with_seats(course_id: int) -> TrainingSession | None:
    """The soonest scheduled, not yet started session of the course with a free seat."""
    candidates = db.session.scalars(
        select(TrainingSession)
        .options(joinedload(TrainingSession.course))
        .where(
            TrainingSession.course_id == course_id,
            TrainingSession.status == SessionStatus.SCHEDULED,
            TrainingSession.starts_at > utcnow(),
        )
        .order_by(TrainingSession.starts_at, TrainingSession.id)
    )
    for session in candidates:
        if session.seats_left > 0:
            return session
    return None


def departments() -> list[Department]:
    return list(
        db.session.scalars(select(Department).where(Department.is_active).order_by(Department.code))
    )


def rows_from(course: Course, items, today: dt.date | None = None) -> list[MandatoryRow]:
    """MandatoryRows from (User, status) rows already read (a page of tab_statement)."""
    today = today or today_in_seoul()
    return [
        MandatoryRow(
            user, course, due_on(course, user.appointed_on), MandatoryStatus(status), today
        )
        for user, status in items
    ]
