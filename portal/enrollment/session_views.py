"""Coordinator screens for training sessions (교육 차수 관리).

They live with enrolment because they show and change people's places: the list counts
each session's queue, an edit may promote the waitlist, a cancellation cancels every
place. Views stay thin: the session's own rules live in portal.scheduling.operations,
their effect on enrolments in portal.enrollment.session_operations.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.access import role_required
from portal.core import inputs
from portal.db import db, set_write_intent
from portal.enrollment import queries, session_operations
from portal.notifications import labels as mail_labels
from portal.notifications import session_mail
from portal.reports import access
from portal.scheduling import operations
from portal.scheduling.forms import STATUS_LABELS, CancelSessionForm, SessionFilterForm, SessionForm
from portal.scheduling.models import TrainingSession
from portal.scheduling.queries import next_round_number
from portal.users.models import Role

# Named "scheduling" for its URLs and endpoints (scheduling.list_sessions, ...).
bp = Blueprint("scheduling", __name__, url_prefix="/manage/sessions")

PER_PAGE = 25
# A form that failed validation comes back with 422, so the request's transaction is
# rolled back and nothing half-done can be committed.
INVALID = 422
ROSTER_ENDPOINT = "roster.session_roster"


@bp.before_request
def _mail_view_writes_its_audit_entry() -> None:
    # Seeing who was mailed is audited, so on SQLite that GET begins its transaction IMMEDIATE.
    if request.endpoint == "scheduling.session_mail_page":
        set_write_intent(True)


def _get_session(session_id: int) -> TrainingSession:
    return db.session.get(TrainingSession, session_id) or abort(404)


@bp.route("/")
@role_required(Role.COORDINATOR, Role.ADMIN)
def list_sessions():
    form = SessionFilterForm(formdata=request.args)
    form.set_course_choices()
    filters, args = form.cleaned()
    page = queries.list_sessions(filters, inputs.query_page(), per_page=PER_PAGE)
    return render_template(
        "scheduling/list.html",
        form=form,
        page=page,
        filters=args,
        status_labels=STATUS_LABELS,
        has_roster=ROSTER_ENDPOINT in current_app.view_functions,
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def create_session():
    form = SessionForm()
    form.set_choices()
    if not form.is_submitted():
        course_id = inputs.query_int("course_id")
        if course_id:
            form.course_id.data = course_id
            form.round_number.data = next_round_number(course_id)
    if form.validate_on_submit():
        try:
            session = operations.create_session(form.to_input())
        except operations.SchedulingError as err:
            form.form_errors.append(str(err))
        else:
            flash(_("%(round)d차 교육을 만들었습니다.", round=session.round_number), "success")
            return redirect(url_for(".session_detail", session_id=session.id))
    status = INVALID if form.is_submitted() else 200
    return render_template("scheduling/form.html", form=form, session=None, row=None), status


@bp.route("/<int:session_id>/edit", methods=["GET", "POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def edit_session(session_id: int):
    row = queries.session_row(session_id) or abort(404)
    session = row.session
    form = SessionForm()
    form.set_choices(course_id=session.course_id, instructor_id=session.instructor_id)
    if not form.is_submitted():
        form.fill_from(session)
    if form.validate_on_submit():
        try:
            change = session_operations.update_session(session.id, form.to_input())
        except operations.SchedulingError as err:
            form.form_errors.append(str(err))
        else:
            _flash_change(change)
            return redirect(url_for(".session_detail", session_id=session.id))
    status = INVALID if form.is_submitted() else 200
    return render_template("scheduling/form.html", form=form, session=session, row=row), status


def _flash_change(change: session_operations.SessionChange) -> None:
    if not change.changed:
        flash(_("바뀐 내용이 없습니다."), "info")
        return
    flash(_("교육 차수를 고쳤습니다."), "success")
    if change.promoted:
        flash(
            _("늘어난 정원으로 대기자 %(n)d명이 수강 확정되었습니다.", n=change.promoted),
            "info",
        )
    if change.notified:
        flash(_("신청자 %(n)d명에게 바뀐 일정을 알렸습니다.", n=change.notified), "info")


def _render_detail(session_id: int, cancel_form: CancelSessionForm, status: int = 200):
    row = queries.session_row(session_id) or abort(404)
    return render_template(
        "scheduling/detail.html",
        row=row,
        session=row.session,
        cancel_form=cancel_form,
        status_labels=STATUS_LABELS,
        has_roster=ROSTER_ENDPOINT in current_app.view_functions,
    ), status


@bp.route("/<int:session_id>")
@role_required(Role.COORDINATOR, Role.ADMIN)
def session_detail(session_id: int):
    return _render_detail(session_id, CancelSessionForm())


@bp.route("/<int:session_id>/cancel", methods=["POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def cancel_session(session_id: int):
    session = _get_session(session_id)
    form = CancelSessionForm()
    if form.validate_on_submit():
        try:
            count = session_operations.cancel_session(session.id, form.reason.data or "")
        except operations.SchedulingError as err:
            form.form_errors.append(str(err))
        else:
            flash(
                _("교육 차수를 취소했습니다. 신청자 %(n)d명에게 알렸습니다.", n=count),
                "success",
            )
            return redirect(url_for(".session_detail", session_id=session.id))
    return _render_detail(session.id, form, INVALID)


@bp.route("/<int:session_id>/mail")
@role_required(Role.COORDINATOR, Role.ADMIN)
def session_mail_page(session_id: int):
    row = queries.session_row(session_id) or abort(404)
    # A coordinator scoped to a department sees the mail of that department's people only.
    departments = access.allowed_departments(current_user)
    mail = session_mail.view_session_mail(row.session.id, inputs.query_page(), departments)
    return render_template(
        "scheduling/mail.html",
        row=row,
        session=row.session,
        mail=mail,
        scoped=departments is not None,
        status_labels=mail_labels.STATUS_LABELS,
        kind_label=mail_labels.kind_label,
        error_summary=mail_labels.error_summary,
        has_roster=ROSTER_ENDPOINT in current_app.view_functions,
    )
