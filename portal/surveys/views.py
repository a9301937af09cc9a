"""Satisfaction-survey pages: staff answer; coordinators and instructors read the results.

Staff answer the survey of a session they were enrolled in, once, after it ended
(someone else's session, or one they were not enrolled in, is 404). Coordinators and
admins read every session's and course's results; an instructor reads only the
sessions they teach (404 for the others). Results are anonymous and held to the
minimum group (portal/surveys/queries.py), so reading them is not audited.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.access import login_required, role_required
from portal.surveys import operations as ops
from portal.surveys import queries
from portal.surveys.forms import SCALE_LABELS, survey_form
from portal.users.models import Role

bp = Blueprint("surveys", __name__)

COORDINATION = (Role.COORDINATOR, Role.ADMIN)
TEACHERS = (Role.INSTRUCTOR, Role.COORDINATOR)


# ---------------------------------------------------------------- staff


@bp.route("/my/surveys/<int:session_id>", methods=["GET", "POST"])
@login_required
def answer(session_id: int):
    try:
        target = ops.survey_for(session_id, current_user.id)
    except ops.NotEligible:
        abort(404)
    form = survey_form(target.questions)
    if target.refusal is None and form.is_submitted():
        if not form.validate():
            return _answer_page(target, form), 400
        try:
            ops.submit(session_id, current_user.id, form.answers(), form.comment.data or "")
        except ops.NotEligible:
            abort(404)
        except ops.SurveyRefused:
            # Answered in another tab a moment ago: the page says so.
            return redirect(url_for(".answer", session_id=session_id))
        except ops.InvalidAnswers as invalid:
            form.comment.errors = [*form.comment.errors, str(invalid)]
            return _answer_page(target, form), 400
        flash(
            _("응답해 주셔서 감사합니다. 응답은 익명으로 모아 교육을 개선하는 데 씁니다."),
            "success",
        )
        return redirect(url_for("learning.my_learning"))
    if target.refusal is not None and form.is_submitted():
        # Answered already, or not yet open: the page says why; nothing is written.
        return redirect(url_for(".answer", session_id=session_id))
    return _answer_page(target, form)


def _answer_page(target: ops.SurveyTarget, form):
    return render_template(
        "surveys/answer.html",
        target=target,
        form=form,
        refusal=ops.refusal_message(target.refusal) if target.refusal else None,
        answered=target.refusal is ops.Refusal.ANSWERED,
        scale_labels=SCALE_LABELS,
        comment_max=ops.COMMENT_MAX,
    )


# ---------------------------------------------------------------- results


@bp.route("/manage/surveys/")
@role_required(*COORDINATION)
def overview():
    lines, least = queries.courses_overview()
    return render_template("surveys/overview.html", lines=lines, min_group=least)


@bp.route("/manage/surveys/courses/<course_slug>")
@role_required(*COORDINATION)
def course_results(course_slug: str):
    report = queries.course_report(course_slug) or abort(404)
    return render_template("surveys/course_results.html", report=report)


@bp.route("/manage/surveys/sessions/<int:session_id>")
@role_required(*COORDINATION)
def session_results(session_id: int):
    report = queries.session_report(session_id) or abort(404)
    back = url_for(".course_results", course_slug=report.course.slug)
    return render_template("surveys/session_results.html", report=report, back=back)


@bp.route("/teaching/sessions/<int:session_id>/survey")
@role_required(*TEACHERS)
def my_session_results(session_id: int):
    # Another instructor's session is not found, rather than forbidden.
    report = queries.session_report(session_id, instructor_id=current_user.id) or abort(404)
    back = url_for("teaching.my_sessions", period="past")
    return render_template("surveys/session_results.html", report=report, back=back)
