"""The 수료 판정 button: judge completion for an ended session now.

Coordinators and admins may judge any session; an instructor only a session they teach
(another's answers 404, so its existence is not revealed). The button sits on the
coordinator's roster page and on the instructor's 내 강의 roster, and returns there.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.attendance import completion
from portal.attendance.forms import BACK_TEACHING, JudgeForm
from portal.auth.access import role_required
from portal.db import db
from portal.scheduling.models import TrainingSession
from portal.users.models import Role

bp = Blueprint("completion", __name__, url_prefix="/attendance")


@bp.app_template_global("completion_can_be_judged")
def completion_can_be_judged(session: TrainingSession) -> bool:
    """Whether the 수료 판정 button belongs on a session's page (ended, not cancelled)."""
    try:
        completion.check_can_judge(session)
    except completion.CompletionError:
        return False
    return True


def _back(session: TrainingSession, form: JudgeForm):
    if form.back.data == BACK_TEACHING and session.instructor_id == current_user.id:
        return redirect(url_for("teaching.roster", session_id=session.id))
    if current_user.role in (Role.COORDINATOR, Role.ADMIN):
        return redirect(url_for("roster.session_roster", session_id=session.id))
    return redirect(url_for("teaching.roster", session_id=session.id))


@bp.route("/sessions/<int:session_id>/completion", methods=["POST"])
@role_required(Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN)
def judge(session_id: int):
    session = db.session.get(TrainingSession, session_id)
    if session is None:
        abort(404)
    coordinates = current_user.role in (Role.COORDINATOR, Role.ADMIN)
    if not coordinates and session.instructor_id != current_user.id:
        abort(404)
    form = JudgeForm()
    if not form.validate():
        flash(_("요청이 만료되었습니다. 페이지를 새로 고친 뒤 다시 눌러 주세요."), "error")
        return _back(session, form)
    try:
        result = completion.judge_session(session)
    except completion.CompletionError as refusal:
        flash(str(refusal), "error")
        return _back(session, form)
    flash(
        _(
            "수료를 판정했습니다: 수료 %(done)d명, 진행 중 %(pending)d명, 미수료 %(not_done)d명 "
            "(이번에 바뀐 사람 %(changed)d명).",
            done=result.completed,
            pending=result.pending,
            not_done=result.not_completed,
            changed=len(result.changes),
        ),
        "success",
    )
    return _back(session, form)
