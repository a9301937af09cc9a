"""The attendance roster (출석부) of a session day, and its printable sign-in sheet.

Marked by the session's own instructor or by coordinators and admins; anyone else with a
teaching role gets 404 (the session's existence is not revealed), staff get 403. Each
person's row is its own small form: with JavaScript it posts through htmx and only that
row is swapped, without it the form posts the whole page and comes back to the same day.
The rules live in portal.attendance.marks.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from portal.attendance import marks as ops
from portal.attendance import signin_sheet
from portal.attendance.forms import AllPresentForm, MarkForm
from portal.attendance.models import AttendanceStatus
from portal.attendance.schedule import SessionDay, day_of
from portal.auth.access import role_required
from portal.db import db, set_write_intent
from portal.scheduling.models import TrainingSession
from portal.users.models import Role

bp = Blueprint("attendance", __name__, url_prefix="/attendance")

MARKERS = (Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN)
INVALID = 422
CONFLICT = 409


@bp.before_request
def _roster_views_write_their_audit_entry() -> None:
    # Seeing the roster is audited, so on SQLite that GET begins its transaction IMMEDIATE.
    if request.endpoint == "attendance.roster":
        set_write_intent(True)


def _session_or_404(session_id: int) -> TrainingSession:
    session = ops.load_session(session_id)
    if session is None or not ops.may_mark(current_user, session):
        abort(404)
    return session


def _day_or_404(session: TrainingSession, raw: str | None) -> SessionDay:
    if not raw:
        return ops.default_day(session)
    day = ops.parse_day(raw)
    found = day_of(session, day) if day else None
    return found or abort(404)


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _page_url(session_id: int, day: SessionDay, user_id: int | None = None) -> str:
    anchor = f"row-{user_id}" if user_id else None
    return url_for(".roster", session_id=session_id, day=day.day.isoformat(), _anchor=anchor)


@bp.route("/sessions/<int:session_id>")
@role_required(*MARKERS)
def roster(session_id: int):
    session = _session_or_404(session_id)
    day = _day_or_404(session, request.args.get("day"))
    found = ops.view_roster(session, day)
    return render_template(
        "attendance/roster.html",
        roster=found,
        session=session,
        all_form=AllPresentForm(day=day.day.isoformat()),
        statuses=ops.STATUS_LABELS,
        day_label=ops.local_day_label,
    )


@bp.route("/sessions/<int:session_id>/all-present", methods=["POST"])
@role_required(*MARKERS)
def all_present(session_id: int):
    session = _session_or_404(session_id)
    form = AllPresentForm()
    day = _day_or_404(session, form.day.data)
    if not form.validate():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(_page_url(session_id, day))
    try:
        written = ops.mark_all_present(session_id, day.day, current_user.id, form.reason.data)
    except ops.AttendanceError as err:
        flash(str(err), "error")
        return redirect(_page_url(session_id, day))
    if written:
        flash(
            _(
                "표시가 없던 %(n)d명을 출석으로 표시했습니다. 이제 지각·공결·결석인 분만 바꿔 주세요.",
                n=len(written),
            ),
            "success",
        )
    else:
        flash(_("모두 이미 표시되어 있어 바뀐 것은 없습니다."), "info")
    return redirect(_page_url(session_id, day))


@bp.route("/sessions/<int:session_id>/mark", methods=["POST"])
@role_required(*MARKERS)
def mark(session_id: int):
    session = _session_or_404(session_id)
    form = MarkForm()
    day = _day_or_404(session, form.day.data)
    if not form.validate():
        message = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _answer(session, day, form.user_id.data, message, "error", INVALID)
    try:
        result = ops.mark(
            session_id,
            day.day,
            form.user_id.data,
            AttendanceStatus(form.status.data),
            current_user.id,
            reason=form.reason.data,
            expected_version=form.version.data,
        )
    except ops.VersionConflict as err:
        return _answer(session, day, form.user_id.data, str(err), "error", CONFLICT)
    except ops.AttendanceError as err:
        return _answer(session, day, form.user_id.data, str(err), "error", INVALID)
    label = ops.STATUS_LABELS[result.mark.status]
    name = _name_of(session, day, form.user_id.data)
    if result.changed:
        message = _("%(name)s: %(status)s(으)로 저장했습니다.", name=name, status=label)
    else:
        message = _("%(name)s: 이미 %(status)s입니다. 바뀐 것은 없습니다.", name=name, status=label)
    return _answer(session, day, form.user_id.data, message, "success", 200)


def _name_of(session: TrainingSession, day: SessionDay, user_id: int) -> str:
    found = ops.load_roster(session, day, only_user=user_id).row_for(user_id)
    return found.user.name if found else ""


def _answer(session, day: SessionDay, user_id: int | None, message: str, kind: str, status: int):
    """The row alone for htmx; for a plain form post, a flash and the page again."""
    if not _is_htmx():
        # A refusal wrote nothing; the redirect brings the person back to the row.
        flash(message, kind)
        return redirect(_page_url(session.id, day, user_id))
    found = ops.load_roster(session, day, only_user=user_id) if user_id else None
    row = found.row_for(user_id) if found else None
    if row is None:
        return Response(
            render_template("attendance/_message.html", message=message, kind=kind),
            status=status if status != 200 else INVALID,
        )
    return Response(
        render_template(
            "attendance/_row.html",
            roster=found,
            session=session,
            row=row,
            statuses=ops.STATUS_LABELS,
            message=message,
            kind=kind,
        ),
        status=status,
    )


@bp.route("/sessions/<int:session_id>/sign-in-sheet.pdf")
@role_required(*MARKERS)
def signin_sheet_pdf(session_id: int):
    # Read and audit in one short transaction; render with none open.
    with db.transaction():
        session = _session_or_404(session_id)
        day = _day_or_404(session, request.args.get("day"))
        sheet = ops.export_sheet(session, day)
    db.ensure_idle()
    pdf = signin_sheet.render(sheet)
    filename = f"signin-{session_id}-{day.day.isoformat()}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
