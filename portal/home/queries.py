"""Figures shown on the role home pages; each is one aggregate query."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, func, inspect, select
from sqlalchemy.orm import joinedload

from portal.audit.models import AuditEntry
from portal.catalog.models import Course
from portal.core.clock import today_in_seoul
from portal.db import db
from portal.enrollment.models import ACTIVE, Enrollment
from portal.org.models import Department
from portal.scheduling.models import TrainingSession
from portal.users.models import Role, User


@dataclass(frozen=True)
class OrgFigures:
    active_staff: int
    departments: int
    new_appointees: int
    by_role: dict[str, int]


def org_figures(new_appointee_days: int) -> OrgFigures:
    """Head counts for the coordinator and admin home pages."""
    since = today_in_seoul() - dt.timedelta(days=new_appointee_days)
    row = db.session.execute(
        select(
            func.count(User.id).filter(User.is_active),
            func.count(User.id).filter(User.is_active, User.appointed_on >= since),
        )
    ).one()
    departments = db.session.scalar(select(func.count(Department.id)).where(Department.is_active))
    by_role = dict(
        db.session.execute(
            select(User.role, func.count(User.id)).where(User.is_active).group_by(User.role)
        ).all()
    )
    return OrgFigures(
        active_staff=row[0],
        departments=departments or 0,
        new_appointees=row[1],
        by_role={role.value: by_role.get(role, 0) for role in Role},
    )


def recent_new_appointees(new_appointee_days: int, limit: int = 10) -> list[User]:
    since = today_in_seoul() - dt.timedelta(days=new_appointee_days)
    return list(
        db.session.scalars(
            select(User)
            .options(joinedload(User.department))
            .where(User.is_active, User.appointed_on >= since)
            .order_by(User.appointed_on.desc(), User.id)
            .limit(limit)
        )
    )


def recent_audit(limit: int = 8) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))


def user_with_department(user_id: int) -> User:
    """The user with their department; no query when this request already loaded both."""
    session = db.session
    known = session.identity_map.get(session.identity_key(User, user_id))
    if known is not None:
        state = inspect(known)
        if not state.deleted and "department" not in state.unloaded:
            return known
    return db.session.scalars(
        select(User).options(joinedload(User.department)).where(User.id == user_id)
    ).one()


def days_since_appointment(user: User) -> int | None:
    if user.appointed_on is None:
        return None
    return (today_in_seoul() - user.appointed_on).days


@dataclass(frozen=True)
class MandatoryDue:
    course: Course
    due_on: dt.date
    is_overdue: bool
    has_place: bool  # enrolled, waitlisted or awaiting approval in a session of the course


@functools.cache
def _mandatory_courses() -> Select[tuple[Course, bool]]:
    # Built once with the person as a parameter: statement construction costs more than the
    # query on this page, which every new appointee opens.
    has_place = (
        select(Enrollment.id)
        .join(TrainingSession, TrainingSession.id == Enrollment.session_id)
        .where(
            TrainingSession.course_id == Course.id,
            Enrollment.user_id == bindparam("user_id"),
            Enrollment.status.in_(ACTIVE),
        )
        .exists()
    )
    return (
        select(Course, has_place)
        .where(Course.is_active, Course.is_mandatory_for_new)
        .order_by(Course.sort_order, Course.title)
    )


def mandatory_due(user: User) -> list[MandatoryDue]:
    """Courses mandatory for new appointees that this person still owes (one statement)."""
    if user.appointed_on is None:
        return []
    rows = db.session.execute(_mandatory_courses(), {"user_id": user.id}).all()
    today = today_in_seoul()
    out = []
    for course, placed in rows:
        due_on = user.appointed_on + dt.timedelta(days=course.mandatory_within_days or 0)
        # Only people still inside (or within a year past) their new-appointee period owe it here.
        if due_on < today - dt.timedelta(days=365):
            continue
        out.append(MandatoryDue(course, due_on, due_on < today, bool(placed)))
    return out
