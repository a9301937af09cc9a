"""The instructor's own sessions (내 강의): the sessions they teach and each one's roster.

Read-only: an instructor sees who is coming but changes no one's place (the roster's
write routes stay with coordinators in portal.enrollment.roster_views). A session taught
by someone else answers 404, so its existence is not revealed. Seeing a roster is
audited here as on the coordinator's page.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from portal.auth.access import role_required
from portal.core import inputs
from portal.db import db, set_write_intent
from portal.enrollment import queries
from portal.enrollment import roster_operations as ops
from portal.scheduling.forms import STATUS_LABELS
from portal.scheduling.models import TrainingSession
from portal.scheduling.queries import INSTRUCTOR_ROLES, SessionFilters

bp = Blueprint("teaching", __name__, url_prefix="/teaching")

PER_PAGE = 20
PERIODS = ("upcoming", "past")
# Who may teach a session (coordinators can be instructors too); admins teach nothing.
TEACHERS = tuple(INSTRUCTOR_ROLES)


@bp.before_request
def _roster_view_writes_its_audit_entry() -> None:
    # Seeing a roster is audited, so on SQLite that GET begins its transaction IMMEDIATE.
    if request.endpoint == "teaching.roster":
        set_write_intent(True)


@bp.route("/sessions")
@role_required(*TEACHERS)
def my_sessions():
    period = request.args.get("period", "upcoming")
    if period not in PERIODS:
        period = "upcoming"
    page = queries.list_sessions(
        SessionFilters(period=period),
        inputs.query_page(),
        per_page=PER_PAGE,
        instructor_id=current_user.id,
    )
    return render_template(
        "teaching/sessions.html", page=page, period=period, status_labels=STATUS_LABELS
    )


@bp.route("/sessions/<int:session_id>/roster")
@role_required(*TEACHERS)
def roster(session_id: int):
    teacher = db.session.scalar(
        select(TrainingSession.instructor_id).where(TrainingSession.id == session_id)
    )
    if teacher is None or teacher != current_user.id:
        abort(404)
    found = ops.view_roster(session_id) or abort(404)
    return render_template("teaching/roster.html", roster=found, session=found.session)
