"""Coordinator roster tools (신청자 명단 관리) and bulk enrolment (일괄 신청).

Views stay thin: the rules live in portal.enrollment.roster_operations, which raise
EnrollmentError (or its RosterError) with a Korean message. A refused action writes
nothing before it is refused, so its redirect commits nothing.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.access import role_required
from portal.core import inputs
from portal.db import db, set_write_intent
from portal.enrollment import bulk_operations as bulk_ops
from portal.enrollment import operations as enrolment_ops
from portal.enrollment import roster_operations as ops
from portal.enrollment.models import EnrollmentStatus
from portal.enrollment.operations import EnrollmentError
from portal.enrollment.roster_forms import (
    MODE_LABELS,
    AddPersonForm,
    BulkForm,
    MoveForm,
)
from portal.scheduling.models import TrainingSession
from portal.users.models import Role

bp = Blueprint("roster", __name__, url_prefix="/manage")

# A form that failed validation comes back with 422, so the request's transaction is
# rolled back and nothing half-done can be committed.
INVALID = 422


@bp.before_request
def _roster_view_writes_its_audit_entry() -> None:
    # Seeing a roster is audited, so on SQLite that GET begins its transaction IMMEDIATE.
    if request.endpoint == "roster.session_roster":
        set_write_intent(True)


def _session_or_404(session_id: int) -> TrainingSession:
    return db.session.get(TrainingSession, session_id) or abort(404)


def _enrollment_or_404(session_id: int, enrollment_id: int) -> None:
    if not ops.enrollment_in_session(session_id, enrollment_id):
        abort(404)


def _back(session_id: int):
    return redirect(url_for(".session_roster", session_id=session_id))


def _overlap_notice(overlaps: int) -> None:
    if overlaps:
        flash(
            _(
                "일정 겹침 주의: 이분은 같은 시간에 열리는 다른 교육 %(n)d건에도 신청되어 있습니다.",
                n=overlaps,
            ),
            "warning",
        )


@bp.route("/sessions/<int:session_id>/roster")
@role_required(Role.COORDINATOR, Role.ADMIN)
def session_roster(session_id: int):
    roster = ops.view_roster(session_id) or abort(404)
    return render_template(
        "roster/session.html",
        roster=roster,
        session=roster.session,
        add_form=AddPersonForm(),
    )


@bp.route("/sessions/<int:session_id>/roster/add", methods=["POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def add(session_id: int):
    _session_or_404(session_id)
    form = AddPersonForm()
    if not form.validate():
        flash(" ".join(map(str, form.employee_number.errors)), "error")
        return _back(session_id)
    try:
        result = ops.add_person(session_id, form.employee_number.data, current_user.id)
    except EnrollmentError as err:
        flash(str(err), "error")
        return _back(session_id)
    if result.already:
        flash(_("이미 명단에 있는 직원입니다. 바뀐 것은 없습니다."), "info")
    elif result.status is EnrollmentStatus.ENROLLED:
        flash(_("명단에 추가했습니다. 수강이 확정되었고 본인에게 알림이 갑니다."), "success")
    else:
        flash(
            _(
                "정원이 차서 대기 %(n)d번으로 추가했습니다. 본인에게 알림이 갑니다.",
                n=result.waitlist_position or 0,
            ),
            "success",
        )
    _overlap_notice(result.overlaps)
    return _back(session_id)


@bp.route("/sessions/<int:session_id>/roster/<int:enrollment_id>/remove", methods=["POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def remove(session_id: int, enrollment_id: int):
    _enrollment_or_404(session_id, enrollment_id)
    try:
        promoted = ops.remove(session_id, enrollment_id, current_user.id)
    except EnrollmentError as err:
        flash(str(err), "error")
        return _back(session_id)
    if promoted is not None:
        flash(
            _(
                "신청을 취소했습니다. 빈 자리는 대기 1번이던 분에게 넘어갔고, 두 분 모두에게 알림이 갑니다."
            ),
            "success",
        )
    else:
        flash(_("신청을 취소했습니다. 본인에게 알림이 갑니다."), "success")
    return _back(session_id)


@bp.route("/sessions/<int:session_id>/roster/<int:enrollment_id>/promote", methods=["POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def promote(session_id: int, enrollment_id: int):
    _enrollment_or_404(session_id, enrollment_id)
    try:
        ops.promote(session_id, enrollment_id, current_user.id)
    except EnrollmentError as err:
        flash(str(err), "error")
    else:
        flash(_("대기자를 수강 확정했습니다. 본인에게 알림이 갑니다."), "success")
    return _back(session_id)


@bp.route(
    "/sessions/<int:session_id>/roster/<int:enrollment_id>/approve",
    methods=["POST"],
    defaults={"approve": True},
)
@bp.route(
    "/sessions/<int:session_id>/roster/<int:enrollment_id>/decline",
    methods=["POST"],
    defaults={"approve": False},
)
@role_required(Role.COORDINATOR, Role.ADMIN)
def decide(session_id: int, enrollment_id: int, approve: bool):
    """A coordinator decides a request that waits for approval.

    Department heads decide their own staff's requests on their approvals page; a request
    with no head to decide it (a head's own request at the top of the tree, or a head on
    leave) would otherwise wait forever, so coordinators can decide any of them here.
    """
    _enrollment_or_404(session_id, enrollment_id)
    try:
        actor = enrolment_ops.Actor(current_user.id, is_coordinator=True)
        outcome = enrolment_ops.decide(enrollment_id, approve, actor)
    except EnrollmentError as err:
        flash(str(err), "error")
    else:
        if outcome is EnrollmentStatus.ENROLLED:
            flash(_("승인했습니다. 수강이 확정되었습니다."), "success")
        elif outcome is EnrollmentStatus.WAITLISTED:
            flash(_("승인했습니다. 정원이 차서 대기자로 등록되었습니다."), "success")
        else:
            flash(_("반려했습니다. 신청한 분에게 알림이 갑니다."), "success")
    return _back(session_id)


@bp.route(
    "/sessions/<int:session_id>/roster/<int:enrollment_id>/move-up",
    methods=["POST"],
    defaults={"direction": ops.Direction.UP.value},
)
@bp.route(
    "/sessions/<int:session_id>/roster/<int:enrollment_id>/move-down",
    methods=["POST"],
    defaults={"direction": ops.Direction.DOWN.value},
)
@bp.route(
    "/sessions/<int:session_id>/roster/<int:enrollment_id>/move-top",
    methods=["POST"],
    defaults={"direction": ops.Direction.TOP.value},
)
@role_required(Role.COORDINATOR, Role.ADMIN)
def reorder(session_id: int, enrollment_id: int, direction: str):
    _enrollment_or_404(session_id, enrollment_id)
    try:
        position = ops.reorder(session_id, enrollment_id, ops.Direction(direction), current_user.id)
    except EnrollmentError as err:
        flash(str(err), "error")
    else:
        flash(_("대기 순서를 %(n)d번으로 옮겼습니다.", n=position), "success")
    return _back(session_id)


@bp.route("/sessions/<int:session_id>/roster/<int:enrollment_id>/move", methods=["POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def move(session_id: int, enrollment_id: int):
    _enrollment_or_404(session_id, enrollment_id)
    form = MoveForm()
    if not form.validate():
        flash(" ".join(map(str, form.target_session_id.errors)), "error")
        return _back(session_id)
    try:
        result = ops.move(session_id, enrollment_id, form.target_session_id.data, current_user.id)
    except EnrollmentError as err:
        flash(str(err), "error")
        return _back(session_id)
    if result.status is EnrollmentStatus.ENROLLED:
        flash(_("다른 차수로 옮겼습니다. 옮긴 차수에서 수강이 확정되었습니다."), "success")
    else:
        flash(
            _(
                "다른 차수로 옮겼습니다. 옮긴 차수의 정원이 차서 대기 %(n)d번이 되었습니다.",
                n=result.waitlist_position or 0,
            ),
            "success",
        )
    if result.promoted_here is not None:
        flash(_("이 차수의 빈 자리는 대기 1번이던 분에게 넘어갔습니다."), "info")
    _overlap_notice(result.overlaps)
    return _back(session_id)


@bp.route("/bulk", methods=["GET", "POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def bulk():
    form = BulkForm()
    form.set_choices()
    if not form.is_submitted():
        form.session_id.data = inputs.query_int("session_id", 0)
        return _render_bulk(form)
    if not form.validate():
        return _render_bulk(form), INVALID
    selection = form.to_selection()
    try:
        if request.form.get("step") == "confirm":
            plan = bulk_ops.apply_bulk(selection, form.digest.data or "", current_user.id)
        else:
            plan = bulk_ops.preview_bulk(selection)
    except bulk_ops.SelectionChanged as changed:
        # Nothing was written: show the new preview and ask again.
        form.form_errors.append(str(changed))
        plan = changed.plan
    except EnrollmentError as err:
        form.form_errors.append(str(err))
        return _render_bulk(form), INVALID
    if plan.applied:
        flash(_("일괄 신청을 반영했습니다. 사람마다 결과를 확인해 주세요."), "success")
    return _render_bulk(form, plan)


def _render_bulk(form: BulkForm, plan: bulk_ops.BulkPlan | None = None):
    return render_template(
        "roster/bulk.html",
        form=form,
        plan=plan,
        modes=MODE_LABELS,
        numbers=bulk_ops.parse_employee_numbers(form.employee_numbers.data or ""),
    )
