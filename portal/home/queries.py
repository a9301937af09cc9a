"""Figures shown on the role home pages; each is one aggregate query."""

from __future__ import annotations

import datetime as dt
import enum
import functools
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, func, inspect, select
from sqlalchemy.orm import joinedload

from portal.attendance.models import Completion, CompletionStatus
from portal.audit import present
from portal.audit.models import AuditEntry
from portal.catalog.models import Course
from portal.core.clock import today_in_seoul, utcnow
from portal.core.rows import one_of, read_rows
from portal.db import UTCDateTime, db
from portal.enrollment.models import ACTIVE, Enrollment, EnrollmentStatus
from portal.learning.queries import CourseLink
from portal.org.models import Department
from portal.scheduling.models import SessionStatus, TrainingSession
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


def recent_audit(limit: int = 8) -> list[tuple[AuditEntry, present.Readable]]:
    """The latest entries, each with its readable labels and names."""
    entries = list(
        db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))
    )
    return list(zip(entries, present.readable(entries), strict=True))


def user_with_department(user_id: int) -> User:
    """The user with their department; no query when this request already loaded both."""
    session = db.session
    known = session.identity_map.get(session.identity_key(User, user_id))
    if known is not None:
        state = inspect(known)
        # The loaded attributes are the instance's dict (cheaper than `state.unloaded`,
        # which builds the set of every attribute not loaded).
        if not state.deleted and "department" in state.dict:
            return known
    return db.session.scalars(
        select(User).options(joinedload(User.department)).where(User.id == user_id)
    ).one()


def days_since_appointment(user: User) -> int | None:
    if user.appointed_on is None:
        return None
    return (today_in_seoul() - user.appointed_on).days


class MandatoryState(enum.StrEnum):
    """Where a person stands with a mandatory course, as the home page shows it."""

    COMPLETED = "completed"  # 수료: a completion of any session of the course
    IN_PROGRESS = (
        "in_progress"  # 진행 중: a session under way, ended but not yet judged, or pending
    )
    APPLIED = "applied"  # 신청함: a place in a session still ahead
    NOT_COMPLETED = "not_completed"  # 미수료: took a session and did not complete it
    TO_APPLY = "to_apply"  # 신청 필요 (or 기한 지남): nothing yet


@dataclass(frozen=True)
class MandatoryDue:
    course: CourseLink
    due_on: dt.date
    is_overdue: bool
    state: MandatoryState

    @property
    def has_place(self) -> bool:
        """Enrolled, waitlisted or awaiting approval in a session still ahead or under way."""
        return self.state in (MandatoryState.APPLIED, MandatoryState.IN_PROGRESS)


def _completion_exists(*statuses: CompletionStatus):
    return (
        select(Completion.id)
        .where(
            Completion.user_id == bindparam("user_id"),
            Completion.course_id == Course.id,
            one_of(Completion.status, statuses),
        )
        .exists()
    )


@functools.cache
def _mandatory_courses() -> Select:
    # Built once with the person and the time as parameters: statement construction costs
    # more than the query on this page, which every new appointee opens.
    now = bindparam("now", type_=UTCDateTime())
    placed = (
        select(Enrollment.id)
        .join(TrainingSession, TrainingSession.id == Enrollment.session_id)
        .where(
            TrainingSession.course_id == Course.id,
            TrainingSession.status != SessionStatus.CANCELLED,
            Enrollment.user_id == bindparam("user_id"),
            one_of(Enrollment.status, ACTIVE),
        )
    )
    ahead = placed.where(TrainingSession.starts_at > now).exists()
    # Under way, or ended with the enrolment not yet judged.
    under_way = placed.where(
        TrainingSession.starts_at <= now,
        Enrollment.status == EnrollmentStatus.ENROLLED,
        ~select(Completion.id)
        .where(
            Completion.session_id == Enrollment.session_id,
            Completion.user_id == Enrollment.user_id,
        )
        .exists(),
    ).exists()
    # Only the columns the page shows, not Course objects: this runs on every visit of a
    # new appointee's home page, and loading entities cost more than the columns.
    return (
        select(
            Course.slug,
            Course.title,
            Course.mandatory_within_days,
            _completion_exists(CompletionStatus.COMPLETED),
            _completion_exists(CompletionStatus.PENDING),
            under_way,
            ahead,
            _completion_exists(CompletionStatus.NOT_COMPLETED),
        )
        .where(Course.is_active, Course.is_mandatory_for_new)
        .order_by(Course.sort_order, Course.title)
    )


def _state(completed, pending, under_way, ahead, not_completed) -> MandatoryState:
    if completed:
        return MandatoryState.COMPLETED
    if pending or under_way:
        return MandatoryState.IN_PROGRESS
    if ahead:
        return MandatoryState.APPLIED
    if not_completed:
        return MandatoryState.NOT_COMPLETED
    return MandatoryState.TO_APPLY


def mandatory_due(user: User) -> list[MandatoryDue]:
    """Courses mandatory for new appointees and where this person stands (one statement)."""
    if user.appointed_on is None:
        return []
    rows = read_rows(_mandatory_courses(), {"user_id": user.id, "now": utcnow()})
    today = today_in_seoul()
    out = []
    for slug, title, within_days, *flags in rows:
        due_on = user.appointed_on + dt.timedelta(days=within_days or 0)
        # Only people still inside (or within a year past) their new-appointee period owe it here.
        if due_on < today - dt.timedelta(days=365):
            continue
        state = _state(*(bool(flag) for flag in flags))
        overdue = due_on < today and state is not MandatoryState.COMPLETED
        out.append(MandatoryDue(CourseLink(slug, title), due_on, overdue, state))
    return out
