"""The dashboards' figures: SQL aggregation only, a fixed number of statements per call.

A stable API for the pages and for the quarterly report: each function takes a
:class:`~portal.dashboards.filters.Filters` and returns frozen dataclasses, and needs no
request (only an app context). No function loads per-person or per-message rows: every
number is a COUNT, SUM or AVG computed by the database, and each function runs the same
number of statements whatever the size of the data.

Shared definitions:

* **Staff in scope**: active accounts whose department is the filtered department or one
  below it (every active account when no department is chosen).
* **A session of the year**: a session, not cancelled, starting within the calendar year in
  Asia/Seoul (and of the filtered course).
* **Department** always means the person's current department, sub-departments included.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from sqlalchemy import (
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import aliased

from portal.assistant.backends.specs import OFFLINE
from portal.assistant.manage.queries import TimeSaved, guard_kinds_between, time_saved_between
from portal.assistant.models import (
    AssistantMessage,
    Conversation,
    Exercise,
    GuardEvent,
    MessageRating,
    ModelSetting,
    Submission,
)
from portal.attendance.models import (
    AttendanceMark,
    AttendanceStatus,
    Completion,
    CompletionStatus,
    HoursEntry,
    HoursStatus,
)
from portal.catalog.models import Course
from portal.core import sqljson
from portal.core.clock import today_in_seoul, utcnow
from portal.dashboards.filters import Filters
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.org.models import Department
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.surveys.models import SurveyResponse
from portal.users.models import User

ZERO = Decimal(0)
MILLION = Decimal(1_000_000)


def _percent(part: int, whole: int) -> float | None:
    """part / whole as a percentage with one decimal, None when there is no whole."""
    return round(100 * part / whole, 1) if whole else None


# ----------------------------------------------------------------------- conditions


def _subtree(department_id: int, name: str):
    """The department and every department below it (as ``org.queries.subtree_ids``), under
    a CTE name of our own: one statement may hold several, which must not share a name."""
    tree = select(Department.id).where(Department.id == department_id).cte(name, recursive=True)
    child = aliased(Department)
    tree = tree.union(select(child.id).where(child.parent_id == tree.c.id))
    return select(tree.c.id)


def _in_department(column, department_id: int | None, name: str = "dept_tree"):
    return true() if department_id is None else column.in_(_subtree(department_id, name))


def _staff(f: Filters, name: str = "dept_tree"):
    """Active accounts in the filtered department subtree."""
    return and_(User.is_active, _in_department(User.department_id, f.department_id, name))


def _session_of_year(f: Filters, session=TrainingSession):
    conditions = [
        session.status != SessionStatus.CANCELLED,
        session.starts_at >= f.starts_at,
        session.starts_at < f.ends_at,
    ]
    if f.course_id is not None:
        conditions.append(session.course_id == f.course_id)
    return and_(*conditions)


def _enrolled(f: Filters, user_id):
    """The person holds a confirmed place in a session of the year."""
    session = aliased(TrainingSession)
    return exists(
        select(Enrollment.id)
        .join(session, session.id == Enrollment.session_id)
        .where(
            Enrollment.user_id == user_id,
            Enrollment.status == EnrollmentStatus.ENROLLED,
            _session_of_year(f, session),
        )
    )


def _completed(f: Filters, user_id):
    """The person completed (수료) a session of the year."""
    session = aliased(TrainingSession)
    return exists(
        select(Completion.id)
        .join(session, session.id == Completion.session_id)
        .where(
            Completion.user_id == user_id,
            Completion.status == CompletionStatus.COMPLETED,
            _session_of_year(f, session),
        )
    )


def _practised(f: Filters, user_id):
    """The person sent at least one message to the sandbox during the year."""
    return exists(
        select(AssistantMessage.id)
        .join(Conversation, Conversation.id == AssistantMessage.conversation_id)
        .where(
            Conversation.user_id == user_id,
            AssistantMessage.role == "user",
            AssistantMessage.created_at >= f.starts_at,
            AssistantMessage.created_at < f.ends_at,
        )
    )


def _submitted(f: Filters, user_id):
    """The person submitted an exercise during the year (of the filtered course)."""
    stmt = select(Submission.id).where(
        Submission.user_id == user_id,
        Submission.submitted_at >= f.starts_at,
        Submission.submitted_at < f.ends_at,
    )
    if f.course_id is not None:
        stmt = stmt.join(Exercise, Exercise.id == Submission.exercise_id).where(
            Exercise.course_id == f.course_id
        )
    return exists(stmt)


def _flag(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# ----------------------------------------------------------------------- 1. adoption


@dataclass(frozen=True)
class FunnelStage:
    key: str
    people: int
    percent_of_staff: float | None


@dataclass(frozen=True)
class Funnel:
    """The adoption funnel. Every stage counts distinct people among the staff in scope.

    * ``staff``: active accounts in the department subtree;
    * ``enrolled``: of them, people with a confirmed place (확정) in a session of the year;
    * ``completed``: of them, people who completed (수료) a session of the year;
    * ``practised``: of them, people who sent at least one message to the practice
      sandbox during the year (the sandbox is not tied to a course, so the course filter
      does not narrow this stage);
    * ``submitted``: of them, people who submitted a practice exercise during the year (an
      exercise of the filtered course).

    Each stage is a subset of the staff, not of the stage before: someone may practise in
    the sandbox without enrolling, so a later stage can be larger than an earlier one.
    """

    staff: int
    enrolled: int
    completed: int
    practised: int
    submitted: int

    @property
    def stages(self) -> list[FunnelStage]:
        return [
            FunnelStage(key, value, _percent(value, self.staff))
            for key, value in (
                ("staff", self.staff),
                ("enrolled", self.enrolled),
                ("completed", self.completed),
                ("practised", self.practised),
                ("submitted", self.submitted),
            )
        ]


def adoption(f: Filters) -> Funnel:
    """The adoption funnel for the filters, in one statement."""
    row = db.session.execute(
        select(
            func.count(User.id),
            _flag(_enrolled(f, User.id)),
            _flag(_completed(f, User.id)),
            _flag(_practised(f, User.id)),
            _flag(_submitted(f, User.id)),
        ).where(_staff(f))
    ).one()
    return Funnel(*(int(value or 0) for value in row))


# ----------------------------------------------------------------------- 2. departments


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
      appointees whose due date (appointment date + the course's period) fell in the year
      and before today, and of those the pairs already completed.
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
        return _percent(self.completed, self.enrolled)

    @property
    def hours_per_person(self) -> Decimal | None:
        if not self.staff:
            return None
        return (self.hours / self.staff).quantize(Decimal("0.1"))

    @property
    def on_track_rate(self) -> float | None:
        return _percent(self.on_track, self.staff)

    @property
    def compliance_rate(self) -> float | None:
        return _percent(self.mandatory_done, self.mandatory_due)


@dataclass(frozen=True)
class DepartmentReport:
    rows: list[DepartmentRow]
    total: DepartmentRow
    target: int  # ANNUAL_LEARNING_HOURS_TARGET
    expected_hours: Decimal  # the target pro rata to today, for "on track"
    mandatory_courses: int  # mandatory courses counted (the course filter applies)


def _people_by_row(f: Filters, tree, key, expected: Decimal) -> dict:
    hours = (
        select(HoursEntry.user_id, func.sum(HoursEntry.hours).label("hours"))
        .where(HoursEntry.year == f.year, HoursEntry.status == HoursStatus.APPROVED)
        .group_by(HoursEntry.user_id)
        .subquery("approved_hours")
    )
    person_hours = func.coalesce(hours.c.hours, 0)
    stmt = (
        select(
            key.label("row"),
            func.count(User.id),
            _flag(_enrolled(f, User.id)),
            _flag(_completed(f, User.id)),
            func.coalesce(func.sum(hours.c.hours), 0),
            _flag(person_hours >= expected),
        )
        .outerjoin(tree, tree.c.dept_id == User.department_id)
        .outerjoin(hours, hours.c.user_id == User.id)
        .where(_staff(f))
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
    last_due = min(dt.date(f.year, 12, 31), today - dt.timedelta(days=1))
    first_due = dt.date(f.year, 1, 1)
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
                _staff(f, f"dept_tree_{len(parts)}"),
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


# ----------------------------------------------------------------------- 3. sessions


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
        return _percent(self.seats_taken, self.capacity)

    @property
    def no_show_rate(self) -> float | None:
        return _percent(self.held_absent, self.held_expected)

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
            select(User.id).where(_in_department(User.department_id, f.department_id))
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
        .where(_session_of_year(f))
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
            .where(_session_of_year(f), Enrollment.status == EnrollmentStatus.WAITLISTED, people)
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
                absent.c.session_id == Enrollment.session_id,
                absent.c.user_id == Enrollment.user_id,
            ),
        )
        .where(
            _session_of_year(f),
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
        .where(_session_of_year(f))
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
            _flag(shown),
            _flag(~shown),
            func.coalesce(func.sum(case((shown, per_session.c.responses), else_=0)), 0),
            func.coalesce(func.sum(case((shown, per_session.c.total), else_=0)), 0),
            func.coalesce(func.sum(case((shown, per_session.c.answered), else_=0)), 0),
        )
        .join(TrainingSession, TrainingSession.id == per_session.c.session_id)
        .group_by(TrainingSession.course_id)
    )
    return {row[0]: tuple(int(value) for value in row[1:]) for row in db.session.execute(stmt)}


# ----------------------------------------------------------------------- 4. sandbox


def _sandbox_people(f: Filters, name: str):
    """Whose sandbox use counts: the department subtree (any account), and with a course
    filter only people with a confirmed place in a session of that course in the year."""
    conditions = []
    if f.department_id is not None:
        conditions.append(User.department_id.in_(_subtree(f.department_id, name)))
    if f.course_id is not None:
        conditions.append(_enrolled(f, User.id))
    if not conditions:
        return None
    return select(User.id).where(*conditions)


def _owned_by(column, f: Filters, name: str = "dept_tree"):
    people = _sandbox_people(f, name)
    return true() if people is None else column.in_(people)


@dataclass(frozen=True)
class ModelUsage:
    """Tokens of one model in the year; ``cost`` None when the model has no price set."""

    model_key: str
    messages: int  # answers (assistant messages) by this model
    prompt_tokens: int
    completion_tokens: int
    estimated_tokens: int  # included in the two above, counted by estimate
    input_price: Decimal | None  # won per million tokens
    output_price: Decimal | None

    @property
    def is_free(self) -> bool:
        """The built-in offline coach: no model runs, nothing is paid."""
        return self.model_key == OFFLINE.key

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost(self) -> Decimal | None:
        if self.is_free:
            return ZERO
        if self.input_price is None or self.output_price is None:
            return None
        return (
            Decimal(self.prompt_tokens) * self.input_price / MILLION
            + Decimal(self.completion_tokens) * self.output_price / MILLION
        ).quantize(Decimal(1))


@dataclass(frozen=True)
class SandboxReport:
    """The practice sandbox in the year.

    * ``active_users``: people who sent at least one message;
    * ``messages``: messages people sent (not the answers);
    * tokens per model, and the estimated cost from the admin-set prices; a model used
      without a price makes the total unknown (``cost`` None), never zero (the built-in
      offline coach is free);
    * ``guard_events`` and ``guard_kinds``: guard decisions and the kinds of finding in
      them (one event may hold several kinds);
    * ``ratings``: answers rated 1 to 5 (index 0 is score 1);
    * ``time_saved``: from the estimates given after submitting an exercise.
    """

    active_users: int
    messages: int
    models: list[ModelUsage]
    guard_events: int
    guard_kinds: list[tuple[str, int]]
    ratings: tuple[int, int, int, int, int]
    time_saved: TimeSaved

    @property
    def prompt_tokens(self) -> int:
        return sum(m.prompt_tokens for m in self.models)

    @property
    def completion_tokens(self) -> int:
        return sum(m.completion_tokens for m in self.models)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def estimated_tokens(self) -> int:
        return sum(m.estimated_tokens for m in self.models)

    @property
    def priced_cost(self) -> Decimal:
        return sum((m.cost for m in self.models if m.cost is not None), ZERO)

    @property
    def unpriced_models(self) -> list[str]:
        return [m.model_key for m in self.models if m.cost is None]

    @property
    def cost(self) -> Decimal | None:
        return None if self.unpriced_models else self.priced_cost

    @property
    def rated(self) -> int:
        return sum(self.ratings)

    @property
    def rating_mean(self) -> float | None:
        if not self.rated:
            return None
        return round(sum((i + 1) * n for i, n in enumerate(self.ratings)) / self.rated, 2)


def _in_year(column, f: Filters):
    return and_(column >= f.starts_at, column < f.ends_at)


def sandbox(f: Filters) -> SandboxReport:
    """The sandbox figures for the filters: five statements."""
    owned = _owned_by(Conversation.user_id, f)
    sent = AssistantMessage.role == "user"
    # Active users from the conversations (few) probed in the message index, rather than
    # from every message of the year.
    counts = db.session.execute(
        select(
            func.count(func.distinct(Conversation.user_id)),
            select(func.count(GuardEvent.id))
            .where(
                _in_year(GuardEvent.created_at, f),
                _owned_by(GuardEvent.user_id, f, "guard_dept_tree"),
            )
            .scalar_subquery(),
        ).where(
            owned,
            exists().where(
                AssistantMessage.conversation_id == Conversation.id,
                sent,
                _in_year(AssistantMessage.created_at, f),
            ),
        )
    ).one()
    model_key = func.coalesce(AssistantMessage.model_key, Conversation.model_key)
    answer = AssistantMessage.role == "assistant"
    usage = (
        select(
            model_key.label("model_key"),
            _flag(sent).label("sent"),
            _flag(answer).label("answers"),
            func.coalesce(func.sum(AssistantMessage.prompt_tokens), 0).label("prompt"),
            func.coalesce(func.sum(AssistantMessage.completion_tokens), 0).label("completion"),
            func.coalesce(
                func.sum(
                    case(
                        (
                            AssistantMessage.usage_estimated,
                            AssistantMessage.prompt_tokens + AssistantMessage.completion_tokens,
                        ),
                        else_=0,
                    )
                ),
                0,
            ).label("estimated"),
        )
        .join(Conversation, Conversation.id == AssistantMessage.conversation_id)
        .where(_in_year(AssistantMessage.created_at, f), owned)
        .group_by(model_key)
        .subquery("model_usage")
    )
    rows = db.session.execute(
        select(
            usage,
            ModelSetting.input_price_per_million,
            ModelSetting.output_price_per_million,
        )
        .outerjoin(ModelSetting, ModelSetting.key == usage.c.model_key)
        .order_by(usage.c.model_key)
    ).all()
    sent_messages = sum(int(row.sent) for row in rows)
    models = [
        ModelUsage(
            str(row.model_key),
            int(row.answers),
            int(row.prompt),
            int(row.completion),
            int(row.estimated),
            row.input_price_per_million,
            row.output_price_per_million,
        )
        for row in rows
        if row.answers or row.prompt or row.completion
    ]
    kinds = guard_kinds_between(f.starts_at, f.ends_at, _owned_by(GuardEvent.user_id, f))
    rated = dict(
        db.session.execute(
            select(MessageRating.score, func.count(MessageRating.id))
            .join(AssistantMessage, AssistantMessage.id == MessageRating.message_id)
            .join(Conversation, Conversation.id == AssistantMessage.conversation_id)
            .where(_in_year(MessageRating.created_at, f), owned)
            .group_by(MessageRating.score)
        ).all()
    )
    ratings = tuple(int(rated.get(score, 0)) for score in range(1, 6))
    saved = time_saved_between(f.starts_at, f.ends_at, _owned_by(Submission.user_id, f))
    return SandboxReport(
        active_users=int(counts[0] or 0),
        messages=sent_messages,
        models=models,
        guard_events=int(counts[1] or 0),
        guard_kinds=kinds,
        ratings=ratings,  # type: ignore[arg-type]
        time_saved=saved,
    )
