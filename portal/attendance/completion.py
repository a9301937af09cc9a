"""Completion (수료): who completed an ended session, from their attendance and requirements.

A person completes a session when the attended share of its scheduled hours reaches
COMPLETION_MIN_ATTENDANCE_PERCENT (present days count fully, late days by
COMPLETION_LATE_CREDIT_PERCENT, excused, absent and unmarked days not at all), and, where
the course asks for them, an instructor passed one of their exercise submissions and they
answered the session's survey. Attendance met with a requirement still open is PENDING
(진행 중); anything less is NOT_COMPLETED (미수료).

:func:`refresh` re-evaluates a session (or some of its people) and is safe to run again
at any time: the same data gives the same rows. It reads in a fixed number of statements
per session, whatever its size. It flushes and never commits. Becoming COMPLETED adds the
person's portal line in the learning-hours ledger and notifies them; leaving COMPLETED (a
corrected attendance mark) removes that line again.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, delete, exists, func, insert, or_, select

from portal.assistant.models import Exercise, Submission
from portal.attendance.models import (
    AttendanceMark,
    AttendanceStatus,
    Completion,
    CompletionStatus,
    HoursEntry,
    HoursSource,
    HoursStatus,
    refresh_hours_years,
)
from portal.attendance.schedule import session_days
from portal.audit.operations import record
from portal.catalog.models import Course
from portal.certificates import operations as certificates
from portal.core.clock import SEOUL, utcnow
from portal.core.templating import hours_text
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.notifications.operations import Message, notify
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.surveys.models import SurveyReceipt
from portal.users.models import User

MY_LEARNING = "/my/learning"
HUNDRED = Decimal(100)
CENTS = Decimal("0.01")


class CompletionError(Exception):
    """A completion request that cannot be carried out; the message is for people."""


@dataclass(frozen=True)
class CompletionChange:
    """One person's outcome moved (``before`` is None for a first evaluation)."""

    session_id: int
    user_id: int
    completion_id: int
    before: CompletionStatus | None
    after: CompletionStatus

    @property
    def became_completed(self) -> bool:
        return self.after is CompletionStatus.COMPLETED

    @property
    def lost_completion(self) -> bool:
        return self.before is CompletionStatus.COMPLETED


@dataclass(frozen=True)
class Outcome:
    """What the rule says about one person, before it is stored."""

    status: CompletionStatus
    attended_hours: Decimal
    scheduled_hours: Decimal
    exercise_met: bool
    survey_met: bool


# Who sat in the class: a 출석 or 지각 mark on at least one day. 공결 and 결석 are not
# attendance (the satisfaction survey is for people who took part).
ATTENDED_STATUSES = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


def attended(session_id, user_id) -> ColumnElement[bool]:
    """SQL: the person has a 출석 or 지각 mark on some day of the session.

    Both arguments may be values or columns, so the test works per row of a larger query.
    """
    return exists().where(
        AttendanceMark.session_id == session_id,
        AttendanceMark.user_id == user_id,
        AttendanceMark.status.in_(ATTENDED_STATUSES),
    )


def credit_percent(status: AttendanceStatus | None) -> Decimal:
    """How much of a day's hours a mark counts for, in percent."""
    if status is AttendanceStatus.PRESENT:
        return HUNDRED
    if status is AttendanceStatus.LATE:
        return Decimal(current_app.config["COMPLETION_LATE_CREDIT_PERCENT"])
    return Decimal(0)  # excused, absent, or no mark at all


def evaluate(
    day_hours: dict[dt.date, Decimal],
    marks: dict[dt.date, AttendanceStatus],
    *,
    requires_exercise: bool,
    exercise_met: bool,
    requires_survey: bool,
    survey_met: bool,
) -> Outcome:
    """The completion rule for one person (pure: no database)."""
    scheduled = sum(day_hours.values(), Decimal(0))
    # Exact decimal arithmetic: hours × percent, compared without dividing.
    attended_x100 = sum(
        (hours * credit_percent(marks.get(day)) for day, hours in day_hours.items()), Decimal(0)
    )
    minimum = Decimal(current_app.config["COMPLETION_MIN_ATTENDANCE_PERCENT"])
    attendance_met = scheduled > 0 and attended_x100 >= scheduled * minimum
    requirements_met = (not requires_exercise or exercise_met) and (
        not requires_survey or survey_met
    )
    if attendance_met and requirements_met:
        status = CompletionStatus.COMPLETED
    elif attendance_met:
        status = CompletionStatus.PENDING
    else:
        status = CompletionStatus.NOT_COMPLETED
    return Outcome(
        status=status,
        attended_hours=(attended_x100 / HUNDRED).quantize(CENTS),
        scheduled_hours=scheduled.quantize(CENTS),
        exercise_met=exercise_met,
        survey_met=survey_met,
    )


def _apply_certificates(changes: list[CompletionChange], notify_learners: bool) -> None:
    """Issue the certificate of each new completion; revoke it when a completion is withdrawn.

    A completion that returns after a correction gets its old number back (see
    portal.certificates.operations.issue).
    """
    wanted = [c for c in changes if c.became_completed or c.lost_completion]
    if not wanted:
        return
    rows = {
        row.id: row
        for row in db.session.scalars(
            select(Completion).where(Completion.id.in_([c.completion_id for c in wanted]))
        )
    }
    for change in wanted:
        row = rows[change.completion_id]
        if change.became_completed:
            certificates.issue(row, notify_learner=notify_learners)
        else:
            certificates.revoke_for_completion(
                row, _("출석 기록이 정정되어 수료 요건을 채우지 못했습니다.")
            )


def is_ended(session: TrainingSession, now: dt.datetime | None = None) -> bool:
    return session.ends_at <= (now or utcnow())


def refresh(
    session_id: int, user_ids: Iterable[int] | None = None, *, notify_learners: bool = True
) -> list[CompletionChange]:
    """Re-evaluate the enrolled people of an ended session (or only ``user_ids`` of them).

    Does nothing for a session that is cancelled or has not ended yet. Returns who moved
    from what to what, so callers can issue or revoke certificates. ``notify_learners``
    False skips the completion notice (demo data about long-past sessions).
    """
    now = utcnow()
    found = db.session.execute(
        select(TrainingSession, Course)
        .join(Course, Course.id == TrainingSession.course_id)
        .where(TrainingSession.id == session_id)
    ).one_or_none()
    if found is None:
        return []
    session, course = found
    if session.status is SessionStatus.CANCELLED or not is_ended(session, now):
        return []

    enrolled = select(Enrollment.user_id).where(
        Enrollment.session_id == session_id, Enrollment.status == EnrollmentStatus.ENROLLED
    )
    if user_ids is not None:
        wanted = sorted(set(user_ids))
        if not wanted:
            return []
        enrolled = enrolled.where(Enrollment.user_id.in_(wanted))
    people = sorted(db.session.scalars(enrolled))
    if not people:
        return []

    day_hours = {d.day: d.hours for d in session_days(session)}
    marks: dict[int, dict[dt.date, AttendanceStatus]] = defaultdict(dict)
    for user_id, day, status in db.session.execute(
        select(AttendanceMark.user_id, AttendanceMark.day, AttendanceMark.status).where(
            AttendanceMark.session_id == session_id, AttendanceMark.user_id.in_(people)
        )
    ):
        marks[user_id][day] = status
    existing = {
        c.user_id: c
        for c in db.session.scalars(
            select(Completion).where(
                Completion.session_id == session_id, Completion.user_id.in_(people)
            )
        )
    }
    exercise_done = _exercise_met(course, people)
    survey_done = _survey_met(course, session_id, people)

    changed: list[tuple[int, CompletionStatus | None, CompletionStatus]] = []
    new_rows: list[dict] = []
    for user_id in people:
        outcome = evaluate(
            day_hours,
            marks.get(user_id, {}),
            requires_exercise=course.requires_exercise,
            exercise_met=user_id in exercise_done,
            requires_survey=course.requires_survey,
            survey_met=user_id in survey_done,
        )
        row = existing.get(user_id)
        if row is None:
            # New rows go in as one multi-row INSERT (ORM objects would insert one by one
            # to read each id back).
            fresh = Completion(session_id=session_id, user_id=user_id, course_id=course.id)
            _store(fresh, outcome, course, now)
            new_rows.append(_as_values(fresh))
            changed.append((user_id, None, outcome.status))
            continue
        before = row.status
        _store(row, outcome, course, now)
        if before is not outcome.status:
            changed.append((user_id, before, outcome.status))
    if new_rows:
        db.session.execute(insert(Completion), new_rows)
    db.session.flush()
    ids = {user_id: row.id for user_id, row in existing.items()}
    if new_rows:
        ids.update(
            db.session.execute(
                select(Completion.user_id, Completion.id).where(
                    Completion.session_id == session_id,
                    Completion.user_id.in_([values["user_id"] for values in new_rows]),
                )
            ).all()
        )

    result = [
        CompletionChange(session_id, user_id, ids[user_id], before, after)
        for user_id, before, after in changed
    ]
    _update_ledger(result, session, course, now)
    _apply_certificates(result, notify_learners)
    if notify_learners:
        _notify_completed(result, session, course)
    if result:
        tally = Counter(change.after.value for change in result)
        record(
            "completion.refreshed",
            target_type="session",
            target_id=session_id,
            details={"evaluated": len(people), "changed": dict(sorted(tally.items()))},
        )
    return result


def _store(row: Completion, outcome: Outcome, course: Course, now: dt.datetime) -> None:
    completed = outcome.status is CompletionStatus.COMPLETED
    was_completed = row.status is CompletionStatus.COMPLETED
    row.status = outcome.status
    row.attended_hours = outcome.attended_hours
    row.scheduled_hours = outcome.scheduled_hours
    row.exercise_met = outcome.exercise_met
    row.survey_met = outcome.survey_met
    if completed and not was_completed:
        # The recognised hours as they stood when the person completed.
        row.hours_awarded = course.recognised_hours
        row.completed_at = now
    elif not completed:
        row.hours_awarded = Decimal(0)
        row.completed_at = None
    row.evaluated_at = now


_COLUMNS = (
    "session_id",
    "user_id",
    "course_id",
    "status",
    "attended_hours",
    "scheduled_hours",
    "exercise_met",
    "survey_met",
    "hours_awarded",
    "completed_at",
    "evaluated_at",
)


def _as_values(row: Completion) -> dict:
    return {name: getattr(row, name) for name in _COLUMNS}


def _exercise_met(course: Course, people: list[int]) -> set[int]:
    """Who has a passed submission for an exercise of the course (as
    portal.assistant.review.submissions.exercise_requirement_met, for many people at once)."""
    if not course.requires_exercise:
        return set()
    return set(
        db.session.scalars(
            select(Submission.user_id)
            .join(Exercise, Exercise.id == Submission.exercise_id)
            .where(
                Exercise.course_id == course.id,
                Submission.review_passed.is_(True),
                Submission.user_id.in_(people),
            )
            .distinct()
        )
    )


def _survey_met(course: Course, session_id: int, people: list[int]) -> set[int]:
    if not course.requires_survey:
        return set()
    return set(
        db.session.scalars(
            select(SurveyReceipt.user_id).where(
                SurveyReceipt.session_id == session_id, SurveyReceipt.user_id.in_(people)
            )
        )
    )


def _update_ledger(
    changes: list[CompletionChange],
    session: TrainingSession,
    course: Course,
    now: dt.datetime,
) -> None:
    """One portal ledger line per completion: added on completing, removed on losing it.

    Bulk statements, so the people's yearly sums (``HoursYear``) are refreshed here.
    """
    lost_changes = [c for c in changes if c.lost_completion and not c.became_completed]
    gained = [c for c in changes if c.became_completed and not c.lost_completion]
    if lost_changes:
        db.session.execute(
            delete(HoursEntry)
            .where(
                HoursEntry.completion_id.in_([c.completion_id for c in lost_changes]),
                HoursEntry.source == HoursSource.PORTAL,
            )
            .execution_options(synchronize_session=False)
        )
    if gained and course.recognised_hours > 0:
        _add_ledger_lines(gained, session, course, now)
    if lost_changes or gained:
        refresh_hours_years(db.session.connection(), {c.user_id for c in lost_changes + gained})


def _add_ledger_lines(
    gained: list[CompletionChange],
    session: TrainingSession,
    course: Course,
    now: dt.datetime,
) -> None:
    """The new completions' ledger lines (a course worth no hours has none: hours > 0)."""
    ended_on = session.ends_at.astimezone(SEOUL).date()
    db.session.execute(
        insert(HoursEntry),
        [
            {
                "user_id": c.user_id,
                "year": ended_on.year,
                "source": HoursSource.PORTAL,
                "status": HoursStatus.APPROVED,
                "hours": course.recognised_hours,
                "title": course.title[:200],
                "provider": "",
                "completed_on": ended_on,
                "completion_id": c.completion_id,
                "decided_at": now,
                "decision_reason": "",
                "created_at": now,
            }
            for c in gained
        ],
    )


def _notify_completed(
    changes: list[CompletionChange], session: TrainingSession, course: Course
) -> None:
    completed = [c.user_id for c in changes if c.became_completed]
    if not completed:
        return
    for user in db.session.scalars(select(User).where(User.id.in_(completed)).order_by(User.id)):
        notify(user, lambda: completed_message(session, course))


def completed_message(session: TrainingSession, course: Course) -> Message:
    """The learner's notice of completion (runs under the learner's locale)."""
    title = _("[%(round)d차] %(course)s", round=session.round_number, course=course.title)
    return Message(
        kind="completion.completed",
        title=_("수료했습니다: %(title)s", title=title),
        body=_(
            "교육을 수료했습니다. 인정 시간 %(hours)s시간이 올해 상시학습 시간에 반영되었습니다. "
            "나의 학습에서 확인할 수 있습니다.",
            hours=hours_text(course.recognised_hours),
        ),
        link=MY_LEARNING,
        session_id=session.id,
    )


# --- callers ------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionResult:
    """A session's completion figures after a refresh."""

    session_id: int
    evaluated: int
    changes: list[CompletionChange]
    completed: int
    pending: int
    not_completed: int


def tally(session_id: int) -> dict[CompletionStatus, int]:
    """How many people of a session are in each completion state (one statement)."""
    rows = db.session.execute(
        select(Completion.status, func.count(Completion.id))
        .join(
            Enrollment,
            and_(
                Enrollment.session_id == Completion.session_id,
                Enrollment.user_id == Completion.user_id,
            ),
        )
        .where(
            Completion.session_id == session_id,
            Enrollment.status == EnrollmentStatus.ENROLLED,
        )
        .group_by(Completion.status)
    ).all()
    counts = dict.fromkeys(CompletionStatus, 0)
    counts.update({status: n for status, n in rows})
    return counts


def check_can_judge(session: TrainingSession) -> None:
    """Refuse, with a message for people, a session whose completion cannot be judged."""
    if session.status is SessionStatus.CANCELLED:
        raise CompletionError(_("취소된 차수는 수료를 판정하지 않습니다."))
    if not is_ended(session):
        raise CompletionError(_("교육이 끝난 뒤에 수료를 판정할 수 있습니다."))


def judge_session(session: TrainingSession) -> SessionResult:
    """Judge everyone enrolled in an ended session now (the 수료 판정 button and the CLI)."""
    check_can_judge(session)
    changes = refresh(session.id)
    counts = tally(session.id)
    return SessionResult(
        session_id=session.id,
        evaluated=sum(counts.values()),
        changes=changes,
        completed=counts[CompletionStatus.COMPLETED],
        pending=counts[CompletionStatus.PENDING],
        not_completed=counts[CompletionStatus.NOT_COMPLETED],
    )


def refresh_for_course(user_id: int, course_id: int) -> list[CompletionChange]:
    """Re-evaluate one person in every ended session of a course they were enrolled in.

    For a change outside attendance (an instructor passed their exercise).
    """
    session_ids = db.session.scalars(
        select(TrainingSession.id)
        .join(Enrollment, Enrollment.session_id == TrainingSession.id)
        .where(
            TrainingSession.course_id == course_id,
            TrainingSession.status != SessionStatus.CANCELLED,
            TrainingSession.ends_at <= utcnow(),
            Enrollment.user_id == user_id,
            Enrollment.status == EnrollmentStatus.ENROLLED,
        )
        .order_by(TrainingSession.ends_at)
    ).all()
    changes: list[CompletionChange] = []
    for session_id in session_ids:
        changes.extend(refresh(session_id, [user_id]))
    return changes


def sessions_needing_refresh() -> list[int]:
    """Ended, not cancelled sessions whose completions are missing, open or out of date.

    Out of date: someone enrolled has no completion row yet, a row is still PENDING (a
    requirement may have been met since), or an attendance mark changed after the row was
    evaluated.
    """
    now = utcnow()
    missing = exists().where(
        Enrollment.session_id == TrainingSession.id,
        Enrollment.status == EnrollmentStatus.ENROLLED,
        ~exists().where(
            Completion.session_id == Enrollment.session_id,
            Completion.user_id == Enrollment.user_id,
        ),
    )
    pending = exists().where(
        Completion.session_id == TrainingSession.id,
        Completion.status == CompletionStatus.PENDING,
    )
    stale = exists().where(
        AttendanceMark.session_id == TrainingSession.id,
        exists().where(
            Completion.session_id == AttendanceMark.session_id,
            Completion.user_id == AttendanceMark.user_id,
            Completion.evaluated_at < AttendanceMark.marked_at,
        ),
    )
    return list(
        db.session.scalars(
            select(TrainingSession.id)
            .where(
                TrainingSession.status != SessionStatus.CANCELLED,
                TrainingSession.ends_at <= now,
                or_(missing, pending, stale),
            )
            .order_by(TrainingSession.ends_at, TrainingSession.id)
        )
    )
