"""Coordinator session management through the browser's eyes: forms, access, notices, queries."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.core import clock
from portal.db import db
from portal.enrollment import operations as enrolment
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.notifications.models import Notification, OutboxMessage
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.users.models import Role, User

BASE = "/manage/sessions"


def _future_day() -> dt.date:
    """10 December next year: always ahead of the clock, and a plain KST = UTC+9 date."""
    return dt.date(clock.today_in_seoul().year + 1, 12, 10)


def _form(course_id: int, **fields) -> dict[str, str]:
    day = _future_day().isoformat()
    data = {
        "course_id": str(course_id),
        "round_number": "",
        "starts_on": day,
        "starts_time": "09:00",
        "ends_on": day,
        "ends_time": "12:00",
        "place": "세종시청 4층 교육장",
        "online_url": "",
        "instructor_id": "0",
        "capacity": "30",
        "notes": "",
    }
    data.update(fields)
    return data


def _edit_form(session: TrainingSession, **fields) -> dict[str, str]:
    starts = session.starts_at.astimezone(clock.SEOUL)
    ends = session.ends_at.astimezone(clock.SEOUL)
    data = _form(
        session.course_id,
        round_number=str(session.round_number),
        starts_on=starts.date().isoformat(),
        starts_time=starts.strftime("%H:%M"),
        ends_on=ends.date().isoformat(),
        ends_time=ends.strftime("%H:%M"),
        place=session.place,
        capacity=str(session.capacity),
    )
    data.update(fields)
    return data


def _session(app, session_id: int) -> TrainingSession:
    with app.app_context():
        return db.session.get(TrainingSession, session_id)


def _sessions_of(app, course_id: int) -> list[TrainingSession]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(TrainingSession).where(TrainingSession.course_id == course_id)
            )
        )


def _enrol(app, session_id: int, *users: User) -> None:
    with app.app_context():
        for user in users:
            enrolment.enrol(session_id, db.session.get(User, user.id), enrolment.Actor(user.id))
        db.session.commit()


def _statuses(app, session_id: int) -> dict[int, EnrollmentStatus]:
    with app.app_context():
        rows = db.session.execute(
            select(Enrollment.user_id, Enrollment.status).where(Enrollment.session_id == session_id)
        )
        return {user_id: status for user_id, status in rows}


def _mail_kinds(app, user_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.user_id == user_id))
        )


def _note_kinds(app, user_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(select(Notification.kind).where(Notification.user_id == user_id))
        )


@pytest.fixture
def coordinator(as_role):
    return as_role(Role.COORDINATOR)


# --- creating ------------------------------------------------------------------------------


def test_a_coordinator_creates_a_session_entered_in_seoul_time_and_stored_in_utc(
    client, auth, coordinator, make_course, make_user, audit_entries
):
    course = make_course(title="공공데이터 이해와 챗GPT 활용방안")
    teacher = make_user(Role.INSTRUCTOR, name="김강사")
    page = client.get(f"{BASE}/new?course_id={course.id}")
    assert page.status_code == 200
    assert 'value="1"' in page.get_data(as_text=True)  # the next free round is offered
    response = client.post(
        f"{BASE}/new",
        data={
            "csrf_token": auth.csrf(f"{BASE}/new"),
            **_form(course.id, instructor_id=str(teacher.id)),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    [session] = _sessions_of(client.application, course.id)
    day = _future_day()
    assert session.starts_at == dt.datetime(day.year, 12, 10, 0, 0, tzinfo=dt.UTC)
    assert session.ends_at == dt.datetime(day.year, 12, 10, 3, 0, tzinfo=dt.UTC)
    assert (session.round_number, session.capacity, session.instructor_id) == (1, 30, teacher.id)
    assert response.headers["Location"].endswith(f"{BASE}/{session.id}")

    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"{day.isoformat()} 09:00–12:00" in detail
    assert "김강사" in detail
    assert audit_entries("session.created")[-1].actor_id == coordinator.id


def test_a_multi_day_session_shows_both_days(client, auth, coordinator, make_course):
    course = make_course()
    day = _future_day()
    response = client.post(
        f"{BASE}/new",
        data={
            "csrf_token": auth.csrf(f"{BASE}/new"),
            **_form(course.id, ends_on=(day + dt.timedelta(days=2)).isoformat(), ends_time="18:00"),
        },
    )
    assert response.status_code == 302
    listing = client.get(f"{BASE}/?course={course.id}").get_data(as_text=True)
    assert f"{day.isoformat()} 09:00 ~ {(day + dt.timedelta(days=2)).isoformat()} 18:00" in listing


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ends_time": "08:00"}, "종료 시각은 시작 시각보다 늦어야 합니다."),
        ({"place": ""}, "장소나 온라인 링크 가운데 하나는 입력해 주세요."),
        ({"capacity": "0"}, "정원은 1명에서 1000명 사이로 입력해 주세요."),
        ({"capacity": "1001"}, "정원은 1명에서 1000명 사이로 입력해 주세요."),
        ({"starts_time": ""}, "시작 시각을 입력해 주세요."),
        ({"enrol_closes_on": "2020-01-01"}, "날짜와 시각을 함께 입력해 주세요."),
        (
            {"cancel_deadline_on": "{day}", "cancel_deadline_time": "10:00"},
            "취소 마감 시각은 교육 시작 시각과 같거나 그보다 빨라야 합니다.",
        ),
    ],
)
def test_bad_input_is_shown_on_the_form_and_nothing_is_saved(
    client, auth, coordinator, make_course, fields, message
):
    course = make_course()
    fields = {k: v.format(day=_future_day().isoformat()) for k, v in fields.items()}
    response = client.post(
        f"{BASE}/new", data={"csrf_token": auth.csrf(f"{BASE}/new"), **_form(course.id, **fields)}
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _sessions_of(client.application, course.id) == []


def test_a_round_number_taken_by_the_course_is_explained(
    client, auth, coordinator, make_course, make_session
):
    course = make_course()
    make_session(course_id=course.id, round_number=1)
    response = client.post(
        f"{BASE}/new",
        data={"csrf_token": auth.csrf(f"{BASE}/new"), **_form(course.id, round_number="1")},
    )
    assert response.status_code == 422
    assert "이 교육과정에 이미 1차가 있습니다" in response.get_data(as_text=True)
    assert len(_sessions_of(client.application, course.id)) == 1


# --- access and CSRF -----------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.STAFF, Role.INSTRUCTOR])
def test_staff_and_instructors_are_refused_everywhere_and_change_nothing(
    client, auth, as_role, make_session, role
):
    session = make_session(capacity=10)
    as_role(role)
    token = auth.csrf("/")
    for path in ("/", "/new", f"/{session.id}", f"/{session.id}/edit"):
        assert client.get(BASE + path).status_code == 403
    edit = client.post(
        f"{BASE}/{session.id}/edit",
        data={"csrf_token": token, **_edit_form(session, capacity="99")},
    )
    cancel = client.post(f"{BASE}/{session.id}/cancel", data={"csrf_token": token, "reason": "x"})
    create = client.post(f"{BASE}/new", data={"csrf_token": token, **_form(session.course_id)})
    assert (edit.status_code, cancel.status_code, create.status_code) == (403, 403, 403)
    after = _session(client.application, session.id)
    assert (after.capacity, after.status) == (10, SessionStatus.SCHEDULED)
    assert len(_sessions_of(client.application, session.course_id)) == 1


def test_an_admin_may_manage_sessions_too(client, as_role, make_session):
    session = make_session()
    as_role(Role.ADMIN)
    assert client.get(f"{BASE}/{session.id}").status_code == 200


def test_a_post_without_a_csrf_token_changes_nothing(client, coordinator, make_session, make_user):
    session = make_session(capacity=10)
    person = make_user()
    _enrol(client.application, session.id, person)
    responses = [
        client.post(f"{BASE}/new", data=_form(session.course_id)),
        client.post(f"{BASE}/{session.id}/edit", data=_edit_form(session, capacity="50")),
        client.post(f"{BASE}/{session.id}/cancel", data={"reason": "취소"}),
    ]
    assert [r.status_code for r in responses] == [400, 400, 400]
    after = _session(client.application, session.id)
    assert (after.capacity, after.status, after.seats_taken) == (10, SessionStatus.SCHEDULED, 1)
    assert len(_sessions_of(client.application, session.course_id)) == 1
    assert _statuses(client.application, session.id) == {person.id: EnrollmentStatus.ENROLLED}


def test_an_unknown_session_is_404(client, auth, coordinator):
    assert client.get(f"{BASE}/999999").status_code == 404
    assert client.get(f"{BASE}/999999/edit").status_code == 404
    token = auth.csrf("/")
    assert (
        client.post(f"{BASE}/999999/cancel", data={"csrf_token": token, "reason": "x"}).status_code
        == 404
    )


# --- editing -------------------------------------------------------------------------------


def test_lowering_capacity_below_the_enrolled_count_is_refused_with_an_explanation(
    client, auth, coordinator, make_session, make_user, audit_entries
):
    session = make_session(capacity=3)
    people = [make_user() for _ in range(3)]
    _enrol(client.application, session.id, *people)
    url = f"{BASE}/{session.id}/edit"
    response = client.post(
        url,
        data={"csrf_token": auth.csrf(url), **_edit_form(session, capacity="2", place="다른 곳")},
    )
    assert response.status_code == 422
    assert (
        "정원을 2명으로 줄일 수 없습니다. 이미 3명이 확정되었습니다. "
        "먼저 신청자를 다른 차수로 옮기거나 취소해 주세요."
    ) in response.get_data(as_text=True)
    after = _session(client.application, session.id)
    assert (after.capacity, after.place) == (3, session.place)
    assert not audit_entries("session.updated")
    assert all("session.changed" not in _mail_kinds(client.application, p.id) for p in people)


def test_raising_capacity_promotes_the_waitlist_head_and_tells_them(
    client, auth, coordinator, make_session, make_user
):
    session = make_session(capacity=1)
    seated, head, next_in_line = make_user(), make_user(), make_user()
    _enrol(client.application, session.id, seated, head, next_in_line)
    url = f"{BASE}/{session.id}/edit"
    response = client.post(
        url, data={"csrf_token": auth.csrf(url), **_edit_form(session, capacity="2")}
    )
    assert response.status_code == 302
    assert _statuses(client.application, session.id) == {
        seated.id: EnrollmentStatus.ENROLLED,
        head.id: EnrollmentStatus.ENROLLED,
        next_in_line.id: EnrollmentStatus.WAITLISTED,
    }
    assert _session(client.application, session.id).seats_taken == 2
    assert "enrollment.promoted" in _mail_kinds(client.application, head.id)
    assert "enrollment.promoted" in _note_kinds(client.application, head.id)
    assert "enrollment.promoted" not in _mail_kinds(client.application, next_in_line.id)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "대기자 1명이 수강 확정되었습니다" in page


def test_moving_the_session_tells_everyone_on_it(
    client, auth, coordinator, make_session, make_user, audit_entries
):
    session = make_session(capacity=1)
    seated, waiting, bystander = make_user(), make_user(), make_user()
    _enrol(client.application, session.id, seated, waiting)
    url = f"{BASE}/{session.id}/edit"
    response = client.post(
        url,
        data={
            "csrf_token": auth.csrf(url),
            **_edit_form(session, starts_time="13:00", ends_time="17:00"),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    after = _session(client.application, session.id)
    assert after.starts_at.astimezone(clock.SEOUL).strftime("%H:%M") == "13:00"
    for person in (seated, waiting):
        assert "session.changed" in _mail_kinds(client.application, person.id)
        assert "session.changed" in _note_kinds(client.application, person.id)
    assert "session.changed" not in _mail_kinds(client.application, bystander.id)
    entry = audit_entries("session.updated")[-1]
    assert entry.details["fields"] == ["starts_at", "ends_at"]
    assert entry.actor_id == coordinator.id


def test_the_edit_form_shows_stored_times_in_seoul(client, coordinator, make_session):
    day = _future_day()
    starts = dt.datetime(day.year, 12, 10, 0, 30, tzinfo=dt.UTC)
    session = make_session(starts_at=starts, ends_at=starts + dt.timedelta(hours=2))
    html = client.get(f"{BASE}/{session.id}/edit").get_data(as_text=True)
    assert f'value="{day.isoformat()}"' in html
    assert 'value="09:30"' in html and 'value="11:30"' in html


# --- cancelling ----------------------------------------------------------------------------


def test_cancelling_a_session_frees_the_seats_and_tells_everyone(
    client, auth, coordinator, make_session, make_user, audit_entries
):
    session = make_session(capacity=1)
    seated, waiting = make_user(), make_user()
    _enrol(client.application, session.id, seated, waiting)
    url = f"{BASE}/{session.id}"
    detail = client.get(url).get_data(as_text=True)
    assert "data-confirm=" in detail
    response = client.post(
        f"{url}/cancel", data={"csrf_token": auth.csrf(url), "reason": "강사 사정으로 취소합니다"}
    )
    assert response.status_code == 302
    after = _session(client.application, session.id)
    assert (after.status, after.seats_taken) == (SessionStatus.CANCELLED, 0)
    assert set(_statuses(client.application, session.id).values()) == {EnrollmentStatus.CANCELLED}
    for person in (seated, waiting):
        assert "session.cancelled" in _mail_kinds(client.application, person.id)
        assert "session.cancelled" in _note_kinds(client.application, person.id)
    entry = audit_entries("session.cancelled")[-1]
    assert entry.details["cancelled_enrollments"] == 2
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "신청자 2명에게 알렸습니다" in page
    assert "강사 사정으로 취소합니다" in page


def test_cancelling_needs_a_reason(client, auth, coordinator, make_session):
    session = make_session()
    url = f"{BASE}/{session.id}"
    response = client.post(f"{url}/cancel", data={"csrf_token": auth.csrf(url), "reason": " "})
    assert response.status_code == 422
    assert "취소 사유를 입력해 주세요" in response.get_data(as_text=True)
    assert _session(client.application, session.id).status is SessionStatus.SCHEDULED


def test_cancelling_a_cancelled_session_is_refused_politely(
    client, auth, coordinator, make_session, audit_entries
):
    session = make_session()
    url = f"{BASE}/{session.id}"
    token = auth.csrf(url)
    assert (
        client.post(f"{url}/cancel", data={"csrf_token": token, "reason": "첫 취소"}).status_code
        == 302
    )
    again = client.post(f"{url}/cancel", data={"csrf_token": token, "reason": "또 취소"})
    assert again.status_code == 422
    assert "이미 취소된 차수입니다" in again.get_data(as_text=True)
    assert len(audit_entries("session.cancelled")) == 1
    assert client.get(f"{url}/edit").status_code == 200  # the page opens, saving is refused
    edit = client.post(
        f"{url}/edit", data={"csrf_token": token, **_edit_form(session, capacity="99")}
    )
    assert edit.status_code == 422
    assert "고칠 수 없습니다" in edit.get_data(as_text=True)


# --- the list ------------------------------------------------------------------------------


def test_the_list_shows_seats_and_waitlist_and_filters_by_course(
    client, coordinator, make_session, make_course, make_user
):
    course = make_course(title="초거대 AI 실습")
    other = make_course(title="AI 서비스 기획 컨설팅")
    session = make_session(course_id=course.id, capacity=1, place="세종시청 대회의실")
    make_session(course_id=other.id)
    _enrol(client.application, session.id, make_user(), make_user(), make_user())
    html = client.get(f"{BASE}/?course={course.id}").get_data(as_text=True)
    assert "초거대 AI 실습" in html and "AI 서비스 기획 컨설팅</a>" not in html
    assert "세종시청 대회의실" in html
    row = html[html.index("초거대 AI 실습</a>") :]
    assert "<td>1</td>\n        <td>1</td>\n        <td>2</td>" in row  # capacity, taken, waitlist


def test_a_tampered_filter_is_ignored(client, coordinator):
    response = client.get(f"{BASE}/?status=nonsense&course=abc&from_on=yesterday&page=-3")
    assert response.status_code == 200


def _populate(app, make_course, make_user, sessions: int) -> None:
    people = [make_user() for _ in range(3)]
    teacher = make_user(Role.INSTRUCTOR)
    for _ in range(sessions):
        course = make_course()
        with app.app_context():
            from tests.conftest import build_session

            session = build_session(course.id, capacity=1, instructor_id=teacher.id)
            db.session.add(session)
            db.session.commit()
            for person in people:
                enrolment.enrol(
                    session.id,
                    db.session.get(User, person.id),
                    enrolment.Actor(person.id),
                    confirm_overlap=True,
                )
            db.session.commit()


def test_the_list_issues_the_same_number_of_statements_for_1x_and_10x_sessions(
    client, coordinator, make_course, make_user, count_statements
):
    app = client.application
    client.get(f"{BASE}/")  # warm up: login session touch, caches

    _populate(app, make_course, make_user, 2)
    with count_statements() as small:
        assert client.get(f"{BASE}/").status_code == 200
    _populate(app, make_course, make_user, 18)
    with app.app_context():
        assert db.session.scalar(select(func.count(TrainingSession.id))) >= 20
    with count_statements() as large:
        assert client.get(f"{BASE}/").status_code == 200
    assert len(small) == len(large), (small, large)
