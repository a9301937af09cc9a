"""QR self check-in: opening and closing a day's window, the room screen, and staff checking
in by scanning the QR code or typing the six-digit code."""

from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from portal.attendance import checkin
from portal.attendance.models import AttendanceMark, AttendanceStatus, CheckinWindow, MarkSource
from portal.core import clock
from portal.core.clock import SEOUL
from portal.db import db
from portal.enrollment import operations as enrolment
from portal.users.models import Role, User
from tests.conftest import Auth

CHECKIN = "/checkin"


def manage_path(session_id: int) -> str:
    return f"/checkin/manage/{session_id}"


def day_path(session_id: int, day: dt.date, action: str = "") -> str:
    return f"/checkin/manage/{session_id}/{day.isoformat()}" + (f"/{action}" if action else "")


def scan_path(session_id: int, day: dt.date) -> str:
    return f"/checkin/{session_id}/{day.isoformat()}"


def _client_for(app, user: User):
    client = app.test_client()
    assert Auth(client).login(user).status_code == 302
    return client


def _csrf(client, path: str = CHECKIN) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert match
    return match.group(1)


def _enrol(app, session_id: int, *users: User) -> None:
    with app.app_context():
        for u in users:
            enrolment.enrol(
                session_id, db.session.get(User, u.id), enrolment.Actor(u.id), confirm_overlap=True
            )
        db.session.commit()


class Room:
    """A session a week ahead, 10:00–13:00 Seoul time, taught by ``instructor``."""

    def __init__(self, app, make_user, make_session, *, start_hour: int = 10):
        self.app = app
        self.instructor = make_user(Role.INSTRUCTOR)
        self.day = clock.today_in_seoul() + dt.timedelta(days=7)
        starts = dt.datetime.combine(self.day, dt.time(start_hour, 0), SEOUL).astimezone(dt.UTC)
        self.starts_at = starts
        self.session = make_session(
            instructor_id=self.instructor.id,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=3),
        )
        self.teacher = _client_for(app, self.instructor)

    def go_to(self, minutes_from_start: float) -> None:
        """Move the portal's clock to that many minutes from the start.

        A jump of days ends every login session (idle timeout), so the instructor logs in
        again; clients of other people are made after the jump.
        """
        target = self.starts_at + dt.timedelta(minutes=minutes_from_start)
        clock.advance(target - clock.utcnow())
        self.teacher = _client_for(self.app, self.instructor)

    def open(self, client=None):
        client = client or self.teacher
        return client.post(
            day_path(self.session.id, self.day, "open"),
            data={"csrf_token": _csrf(client, manage_path(self.session.id))},
        )

    def close(self, client=None):
        client = client or self.teacher
        return client.post(
            day_path(self.session.id, self.day, "close"),
            data={"csrf_token": _csrf(client, manage_path(self.session.id))},
        )

    def window(self) -> CheckinWindow | None:
        with self.app.app_context():
            return db.session.scalar(
                select(CheckinWindow).where(CheckinWindow.session_id == self.session.id)
            )

    def code(self, at: dt.datetime | None = None) -> str:
        window = self.window()
        assert window is not None
        period = self.app.config["CHECKIN_CODE_SECONDS"]
        return checkin.room_code(window.secret, at or clock.utcnow(), period).code

    def marks(self) -> list[AttendanceMark]:
        with self.app.app_context():
            return list(
                db.session.scalars(
                    select(AttendanceMark).where(AttendanceMark.session_id == self.session.id)
                )
            )


@pytest.fixture
def room(app, make_user, make_session):
    return Room(app, make_user, make_session)


def _type_code(client, code: str):
    return client.post(CHECKIN, data={"code": code, "csrf_token": _csrf(client)})


def _scan(client, room: Room, code: str):
    path = scan_path(room.session.id, room.day)
    page = client.get(f"{path}?code={code}")
    assert page.status_code == 200
    return client.post(path, data={"code": code, "csrf_token": _csrf(client, path)})


def _text(response) -> str:
    return response.get_data(as_text=True)


# --- Opening and closing ------------------------------------------------------------------


def test_an_instructor_opens_closes_and_reopens_check_in_for_their_session_day(room, audit_entries):
    page = room.teacher.get(manage_path(room.session.id))
    assert page.status_code == 200
    assert "출석 체크 열기" in _text(page) and room.day.isoformat() in _text(page)

    opened = room.open()
    assert opened.status_code == 302
    window = room.window()
    assert window is not None and window.closed_at is None and window.day == room.day
    assert len(window.secret) == 64 and window.opened_by_id == room.instructor.id
    secret = window.secret
    assert "강의실 화면 띄우기" in _text(room.teacher.get(manage_path(room.session.id)))

    # Opening twice changes nothing.
    room.open()
    assert room.window().secret == secret

    assert room.close().status_code == 302
    assert room.window().closed_at is not None
    assert "다시 열기" in _text(room.teacher.get(manage_path(room.session.id)))

    room.open()
    assert room.window().closed_at is None and room.window().secret == secret

    actions = [e.action for e in audit_entries() if e.action.startswith("checkin.")]
    assert actions == ["checkin.open", "checkin.close", "checkin.reopen"]
    for entry in audit_entries():
        if entry.action.startswith("checkin."):
            assert entry.target_id == str(room.session.id)
            assert entry.details == {"day": room.day.isoformat()}
            assert secret not in str(entry.details)


def test_another_instructors_session_answers_404_everywhere(app, room, make_user):
    other = _client_for(app, make_user(Role.INSTRUCTOR))
    room.open()
    sid, day = room.session.id, room.day
    assert other.get(manage_path(sid)).status_code == 404
    assert other.get(day_path(sid, day, "screen")).status_code == 404
    assert other.get(day_path(sid, day, "screen/live")).status_code == 404
    token = _csrf(other)
    assert other.post(day_path(sid, day, "close"), data={"csrf_token": token}).status_code == 404
    assert other.post(day_path(sid, day, "open"), data={"csrf_token": token}).status_code == 404
    assert room.window().closed_at is None


def test_staff_may_not_manage_check_in_and_a_coordinator_may_manage_any(app, room, make_user):
    staff = _client_for(app, make_user(Role.STAFF))
    assert staff.get(manage_path(room.session.id)).status_code == 403
    coordinator = _client_for(app, make_user(Role.COORDINATOR))
    assert room.open(coordinator).status_code == 302
    assert room.window() is not None
    assert coordinator.get(day_path(room.session.id, room.day, "screen")).status_code == 200


def test_a_day_the_session_does_not_meet_cannot_be_opened(room):
    other_day = room.day + dt.timedelta(days=1)
    response = room.teacher.post(
        day_path(room.session.id, other_day, "open"),
        data={"csrf_token": _csrf(room.teacher, manage_path(room.session.id))},
        follow_redirects=True,
    )
    assert "그날 교육이 없습니다" in _text(response)
    assert room.window() is None
    assert (
        room.teacher.get(f"/checkin/manage/{room.session.id}/2026-02-31/screen").status_code == 404
    )
    assert room.teacher.get(f"/checkin/manage/{room.session.id}/today/screen").status_code == 404


def test_the_room_screen_shows_the_code_a_qr_code_a_countdown_and_the_count(app, room, make_user):
    room.open()
    room.go_to(-5)
    screen = room.teacher.get(day_path(room.session.id, room.day, "screen"))
    assert screen.status_code == 200
    html = _text(screen)
    code = room.code()
    assert f"{code[:3]}" in html and f"{code[3:]}" in html
    assert "<svg" in html and 'role="img"' in html
    assert "js/checkin-screen.js" in html and "<script>" not in html and "style=" not in html
    assert "출석 0명 / 확정 0명" in html
    assert 'class="portal-nav"' not in html  # no navigation chrome

    live = room.teacher.get(day_path(room.session.id, room.day, "screen/live"))
    assert live.status_code == 200
    assert live.headers["X-Checkin-Live"] == "1" and live.headers["Cache-Control"] == "no-store"
    assert code[:3] in _text(live)

    room.close()
    closed = _text(room.teacher.get(day_path(room.session.id, room.day, "screen/live")))
    assert "출석 체크가 마감되었습니다" in closed and code[:3] + "<" not in closed


def test_the_qr_code_encodes_an_absolute_url_to_the_check_in_of_this_day(room):
    import segno

    room.open()
    room.go_to(0)
    code = room.code()
    url = f"http://localhost/checkin/{room.session.id}/{room.day.isoformat()}?code={code}"
    expected = segno.make(url, error="m").svg_inline(
        scale=1, border=2, omitsize=True, dark="#000", light="#fff"
    )
    html = _text(room.teacher.get(day_path(room.session.id, room.day, "screen/live")))
    assert expected in html


# --- Checking in --------------------------------------------------------------------------


def test_typing_the_code_checks_in_as_present_and_a_second_time_changes_nothing(
    app, room, make_user
):
    staff = make_user(Role.STAFF)
    _enrol(app, room.session.id, staff)
    room.open()
    room.go_to(-3)
    client = _client_for(app, staff)

    page = client.get(CHECKIN)
    assert page.status_code == 200 and 'inputmode="numeric"' in _text(page)

    done = _type_code(client, room.code())
    assert done.status_code == 302
    shown = _text(client.get(done.headers["Location"]))
    assert "출석 처리되었습니다" in shown
    [mark] = room.marks()
    assert mark.user_id == staff.id and mark.day == room.day
    assert mark.status is AttendanceStatus.PRESENT and mark.source is MarkSource.CHECKIN
    assert mark.checked_in_at is not None

    room.go_to(20)  # later, now past the late threshold: still the first mark
    client = _client_for(app, staff)
    again = _type_code(client, room.code())
    assert "이미 출석 처리되었습니다" in _text(client.get(again.headers["Location"]))
    [same] = room.marks()
    assert same.status is AttendanceStatus.PRESENT and same.checked_in_at == mark.checked_in_at

    counted = _text(room.teacher.get(day_path(room.session.id, room.day, "screen/live")))
    assert "출석 1명 / 확정 1명" in counted


def test_scanning_after_the_late_threshold_checks_in_as_late(app, room, make_user):
    on_time, late = make_user(Role.STAFF), make_user(Role.STAFF)
    _enrol(app, room.session.id, on_time, late)
    room.open()
    threshold = app.config["CHECKIN_LATE_AFTER_MINUTES"]

    room.go_to(threshold - 1)
    assert _scan(_client_for(app, on_time), room, room.code()).status_code == 302
    room.go_to(threshold + 1)
    client = _client_for(app, late)
    response = _scan(client, room, room.code())
    assert "지각으로 출석 처리되었습니다" in _text(client.get(response.headers["Location"]))

    statuses = {m.user_id: m.status for m in room.marks()}
    assert statuses == {on_time.id: AttendanceStatus.PRESENT, late.id: AttendanceStatus.LATE}


def test_the_qr_link_asks_a_visitor_to_log_in_and_brings_them_back(app, client, room, make_user):
    staff = make_user(Role.STAFF)
    _enrol(app, room.session.id, staff)
    room.open()
    room.go_to(0)
    code = room.code()
    target = f"{scan_path(room.session.id, room.day)}?code={code}"

    bounced = client.get(target)
    assert bounced.status_code == 302 and "/auth/login" in bounced.headers["Location"]
    login_page = client.get(bounced.headers["Location"])
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', _text(login_page))
    back = client.post(
        bounced.headers["Location"],
        data={"login": staff.employee_number, "password": "Test!pass2026", "csrf_token": token[1]},
    )
    assert back.status_code == 302
    assert urlsplit(back.headers["Location"]).path == scan_path(room.session.id, room.day)
    page = client.get(back.headers["Location"])
    assert f'value="{code}"' in _text(page) and "출석하기" in _text(page)


def test_a_person_not_enrolled_is_told_so_and_nothing_is_written(app, room, make_user):
    outsider = make_user(Role.STAFF)
    room.open()
    room.go_to(0)
    client = _client_for(app, outsider)
    by_scan = _scan(client, room, room.code())
    assert by_scan.status_code == 200 and "수강 확정된 사람만" in _text(by_scan)
    typed = _type_code(client, room.code())
    assert typed.status_code == 200 and "수강 확정된 사람만" in _text(typed)
    assert room.marks() == []


def test_a_waitlisted_person_is_not_enrolled(app, make_user, make_session):
    room = Room(app, make_user, make_session)
    with app.app_context():
        from portal.scheduling.models import TrainingSession

        db.session.get(TrainingSession, room.session.id).capacity = 1
        db.session.commit()
    first, second = make_user(Role.STAFF), make_user(Role.STAFF)
    _enrol(app, room.session.id, first, second)
    room.open()
    room.go_to(0)
    client = _client_for(app, second)
    assert "수강 확정된 사람만" in _text(_type_code(client, room.code()))
    assert room.marks() == []


def test_check_in_outside_the_window_is_refused_with_a_clear_message(app, room, make_user):
    staff = make_user(Role.STAFF)
    _enrol(app, room.session.id, staff)
    # Nobody opened it yet.
    room.go_to(0)
    client = _client_for(app, staff)
    not_open = _scan(client, room, "123456")
    assert "출석 체크가 열려 있지 않습니다" in _text(not_open)

    # Opened early: the screen may show a code, but check-ins wait for the opening time.
    before = app.config["CHECKIN_OPENS_MINUTES_BEFORE"]
    room.go_to(-before - 60)
    client = _client_for(app, staff)
    room.open()
    early = _type_code(client, room.code())
    assert "아직 출석 체크 시간이 아닙니다" in _text(early) and "09:30" in _text(early)

    room.go_to(-before + 1)
    client = _client_for(app, staff)
    assert _type_code(client, room.code()).status_code == 302
    assert len(room.marks()) == 1


def test_check_in_after_the_day_ended_or_after_closing_is_refused(app, room, make_user):
    late_one, closed_one = make_user(Role.STAFF), make_user(Role.STAFF)
    _enrol(app, room.session.id, late_one, closed_one)
    room.open()
    room.go_to(30)
    room.close()
    client = _client_for(app, closed_one)
    closed = _type_code(client, room.code())
    assert "출석 체크를 마감했습니다" in _text(closed)

    room.open()
    room.go_to(3 * 60 + 1)
    client = _client_for(app, late_one)
    ended = _scan(client, room, room.code())
    assert "출석 체크 시간이 끝났습니다" in _text(ended)
    assert room.marks() == []


def test_a_wrong_or_stale_code_is_refused_clearly(app, room, make_user):
    staff = make_user(Role.STAFF)
    _enrol(app, room.session.id, staff)
    room.open()
    room.go_to(0)
    client = _client_for(app, staff)
    current = room.code()
    wrong = f"{(int(current) + 1) % 1_000_000:06d}"
    refused = _type_code(client, wrong)
    assert refused.status_code == 200 and "출석 코드가 맞지 않거나 이미 바뀌었습니다" in _text(
        refused
    )

    malformed = _type_code(client, "12ab")
    assert "숫자 6자리" in _text(malformed)

    # A code photographed earlier stops working once it has rotated past the grace.
    photo = room.code()
    period = app.config["CHECKIN_CODE_SECONDS"]
    clock.advance(dt.timedelta(seconds=period + checkin.GRACE_SECONDS + 1))
    stale = _scan(client, room, photo)
    assert "이미 바뀌었습니다" in _text(stale)
    assert room.marks() == []


def test_a_mark_the_instructor_set_on_the_roster_is_not_overwritten(app, room, make_user):
    staff = make_user(Role.STAFF)
    _enrol(app, room.session.id, staff)
    with app.app_context():
        db.session.add(
            AttendanceMark(
                session_id=room.session.id,
                user_id=staff.id,
                day=room.day,
                status=AttendanceStatus.EXCUSED,
                source=MarkSource.ROSTER,
                marked_by_id=room.instructor.id,
                marked_at=clock.utcnow(),
            )
        )
        db.session.commit()
    room.open()
    room.go_to(0)
    client = _client_for(app, staff)
    response = _type_code(client, room.code())
    shown = html.unescape(_text(client.get(response.headers["Location"])))
    assert "출석부에 이미 '공결'(으)로 기록해 두어 그대로 두었습니다" in shown
    [mark] = room.marks()
    assert mark.status is AttendanceStatus.EXCUSED and mark.source is MarkSource.ROSTER


def test_a_typed_code_finds_the_right_one_of_several_open_windows(app, make_user, make_session):
    first = Room(app, make_user, make_session, start_hour=10)
    second = Room(app, make_user, make_session, start_hour=11)
    staff = make_user(Role.STAFF)
    _enrol(app, first.session.id, staff)
    _enrol(app, second.session.id, staff)
    first.open()
    second.open()
    second.go_to(0)
    client = _client_for(app, staff)
    assert _type_code(client, second.code()).status_code == 302
    assert [m.user_id for m in second.marks()] == [staff.id]
    assert first.marks() == []
    # The first session started an hour ago: the same person's code there makes them late.
    assert _type_code(client, first.code()).status_code == 302
    assert first.marks()[0].status is AttendanceStatus.LATE


def test_code_attempts_are_rate_limited(app, room, make_user):
    staff, other = make_user(Role.STAFF), make_user(Role.STAFF)
    _enrol(app, room.session.id, staff, other)
    room.open()
    room.go_to(0)
    client = _client_for(app, staff)
    token = _csrf(client)
    wrong = f"{(int(room.code()) + 1) % 1_000_000:06d}"
    answers = [
        client.post(CHECKIN, data={"code": wrong, "csrf_token": token}).status_code
        for _ in range(10)
    ]
    assert answers == [200] * 10
    blocked = client.post(CHECKIN, data={"code": room.code(), "csrf_token": token})
    assert blocked.status_code == 429
    scan_blocked = client.post(
        scan_path(room.session.id, room.day), data={"code": room.code(), "csrf_token": token}
    )
    assert scan_blocked.status_code == 429
    assert room.marks() == []
    # Someone else in the same room is not locked out by it.
    assert _type_code(_client_for(app, other), room.code()).status_code == 302


def test_bad_paths_and_codes_never_fail(app, room, make_user):
    staff = make_user(Role.STAFF)
    client = _client_for(app, staff)
    assert client.get("/checkin/999999/2026-01-01").status_code == 404
    assert client.get(f"/checkin/{room.session.id}/2026-13-01").status_code == 404
    assert client.get(f"/checkin/{room.session.id}/1900-01-01").status_code == 404
    page = client.get(f"{scan_path(room.session.id, room.day)}?code=<script>")
    assert page.status_code == 200 and "<script>" not in _text(page).split("</head>")[1]
    token = _csrf(client)
    for code in ("", "１２３４５６", "1" * 500, "12 34 56"):
        assert client.post(CHECKIN, data={"code": code, "csrf_token": token}).status_code in (
            200,
            429,
        )


def test_a_cancelled_session_takes_no_check_ins(app, room, make_user):
    from portal.scheduling.models import SessionStatus, TrainingSession

    staff = make_user(Role.STAFF)
    _enrol(app, room.session.id, staff)
    room.open()
    with app.app_context():
        db.session.get(TrainingSession, room.session.id).status = SessionStatus.CANCELLED
        db.session.commit()
    room.go_to(0)
    client = _client_for(app, staff)
    assert "취소된 차수입니다" in _text(_type_code(client, room.code()))
    assert room.marks() == []
    assert room.close().status_code == 302
    again = room.teacher.post(
        day_path(room.session.id, room.day, "open"),
        data={"csrf_token": _csrf(room.teacher, manage_path(room.session.id))},
        follow_redirects=True,
    )
    assert "취소된 차수에는 출석 체크를 열 수 없습니다" in _text(again)


def test_the_my_learning_partial_links_to_the_code_page(app):
    from flask import render_template

    with app.test_request_context("/"):
        html = render_template("checkin/_my_learning_link.html")
    assert 'href="/checkin"' in html and "출석 코드 입력하기" in html
