"""The attendance roster: mark all present, then the exceptions; conflicts, reasons, access."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal.attendance.models import AttendanceMark, AttendanceStatus, MarkSource
from portal.core import clock
from portal.db import db
from portal.enrollment import operations as enrolment
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.users.models import Role, User
from tests.conftest import Auth

PRESENT, LATE, EXCUSED, ABSENT = (s.value for s in AttendanceStatus)


def page(session_id: int, day: dt.date | None = None) -> str:
    return f"/attendance/sessions/{session_id}" + (f"?day={day.isoformat()}" if day else "")


def mark_url(session_id: int) -> str:
    return f"/attendance/sessions/{session_id}/mark"


def all_url(session_id: int) -> str:
    return f"/attendance/sessions/{session_id}/all-present"


def sheet_url(session_id: int, day: dt.date) -> str:
    return f"/attendance/sessions/{session_id}/sign-in-sheet.pdf?day={day.isoformat()}"


def seoul(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), clock.SEOUL).astimezone(dt.UTC)


def move_clock_to(moment: dt.datetime) -> None:
    clock.advance(moment - clock.utcnow())


@pytest.fixture
def course_day() -> dt.date:
    """The first day of the session: two days ahead, so enrolment is still open now."""
    return clock.today_in_seoul() + dt.timedelta(days=2)


@pytest.fixture
def setup(app, make_user, make_session, course_day):
    """A two-day session (09:00–18:00) by an instructor, three enrolled people, one waitlisted."""
    teacher = make_user(Role.INSTRUCTOR)
    session = make_session(
        instructor_id=teacher.id,
        starts_at=seoul(course_day, 9),
        ends_at=seoul(course_day + dt.timedelta(days=1), 18),
        capacity=3,
        place="세종시청 4층 교육장",
    )
    people = [make_user(Role.STAFF, name=name) for name in ("가나다", "김출석", "이지각", "박대기")]
    with app.app_context():
        for person in people:
            user = db.session.get(User, person.id)
            enrolment.enrol(session.id, user, enrolment.Actor(person.id), confirm_overlap=True)
        db.session.commit()
    # The first day, 10:00 in Seoul: the class is on.
    move_clock_to(seoul(course_day, 10))
    return {"teacher": teacher, "session": session, "enrolled": people[:3], "waiting": people[3]}


def login(app, user: User):
    client = app.test_client()
    assert Auth(client).login(user).status_code == 302
    return client


def token(client, path: str = "/") -> str:
    return Auth(client).csrf(path)


def marks(app, session_id: int, day: dt.date) -> dict[int, AttendanceMark]:
    with app.app_context():
        rows = db.session.scalars(
            select(AttendanceMark).where(
                AttendanceMark.session_id == session_id, AttendanceMark.day == day
            )
        )
        return {m.user_id: m for m in rows}


def post_mark(client, session_id, day, user_id, status, version=None, reason=None, htmx=False):
    data = {
        "csrf_token": token(client),
        "day": day.isoformat(),
        "user_id": str(user_id),
        "status": status,
    }
    if version is not None:
        data["version"] = str(version)
    if reason is not None:
        data["reason"] = reason
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(mark_url(session_id), data=data, headers=headers)


def post_all(client, session_id, day, reason=None):
    data = {"csrf_token": token(client), "day": day.isoformat()}
    if reason is not None:
        data["reason"] = reason
    return client.post(all_url(session_id), data=data)


# --- the page ---------------------------------------------------------------------------


def test_the_page_lists_the_enrolled_with_counts_and_a_day_picker(app, setup, course_day):
    client = login(app, setup["teacher"])
    response = client.get(page(setup["session"].id))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for person in setup["enrolled"]:
        assert person.name in html and person.employee_number in html
    assert setup["waiting"].name not in html
    assert "모두 출석 처리" in html
    assert "portal-stack-table" in html
    assert 'data-count="unmarked">3<' in html
    # Two days: both offered, today's chosen.
    second = (course_day + dt.timedelta(days=1)).isoformat()
    assert f"day={second}" in html and 'aria-current="page"' in html
    assert 'type="radio"' in html and "hx-post" in html
    assert 'name="reason"' not in html  # the day is not over


def test_seeing_the_roster_is_audited(app, setup, audit_entries):
    client = login(app, setup["teacher"])
    client.get(page(setup["session"].id))
    [entry] = audit_entries("roster.viewed", target_id=setup["session"].id)
    assert entry.details["entries"] == 3


# --- all present, then the exceptions --------------------------------------------------


def test_all_present_then_three_exceptions(app, setup, course_day, audit_entries):
    sid = setup["session"].id
    a, b, c = setup["enrolled"]
    client = login(app, setup["teacher"])
    response = post_all(client, sid, course_day)
    assert response.status_code == 302
    found = marks(app, sid, course_day)
    assert {m.status for m in found.values()} == {AttendanceStatus.PRESENT}
    assert set(found) == {a.id, b.id, c.id}
    assert all(m.source is MarkSource.ROSTER and m.version == 1 for m in found.values())
    [bulk] = audit_entries("attendance.marked_all", target_id=sid)
    assert bulk.details["count"] == 3

    assert post_mark(client, sid, course_day, b.id, LATE, version=1).status_code == 302
    assert post_mark(client, sid, course_day, c.id, ABSENT, version=1).status_code == 302
    assert post_mark(client, sid, course_day, a.id, EXCUSED, version=1).status_code == 302
    found = marks(app, sid, course_day)
    assert found[b.id].status is AttendanceStatus.LATE and found[b.id].version == 2
    assert found[c.id].status is AttendanceStatus.ABSENT
    assert found[a.id].status is AttendanceStatus.EXCUSED
    entries = audit_entries("attendance.marked", target_id=sid)
    assert [(e.details["user_id"], e.details["before"], e.details["after"]) for e in entries] == [
        (b.id, PRESENT, LATE),
        (c.id, PRESENT, ABSENT),
        (a.id, PRESENT, EXCUSED),
    ]
    html = client.get(page(sid)).get_data(as_text=True)
    assert 'data-count="present">0<' in html and 'data-count="late">1<' in html
    assert 'data-count="excused">1<' in html and 'data-count="absent">1<' in html


def test_all_present_leaves_existing_marks_alone(app, setup, course_day):
    sid = setup["session"].id
    a, b, _c = setup["enrolled"]
    client = login(app, setup["teacher"])
    post_mark(client, sid, course_day, a.id, ABSENT, version=0)
    post_all(client, sid, course_day)
    found = marks(app, sid, course_day)
    assert found[a.id].status is AttendanceStatus.ABSENT and found[a.id].version == 1
    assert found[b.id].status is AttendanceStatus.PRESENT
    # Pressing it again changes nothing.
    post_all(client, sid, course_day)
    assert "모두 이미 표시되어" in client.get("/").get_data(as_text=True)


def test_htmx_mark_answers_with_the_row_alone(app, setup, course_day):
    sid = setup["session"].id
    a = setup["enrolled"][0]
    client = login(app, setup["teacher"])
    response = post_mark(client, sid, course_day, a.id, LATE, version=0, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<tr") and f'id="row-{a.id}"' in html
    assert 'data-status="late"' in html and 'name="version" value="1"' in html
    assert "지각(으)로 저장했습니다" in html


# --- two people at once ------------------------------------------------------------------


def test_a_stale_form_is_refused_with_a_message_and_nothing_overwritten(app, setup, course_day):
    sid = setup["session"].id
    a = setup["enrolled"][0]
    teacher = login(app, setup["teacher"])
    # Both saw the roster with no mark (version 0); the teacher saves first.
    assert post_mark(teacher, sid, course_day, a.id, LATE, version=0).status_code == 302
    response = post_mark(teacher, sid, course_day, a.id, ABSENT, version=0, htmx=True)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "그사이 다른 사람이 바꿨습니다" in html and "덮어쓰지 않았습니다" in html
    assert 'data-status="late"' in html  # the row shows the state that won
    assert marks(app, sid, course_day)[a.id].status is AttendanceStatus.LATE
    # The plain form post says the same through a flash.
    post_mark(teacher, sid, course_day, a.id, ABSENT, version=0)
    assert "그사이 다른 사람이 바꿨습니다" in teacher.get("/").get_data(as_text=True)
    assert marks(app, sid, course_day)[a.id].status is AttendanceStatus.LATE


# --- after the day -----------------------------------------------------------------------


def test_after_the_day_a_change_needs_a_reason_and_is_audited(
    app, setup, course_day, audit_entries
):
    sid = setup["session"].id
    a = setup["enrolled"][0]
    client = login(app, setup["teacher"])
    post_all(client, sid, course_day)
    move_clock_to(seoul(course_day, 19))  # the first day is over
    client = login(app, setup["teacher"])  # the idle timeout ended the first login
    html = client.get(page(sid, course_day)).get_data(as_text=True)
    assert 'name="reason"' in html and "변경 사유가 필요하고" in html

    response = post_mark(client, sid, course_day, a.id, LATE, version=1, htmx=True)
    assert response.status_code == 422
    assert "변경 사유를 적어야" in response.get_data(as_text=True)
    assert marks(app, sid, course_day)[a.id].status is AttendanceStatus.PRESENT

    reason = "출석부 서명 확인 결과 10시 20분 도착"
    assert post_mark(client, sid, course_day, a.id, LATE, 1, reason).status_code == 302
    assert marks(app, sid, course_day)[a.id].status is AttendanceStatus.LATE
    [entry] = audit_entries("attendance.changed", target_id=sid)
    assert entry.details == {
        "session_id": sid,
        "user_id": a.id,
        "day": course_day.isoformat(),
        "before": PRESENT,
        "after": LATE,
        "reason": reason,
    }


def test_all_present_after_the_day_needs_a_reason(app, setup, course_day, audit_entries):
    sid = setup["session"].id
    move_clock_to(seoul(course_day, 19))
    client = login(app, setup["teacher"])
    post_all(client, sid, course_day)
    assert "변경 사유를 적어야" in client.get("/").get_data(as_text=True)
    assert marks(app, sid, course_day) == {}
    post_all(client, sid, course_day, reason="당일 종이 출석부로 확인")
    assert len(marks(app, sid, course_day)) == 3
    assert len(audit_entries("attendance.changed", target_id=sid)) == 3


# --- refused marks -----------------------------------------------------------------------


def test_future_days_other_days_cancelled_sessions_and_outsiders_are_refused(
    app, setup, course_day
):
    sid = setup["session"].id
    a = setup["enrolled"][0]
    client = login(app, setup["teacher"])
    tomorrow = course_day + dt.timedelta(days=1)
    response = post_mark(client, sid, tomorrow, a.id, PRESENT, htmx=True)
    assert response.status_code == 422 and "아직 오지 않았습니다" in response.get_data(as_text=True)
    # A day the session does not meet: 404, as for the page.
    assert (
        post_mark(client, sid, course_day - dt.timedelta(days=1), a.id, PRESENT).status_code == 404
    )
    assert client.get(page(sid, course_day - dt.timedelta(days=1))).status_code == 404
    assert client.get(f"/attendance/sessions/{sid}?day=not-a-day").status_code == 404
    # Someone waitlisted, and someone not on the roster at all.
    response = post_mark(client, sid, course_day, setup["waiting"].id, PRESENT, htmx=True)
    assert response.status_code == 422 and "수강 확정된 사람만" in response.get_data(as_text=True)
    assert post_mark(client, sid, course_day, 2_000_000, PRESENT, htmx=True).status_code == 422
    # A bad status is a form error, not a 500.
    assert post_mark(client, sid, course_day, a.id, "sleeping", htmx=True).status_code == 422
    with app.app_context():
        db.session.get(TrainingSession, sid).status = SessionStatus.CANCELLED
        db.session.commit()
    response = post_mark(client, sid, course_day, a.id, PRESENT, htmx=True)
    assert response.status_code == 422 and "취소된 교육 차수" in response.get_data(as_text=True)
    assert marks(app, sid, course_day) == {}


# --- who may mark ------------------------------------------------------------------------


def test_access(app, setup, course_day, make_user):
    sid = setup["session"].id
    a = setup["enrolled"][0]
    staff = login(app, setup["enrolled"][1])
    assert staff.get(page(sid)).status_code == 403
    assert post_mark(staff, sid, course_day, a.id, PRESENT).status_code == 403
    assert staff.get(sheet_url(sid, course_day)).status_code == 403

    other = login(app, make_user(Role.INSTRUCTOR))
    assert other.get(page(sid)).status_code == 404
    assert post_mark(other, sid, course_day, a.id, PRESENT).status_code == 404
    assert post_all(other, sid, course_day).status_code == 404
    assert other.get(sheet_url(sid, course_day)).status_code == 404

    coordinator = login(app, make_user(Role.COORDINATOR))
    assert coordinator.get(page(sid)).status_code == 200
    assert post_mark(coordinator, sid, course_day, a.id, PRESENT).status_code == 302
    assert coordinator.get("/attendance/sessions/2000000").status_code == 404
    assert marks(app, sid, course_day)[a.id].marked_by_id is not None

    admin = login(app, make_user(Role.ADMIN))
    assert admin.get(page(sid)).status_code == 200
    assert admin.get("/attendance/sessions/2000000/sign-in-sheet.pdf").status_code == 404


def test_links_from_the_rosters(app, setup, make_user):
    sid = setup["session"].id
    teacher = login(app, setup["teacher"])
    assert page(sid) in teacher.get(f"/teaching/sessions/{sid}/roster").get_data(as_text=True)
    assert page(sid) in teacher.get("/teaching/sessions").get_data(as_text=True)
    coordinator = login(app, make_user(Role.COORDINATOR))
    assert page(sid) in coordinator.get(f"/manage/sessions/{sid}/roster").get_data(as_text=True)


# --- the sign-in sheet -------------------------------------------------------------------


def test_the_sign_in_sheet_pdf_has_the_korean_names_and_is_audited(
    app, setup, course_day, audit_entries, make_user
):
    sid = setup["session"].id
    client = login(app, setup["teacher"])
    response = client.get(sheet_url(sid, course_day))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    for person in setup["enrolled"]:
        assert person.name in text and person.employee_number in text
    assert setup["waiting"].name not in text
    assert "출석부" in text and "서명" in text and course_day.isoformat() in text
    assert "1 / 1" in text
    [entry] = audit_entries("roster.exported", target_id=sid)
    assert entry.details["entries"] == 3 and entry.details["format"] == "signin_pdf"


def test_a_long_sign_in_sheet_repeats_its_header_on_numbered_pages(ctx):
    from portal.attendance.signin_sheet import SheetPerson, SignInSheet, render

    keys = "title course date time place instructor count no name department number sign empty"
    labels = dict.fromkeys(keys.split(), "")
    labels |= {"title": "출석부", "name": "성명", "sign": "서명"}
    people = [SheetPerson(f"수강생{n:02d}", "디지털정책과", f"E{n:05d}") for n in range(60)]
    pdf = render(
        SignInSheet(
            "보고서 작성 실습", "3차", "2026-12-07", "09:00–18:00", "교육장", "강사", people, labels
        )
    )
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) >= 3
    for n, one in enumerate(pages, 1):
        text = one.extract_text()
        assert "성명" in text and "서명" in text  # the heading row repeats
        assert f"{n} / {len(pages)}" in text
    assert "수강생59" in pages[-1].extract_text()


# --- the operations directly ---------------------------------------------------------------


def test_a_check_in_is_kept_by_all_present_and_can_be_overridden(app, setup, course_day):
    from portal.attendance import marks as ops

    sid = setup["session"].id
    a, b, _c = setup["enrolled"]
    teacher = setup["teacher"]
    with app.app_context():
        db.session.add(
            AttendanceMark(
                session_id=sid,
                user_id=a.id,
                day=course_day,
                status=AttendanceStatus.LATE,
                source=MarkSource.CHECKIN,
                checked_in_at=clock.utcnow(),
                marked_at=clock.utcnow(),
            )
        )
        db.session.flush()
        assert sorted(ops.mark_all_present(sid, course_day, teacher.id)) == sorted([b.id, _c.id])
        training = db.session.get(TrainingSession, sid)
        kept = ops.load_roster(training, ops.default_day(training)).row_for(a.id)
        assert kept.status is AttendanceStatus.LATE and kept.mark.source is MarkSource.CHECKIN
        # The same status from the roster takes the mark over (source roster), once.
        first = ops.mark(sid, course_day, a.id, AttendanceStatus.LATE, teacher.id)
        assert first.changed and first.mark.source is MarkSource.ROSTER
        again = ops.mark(sid, course_day, a.id, AttendanceStatus.LATE, teacher.id)
        assert not again.changed and again.mark.version == first.mark.version
        db.session.rollback()


def test_without_a_version_the_latest_mark_wins_and_with_one_it_is_checked(app, setup, course_day):
    from portal.attendance import marks as ops

    sid = setup["session"].id
    a = setup["enrolled"][0]
    teacher = setup["teacher"]
    with app.app_context():
        ops.mark(sid, course_day, a.id, AttendanceStatus.LATE, teacher.id)
        second = ops.mark(sid, course_day, a.id, AttendanceStatus.ABSENT, teacher.id)
        assert second.before is AttendanceStatus.LATE and second.mark.version == 2
        with pytest.raises(ops.VersionConflict):
            ops.mark(
                sid, course_day, a.id, AttendanceStatus.PRESENT, teacher.id, expected_version=1
            )
        assert (
            ops.mark(
                sid, course_day, a.id, AttendanceStatus.PRESENT, teacher.id, expected_version=2
            ).mark.version
            == 3
        )
        db.session.rollback()
