"""Read models for staff pages: My learning and the iCal feed.

Each function issues a fixed number of statements, whatever the data size: waitlist
positions come from a correlated subquery in the same SELECT, and related rows are
loaded with joins (the relationships are lazy="raise", so a stray per-row query fails).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import hashlib
from dataclasses import dataclass

from sqlalchemy import Select, and_, bindparam, not_, select

from portal.attendance.models import Completion, CompletionStatus
from portal.catalog.models import Course
from portal.core.clock import SEOUL, today_in_seoul, utcnow
from portal.core.pagination import Page, paginate
from portal.core.rows import one_of, read_rows
from portal.db import UTCDateTime, db
from portal.enrollment.models import ACTIVE, Enrollment, EnrollmentStatus
from portal.enrollment.queries import waitlist_position_expr, with_session_and_course
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.users.models import User

# How far back the iCal feed reaches, so a subscribed calendar keeps recent history.
FEED_PAST_DAYS = 90


class Progress(enum.StrEnum):
    """Where an enrolment stands on completion, as My learning and the home page show it."""

    COMPLETED = "completed"  # 수료
    IN_PROGRESS = "in_progress"  # 진행 중: under way, not yet judged, or a requirement open
    NOT_COMPLETED = "not_completed"  # 미수료


@dataclass(frozen=True)
class LearningRow:
    """One of the user's enrolments with its session and course (and waitlist place), and
    its completion row once the session has been judged."""

    enrollment: Enrollment
    position: int | None
    completion: Completion | None = None
    now: dt.datetime | None = None

    @property
    def progress(self) -> Progress | None:
        """None where completion does not apply (not enrolled, cancelled, not yet started)."""
        session = self.enrollment.session
        if (
            self.enrollment.status is not EnrollmentStatus.ENROLLED
            or session.status is SessionStatus.CANCELLED
        ):
            return None
        if self.completion is not None:
            if self.completion.status is CompletionStatus.COMPLETED:
                return Progress.COMPLETED
            if self.completion.status is CompletionStatus.NOT_COMPLETED:
                return Progress.NOT_COMPLETED
            return Progress.IN_PROGRESS
        now = self.now or utcnow()
        return Progress.IN_PROGRESS if session.starts_at <= now else None

    @property
    def open_requirements(self) -> list[str]:
        """What a PENDING completion still waits for: "exercise" and/or "survey"."""
        c = self.completion
        if c is None or c.status is not CompletionStatus.PENDING:
            return []
        course = self.course
        missing = []
        if course.requires_exercise and not c.exercise_met:
            missing.append("exercise")
        if course.requires_survey and not c.survey_met:
            missing.append("survey")
        return missing

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
        one_of(Enrollment.status, ACTIVE),
        TrainingSession.status == SessionStatus.SCHEDULED,
        TrainingSession.ends_at > now,
    )


@functools.cache
def _my_learning_statements() -> tuple[Select, Select]:
    # Built once with the person and the time as parameters: the correlated waitlist
    # subquery and the joins cost more to build than to run, on a page opened every day.
    user_id = bindparam("user_id")
    current = _is_current(bindparam("now", type_=UTCDateTime()))
    ahead = (
        with_session_and_course(select(Enrollment, waitlist_position_expr().label("position")))
        .where(Enrollment.user_id == user_id, current)
        .order_by(TrainingSession.starts_at, TrainingSession.id)
    )
    # The completion row comes in the same SELECT (an outer join on session and person).
    past = (
        with_session_and_course(select(Enrollment, Completion))
        .outerjoin(
            Completion,
            and_(
                Completion.session_id == Enrollment.session_id,
                Completion.user_id == Enrollment.user_id,
            ),
        )
        .where(Enrollment.user_id == user_id, not_(current))
        .order_by(TrainingSession.starts_at.desc(), Enrollment.id.desc())
    )
    return ahead, past


def my_learning(user_id: int, history_page: int = 1, per_page: int = 20) -> MyLearning:
    """Everything on the My learning page: three statements, whatever the data size."""
    now = utcnow()
    ahead, past_statement = _my_learning_statements()
    params = {"user_id": user_id, "now": now}
    current = db.session.execute(ahead, params).all()
    upcoming, awaiting = [], []
    for enrollment, position in current:
        row = LearningRow(enrollment, position, now=now)
        if enrollment.status is EnrollmentStatus.REQUESTED:
            awaiting.append(row)
        else:
            upcoming.append(row)

    past = paginate(past_statement, history_page, per_page, scalars=False, params=params)
    history = Page(
        items=[LearningRow(e, None, c, now) for e, c in past.items],
        number=past.number,
        per_page=past.per_page,
        total=past.total,
    )
    return MyLearning(upcoming=upcoming, awaiting_approval=awaiting, history=history)


def in_class_today(data: MyLearning) -> bool:
    """A confirmed session of the person's meets today (Seoul): offer the check-in entry."""
    today = today_in_seoul()
    return any(
        row.enrollment.status is EnrollmentStatus.ENROLLED
        and row.session.starts_at.astimezone(SEOUL).date()
        <= today
        <= row.session.ends_at.astimezone(SEOUL).date()
        for row in data.upcoming
    )


@dataclass(frozen=True)
class CourseLink:
    """What a link to a course page needs."""

    slug: str
    title: str


@dataclass(frozen=True)
class SessionTime:
    round_number: int
    starts_at: dt.datetime


@dataclass(frozen=True)
class UpcomingRow:
    """One of the next sessions on the home page: course, round and start, waitlist place."""

    course: CourseLink
    session: SessionTime
    position: int | None


def _upcoming_statement() -> Select:
    # Only the columns the home page shows: loading the enrolment, session and course as
    # objects (every column, the identity map) cost twice the query itself.
    return (
        select(
            Course.slug,
            Course.title,
            TrainingSession.round_number,
            TrainingSession.starts_at,
            waitlist_position_expr().label("position"),
        )
        .select_from(Enrollment)
        .join(TrainingSession, TrainingSession.id == Enrollment.session_id)
        .join(Course, Course.id == TrainingSession.course_id)
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


def upcoming(user_id: int, limit: int) -> list[UpcomingRow]:
    """The next few sessions the user is enrolled or waitlisted in (one statement)."""
    rows = read_rows(_UPCOMING, {"user_id": user_id, "now": utcnow(), "limit": limit})
    return [
        UpcomingRow(CourseLink(slug, title), SessionTime(round_number, starts_at), position)
        for slug, title, round_number, starts_at, position in rows
    ]


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
