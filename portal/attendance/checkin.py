"""QR self check-in: the rotating room code, opening and closing a day's window, checking in.

An instructor (for their own session) or a coordinator opens check-in for one day of a
session. The room screen then shows a six-digit code, also carried in a QR code, that
changes every ``CHECKIN_CODE_SECONDS``. Codes are derived TOTP-style from the window's
secret and the time step (HMAC-SHA256, dynamic truncation as in RFC 4226), so no code is
ever stored: a code is checked by deriving it again.

Only the current step's code is accepted, plus the previous step's for ``GRACE_SECONDS``
after it rotated, so that someone typing at the boundary is not refused. A photo of the
screen therefore stops working at most ``CHECKIN_CODE_SECONDS + GRACE_SECONDS`` after the
code first appeared.

A check-in writes one AttendanceMark (source CHECKIN): PRESENT, or LATE when it comes more
than ``CHECKIN_LATE_AFTER_MINUTES`` after the day's start. A second check-in changes
nothing, and a mark the instructor already set on the roster is never overwritten.
Operations flush; the request commits.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.attendance.models import AttendanceMark, AttendanceStatus, CheckinWindow, MarkSource
from portal.attendance.schedule import SessionDay, day_of, session_days
from portal.audit import operations as audit
from portal.catalog.models import Course
from portal.core.clock import today_in_seoul, utcnow
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.users.models import Role, User

CODE_DIGITS = 6
# The previous step's code is still accepted this many seconds after it rotated, for
# someone who was typing it at the boundary. Keep it well below CHECKIN_CODE_SECONDS.
GRACE_SECONDS = 5


# --- The code maths -----------------------------------------------------------------------


def code_step(moment: dt.datetime, period: int) -> int:
    """The time step a moment falls in: whole periods since the Unix epoch."""
    return int(moment.timestamp()) // period


def code_for_step(secret: str, step: int) -> str:
    """The six-digit code of one time step (HMAC-SHA256 with RFC 4226 truncation)."""
    digest = hmac.new(secret.encode(), step.to_bytes(8, "big"), hashlib.sha256).digest()
    offset = digest[-1] & 0x0F
    number = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{number % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


@dataclass(frozen=True)
class RoomCode:
    code: str
    step: int
    seconds_left: int  # until the next code


def room_code(secret: str, now: dt.datetime, period: int) -> RoomCode:
    step = code_step(now, period)
    left = period - (int(now.timestamp()) % period)
    return RoomCode(code_for_step(secret, step), step, left)


def code_is_valid(
    secret: str, code: str, now: dt.datetime, period: int, grace: int = GRACE_SECONDS
) -> bool:
    """True for the current step's code, or the previous one within ``grace`` seconds."""
    if len(code) != CODE_DIGITS or not (code.isascii() and code.isdigit()):
        return False
    step = code_step(now, period)
    if hmac.compare_digest(code, code_for_step(secret, step)):
        return True
    into_step = int(now.timestamp()) % period
    return into_step < grace and hmac.compare_digest(code, code_for_step(secret, step - 1))


def _period() -> int:
    return max(5, int(current_app.config["CHECKIN_CODE_SECONDS"]))


# --- Windows ------------------------------------------------------------------------------


class CheckinError(Exception):
    """A refusal with a message for the person; nothing was written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WindowState(enum.StrEnum):
    NOT_OPENED = "not_opened"  # nobody opened check-in for the day
    EARLY = "early"  # opened, but before CHECKIN_OPENS_MINUTES_BEFORE the start
    OPEN = "open"  # accepting check-ins now
    ENDED = "ended"  # the day is over
    CLOSED = "closed"  # closed by hand


@dataclass(frozen=True)
class DayWindow:
    day: SessionDay
    window: CheckinWindow | None
    state: WindowState
    accepts_from: dt.datetime  # UTC
    checked_in: int  # marks written by check-in for this day


def accepts_from(day: SessionDay) -> dt.datetime:
    minutes = int(current_app.config["CHECKIN_OPENS_MINUTES_BEFORE"])
    return day.starts_at - dt.timedelta(minutes=minutes)


def window_state(day: SessionDay, window: CheckinWindow | None, now: dt.datetime) -> WindowState:
    if window is None:
        return WindowState.NOT_OPENED
    if window.closed_at is not None:
        return WindowState.CLOSED
    if now >= day.ends_at:
        return WindowState.ENDED
    if now < accepts_from(day):
        return WindowState.EARLY
    return WindowState.OPEN


def may_manage(session: TrainingSession, user: User) -> bool:
    """Coordinators and admins manage any session's check-in; instructors only their own."""
    if user.role in (Role.COORDINATOR, Role.ADMIN):
        return True
    return user.role is Role.INSTRUCTOR and session.instructor_id == user.id


def _checked_in_counts(session_id: int) -> dict[dt.date, int]:
    rows = db.session.execute(
        select(AttendanceMark.day, func.count())
        .where(
            AttendanceMark.session_id == session_id,
            AttendanceMark.source == MarkSource.CHECKIN,
        )
        .group_by(AttendanceMark.day)
    )
    return {day: count for day, count in rows}


def session_windows(session: TrainingSession) -> list[DayWindow]:
    """Every meeting day of the session with its check-in window (if any) and count."""
    windows = {
        w.day: w
        for w in db.session.scalars(
            select(CheckinWindow).where(CheckinWindow.session_id == session.id)
        )
    }
    counts = _checked_in_counts(session.id)
    now = utcnow()
    return [
        DayWindow(
            day,
            windows.get(day.day),
            window_state(day, windows.get(day.day), now),
            accepts_from(day),
            counts.get(day.day, 0),
        )
        for day in session_days(session)
    ]


def day_window(session: TrainingSession, day: dt.date) -> DayWindow | None:
    """One day's window; None when the session does not meet that day."""
    meeting = day_of(session, day)
    if meeting is None:
        return None
    window = db.session.scalar(
        select(CheckinWindow).where(
            CheckinWindow.session_id == session.id, CheckinWindow.day == day
        )
    )
    count = db.session.scalar(
        select(func.count()).where(
            AttendanceMark.session_id == session.id,
            AttendanceMark.day == day,
            AttendanceMark.source == MarkSource.CHECKIN,
        )
    )
    return DayWindow(
        meeting, window, window_state(meeting, window, utcnow()), accepts_from(meeting), count or 0
    )


def _audit_window(action: str, window: CheckinWindow, actor_id: int) -> None:
    audit.record(
        action,
        target_type="session",
        target_id=window.session_id,
        actor_id=actor_id,
        details={"day": window.day.isoformat()},
    )


def open_window(session: TrainingSession, day: dt.date, actor_id: int) -> CheckinWindow:
    """Open (or reopen) check-in for one day of the session; audited."""
    if session.status is SessionStatus.CANCELLED:
        raise CheckinError(_("취소된 차수에는 출석 체크를 열 수 없습니다."))
    meeting = day_of(session, day)
    if meeting is None:
        raise CheckinError(_("이 차수는 그날 교육이 없습니다."))
    now = utcnow()
    if now >= meeting.ends_at:
        raise CheckinError(_("이미 끝난 교육일입니다. 출석은 출석부에서 고쳐 주세요."))
    window = db.session.scalar(
        select(CheckinWindow)
        .where(CheckinWindow.session_id == session.id, CheckinWindow.day == day)
        .with_for_update()
    )
    if window is None:
        window = CheckinWindow(
            session_id=session.id,
            day=day,
            secret=secrets.token_hex(32),
            opened_by_id=actor_id,
            opened_at=now,
        )
        try:
            with db.session.begin_nested():
                db.session.add(window)
                db.session.flush()
        except IntegrityError:
            # Someone opened it at the same moment: theirs stands.
            window = db.session.scalar(
                select(CheckinWindow).where(
                    CheckinWindow.session_id == session.id, CheckinWindow.day == day
                )
            )
            if window is None:  # pragma: no cover - the row that clashed is there
                raise
            return window
        _audit_window("checkin.open", window, actor_id)
        return window
    if window.closed_at is not None:
        window.closed_at = None
        window.opened_by_id = actor_id
        window.opened_at = now
        db.session.flush()
        _audit_window("checkin.reopen", window, actor_id)
    return window


def close_window(session: TrainingSession, day: dt.date, actor_id: int) -> CheckinWindow | None:
    """Close one day's check-in; None when it was never opened. Audited."""
    window = db.session.scalar(
        select(CheckinWindow)
        .where(CheckinWindow.session_id == session.id, CheckinWindow.day == day)
        .with_for_update()
    )
    if window is None or window.closed_at is not None:
        return window
    window.closed_at = utcnow()
    db.session.flush()
    _audit_window("checkin.close", window, actor_id)
    return window


@dataclass(frozen=True)
class Screen:
    """What the room screen shows right now."""

    window: DayWindow
    code: RoomCode | None  # None when the window does not take check-ins any more
    enrolled: int


def room_screen(session: TrainingSession, day: dt.date) -> Screen | None:
    found = day_window(session, day)
    if found is None or found.window is None:
        return None
    code = None
    if found.state in (WindowState.OPEN, WindowState.EARLY):
        code = room_code(found.window.secret, utcnow(), _period())
    enrolled = db.session.scalar(
        select(func.count()).where(
            Enrollment.session_id == session.id, Enrollment.status == EnrollmentStatus.ENROLLED
        )
    )
    return Screen(found, code, enrolled or 0)


# --- Checking in --------------------------------------------------------------------------


class Outcome(enum.StrEnum):
    CHECKED_IN = "checked_in"
    ALREADY = "already"  # checked in before: nothing changed
    ROSTER_KEPT = "roster_kept"  # the instructor's mark on the roster stands


@dataclass(frozen=True)
class CheckinResult:
    outcome: Outcome
    status: AttendanceStatus
    session: TrainingSession
    course_title: str
    day: dt.date
    checked_in_at: dt.datetime | None


def _is_enrolled(session_id: int, user_id: int) -> bool:
    status = db.session.scalar(
        select(Enrollment.status).where(
            Enrollment.session_id == session_id, Enrollment.user_id == user_id
        )
    )
    return status is EnrollmentStatus.ENROLLED


def _course_title(session: TrainingSession) -> str:
    return db.session.scalar(select(Course.title).where(Course.id == session.course_id)) or ""


def _refuse_for_window(
    session: TrainingSession, meeting: SessionDay, window: CheckinWindow, now: dt.datetime
) -> None:
    if session.status is SessionStatus.CANCELLED:
        raise CheckinError(_("취소된 차수입니다. 출석할 수 없습니다."))
    state = window_state(meeting, window, now)
    if state is WindowState.CLOSED:
        raise CheckinError(
            _("강사가 이 교육일의 출석 체크를 마감했습니다. 강사에게 말씀해 주세요.")
        )
    if state is WindowState.ENDED:
        raise CheckinError(_("이 교육일의 출석 체크 시간이 끝났습니다. 강사에게 말씀해 주세요."))
    if state is WindowState.EARLY:
        raise CheckinError(
            _(
                "아직 출석 체크 시간이 아닙니다. %(time)s부터 출석할 수 있습니다.",
                time=format_datetime(accepts_from(meeting), "HH:mm"),
            )
        )


def _record(
    user: User, session: TrainingSession, meeting: SessionDay, now: dt.datetime
) -> CheckinResult:
    title = _course_title(session)
    existing = db.session.scalar(
        select(AttendanceMark).where(
            AttendanceMark.session_id == session.id,
            AttendanceMark.user_id == user.id,
            AttendanceMark.day == meeting.day,
        )
    )
    if existing is not None:
        outcome = Outcome.ALREADY if existing.source is MarkSource.CHECKIN else Outcome.ROSTER_KEPT
        return CheckinResult(
            outcome, existing.status, session, title, meeting.day, existing.checked_in_at
        )
    late_after = dt.timedelta(minutes=int(current_app.config["CHECKIN_LATE_AFTER_MINUTES"]))
    status = (
        AttendanceStatus.LATE if now > meeting.starts_at + late_after else AttendanceStatus.PRESENT
    )
    mark = AttendanceMark(
        session_id=session.id,
        user_id=user.id,
        day=meeting.day,
        status=status,
        source=MarkSource.CHECKIN,
        checked_in_at=now,
        marked_by_id=user.id,
        marked_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(mark)
            db.session.flush()
    except IntegrityError:
        # A second scan at the very same moment: the first one stands.
        again = db.session.scalar(
            select(AttendanceMark).where(
                AttendanceMark.session_id == session.id,
                AttendanceMark.user_id == user.id,
                AttendanceMark.day == meeting.day,
            )
        )
        if again is None:  # pragma: no cover - the row that clashed is there
            raise
        outcome = Outcome.ALREADY if again.source is MarkSource.CHECKIN else Outcome.ROSTER_KEPT
        return CheckinResult(
            outcome, again.status, session, title, meeting.day, again.checked_in_at
        )
    return CheckinResult(Outcome.CHECKED_IN, status, session, title, meeting.day, now)


def _wrong_code() -> CheckinError:
    return CheckinError(
        _(
            "출석 코드가 맞지 않거나 이미 바뀌었습니다. 화면에 지금 보이는 숫자 6자리를 "
            "입력하거나 QR 코드를 다시 스캔해 주세요."
        )
    )


def _not_enrolled() -> CheckinError:
    return CheckinError(
        _(
            "이 교육에 수강 확정된 사람만 출석할 수 있습니다. 신청 상태를 확인하거나 "
            "교육 담당자에게 문의해 주세요."
        )
    )


def check_in_at(user: User, session_id: int, day: dt.date, code: str) -> CheckinResult:
    """Check in with a scanned QR code: the session and day come with the code."""
    now = utcnow()
    session = db.session.get(TrainingSession, session_id)
    meeting = day_of(session, day) if session is not None else None
    window = (
        db.session.scalar(
            select(CheckinWindow).where(
                CheckinWindow.session_id == session_id, CheckinWindow.day == day
            )
        )
        if meeting is not None
        else None
    )
    if session is None or meeting is None or window is None:
        raise CheckinError(_("이 교육일에는 출석 체크가 열려 있지 않습니다."))
    if not _is_enrolled(session.id, user.id):
        raise _not_enrolled()
    _refuse_for_window(session, meeting, window, now)
    if not code_is_valid(window.secret, code, now, _period()):
        raise _wrong_code()
    return _record(user, session, meeting, now)


def check_in_by_code(user: User, code: str) -> CheckinResult:
    """Check in with a typed code: find the window it belongs to among recent windows.

    The person's own windows (sessions they are enrolled in) are tried first, oldest window
    first, so a clash of two of their codes at one step (about one in a million per pair)
    resolves the same way every time. A code that belongs to someone else's session says
    so instead of "wrong code".
    """
    now = utcnow()
    today = today_in_seoul()
    period = _period()
    candidates = db.session.execute(
        select(CheckinWindow, TrainingSession, Enrollment.status)
        .join(TrainingSession, TrainingSession.id == CheckinWindow.session_id)
        .outerjoin(
            Enrollment,
            (Enrollment.session_id == CheckinWindow.session_id) & (Enrollment.user_id == user.id),
        )
        .where(
            CheckinWindow.day >= today - dt.timedelta(days=1),
            CheckinWindow.day <= today + dt.timedelta(days=1),
        )
        .order_by(CheckinWindow.id)
    ).all()
    mine = [row for row in candidates if row[2] is EnrollmentStatus.ENROLLED]
    others = [row for row in candidates if row[2] is not EnrollmentStatus.ENROLLED]
    for window, session, _status in mine:
        if code_is_valid(window.secret, code, now, period):
            meeting = day_of(session, window.day)
            if meeting is None:  # the session was moved after the window opened
                continue
            _refuse_for_window(session, meeting, window, now)
            return _record(user, session, meeting, now)
    for window, _session, _status in others:
        if window.closed_at is None and code_is_valid(window.secret, code, now, period):
            raise _not_enrolled()
    raise _wrong_code()
