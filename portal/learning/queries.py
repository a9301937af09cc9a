"""Read models for staff pages: My learning, the iCal feed and department-head approvals.

Each function issues a fixed number of statements, whatever the data size: waitlist
positions come from a correlated subquery in the same SELECT, and related rows are
loaded with joins (the relationships are lazy="raise", so a stray per-row query fails).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import Select, and_, bindparam, not_, select
from sqlalchemy.orm import contains_eager

from portal.catalog.models import Course
from portal.core.clock import utcnow
from portal.core.pagination import Page, paginate
from portal.db import UTCDateTime, db
from portal.enrollment.models import ACTIVE, Enrollment, EnrollmentStatus
from portal.enrollment.queries import waitlist_position_expr, with_session_and_course
from portal.org.queries import subtree_ids
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.users.models import User

# How far back the iCal feed reaches, so a subscribed calendar keeps recent history.
FEED_PAST_DAYS = 90


@dataclass(frozen=True)
class LearningRow:
    """One of the user's enrolments with its session and course (and waitlist place)."""

    enrollment: Enrollment
    position: int | None

    @property
    def session(self) -> TrainingSession:
        return self.enrollment.session

    @property
    def course(self) -> Course:
        return self.enrollment.session.course


@dataclass(frozen=True)
class MyLearning:
    upcoming: list[LearningRow]  # enrolled or waitlisted, not yet over
    awaiting_approval: list[LearningRow]  # requested, waiting for the department head
    history: Page  # of LearningRow: past, cancelled, declined


def token_hash(token: str) -> str:
    """The stored form of an iCal feed token (the token itself is never stored)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _is_current(now: dt.datetime):
    """Still ahead of the user: active, in a scheduled session that has not ended."""
    return and_(
        Enrollment.status.in_(ACTIVE),
        TrainingSession.status == SessionStatus.SCHEDULED,
        TrainingSession.ends_at > now,
    )


def my_learning(user_id: int, history_page: int = 1, per_page: int = 20) -> MyLearning:
    """Everything on the My learning page: three statements, whatever the data size."""
    now = utcnow()
    current = db.session.execute(
        with_session_and_course(select(Enrollment, waitlist_position_expr().label("position")))
        .where(Enrollment.user_id == user_id, _is_current(now))
        .order_by(TrainingSession.starts_at, TrainingSession.id)
    ).all()
    upcoming, awaiting = [], []
    for enrollment, position in current:
        row = LearningRow(enrollment, position)
        if enrollment.status is EnrollmentStatus.REQUESTED:
            awaiting.append(row)
        else:
            upcoming.append(row)

    past = paginate(
        with_session_and_course(select(Enrollment))
        .where(Enrollment.user_id == user_id, not_(_is_current(now)))
        .order_by(TrainingSession.starts_at.desc(), Enrollment.id.desc()),
        history_page,
        per_page,
    )
    history = Page(
        items=[LearningRow(e, None) for e in past.items],
        number=past.number,
        per_page=past.per_page,
        total=past.total,
    )
    return MyLearning(upcoming=upcoming, awaiting_approval=awaiting, history=history)


def _upcoming_statement() -> Select:
    return (
        with_session_and_course(select(Enrollment, waitlist_position_expr().label("position")))
        .where(
            Enrollment.user_id == bindparam("user_id"),
            _is_current(bindparam("now", type_=UTCDateTime())),
            Enrollment.status != EnrollmentStatus.REQUESTED,
        )
        .order_by(TrainingSession.starts_at, TrainingSession.id)
        .limit(bindparam("limit"))
    )


# Built once: the home page runs this on every visit, and building the correlated
# subquery costs more than executing it.
_UPCOMING = _upcoming_statement()


def upcoming(user_id: int, limit: int) -> list[LearningRow]:
    """The next few sessions the user is enrolled or waitlisted in (one statement)."""
    rows = db.session.execute(_UPCOMING, {"user_id": user_id, "now": utcnow(), "limit": limit})
    return [LearningRow(enrollment, position) for enrollment, position in rows.all()]


def active_enrollment(user_id: int, session_id: int) -> Enrollment | None:
    """The user's active enrolment in a session, with session and course loaded."""
    return db.session.scalars(
        with_session_and_course(select(Enrollment)).where(
            Enrollment.user_id == user_id,
            Enrollment.session_id == session_id,
            Enrollment.status.in_(ACTIVE),
        )
    ).one_or_none()


# --- the private iCal feed ---------------------------------------------------------


def user_by_feed_token(token: str) -> User | None:
    """The active user whose feed token this is, or None."""
    return db.session.scalar(
        select(User).where(User.ical_token_hash == token_hash(token), User.is_active)
    )


def feed_entries(user_id: int) -> list[tuple[TrainingSession, str, EnrollmentStatus]]:
    """Enrolled and waitlisted sessions from 90 days ago onwards, for the iCal feed."""
    since = utcnow() - dt.timedelta(days=FEED_PAST_DAYS)
    rows = db.session.execute(
        select(TrainingSession, Course.title, Enrollment.status)
        .join(Enrollment, Enrollment.session_id == TrainingSession.id)
        .join(Course, Course.id == TrainingSession.course_id)
        .where(
            Enrollment.user_id == user_id,
            Enrollment.status.in_((EnrollmentStatus.ENROLLED, EnrollmentStatus.WAITLISTED)),
            TrainingSession.ends_at >= since,
        )
        .order_by(TrainingSession.starts_at)
    ).all()
    return [(s, title, status) for s, title, status in rows]


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
