"""`flask reminders send`: who is reminded of what, and never twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.attendance.models import Completion, CompletionStatus
from portal.core import clock
from portal.core.clock import SEOUL
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.notifications.models import Notification, OutboxMessage
from portal.org.models import Department, DepartmentKind
from portal.reminders import operations as ops
from portal.reminders.models import ReminderLog
from portal.users.models import Role, User
from tests.conftest import build_course, build_session

NOW = dt.datetime(2027, 3, 10, 23, 30, tzinfo=SEOUL)  # late evening in Seoul, 14:30 UTC


@pytest.fixture
def at_now(app):
    clock.advance(NOW.astimezone(dt.UTC) - clock.utcnow())
    with app.app_context():
        yield


def _user(**fields) -> User:
    n = fields.pop("n", None) or id(fields) % 100000
    user = User(
        employee_number=fields.pop("employee_number", f"R{n:06d}"),
        name=fields.pop("name", f"알림{n}"),
        email=fields.pop("email", f"remind{n}@sejong.example.kr"),
        role=fields.pop("role", Role.STAFF),
        created_at=clock.utcnow(),
        **fields,
    )
    db.session.add(user)
    db.session.flush()
    return user


_n = iter(range(1, 10**6))


def person(**fields) -> User:
    n = next(_n)
    return _user(
        employee_number=f"R{n:06d}", email=f"remind{n}@sejong.example.kr", name=f"알림{n}", **fields
    )


def outbox(kind: str | None = None) -> int:
    stmt = select(func.count(OutboxMessage.id))
    if kind:
        stmt = stmt.where(OutboxMessage.kind == kind)
    return db.session.scalar(stmt)


def _enrol(session_id: int, user: User, status=EnrollmentStatus.ENROLLED) -> None:
    db.session.add(
        Enrollment(
            session_id=session_id,
            user_id=user.id,
            status=status,
            queue_key=next(_n),
            created_at=clock.utcnow(),
            updated_at=clock.utcnow(),
        )
    )
    db.session.flush()


def _session_at(seoul: dt.datetime, course=None, **fields):
    course = course or build_course()
    db.session.add(course)
    db.session.flush()
    session = build_session(course.id, starts_at=seoul.astimezone(dt.UTC), **fields)
    db.session.add(session)
    db.session.flush()
    return session


def run(dry_run: bool = False) -> ops.Summary:
    summary = ops.Summary(dry_run=dry_run)
    ops.send_day_before(summary)
    ops.send_mandatory(summary)
    db.session.flush()
    return summary


# --- the day before ---------------------------------------------------------------


def test_day_before_is_chosen_by_seoul_dates(at_now):
    # Tomorrow in Seoul is 2027-03-11, although it is still 2027-03-10 in UTC.
    just_after_midnight = _session_at(dt.datetime(2027, 3, 11, 0, 30, tzinfo=SEOUL))
    late_tomorrow = _session_at(dt.datetime(2027, 3, 11, 23, 59, tzinfo=SEOUL))
    day_after = _session_at(dt.datetime(2027, 3, 12, 8, 0, tzinfo=SEOUL))  # 11 March in UTC
    later_today = _session_at(dt.datetime(2027, 3, 10, 23, 50, tzinfo=SEOUL))
    chosen = {s.id for s in ops.sessions_tomorrow()}
    assert chosen == {just_after_midnight.id, late_tomorrow.id}
    assert day_after.id not in chosen and later_today.id not in chosen


def test_day_before_reminds_only_the_enrolled(at_now):
    session = _session_at(dt.datetime(2027, 3, 11, 9, 0, tzinfo=SEOUL))
    enrolled, waiting, gone = person(), person(), person()
    _enrol(session.id, enrolled)
    _enrol(session.id, waiting, EnrollmentStatus.WAITLISTED)
    _enrol(session.id, gone, EnrollmentStatus.CANCELLED)
    summary = run()
    assert summary.day_before == 1
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder.session"))
    (only,) = list(mail)
    assert only.user_id == enrolled.id and only.ics
    assert only.session_id == session.id, "the session's coordinators can see the reminder"
    assert "내일 교육" in only.subject


def test_running_twice_sends_nothing_new(at_now):
    session = _session_at(dt.datetime(2027, 3, 11, 9, 0, tzinfo=SEOUL))
    for _ in range(3):
        _enrol(session.id, person())
    first = run()
    count = outbox()
    second = run()
    assert first.day_before == 3
    assert second.day_before == 0 and second.skipped == 3
    assert outbox() == count
    assert db.session.scalar(select(func.count(ReminderLog.id))) == 3


def test_dry_run_writes_nothing_and_counts(at_now):
    session = _session_at(dt.datetime(2027, 3, 11, 9, 0, tzinfo=SEOUL))
    _enrol(session.id, person())
    summary = run(dry_run=True)
    assert summary.day_before == 1
    assert outbox() == 0
    assert db.session.scalar(select(func.count(ReminderLog.id))) == 0
    assert db.session.scalar(select(func.count(Notification.id))) == 0


# --- mandatory courses ---------------------------------------------------------------


def test_due_stage_and_overdue_week_edges():
    assert ops.due_stage(15) is None
    assert ops.due_stage(14) == 14
    assert ops.due_stage(4) == 14
    assert ops.due_stage(3) == 3
    assert ops.due_stage(0) == 3  # due today
    assert ops.due_stage(-1) is None
    assert ops.overdue_week(0) is None
    assert ops.overdue_week(1) == 0
    assert ops.overdue_week(7) == 0
    assert ops.overdue_week(8) == 1
    assert ops.overdue_week(28) == 3
    assert ops.overdue_week(29) is None


def _mandatory(days: int = 30):
    course = build_course(is_mandatory_for_new=True, mandatory_within_days=days)
    db.session.add(course)
    db.session.flush()
    return course


def _org():
    bureau = Department(code=f"RB{next(_n)}", name="기획조정실", kind=DepartmentKind.BUREAU)
    db.session.add(bureau)
    db.session.flush()
    division = Department(
        code=f"RD{next(_n)}", name="정보과", kind=DepartmentKind.DIVISION, parent_id=bureau.id
    )
    db.session.add(division)
    db.session.flush()
    return bureau, division


def test_due_soon_reminds_at_fourteen_and_three_days(at_now):
    today = clock.today_in_seoul()
    course = _mandatory(30)
    # due in 14 days: appointed 16 days ago
    new = person(appointed_on=today - dt.timedelta(days=16))
    far = person(appointed_on=today)  # due in 30 days
    done = person(appointed_on=today - dt.timedelta(days=16))
    applied = person(appointed_on=today - dt.timedelta(days=16))
    session = _session_at(dt.datetime(2027, 3, 20, 9, 0, tzinfo=SEOUL), course=course)
    _enrol(session.id, applied)
    old = _session_at(dt.datetime(2027, 3, 1, 9, 0, tzinfo=SEOUL), course=course)
    db.session.add(
        Completion(
            session_id=old.id,
            user_id=done.id,
            course_id=course.id,
            status=CompletionStatus.COMPLETED,
            attended_hours=Decimal("3"),
            scheduled_hours=Decimal("3"),
            evaluated_at=clock.utcnow(),
        )
    )
    db.session.flush()
    assert run().due_soon == 1
    (mail,) = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "reminder.mandatory_due")
    )
    assert mail.user_id == new.id and "14" in mail.subject
    assert far.id != mail.user_id
    # 10 days on: 4 days left, the 14-day stage is spent, nothing new
    clock.advance(dt.timedelta(days=10))
    assert run().due_soon == 0
    clock.advance(dt.timedelta(days=1))  # 3 days left
    assert run().due_soon == 1
    assert run().due_soon == 0
    assert outbox("reminder.mandatory_due") == 2


def test_overdue_escalates_to_the_nearest_head_weekly_four_times(at_now):
    today = clock.today_in_seoul()
    bureau, division = _org()
    _mandatory(30)
    late = person(appointed_on=today - dt.timedelta(days=31), department_id=division.id)
    head = person(is_department_head=True, department_id=bureau.id)  # the division has none
    person(is_department_head=True, department_id=bureau.id, is_active=False)
    summary = run()
    assert (summary.overdue, summary.escalations, summary.no_head) == (1, 1, 0)
    escalation = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "reminder.mandatory_escalation")
    ).one()
    assert escalation.user_id == head.id
    assert late.name in escalation.body_text
    assert outbox("reminder.mandatory_overdue") == 1
    told = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "reminder.mandatory_overdue")
    ).one()
    assert told.user_id == late.id and "부서장에게도 알렸습니다" in told.body_text
    assert run().escalations == 0
    sent = []
    for _ in range(5):
        clock.advance(dt.timedelta(days=7))
        sent.append(run().escalations)
    assert sent == [1, 1, 1, 0, 0]


def test_overdue_without_a_head_is_counted(at_now):
    today = clock.today_in_seoul()
    _bureau, division = _org()
    _mandatory(10)
    me = person(
        appointed_on=today - dt.timedelta(days=12),
        department_id=division.id,
        is_department_head=True,
    )
    summary = run()
    assert summary.overdue == 1 and summary.escalations == 0 and summary.no_head == 1
    notice = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "reminder.mandatory_overdue")
    ).one()
    assert notice.user_id == me.id and "부서장" not in notice.body_text
    assert me.id


def test_the_command_runs_all_and_is_idempotent(app, at_now):
    session = _session_at(dt.datetime(2027, 3, 11, 9, 0, tzinfo=SEOUL))
    _enrol(session.id, person())
    db.session.commit()
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["reminders", "send", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run" in dry.output and "would send 1 day-before" in dry.output
    first = runner.invoke(args=["reminders", "send"])
    assert first.exit_code == 0, first.output
    assert "Queued 1 day-before" in first.output
    assert "consulting booking(s)" in first.output
    count = outbox()
    second = runner.invoke(args=["reminders", "send"])
    assert "Queued 0 day-before" in second.output and "1 already sent before" in second.output
    assert outbox() == count
