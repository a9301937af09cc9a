"""The tables behind each export: SQL that reads only the columns it writes.

Each builder returns a :class:`Table` (headers, rows). Headers go through ``gettext``:
Korean by default, English for a user who chose English. No builder reads conversation
text: the sandbox usage export reads only the usage counters.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, and_, case, func, literal_column, select

from portal.assistant.models import UsageCounter
from portal.assistant.workspace.quotas import DEPT_MONTH, USER_DAY
from portal.attendance.models import (
    AttendanceMark,
    AttendanceStatus,
    Completion,
    CompletionStatus,
    HoursEntry,
    HoursSource,
    HoursStatus,
)
from portal.attendance.schedule import session_days
from portal.catalog.models import Course
from portal.core.clock import SEOUL, today_in_seoul
from portal.db import db
from portal.enrollment.models import ACTIVE, Enrollment, EnrollmentStatus
from portal.enrollment.queries import waitlist_position_expr
from portal.org.models import Department
from portal.org.queries import subtree_ids
from portal.reminders.queries import due_on as mandatory_due_on
from portal.scheduling.models import TrainingSession
from portal.users.models import User

Cell = str | int | Decimal | dt.date | dt.datetime | None


@dataclass
class Table:
    headers: list[str]
    rows: list[Sequence[Cell]] = field(default_factory=list)


@dataclass(frozen=True)
class ExportFilters:
    """What the coordinator asked for; None means "all"."""

    year: int | None = None
    department_id: int | None = None
    course_id: int | None = None

    def as_details(self) -> dict[str, int]:
        return {k: v for k, v in vars(self).items() if v is not None}


def _status_labels() -> dict[str, str]:
    return {
        EnrollmentStatus.REQUESTED: _("승인 대기"),
        EnrollmentStatus.ENROLLED: _("확정"),
        EnrollmentStatus.WAITLISTED: _("대기"),
        EnrollmentStatus.CANCELLED: _("취소"),
        EnrollmentStatus.DECLINED: _("반려"),
    }


def _attendance_labels() -> dict[str, str]:
    return {
        AttendanceStatus.PRESENT: _("출석"),
        AttendanceStatus.LATE: _("지각"),
        AttendanceStatus.EXCUSED: _("공결"),
        AttendanceStatus.ABSENT: _("결석"),
    }


def _completion_labels() -> dict[str, str]:
    return {
        CompletionStatus.COMPLETED: _("수료"),
        CompletionStatus.PENDING: _("진행 중"),
        CompletionStatus.NOT_COMPLETED: _("미수료"),
    }


def _seoul(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.astimezone(SEOUL) if moment is not None else None


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(year, 1, 1, tzinfo=SEOUL).astimezone(dt.UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=SEOUL).astimezone(dt.UTC)
    return start, end


def _in_departments(column, department_id: int | None):
    """``column`` within the department and its sub-departments (no condition for None)."""
    if department_id is None:
        return None
    return column.in_(subtree_ids(department_id))


def _where(stmt: Select, *conditions) -> Select:
    kept = [c for c in conditions if c is not None]
    return stmt.where(*kept) if kept else stmt


def _person_headers() -> list[str]:
    return [_("사번"), _("이름"), _("부서"), _("직급")]


# ----------------------------------------------------------------------- one session


def session_roster(session: TrainingSession, department_id: int | None) -> Table:
    labels = _status_labels()
    stmt = (
        select(
            User.employee_number,
            User.name,
            Department.name,
            User.grade,
            Enrollment.status,
            waitlist_position_expr(),
            Enrollment.created_at,
        )
        .join(User, User.id == Enrollment.user_id)
        .outerjoin(Department, Department.id == User.department_id)
        .order_by(
            case((Enrollment.status == EnrollmentStatus.ENROLLED, 0), else_=1),
            Enrollment.queue_key,
        )
    )
    stmt = _where(
        stmt,
        Enrollment.session_id == session.id,
        Enrollment.status.in_(ACTIVE),
        _in_departments(User.department_id, department_id),
    )
    table = Table([*_person_headers(), _("상태"), _("대기 순번"), _("신청 일시")])
    for number, name, dept, grade, status, position, created in db.session.execute(stmt):
        table.rows.append(
            (number, name, dept or "", grade, labels[status], position, _seoul(created))
        )
    return table


def session_attendance(session: TrainingSession, department_id: int | None) -> Table:
    days = [day.day for day in session_days(session)]
    people_stmt = (
        select(User.id, User.employee_number, User.name, Department.name, User.grade)
        .join(Enrollment, Enrollment.user_id == User.id)
        .outerjoin(Department, Department.id == User.department_id)
        .order_by(User.name, User.employee_number)
    )
    people_stmt = _where(
        people_stmt,
        Enrollment.session_id == session.id,
        Enrollment.status == EnrollmentStatus.ENROLLED,
        _in_departments(User.department_id, department_id),
    )
    people = db.session.execute(people_stmt).all()
    marks: dict[tuple[int, dt.date], AttendanceStatus] = {
        (user_id, day): status
        for user_id, day, status in db.session.execute(
            select(AttendanceMark.user_id, AttendanceMark.day, AttendanceMark.status).where(
                AttendanceMark.session_id == session.id
            )
        )
    }
    completions = {
        user_id: (status, hours)
        for user_id, status, hours in db.session.execute(
            select(Completion.user_id, Completion.status, Completion.attended_hours).where(
                Completion.session_id == session.id
            )
        )
    }
    mark_labels, completion_labels = _attendance_labels(), _completion_labels()
    table = Table(
        [
            *_person_headers(),
            *(day.isoformat() for day in days),
            _("수료 여부"),
            _("출석 시간"),
        ]
    )
    for user_id, number, name, dept, grade in people:
        status, hours = completions.get(user_id, (None, None))
        table.rows.append(
            (
                number,
                name,
                dept or "",
                grade,
                *(mark_labels.get(marks.get((user_id, day)), "") for day in days),
                completion_labels[status] if status else _("미판정"),
                hours,
            )
        )
    return table


# ----------------------------------------------------------------------- across sessions


def completions(filters: ExportFilters) -> Table:
    stmt = (
        select(
            Course.title,
            TrainingSession.round_number,
            TrainingSession.starts_at,
            User.employee_number,
            User.name,
            Department.name,
            User.grade,
            Completion.hours_awarded,
            Completion.completed_at,
        )
        .join(Course, Course.id == Completion.course_id)
        .join(TrainingSession, TrainingSession.id == Completion.session_id)
        .join(User, User.id == Completion.user_id)
        .outerjoin(Department, Department.id == User.department_id)
        .order_by(Course.sort_order, Course.title, TrainingSession.starts_at, User.name)
    )
    year_condition = None
    if filters.year is not None:
        start, end = _year_bounds(filters.year)
        year_condition = and_(Completion.completed_at >= start, Completion.completed_at < end)
    stmt = _where(
        stmt,
        Completion.status == CompletionStatus.COMPLETED,
        year_condition,
        Completion.course_id == filters.course_id if filters.course_id else None,
        _in_departments(User.department_id, filters.department_id),
    )
    table = Table(
        [
            _("과정"),
            _("차수"),
            _("시작일"),
            *_person_headers(),
            _("인정 시간"),
            _("수료 일시"),
        ]
    )
    for title, round_number, starts, number, name, dept, grade, hours, done in db.session.execute(
        stmt
    ):
        table.rows.append(
            (
                title,
                round_number,
                starts.astimezone(SEOUL).date(),
                number,
                name,
                dept or "",
                grade,
                hours,
                _seoul(done),
            )
        )
    return table


def learning_hours(filters: ExportFilters) -> Table:
    year = filters.year or today_in_seoul().year
    target = Decimal(current_app.config["ANNUAL_LEARNING_HOURS_TARGET"])

    def total(source: HoursSource | None, status: HoursStatus):
        condition = HoursEntry.status == status
        if source is not None:
            condition = and_(condition, HoursEntry.source == source)
        return func.coalesce(func.sum(case((condition, HoursEntry.hours), else_=0)), 0)

    stmt = (
        select(
            User.employee_number,
            User.name,
            Department.name,
            User.grade,
            total(HoursSource.PORTAL, HoursStatus.APPROVED),
            total(HoursSource.EXTERNAL, HoursStatus.APPROVED),
            total(None, HoursStatus.PENDING),
        )
        .outerjoin(HoursEntry, and_(HoursEntry.user_id == User.id, HoursEntry.year == year))
        .outerjoin(Department, Department.id == User.department_id)
        .group_by(User.id, User.employee_number, User.name, Department.name, User.grade)
        .order_by(Department.name, User.name, User.employee_number)
    )
    stmt = _where(stmt, User.is_active, _in_departments(User.department_id, filters.department_id))
    table = Table(
        [
            *_person_headers(),
            _("인정 시간(포털)"),
            _("인정 시간(외부)"),
            _("승인 대기 시간"),
            _("목표 시간"),
            _("목표 달성"),
        ]
    )
    for number, name, dept, grade, portal_hours, external, pending in db.session.execute(stmt):
        portal_hours, external, pending = (
            Decimal(portal_hours),
            Decimal(external),
            Decimal(pending),
        )
        met = portal_hours + external >= target
        table.rows.append(
            (
                number,
                name,
                dept or "",
                grade,
                portal_hours,
                external,
                pending,
                target,
                _("달성") if met else _("미달"),
            )
        )
    return table


def compliance(filters: ExportFilters) -> Table:
    """New appointees against every mandatory course: 수료, 신청, 미수료 or 미신청, and overdue."""
    today = today_in_seoul()
    year = filters.year or today.year
    courses = db.session.execute(
        _where(
            select(Course.id, Course.title, Course.mandatory_within_days).order_by(
                Course.sort_order, Course.title
            ),
            Course.is_active,
            Course.is_mandatory_for_new,
            Course.id == filters.course_id if filters.course_id else None,
        )
    ).all()
    people = db.session.execute(
        _where(
            select(
                User.id,
                User.employee_number,
                User.name,
                Department.name,
                User.grade,
                User.appointed_on,
            )
            .outerjoin(Department, Department.id == User.department_id)
            .order_by(User.appointed_on, User.name),
            User.is_active,
            User.appointed_on >= dt.date(year, 1, 1),
            User.appointed_on <= dt.date(year, 12, 31),
            _in_departments(User.department_id, filters.department_id),
        )
    ).all()
    course_ids = [c.id for c in courses]
    user_ids = [p.id for p in people]
    done: dict[tuple[int, int], set[str]] = defaultdict(set)
    applied: set[tuple[int, int]] = set()
    if course_ids and user_ids:
        for user_id, course_id, status in db.session.execute(
            select(Completion.user_id, Completion.course_id, Completion.status).where(
                Completion.course_id.in_(course_ids), Completion.user_id.in_(user_ids)
            )
        ):
            done[(user_id, course_id)].add(status)
        for user_id, course_id in db.session.execute(
            select(Enrollment.user_id, TrainingSession.course_id)
            .join(TrainingSession, TrainingSession.id == Enrollment.session_id)
            .where(
                TrainingSession.course_id.in_(course_ids),
                Enrollment.user_id.in_(user_ids),
                Enrollment.status.in_(ACTIVE),
            )
        ):
            applied.add((user_id, course_id))
    table = Table(
        [
            *_person_headers(),
            _("임용일"),
            _("과정"),
            _("이수 기한"),
            _("상태"),
            _("기한 경과"),
        ]
    )
    for person in people:
        for course in courses:
            due = (
                mandatory_due_on(course, person.appointed_on)
                if course.mandatory_within_days
                else None
            )
            statuses = done.get((person.id, course.id), set())
            if CompletionStatus.COMPLETED in statuses:
                status = _("수료")
            elif (person.id, course.id) in applied:
                status = _("신청")
            elif statuses:
                status = _("미수료")
            else:
                status = _("미신청")
            finished = CompletionStatus.COMPLETED in statuses
            overdue = due is not None and not finished and today > due
            table.rows.append(
                (
                    person.employee_number,
                    person.name,
                    person[3] or "",
                    person.grade,
                    person.appointed_on,
                    course.title,
                    due,
                    status,
                    _("경과") if overdue else "",
                )
            )
    return table


def sandbox_usage(filters: ExportFilters) -> Table:
    """Per department and month: people who used the sandbox, messages and tokens.

    Read from the usage counters only; no conversation is opened.
    """
    year = filters.year or today_in_seoul().year
    prefix = f"{year:04d}-"
    dept_filter = _in_departments(Department.id, filters.department_id)
    monthly = db.session.execute(
        _where(
            select(
                Department.id,
                Department.name,
                UsageCounter.period,
                UsageCounter.messages,
                UsageCounter.tokens,
            )
            .join(Department, Department.id == UsageCounter.subject_id)
            .order_by(Department.name, UsageCounter.period),
            UsageCounter.scope == DEPT_MONTH,
            UsageCounter.period.startswith(prefix),
            dept_filter,
        )
    ).all()
    # Literal positions, so PostgreSQL sees the same expression in SELECT and GROUP BY.
    month_of = func.substr(UsageCounter.period, literal_column("1"), literal_column("7"))
    users: dict[tuple[int, str], int] = {}
    for dept_id, month, count in db.session.execute(
        _where(
            select(
                User.department_id,
                month_of,
                func.count(func.distinct(UsageCounter.subject_id)),
            )
            .join(User, User.id == UsageCounter.subject_id)
            .group_by(User.department_id, month_of),
            UsageCounter.scope == USER_DAY,
            UsageCounter.period.startswith(prefix),
            _in_departments(User.department_id, filters.department_id),
        )
    ):
        users[(dept_id, month)] = count
    table = Table([_("부서"), _("월"), _("사용자 수"), _("메시지 수"), _("토큰 수")])
    for dept_id, name, month, messages, tokens in monthly:
        table.rows.append((name, month, users.get((dept_id, month), 0), messages, tokens))
    return table
