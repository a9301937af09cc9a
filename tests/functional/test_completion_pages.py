"""수료 판정 (the button and `flask attendance complete`) and how completion shows to staff."""

from __future__ import annotations

import datetime as dt
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
    MarkSource,
)
from portal.core import clock
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.scheduling.models import SessionStatus
from portal.users.models import Role
from tests.conftest import Auth


def _past(make_session, **fields):
    starts = clock.utcnow() - dt.timedelta(days=3)
    return make_session(starts_at=starts, ends_at=starts + dt.timedelta(hours=4), **fields)


def _enrol_and_mark(app, session, user, status: AttendanceStatus | None) -> None:
    now = clock.utcnow()
    with app.app_context():
        db.session.add(
            Enrollment(
                session_id=session.id,
                user_id=user.id,
                status=EnrollmentStatus.ENROLLED,
                queue_key=user.id,
                created_at=now,
                updated_at=now,
            )
        )
        if status is not None:
            db.session.add(
                AttendanceMark(
                    session_id=session.id,
                    user_id=user.id,
                    day=session.starts_at.astimezone(clock.SEOUL).date(),
                    status=status,
                    source=MarkSource.ROSTER,
                    marked_at=now,
                )
            )
        db.session.commit()


def _statuses(app, session_id: int) -> dict[int, CompletionStatus]:
    with app.app_context():
        return dict(
            db.session.execute(
                select(Completion.user_id, Completion.status).where(
                    Completion.session_id == session_id
                )
            ).all()
        )


def _client(app, user):
    client = app.test_client()
    assert Auth(client).login(user).status_code == 302
    return client


def _judge(client, session_id: int, back: str = "roster"):
    token = Auth(client).csrf("/")
    return client.post(
        f"/attendance/sessions/{session_id}/completion",
        data={"csrf_token": token, "back": back},
    )


def test_a_coordinator_judges_an_ended_session_from_the_roster_page(app, make_user, make_session):
    session = _past(make_session)
    present, absent = make_user(), make_user()
    _enrol_and_mark(app, session, present, AttendanceStatus.PRESENT)
    _enrol_and_mark(app, session, absent, AttendanceStatus.ABSENT)
    client = _client(app, make_user(Role.COORDINATOR))
    page = client.get(f"/manage/sessions/{session.id}/roster").get_data(as_text=True)
    assert "수료 판정" in page

    response = _judge(client, session.id)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/sessions/{session.id}/roster")
    assert _statuses(app, session.id) == {
        present.id: CompletionStatus.COMPLETED,
        absent.id: CompletionStatus.NOT_COMPLETED,
    }
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "수료 1명, 진행 중 0명, 미수료 1명" in after


def test_the_button_is_not_offered_before_the_end_and_a_post_is_refused(
    app, make_user, make_session
):
    session = make_session()  # a week ahead
    staff = make_user()
    _enrol_and_mark(app, session, staff, None)
    client = _client(app, make_user(Role.COORDINATOR))
    assert "수료 판정" not in client.get(f"/manage/sessions/{session.id}/roster").get_data(
        as_text=True
    )
    response = _judge(client, session.id)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "교육이 끝난 뒤에 수료를 판정할 수 있습니다" in page
    assert _statuses(app, session.id) == {}


def test_an_instructor_judges_only_their_own_session(app, make_user, make_session):
    me = make_user(Role.INSTRUCTOR)
    mine = _past(make_session, instructor_id=me.id)
    theirs = _past(make_session, instructor_id=make_user(Role.INSTRUCTOR).id)
    staff = make_user()
    _enrol_and_mark(app, mine, staff, AttendanceStatus.PRESENT)
    _enrol_and_mark(app, theirs, staff, AttendanceStatus.PRESENT)
    client = _client(app, me)
    assert "수료 판정" in client.get(f"/teaching/sessions/{mine.id}/roster").get_data(as_text=True)
    response = _judge(client, mine.id, back="teaching")
    assert response.headers["Location"].endswith(f"/teaching/sessions/{mine.id}/roster")
    assert _statuses(app, mine.id) == {staff.id: CompletionStatus.COMPLETED}
    assert _judge(client, theirs.id, back="teaching").status_code == 404
    assert _judge(client, 999_999_999).status_code == 404
    assert _statuses(app, theirs.id) == {}


def test_staff_cannot_judge(app, make_user, make_session):
    session = _past(make_session)
    assert _judge(_client(app, make_user()), session.id).status_code == 403


def test_a_post_without_csrf_changes_nothing(app, make_user, make_session):
    session = _past(make_session)
    staff = make_user()
    _enrol_and_mark(app, session, staff, AttendanceStatus.PRESENT)
    client = _client(app, make_user(Role.COORDINATOR))
    response = client.post(f"/attendance/sessions/{session.id}/completion", data={})
    assert response.status_code in (302, 400)
    assert _statuses(app, session.id) == {}


def test_my_learning_shows_completion_attended_and_awarded_hours(
    app, make_user, make_course, make_session
):
    course = make_course(title="수료 표시 과정", recognised_hours=Decimal("4.0"))
    done = _past(make_session, course_id=course.id)
    missed = _past(make_session, course_id=course.id)
    unjudged = _past(make_session, course_id=course.id)
    staff = make_user()
    _enrol_and_mark(app, done, staff, AttendanceStatus.PRESENT)
    _enrol_and_mark(app, missed, staff, AttendanceStatus.ABSENT)
    _enrol_and_mark(app, unjudged, staff, AttendanceStatus.PRESENT)
    with app.app_context():
        completion.refresh(done.id)
        completion.refresh(missed.id)
        db.session.commit()
    html = _client(app, staff).get("/my/learning").get_data(as_text=True)
    assert html.count('bg-light-success">수료</span>') == 1
    assert html.count('bg-light-gray">미수료</span>') == 1
    assert "(수료 판정 전)" in html
    assert "4 / 4시간" in html and "0 / 4시간" in html
    assert "80% 이상 출석" in html


def test_home_mandatory_line_shows_completed_and_not_completed(
    app, make_user, make_course, make_session
):
    today = clock.today_in_seoul()
    took = make_course(title="필수 과정 가", is_mandatory_for_new=True, mandatory_within_days=60)
    failed = make_course(title="필수 과정 나", is_mandatory_for_new=True, mandatory_within_days=60)
    staff = make_user(appointed_on=today - dt.timedelta(days=10))
    first = _past(make_session, course_id=took.id)
    second = _past(make_session, course_id=failed.id)
    _enrol_and_mark(app, first, staff, AttendanceStatus.PRESENT)
    _enrol_and_mark(app, second, staff, AttendanceStatus.ABSENT)
    client = _client(app, staff)
    before = client.get("/").get_data(as_text=True)
    assert before.count('bg-light-primary">진행 중</span>') == 2  # ended, not judged yet
    with app.app_context():
        completion.refresh(first.id)
        completion.refresh(second.id)
        db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert 'bg-light-success">수료</span>' in html
    assert 'bg-light-gray">미수료</span>' in html


# --- the CLI ------------------------------------------------------------------------


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def invoke(*args: str):
        return runner.invoke(args=["attendance", "complete", *args])

    return invoke


def test_the_cli_judges_sessions_that_need_it_and_then_nothing(app, run, make_user, make_session):
    session = _past(make_session)
    staff = make_user()
    _enrol_and_mark(app, session, staff, AttendanceStatus.PRESENT)
    result = run()
    assert result.exit_code == 0, result.output
    assert f"차수 {session.id}" in result.output and "수료 1명" in result.output
    assert _statuses(app, session.id) == {staff.id: CompletionStatus.COMPLETED}
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(HoursEntry.id)).where(HoursEntry.user_id == staff.id)
            )
            == 1
        )
    again = run()
    assert again.exit_code == 0 and f"차수 {session.id} " not in again.output


def test_the_cli_judges_one_session_on_request_and_explains_refusals(
    app, run, make_user, make_session
):
    session = _past(make_session)
    staff = make_user()
    _enrol_and_mark(app, session, staff, AttendanceStatus.LATE)
    result = run("--session", str(session.id))
    assert result.exit_code == 0, result.output
    assert "미수료 1명" in result.output  # late counts 50 % by default

    missing = run("--session", "999999999")
    assert missing.exit_code == 1 and "찾을 수 없습니다" in missing.output
    ahead = make_session()
    early = run("--session", str(ahead.id))
    assert early.exit_code == 1 and "끝난 뒤에" in early.output
    cancelled = _past(make_session, status=SessionStatus.CANCELLED)
    refused = run("--session", str(cancelled.id))
    assert refused.exit_code == 1 and "취소된 차수" in refused.output
    bad = run("--session", "abc")
    assert bad.exit_code == 2
    assert run("--session", "0").exit_code == 2
