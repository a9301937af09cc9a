"""The learning-hours ledger (상시학습): each person's year, outside learning, and its review.

Staff see only their own lines and evidence: another person's entry answers 404, so its
existence is not revealed. Coordinators and admins review outside learning in a queue and
may open its evidence (audited). A form that fails validation answers 422, so the request
rolls back and nothing half-done is stored.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from portal.attendance import hours
from portal.attendance import hours_queries as queries
from portal.attendance.hours_forms import (
    ALL_STATUSES,
    ConfirmForm,
    DecisionForm,
    HoursEntryForm,
    QueueFilterForm,
)
from portal.attendance.models import HoursStatus
from portal.auth.access import login_required, role_required
from portal.core import inputs
from portal.core.clock import today_in_seoul
from portal.db import set_write_intent
from portal.org.operations import department_choices
from portal.users.models import Role

bp = Blueprint("hours", __name__, url_prefix="/hours")

INVALID = 422
LEDGER_PER_PAGE = 20
QUEUE_PER_PAGE = 25


@bp.before_request
def _evidence_view_writes_its_audit_entry() -> None:
    # A reviewer's look at evidence is audited, so on SQLite that GET begins IMMEDIATE.
    if request.endpoint == "hours.evidence":
        set_write_intent(True)


@bp.errorhandler(413)
def _too_large(_err):
    # The body passed MAX_CONTENT_LENGTH before any form could read it: say so plainly.
    limit = current_app.config["HOURS_EVIDENCE_MAX_BYTES"]
    return render_template("hours/too_large.html", message=hours.too_large_message(limit)), 413


def _context_labels() -> dict:
    return {
        "status_labels": hours.STATUS_LABELS,
        "source_labels": hours.SOURCE_LABELS,
        "HoursStatus": HoursStatus,
    }


# --- the person's own ledger ----------------------------------------------------------------


@bp.route("/")
@login_required
def index():
    years = queries.ledger_years(current_user.id)
    this_year = today_in_seoul().year
    year = inputs.query_int("year", maximum=9999)
    if year not in years:
        year = this_year
    return render_template(
        "hours/index.html",
        year=year,
        years=years,
        summary=queries.year_summary(current_user.id, year),
        page=queries.ledger(current_user.id, year, inputs.query_page(), per_page=LEDGER_PER_PAGE),
        confirm_form=ConfirmForm(),
        **_context_labels(),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = HoursEntryForm()
    limit = current_app.config["HOURS_EVIDENCE_MAX_BYTES"]
    if request.method == "POST":
        if form.validate_on_submit():
            upload = form.evidence.data
            try:
                content = upload.read(limit + 1)
            finally:
                upload.close()  # a large upload is spooled to a temporary file
            try:
                entry = hours.add_external(
                    current_user._get_current_object(),
                    hours.NewEntry(
                        title=form.title.data or "",
                        provider=form.provider_name,
                        completed_on=form.completed_on.data,
                        hours=form.hours_value,
                        filename=upload.filename or "",
                        content=content,
                    ),
                    max_bytes=limit,
                )
            except hours.HoursError as err:
                form.evidence.errors = [*form.evidence.errors, str(err)]
            else:
                flash(
                    _(
                        "외부 학습을 등록했습니다. 교육 담당자가 증빙을 확인해 인정하면 알려 드립니다."
                    ),
                    "success",
                )
                return redirect(url_for(".index", year=entry.year))
        return _render_new(form, limit), INVALID
    return _render_new(form, limit)


def _render_new(form: HoursEntryForm, limit: int):
    today = today_in_seoul()
    earliest = hours.earliest_completion_day(today)
    form.completed_on.render_kw = {"min": earliest.isoformat(), "max": today.isoformat()}
    return render_template(
        "hours/new.html",
        form=form,
        max_mb=limit / 1024 / 1024,
        earliest=earliest,
        today=today,
        low=str(hours.MIN_ENTRY_HOURS),
        high=str(hours.MAX_ENTRY_HOURS),
        other_provider=hours.OTHER_PROVIDER,
    )


@bp.route("/<int:entry_id>/withdraw", methods=["POST"])
@login_required
def withdraw(entry_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    year = inputs.bounded_int(request.form.get("year"), maximum=9999)
    try:
        found = hours.withdraw(entry_id, current_user._get_current_object())
    except hours.HoursError as err:
        flash(str(err), "error")
    else:
        if not found:
            abort(404)
        flash(_("신청을 철회했습니다. 올린 증빙 파일도 함께 지웠습니다."), "success")
    return redirect(url_for(".index", year=year) if year else url_for(".index"))


@bp.route("/<int:entry_id>/evidence")
@login_required
def evidence(entry_id: int):
    found = hours.open_evidence(entry_id, current_user._get_current_object())
    if found is None:
        abort(404)
    fallback = f"evidence-{entry_id}.{hours.EXTENSIONS.get(found.content_type, 'bin')}"
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(found.filename)}"
    return Response(
        found.data,
        mimetype=found.content_type,
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


# --- review (coordinators and admins) -------------------------------------------------------


def _queue_filters(form: QueueFilterForm, years: list[int], departments: list[tuple[int, str]]):
    raw_status = request.args.get("status", HoursStatus.PENDING.value)
    if raw_status == ALL_STATUSES:
        status = None
    else:
        try:
            status = HoursStatus(raw_status)
        except ValueError:
            status = HoursStatus.PENDING
    department = inputs.query_int("department")
    if department not in {dept_id for dept_id, _label in departments}:
        department = None
    year = inputs.query_int("year", maximum=9999)
    if year not in years:
        year = None
    form.status.data = status.value if status else ALL_STATUSES
    form.department.data = str(department) if department else ""
    form.year.data = str(year) if year else ""
    return queries.QueueFilters(status=status, department_id=department, year=year)


@bp.route("/review")
@role_required(Role.COORDINATOR, Role.ADMIN)
def review():
    years = queries.queue_years()
    departments = department_choices(active_only=False)
    form = QueueFilterForm(formdata=None)
    form.set_choices(departments, years)
    filters = _queue_filters(form, years, departments)
    args = {k: v for k, v in request.args.items() if k in ("status", "department", "year")}
    return render_template(
        "hours/review.html",
        form=form,
        page=queries.review_queue(filters, inputs.query_page(), per_page=QUEUE_PER_PAGE),
        filters=filters,
        args=args,
        **_context_labels(),
    )


@bp.route("/review/<int:entry_id>")
@role_required(Role.COORDINATOR, Role.ADMIN)
def review_entry(entry_id: int):
    return _render_entry(entry_id, DecisionForm())


def _render_entry(entry_id: int, form: DecisionForm, status: int = 200):
    line = queries.queue_line(entry_id) or abort(404)
    return (
        render_template(
            "hours/review_entry.html",
            line=line,
            entry=line.entry,
            evidence=queries.evidence_meta(entry_id),
            summary=queries.year_summary(line.entry.user_id, line.entry.year),
            form=form,
            own=line.entry.user_id == current_user.id,
            type_labels=hours.TYPE_LABELS,
            **_context_labels(),
        ),
        status,
    )


@bp.route("/review/<int:entry_id>/decide", methods=["POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def decide(entry_id: int):
    form = DecisionForm()
    decision = request.form.get("decision")
    if not form.validate_on_submit() or decision not in ("approve", "decline"):
        if decision not in ("approve", "decline"):
            form.reason.errors = [*form.reason.errors, _("인정 또는 반려 중 하나를 눌러 주세요.")]
        return _render_entry(entry_id, form, INVALID)
    try:
        entry = hours.decide(
            entry_id,
            current_user._get_current_object(),
            approve=decision == "approve",
            reason=form.reason.data or "",
        )
    except hours.HoursError as err:
        form.reason.errors = [*form.reason.errors, str(err)]
        return _render_entry(entry_id, form, INVALID)
    if entry is None:
        abort(404)
    if entry.status is HoursStatus.APPROVED:
        flash(_("인정했습니다. 신청한 분에게 알림이 갑니다."), "success")
    else:
        flash(_("반려했습니다. 사유와 함께 신청한 분에게 알림이 갑니다."), "success")
    return redirect(url_for(".review"))
