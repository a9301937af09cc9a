"""Per course: fill rate, waiting list, no-shows and satisfaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, case, func, select, true
from sqlalchemy.orm import aliased

from portal.attendance.models import AttendanceMark, AttendanceStatus
from portal.catalog.models import Course
from portal.core import sqljson
from portal.core.clock import utcnow
from portal.dashboards.filters import Filters
from portal.dashboards.queries.common import (
    accounts_in,
    flag,
    percent,
    session_of_year,
)
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.scheduling.models import TrainingSession
from portal.surveys.models import SurveyResponse


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
    # The year's sessions, read once per statement as a small derived table (2,000 rows at
    # the large scale), so each big table is probed by its session index only.
    year = (
        select(
            TrainingSession.id.label("id"),
            TrainingSession.course_id.label("course_id"),
            (TrainingSession.ends_at <= now).label("held"),
        )
        .where(session_of_year(f))
        .subquery("year_sessions")
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
    # Waiting list and confirmed places of held sessions in one pass over the year's
    # enrolments of those two statuses (the (session, status, user) index covers it).
    places = (
        select(
            year.c.course_id,
            flag(Enrollment.status == EnrollmentStatus.WAITLISTED),
            flag(and_(Enrollment.status == EnrollmentStatus.ENROLLED, year.c.held)),
        )
        .select_from(year)
        .join(Enrollment, Enrollment.session_id == year.c.id)
        .where(
            Enrollment.status.in_((EnrollmentStatus.WAITLISTED, EnrollmentStatus.ENROLLED)),
            _people(Enrollment.user_id, f),
        )
        .group_by(year.c.course_id)
    )
    counts = {
        course_id: (int(waiting), int(expected))
        for course_id, waiting, expected in db.session.execute(places)
    }
    # People marked absent (결석) at least once who hold a confirmed place in a held session:
    # only the absent marks are read (a few per cent of them), one row per person and
    # session (see _absent_people), each looked up in the (session, status, user) index,
    # rather than every confirmed place joined to the marks.
    absent = _absent_people(f)
    confirmed = (
        select(Enrollment.id)
        .where(
            Enrollment.session_id == absent.c.session_id,
            Enrollment.status == EnrollmentStatus.ENROLLED,
            Enrollment.user_id == absent.c.user_id,
        )
        .exists()
    )
    missing = dict(
        db.session.execute(
            select(year.c.course_id, func.count())
            .select_from(absent)
            .join(year, year.c.id == absent.c.session_id)
            .where(year.c.held, confirmed)
            .group_by(year.c.course_id)
        ).all()
    )
    held = {
        course_id: (expected, int(missing.get(course_id, 0)))
        for course_id, (_waiting, expected) in counts.items()
    }
    waiting = {course_id: value[0] for course_id, value in counts.items()}
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


def _people(user_id, f: Filters):
    """The person is in the filtered department subtree (always true without a filter)."""
    if f.department_id is None:
        return true()
    return accounts_in(user_id, f.department_id, "dept_tree")


def _absent_people(f: Filters):
    """(session, person) once for every person marked absent in that session at least once.

    PostgreSQL hashes the absent marks for a DISTINCT; SQLite would sort them by walking
    the unique (session, user, day) index and reading every mark's row, so there each
    person's first absent day is kept instead, one look-up in that same index.
    """
    stmt = select(AttendanceMark.session_id, AttendanceMark.user_id).where(
        AttendanceMark.status == AttendanceStatus.ABSENT, _people(AttendanceMark.user_id, f)
    )
    if sqljson.dialect() == "postgresql":
        return stmt.distinct().subquery("absent_people")
    earlier = aliased(AttendanceMark)
    return stmt.where(
        ~select(earlier.id)
        .where(
            earlier.session_id == AttendanceMark.session_id,
            earlier.user_id == AttendanceMark.user_id,
            earlier.day < AttendanceMark.day,
            earlier.status == AttendanceStatus.ABSENT,
        )
        .exists()
    ).subquery("absent_people")


def _satisfaction(f: Filters, least: int) -> dict[int, tuple[int, int, int, int, int]]:
    """{course: (sessions shown, sessions withheld, responses, answer sum, answers)}.

    Per session of the year: its responses counted and the sums of their stored scores
    (``SurveyResponse.answer_total`` / ``answer_count``, written with each response), read
    from the (session, total, count) index; no response's JSON is unpacked.
    """
    year = select(TrainingSession.id.label("id")).where(session_of_year(f)).subquery("year")
    counted = (
        select(
            year.c.id.label("session_id"),
            func.count().label("responses"),
            func.sum(SurveyResponse.answer_total).label("total"),
            func.sum(SurveyResponse.answer_count).label("answered"),
        )
        .select_from(year)
        .join(SurveyResponse, SurveyResponse.session_id == year.c.id)
        .group_by(year.c.id)
        .subquery("counted")
    )
    responses = counted.c.responses
    total = func.coalesce(counted.c.total, 0)
    answered = func.coalesce(counted.c.answered, 0)
    shown = responses >= least
    stmt = (
        select(
            TrainingSession.course_id,
            flag(shown),
            flag(~shown),
            func.coalesce(func.sum(case((shown, responses), else_=0)), 0),
            func.coalesce(func.sum(case((shown, total), else_=0)), 0),
            func.coalesce(func.sum(case((shown, answered), else_=0)), 0),
        )
        .select_from(counted)
        .join(TrainingSession, TrainingSession.id == counted.c.session_id)
        .group_by(TrainingSession.course_id)
    )
    return {row[0]: tuple(int(value) for value in row[1:]) for row in db.session.execute(stmt)}
