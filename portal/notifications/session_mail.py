"""A training session's mail, as its coordinators see it (차수 메일 발송 현황).

Messages whose outbox row names the session, with the recipient's name and department.
A coordinator scoped to a department (COORDINATOR_DEPARTMENT_SCOPE) sees only the mail of
people in that department and those below it. Seeing who was mailed is personal data, so
the page view is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, func, select

from portal.audit.operations import record
from portal.catalog.models import Course
from portal.core.pagination import Page, paginate
from portal.db import db
from portal.notifications.models import OutboxMessage, OutboxStatus
from portal.org.models import Department
from portal.scheduling.models import TrainingSession
from portal.users.models import User

PER_PAGE = 25


@dataclass(frozen=True)
class SessionMail:
    page: Page  # items: (OutboxMessage, recipient name or None, department name or None)
    counts: dict[OutboxStatus, int]


def _scoped(stmt: Select, departments: set[int] | None) -> Select:
    if departments is None:
        return stmt
    return stmt.where(User.department_id.in_(sorted(departments)))


def _base(session_id: int, departments: set[int] | None, *columns) -> Select:
    stmt = (
        select(*columns)
        .select_from(OutboxMessage)
        .outerjoin(User, User.id == OutboxMessage.user_id)
        .where(OutboxMessage.session_id == session_id)
    )
    return _scoped(stmt, departments)


def session_mail(session_id: int, page: int, departments: set[int] | None) -> SessionMail:
    """One page of the session's mail, newest first, and its totals (three statements)."""
    stmt = (
        _base(session_id, departments, OutboxMessage, User.name, Department.name)
        .outerjoin(Department, Department.id == User.department_id)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    )
    listed = paginate(stmt, page, PER_PAGE, scalars=False)
    counts = {status: 0 for status in OutboxStatus}
    grouped = _base(
        session_id, departments, OutboxMessage.status, func.count(OutboxMessage.id)
    ).group_by(OutboxMessage.status)
    counts.update({status: n for status, n in db.session.execute(grouped)})
    return SessionMail(listed, counts)


def view_session_mail(session_id: int, page: int, departments: set[int] | None) -> SessionMail:
    """The session's mail, with the audit entry for seeing its recipients."""
    mail = session_mail(session_id, page, departments)
    record(
        "outbox.session_viewed",
        target_type="training_session",
        target_id=session_id,
        details={"entries": len(mail.page.items)},
    )
    return mail


# --- failed mail, for the coordinator and admin home ------------------------------------


@dataclass(frozen=True)
class FailedSession:
    session_id: int
    course_title: str
    round_number: int
    starts_at: dt.datetime
    failed: int


@dataclass(frozen=True)
class FailedMail:
    sessions: list[FailedSession]  # the sessions with the most recent failures first
    session_failed: int  # failed mail about sessions (within the departments, if scoped)
    all_failed: int | None  # every failed message (admins only)


def failed_mail(
    departments: set[int] | None, *, limit: int = 10, include_all: bool = False
) -> FailedMail:
    """Failed mail grouped by session, and the totals (two statements)."""
    grouped = (
        select(
            TrainingSession.id,
            Course.title,
            TrainingSession.round_number,
            TrainingSession.starts_at,
            func.count(OutboxMessage.id),
        )
        .select_from(OutboxMessage)
        .join(TrainingSession, TrainingSession.id == OutboxMessage.session_id)
        .join(Course, Course.id == TrainingSession.course_id)
        .outerjoin(User, User.id == OutboxMessage.user_id)
        .where(OutboxMessage.status == OutboxStatus.FAILED)
        .group_by(
            TrainingSession.id,
            Course.title,
            TrainingSession.round_number,
            TrainingSession.starts_at,
        )
        .order_by(func.max(OutboxMessage.id).desc())
        .limit(limit)
    )
    sessions = [FailedSession(*row) for row in db.session.execute(_scoped(grouped, departments))]
    failed = OutboxMessage.status == OutboxStatus.FAILED
    about_session = failed & OutboxMessage.session_id.is_not(None)
    if departments is not None:
        about_session = about_session & User.department_id.in_(sorted(departments))
    totals = db.session.execute(
        select(
            func.count(OutboxMessage.id).filter(about_session),
            func.count(OutboxMessage.id).filter(failed),
        )
        .select_from(OutboxMessage)
        .outerjoin(User, User.id == OutboxMessage.user_id)
    ).one()
    return FailedMail(sessions, totals[0] or 0, (totals[1] or 0) if include_all else None)
