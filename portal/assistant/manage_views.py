"""Sandbox pages for instructors (review), coordinators (figures) and admins (models, limits).

Coordinators see counts, tokens, guard-event kinds and policy acceptances, never the
text of a conversation; instructors read a draft only once its owner submitted it.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.assistant import admin_operations, operations, queries, quotas, registry, submissions
from portal.assistant.forms import LimitsForm, ModelSettingForm, ReviewForm
from portal.assistant.models import Exercise, Submission
from portal.auth.access import role_required
from portal.db import db
from portal.org.models import Department
from portal.users.models import Role, User

bp = Blueprint("practice_manage", __name__, url_prefix="/practice/manage")

REVIEWERS = (Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN)


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


@bp.route("/reviews")
@role_required(*REVIEWERS)
def reviews():
    pending_only = request.args.get("all") != "1"
    return render_template(
        "assistant/reviews.html",
        page=queries.review_queue(
            _page(),
            pending_only=pending_only,
            instructor_id=current_user.id if current_user.role is Role.INSTRUCTOR else None,
        ),
        pending_only=pending_only,
    )


@bp.route("/reviews/<int:submission_id>", methods=["GET", "POST"])
@role_required(*REVIEWERS)
def review(submission_id: int):
    item = db.session.get(Submission, submission_id) or abort(404)
    if not submissions.may_review(db.session.get(User, current_user.id), item):
        abort(404)
    if item.user_id == current_user.id:
        flash(_("자신이 제출한 과제는 검토할 수 없습니다."), "error")
        return redirect(url_for("practice_manage.reviews"))
    form = ReviewForm(
        score=item.review_score, comment=item.review_comment, passed=bool(item.review_passed)
    )
    if form.validate_on_submit():
        try:
            submissions.review(
                item,
                db.session.get(User, current_user.id),
                form.score.data,
                form.comment.data,
                form.passed.data,
            )
        except operations.SandboxError as exc:
            form.form_errors.append(exc.message)
        else:
            flash(_("검토를 저장했습니다."), "success")
            return redirect(url_for("practice_manage.reviews"))
    exercise = db.session.get(Exercise, item.exercise_id)
    trainee = db.session.get(User, item.user_id)
    return render_template(
        "assistant/review.html",
        form=form,
        submission=item,
        exercise=exercise,
        trainee=trainee,
        rows=submissions.feedback_rows(item.rubric_result),
    )


@bp.route("/figures")
@role_required(Role.COORDINATOR, Role.ADMIN)
def figures():
    since = queries.month_start()
    accepted, total = queries.acceptance_counts(operations.policy_version())
    return render_template(
        "assistant/figures.html",
        usage=queries.usage_by_department(since),
        kinds=queries.guard_kinds(since),
        time_saved=queries.time_saved(since),
        ratings=queries.rating_summary(since),
        accepted=accepted,
        total=total,
        since=since,
    )


@bp.route("/acceptances")
@role_required(Role.COORDINATOR, Role.ADMIN)
def acceptances():
    department_id = request.args.get("department", type=int)
    departments = list(db.session.scalars(select(Department).order_by(Department.name)))
    return render_template(
        "assistant/acceptances.html",
        page=queries.acceptances(_page(), department_id, operations.policy_version()),
        departments=departments,
        department_id=department_id,
        version=operations.policy_version(),
    )


@bp.route("/models", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def models():
    if request.method == "POST":
        form = ModelSettingForm()
        key = request.form.get("key", "")
        if form.validate_on_submit():
            try:
                admin_operations.set_model(
                    key, enabled=form.enabled.data, internal=form.internal.data
                )
            except operations.SandboxError as exc:
                flash(exc.message, "error")
            else:
                flash(_("모델 설정을 저장했습니다."), "success")
        else:
            flash(_("요청이 올바르지 않습니다. 다시 시도하세요."), "error")
        return redirect(url_for("practice_manage.models"))
    return render_template("assistant/models.html", choices=registry.choices())


@bp.route("/limits", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def limits():
    current = quotas.current_limits()
    form = LimitsForm(obj=current)
    if form.validate_on_submit():
        try:
            admin_operations.set_limits({name: form[name].data for name in quotas.LIMIT_RANGES})
        except operations.SandboxError as exc:
            form.form_errors.append(exc.message)
        else:
            flash(_("한도를 저장했습니다. 다음 메시지부터 적용됩니다."), "success")
            return redirect(url_for("practice_manage.limits"))
    return render_template("assistant/limits.html", form=form, ranges=quotas.LIMIT_RANGES)
