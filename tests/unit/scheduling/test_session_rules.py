"""Session rules (교육 차수), one transaction at a time: validation, capacity, changes, cancelling."""

import datetime as dt

import pytest
from sqlalchemy import select

from portal.core import clock
from portal.db import db
from portal.enrollment import operations as enrolment
from portal.enrollment import queries as enrolment_queries
from portal.enrollment import session_operations as session_ops
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.notifications.models import Notification, OutboxMessage
from portal.scheduling import operations as ops
from portal.scheduling import queries
from portal.scheduling.forms import seoul_to_utc
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.users.models import Role, User

HOUR = dt.timedelta(hours=1)


def _input(course_id: int, **fields) -> ops.SessionInput:
    starts = fields.pop("starts_at", clock.utcnow().replace(microsecond=0) + dt.timedelta(days=10))
    values = {
        "course_id": course_id,
        "starts_at": starts,
        "ends_at": starts + 3 * HOUR,
        "capacity": 30,
        "place": "세종시청 4층 교육장",
    }
    values.update(fields)
    return ops.SessionInput(**values)


def _same_as(session: TrainingSession, **changes) -> ops.SessionInput:
    """The session's current values as input, with some changed."""
    values = {name: getattr(session, name) for name in ops.FIELDS}
    values.update(changes)
    return ops.SessionInput(**values)


def _enrol(session_id: int, *users: User) -> list[Enrollment]:
    return [
        enrolment.enrol(session_id, db.session.get(User, u.id), enrolment.Actor(u.id)).enrollment
        for u in users
    ]


def _kinds(user_id: int) -> list[str]:
    return list(
        db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.user_id == user_id))
    )


# --- times ---------------------------------------------------------------------------------


def test_a_seoul_wall_clock_time_is_stored_as_utc():
    assert seoul_to_utc(dt.date(2026, 12, 10), dt.time(9, 0)) == dt.datetime(
        2026, 12, 10, 0, 0, tzinfo=dt.UTC
    )
    # Just after midnight in Seoul is still the previous day in UTC.
    assert seoul_to_utc(dt.date(2027, 1, 1), dt.time(0, 30)) == dt.datetime(
        2026, 12, 31, 15, 30, tzinfo=dt.UTC
    )


# --- creating ------------------------------------------------------------------------------


def test_creating_takes_the_next_free_round_and_is_audited(
    ctx, make_course, make_session, audit_entries
):
    course = make_course()
    make_session(course_id=course.id, round_number=3)
    session = ops.create_session(_input(course.id))
    assert session.round_number == 4
    assert session.seats_taken == 0
    assert session.status is SessionStatus.SCHEDULED
    entry = audit_entries("session.created")[-1]
    assert entry.target_id == str(session.id)
    assert entry.details == {"course_id": course.id, "round_number": 4, "capacity": 30}


def test_the_first_session_of_a_course_is_round_one(ctx, make_course):
    assert queries.next_round_number(make_course().id) == 1


def test_a_round_number_already_used_by_the_course_is_refused(ctx, make_course, make_session):
    course = make_course()
    make_session(course_id=course.id, round_number=2)
    with pytest.raises(ops.SchedulingError, match="이미 2차가 있습니다"):
        ops.create_session(_input(course.id, round_number=2))


def test_the_same_round_number_is_fine_for_another_course(ctx, make_course, make_session):
    make_session(round_number=2)
    assert ops.create_session(_input(make_course().id, round_number=2)).round_number == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ends_at_offset": dt.timedelta(0)}, "종료 시각은 시작 시각보다 늦어야"),
        ({"ends_at_offset": -HOUR}, "종료 시각은 시작 시각보다 늦어야"),
        ({"place": "", "online_url": ""}, "장소나 온라인 링크"),
        ({"place": "", "online_url": "javascript:alert(1)"}, "http:// 또는 https://"),
        ({"online_url": "meet.example.kr/room"}, "http:// 또는 https://"),
        ({"capacity": 0}, "1명에서 1000명"),
        ({"capacity": 1001}, "1명에서 1000명"),
        ({"round_number": 0}, "1에서 9999"),
        ({"enrol_closes_at_offset": HOUR}, "신청 마감 시각은 교육 시작"),
        ({"enrol_opens_at_offset": dt.timedelta(0)}, "신청 시작 시각은 교육 시작 전"),
        (
            {"enrol_opens_at_offset": -2 * HOUR, "enrol_closes_at_offset": -3 * HOUR},
            "신청 시작 시각은 신청 마감 시각보다",
        ),
        ({"cancel_deadline_at_offset": HOUR}, "취소 마감 시각은 교육 시작"),
        ({"place": "가" * 201}, "장소는 200자"),
    ],
)
def test_bad_input_is_refused_with_a_korean_message_and_nothing_is_saved(
    ctx, make_course, changes, message
):
    course = make_course()
    base = _input(course.id)
    fields = {}  # "<field>_offset" means that many hours from the start
    for name, value in changes.items():
        if name.endswith("_offset"):
            fields[name.removesuffix("_offset")] = base.starts_at + value
        else:
            fields[name] = value
    with pytest.raises(ops.SchedulingError, match=message):
        ops.create_session(_input(course.id, starts_at=base.starts_at, **fields))
    assert (
        db.session.scalar(select(TrainingSession).where(TrainingSession.course_id == course.id))
        is None
    )


def test_windows_that_end_exactly_at_the_start_are_allowed(ctx, make_course):
    base = _input(make_course().id)
    session = ops.create_session(
        _input(
            base.course_id,
            starts_at=base.starts_at,
            enrol_opens_at=base.starts_at - dt.timedelta(days=5),
            enrol_closes_at=base.starts_at,
            cancel_deadline_at=base.starts_at,
        )
    )
    assert session.enrol_closes_at == session.starts_at == session.cancel_deadline_at


def test_a_session_may_span_several_days(ctx, make_course):
    base = _input(make_course().id)
    session = ops.create_session(
        _input(
            base.course_id, starts_at=base.starts_at, ends_at=base.starts_at + dt.timedelta(days=3)
        )
    )
    assert session.ends_at - session.starts_at == dt.timedelta(days=3)


def test_an_online_only_session_needs_no_place(ctx, make_course):
    session = ops.create_session(
        _input(make_course().id, place="", online_url="https://meet.sejong.example.kr/ai-101")
    )
    assert session.place == ""


def test_a_start_in_the_past_is_refused(ctx, make_course):
    with pytest.raises(ops.SchedulingError, match="이미 지났습니다"):
        ops.create_session(_input(make_course().id, starts_at=clock.utcnow() - HOUR))


def test_a_course_no_longer_offered_gets_no_new_sessions(ctx, make_course):
    with pytest.raises(ops.SchedulingError, match="운영하지 않는 교육과정"):
        ops.create_session(_input(make_course(is_active=False).id))


def test_an_unknown_course_is_refused(ctx):
    with pytest.raises(ops.SchedulingError, match="교육과정이 없습니다"):
        ops.create_session(_input(999_999))


@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.COORDINATOR])
def test_instructors_and_coordinators_may_teach(ctx, make_course, make_user, role):
    teacher = make_user(role)
    session = ops.create_session(_input(make_course().id, instructor_id=teacher.id))
    assert session.instructor_id == teacher.id


@pytest.mark.parametrize(
    "fields", [{"role": Role.STAFF}, {"role": Role.INSTRUCTOR, "is_active": False}]
)
def test_staff_or_inactive_users_cannot_be_the_instructor(ctx, make_course, make_user, fields):
    user = make_user(fields.pop("role"), **fields)
    with pytest.raises(ops.SchedulingError, match="강사는"):
        ops.create_session(_input(make_course().id, instructor_id=user.id))


def test_instructor_choices_list_only_active_instructors_and_coordinators(ctx, make_user):
    teacher, coordinator = make_user(Role.INSTRUCTOR), make_user(Role.COORDINATOR)
    staff, gone = make_user(Role.STAFF), make_user(Role.INSTRUCTOR, is_active=False)
    ids = {i for i, _label in queries.instructor_choices()}
    assert {teacher.id, coordinator.id} <= ids
    assert not {staff.id, gone.id} & ids
    assert gone.id in {i for i, _label in queries.instructor_choices(include_id=gone.id)}


# --- editing -------------------------------------------------------------------------------


def test_lowering_capacity_below_the_enrolled_count_is_refused_and_changes_nothing(
    ctx, make_session, make_user, audit_entries
):
    session = make_session(capacity=3)
    _enrol(session.id, make_user(), make_user(), make_user())
    session = db.session.get(TrainingSession, session.id)
    with pytest.raises(ops.SchedulingError) as refused:
        session_ops.update_session(session.id, _same_as(session, capacity=2))
    assert str(refused.value) == (
        "정원을 2명으로 줄일 수 없습니다. 이미 3명이 확정되었습니다. "
        "먼저 신청자를 다른 차수로 옮기거나 취소해 주세요."
    )
    db.session.expire_all()
    assert db.session.get(TrainingSession, session.id).capacity == 3
    assert not audit_entries("session.updated")


def test_lowering_capacity_to_the_enrolled_count_is_allowed(ctx, make_session, make_user):
    session = make_session(capacity=5)
    _enrol(session.id, make_user(), make_user())
    session = db.session.get(TrainingSession, session.id)
    change = session_ops.update_session(session.id, _same_as(session, capacity=2))
    assert change.changed == ["capacity"]
    assert session.capacity == 2


def test_raising_capacity_promotes_the_waitlist_head_in_order_and_tells_them(
    ctx, make_session, make_user, audit_entries
):
    session = make_session(capacity=1)
    first, second, third, fourth = (make_user() for _ in range(4))
    _e1, e2, e3, e4 = _enrol(session.id, first, second, third, fourth)
    session = db.session.get(TrainingSession, session.id)
    change = session_ops.update_session(session.id, _same_as(session, capacity=3))
    assert change.promoted == 2
    assert (e2.status, e3.status, e4.status) == (
        EnrollmentStatus.ENROLLED,
        EnrollmentStatus.ENROLLED,
        EnrollmentStatus.WAITLISTED,
    )
    assert enrolment.waitlist_position(e4) == 1
    assert "enrollment.promoted" in _kinds(second.id)
    assert "enrollment.promoted" in _kinds(third.id)
    assert "enrollment.promoted" not in _kinds(fourth.id)
    assert enrolment.seats_consistent(session.id)
    entry = audit_entries("session.updated")[-1]
    assert entry.details["fields"] == ["capacity"]
    assert (entry.details["capacity_from"], entry.details["capacity_to"]) == (1, 3)
    assert entry.details["promoted"] == 2


def test_changing_the_time_tells_everyone_on_the_session(
    ctx, make_session, make_user, audit_entries
):
    session = make_session(capacity=1)
    enrolled, waiting = make_user(), make_user()
    _enrol(session.id, enrolled, waiting)
    session = db.session.get(TrainingSession, session.id)
    later = session.starts_at + dt.timedelta(days=1)
    change = session_ops.update_session(
        session.id, _same_as(session, starts_at=later, ends_at=later + 3 * HOUR)
    )
    assert change.changed == ["starts_at", "ends_at"]
    assert change.notified == 2
    for person in (enrolled, waiting):
        assert "session.changed" in _kinds(person.id)
        note = db.session.scalar(
            select(Notification).where(
                Notification.user_id == person.id, Notification.kind == "session.changed"
            )
        )
        assert note is not None
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "session.changed"))
    assert "BEGIN:VCALENDAR" in mail.ics
    assert audit_entries("session.updated")[-1].details["notified"] == 2


def test_changing_the_place_notifies_but_changing_notes_does_not(ctx, make_session, make_user):
    session = make_session()
    person = make_user()
    _enrol(session.id, person)
    session = db.session.get(TrainingSession, session.id)
    assert (
        session_ops.update_session(session.id, _same_as(session, notes="간식 준비")).notified == 0
    )
    assert "session.changed" not in _kinds(person.id)
    assert (
        session_ops.update_session(session.id, _same_as(session, place="세종시청 2층")).notified
        == 1
    )
    assert "session.changed" in _kinds(person.id)


def test_saving_without_changes_changes_and_audits_nothing(ctx, make_session, audit_entries):
    session = make_session()
    session = db.session.get(TrainingSession, session.id)
    before = session.updated_at
    assert session_ops.update_session(session.id, _same_as(session)) == session_ops.SessionChange()
    assert session.updated_at == before
    assert not audit_entries("session.updated")


def test_leaving_the_round_blank_keeps_the_current_round(ctx, make_session):
    session = make_session(round_number=7)
    session = db.session.get(TrainingSession, session.id)
    session_ops.update_session(session.id, _same_as(session, round_number=None, capacity=40))
    assert session.round_number == 7


def test_the_course_cannot_change_once_people_are_on_the_session(
    ctx, make_session, make_course, make_user
):
    session = make_session()
    _enrol(session.id, make_user())
    session = db.session.get(TrainingSession, session.id)
    with pytest.raises(ops.SchedulingError, match="교육과정을 바꿀 수 없습니다"):
        session_ops.update_session(
            session.id, _same_as(session, course_id=make_course().id, round_number=None)
        )


def test_a_cancelled_session_cannot_be_edited(ctx, make_session):
    session = make_session()
    session_ops.cancel_session(session.id, "강사 사정")
    session = db.session.get(TrainingSession, session.id)
    with pytest.raises(ops.SchedulingError, match="고칠 수 없습니다"):
        session_ops.update_session(session.id, _same_as(session, capacity=50))


def test_editing_an_unknown_session_is_refused(ctx, make_course):
    with pytest.raises(ops.SchedulingError, match="찾을 수 없습니다"):
        session_ops.update_session(999_999, _input(make_course().id))


# --- cancelling ----------------------------------------------------------------------------


def test_cancelling_frees_every_seat_and_tells_everyone(
    ctx, make_session, make_user, audit_entries
):
    session = make_session(capacity=2)
    people = [make_user() for _ in range(3)]
    _enrol(session.id, *people)
    count = session_ops.cancel_session(session.id, "  강사 사정으로\n 취소합니다 ")
    assert count == 3
    db.session.expire_all()
    session = db.session.get(TrainingSession, session.id)
    assert session.status is SessionStatus.CANCELLED
    assert session.seats_taken == 0
    assert "[취소 사유] 강사 사정으로 취소합니다" in session.notes
    statuses = db.session.scalars(
        select(Enrollment.status).where(Enrollment.session_id == session.id)
    ).all()
    assert set(statuses) == {EnrollmentStatus.CANCELLED}
    assert enrolment.seats_consistent(session.id)
    for person in people:
        mail = db.session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.user_id == person.id, OutboxMessage.kind == "session.cancelled"
            )
        )
        assert "강사 사정으로 취소합니다" in mail.body_text
        assert "METHOD:CANCEL" in mail.ics
    entry = audit_entries("session.cancelled")[-1]
    assert entry.details["cancelled_enrollments"] == 3
    assert "강사" not in str(entry.details)  # free text stays out of the audit log


def test_cancelling_twice_is_refused_politely(ctx, make_session, audit_entries):
    session = make_session()
    session_ops.cancel_session(session.id, "장소 사정")
    with pytest.raises(ops.SchedulingError, match="이미 취소된 차수입니다"):
        session_ops.cancel_session(session.id, "장소 사정")
    assert len(audit_entries("session.cancelled")) == 1


@pytest.mark.parametrize("reason", ["", "   ", "가" * 501])
def test_cancelling_needs_a_reason_of_reasonable_length(ctx, make_session, reason):
    session = make_session()
    with pytest.raises(ops.SchedulingError, match="취소 사유"):
        session_ops.cancel_session(session.id, reason)
    assert db.session.get(TrainingSession, session.id).status is SessionStatus.SCHEDULED


def test_people_already_cancelled_are_not_told_again(ctx, make_session, make_user):
    session = make_session()
    stays, left = make_user(), make_user()
    _enrolled_stays, enrolled_left = _enrol(session.id, stays, left)
    enrolment.cancel(enrolled_left.id, enrolment.Actor(left.id))
    assert session_ops.cancel_session(session.id, "수요 부족") == 1
    assert "session.cancelled" in _kinds(stays.id)
    assert "session.cancelled" not in _kinds(left.id)


# --- listing -------------------------------------------------------------------------------


def test_the_listing_counts_waitlist_and_requests_and_puts_upcoming_first(
    ctx, make_session, make_course, make_user
):
    course = make_course()
    soon = make_session(course_id=course.id, capacity=1)
    later = make_session(course_id=course.id, starts_at=clock.utcnow() + dt.timedelta(days=20))
    past = make_session(course_id=course.id, starts_at=clock.utcnow() - dt.timedelta(days=3))
    _enrol(soon.id, make_user(), make_user(), make_user())
    page = enrolment_queries.list_sessions(queries.SessionFilters(course_id=course.id), 1)
    assert [row.session.id for row in page.items] == [soon.id, later.id, past.id]
    first = page.items[0]
    assert (first.session.seats_taken, first.waitlisted, first.requested) == (1, 2, 0)
    assert first.course_title == course.title
    assert page.items[2].is_past


def test_the_listing_filters_by_status_period_and_seoul_dates(ctx, make_session, make_course):
    course = make_course()
    day = (clock.utcnow() + dt.timedelta(days=30)).astimezone(clock.SEOUL).date()
    on_day = make_session(course_id=course.id, starts_at=seoul_to_utc(day, dt.time(9, 0)))
    make_session(
        course_id=course.id, starts_at=seoul_to_utc(day + dt.timedelta(days=2), dt.time(9, 0))
    )
    cancelled = make_session(course_id=course.id)
    session_ops.cancel_session(cancelled.id, "취소")

    def ids(**filters):
        page = enrolment_queries.list_sessions(
            queries.SessionFilters(course_id=course.id, **filters), 1
        )
        return [row.session.id for row in page.items]

    assert ids(from_on=day, to_on=day) == [on_day.id]
    assert ids(status=SessionStatus.CANCELLED) == [cancelled.id]
    assert ids(period="past") == []
    assert len(ids(period="upcoming")) == 3
