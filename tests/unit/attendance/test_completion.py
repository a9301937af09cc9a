"""The completion rule (수료) at its edges, its ledger lines, and its fixed query count."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.attendance import completion
from portal.attendance.models import (
    AttendanceMark,
    AttendanceStatus,
    Completion,
    CompletionStatus,
    HoursEntry,
    HoursSource,
    HoursStatus,
    HoursYear,
    MarkSource,
)
from portal.core import clock
from portal.core.clock import SEOUL
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.notifications.models import Notification
from portal.scheduling.models import SessionStatus
from portal.surveys.models import SurveyReceipt
from portal.users.models import Role, User
from tests.conftest import build_course, build_session

P, L, E, A = (
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.EXCUSED,
    AttendanceStatus.ABSENT,
)
_numbers = itertools.count(1)


def _people(n: int) -> list[int]:
    now = clock.utcnow()
    users = []
    for _ in range(n):
        k = next(_numbers)
        users.append(
            User(
                employee_number=f"C{k:06d}",
                name=f"수료{k}",
                email=f"completion{k}@sejong.example.kr",
                role=Role.STAFF,
                password_hash="x",
                created_at=now,
            )
        )
    db.session.add_all(users)
    db.session.flush()
    return [u.id for u in users]


def _session(days: int = 1, *, ago_days: int = 10, course=None, **course_fields):
    """A session of `days` days, 09:00–18:00 Seoul (9 hours a day), ended in the past."""
    if course is None:
        course = build_course(**course_fields)
        db.session.add(course)
        db.session.flush()
    first = clock.today_in_seoul() - dt.timedelta(days=ago_days)
    starts = dt.datetime.combine(first, dt.time(9), SEOUL).astimezone(dt.UTC)
    last = first + dt.timedelta(days=days - 1)
    ends = dt.datetime.combine(last, dt.time(18), SEOUL).astimezone(dt.UTC)
    session = build_session(course.id, starts_at=starts, ends_at=ends)
    db.session.add(session)
    db.session.flush()
    return session, course


def _enrol(session, user_ids, status=EnrollmentStatus.ENROLLED) -> None:
    now = clock.utcnow()
    db.session.add_all(
        Enrollment(
            session_id=session.id,
            user_id=uid,
            status=status,
            queue_key=i,
            created_at=now,
            updated_at=now,
        )
        for i, uid in enumerate(user_ids, start=1)
    )
    db.session.flush()


def _mark(session, user_id: int, statuses) -> None:
    first = session.starts_at.astimezone(SEOUL).date()
    now = clock.utcnow()
    for offset, status in enumerate(statuses):
        if status is None:
            continue
        existing = db.session.scalar(
            select(AttendanceMark).where(
                AttendanceMark.session_id == session.id,
                AttendanceMark.user_id == user_id,
                AttendanceMark.day == first + dt.timedelta(days=offset),
            )
        )
        if existing is not None:
            existing.status = status
            existing.marked_at = now
            continue
        db.session.add(
            AttendanceMark(
                session_id=session.id,
                user_id=user_id,
                day=first + dt.timedelta(days=offset),
                status=status,
                source=MarkSource.ROSTER,
                marked_at=now,
            )
        )
    db.session.flush()


def _row(session, user_id) -> Completion:
    return db.session.scalars(
        select(Completion).where(Completion.session_id == session.id, Completion.user_id == user_id)
    ).one()


def _judge(days: int, statuses, **course_fields) -> Completion:
    session, _course = _session(days, **course_fields)
    (uid,) = _people(1)
    _enrol(session, [uid])
    _mark(session, uid, statuses)
    completion.refresh(session.id)
    return _row(session, uid)


@pytest.fixture
def late_credit(app, monkeypatch):
    def set_to(percent: int) -> None:
        monkeypatch.setitem(app.config, "COMPLETION_LATE_CREDIT_PERCENT", percent)

    return set_to


def test_exactly_80_percent_completes(ctx):
    row = _judge(5, [P, P, P, P, A])
    assert row.status is CompletionStatus.COMPLETED
    assert row.attended_hours == Decimal("36.00") and row.scheduled_hours == Decimal("45.00")


def test_just_under_80_percent_does_not_complete(ctx, late_credit):
    late_credit(99)
    row = _judge(5, [P, P, P, L, A])  # (3 + 0.99) / 5 = 79.8 %
    assert row.status is CompletionStatus.NOT_COMPLETED
    assert row.attended_hours == Decimal("35.91")
    assert row.hours_awarded == 0 and row.completed_at is None


def test_a_late_day_counts_with_the_configured_credit(ctx, late_credit):
    late_credit(60)
    assert _judge(2, [P, L]).status is CompletionStatus.COMPLETED  # 80 %
    late_credit(50)
    row = _judge(2, [P, L])  # 75 %
    assert row.status is CompletionStatus.NOT_COMPLETED
    assert row.attended_hours == Decimal("13.50")
    late_credit(100)
    assert _judge(1, [L]).status is CompletionStatus.COMPLETED


def test_a_three_day_session_missing_one_day_is_not_completed(ctx):
    row = _judge(3, [P, A, P])
    assert row.status is CompletionStatus.NOT_COMPLETED
    assert row.attended_hours == Decimal("18.00") and row.scheduled_hours == Decimal("27.00")


def test_an_excused_day_is_not_attended_time(ctx):
    assert _judge(3, [P, E, P]).status is CompletionStatus.NOT_COMPLETED
    assert _judge(1, [E]).status is CompletionStatus.NOT_COMPLETED


def test_no_mark_at_all_is_not_completed(ctx):
    row = _judge(1, [])
    assert row.status is CompletionStatus.NOT_COMPLETED and row.attended_hours == 0


def test_completing_awards_hours_adds_the_ledger_line_and_notifies(ctx):
    session, course = _session(1, recognised_hours=Decimal("7.0"), title="수료 시험 과정")
    (uid,) = _people(1)
    _enrol(session, [uid])
    _mark(session, uid, [P])
    changes = completion.refresh(session.id)
    assert [(c.user_id, c.before, c.after) for c in changes] == [
        (uid, None, CompletionStatus.COMPLETED)
    ]
    row = _row(session, uid)
    assert row.hours_awarded == Decimal("7.0") and row.completed_at is not None
    entry = db.session.scalars(select(HoursEntry).where(HoursEntry.user_id == uid)).one()
    assert entry.completion_id == row.id
    assert (entry.source, entry.status) == (HoursSource.PORTAL, HoursStatus.APPROVED)
    assert entry.hours == Decimal("7.0") and entry.title == "수료 시험 과정"
    assert entry.year == session.ends_at.astimezone(SEOUL).year
    assert entry.completed_on == session.ends_at.astimezone(SEOUL).date()
    titles = db.session.scalars(select(Notification.title).where(Notification.user_id == uid))
    assert any("수료했습니다" in t for t in titles)


def test_a_corrected_mark_takes_the_completion_and_its_ledger_line_away(
    ctx, hours_years_match_ledger
):
    session, _ = _session(1)
    (uid,) = _people(1)
    _enrol(session, [uid])
    _mark(session, uid, [P])
    completion.refresh(session.id)
    year = session.ends_at.astimezone(SEOUL).year
    assert db.session.get(HoursYear, (uid, year)).approved > 0
    hours_years_match_ledger()
    _mark(session, uid, [A])
    changes = completion.refresh(session.id)
    assert [(c.before, c.after) for c in changes] == [
        (CompletionStatus.COMPLETED, CompletionStatus.NOT_COMPLETED)
    ]
    assert changes[0].lost_completion and not changes[0].became_completed
    row = _row(session, uid)
    assert row.hours_awarded == 0 and row.completed_at is None
    assert (
        db.session.scalar(select(func.count(HoursEntry.id)).where(HoursEntry.user_id == uid)) == 0
    )
    assert db.session.get(HoursYear, (uid, year)).approved == 0
    hours_years_match_ledger()
    # ...and back again: one ledger line, not two.
    _mark(session, uid, [P])
    completion.refresh(session.id)
    assert (
        db.session.scalar(select(func.count(HoursEntry.id)).where(HoursEntry.user_id == uid)) == 1
    )
    hours_years_match_ledger()


def test_refreshing_twice_changes_nothing_the_second_time(ctx):
    session, _ = _session(2)
    uids = _people(3)
    _enrol(session, uids)
    _mark(session, uids[0], [P, P])
    _mark(session, uids[1], [P, A])
    first = completion.refresh(session.id)
    assert len(first) == 3
    before = [
        (r.user_id, r.status, r.attended_hours, r.hours_awarded, r.completed_at)
        for r in db.session.scalars(select(Completion).where(Completion.session_id == session.id))
    ]
    assert completion.refresh(session.id) == []
    after = [
        (r.user_id, r.status, r.attended_hours, r.hours_awarded, r.completed_at)
        for r in db.session.scalars(select(Completion).where(Completion.session_id == session.id))
    ]
    assert sorted(before) == sorted(after)
    assert (
        db.session.scalar(select(func.count(HoursEntry.id)).where(HoursEntry.user_id.in_(uids)))
        == 1
    )


def test_only_enrolled_people_are_judged_and_user_ids_narrow_it(ctx):
    session, _ = _session(1)
    enrolled, other, cancelled = _people(3)
    _enrol(session, [enrolled])
    _enrol(session, [cancelled], EnrollmentStatus.CANCELLED)
    _mark(session, enrolled, [P])
    assert completion.refresh(session.id, [other, cancelled]) == []
    assert completion.refresh(session.id, []) == []
    assert [c.user_id for c in completion.refresh(session.id)] == [enrolled]


def test_cancelled_and_unfinished_sessions_are_not_judged(ctx):
    session, _ = _session(1)
    (uid,) = _people(1)
    _enrol(session, [uid])
    _mark(session, uid, [P])
    session.status = SessionStatus.CANCELLED
    db.session.flush()
    assert completion.refresh(session.id) == []
    with pytest.raises(completion.CompletionError, match="취소된 차수"):
        completion.judge_session(session)

    future, _ = _session(1, ago_days=-3)
    _enrol(future, [uid])
    assert completion.refresh(future.id) == []
    with pytest.raises(completion.CompletionError, match="끝난 뒤에"):
        completion.judge_session(future)
    assert (
        db.session.scalar(select(func.count(Completion.id)).where(Completion.user_id == uid)) == 0
    )
    assert completion.refresh(999_999_999) == []


def test_a_required_survey_keeps_it_pending_until_answered(ctx):
    session, _ = _session(1, requires_survey=True)
    (uid,) = _people(1)
    _enrol(session, [uid])
    _mark(session, uid, [P])
    completion.refresh(session.id)
    row = _row(session, uid)
    assert row.status is CompletionStatus.PENDING and not row.survey_met
    assert row.hours_awarded == 0
    assert (
        db.session.scalar(select(func.count(HoursEntry.id)).where(HoursEntry.user_id == uid)) == 0
    )
    db.session.add(SurveyReceipt(session_id=session.id, user_id=uid, answered_at=clock.utcnow()))
    db.session.flush()
    changes = completion.refresh(session.id, [uid])
    assert [(c.before, c.after) for c in changes] == [
        (CompletionStatus.PENDING, CompletionStatus.COMPLETED)
    ]
    assert _row(session, uid).survey_met


def test_a_required_survey_does_not_rescue_missing_attendance(ctx):
    session, _ = _session(1, requires_survey=True)
    (uid,) = _people(1)
    _enrol(session, [uid])
    db.session.add(SurveyReceipt(session_id=session.id, user_id=uid, answered_at=clock.utcnow()))
    completion.refresh(session.id)
    assert _row(session, uid).status is CompletionStatus.NOT_COMPLETED


def test_a_required_exercise_is_pending_until_an_instructor_passes_it(
    app, make_user, make_workspace
):
    from portal.assistant.models import Exercise
    from portal.assistant.review import submissions
    from portal.assistant.workspace import drafts

    learner = make_user(Role.STAFF)
    draft = make_workspace(learner)
    with app.app_context():
        exercise = db.session.get(Exercise, draft.exercise_id)
        from portal.catalog.models import Course

        course = db.session.get(Course, exercise.course_id)
        course.requires_exercise = True
        session, _ = _session(1, course=course)
        _enrol(session, [learner.id])
        _mark(session, learner.id, [P])
        completion.refresh(session.id)
        assert _row(session, learner.id).status is CompletionStatus.PENDING
        db.session.commit()

    with app.test_request_context():
        user = db.session.get(User, learner.id)
        draft = db.session.merge(draft)
        drafts.save_draft(draft, [{"text": "□ 추진배경", "ai": False}], draft.revision, "manual")
        submission = submissions.submit(user, draft)
        reviewer = User(
            employee_number="REV0001",
            name="검토자",
            email="rev@sejong.example.kr",
            role=Role.COORDINATOR,
            password_hash="x",
            created_at=clock.utcnow(),
        )
        db.session.add(reviewer)
        db.session.flush()
        submissions.review(
            submission, reviewer, {"structure": 5, "accuracy": 4}, "좋습니다.", passed=False
        )
        assert _row(session, learner.id).status is CompletionStatus.PENDING
        submissions.review(
            submission, reviewer, {"structure": 5, "accuracy": 4}, "좋습니다.", passed=True
        )
        row = _row(session, learner.id)
        assert row.status is CompletionStatus.COMPLETED and row.exercise_met
        assert row.hours_awarded == course.recognised_hours


def test_sessions_needing_refresh(ctx):
    session, _ = _session(1)
    untouched, _ = _session(1)
    (uid,) = _people(1)
    _enrol(session, [uid])
    _mark(session, uid, [P])
    needing = completion.sessions_needing_refresh()
    assert session.id in needing and untouched.id not in needing
    completion.refresh(session.id)
    assert session.id not in completion.sessions_needing_refresh()
    clock.advance(dt.timedelta(minutes=5))
    _mark(session, uid, [A])  # re-marked after the evaluation
    assert session.id in completion.sessions_needing_refresh()


def _counted(count_statements, size: int) -> tuple[list[str], list[str]]:
    session, _ = _session(2)
    uids = _people(size)
    _enrol(session, uids)
    for uid in uids:
        _mark(session, uid, [P, A])
    with count_statements() as first:
        changes = completion.refresh(session.id)
    assert len(changes) == size
    with count_statements() as again:
        assert completion.refresh(session.id) == []
    return first, again


def test_a_refresh_issues_a_fixed_number_of_statements(ctx, count_statements):
    """The same statements for 4 people as for 60 (nobody completes, so nobody is notified)."""
    small_first, small_again = _counted(count_statements, 4)
    large_first, large_again = _counted(count_statements, 60)
    assert len(small_first) == len(large_first), large_first
    assert len(small_again) == len(large_again), large_again
    assert len(large_first) <= 10, large_first
    assert len(large_again) <= 6, large_again
