"""Dashboards (issue 11): every figure against a small hand-computed organisation.

The fixture (year 2025, so every session has ended and every due date has passed):

    bureau B ── division D1 ── team T1        bureau C
           └─ division D2
    u1 T1 (appointed 2025-02-01), u2 D1, u3 D2 (appointed 2025-03-01), u4 B, u5 C,
    u6 D1 inactive (never counted as staff).

The expected numbers in each test are worked out by hand in the comments beside them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from decimal import Decimal

import pytest

from portal.assistant.backends.specs import ModelSpec
from portal.assistant.models import (
    AssistantMessage,
    Conversation,
    DataGrade,
    Draft,
    Exercise,
    GuardDecision,
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
    HoursSource,
    HoursStatus,
    MarkSource,
)
from portal.core.clock import SEOUL
from portal.dashboards import queries
from portal.dashboards.filters import Filters
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.org.models import Department, DepartmentKind
from portal.scheduling.models import SessionStatus
from portal.surveys.models import SurveyResponse
from portal.users.models import Role, User
from tests.conftest import build_course, build_doc_type, build_session

YEAR = 2025
_n = itertools.count(1)


def _at(month: int, day: int, hour: int = 10, year: int = YEAR) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=SEOUL).astimezone(dt.UTC)


class Org:
    """Ids of one copy of the fixture organisation."""

    def __init__(self, **ids: int) -> None:
        self.__dict__.update(ids)


def build_org() -> Org:
    """One copy of the fixture; several copies never share a row (for the 3x data test)."""
    n = next(_n)
    add = db.session.add

    def dept(code, name, kind, parent=None):
        d = Department(code=f"{code}{n:03d}x", name=f"{name}{n}", kind=kind, parent_id=parent)
        add(d)
        db.session.flush()
        return d.id

    b = dept("B", "기획실", DepartmentKind.BUREAU)
    d1 = dept("D1", "정책과", DepartmentKind.DIVISION, b)
    t1 = dept("T1", "정책팀", DepartmentKind.TEAM, d1)
    d2 = dept("D2", "예산과", DepartmentKind.DIVISION, b)
    c = dept("C", "행정실", DepartmentKind.BUREAU)

    def person(key, department_id, appointed=dt.date(2020, 3, 2), active=True):
        u = User(
            employee_number=f"DB{n:03d}{key}",
            name=f"직원{key}{n}",
            email=f"dash{n}-{key}@sejong.example.kr",
            department_id=department_id,
            appointed_on=appointed,
            is_active=active,
            role=Role.STAFF,
        )
        add(u)
        db.session.flush()
        return u.id

    u1 = person("u1", t1, dt.date(2025, 2, 1))
    u2 = person("u2", d1)
    u3 = person("u3", d2, dt.date(2025, 3, 1))
    u4 = person("u4", b)
    u5 = person("u5", c)
    u6 = person("u6", d1, dt.date(2025, 2, 1), active=False)

    course_a = build_course(slug=f"dash-a-{n}", title=f"가 과정 {n}")
    course_m = build_course(
        slug=f"dash-m-{n}",
        title=f"나 필수 {n}",
        is_mandatory_for_new=True,
        mandatory_within_days=30,
    )
    add(course_a)
    add(course_m)
    db.session.flush()

    def session(course_id, starts, capacity, taken, **fields):
        s = build_session(
            course_id,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=3),
            capacity=capacity,
            seats_taken=taken,
            **fields,
        )
        add(s)
        db.session.flush()
        return s.id

    s1 = session(course_a.id, _at(4, 1), 10, 3)
    s2 = session(course_m.id, _at(5, 1), 4, 2)
    s3 = session(course_a.id, _at(6, 1), 20, 1, status=SessionStatus.CANCELLED)
    s4 = session(course_a.id, _at(6, 1, year=2024), 10, 1)

    keys = itertools.count(n * 1000)

    def enrol(session_id, user_id, status=EnrollmentStatus.ENROLLED):
        add(
            Enrollment(
                session_id=session_id,
                user_id=user_id,
                status=status,
                queue_key=next(keys),
                created_at=_at(3, 1),
                updated_at=_at(3, 1),
            )
        )

    for uid in (u1, u2, u3):
        enrol(s1, uid)
    enrol(s1, u5, EnrollmentStatus.WAITLISTED)
    enrol(s1, u4, EnrollmentStatus.WAITLISTED)
    enrol(s2, u1)
    enrol(s2, u5)
    enrol(s3, u2)
    enrol(s4, u4)

    def mark(session_id, user_id, day, status):
        add(
            AttendanceMark(
                session_id=session_id,
                user_id=user_id,
                day=day,
                status=status,
                source=MarkSource.ROSTER,
                marked_at=_at(4, 1),
            )
        )

    mark(s1, u1, dt.date(2025, 4, 1), AttendanceStatus.PRESENT)
    mark(s1, u2, dt.date(2025, 4, 1), AttendanceStatus.ABSENT)
    mark(s1, u3, dt.date(2025, 4, 1), AttendanceStatus.LATE)
    mark(s2, u1, dt.date(2025, 5, 1), AttendanceStatus.PRESENT)
    mark(s2, u5, dt.date(2025, 5, 1), AttendanceStatus.ABSENT)

    def complete(session_id, course_id, user_id, status):
        c_ = Completion(
            session_id=session_id,
            course_id=course_id,
            user_id=user_id,
            status=status,
            attended_hours=Decimal(3),
            scheduled_hours=Decimal(3),
            hours_awarded=Decimal(3) if status == CompletionStatus.COMPLETED else Decimal(0),
            completed_at=_at(6, 1) if status == CompletionStatus.COMPLETED else None,
            evaluated_at=_at(6, 1),
        )
        add(c_)
        db.session.flush()
        return c_.id

    complete(s1, course_a.id, u1, CompletionStatus.COMPLETED)
    complete(s1, course_a.id, u3, CompletionStatus.COMPLETED)
    complete(s1, course_a.id, u2, CompletionStatus.NOT_COMPLETED)
    complete(s2, course_m.id, u1, CompletionStatus.COMPLETED)

    def hours(user_id, amount, status=HoursStatus.APPROVED, year=YEAR):
        add(
            HoursEntry(
                user_id=user_id,
                year=year,
                source=HoursSource.EXTERNAL,
                status=status,
                hours=Decimal(amount),
                title="외부 교육",
                completed_on=dt.date(year, 6, 1),
                created_at=_at(6, 1),
            )
        )

    hours(u1, 3)
    hours(u1, 10)
    hours(u1, 100, year=2024)
    hours(u2, 50, HoursStatus.PENDING)
    hours(u3, 80)
    hours(u4, 100, HoursStatus.DECLINED)
    hours(u5, 90)

    for i, answers in enumerate(
        [
            {"q1": 5, "q2": 4, "q3": True},
            {"q1": 4, "q2": 4, "q4": 3.5},
            {"q1": 4, "q2": 4},
            {"q1": 3, "q2": 4, "q5": "5"},
            {"q1": 5, "q2": 4},
        ]
    ):
        add(
            SurveyResponse(
                key=f"k{n:04d}s1{i}",
                session_id=s1,
                course_id=course_a.id,
                answers=answers,
                answered_on=dt.date(2025, 4, 2),
            )
        )
    for i in range(2):
        add(
            SurveyResponse(
                key=f"k{n:04d}s2{i}",
                session_id=s2,
                course_id=course_m.id,
                answers={"q1": 1},
                answered_on=dt.date(2025, 5, 2),
            )
        )

    doc_type = build_doc_type(slug=f"dash-doc-{n}")
    add(doc_type)
    db.session.flush()
    exercises = {}
    for label, course in (("a", course_a), ("m", course_m)):
        e = Exercise(
            slug=f"dash-ex-{label}-{n}",
            course_id=course.id,
            doc_type_id=doc_type.id,
            version=1,
            title="과제",
            title_en="Exercise",
            data={},
            source_hash="0" * 64,
            synced_at=_at(1, 2),
        )
        add(e)
        db.session.flush()
        exercises[label] = e.id

    def conversation(user_id, model_key, department_id):
        draft = Draft(
            user_id=user_id,
            doc_type_id=doc_type.id,
            doc_type_version=1,
            title="연습",
            segments=[],
            created_at=_at(2, 1),
            updated_at=_at(2, 1),
        )
        add(draft)
        db.session.flush()
        conv = Conversation(
            user_id=user_id,
            department_id=department_id,
            draft_id=draft.id,
            data_grade=DataGrade.PUBLIC,
            model_key=model_key,
            created_at=_at(2, 1),
            last_activity_at=_at(2, 1),
        )
        add(conv)
        db.session.flush()
        return conv.id

    def message(conv_id, role, at, prompt=0, completion=0, estimated=False, model=None):
        m = AssistantMessage(
            conversation_id=conv_id,
            role=role,
            content="(내용)",
            model_key=model,
            prompt_tokens=prompt,
            completion_tokens=completion,
            usage_estimated=estimated,
            created_at=at,
        )
        add(m)
        db.session.flush()
        return m.id

    def rate(message_id, score):
        add(MessageRating(message_id=message_id, score=score, reasons=[], created_at=_at(7, 1)))

    c1 = conversation(u1, "cloud", t1)  # a model nobody set a price for
    message(c1, "user", _at(7, 1))
    rate(message(c1, "assistant", _at(7, 1), 100, 50, model="cloud"), 5)
    c1b = conversation(u1, "offline", t1)  # the built-in coach
    message(c1b, "user", _at(7, 2))
    rate(message(c1b, "assistant", _at(7, 2), 200, 100, model="offline"), 4)
    c2 = conversation(u2, "offline", d1)
    message(c2, "user", _at(7, 1, year=2024))
    message(c2, "assistant", _at(7, 1, year=2024), 999, 999, model="offline")
    c3 = conversation(u3, "paid", d2)
    message(c3, "user", _at(8, 1))
    rate(message(c3, "assistant", _at(8, 1), 1000, 500, model="paid"), 5)
    c5 = conversation(u5, "paid", c)
    message(c5, "user", _at(8, 1))
    rate(message(c5, "assistant", _at(8, 1), 3000, 1000, estimated=True, model="paid"), 1)

    for user_id, kinds, at in (
        (u1, ["rrn", "phone"], _at(7, 1)),
        (u3, ["phone"], _at(8, 1)),
        (u5, ["email"], _at(8, 1)),
        (u2, ["card"], _at(8, 1, year=2024)),
    ):
        add(
            GuardEvent(
                user_id=user_id,
                department_id=None,
                decision=GuardDecision.BLOCKED,
                kinds=kinds,
                masked_excerpt="***",
                created_at=at,
            )
        )

    def submit(user_id, exercise_id, without, spent):
        draft = Draft(
            user_id=user_id,
            doc_type_id=doc_type.id,
            doc_type_version=1,
            exercise_id=exercise_id,
            exercise_version=1,
            title="과제",
            segments=[],
            created_at=_at(9, 1),
            updated_at=_at(9, 1),
        )
        add(draft)
        db.session.flush()
        add(
            Submission(
                draft_id=draft.id,
                exercise_id=exercise_id,
                exercise_version=1,
                user_id=user_id,
                body="본문",
                submitted_at=_at(9, 1),
                minutes_without_ai=without,
                minutes_spent=spent,
            )
        )

    submit(u1, exercises["a"], 60, 20)
    submit(u3, exercises["a"], None, 15)
    submit(u5, exercises["m"], 30, 30)

    if db.session.get(ModelSetting, "paid") is None:
        add(
            ModelSetting(
                key="paid",
                is_enabled=True,
                input_price_per_million=Decimal("2000"),
                output_price_per_million=Decimal("8000"),
                updated_at=_at(1, 1),
            )
        )
    db.session.flush()
    return Org(
        b=b,
        d1=d1,
        t1=t1,
        d2=d2,
        c=c,
        u1=u1,
        u2=u2,
        u3=u3,
        u4=u4,
        u5=u5,
        u6=u6,
        course_a=course_a.id,
        course_m=course_m.id,
    )


@pytest.fixture
def org(app):
    """The fixture organisation, committed (outside any app context: a page test's requests
    must each get their own, or the first request's language would stick)."""
    with app.app_context():
        built = build_org()
        db.session.commit()
    return built


def _only_fixture_users():
    from sqlalchemy import func, select

    return db.session.scalar(select(func.count(User.id))) == 6


# ----------------------------------------------------------------------- adoption


def test_the_funnel_counts_distinct_staff_of_the_department_subtree(org, ctx):
    funnel = queries.adoption(Filters(YEAR, org.b))
    # staff u1 u2 u3 u4 (u6 inactive); enrolled u1 u2 u3 (u4 only waitlisted, and 2024);
    # completed u1 u3; practised u1 u3 (u2 only in 2024); submitted u1 u3.
    assert (funnel.staff, funnel.enrolled, funnel.completed) == (4, 3, 2)
    assert (funnel.practised, funnel.submitted) == (2, 2)
    assert [s.percent_of_staff for s in funnel.stages] == [100.0, 75.0, 50.0, 50.0, 50.0]


def test_the_funnel_for_the_whole_organisation_and_for_one_course(org, ctx):
    assert _only_fixture_users()
    whole = queries.adoption(Filters(YEAR))
    # u5 adds to staff, enrolled (S2), practised and submitted.
    assert (whole.staff, whole.enrolled, whole.completed, whole.practised, whole.submitted) == (
        5,
        4,
        2,
        3,
        3,
    )
    mandatory = queries.adoption(Filters(YEAR, org.b, org.course_m))
    # course M: enrolled u1, completed u1; practising ignores the course; nobody in B
    # submitted an exercise of M.
    assert (mandatory.enrolled, mandatory.completed, mandatory.practised) == (1, 1, 2)
    assert mandatory.submitted == 0


def test_a_department_filter_includes_its_sub_departments(org, ctx):
    # D1 holds u2 directly and u1 through its team T1 (u6 is inactive).
    assert queries.adoption(Filters(YEAR, org.d1)).staff == 2
    assert queries.adoption(Filters(YEAR, org.t1)).staff == 1
    assert queries.adoption(Filters(YEAR, org.c)).staff == 1


# ----------------------------------------------------------------------- departments


def test_department_rows_roll_up_their_sub_departments(org, ctx, app):
    app.config["ANNUAL_LEARNING_HOURS_TARGET"] = 80
    report = queries.departments(Filters(YEAR, org.b), today=dt.date(2026, 6, 1))
    assert report.expected_hours == Decimal("80.0")  # 2025 is over: the whole target
    rows = {r.department_id: r for r in report.rows}
    assert [r.department_id for r in report.rows] == [org.d1, org.d2, org.b]
    d1, d2, direct = rows[org.d1], rows[org.d2], rows[org.b]
    # D1 = u1 (T1) + u2: both enrolled, u1 completed; hours 3 + 10 (u2's 50 pending);
    # nobody reaches 80; u1 owed course M (due 2025-03-03) and completed it.
    assert (d1.staff, d1.enrolled, d1.completed, d1.hours, d1.on_track) == (
        2,
        2,
        1,
        Decimal(13),
        0,
    )
    assert (d1.mandatory_due, d1.mandatory_done, d1.completion_rate) == (1, 1, 50.0)
    assert d1.hours_per_person == Decimal("6.5")
    # D2 = u3: enrolled and completed, 80 approved hours (on track), owed M and has not.
    assert (d2.staff, d2.enrolled, d2.completed, d2.hours, d2.on_track) == (
        1,
        1,
        1,
        Decimal(80),
        1,
    )
    assert (d2.mandatory_due, d2.mandatory_done, d2.compliance_rate) == (1, 0, 0.0)
    # B's own staff: u4, only waitlisted, only declined hours.
    assert direct.is_direct and (direct.staff, direct.enrolled, direct.hours) == (1, 0, 0)
    total = report.total
    assert (total.staff, total.enrolled, total.completed, total.on_track) == (4, 3, 2, 1)
    assert (total.hours, total.mandatory_due, total.mandatory_done) == (Decimal(93), 2, 1)
    assert (total.completion_rate, total.on_track_rate, total.compliance_rate) == (
        66.7,
        25.0,
        50.0,
    )


def test_departments_of_a_division_show_its_team_and_its_own_staff(org, ctx):
    report = queries.departments(Filters(YEAR, org.d1), today=dt.date(2026, 6, 1))
    assert [(r.department_id, r.is_direct, r.staff) for r in report.rows] == [
        (org.t1, False, 1),
        (org.d1, True, 1),
    ]


def test_on_track_is_pro_rata_in_the_current_year(org, ctx, app):
    app.config["ANNUAL_LEARNING_HOURS_TARGET"] = 80
    # 2 July 2025 is day 183 of 365: 80 * 183 / 365 = 40.1 hours expected so far.
    report = queries.departments(Filters(YEAR, org.b), today=dt.date(2025, 7, 2))
    assert report.expected_hours == Decimal("40.1")
    assert report.total.on_track == 1  # u3 (80 h); u1 has 13 h
    # Mandatory due dates up to yesterday only: u1's (03-03) and u3's (03-31) have passed.
    assert report.total.mandatory_due == 2
    early = queries.departments(Filters(YEAR, org.b), today=dt.date(2025, 3, 31))
    assert early.total.mandatory_due == 1  # u3's due date is today, not yet passed


def test_the_course_filter_narrows_mandatory_compliance_to_a_mandatory_course(org, ctx):
    today = dt.date(2026, 6, 1)
    assert queries.departments(Filters(YEAR, org.b, org.course_a), today).total.mandatory_due == 0
    report = queries.departments(Filters(YEAR, org.b, org.course_m), today)
    assert (report.total.mandatory_due, report.total.mandatory_done) == (2, 1)
    assert (report.total.enrolled, report.total.completed) == (1, 1)


# ----------------------------------------------------------------------- sessions


def test_session_figures_per_course(org, ctx, app):
    app.config["SURVEY_MIN_GROUP"] = 5
    report = queries.sessions(Filters(YEAR))
    rows = {r.course_id: r for r in report.rows}
    a, m = rows[org.course_a], rows[org.course_m]
    # Course A: S1 only (S3 cancelled, S4 in 2024): 3 of 10 seats, u4 and u5 waiting,
    # u2 absent of three enrolled. Satisfaction: (5+4+4+3+5 + 4*5) / 10 = 4.1; True, 3.5
    # and "5" are not scores.
    assert (a.sessions, a.capacity, a.seats_taken, a.fill_rate) == (1, 10, 3, 30.0)
    assert (a.waitlisted, a.held_expected, a.held_absent, a.no_show_rate) == (2, 3, 1, 33.3)
    assert (a.satisfaction, a.responses, a.surveys_shown, a.surveys_withheld) == (4.1, 5, 1, 0)
    # Course M: S2, 2 of 4 seats, u5 absent of two; its 2 responses are under the minimum.
    assert (m.fill_rate, m.waitlisted, m.no_show_rate) == (50.0, 0, 50.0)
    assert (m.satisfaction, m.responses, m.surveys_withheld) == (None, 0, 1)
    total = report.total
    assert (total.capacity, total.seats_taken, total.waitlisted) == (14, 5, 2)
    assert (total.held_expected, total.held_absent, total.satisfaction) == (5, 2, 4.1)


def test_session_figures_count_only_the_departments_people(org, ctx):
    report = queries.sessions(Filters(YEAR, org.b))
    rows = {r.course_id: r for r in report.rows}
    # u5 (bureau C) leaves: A's waiting list is u4 alone; M's expected attendee is u1.
    assert (rows[org.course_a].waitlisted, rows[org.course_a].held_absent) == (1, 1)
    assert (rows[org.course_m].held_expected, rows[org.course_m].held_absent) == (1, 0)
    assert rows[org.course_a].fill_rate == 30.0  # seats belong to the session


def test_a_small_minimum_group_shows_every_session(org, ctx, app):
    app.config["SURVEY_MIN_GROUP"] = 2
    try:
        rows = {r.course_id: r for r in queries.sessions(Filters(YEAR)).rows}
    finally:
        app.config["SURVEY_MIN_GROUP"] = 5
    assert rows[org.course_m].satisfaction == 1.0
    assert rows[org.course_m].surveys_shown == 1


# ----------------------------------------------------------------------- sandbox


def test_sandbox_figures_for_the_whole_organisation(org, ctx):
    assert _only_fixture_users()
    report = queries.sandbox(Filters(YEAR))
    assert (report.active_users, report.messages, report.guard_events) == (3, 4, 3)
    models = {m.model_key: m for m in report.models}
    cloud, offline, paid = models["cloud"], models["offline"], models["paid"]
    assert (cloud.messages, cloud.prompt_tokens, cloud.completion_tokens) == (1, 100, 50)
    assert cloud.cost is None  # no price set: unknown, never zero
    assert (offline.messages, offline.prompt_tokens, offline.completion_tokens) == (1, 200, 100)
    assert offline.cost == 0  # the built-in coach runs no model
    # 4000 input tokens at 2,000 won + 1,500 output at 8,000 won per million = 8 + 12.
    assert (paid.prompt_tokens, paid.completion_tokens, paid.estimated_tokens) == (4000, 1500, 4000)
    assert paid.cost == Decimal(20)
    assert report.cost is None and report.priced_cost == Decimal(20)
    assert report.unpriced_models == ["cloud"]
    assert report.tokens == 300 + 150 + 4000 + 1500
    assert report.guard_kinds == [("phone", 2), ("email", 1), ("rrn", 1)]
    assert report.ratings == (1, 0, 0, 1, 2) and report.rating_mean == 3.75
    saved = report.time_saved
    assert (saved.submissions, saved.answered, saved.minutes_without_ai) == (3, 2, 90)
    assert (saved.minutes_spent, saved.minutes_saved) == (50, 40)


def test_sandbox_figures_for_a_department_subtree(org, ctx):
    report = queries.sandbox(Filters(YEAR, org.b))
    assert (report.active_users, report.messages, report.guard_events) == (2, 3, 2)
    assert {m.model_key: m.cost for m in report.models} == {
        "cloud": None,
        "offline": 0,
        "paid": Decimal(6),
    }
    assert report.cost is None
    assert report.guard_kinds == [("phone", 2), ("rrn", 1)]
    assert report.ratings == (0, 0, 0, 1, 2)
    assert (report.time_saved.submissions, report.time_saved.minutes_saved) == (2, 40)


def test_a_course_filter_counts_the_sandbox_use_of_its_cohort(org, ctx):
    # Confirmed in a session of course M in 2025: u1 and u5.
    report = queries.sandbox(Filters(YEAR, None, org.course_m))
    assert (report.active_users, report.messages, report.guard_events) == (2, 3, 2)
    assert report.ratings == (1, 0, 0, 1, 1)


def test_a_priced_model_alone_gives_a_total_cost(org, ctx):
    report = queries.sandbox(Filters(YEAR, org.d2))
    assert report.cost == Decimal(6)  # u3: 1000 * 2000 / 1e6 + 500 * 8000 / 1e6


# ----------------------------------------------------------------------- pages


PAGES = ("index", "adoption", "departments", "sessions", "sandbox")


def _url(name: str, query: str = "") -> str:
    path = "/manage/dashboards/" if name == "index" else f"/manage/dashboards/{name}"
    return f"{path}?{query}" if query else path


@pytest.mark.parametrize("name", PAGES)
def test_each_dashboard_shows_its_figures_to_a_coordinator(org, as_role, client, name):
    as_role(Role.COORDINATOR)
    response = client.get(_url(name, f"year={YEAR}&department={org.b}"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "vendor/chartjs/chart.umd.min.js" in html
    if name != "index":
        assert 'type="application/json"' in html and "<table" in html and "<figure" in html


def test_the_pages_show_the_hand_computed_numbers(org, as_role, client):
    as_role(Role.ADMIN)
    html = client.get(_url("sandbox", f"year={YEAR}&department={org.b}")).get_data(as_text=True)
    assert "가격 미설정" in html and "알 수 없음" in html and "6원" in html
    html = client.get(_url("sessions", f"year={YEAR}")).get_data(as_text=True)
    assert "30.0%" in html and "33.3%" in html and "4.10" in html
    html = client.get(_url("adoption", f"year={YEAR}&department={org.b}")).get_data(as_text=True)
    assert "75.0%" in html


def test_the_sandbox_page_names_models_by_their_configured_labels(
    org, app, as_role, client, monkeypatch
):
    specs = app.extensions["assistant_models"]
    monkeypatch.setitem(
        specs, "paid", ModelSpec(key="paid", backend="openai", label="세종 행정 LLM", model="m")
    )
    as_role(Role.ADMIN)
    html = client.get(_url("sandbox", f"year={YEAR}&department={org.b}")).get_data(as_text=True)
    # A configured model by its label with the key beside it, the built-in coach by its own
    # label, and a key no longer configured ("cloud") as it was stored.
    assert '세종 행정 LLM <span class="portal-muted">(paid)</span>' in html
    assert "연습 코치(오프라인, AI 모델 아님)" in html
    assert '<th scope="row" role="rowheader">cloud</th>' in html
    chart = re.search(r'id="sandbox-tokens-data">(.*?)</script>', html).group(1)
    assert "세종 행정 LLM" in json.loads(chart)["labels"]  # the chart's too


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("year=abc", "연도는"),
        ("year=1999", "연도는"),
        ("year=99999999999999999999", "연도는"),
        ("department=abc", "부서를 찾을 수 없습니다"),
        ("department=2147483647", "부서를 찾을 수 없습니다"),
        ("department=-1", "부서를 찾을 수 없습니다"),
        ("course=x%20y", "과정을 찾을 수 없습니다"),
        ("course=999999", "과정을 찾을 수 없습니다"),
    ],
)
def test_bad_filter_values_give_the_default_with_a_message(org, as_role, client, query, message):
    as_role(Role.COORDINATOR)
    for name in PAGES:
        response = client.get(_url(name, query))
        assert response.status_code == 200, (name, query)
        assert message in response.get_data(as_text=True), (name, query)


def test_a_scoped_coordinator_sees_only_their_own_subtree(org, app, as_role, client):
    app.config["COORDINATOR_DEPARTMENT_SCOPE"] = True
    try:
        as_role(Role.COORDINATOR, department_id=org.d1)
        default = client.get(_url("adoption", f"year={YEAR}")).get_data(as_text=True)
        other = client.get(_url("adoption", f"year={YEAR}&department={org.c}"))
        inside = client.get(_url("adoption", f"year={YEAR}&department={org.t1}"))
    finally:
        app.config["COORDINATOR_DEPARTMENT_SCOPE"] = False
    # The coordinator counts as staff of D1 too: u1, u2 and the coordinator.
    assert f'<option value="{org.d1}" selected>' in default
    assert f'<option value="{org.c}"' not in default
    assert other.status_code == 200
    assert "담당 부서(하위 부서 포함)의 현황만" in other.get_data(as_text=True)
    assert f'<option value="{org.d1}" selected>' in other.get_data(as_text=True)
    assert f'<option value="{org.t1}" selected>' in inside.get_data(as_text=True)


def test_a_scoped_coordinator_without_a_department_is_refused(app, as_role, client):
    app.config["COORDINATOR_DEPARTMENT_SCOPE"] = True
    try:
        as_role(Role.COORDINATOR)
        response = client.get(_url("adoption"))
    finally:
        app.config["COORDINATOR_DEPARTMENT_SCOPE"] = False
    assert response.status_code == 403
    assert "소속 부서가 없어" in response.get_data(as_text=True)


def test_staff_and_instructors_are_refused(as_role, client):
    as_role(Role.INSTRUCTOR)
    assert client.get(_url("sandbox")).status_code == 403


def test_each_page_runs_the_same_statements_at_1x_and_3x_data(
    app, as_role, client, count_statements
):
    with app.app_context():
        build_org()
        db.session.commit()
    as_role(Role.ADMIN)
    queries_ = ["", f"year={YEAR}", f"year={YEAR}&course=0"]

    def counts() -> dict[tuple[str, str], int]:
        found = {}
        for name in PAGES:
            for query in queries_:
                with count_statements() as statements:
                    assert client.get(_url(name, query)).status_code == 200
                found[(name, query)] = len(statements)
        return found

    once = counts()
    with app.app_context():
        build_org()
        build_org()
        db.session.commit()
    thrice = counts()
    assert once == thrice
    # A fixed, small number: filters and their choices, then the figures.
    assert max(once.values()) <= 16, once


def test_the_dashboards_speak_english_to_an_english_user(org, as_role, client, auth):
    as_role(Role.COORDINATOR)
    token = auth.csrf("/")
    client.post("/locale", data={"locale": "en", "next": "/", "csrf_token": token})
    html = client.get(_url("sandbox", f"year={YEAR}&department={org.b}")).get_data(as_text=True)
    assert "Practice sandbox usage" in html and "Price not set" in html
    assert "가격 미설정" not in html and "사용자" not in html
    html = client.get(_url("adoption", f"year={YEAR}")).get_data(as_text=True)
    assert "Enrolled (confirmed)" in html and "How the stages are counted" in html
