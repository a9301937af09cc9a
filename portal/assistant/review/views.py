"""Submitting an exercise, its feedback page, model scoring, time saved and DOCX/HWPX export.

Routes on the sandbox blueprint (``assistant.*``). A submission is visible to its owner
and to those who may review it (submissions.may_review); anyone else gets 404.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.assistant.access import me, own_draft, page_number, policy_required
from portal.assistant.blueprint import bp, manage_bp
from portal.assistant.errors import SandboxError
from portal.assistant.models import Exercise, Submission
from portal.assistant.review import queries, submissions
from portal.assistant.review.export import download_filename
from portal.assistant.review.forms import ExportForm, SubmitForm, TimeForm, review_form_for
from portal.auth.access import login_required, role_required
from portal.core.inputs import bounded_int
from portal.db import db
from portal.org.models import Department
from portal.users.models import Role, User


@bp.route("/w/<int:draft_id>/submit", methods=["GET", "POST"])
@login_required
@policy_required
def submit(draft_id: int):
    draft = own_draft(draft_id)
    if draft.exercise_id is None:
        abort(404)
    existing = db.session.scalar(select(Submission).where(Submission.draft_id == draft.id))
    if existing is not None:
        return redirect(url_for("assistant.submission", submission_id=existing.id))
    form = SubmitForm()
    if form.validate_on_submit():
        try:
            submission = submissions.submit(me(), draft)
        except SandboxError as exc:
            form.form_errors.append(exc.message)
        else:
            return redirect(url_for("assistant.submission", submission_id=submission.id))
    exercise = db.session.get(Exercise, draft.exercise_id)
    return render_template("assistant/submit.html", form=form, draft=draft, exercise=exercise)


def _visible_submission(submission_id: int) -> Submission:
    """The owner's submission, or one the caller may review; otherwise not found."""
    submission = db.session.get(Submission, submission_id) or abort(404)
    if submission.user_id != current_user.id and not submissions.may_review(me(), submission):
        abort(404)
    return submission


def _owned_submission(submission_id: int) -> Submission:
    submission = db.session.get(Submission, submission_id)
    if submission is None or submission.user_id != current_user.id:
        abort(404)
    return submission


@bp.route("/submissions/<int:submission_id>")
@login_required
def submission(submission_id: int):
    item = _visible_submission(submission_id)
    exercise = db.session.get(Exercise, item.exercise_id)
    owner = item.user_id == current_user.id
    form = TimeForm(
        minutes_without_ai=item.minutes_without_ai,
        minutes_spent=item.minutes_spent,
    )
    reviewer = db.session.get(User, item.reviewer_id) if item.reviewer_id else None
    return render_template(
        "assistant/submission.html",
        submission=item,
        exercise=exercise,
        owner=owner,
        time_form=form,
        reviewer=reviewer,
        rows=submissions.feedback_rows(item.rubric_result),
    )


@bp.route("/submissions/<int:submission_id>/score", methods=["POST"])
@login_required
@policy_required
def score(submission_id: int):
    item = _owned_submission(submission_id)
    # Three short transactions, so that no write transaction is open during the model
    # call (on SQLite it would hold every other writer of the portal): reserve and commit,
    # call the model, then record the outcome.
    try:
        with db.transaction():
            job = submissions.start_scoring(item)
    except SandboxError as exc:
        flash(exc.message, "error")
        return redirect(url_for("assistant.submission", submission_id=item.id))
    if job is not None:
        outcome = submissions.run_scoring(job)
        with db.transaction():
            item = submissions.finish_scoring(job, outcome)
    if item.rubric_status == "failed":
        flash(item.rubric_result.get("error", ""), "error")
    return redirect(url_for("assistant.submission", submission_id=item.id))


@bp.route("/submissions/<int:submission_id>/time", methods=["POST"])
@login_required
def record_time(submission_id: int):
    item = _owned_submission(submission_id)
    form = TimeForm()
    if form.validate_on_submit():
        submissions.record_time(item, form.minutes_without_ai.data, form.minutes_spent.data)
        flash(_("시간을 기록했습니다. 절약한 시간 통계에 반영됩니다."), "success")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return redirect(url_for("assistant.submission", submission_id=item.id))


# The download's media type by format (HWPX: the package's own mimetype entry).
_MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "hwpx": "application/hwp+zip",
}


@bp.route("/w/<int:draft_id>/export", methods=["GET", "POST"])
@login_required
@policy_required
def export(draft_id: int):
    """The verification checklist, then the DOCX or HWPX file (the button pressed decides)."""
    draft = own_draft(draft_id)
    form = ExportForm()
    if form.validate_on_submit():
        checked = {name for name in submissions.VERIFICATION_ITEMS if form[name].data}
        file_format = form.file_format
        caller = me()
        department = (
            db.session.get(Department, caller.department_id) if caller.department_id else None
        )
        try:
            data = submissions.export_draft(
                caller, draft, checked, department.name if department else "", file_format
            )
        except SandboxError as exc:
            form.form_errors.append(exc.message)
        else:
            filename = download_filename(draft.title, extension=file_format)
            response = Response(data, mimetype=_MEDIA_TYPES[file_format])
            response.headers["Content-Disposition"] = (
                f'attachment; filename="draft-{draft.id}.{file_format}"; '
                f"filename*=UTF-8''{quote(filename)}"
            )
            return response
    return render_template("assistant/export.html", form=form, draft=draft)


REVIEWERS = (Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN)


@manage_bp.route("/reviews")
@role_required(*REVIEWERS)
def reviews():
    pending_only = request.args.get("all") != "1"
    # ?session=<id> narrows the queue to that session's trainees (linked from 내 강의).
    session_id = bounded_int(request.args.get("session"))
    return render_template(
        "assistant/reviews.html",
        page=queries.review_queue(
            page_number(),
            pending_only=pending_only,
            instructor_id=current_user.id if current_user.role is Role.INSTRUCTOR else None,
            session_id=session_id,
        ),
        pending_only=pending_only,
        session_id=session_id,
    )


@manage_bp.route("/reviews/<int:submission_id>", methods=["GET", "POST"])
@role_required(*REVIEWERS)
def review(submission_id: int):
    reviewer = me()
    item = db.session.get(Submission, submission_id) or abort(404)
    if not submissions.may_review(reviewer, item):
        abort(404)
    try:
        submissions.check_not_own(reviewer, item)
    except SandboxError as exc:
        flash(exc.message, "error")
        return redirect(url_for("practice_manage.reviews"))
    exercise = db.session.get(Exercise, item.exercise_id)
    form_class = review_form_for(exercise.data.get("rubric", []))
    # A saved review is shown as it was saved; the form opens only on "검토 수정", so a
    # second visit cannot quietly change the verdict.
    editing = (
        item.reviewed_at is None or request.args.get("edit") == "1" or request.method == "POST"
    )
    saved = {row["id"]: row["score"] for row in item.review_criteria or []}
    form = form_class(
        comment=item.review_comment,
        passed=bool(item.review_passed),
        **{name: saved.get(name.removeprefix("criterion_")) for name in form_class.criterion_names},
    )
    if form.validate_on_submit():
        try:
            outcome = submissions.review(
                item, reviewer, form.criterion_scores(), form.comment.data, form.passed.data
            )
        except SandboxError as exc:
            form.form_errors.append(exc.message)
        else:
            verdict = _("충족") if outcome.passed else _("미충족")
            flash(
                _(
                    "검토를 저장하고 제출자에게 알렸습니다: %(score)d점(100점 환산), 실습 요건 %(verdict)s.",
                    score=outcome.score,
                    verdict=verdict,
                ),
                "success",
            )
            if outcome.passed_before is not None and outcome.passed_before != outcome.passed:
                flash(
                    _(
                        "실습 요건 판정이 '%(before)s'에서 '%(after)s'(으)로 바뀌었습니다.",
                        before=_("충족") if outcome.passed_before else _("미충족"),
                        after=verdict,
                    ),
                    "info",
                )
            return redirect(url_for("practice_manage.review", submission_id=item.id))
    trainee = db.session.get(User, item.user_id)
    reviewer_user = db.session.get(User, item.reviewer_id) if item.reviewer_id else None
    return render_template(
        "assistant/review.html",
        form=form,
        editing=editing,
        reviewer=reviewer_user,
        submission=item,
        exercise=exercise,
        trainee=trainee,
        rows=submissions.feedback_rows(item.rubric_result),
    )
