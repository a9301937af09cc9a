"""The exports page (/manage/exports) and the export downloads, CSV or XLSX.

Every download is audited (``report.exported``), so these GETs begin their transaction
IMMEDIATE on SQLite. Access: coordinators and admins; a session's roster and attendance
also its own instructor (another instructor gets 404). With
``COORDINATOR_DEPARTMENT_SCOPE`` a coordinator is refused (403, in Korean) any department
outside their own subtree.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import Forbidden

from portal.auth.access import role_required
from portal.catalog.models import Course
from portal.core import inputs
from portal.core.clock import today_in_seoul
from portal.db import db, set_write_intent
from portal.org.operations import department_choices
from portal.reports import access, tabular
from portal.reports import operations as ops
from portal.reports.queries import ExportFilters
from portal.scheduling.models import TrainingSession
from portal.users.models import Role

bp = Blueprint("reports", __name__, url_prefix="/manage")

YEAR_MIN, YEAR_MAX = 2000, 2100
_DOWNLOADS = ("reports.export", "reports.session_export")


class _Refused(Forbidden):
    def __init__(self, message: str) -> None:
        super().__init__()
        self.user_message = message


@bp.before_request
def _exports_write_their_audit_entry() -> None:
    if request.endpoint in _DOWNLOADS:
        set_write_intent(True)


def _format() -> str:
    raw = request.args.get("format") or "csv"
    if raw not in tabular.FORMATS:
        raise inputs.InputRefused(_("파일 형식은 CSV 또는 XLSX만 고를 수 있습니다."))
    return raw


def _year() -> int | None:
    raw = (request.args.get("year") or "").strip()
    if not raw:
        return None
    year = inputs.query_int("year", maximum=YEAR_MAX)
    if year is None or year < YEAR_MIN:
        raise inputs.InputRefused(
            _("연도는 %(low)d~%(high)d 사이로 입력해 주세요.", low=YEAR_MIN, high=YEAR_MAX)
        )
    return year


def _id_arg(name: str) -> int | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    value = inputs.query_int(name)
    if value is None:
        raise inputs.InputRefused(_("고른 조건을 알아볼 수 없습니다. 목록에서 다시 골라 주세요."))
    return value


def _attachment(exported: ops.ExportFile) -> Response:
    response = Response(exported.body, mimetype=exported.mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{exported.fallback}\"; filename*=UTF-8''{quote(exported.filename)}"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/exports")
@role_required(Role.COORDINATOR, Role.ADMIN)
def exports_page():
    scoped = access.is_scoped(current_user)
    departments = department_choices(active_only=False)
    allowed = access.allowed_departments(current_user)
    if allowed is not None:
        departments = [(i, label) for i, label in departments if i in allowed]
    courses = db.session.execute(
        select(Course.id, Course.title)
        .where(Course.is_active)
        .order_by(Course.sort_order, Course.title)
    ).all()
    return render_template(
        "reports/exports.html",
        kinds=[(kind, ops.kind_label(kind), ops.kind_description(kind)) for kind in ops.ORG_KINDS],
        departments=departments,
        courses=courses,
        year=today_in_seoul().year,
        scoped=scoped,
    )


@bp.route("/exports/<kind>")
@role_required(Role.COORDINATOR, Role.ADMIN)
def export(kind: str):
    try:
        chosen = ops.ExportKind(kind)
    except ValueError:
        abort(404)
    if chosen not in ops.ORG_KINDS:
        abort(404)
    file_format = _format()
    department_id = _id_arg("department")
    if department_id is not None and not access.department_exists(department_id):
        raise inputs.InputRefused(_("고른 부서를 찾을 수 없습니다. 목록에서 다시 골라 주세요."))
    try:
        department_id = access.department_for(current_user, department_id)
    except access.ExportRefused as refused:
        raise _Refused(str(refused)) from None
    filters = ExportFilters(year=_year(), department_id=department_id, course_id=_id_arg("course"))
    return _attachment(ops.export_report(chosen, filters, file_format, current_user.id))


@bp.route("/sessions/<int:session_id>/export/<kind>")
@role_required(Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN)
def session_export(session_id: int, kind: str):
    if kind not in (ops.ExportKind.SESSION_ROSTER, ops.ExportKind.SESSION_ATTENDANCE):
        abort(404)
    session = db.session.scalars(
        select(TrainingSession)
        .options(joinedload(TrainingSession.course))
        .where(TrainingSession.id == session_id)
    ).one_or_none()
    if session is None or not access.may_export_session(current_user, session):
        abort(404)
    file_format = _format()
    try:
        department_id = access.session_department_for(current_user, session)
    except access.ExportRefused as refused:
        raise _Refused(str(refused)) from None
    exported = ops.export_session(
        ops.ExportKind(kind), session, department_id, file_format, current_user.id
    )
    return _attachment(exported)
