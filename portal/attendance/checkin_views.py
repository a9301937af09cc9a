"""QR self check-in pages: the staff check-in, the instructor's controls and the room screen.

* ``/checkin``: anyone logged in types the six-digit code from the room screen.
* ``/checkin/<session>/<day>?code=``: where the QR code points. It shows the session and
  a one-tap button; a visitor who is not logged in goes through the login and comes back.
* ``/checkin/manage/<session>``: open, close or reopen each day's check-in, and the room
  screen (full screen, large type) that shows the rotating code and refreshes itself.

Managing check-in is for the session's own instructor, or any coordinator or admin;
anyone else asking for a session answers 404. Code attempts are rate-limited per person
and per client address, so the six digits cannot be guessed by trying them all.
"""

from __future__ import annotations

import datetime as dt
import re

import segno
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.attendance import checkin as ops
from portal.attendance.checkin_forms import CheckinCodeForm, WindowForm
from portal.attendance.models import AttendanceStatus
from portal.auth.access import login_required, role_required
from portal.catalog.models import Course
from portal.core import inputs
from portal.core.clock import utcnow
from portal.core.net import client_key, pseudonym
from portal.core.templating import seoul_datetime
from portal.db import db
from portal.extensions import limiter
from portal.scheduling.models import TrainingSession
from portal.users.models import Role

bp = Blueprint("checkin", __name__, url_prefix="/checkin")

MANAGERS = (Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN)
# Code attempts: a person gets a few tries a minute and not many an hour, so guessing one of
# a million codes that change every CHECKIN_CODE_SECONDS is hopeless. The per-address limit
# is higher: a whole classroom may share one address behind the office's NAT.
RATE_LIMIT_PERSON = "10 per minute;40 per hour"
RATE_LIMIT_ADDRESS = "120 per minute"

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _status_label(status: AttendanceStatus) -> str:
    return {
        AttendanceStatus.PRESENT: _("출석"),
        AttendanceStatus.LATE: _("지각"),
        AttendanceStatus.EXCUSED: _("공결"),
        AttendanceStatus.ABSENT: _("결석"),
    }[status]


def _person_key() -> str:
    # A keyed hash of the account id: the rate-limit store never holds who it was.
    if current_user.is_authenticated:
        return "checkin:" + pseudonym(str(current_user.id), "rate-limit-checkin")
    return client_key()


# Shared by the typed-code page and the QR page: one budget of attempts across both.
_address_limit = limiter.shared_limit(RATE_LIMIT_ADDRESS, scope="checkin-code-ip", methods=["POST"])
_person_limit = limiter.shared_limit(
    RATE_LIMIT_PERSON, scope="checkin-code-person", methods=["POST"], key_func=_person_key
)


def _parse_day(raw: str) -> dt.date:
    if not _DAY.match(raw):
        abort(404)
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        abort(404)
    if not inputs.date_in_range(day):
        abort(404)
    return day


def _course(session: TrainingSession) -> Course:
    return db.session.get(Course, session.course_id) or abort(404)


def _managed_session(session_id: int) -> TrainingSession:
    session = db.session.get(TrainingSession, session_id)
    if session is None or not ops.may_manage(session, current_user):
        abort(404)
    return session


# --- Staff --------------------------------------------------------------------------------


def _flash_result(result: ops.CheckinResult) -> None:
    what = _(
        "%(course)s %(n)d차 (%(day)s)",
        course=result.course_title,
        n=result.session.round_number,
        day=result.day.isoformat(),
    )
    if result.outcome is ops.Outcome.ALREADY:
        flash(
            _(
                "이미 출석 처리되었습니다. %(what)s, %(time)s %(status)s. 바뀐 것은 없습니다.",
                what=what,
                time=seoul_datetime(result.checked_in_at, "HH:mm"),
                status=_status_label(result.status),
            ),
            "info",
        )
    elif result.outcome is ops.Outcome.ROSTER_KEPT:
        flash(
            _(
                "강사가 출석부에 이미 '%(status)s'(으)로 기록해 두어 그대로 두었습니다. %(what)s. "
                "다르다면 강사에게 말씀해 주세요.",
                status=_status_label(result.status),
                what=what,
            ),
            "info",
        )
    elif result.status is AttendanceStatus.LATE:
        flash(
            _(
                "지각으로 출석 처리되었습니다. %(what)s, %(time)s 도착.",
                what=what,
                time=seoul_datetime(result.checked_in_at, "HH:mm"),
            ),
            "success",
        )
    else:
        flash(
            _(
                "출석 처리되었습니다. %(what)s, %(time)s 출석.",
                what=what,
                time=seoul_datetime(result.checked_in_at, "HH:mm"),
            ),
            "success",
        )


@bp.route("", methods=["GET", "POST"])
@_address_limit
@_person_limit
@login_required
def index():
    form = CheckinCodeForm()
    if form.validate_on_submit():
        try:
            result = ops.check_in_by_code(current_user, form.code.data)
        except ops.CheckinError as err:
            form.code.errors = [err.message]
        else:
            _flash_result(result)
            return redirect(url_for("checkin.index"))
    if request.method == "POST":
        form.code.data = ""  # the refused code is no use; the screen shows a new one
    return render_template("checkin/index.html", form=form)


@bp.route("/<int:session_id>/<day>", methods=["GET", "POST"])
@_address_limit
@_person_limit
@login_required
def scan(session_id: int, day: str):
    meeting_day = _parse_day(day)
    session = db.session.get(TrainingSession, session_id) or abort(404)
    form = CheckinCodeForm()
    if request.method == "GET":
        code = request.args.get("code", "")
        form.code.data = code if code.isascii() and code.isdigit() and len(code) == 6 else ""
    elif form.validate_on_submit():
        try:
            result = ops.check_in_at(current_user, session.id, meeting_day, form.code.data)
        except ops.CheckinError as err:
            form.code.errors = [err.message]
            form.code.data = ""
        else:
            _flash_result(result)
            return redirect(url_for("checkin.index"))
    return render_template(
        "checkin/scan.html",
        form=form,
        session=session,
        course=_course(session),
        day=meeting_day,
    )


# --- Instructors and coordinators ---------------------------------------------------------


@bp.route("/manage/<int:session_id>")
@role_required(*MANAGERS)
def manage(session_id: int):
    session = _managed_session(session_id)
    return render_template(
        "checkin/manage.html",
        session=session,
        course=_course(session),
        days=ops.session_windows(session),
        form=WindowForm(),
        States=ops.WindowState,
        opens_before=current_app.config["CHECKIN_OPENS_MINUTES_BEFORE"],
        now=utcnow(),
    )


@bp.route("/manage/<int:session_id>/<day>/open", methods=["POST"])
@role_required(*MANAGERS)
def open_window(session_id: int, day: str):
    session = _managed_session(session_id)
    meeting_day = _parse_day(day)
    if not WindowForm().validate_on_submit():
        abort(400)
    try:
        ops.open_window(session, meeting_day, current_user.id)
    except ops.CheckinError as err:
        flash(err.message, "error")
        return redirect(url_for("checkin.manage", session_id=session.id))
    flash(_("출석 체크를 열었습니다. 강의실 화면을 띄워 주세요."), "success")
    return redirect(url_for("checkin.manage", session_id=session.id))


@bp.route("/manage/<int:session_id>/<day>/close", methods=["POST"])
@role_required(*MANAGERS)
def close_window(session_id: int, day: str):
    session = _managed_session(session_id)
    meeting_day = _parse_day(day)
    if not WindowForm().validate_on_submit():
        abort(400)
    if ops.close_window(session, meeting_day, current_user.id) is None:
        flash(_("이 교육일에는 출석 체크가 열린 적이 없습니다."), "info")
    else:
        flash(_("출석 체크를 마감했습니다. 더는 코드로 출석할 수 없습니다."), "success")
    return redirect(url_for("checkin.manage", session_id=session.id))


def _screen_context(session_id: int, day: str) -> dict:
    session = _managed_session(session_id)
    meeting_day = _parse_day(day)
    screen = ops.room_screen(session, meeting_day) or abort(404)
    qr_svg = None
    if screen.code is not None:
        target = url_for(
            "checkin.scan",
            session_id=session.id,
            day=meeting_day.isoformat(),
            code=screen.code.code,
            _external=True,
        )
        qr = segno.make(target, error="m")
        qr_svg = qr.svg_inline(scale=1, border=2, omitsize=True, dark="#000", light="#fff")
    return {
        "session": session,
        "course": _course(session),
        "screen": screen,
        "States": ops.WindowState,
        "qr_svg": qr_svg,
    }


@bp.route("/manage/<int:session_id>/<day>/screen")
@role_required(*MANAGERS)
def screen(session_id: int, day: str):
    return render_template("checkin/screen.html", **_screen_context(session_id, day))


@bp.route("/manage/<int:session_id>/<day>/screen/live")
@role_required(*MANAGERS)
def screen_live(session_id: int, day: str):
    response = current_app.make_response(
        render_template("checkin/_live.html", **_screen_context(session_id, day))
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Checkin-Live"] = "1"
    return response
