"""Per department: completion, learning hours against the target, mandatory compliance."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from sqlalchemy import case, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from portal.attendance.models import Completion, CompletionStatus, HoursYear
from portal.catalog.models import Course
from portal.core.clock import today_in_seoul
from portal.dashboards.filters import Filters
from portal.dashboards.queries.common import (
    ZERO,
    flag,
    has_completed,
    has_enrolled,
    in_staff,
    percent,
)
from portal.db import db
from portal.org.models import Department
from portal.users.models import User


def _rollup(department_id: int | None):
    """(dept_id, root_id): every department under the shown rows, with the row it counts in.

    The rows are the direct sub-departments of the filtered department (the top-level
    departments when none is chosen); each row counts its whole subtree.
    """
    if department_id is None:
        anchor = select(Department.id.label("dept_id"), Department.id.label("root_id")).where(
            Department.parent_id.is_(None)
        )
    else:
        anchor = select(Department.id.label("dept_id"), Department.id.label("root_id")).where(
            Department.parent_id == department_id
        )
    tree = anchor.cte("dashboard_rollup", recursive=True)
    child = aliased(Department)
    return tree.union(select(child.id, tree.c.root_id).where(child.parent_id == tree.c.dept_id))


def _row_key(tree, department_id: int | None):
    """The row a person counts in; people directly in the filtered department count in it."""
    if department_id is None:
        return tree.c.root_id
    return func.coalesce(tree.c.root_id, literal(department_id))


def expected_share(year: int, today: dt.date | None = None) -> Decimal:
    """The share of the year gone by on ``today`` (0 before it starts, 1 after it ends)."""
    today = today or today_in_seoul()
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if today < first:
        return ZERO
    if today >= last:
        return Decimal(1)
    return Decimal((today - first).days + 1) / Decimal((last - first).days + 1)


@dataclass(frozen=True)
class DepartmentRow:
    """One row of the department dashboard (a department with its sub-departments).

    * ``staff``: active accounts; ``enrolled`` / ``completed``: as in the funnel;
      completion rate = completed ÷ enrolled;
    * ``hours``: approved learning hours (상시학습) of the year of those staff, from every
      source (the course filter does not apply: the target is for all learning);
      ``hours_per_person`` = hours ÷ staff, against the annual target;
    * ``on_track``: staff whose approved hours of the year reach the target pro rata to the
      day (the whole target for a past year);
    * ``mandatory_due`` / ``mandatory_done``: (person, mandatory course) pairs of new
      appointees whose due date (appointment date + the course's period) fell in the period
      (the year, or the quarter) and before today, and of those the pairs already completed.

    With a quarter, enrolment and completion count that quarter's sessions; hours and
    "on track" stay annual, because the target is annual.
    """

    department_id: int | None
    name: str
    is_direct: bool  # the filtered department's own staff, outside its sub-departments
    staff: int = 0
    enrolled: int = 0
    completed: int = 0
    hours: Decimal = ZERO
    on_track: int = 0
    mandatory_due: int = 0
    mandatory_done: int = 0

    @property
    def completion_rate(self) -> float | None:
        return percent(self.completed, self.enrolled)

    @property
    def hours_per_person(self) -> Decimal | None:
        if not self.staff:
            return None
        return (self.hours / self.staff).quantize(Decimal("0.1"))

    @property
    def on_track_rate(self) -> float | None:
        return percent(self.on_track, self.staff)

    @property
    def compliance_rate(self) -> float | None:
        return percent(self.mandatory_done, self.mandatory_due)


@dataclass(frozen=True)
class DepartmentReport:
    rows: list[DepartmentRow]
    total: DepartmentRow
    target: int  # ANNUAL_LEARNING_HOURS_TARGET
    expected_hours: Decimal  # the target pro rata to today, for "on track"
    mandatory_courses: int  # mandatory courses counted (the course filter applies)


def _people_by_row(f: Filters, tree, key, expected: Decimal) -> dict:
    # Each person's approved hours of the year: the ledger's approved lines, summed
    # (kept by the application; see HoursYear).
    hours = (
        select(HoursYear.user_id, HoursYear.approved.label("hours"))
        .where(HoursYear.year == f.year)
        .subquery("approved_hours")
    )
    person_hours = func.coalesce(hours.c.hours, 0)
    stmt = (
        select(
            key.label("row"),
            func.count(User.id),
            flag(has_enrolled(f)),
            flag(has_completed(f)),
            func.coalesce(func.sum(hours.c.hours), 0),
            flag(person_hours >= expected),
        )
        .outerjoin(tree, tree.c.dept_id == User.department_id)
        .outerjoin(hours, hours.c.user_id == User.id)
        .where(in_staff(f))
        .group_by(key)
    )
    return {
        row[0]: (int(row[1]), int(row[2]), int(row[3]), Decimal(row[4]), int(row[5]))
        for row in db.session.execute(stmt)
    }


def _mandatory_courses(f: Filters) -> list[tuple[int, int]]:
    stmt = select(Course.id, Course.mandatory_within_days).where(
        Course.is_active, Course.is_mandatory_for_new
    )
    if f.course_id is not None:
        stmt = stmt.where(Course.id == f.course_id)
    return [(course_id, within or 0) for course_id, within in db.session.execute(stmt)]


def _mandatory_by_row(f: Filters, tree, key, courses, today: dt.date) -> dict:
    """{row: (due, done)} over every mandatory course, in one statement (UNION ALL)."""
    last_due = min(f.last_day, today - dt.timedelta(days=1))
    first_due = f.first_day
    parts = []
    for course_id, within in courses:
        if last_due < first_due:
            break
        shift = dt.timedelta(days=within)
        done = exists().where(
            Completion.user_id == User.id,
            Completion.course_id == course_id,
            Completion.status == CompletionStatus.COMPLETED,
        )
        parts.append(
            select(key.label("row"), case((done, 1), else_=0).label("done"))
            .select_from(User)
            .outerjoin(tree, tree.c.dept_id == User.department_id)
            .where(
                in_staff(f, f"dept_tree_{len(parts)}"),
                User.appointed_on.is_not(None),
                User.appointed_on <= today,
                User.appointed_on >= first_due - shift,
                User.appointed_on <= last_due - shift,
            )
        )
    if not parts:
        return {}
    pairs = union_all(*parts).subquery("mandatory_pairs")
    stmt = select(pairs.c.row, func.count(), func.coalesce(func.sum(pairs.c.done), 0)).group_by(
        pairs.c.row
    )
    return {row: (int(due), int(done)) for row, due, done in db.session.execute(stmt)}


def departments(f: Filters, today: dt.date | None = None) -> DepartmentReport:
    """Per department (the sub-departments of the filtered one): four statements."""
    today = today or today_in_seoul()
    target = int(current_app.config["ANNUAL_LEARNING_HOURS_TARGET"])
    expected = (Decimal(target) * expected_share(f.year, today)).quantize(Decimal("0.1"))
    tree = _rollup(f.department_id)
    key = _row_key(tree, f.department_id)
    names_stmt = select(Department.id, Department.name, Department.code)
    if f.department_id is None:
        names_stmt = names_stmt.where(Department.parent_id.is_(None))
    else:
        names_stmt = names_stmt.where(
            or_(Department.parent_id == f.department_id, Department.id == f.department_id)
        )
    names = {dept_id: (name, code) for dept_id, name, code in db.session.execute(names_stmt)}
    people = _people_by_row(f, tree, key, expected)
    courses = _mandatory_courses(f)
    mandatory = _mandatory_by_row(f, tree, key, courses, today)

    rows: list[DepartmentRow] = []
    children = sorted(
        (dept_id for dept_id in names if dept_id != f.department_id),
        key=lambda dept_id: names[dept_id][1],
    )
    for dept_id in [*children, f.department_id]:
        if dept_id not in people and dept_id not in mandatory and dept_id == f.department_id:
            continue  # no direct staff, or no "no department" accounts: no row
        staff, enrolled, completed, hours, on_track = people.get(dept_id, (0, 0, 0, ZERO, 0))
        due, done = mandatory.get(dept_id, (0, 0))
        name = names[dept_id][0] if dept_id in names else ""
        rows.append(
            DepartmentRow(
                dept_id,
                name,
                is_direct=dept_id == f.department_id,
                staff=staff,
                enrolled=enrolled,
                completed=completed,
                hours=hours,
                on_track=on_track,
                mandatory_due=due,
                mandatory_done=done,
            )
        )
    total = DepartmentRow(
        f.department_id,
        names[f.department_id][0] if f.department_id in names else "",
        is_direct=False,
        staff=sum(r.staff for r in rows),
        enrolled=sum(r.enrolled for r in rows),
        completed=sum(r.completed for r in rows),
        hours=sum((r.hours for r in rows), ZERO),
        on_track=sum(r.on_track for r in rows),
        mandatory_due=sum(r.mandatory_due for r in rows),
        mandatory_done=sum(r.mandatory_done for r in rows),
    )
    return DepartmentReport(rows, total, target, expected, len(courses))
