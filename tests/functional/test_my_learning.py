"""My learning: upcoming sessions, waitlist places, requests, history, and a fixed query count."""

from __future__ import annotations

import datetime as dt

from portal.core import clock
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.scheduling.models import SessionStatus
from tests.conftest import Auth, build_course, build_session


def _client_for(app, user):
    client = app.test_client()
    assert Auth(client).login(user).status_code == 302
    return client


def _add(app, session_id: int, user_id: int, status: EnrollmentStatus, queue_key: int) -> int:
    now = clock.utcnow()
    with app.app_context():
        row = Enrollment(
            session_id=session_id,
            user_id=user_id,
            status=status,
            queue_key=queue_key,
            created_at=now,
            updated_at=now,
            cancelled_at=now if status is EnrollmentStatus.CANCELLED else None,
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def test_upcoming_session_shows_course_place_and_seoul_time(app, make_user, make_session):
    starts = dt.datetime(2030, 3, 4, 0, 30, tzinfo=dt.UTC)  # 09:30 in Seoul
    session = make_session(starts_at=starts, place="세종시청 4층 교육장")
    staff = make_user()
    _add(app, session.id, staff.id, EnrollmentStatus.ENROLLED, 1)

    html = _client_for(app, staff).get("/my/learning").get_data(as_text=True)

    assert "2030-03-04 09:30" in html
    assert "세종시청 4층 교육장" in html
    assert "확정" in html
    assert f"/my/sessions/{session.id}.ics" in html
    assert "다운로드 .ics" in html


def test_waitlist_positions_are_shown_for_each_waitlisted_session(app, make_user, make_session):
    staff = make_user()
    others = [make_user() for _ in range(3)]
    now = clock.utcnow()
    first = make_session(capacity=1, starts_at=now + dt.timedelta(days=3))
    second = make_session(capacity=1, starts_at=now + dt.timedelta(days=4))
    # Two people ahead on the first session's waitlist, none on the second's.
    _add(app, first.id, others[0].id, EnrollmentStatus.ENROLLED, 1)
    _add(app, first.id, others[1].id, EnrollmentStatus.WAITLISTED, 2)
    _add(app, first.id, others[2].id, EnrollmentStatus.WAITLISTED, 3)
    _add(app, first.id, staff.id, EnrollmentStatus.WAITLISTED, 4)
    _add(app, second.id, others[0].id, EnrollmentStatus.ENROLLED, 1)
    _add(app, second.id, others[1].id, EnrollmentStatus.CANCELLED, 2)
    _add(app, second.id, staff.id, EnrollmentStatus.WAITLISTED, 3)

    html = _client_for(app, staff).get("/my/learning").get_data(as_text=True)

    assert "대기 3번" in html
    assert "대기 1번" in html


def test_requests_awaiting_approval_have_their_own_list(app, make_user, make_session):
    staff = make_user()
    session = make_session()
    _add(app, session.id, staff.id, EnrollmentStatus.REQUESTED, 1)

    html = _client_for(app, staff).get("/my/learning").get_data(as_text=True)

    assert "부서장 승인을 기다리는 신청" in html
    assert "승인 대기" in html


def test_history_lists_past_cancelled_and_declined_enrolments(app, make_user, make_session):
    staff = make_user()
    now = clock.utcnow()
    past = make_session(starts_at=now - dt.timedelta(days=30))
    cancelled = make_session(starts_at=now + dt.timedelta(days=3))
    declined = make_session(starts_at=now + dt.timedelta(days=4))
    called_off = make_session(starts_at=now + dt.timedelta(days=5), status=SessionStatus.CANCELLED)
    _add(app, past.id, staff.id, EnrollmentStatus.ENROLLED, 1)
    _add(app, cancelled.id, staff.id, EnrollmentStatus.CANCELLED, 1)
    _add(app, declined.id, staff.id, EnrollmentStatus.DECLINED, 1)
    _add(app, called_off.id, staff.id, EnrollmentStatus.ENROLLED, 1)

    html = _client_for(app, staff).get("/my/learning").get_data(as_text=True)

    history = html.split("지난 교육과 취소 내역", 1)[1]
    assert "교육 종료" in history
    assert "반려" in history
    assert "취소" in history
    assert "교육 취소됨" in history
    assert "예정된 교육이 없습니다" in html


def test_history_is_paginated(app, make_user, make_session):
    staff = make_user()
    course = None
    with app.app_context():
        course = build_course()
        db.session.add(course)
        db.session.commit()
    now = clock.utcnow()
    for i in range(25):
        session = make_session(course_id=course.id, starts_at=now - dt.timedelta(days=i + 1))
        _add(app, session.id, staff.id, EnrollmentStatus.ENROLLED, 1)
    client = _client_for(app, staff)

    first = client.get("/my/learning").get_data(as_text=True)
    second = client.get("/my/learning?page=2").get_data(as_text=True)

    assert "전체 25건 중 1–20건" in first
    assert "전체 25건 중 21–25건" in second


def test_session_ics_is_offered_only_for_the_users_own_active_enrolment(
    app, make_user, make_session
):
    staff, other = make_user(), make_user()
    mine = make_session()
    theirs = make_session()
    _add(app, mine.id, staff.id, EnrollmentStatus.ENROLLED, 1)
    _add(app, theirs.id, other.id, EnrollmentStatus.ENROLLED, 1)
    client = _client_for(app, staff)

    response = client.get(f"/my/sessions/{mine.id}.ics")

    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    assert "BEGIN:VEVENT" in body and f"training-session-{mine.id}@" in body
    # A plain download publishes the event: no meeting request, so no attendees.
    assert "METHOD:PUBLISH" in body.splitlines()
    assert "METHOD:REQUEST" not in body
    assert f"ORGANIZER:mailto:{app.config['MAIL_FROM']}" in body.splitlines()
    assert "ATTENDEE" not in body
    assert client.get(f"/my/sessions/{theirs.id}.ics").status_code == 404
    assert client.get("/my/sessions/999999.ics").status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get("/my/learning")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def _populate(app, user_id: int, others: list[int], copies: int, offset: int) -> None:
    """Each copy: an enrolled, a waitlisted (two ahead), a requested, a cancelled and a past row."""
    now = clock.utcnow()
    with app.app_context():
        course = build_course()
        db.session.add(course)
        db.session.flush()
        for i in range(copies):
            day = offset + i * 6
            sessions = [
                build_session(course.id, starts_at=now + dt.timedelta(days=day + k, hours=1))
                for k in range(4)
            ]
            sessions.append(build_session(course.id, starts_at=now - dt.timedelta(days=day + 1)))
            db.session.add_all(sessions)
            db.session.flush()
            stamp = {"created_at": now, "updated_at": now}
            rows = [
                Enrollment(session_id=sessions[0].id, user_id=user_id, queue_key=1,
                           status=EnrollmentStatus.ENROLLED, **stamp),
                Enrollment(session_id=sessions[1].id, user_id=others[0], queue_key=1,
                           status=EnrollmentStatus.WAITLISTED, **stamp),
                Enrollment(session_id=sessions[1].id, user_id=others[1], queue_key=2,
                           status=EnrollmentStatus.WAITLISTED, **stamp),
                Enrollment(session_id=sessions[1].id, user_id=user_id, queue_key=3,
                           status=EnrollmentStatus.WAITLISTED, **stamp),
                Enrollment(session_id=sessions[2].id, user_id=user_id, queue_key=1,
                           status=EnrollmentStatus.REQUESTED, **stamp),
                Enrollment(session_id=sessions[3].id, user_id=user_id, queue_key=1,
                           status=EnrollmentStatus.CANCELLED, **stamp),
                Enrollment(session_id=sessions[4].id, user_id=user_id, queue_key=1,
                           status=EnrollmentStatus.ENROLLED, **stamp),
            ]  # fmt: skip
            db.session.add_all(rows)
        db.session.commit()


def test_my_learning_issues_the_same_number_of_statements_for_1x_and_10x_data(
    app, make_user, count_statements
):
    staff = make_user()
    others = [make_user().id, make_user().id]
    client = _client_for(app, staff)
    _populate(app, staff.id, others, copies=1, offset=2)
    client.get("/my/learning")  # warm up: the login session's touch is written once

    with count_statements() as small:
        first = client.get("/my/learning")
    _populate(app, staff.id, others, copies=9, offset=10)
    with count_statements() as large:
        second = client.get("/my/learning")

    assert first.status_code == second.status_code == 200
    assert "대기 3번" in second.get_data(as_text=True)
    assert len(small) == len(large), (len(small), len(large))
    # login session + user, then upcoming, history count and history page (plus savepoints).
    assert len(small) <= 10, small


def test_the_check_in_entry_shows_only_on_a_day_with_a_confirmed_session(
    app, make_user, make_session
):
    noon = dt.datetime.combine(clock.today_in_seoul(), dt.time(12), clock.SEOUL)
    clock.advance(noon.astimezone(dt.UTC) - clock.utcnow())
    staff = make_user()
    later = make_session(starts_at=clock.utcnow() + dt.timedelta(days=3))
    _add(app, later.id, staff.id, EnrollmentStatus.ENROLLED, 1)
    client = _client_for(app, staff)
    assert "출석 코드 입력하기" not in client.get("/my/learning").get_data(as_text=True)

    waiting = make_session(starts_at=clock.utcnow() + dt.timedelta(hours=1), capacity=1)
    _add(app, waiting.id, staff.id, EnrollmentStatus.WAITLISTED, 2)
    assert "출석 코드 입력하기" not in client.get("/my/learning").get_data(as_text=True)

    today = make_session(starts_at=clock.utcnow() + dt.timedelta(hours=2))
    _add(app, today.id, staff.id, EnrollmentStatus.ENROLLED, 3)
    html = client.get("/my/learning").get_data(as_text=True)
    assert "출석 코드 입력하기" in html and 'href="/checkin"' in html
