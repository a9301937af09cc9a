"""Staff enrol and cancel through the pages; department heads approve requests."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import render_template_string
from sqlalchemy import func, select

from portal.core import clock
from portal.db import db
from portal.enrollment import operations as ops
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.notifications.models import Notification, OutboxMessage
from portal.org.models import Department, DepartmentKind
from portal.scheduling.models import TrainingSession
from portal.users.models import Role, User
from tests.conftest import Auth


def _client_for(app, user):
    client = app.test_client()
    assert Auth(client).login(user).status_code == 302
    return client


def _csrf(client) -> str:
    return Auth(client).csrf("/my/learning")


def _enrol(client, session_id: int, **data):
    return client.post(f"/sessions/{session_id}/enrol", data={"csrf_token": _csrf(client)} | data)


def _enrollment(app, session_id: int, user_id: int) -> Enrollment | None:
    with app.app_context():
        return db.session.scalar(
            select(Enrollment).where(
                Enrollment.session_id == session_id, Enrollment.user_id == user_id
            )
        )


def _flashes(client) -> str:
    return client.get("/my/learning").get_data(as_text=True)


def test_staff_member_enrols_with_a_post_and_sees_the_session_in_my_learning(
    app, make_user, make_session
):
    session = make_session(capacity=5, place="세종시청 4층 교육장")
    staff = make_user(Role.STAFF)
    client = _client_for(app, staff)

    response = _enrol(client, session.id)

    assert response.status_code == 302
    assert _enrollment(app, session.id, staff.id).status is EnrollmentStatus.ENROLLED
    page = _flashes(client)
    assert "수강이 확정되었습니다" in page
    assert "세종시청 4층 교육장" in page
    assert "확정" in page


def test_second_person_on_a_one_seat_session_joins_the_waitlist_and_sees_the_position(
    app, make_user, make_session
):
    session = make_session(capacity=1)
    first, second = make_user(), make_user()
    _enrol(_client_for(app, first), session.id)
    client = _client_for(app, second)

    _enrol(client, session.id)

    assert _enrollment(app, session.id, second.id).status is EnrollmentStatus.WAITLISTED
    page = _flashes(client)
    assert "대기 1번으로 등록되었습니다" in page
    assert "대기 1번" in page


def test_owner_cancels_and_the_waitlisted_colleague_is_promoted_and_told(
    app, make_user, make_session
):
    session = make_session(capacity=1)
    owner, colleague = make_user(), make_user()
    owner_client = _client_for(app, owner)
    _enrol(owner_client, session.id)
    _enrol(_client_for(app, colleague), session.id)
    mine = _enrollment(app, session.id, owner.id)

    response = owner_client.post(
        f"/enrollments/{mine.id}/cancel",
        data={"csrf_token": _csrf(owner_client), "next": "/my/learning"},
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/my/learning")
    assert _enrollment(app, session.id, owner.id).status is EnrollmentStatus.CANCELLED
    assert _enrollment(app, session.id, colleague.id).status is EnrollmentStatus.ENROLLED
    with app.app_context():
        notes = db.session.scalars(
            select(Notification.kind).where(Notification.user_id == colleague.id)
        ).all()
        mail = db.session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.user_id == colleague.id,
                OutboxMessage.kind == "enrollment.promoted",
            )
        )
        assert ops.seats_consistent(session.id)
    assert "enrollment.promoted" in notes
    assert mail is not None and "BEGIN:VCALENDAR" in mail.ics
    assert "대기 중인 다음 분에게 자리가 넘어갔습니다" in _flashes(owner_client)


def test_cancelling_someone_elses_enrolment_is_not_found_and_changes_nothing(
    app, make_user, make_session
):
    session = make_session()
    owner, intruder = make_user(), make_user(Role.COORDINATOR)
    _enrol(_client_for(app, owner), session.id)
    theirs = _enrollment(app, session.id, owner.id)
    client = _client_for(app, intruder)

    response = client.post(f"/enrollments/{theirs.id}/cancel", data={"csrf_token": _csrf(client)})

    assert response.status_code == 404
    assert _enrollment(app, session.id, owner.id).status is EnrollmentStatus.ENROLLED


def test_cancelling_an_unknown_enrolment_is_not_found(app, make_user):
    client = _client_for(app, make_user())
    response = client.post("/enrollments/999999/cancel", data={"csrf_token": _csrf(client)})
    assert response.status_code == 404


def test_enrolling_in_an_unknown_session_is_not_found(app, make_user):
    client = _client_for(app, make_user())
    assert _enrol(client, 999999).status_code == 404


def test_overlapping_session_shows_a_warning_first_and_enrols_after_confirmation(
    app, make_user, make_session
):
    starts = clock.utcnow() + dt.timedelta(days=10)
    first = make_session(starts_at=starts)
    clash = make_session(starts_at=starts + dt.timedelta(hours=1))
    staff = make_user()
    client = _client_for(app, staff)
    _enrol(client, first.id)

    warning = _enrol(client, clash.id)

    assert warning.status_code == 200
    html = warning.get_data(as_text=True)
    assert "같은 시간에 신청한 교육이 있습니다" in html
    assert 'name="confirm_overlap" value="1"' in html
    assert _enrollment(app, clash.id, staff.id) is None

    confirmed = _enrol(client, clash.id, confirm_overlap="1")

    assert confirmed.status_code == 302
    assert _enrollment(app, clash.id, staff.id).status is EnrollmentStatus.ENROLLED


def test_a_refused_enrolment_is_explained_and_changes_nothing(app, make_user, make_session):
    now = clock.utcnow()
    session = make_session(enrol_closes_at=now - dt.timedelta(hours=1))
    staff = make_user()
    client = _client_for(app, staff)

    response = _enrol(client, session.id)

    assert response.status_code == 302
    assert _enrollment(app, session.id, staff.id) is None
    assert "신청 기간이 끝났습니다" in _flashes(client)


def test_enrolment_returns_only_to_a_local_next_path(app, make_user, make_session):
    staff = make_user()
    client = _client_for(app, staff)
    now = clock.utcnow()
    a, b, c = (make_session(starts_at=now + dt.timedelta(days=d)) for d in (3, 4, 5))
    local = _enrol(client, a.id, next="/my/learning?page=1")
    outside = _enrol(client, b.id, next="https://evil.example/")
    sneaky = _enrol(client, c.id, next="//evil.example/x")

    assert local.headers["Location"].endswith("/my/learning?page=1")
    assert "evil.example" not in outside.headers["Location"]
    assert "evil.example" not in sneaky.headers["Location"]


def test_a_post_without_a_csrf_token_changes_nothing(app, make_user, make_session):
    session = make_session()
    staff = make_user()
    client = _client_for(app, staff)

    response = client.post(f"/sessions/{session.id}/enrol", data={})

    assert response.status_code == 400
    assert _enrollment(app, session.id, staff.id) is None

    _enrol(client, session.id)
    mine = _enrollment(app, session.id, staff.id)
    assert client.post(f"/enrollments/{mine.id}/cancel", data={}).status_code == 400
    assert _enrollment(app, session.id, staff.id).status is EnrollmentStatus.ENROLLED


# --- approvals ---------------------------------------------------------------------


def _team_under(app, division: Department) -> Department:
    with app.app_context():
        team = Department(
            code=f"TM{division.id:04d}",
            name="데이터팀",
            kind=DepartmentKind.TEAM,
            parent_id=division.id,
        )
        db.session.add(team)
        db.session.commit()
        return team


def _other_bureau(app) -> Department:
    with app.app_context():
        bureau = Department(code="OB0001", name="경제산업국", kind=DepartmentKind.BUREAU)
        db.session.add(bureau)
        db.session.commit()
        return bureau


def test_department_head_approves_a_request_from_a_team_below_their_division(
    app, make_user, make_course, make_session, department
):
    course = make_course(requires_approval=True)
    session = make_session(course_id=course.id)
    team = _team_under(app, department)
    requester = make_user(department_id=team.id)
    head = make_user(department_id=department.id, is_department_head=True)
    requester_client = _client_for(app, requester)

    _enrol(requester_client, session.id)
    assert _enrollment(app, session.id, requester.id).status is EnrollmentStatus.REQUESTED
    assert "부서장 승인을 기다립니다" in _flashes(requester_client)

    head_client = _client_for(app, head)
    listing = head_client.get("/approvals/")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert requester.name in html and course.title in html and "데이터팀" in html

    request_id = _enrollment(app, session.id, requester.id).id
    response = head_client.post(
        f"/approvals/{request_id}",
        data={"csrf_token": _csrf(head_client), "decision": "approve"},
    )

    assert response.status_code == 302
    assert _enrollment(app, session.id, requester.id).status is EnrollmentStatus.ENROLLED
    assert "승인했습니다" in head_client.get("/approvals/").get_data(as_text=True)
    with app.app_context():
        confirmed = db.session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.user_id == requester.id,
                OutboxMessage.kind == "enrollment.confirmed",
            )
        )
    assert confirmed == 1


def test_department_head_declines_a_request(app, make_user, make_course, make_session, department):
    session = make_session(course_id=make_course(requires_approval=True).id)
    requester = make_user(department_id=department.id)
    head = make_user(department_id=department.id, is_department_head=True)
    _enrol(_client_for(app, requester), session.id)
    request_id = _enrollment(app, session.id, requester.id).id
    head_client = _client_for(app, head)

    head_client.post(
        f"/approvals/{request_id}",
        data={"csrf_token": _csrf(head_client), "decision": "decline"},
    )

    assert _enrollment(app, session.id, requester.id).status is EnrollmentStatus.DECLINED
    assert "반려" in _flashes(_client_for(app, requester))


def test_approvals_refuse_anyone_who_is_not_a_department_head(app, make_user, department):
    for role in (Role.STAFF, Role.COORDINATOR, Role.ADMIN):
        client = _client_for(app, make_user(role, department_id=department.id))
        assert client.get("/approvals/").status_code == 403


def test_head_of_another_department_neither_sees_nor_decides_the_request(
    app, make_user, make_course, make_session, department
):
    session = make_session(course_id=make_course(requires_approval=True).id)
    requester = make_user(department_id=department.id)
    elsewhere = make_user(department_id=_other_bureau(app).id, is_department_head=True)
    _enrol(_client_for(app, requester), session.id)
    request_id = _enrollment(app, session.id, requester.id).id
    client = _client_for(app, elsewhere)

    assert requester.name not in client.get("/approvals/").get_data(as_text=True)
    response = client.post(
        f"/approvals/{request_id}", data={"csrf_token": _csrf(client), "decision": "approve"}
    )

    assert response.status_code == 404
    assert _enrollment(app, session.id, requester.id).status is EnrollmentStatus.REQUESTED


def test_a_head_does_not_approve_their_own_request(
    app, make_user, make_course, make_session, department
):
    session = make_session(course_id=make_course(requires_approval=True).id)
    head = make_user(department_id=department.id, is_department_head=True)
    client = _client_for(app, head)
    _enrol(client, session.id)
    mine = _enrollment(app, session.id, head.id)

    response = client.post(
        f"/approvals/{mine.id}", data={"csrf_token": _csrf(client), "decision": "approve"}
    )

    assert response.status_code == 404
    assert _enrollment(app, session.id, head.id).status is EnrollmentStatus.REQUESTED


def test_the_approval_list_is_one_query_whatever_the_number_of_requests(
    app, make_user, make_course, make_session, department, count_statements
):
    course = make_course(requires_approval=True)
    head = make_user(department_id=department.id, is_department_head=True)
    client = _client_for(app, head)

    def add_requests(n: int) -> None:
        with app.app_context():
            for _ in range(n):
                person = make_user(department_id=department.id)
                session = make_session(course_id=course.id)
                ops.enrol(session.id, db.session.get(User, person.id), ops.Actor(person.id))
            db.session.commit()

    def count() -> int:
        with count_statements() as statements:
            assert client.get("/approvals/").status_code == 200
        return len(statements)

    add_requests(1)
    client.get("/approvals/")
    small = count()
    add_requests(9)
    assert count() == small


# --- the enrol button partial ------------------------------------------------------


def _render_button(app, session: TrainingSession, mine=None, position=None) -> str:
    with app.test_request_context("/courses/x"):
        return render_template_string(
            '{% include "enrollment/_enrol_button.html" %}', s=session, mine=mine, position=position
        )


def test_enrol_button_offers_a_waitlist_when_the_session_is_full(app, make_session):
    open_session = make_session(capacity=2)
    full = make_session(capacity=1)
    with app.app_context():
        full = db.session.get(TrainingSession, full.id)
        full.seats_taken = 1
        db.session.commit()

    open_html = _render_button(app, open_session)
    full_html = _render_button(app, full)

    assert "대기 신청" not in open_html and ">신청<" in open_html
    assert "대기 신청" in full_html
    assert f'aria-describedby="session-{full.id}-label"' in full_html
    assert f'id="session-{full.id}-label"' in full_html
    assert 'name="csrf_token"' in full_html


def test_enrol_button_shows_the_users_status_with_a_cancel_form(app, make_session):
    session = make_session()
    waiting = Enrollment(
        id=41, session_id=session.id, user_id=1, status=EnrollmentStatus.WAITLISTED
    )
    requested = Enrollment(
        id=42, session_id=session.id, user_id=1, status=EnrollmentStatus.REQUESTED
    )
    declined = Enrollment(id=43, session_id=session.id, user_id=1, status=EnrollmentStatus.DECLINED)

    waiting_html = _render_button(app, session, waiting, 3)
    requested_html = _render_button(app, session, requested)
    declined_html = _render_button(app, session, declined)

    assert "대기 3번" in waiting_html and "/enrollments/41/cancel" in waiting_html
    assert "data-confirm" in waiting_html
    assert "승인 대기" in requested_html and "/enrollments/42/cancel" in requested_html
    assert "반려" in declined_html and f"/sessions/{session.id}/enrol" in declined_html


@pytest.mark.parametrize("lost", ["at the commit", "earlier, and the error was caught"])
def test_a_commit_lost_with_the_database_gives_the_503_page_and_no_success_message(
    app, make_user, make_session, monkeypatch, lost
):
    """Found by the PostgreSQL fault scenario (tests/faults): the server went away at the
    COMMIT of an enrolment, after the view had answered with its redirect and flash, and
    the person got a 500. Now: the portal's 503 page, still with its security headers, the
    "confirmed" message dropped, and nothing stored."""
    from sqlalchemy.exc import OperationalError, PendingRollbackError
    from sqlalchemy.orm import Session

    session = make_session(capacity=5)
    staff = make_user(Role.STAFF)
    client = _client_for(app, staff)
    token = _csrf(client)

    def gone(self):
        if lost == "at the commit":
            raise OperationalError("COMMIT", {}, ConnectionResetError("server closed it"))
        raise PendingRollbackError("Can't reconnect until invalid transaction is rolled back")

    with monkeypatch.context() as patch:
        patch.setattr(Session, "commit", gone)
        response = client.post(f"/sessions/{session.id}/enrol", data={"csrf_token": token})

    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "서비스를 잠시 이용할 수 없습니다" in html
    assert "Location" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert _enrollment(app, session.id, staff.id) is None
    assert "수강이 확정되었습니다" not in _flashes(client)
