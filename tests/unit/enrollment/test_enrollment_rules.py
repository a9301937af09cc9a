"""Enrolment rules, one transaction at a time (the races are in test_bursts.py)."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.core import clock
from portal.db import db
from portal.enrollment import operations as ops
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.notifications.models import Notification, OutboxMessage
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.users.models import Role, User


def _me(user_id: int) -> ops.Actor:
    return ops.Actor(user_id=user_id)


def _user(user_id):
    return db.session.get(User, user_id)


def test_free_seat_enrols_and_queues_a_confirmation_with_ics(ctx, make_user, make_session):
    session = make_session(capacity=2)
    user = make_user()
    result = ops.enrol(session.id, _user(user.id), _me(user.id))
    assert result.outcome is EnrollmentStatus.ENROLLED
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == user.id))
    assert mail.kind == "enrollment.confirmed"
    assert "BEGIN:VCALENDAR" in mail.ics
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == user.id)) == (
        "enrollment.confirmed"
    )
    assert ops.seats_consistent(session.id)


def test_full_session_puts_people_on_the_waitlist_in_order(ctx, make_user, make_session):
    session = make_session(capacity=1)
    first, second, third = make_user(), make_user(), make_user()
    assert (
        ops.enrol(session.id, _user(first.id), _me(first.id)).outcome is EnrollmentStatus.ENROLLED
    )
    r2 = ops.enrol(session.id, _user(second.id), _me(second.id))
    r3 = ops.enrol(session.id, _user(third.id), _me(third.id))
    assert (r2.outcome, r2.waitlist_position) == (EnrollmentStatus.WAITLISTED, 1)
    assert (r3.outcome, r3.waitlist_position) == (EnrollmentStatus.WAITLISTED, 2)


def test_enrolling_twice_returns_the_existing_place(ctx, make_user, make_session):
    session = make_session()
    user = make_user()
    first = ops.enrol(session.id, _user(user.id), _me(user.id))
    again = ops.enrol(session.id, _user(user.id), _me(user.id))
    assert again.enrollment.id == first.enrollment.id
    count = db.session.scalar(
        select(func.count(Enrollment.id)).where(Enrollment.session_id == session.id)
    )
    assert count == 1


def test_cancelling_promotes_the_head_of_the_waitlist_and_tells_them(ctx, make_user, make_session):
    session = make_session(capacity=1)
    a, b, c = make_user(), make_user(), make_user()
    ea = ops.enrol(session.id, _user(a.id), _me(a.id)).enrollment
    eb = ops.enrol(session.id, _user(b.id), _me(b.id)).enrollment
    ec = ops.enrol(session.id, _user(c.id), _me(c.id)).enrollment
    promoted = ops.cancel(ea.id, _me(a.id))
    assert promoted.id == eb.id
    assert eb.status is EnrollmentStatus.ENROLLED
    assert ops.waitlist_position(ec) == 1
    kinds = db.session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.user_id == b.id)
    ).all()
    assert "enrollment.promoted" in kinds
    assert ops.seats_consistent(session.id)


def test_nobody_is_promoted_after_the_start(ctx, make_user, make_session):
    session = make_session(capacity=1)
    a, b = make_user(), make_user()
    ea = ops.enrol(session.id, _user(a.id), _me(a.id)).enrollment
    eb = ops.enrol(session.id, _user(b.id), _me(b.id)).enrollment
    clock.advance(dt.timedelta(days=7, minutes=5))
    coordinator = make_user(Role.COORDINATOR)
    assert ops.cancel(ea.id, ops.Actor(coordinator.id, is_coordinator=True, override=True)) is None
    assert eb.status is EnrollmentStatus.WAITLISTED


def test_cancellation_deadline_is_kept_unless_a_coordinator_overrides(
    ctx, make_user, make_session, audit_entries
):
    now = clock.utcnow()
    session = make_session(cancel_deadline_at=now + dt.timedelta(days=1))
    user = make_user()
    enrollment = ops.enrol(session.id, _user(user.id), _me(user.id)).enrollment
    clock.advance(dt.timedelta(days=2))
    with pytest.raises(ops.EnrollmentError, match="취소 마감"):
        ops.cancel(enrollment.id, _me(user.id))
    coordinator = make_user(Role.COORDINATOR)
    ops.cancel(enrollment.id, ops.Actor(coordinator.id, is_coordinator=True, override=True))
    assert enrollment.status is EnrollmentStatus.CANCELLED
    [entry] = audit_entries("enrollment.cancelled_for_user")
    assert entry.details["override"] is True


def test_enrolment_window_is_kept_unless_overridden(ctx, make_user, make_session, audit_entries):
    now = clock.utcnow()
    session = make_session(enrol_opens_at=now + dt.timedelta(days=1))
    user = make_user()
    with pytest.raises(ops.EnrollmentError, match="신청 기간이 아닙니다"):
        ops.enrol(session.id, _user(user.id), _me(user.id))
    coordinator = make_user(Role.COORDINATOR)
    result = ops.enrol(
        session.id, _user(user.id), ops.Actor(coordinator.id, is_coordinator=True, override=True)
    )
    assert result.outcome is EnrollmentStatus.ENROLLED
    assert len(audit_entries("enrollment.added_for_user")) == 1


def test_overlapping_session_warns_and_then_allows(ctx, make_user, make_session):
    start = clock.utcnow() + dt.timedelta(days=3)
    one = make_session(starts_at=start, ends_at=start + dt.timedelta(hours=3))
    two = make_session(
        starts_at=start + dt.timedelta(hours=1), ends_at=start + dt.timedelta(hours=4)
    )
    user = make_user()
    ops.enrol(one.id, _user(user.id), _me(user.id))
    with pytest.raises(ops.OverlapWarning) as warning:
        ops.enrol(two.id, _user(user.id), _me(user.id))
    assert [s.id for s in warning.value.overlaps] == [one.id]
    result = ops.enrol(two.id, _user(user.id), _me(user.id), confirm_overlap=True)
    assert result.outcome is EnrollmentStatus.ENROLLED


def test_cancelled_or_started_sessions_refuse_enrolment(ctx, make_user, make_session):
    user = make_user()
    cancelled = make_session(status=SessionStatus.CANCELLED)
    with pytest.raises(ops.EnrollmentError, match="취소되었거나"):
        ops.enrol(cancelled.id, _user(user.id), _me(user.id))
    started = make_session(starts_at=clock.utcnow() - dt.timedelta(minutes=1))
    with pytest.raises(ops.EnrollmentError, match="이미 시작한"):
        ops.enrol(started.id, _user(user.id), _me(user.id))


def test_approval_courses_wait_for_the_head_then_take_a_seat(
    ctx, make_user, make_course, make_session
):
    course = make_course(requires_approval=True)
    session = make_session(course_id=course.id, capacity=1)
    user, head = make_user(), make_user(is_department_head=True)
    result = ops.enrol(session.id, _user(user.id), _me(user.id))
    assert result.outcome is EnrollmentStatus.REQUESTED
    assert db.session.get(TrainingSession, session.id).seats_taken == 0
    assert ops.decide(result.enrollment.id, True, ops.Actor(head.id)) is EnrollmentStatus.ENROLLED
    with pytest.raises(ops.EnrollmentError, match="이미 처리된"):
        ops.decide(result.enrollment.id, False, ops.Actor(head.id))


def test_declined_request_holds_no_seat_and_tells_the_user(
    ctx, make_user, make_course, make_session
):
    course = make_course(requires_approval=True)
    session = make_session(course_id=course.id)
    user, head = make_user(), make_user(is_department_head=True)
    result = ops.enrol(session.id, _user(user.id), _me(user.id))
    assert ops.decide(result.enrollment.id, False, ops.Actor(head.id)) is EnrollmentStatus.DECLINED
    kinds = db.session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.user_id == user.id)
    ).all()
    assert kinds == ["enrollment.declined"]


def test_re_enrolling_after_cancelling_joins_the_end_of_the_waitlist(ctx, make_user, make_session):
    session = make_session(capacity=1)
    a, b, c = make_user(), make_user(), make_user()
    ops.enrol(session.id, _user(a.id), _me(a.id))
    eb = ops.enrol(session.id, _user(b.id), _me(b.id)).enrollment
    ops.enrol(session.id, _user(c.id), _me(c.id))
    ops.cancel(eb.id, _me(b.id))
    again = ops.enrol(session.id, _user(b.id), _me(b.id))
    assert again.enrollment.id == eb.id
    assert again.waitlist_position == 2


def test_inactive_user_cannot_enrol(ctx, make_user, make_session):
    session = make_session()
    user = make_user(is_active=False)
    with pytest.raises(ops.EnrollmentError, match="사용이 중지된"):
        ops.enrol(session.id, _user(user.id), _me(user.id))
