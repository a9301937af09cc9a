"""Roster rules for coordinators: add, remove, promote, reorder, move and bulk enrolment."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from portal.audit.models import AuditEntry
from portal.core import clock
from portal.db import db
from portal.enrollment import bulk_operations as bulk_ops
from portal.enrollment import operations as enrolment
from portal.enrollment import roster_operations as ops
from portal.enrollment.bulk_operations import BulkMode, BulkSelection, Outcome
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.notifications.models import Notification, OutboxMessage
from portal.org.models import Department, DepartmentKind
from portal.scheduling.models import TrainingSession
from portal.users.models import Role, User


@pytest.fixture
def coordinator(make_user):
    return make_user(Role.COORDINATOR)


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


def _enrol(session_id: int, *users: User) -> list[Enrollment]:
    """Self-service enrolments, in the order given (first come, first served)."""
    return [
        enrolment.enrol(
            session_id, _user(u.id), enrolment.Actor(u.id), confirm_overlap=True
        ).enrollment
        for u in users
    ]


def _status(enrollment_id: int) -> EnrollmentStatus:
    return db.session.scalar(select(Enrollment.status).where(Enrollment.id == enrollment_id))


def _waitlist_user_ids(session_id: int) -> list[int]:
    return [e.user_id for e in enrolment.session_waitlist(session_id)]


def _free_a_seat_without_promotion(session_id: int) -> None:
    # Only possible by hand: every real path that frees a seat promotes the head at once.
    db.session.execute(
        update(TrainingSession)
        .where(TrainingSession.id == session_id)
        .values(capacity=TrainingSession.capacity + 1)
    )


# --- add and remove ------------------------------------------------------------------


def test_a_coordinator_adds_someone_by_employee_number_even_outside_the_window(
    ctx, make_user, make_session, coordinator, audit_entries
):
    now = clock.utcnow()
    session = make_session(capacity=2, enrol_closes_at=now - dt.timedelta(hours=1))
    staff = make_user(employee_number="S20240001")
    result = ops.add_person(session.id, " S20240001 ", coordinator.id)
    assert (result.status, result.already) == (EnrollmentStatus.ENROLLED, False)
    row = db.session.scalar(select(Enrollment).where(Enrollment.user_id == staff.id))
    assert row.source == "coordinator"
    [entry] = audit_entries("enrollment.added_for_user")
    assert entry.actor_id == coordinator.id
    assert entry.details["override"] is True
    assert entry.details["user_id"] == staff.id


def test_adding_to_a_full_session_puts_the_person_at_the_end_of_the_waitlist(
    ctx, make_user, make_session, coordinator
):
    session = make_session(capacity=1)
    _enrol(session.id, make_user(), make_user())
    late = make_user()
    result = ops.add_person(session.id, late.employee_number, coordinator.id)
    assert (result.status, result.waitlist_position) == (EnrollmentStatus.WAITLISTED, 2)


def test_adding_an_unknown_employee_number_is_refused_clearly(
    ctx, make_session, coordinator, row_count
):
    session = make_session()
    with pytest.raises(ops.RosterError, match="사번 'NOPE-1'인 직원을 찾을 수 없습니다"):
        ops.add_person(session.id, "NOPE-1", coordinator.id)
    assert row_count(Enrollment) == 0


def test_adding_someone_already_on_the_roster_changes_nothing(
    ctx, make_user, make_session, coordinator, audit_entries
):
    session = make_session()
    staff = make_user()
    _enrol(session.id, staff)
    result = ops.add_person(session.id, staff.employee_number, coordinator.id)
    assert (result.already, result.status) == (True, EnrollmentStatus.ENROLLED)
    assert audit_entries("enrollment.added_for_user") == []


def test_removing_someone_frees_the_seat_for_the_waitlist_head(
    ctx, make_user, make_session, coordinator, audit_entries
):
    session = make_session(capacity=1)
    first, second, third = make_user(), make_user(), make_user()
    e1, e2, e3 = _enrol(session.id, first, second, third)
    promoted = ops.remove(session.id, e1.id, coordinator.id)
    assert promoted.id == e2.id
    assert [_status(e.id) for e in (e1, e2, e3)] == [
        EnrollmentStatus.CANCELLED,
        EnrollmentStatus.ENROLLED,
        EnrollmentStatus.WAITLISTED,
    ]
    assert audit_entries("enrollment.cancelled_for_user")[-1].actor_id == coordinator.id
    assert enrolment.seats_consistent(session.id)


def test_an_enrolment_of_another_session_cannot_be_removed_through_this_one(
    ctx, make_user, make_session, coordinator
):
    here, there = make_session(), make_session()
    [elsewhere] = _enrol(there.id, make_user())
    with pytest.raises(ops.RosterError):
        ops.remove(here.id, elsewhere.id, coordinator.id)
    assert _status(elsewhere.id) is EnrollmentStatus.ENROLLED


# --- promote ---------------------------------------------------------------------------


def test_promoting_is_refused_when_every_seat_is_taken_and_nothing_changes(
    ctx, make_user, make_session, coordinator, audit_entries
):
    session = make_session(capacity=1)
    _, waiting = _enrol(session.id, make_user(), make_user())
    with pytest.raises(ops.RosterError, match="빈 자리가 없어 확정할 수 없습니다") as refused:
        ops.promote(session.id, waiting.id, coordinator.id)
    assert "정원을 늘려" in str(refused.value)
    assert _status(waiting.id) is EnrollmentStatus.WAITLISTED
    assert db.session.get(TrainingSession, session.id).seats_taken == 1
    assert enrolment.seats_consistent(session.id)
    assert audit_entries("enrollment.promoted") == []


def test_promoting_gives_a_free_seat_to_the_chosen_person_and_tells_them(
    ctx, make_user, make_session, coordinator, audit_entries
):
    session = make_session(capacity=1)
    people = [make_user() for _ in range(3)]
    _, head, chosen = _enrol(session.id, *people)
    _free_a_seat_without_promotion(session.id)
    ops.promote(session.id, chosen.id, coordinator.id)
    assert _status(chosen.id) is EnrollmentStatus.ENROLLED
    assert _status(head.id) is EnrollmentStatus.WAITLISTED
    assert enrolment.seats_consistent(session.id)
    [entry] = audit_entries("enrollment.promoted")
    assert entry.actor_id == coordinator.id
    assert (entry.details["manual"], entry.details["waitlist_position"]) == (True, 2)
    kinds = db.session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.user_id == people[2].id)
    ).all()
    assert "enrollment.promoted" in kinds


def test_only_waitlisted_people_can_be_promoted(ctx, make_user, make_session, coordinator):
    session = make_session(capacity=2)
    [enrolled] = _enrol(session.id, make_user())
    with pytest.raises(ops.RosterError, match="대기 중인 신청만"):
        ops.promote(session.id, enrolled.id, coordinator.id)


def test_nobody_is_promoted_by_hand_after_the_start(ctx, make_user, make_session, coordinator):
    session = make_session(capacity=1)
    _, waiting = _enrol(session.id, make_user(), make_user())
    _free_a_seat_without_promotion(session.id)
    clock.advance(dt.timedelta(days=7, minutes=1))
    with pytest.raises(ops.RosterError, match="이미 시작했거나"):
        ops.promote(session.id, waiting.id, coordinator.id)
    assert _status(waiting.id) is EnrollmentStatus.WAITLISTED


# --- reorder ---------------------------------------------------------------------------


def test_moving_up_and_down_swaps_places_with_the_neighbour(
    ctx, make_user, make_session, coordinator, audit_entries
):
    session = make_session(capacity=1)
    people = [make_user() for _ in range(4)]
    _, a, b, c = _enrol(session.id, *people)
    assert _waitlist_user_ids(session.id) == [a.user_id, b.user_id, c.user_id]

    assert ops.reorder(session.id, c.id, ops.Direction.UP, coordinator.id) == 2
    assert _waitlist_user_ids(session.id) == [a.user_id, c.user_id, b.user_id]
    assert ops.reorder(session.id, a.id, ops.Direction.DOWN, coordinator.id) == 2
    assert _waitlist_user_ids(session.id) == [c.user_id, a.user_id, b.user_id]
    assert ops.reorder(session.id, b.id, ops.Direction.TOP, coordinator.id) == 1
    assert _waitlist_user_ids(session.id) == [b.user_id, c.user_id, a.user_id]

    entries = audit_entries("enrollment.reordered")
    assert [(e.details["from_position"], e.details["to_position"]) for e in entries] == [
        (3, 2),
        (1, 2),
        (3, 1),
    ]
    assert all(e.actor_id == coordinator.id for e in entries)


def test_the_head_cannot_move_up_and_the_tail_cannot_move_down(
    ctx, make_user, make_session, coordinator, audit_entries
):
    session = make_session(capacity=1)
    _, head, tail = _enrol(session.id, make_user(), make_user(), make_user())
    with pytest.raises(ops.RosterError, match="맨 앞"):
        ops.reorder(session.id, head.id, ops.Direction.UP, coordinator.id)
    with pytest.raises(ops.RosterError, match="맨 끝"):
        ops.reorder(session.id, tail.id, ops.Direction.DOWN, coordinator.id)
    assert audit_entries("enrollment.reordered") == []


def test_the_freed_seat_follows_the_new_order(ctx, make_user, make_session, coordinator):
    session = make_session(capacity=1)
    enrolled, first, second = _enrol(session.id, make_user(), make_user(), make_user())
    ops.reorder(session.id, second.id, ops.Direction.UP, coordinator.id)
    promoted = ops.remove(session.id, enrolled.id, coordinator.id)
    assert promoted.id == second.id
    assert _status(first.id) is EnrollmentStatus.WAITLISTED


# --- move ------------------------------------------------------------------------------


def test_moving_keeps_the_capacity_invariant_on_both_sessions_and_promotes_the_old_head(
    ctx, make_user, make_course, make_session, coordinator, audit_entries
):
    course = make_course()
    here = make_session(course_id=course.id, capacity=1)
    there = make_session(course_id=course.id, capacity=1)
    mover, waiting, occupant = make_user(), make_user(), make_user()
    moving, head = _enrol(here.id, mover, waiting)
    _enrol(there.id, occupant)

    result = ops.move(here.id, moving.id, there.id, coordinator.id)

    assert (result.status, result.waitlist_position) == (EnrollmentStatus.WAITLISTED, 1)
    assert result.promoted_here.id == head.id
    assert _status(moving.id) is EnrollmentStatus.CANCELLED
    assert _status(head.id) is EnrollmentStatus.ENROLLED
    assert result.enrollment.session_id == there.id
    assert result.enrollment.source == "moved"
    for session_id in (here.id, there.id):
        assert enrolment.seats_consistent(session_id)
        session = db.session.get(TrainingSession, session_id)
        assert session.seats_taken <= session.capacity
    [entry] = audit_entries("enrollment.moved")
    assert entry.details["from_session_id"] == here.id
    assert entry.details["to_session_id"] == there.id
    assert entry.details["promoted_enrollment_id"] == head.id
    assert entry.actor_id == coordinator.id


def test_moving_into_a_free_seat_enrols_there(
    ctx, make_user, make_course, make_session, coordinator
):
    course = make_course()
    here = make_session(course_id=course.id, capacity=1)
    there = make_session(course_id=course.id, capacity=5)
    [moving] = _enrol(here.id, make_user())
    result = ops.move(here.id, moving.id, there.id, coordinator.id)
    assert result.status is EnrollmentStatus.ENROLLED
    assert db.session.get(TrainingSession, here.id).seats_taken == 0
    assert db.session.get(TrainingSession, there.id).seats_taken == 1


@pytest.mark.parametrize("problem", ["other_course", "started", "already_there", "same"])
def test_a_refused_move_leaves_the_person_where_they_were(
    ctx, make_user, make_course, make_session, coordinator, problem, audit_entries
):
    course = make_course()
    here = make_session(course_id=course.id, capacity=1)
    if problem == "other_course":
        there = make_session()
    elif problem == "started":
        there = make_session(course_id=course.id, starts_at=clock.utcnow() + dt.timedelta(hours=1))
    else:
        there = make_session(course_id=course.id)
    person = make_user()
    [moving] = _enrol(here.id, person)
    if problem == "already_there":
        _enrol(there.id, person)
    if problem == "started":
        clock.advance(dt.timedelta(hours=2))
    target = here.id if problem == "same" else there.id
    with pytest.raises(ops.RosterError):
        ops.move(here.id, moving.id, target, coordinator.id)
    assert _status(moving.id) is EnrollmentStatus.ENROLLED
    assert db.session.get(TrainingSession, here.id).seats_taken == 1
    assert audit_entries("enrollment.moved") == []


# --- bulk: selection -----------------------------------------------------------------


def test_pasted_numbers_split_on_lines_commas_and_spaces_without_repeats():
    text = "A001\nA002, A003 ;A001\r\n\tA004,,"
    assert bulk_ops.parse_employee_numbers(text) == ["A001", "A002", "A003", "A004"]


@pytest.fixture
def team(ctx, department) -> Department:
    team = Department(
        code=f"TM{department.id:04d}",
        name="데이터팀",
        kind=DepartmentKind.TEAM,
        parent_id=department.id,
    )
    db.session.add(team)
    db.session.commit()
    return team


def _selection(session_id: int, mode: BulkMode, **fields) -> BulkSelection:
    return BulkSelection(session_id=session_id, mode=mode, **fields)


def test_by_department_takes_active_people_of_the_department_and_its_teams(
    ctx, make_user, make_session, department, team
):
    session = make_session()
    in_division = make_user(department_id=department.id)
    in_team = make_user(department_id=team.id)
    make_user(department_id=team.id, is_active=False)
    make_user()  # no department
    plan = bulk_ops.preview_bulk(
        _selection(session.id, BulkMode.DEPARTMENT, department_id=department.id)
    )
    assert sorted(line.user.id for line in plan.lines) == sorted([in_division.id, in_team.id])


def test_pasted_numbers_report_unknown_and_inactive_people(ctx, make_user, make_session):
    session = make_session()
    make_user(employee_number="P0001")
    make_user(employee_number="P0002", is_active=False)
    plan = bulk_ops.preview_bulk(
        _selection(session.id, BulkMode.NUMBERS, employee_numbers="P0001\nX9999, P0002")
    )
    assert [(line.employee_number, line.outcome) for line in plan.lines] == [
        ("P0001", Outcome.WOULD_ENROL),
        ("X9999", Outcome.UNKNOWN),
        ("P0002", Outcome.INACTIVE),
    ]


def test_the_rule_picks_recent_appointees_with_no_live_enrolment_in_the_course(
    ctx, make_user, make_course, make_session
):
    course = make_course(title="신규 임용자 생성형 AI 필수 과정")
    target = make_session(course_id=course.id)
    earlier_round = make_session(course_id=course.id)
    other_course_session = make_session()
    today = clock.today_in_seoul()
    recent = make_user(appointed_on=today - dt.timedelta(days=10))
    also_recent = make_user(appointed_on=today - dt.timedelta(days=90))
    cancelled_before = make_user(appointed_on=today - dt.timedelta(days=30))
    on_other_course = make_user(appointed_on=today - dt.timedelta(days=30))
    make_user(appointed_on=today - dt.timedelta(days=91))  # too long ago
    make_user(appointed_on=today - dt.timedelta(days=5), is_active=False)
    enrolled_elsewhere = make_user(appointed_on=today - dt.timedelta(days=20))
    _enrol(earlier_round.id, enrolled_elsewhere)
    [gone] = _enrol(earlier_round.id, cancelled_before)
    enrolment.cancel(gone.id, enrolment.Actor(cancelled_before.id))
    _enrol(other_course_session.id, on_other_course)

    plan = bulk_ops.preview_bulk(_selection(target.id, BulkMode.RULE, appointed_within_days=90))

    chosen = {line.user.id for line in plan.lines}
    assert chosen == {recent.id, also_recent.id, cancelled_before.id, on_other_course.id}
    assert plan.rule_course.id == course.id


def test_the_rule_uses_completion_completed_out_not_completed_back_in(
    ctx, make_user, make_course, make_session
):
    from decimal import Decimal

    from portal.attendance.models import Completion, CompletionStatus

    course = make_course()
    target = make_session(course_id=course.id)
    past = make_session(
        course_id=course.id,
        starts_at=clock.utcnow() - dt.timedelta(days=20),
    )
    today = clock.today_in_seoul()
    people = {
        name: make_user(appointed_on=today - dt.timedelta(days=15))
        for name in ("completed", "pending", "not_completed", "unjudged", "fresh")
    }
    now = clock.utcnow()
    for name, user in people.items():
        if name == "fresh":
            continue
        db.session.add(
            Enrollment(
                session_id=past.id,
                user_id=user.id,
                status=EnrollmentStatus.ENROLLED,
                queue_key=user.id,
                created_at=now,
                updated_at=now,
            )
        )
        if name == "unjudged":
            continue
        db.session.add(
            Completion(
                session_id=past.id,
                user_id=user.id,
                course_id=course.id,
                status=CompletionStatus(name),
                attended_hours=Decimal(0),
                scheduled_hours=Decimal(3),
                evaluated_at=now,
            )
        )
    db.session.flush()

    plan = bulk_ops.preview_bulk(_selection(target.id, BulkMode.RULE, appointed_within_days=30))

    chosen = {line.user.id for line in plan.lines}
    assert chosen == {people["not_completed"].id, people["fresh"].id}


def test_the_rule_can_name_another_course(ctx, make_user, make_course, make_session):
    basics = make_course()
    target = make_session()
    basics_session = make_session(course_id=basics.id)
    today = clock.today_in_seoul()
    took_basics = make_user(appointed_on=today - dt.timedelta(days=3))
    fresh = make_user(appointed_on=today - dt.timedelta(days=3))
    _enrol(basics_session.id, took_basics)
    plan = bulk_ops.preview_bulk(
        _selection(target.id, BulkMode.RULE, appointed_within_days=30, course_id=basics.id)
    )
    assert [line.user.id for line in plan.lines] == [fresh.id]


def test_a_selection_for_a_started_session_is_refused(ctx, make_user, make_session, department):
    session = make_session(starts_at=clock.utcnow() + dt.timedelta(minutes=5))
    clock.advance(dt.timedelta(minutes=10))
    with pytest.raises(ops.RosterError, match="이미 시작했거나"):
        bulk_ops.preview_bulk(
            _selection(session.id, BulkMode.DEPARTMENT, department_id=department.id)
        )


# --- bulk: preview and apply -----------------------------------------------------------


def test_the_preview_counts_seats_and_writes_nothing(
    ctx, make_user, make_session, department, row_count
):
    session = make_session(capacity=3)
    already = make_user(department_id=department.id)
    _enrol(session.id, already)
    for _ in range(4):
        make_user(department_id=department.id)
    before = (
        row_count(Enrollment),
        row_count(AuditEntry),
        row_count(OutboxMessage),
        row_count(Notification),
    )

    plan = bulk_ops.preview_bulk(
        _selection(session.id, BulkMode.DEPARTMENT, department_id=department.id)
    )

    assert plan.seats_left == 2
    assert (plan.count("would_enrol"), plan.count("would_waitlist"), plan.count("already")) == (
        2,
        2,
        1,
    )
    db.session.flush()
    after = (
        row_count(Enrollment),
        row_count(AuditEntry),
        row_count(OutboxMessage),
        row_count(Notification),
    )
    assert after == before
    assert not db.session.new and not db.session.dirty


def test_applying_gives_each_person_a_result_and_audits_the_batch(
    ctx, make_user, make_session, department, coordinator, audit_entries
):
    session = make_session(capacity=2)
    already = make_user(department_id=department.id, employee_number="B0001")
    _enrol(session.id, already)
    newcomers = [
        make_user(department_id=department.id, employee_number=f"B000{n}") for n in (2, 3, 4)
    ]
    selection = _selection(session.id, BulkMode.DEPARTMENT, department_id=department.id)
    digest = bulk_ops.preview_bulk(selection).digest

    plan = bulk_ops.apply_bulk(selection, digest, coordinator.id)

    results = {line.employee_number: (line.outcome, line.waitlist_position) for line in plan.lines}
    assert results == {
        "B0001": (Outcome.ALREADY, None),
        "B0002": (Outcome.ENROLLED, None),
        "B0003": (Outcome.WAITLISTED, 1),
        "B0004": (Outcome.WAITLISTED, 2),
    }
    assert enrolment.seats_consistent(session.id)
    [batch] = audit_entries("enrollment.bulk")
    assert batch.actor_id == coordinator.id
    assert batch.details["counts"] == {"already": 1, "enrolled": 1, "waitlisted": 2}
    assert batch.details["department_id"] == department.id
    per_person = audit_entries("enrollment.added_for_user")
    assert sorted(e.details["user_id"] for e in per_person) == sorted(u.id for u in newcomers)
    sources = set(
        db.session.scalars(
            select(Enrollment.source).where(Enrollment.user_id.in_([u.id for u in newcomers]))
        )
    )
    assert sources == {"bulk"}


def test_applying_after_the_selection_changed_writes_nothing(
    ctx, make_user, make_session, department, coordinator, audit_entries, row_count
):
    session = make_session()
    make_user(department_id=department.id)
    selection = _selection(session.id, BulkMode.DEPARTMENT, department_id=department.id)
    digest = bulk_ops.preview_bulk(selection).digest
    make_user(department_id=department.id)  # joined the department since the preview
    with pytest.raises(bulk_ops.SelectionChanged) as changed:
        bulk_ops.apply_bulk(selection, digest, coordinator.id)
    assert len(changed.value.plan.lines) == 2
    assert row_count(Enrollment) == 0
    assert audit_entries("enrollment.bulk") == []


def test_bulk_enrolment_goes_ahead_over_an_overlap_but_reports_it(
    ctx, make_user, make_session, coordinator, audit_entries
):
    starts = clock.utcnow() + dt.timedelta(days=9)
    session = make_session(starts_at=starts)
    clash = make_session(starts_at=starts + dt.timedelta(hours=1))
    busy = make_user(employee_number="C0001")
    make_user(employee_number="C0002")
    _enrol(clash.id, busy)
    selection = _selection(session.id, BulkMode.NUMBERS, employee_numbers="C0001 C0002")
    preview = bulk_ops.preview_bulk(selection)
    assert [line.has_overlap for line in preview.lines] == [True, False]

    plan = bulk_ops.apply_bulk(selection, preview.digest, coordinator.id)

    assert [(line.outcome, line.has_overlap) for line in plan.lines] == [
        (Outcome.ENROLLED, True),
        (Outcome.ENROLLED, False),
    ]
    assert audit_entries("enrollment.bulk")[0].details["overlaps"] == 1


def test_a_pasted_list_longer_than_the_limit_is_refused(ctx, make_session):
    session = make_session()
    numbers = " ".join(f"N{n:05d}" for n in range(bulk_ops.MAX_BULK + 1))
    with pytest.raises(ops.RosterError, match="나눠"):
        bulk_ops.preview_bulk(_selection(session.id, BulkMode.NUMBERS, employee_numbers=numbers))
