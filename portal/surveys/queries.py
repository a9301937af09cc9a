"""Read models for surveys: the prompts in My learning and the anonymous result reports.

**The minimum group.** No report shows answers, counts or comments of a group smaller
than ``SURVEY_MIN_GROUP`` (5 by default): a session with 4 responses shows only that it
has fewer than 5. Each question is held to the same rule on its own, since a question
added to course.yml after some answers were in has fewer answers than its session.

**Differencing.** A course's total must not let anyone subtract the visible sessions
from it and read the hidden ones. The hidden sessions' responses together (per
question too) must therefore be none or at least the minimum; otherwise the course total
is withheld (:func:`course_report`). Reports take no filters (year, department) for the
same reason: two overlapping filtered totals could be subtracted. Responses carry no
department, so no department breakdown exists to leak.

What remains is documented in the report to the lead: someone who watches one session's
figures change between two visits, and knows who answered in between, learns that
person's answers; the minimum cannot prevent that.

Answers are aggregated in Python from one query per report: a course has at most a few
hundred responses, and the JSON answers would need per-database SQL otherwise.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import Select, bindparam, exists, func, select

from portal.attendance import completion
from portal.catalog.models import Course
from portal.core.clock import utcnow
from portal.db import UTCDateTime, db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.surveys.models import SurveyReceipt, SurveyResponse
from portal.surveys.operations import SCALE

# My learning asks about sessions that ended within this many days.
PROMPT_DAYS = 60
PROMPT_LIMIT = 10
# The most comments a page lists; the rest are counted.
COMMENTS_SHOWN = 200


def min_group() -> int:
    return max(1, int(current_app.config["SURVEY_MIN_GROUP"]))


# ---------------------------------------------------------------- staff: what to answer


@dataclass(frozen=True)
class PendingSurvey:
    session_id: int
    course_title: str
    course_title_en: str
    round_number: int
    ends_at: dt.datetime
    required: bool  # the course's completion waits for the answer


@functools.cache
def _pending_statement() -> Select:
    # Built once with the person and the times as parameters: "나의 학습" runs it on every
    # visit, and building it cost more than running it.
    user_id = bindparam("user_id")
    answered = exists().where(
        SurveyReceipt.session_id == TrainingSession.id, SurveyReceipt.user_id == user_id
    )
    return (
        select(TrainingSession, Course)
        .join(Course, Course.id == TrainingSession.course_id)
        .join(Enrollment, Enrollment.session_id == TrainingSession.id)
        .where(
            Enrollment.user_id == user_id,
            Enrollment.status == EnrollmentStatus.ENROLLED,
            TrainingSession.status != SessionStatus.CANCELLED,
            TrainingSession.ends_at <= bindparam("now", type_=UTCDateTime()),
            TrainingSession.ends_at >= bindparam("since", type_=UTCDateTime()),
            completion.attended(TrainingSession.id, user_id),
            ~answered,
        )
        .order_by(TrainingSession.ends_at.desc(), TrainingSession.id.desc())
        .limit(PROMPT_LIMIT * 3)
    )


def pending_surveys(user_id: int) -> list[PendingSurvey]:
    """Ended sessions (last PROMPT_DAYS days) the person attended and has not answered."""
    now = utcnow()
    rows = db.session.execute(
        _pending_statement(),
        {"user_id": user_id, "now": now, "since": now - dt.timedelta(days=PROMPT_DAYS)},
    ).all()
    pending = [
        PendingSurvey(
            session_id=session.id,
            course_title=course.title,
            course_title_en=course.title_en,
            round_number=session.round_number,
            ends_at=session.ends_at,
            required=course.requires_survey,
        )
        # JSON columns compare differently on each database: skip question-less courses here.
        for session, course in rows
        if course.survey_questions
    ]
    return pending[:PROMPT_LIMIT]


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class QuestionResult:
    key: str
    text: str
    text_en: str
    shown: bool
    count: int = 0
    mean: float = 0.0
    # Answers per score, SCALE order (1..5).
    distribution: tuple[int, ...] = ()

    @property
    def bars(self) -> list[tuple[int, int, int]]:
        """(score, count, percent) per score, for the page's bars."""
        total = self.count or 1
        return [
            (score, n, round(100 * n / total))
            for score, n in zip(SCALE, self.distribution, strict=True)
        ]


@dataclass(frozen=True)
class GroupResult:
    """One group's results; when not ``shown``, nothing but that fact may be displayed."""

    shown: bool
    count: int = 0
    questions: list[QuestionResult] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    more_comments: int = 0


@dataclass
class _Tally:
    count: int = 0
    per_question: dict[str, list[int]] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)

    def add(self, answers: dict, comment: str) -> None:
        self.count += 1
        for key, value in (answers or {}).items():
            if isinstance(value, int) and not isinstance(value, bool) and value in SCALE:
                counts = self.per_question.setdefault(key, [0] * len(SCALE))
                counts[value - SCALE[0]] += 1
        if comment:
            self.comments.append(comment)

    def question_count(self, key: str) -> int:
        return sum(self.per_question.get(key, ()))


def _question_result(question: dict, tally: _Tally, shown: bool) -> QuestionResult:
    counts = tally.per_question.get(question["key"], [0] * len(SCALE))
    n = sum(counts)
    if not shown or n == 0:
        return QuestionResult(question["key"], question["text"], question["text_en"], False)
    mean = sum(score * c for score, c in zip(SCALE, counts, strict=True)) / n
    return QuestionResult(
        question["key"],
        question["text"],
        question["text_en"],
        True,
        count=n,
        mean=round(mean, 2),
        distribution=tuple(counts),
    )


def _group_result(
    questions: list[dict], tally: _Tally, *, shown: bool, question_shown: Iterable[bool]
) -> GroupResult:
    if not shown:
        return GroupResult(shown=False)
    return GroupResult(
        shown=True,
        count=tally.count,
        questions=[
            _question_result(q, tally, ok) for q, ok in zip(questions, question_shown, strict=True)
        ],
        comments=tally.comments[:COMMENTS_SHOWN],
        more_comments=max(0, len(tally.comments) - COMMENTS_SHOWN),
    )


def _session_group(questions: list[dict], tally: _Tally, least: int) -> GroupResult:
    return _group_result(
        questions,
        tally,
        shown=tally.count >= least,
        question_shown=[tally.question_count(q["key"]) >= least for q in questions],
    )


def _tallies(where) -> dict[int, _Tally]:
    """Tallies by session id; comments in key order, which is random, never answer order."""
    tallies: dict[int, _Tally] = {}
    rows = db.session.execute(
        select(SurveyResponse.session_id, SurveyResponse.answers, SurveyResponse.comment)
        .where(where)
        .order_by(SurveyResponse.key)
    )
    for session_id, answers, comment in rows:
        tallies.setdefault(session_id, _Tally()).add(answers, comment)
    return tallies


@dataclass(frozen=True)
class SessionReport:
    session: TrainingSession
    course: Course
    result: GroupResult
    min_group: int


def session_report(session_id: int, *, instructor_id: int | None = None) -> SessionReport | None:
    """One session's results (None if there is no such session, or not this instructor's)."""
    query = (
        select(TrainingSession, Course)
        .join(Course, Course.id == TrainingSession.course_id)
        .where(TrainingSession.id == session_id)
    )
    if instructor_id is not None:
        query = query.where(TrainingSession.instructor_id == instructor_id)
    row = db.session.execute(query).one_or_none()
    if row is None:
        return None
    session, course = row
    least = min_group()
    tally = _tallies(SurveyResponse.session_id == session_id).get(session_id, _Tally())
    questions = list(course.survey_questions or [])
    return SessionReport(session, course, _session_group(questions, tally, least), least)


@dataclass(frozen=True)
class SessionRow:
    session: TrainingSession
    result: GroupResult


@dataclass(frozen=True)
class CourseReport:
    course: Course
    total: GroupResult
    # Why the total is withheld: "small" (fewer than the minimum in all) or "differencing".
    withheld: str | None
    sessions: list[SessionRow]
    min_group: int


def course_report(course_slug: str) -> CourseReport | None:
    """A course's total and its sessions, withholding whatever a subtraction could reveal.

    Each session is shown when it has at least the minimum number of responses (each
    question likewise). The total of a question is shown only when the responses of the
    hidden sessions to it add up to none or to at least the minimum, so that the total
    minus the visible sessions never isolates a small group; the total's comments and
    response count follow the same rule over whole responses.
    """
    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    if course is None:
        return None
    least = min_group()
    questions = list(course.survey_questions or [])
    tallies = _tallies(SurveyResponse.course_id == course.id)
    sessions = (
        db.session.scalars(
            select(TrainingSession)
            .where(TrainingSession.id.in_(list(tallies)))
            .order_by(TrainingSession.starts_at, TrainingSession.round_number)
        ).all()
        if tallies
        else []
    )
    rows = [SessionRow(s, _session_group(questions, tallies[s.id], least)) for s in sessions]

    total = _Tally()
    for tally in tallies.values():
        total.count += tally.count
        total.comments.extend(tally.comments)
        for key, counts in tally.per_question.items():
            into = total.per_question.setdefault(key, [0] * len(SCALE))
            for index, n in enumerate(counts):
                into[index] += n
    total.comments.sort()  # mixed sessions: no session's comments stay together in order

    def safe(hidden: int, overall: int) -> bool:
        return overall >= least and (hidden == 0 or hidden >= least)

    hidden_responses = sum(t.count for t in tallies.values() if t.count < least)
    withheld = None
    if total.count < least:
        withheld = "small"
    elif not safe(hidden_responses, total.count):
        withheld = "differencing"
    question_shown = []
    for question in questions:
        key = question["key"]
        hidden = sum(
            t.question_count(key)
            for t in tallies.values()
            if t.count < least or t.question_count(key) < least
        )
        question_shown.append(safe(hidden, total.question_count(key)))
    result = _group_result(questions, total, shown=withheld is None, question_shown=question_shown)
    return CourseReport(course, result, withheld, rows, least)


@dataclass(frozen=True)
class CourseLine:
    course: Course
    responses: int  # shown only when at least the minimum
    sessions: int


def courses_overview() -> tuple[list[CourseLine], int]:
    """Every course that asks questions or has responses, with its response count."""
    counts = dict(
        db.session.execute(
            select(SurveyResponse.course_id, func.count()).group_by(SurveyResponse.course_id)
        ).all()
    )
    session_counts = dict(
        db.session.execute(
            select(
                SurveyResponse.course_id, func.count(func.distinct(SurveyResponse.session_id))
            ).group_by(SurveyResponse.course_id)
        ).all()
    )
    courses = db.session.scalars(select(Course).order_by(Course.sort_order, Course.title)).all()
    lines = [
        CourseLine(course, counts.get(course.id, 0), session_counts.get(course.id, 0))
        for course in courses
        if course.id in counts or (course.is_active and course.survey_questions)
    ]
    return lines, min_group()
