"""Per course: fill rate, waiting list, no-shows and satisfaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, case, func, select, true

from portal.attendance.models import AttendanceMark, AttendanceStatus
from portal.catalog.models import Course
from portal.core import sqljson
from portal.core.clock import utcnow
from portal.dashboards.filters import Filters
from portal.dashboards.queries.common import flag, in_department, percent, session_of_year
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.scheduling.models import TrainingSession
from portal.surveys.models import SurveyResponse
from portal.users.models import User


@dataclass(frozen=True)
class SessionsRow:
    """One course's sessions of the year (or the total, ``course_id`` None).

    * ``fill_rate`` = confirmed places ÷ capacity, over the sessions of the year;
    * ``waitlisted``: people on a waiting list (대기) of those sessions;
    * ``no_show_rate`` = people marked absent (결석) on at least one day ÷ people with a
      confirmed place, over the held sessions (ended, not cancelled);
    * ``satisfaction``: the mean answer (1–5) of the survey responses, counting only
      sessions with at least ``SURVEY_MIN_GROUP`` responses; smaller sessions are left out
      entirely (``surveys_withheld``), as in the survey reports.

    The department filter narrows the people counted (waiting list, no-shows); capacity,
    places and surveys belong to the session (survey responses carry no department).
    """

    course_id: int | None
    title: str
    title_en: str
    sessions: int = 0
    capacity: int = 0
    seats_taken: int = 0
    waitlisted: int = 0
    held_expected: int = 0
    held_absent: int = 0
    surveys_shown: int = 0
    surveys_withheld: int = 0
    responses: int = 0
    answer_sum: int = 0
    answer_count: int = 0

    @property
    def fill_rate(self) -> float | None:
        return percent(self.seats_taken, self.capacity)

    @property
    def no_show_rate(self) -> float | None:
        return percent(self.held_absent, self.held_expected)

    @property
    def satisfaction(self) -> float | None:
        return round(self.answer_sum / self.answer_count, 2) if self.answer_count else None


@dataclass(frozen=True)
class SessionsReport:
    rows: list[SessionsRow]
    total: SessionsRow
    min_group: int


def _survey_min_group() -> int:
    return max(1, int(current_app.config["SURVEY_MIN_GROUP"]))


def sessions(f: Filters, now: dt.datetime | None = None) -> SessionsReport:
    """Per course, the year's sessions: four statements."""
    now = now or utcnow()
    least = _survey_min_group()
    # The department's people as an id list the enrolment index can be probed with.
    people = (
        true()
        if f.department_id is None
        else Enrollment.user_id.in_(
            select(User.id).where(in_department(User.department_id, f.department_id))
        )
    )
    base = (
        select(
            Course.id,
            Course.title,
            Course.title_en,
            func.count(TrainingSession.id),
            func.coalesce(func.sum(TrainingSession.capacity), 0),
            func.coalesce(func.sum(TrainingSession.seats_taken), 0),
        )
        .join(Course, Course.id == TrainingSession.course_id)
        .where(session_of_year(f))
        .group_by(Course.id, Course.title, Course.title_en)
    )
    courses = {
        row[0]: (row[1], row[2], int(row[3]), int(row[4]), int(row[5]))
        for row in db.session.execute(base)
    }
    waiting = dict(
        db.session.execute(
            select(TrainingSession.course_id, func.count(Enrollment.id))
            .join(TrainingSession, TrainingSession.id == Enrollment.session_id)
            .where(session_of_year(f), Enrollment.status == EnrollmentStatus.WAITLISTED, people)
            .group_by(TrainingSession.course_id)
        ).all()
    )
    # People marked absent at least once, per place: few rows, read once and joined,
    # rather than a look-up for every confirmed place.
    absent = (
        select(AttendanceMark.session_id, AttendanceMark.user_id)
        .where(AttendanceMark.status == AttendanceStatus.ABSENT)
        .distinct()
        .subquery("absent_people")
    )
    held_stmt = (
        select(TrainingSession.course_id, func.count(Enrollment.id), func.count(absent.c.user_id))
        .join(TrainingSession, TrainingSession.id == Enrollment.session_id)
        .outerjoin(
            absent,
            and_(
                absent.c.session_id == Enrollment.session_id, absent.c.user_id == Enrollment.user_id
            ),
        )
        .where(
            session_of_year(f),
            TrainingSession.ends_at <= now,
            Enrollment.status == EnrollmentStatus.ENROLLED,
        )
        .group_by(TrainingSession.course_id)
    )
    held_stmt = held_stmt.where(people)
    held = {
        course_id: (int(expected), int(missing))
        for course_id, expected, missing in db.session.execute(held_stmt)
    }
    surveys = _satisfaction(f, least)

    rows = []
    for course_id, (title, title_en, count, capacity, taken) in sorted(
        courses.items(), key=lambda item: (item[1][0], item[0])
    ):
        expected, missing = held.get(course_id, (0, 0))
        shown, withheld, responses, total, answered = surveys.get(course_id, (0, 0, 0, 0, 0))
        rows.append(
            SessionsRow(
                course_id,
                title,
                title_en,
                sessions=count,
                capacity=capacity,
                seats_taken=taken,
                waitlisted=int(waiting.get(course_id, 0)),
                held_expected=expected,
                held_absent=missing,
                surveys_shown=shown,
                surveys_withheld=withheld,
                responses=responses,
                answer_sum=total,
                answer_count=answered,
            )
        )
    fields = (
        "sessions",
        "capacity",
        "seats_taken",
        "waitlisted",
        "held_expected",
        "held_absent",
        "surveys_shown",
        "surveys_withheld",
        "responses",
        "answer_sum",
        "answer_count",
    )
    total = SessionsRow(
        None, "", "", **{name: sum(getattr(r, name) for r in rows) for name in fields}
    )
    return SessionsReport(rows, total, least)


def _satisfaction(f: Filters, least: int) -> dict[int, tuple[int, int, int, int, int]]:
    """{course: (sessions shown, sessions withheld, responses, answer sum, answers)}."""
    answers, is_score, score = sqljson.object_scores(SurveyResponse.answers, "answer")
    per_response = (
        select(
            SurveyResponse.key.label("key"),
            SurveyResponse.session_id.label("session_id"),
            func.coalesce(func.sum(case((is_score, score), else_=0)), 0).label("total"),
            func.coalesce(func.sum(case((is_score, 1), else_=0)), 0).label("answered"),
        )
        .select_from(SurveyResponse)
        .outerjoin(answers, true())
        .join(TrainingSession, TrainingSession.id == SurveyResponse.session_id)
        .where(session_of_year(f))
        .group_by(SurveyResponse.key, SurveyResponse.session_id)
        .subquery("per_response")
    )
    per_session = (
        select(
            per_response.c.session_id,
            func.count().label("responses"),
            func.sum(per_response.c.total).label("total"),
            func.sum(per_response.c.answered).label("answered"),
        )
        .group_by(per_response.c.session_id)
        .subquery("per_session")
    )
    shown = per_session.c.responses >= least
    stmt = (
        select(
            TrainingSession.course_id,
            flag(shown),
            flag(~shown),
            func.coalesce(func.sum(case((shown, per_session.c.responses), else_=0)), 0),
            func.coalesce(func.sum(case((shown, per_session.c.total), else_=0)), 0),
            func.coalesce(func.sum(case((shown, per_session.c.answered), else_=0)), 0),
        )
        .join(TrainingSession, TrainingSession.id == per_session.c.session_id)
        .group_by(TrainingSession.course_id)
    )
    return {row[0]: tuple(int(value) for value in row[1:]) for row in db.session.execute(stmt)}
