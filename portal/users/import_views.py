"""Admin screens for the HR roster import: upload, dry-run preview, apply, template."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileAllowed, FileField, FileRequired
from sqlalchemy import select

from portal.auth.access import role_required
from portal.core import inputs
from portal.core.forms import PortalForm
from portal.core.pagination import Page
from portal.db import db
from portal.users import hr_import
from portal.users.models import Role, RosterUpload, User

bp = Blueprint("admin_import", __name__, url_prefix="/admin/import")

CHANGES_PER_PAGE = 100
ERRORS_SHOWN = 500
RECENT_UPLOADS = 10


class RosterUploadForm(PortalForm):
    roster_file = FileField(
        _l("인사 명단 파일 (CSV 또는 XLSX)"),
        validators=[
            FileRequired(_l("올릴 파일을 골라 주세요.")),
            FileAllowed(["csv", "xlsx"], _l("CSV 또는 XLSX 파일만 올릴 수 있습니다.")),
        ],
        render_kw={"accept": ".csv,.xlsx,text/csv"},
    )


class ConfirmForm(PortalForm):
    """Only the CSRF token: the file to apply is the one stored at upload."""


def _page_number() -> int:
    return inputs.query_page()


@bp.route("/", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def upload():
    form = RosterUploadForm()
    if form.validate_on_submit():
        limit = current_app.config["ROSTER_IMPORT_MAX_BYTES"]
        upload_file = form.roster_file.data
        try:
            content = upload_file.read(limit + 1)
        finally:
            upload_file.close()  # a large upload is spooled to a temporary file
        if len(content) > limit:
            form.roster_file.errors.append(
                _("파일이 너무 큽니다. %(mb).1f MB 이하로 올려 주세요.", mb=limit / 1024 / 1024)
            )
        elif not content:
            form.roster_file.errors.append(_("빈 파일입니다. 내용을 확인해 주세요."))
        else:
            stored = hr_import.store_upload(
                upload_file.filename or "roster.csv",
                content,
                uploaded_by_id=current_user.id,
            )
            return redirect(url_for(".preview", upload_id=stored.id))
    recent = db.session.scalars(
        select(RosterUpload).order_by(RosterUpload.id.desc()).limit(RECENT_UPLOADS)
    ).all()
    return render_template(
        "admin/import/upload.html", form=form, recent=recent, max_rows=hr_import.MAX_DATA_ROWS
    )


@bp.route("/<int:upload_id>")
@role_required(Role.ADMIN)
def preview(upload_id: int):
    stored = db.session.get(RosterUpload, upload_id) or abort(404)
    uploader = db.session.get(User, stored.uploaded_by_id) if stored.uploaded_by_id else None
    if stored.applied_at is not None:
        # Compared with today's data an applied file shows no changes; show what it did.
        return render_template(
            "admin/import/applied.html",
            upload=stored,
            uploader=uploader,
            result=hr_import.applied_result(stored),
        )
    plan = hr_import.upload_plan(stored)
    changes = plan.changes
    per_page = CHANGES_PER_PAGE
    number = min(max(1, _page_number()), max(1, -(-len(changes) // per_page)))
    page = Page(
        items=changes[(number - 1) * per_page : number * per_page],
        number=number,
        per_page=per_page,
        total=len(changes),
    )
    return render_template(
        "admin/import/preview.html",
        upload=stored,
        uploader=uploader,
        plan=plan,
        page=page,
        errors_shown=plan.errors[:ERRORS_SHOWN],
        form=ConfirmForm(),
        Action=hr_import.Action,
        field_labels=hr_import.FIELD_LABELS,
        absent_labels=", ".join(str(hr_import.COLUMN_LABELS[c]) for c in plan.absent_columns),
    )


@bp.route("/<int:upload_id>/apply", methods=["POST"])
@role_required(Role.ADMIN)
def apply(upload_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    # The row lock makes a second admin's simultaneous confirmation wait, then see applied_at.
    stored = db.session.get(RosterUpload, upload_id, with_for_update=True) or abort(404)
    try:
        result = hr_import.apply_upload(stored, actor_id=current_user.id)
    except hr_import.HRImportError as err:
        flash(str(err), "error")
        return redirect(url_for(".preview", upload_id=upload_id))
    flash(
        _(
            "인사 명단을 반영했습니다. 새 직원 %(created)d명, 정보 변경 %(updated)d명, 변경 없음 %(unchanged)d명.",
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
        ),
        "success",
    )
    if result.created:
        flash(
            _(
                "새로 만든 계정에는 비밀번호가 없어, 관리자가 비밀번호를 정해 주기 전까지 로그인할 수 없습니다."
            ),
            "info",
        )
    return redirect(url_for(".preview", upload_id=upload_id))


@bp.route("/template.csv")
@role_required(Role.ADMIN)
def template():
    # UTF-8 with a BOM, so Korean Excel opens the headers without garbling them.
    body = "\ufeff" + ",".join(hr_import.TEMPLATE_HEADERS) + "\r\n"
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": "attachment; filename=roster-template.csv",
            "Cache-Control": "no-store",
        },
    )
