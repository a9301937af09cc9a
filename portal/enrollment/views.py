"""Enrol and cancel buttons for staff, and approvals for department heads.

Views stay thin: the rules (seats, waitlist, windows, approval) live in
portal.enrollment.operations, which raise EnrollmentError with a Korean message.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.auth.access import department_head_required, login_required
from portal.catalog.urls import course_url
from portal.core.net import local_path
from portal.db import db
from portal.enrollment import operations as ops
from portal.enrollment import queries
from portal.enrollment.forms import APPROVE, CancelForm, DecisionForm, EnrolForm
from portal.enrollment.models import EnrollmentStatus
from portal.scheduling.models import TrainingSession
from portal.users.models import User

bp = Blueprint("enrollment", __name__)


@bp.route("/sessions/<int:session_id>/enrol", methods=["POST"])
@login_required
def enrol(session_id: int):
    form = EnrolForm()
    if not form.validate():
        abort(400)
    slug = queries.course_slug_for_session(session_id) or abort(404)
    back = local_path(form.next.data) or course_url(slug)
    try:
        result = ops.enrol(
            session_id,
            db.session.get(User, current_user.id),
            ops.Actor(current_user.id),
            confirm_overlap=bool(form.confirm_overlap.data),
        )
    except ops.OverlapWarning as warning:
        session = db.session.scalars(
            select(TrainingSession)
            .options(joinedload(TrainingSession.course))
            .where(TrainingSession.id == session_id)
        ).one()
        return render_template(
            "enrollment/overlap.html",
            session=session,
            overlaps=warning.overlaps,
            back=back,
        )
    except ops.EnrollmentError as err:
        flash(str(err), "error")
        return redirect(back)
    if result.outcome is EnrollmentStatus.ENROLLED:
        flash(_("수강이 확정되었습니다."), "success")
    elif result.outcome is EnrollmentStatus.WAITLISTED:
        flash(
            _(
                "대기 %(n)d번으로 등록되었습니다. 자리가 나면 순서대로 확정되고 알려 드립니다.",
                n=result.waitlist_position or 0,
            ),
            "success",
        )
    else:
        flash(_("신청했습니다. 부서장 승인을 기다립니다."), "success")
    return redirect(back)


@bp.route("/enrollments/<int:enrollment_id>/cancel", methods=["POST"])
@login_required
def cancel(enrollment_id: int):
    # Someone else's enrolment is not found, rather than forbidden: ids reveal nothing.
    slug = queries.owned_enrollment_slug(enrollment_id, current_user.id) or abort(404)
    form = CancelForm()
    if not form.validate():
        abort(400)
    back = local_path(form.next.data) or course_url(slug)
    try:
        promoted = ops.cancel(enrollment_id, ops.Actor(current_user.id))
    except ops.EnrollmentError as err:
        flash(str(err), "error")
    else:
        if promoted is not None:
            flash(_("신청을 취소했습니다. 대기 중인 다음 분에게 자리가 넘어갔습니다."), "success")
        else:
            flash(_("신청을 취소했습니다."), "success")
    return redirect(back)


@bp.route("/approvals/")
@department_head_required
def approvals():
    return render_template(
        "enrollment/approvals.html",
        requests=queries.pending_approvals(current_user),
        course_url=course_url,
    )


@bp.route("/approvals/<int:enrollment_id>", methods=["POST"])
@department_head_required
def decide(enrollment_id: int):
    if not queries.is_in_heads_departments(current_user, enrollment_id):
        abort(404)
    form = DecisionForm()
    if not form.validate():
        flash(" ".join(form.decision.errors) or _("요청을 처리할 수 없습니다."), "error")
        return redirect(url_for(".approvals"))
    approve = form.decision.data == APPROVE
    try:
        outcome = ops.decide(enrollment_id, approve, ops.Actor(current_user.id))
    except ops.EnrollmentError as err:
        flash(str(err), "error")
    else:
        if outcome is EnrollmentStatus.ENROLLED:
            flash(_("승인했습니다. 수강이 확정되었습니다."), "success")
        elif outcome is EnrollmentStatus.WAITLISTED:
            flash(_("승인했습니다. 정원이 차서 대기자로 등록되었습니다."), "success")
        else:
            flash(_("반려했습니다. 신청한 분에게 알림이 갑니다."), "success")
    return redirect(url_for(".approvals"))
