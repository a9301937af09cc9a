"""The practice sandbox pages. Thin: parse, check access, call one operation.

Every draft, conversation and message is looked up together with its owner, so changing
an id in a URL reaches nobody else's work (404, the same as a missing id).
"""

from __future__ import annotations

from flask import (
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.assistant.access import (
    me,
    own_answer,
    own_conversation,
    own_draft,
    page_number,
    policy_required,
)
from portal.assistant.backends import registry
from portal.assistant.blueprint import bp
from portal.assistant.content.answers import display_parts
from portal.assistant.errors import SandboxError
from portal.assistant.guard import events
from portal.assistant.models import (
    DataGrade,
    DocType,
    Exercise,
    MessageRating,
    MessageStatus,
    Submission,
)
from portal.assistant.workspace import conversations, drafts, failures, queries, quotas, streaming
from portal.assistant.workspace.forms import PolicyForm, WorkspaceForm
from portal.assistant.workspace.policy import accept_policy, has_accepted_policy, policy_version
from portal.auth.access import login_required
from portal.catalog.markdown import render_markdown
from portal.db import db


def _abort_json(message: str, status: int):
    response = jsonify(message=message)
    response.status_code = status
    abort(response)


def _bad_request() -> None:
    _abort_json(_("요청 형식이 올바르지 않습니다. 페이지를 새로 고친 뒤 다시 시도하세요."), 400)


def _json_body() -> dict:
    """The request's JSON object; anything else is answered with 400 before any work.

    Size, nesting depth and control characters were already checked at the edge
    (portal.core.inputs.check_request), so parsing here cannot recurse out of bounds.
    """
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        _bad_request()
    return payload


def _json_text() -> str:
    text = _json_body().get("text", "")
    if not isinstance(text, str):
        _bad_request()
    return text


def _checked_length(text: str) -> str:
    try:
        quotas.check_input_length(text)
    except quotas.QuotaExceeded as exc:
        _abort_json(exc.message, 413)
    return text


def _json_error(exc: SandboxError) -> tuple[Response, int]:
    payload = {"message": exc.message}
    if isinstance(exc, events.GuardBlocked):
        payload["guard"] = exc.report.as_json(exc.text)
    return jsonify(payload), exc.status


def _quota_status():
    me = current_user
    return quotas.status_for(me.id, me.department_id)


# Index, policy, new workspace ----------------------------------------------------------


@bp.route("/")
@login_required
def index():
    accepted = has_accepted_policy(current_user.id)
    return render_template(
        "assistant/index.html",
        accepted=accepted,
        drafts=queries.my_drafts(current_user.id, page_number()) if accepted else None,
        exercises=queries.active_exercises(),
        doc_types=queries.active_doc_types(),
        quota=_quota_status(),
    )


@bp.route("/policy", methods=["GET", "POST"])
@login_required
def policy():
    form = PolicyForm()
    if form.validate_on_submit():
        accept_policy(current_user.id)
        flash(_("AI 활용 수칙에 동의했습니다. 이제 실습 공간을 쓸 수 있습니다."), "success")
        from portal.core.net import local_path

        return redirect(local_path(request.args.get("next")) or url_for("assistant.index"))
    return render_template(
        "assistant/policy.html",
        form=form,
        accepted=has_accepted_policy(current_user.id),
        version=policy_version(),
    )


def _workspace_form(doc_type: DocType | None, exercise: Exercise | None) -> WorkspaceForm:
    form = WorkspaceForm()
    form.doc_type.choices = [(d.slug, d.name) for d in queries.active_doc_types()]
    form.model.choices = [(c.key, c.spec.label) for c in registry.enabled_choices()]
    if request.method == "GET":
        if doc_type is not None:
            form.doc_type.data = doc_type.slug
        if exercise is not None:
            form.exercise.data = exercise.slug
            form.title.data = exercise.title
        form.model.data = "offline" if len(form.model.choices) == 1 else None
    return form


@bp.route("/new", methods=["GET", "POST"])
@login_required
@policy_required
def new_workspace():
    exercise_slug = request.values.get("exercise") or None
    exercise = None
    if exercise_slug:
        exercise = db.session.scalar(
            select(Exercise).where(Exercise.slug == exercise_slug, Exercise.is_active)
        ) or abort(404)
    doc_type = (
        db.session.get(DocType, exercise.doc_type_id)
        if exercise
        else db.session.scalar(
            select(DocType).where(DocType.slug == request.args.get("doctype", ""))
        )
    )
    form = _workspace_form(doc_type, exercise)
    if form.validate_on_submit():
        chosen = db.session.scalar(
            select(DocType).where(DocType.slug == form.doc_type.data, DocType.is_active)
        )
        if chosen is None:
            form.doc_type.errors = [_("문서 유형을 고르세요.")]
        else:
            try:
                draft = conversations.start_workspace(
                    me(),
                    doc_type=chosen,
                    exercise=exercise,
                    grade=DataGrade(form.grade.data),
                    model_key=form.model.data,
                    title=form.title.data.strip(),
                )
            except SandboxError as exc:
                form.form_errors.append(exc.message)
            else:
                return redirect(url_for("assistant.workspace", draft_id=draft.id))
    return render_template(
        "assistant/new.html",
        form=form,
        exercise=exercise,
        models=registry.enabled_choices(),
    )


# The workspace -------------------------------------------------------------------------


@bp.route("/w/<int:draft_id>")
@login_required
@policy_required
def workspace(draft_id: int):
    draft = own_draft(draft_id)
    conversation = conversations.conversation_for(draft)
    messages = conversations.conversation_messages(conversation.id) if conversation else []
    ratings = {}
    if messages:
        ratings = {
            r.message_id: r
            for r in db.session.scalars(
                select(MessageRating).where(MessageRating.message_id.in_([m.id for m in messages]))
            )
        }
    doc_type = db.session.get(DocType, draft.doc_type_id)
    exercise = db.session.get(Exercise, draft.exercise_id) if draft.exercise_id else None
    choice = registry.choice(conversation.model_key) if conversation else None
    submission = db.session.scalar(select(Submission).where(Submission.draft_id == draft.id))
    usable = bool(
        choice and choice.is_enabled and conversation and choice.allows(conversation.data_grade)
    )
    # Another helper can be chosen at any time, not only when this one stops working.
    alternatives = (
        [c for c in registry.enabled_choices(conversation.data_grade) if c.key != choice.key]
        if conversation and choice and not draft.submitted_at
        else []
    )
    return render_template(
        "assistant/workspace.html",
        model_usable=usable,
        alternatives=alternatives,
        draft=draft,
        conversation=conversation,
        messages=messages,
        ratings=ratings,
        inserts=conversations.insert_texts(messages),
        doc_type=doc_type,
        exercise=exercise,
        model=choice,
        quota=_quota_status(),
        submission=submission,
        reasons=conversations.RATING_REASONS,
        stale_statuses={MessageStatus.PENDING, MessageStatus.STREAMING},
        render_markdown=render_markdown,
        failure_note=failures.failure_note,
        display_parts=display_parts,
        may_resend=failures.may_resend,
        resendable=sorted(failures.RESENDABLE),
    )


@bp.route("/w/<int:draft_id>/model", methods=["POST"])
@login_required
@policy_required
def switch_model(draft_id: int):
    conversation = own_conversation(own_draft(draft_id))
    try:
        conversations.switch_model(conversation, request.form.get("model", ""))
    except SandboxError as exc:
        flash(exc.message, "error")
    else:
        flash(_("도우미를 바꿨습니다."), "success")
    return redirect(url_for("assistant.workspace", draft_id=draft_id))


@bp.route("/w/<int:draft_id>/guard", methods=["POST"])
@login_required
@policy_required
def guard_check(draft_id: int):
    conversation = own_conversation(own_draft(draft_id))
    text = _checked_length(_json_text())
    report = events.inspect(text, conversation.data_grade)
    return jsonify(report.as_json(text))


@bp.route("/w/<int:draft_id>/mask", methods=["POST"])
@login_required
@policy_required
def mask(draft_id: int):
    conversation = own_conversation(own_draft(draft_id))
    text = _checked_length(_json_text())
    masked = events.mask_text(me(), conversation, text)
    report = events.inspect(masked, conversation.data_grade)
    return jsonify(text=masked, guard=report.as_json(masked))


@bp.route("/w/<int:draft_id>/messages", methods=["POST"])
@login_required
@policy_required
def post_message(draft_id: int):
    draft = own_draft(draft_id)
    conversation = own_conversation(draft)
    text = _json_text()
    try:
        question, answer = conversations.post_message(me(), conversation, text)
    except events.GuardBlocked as exc:
        # The guard event is kept even though the message is refused.
        db.keep_writes_on_refusal()
        return _json_error(exc)
    except SandboxError as exc:
        return _json_error(exc)
    status = _quota_status()
    return jsonify(
        question_id=question.id,
        answer_id=answer.id,
        stream_url=url_for("assistant.stream", message_id=answer.id),
        quota_warning=status.highest_ratio >= quotas.WARN_RATIO,
    )


@bp.route("/messages/<int:message_id>/stream", methods=["POST"])
@login_required
@policy_required
def stream(message_id: int):
    answer, conversation = own_answer(message_id)
    try:
        prepared = streaming.prepare(answer, conversation)
    except LookupError:
        return jsonify(message=_("이 답변은 이미 받았거나 받는 중입니다.")), 409
    except streaming.ModelUnavailable:
        db.keep_writes_on_refusal()  # the answer is stored as failed and the message given back
        return jsonify(message=_("이 작업의 모델을 지금 쓸 수 없습니다.")), 409
    # The claim is committed before the first byte: the stream outlives the request.
    response = db.streamed_response(streaming.generate(prepared), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    return response


@bp.route("/messages/<int:message_id>/rating", methods=["POST"])
@login_required
@policy_required
def rate(message_id: int):
    answer, _conversation = own_answer(message_id)
    payload = _json_body()
    try:
        score = int(payload.get("score", 0))
        reasons = payload.get("reasons", [])
        if not isinstance(reasons, list):
            raise ValueError(reasons)
        reasons = [str(r) for r in reasons][:10]
        conversations.rate_message(answer, score, reasons)
    except (TypeError, ValueError):
        return jsonify(message=_("평점은 1점에서 5점 사이로 골라 주세요.")), 400
    except SandboxError as exc:
        return _json_error(exc)
    return jsonify(message=_("평가를 저장했습니다. 고맙습니다."))


@bp.route("/w/<int:draft_id>/draft", methods=["POST"])
@login_required
@policy_required
def save_draft(draft_id: int):
    draft = own_draft(draft_id)
    payload = _json_body()
    try:
        base = int(payload.get("revision", -1))
        drafts.save_draft(draft, payload.get("segments"), base, str(payload.get("reason", "")))
    except (TypeError, ValueError):
        return jsonify(message=_("초안 형식이 올바르지 않습니다.")), 400
    except SandboxError as exc:
        return _json_error(exc)
    return jsonify(
        revision=draft.revision,
        saved_at=draft.updated_at.isoformat(),
        ai_share=drafts.ai_share_percent(draft.segments),
    )


@bp.route("/w/<int:draft_id>/versions")
@login_required
@policy_required
def versions(draft_id: int):
    draft = own_draft(draft_id)
    return render_template(
        "assistant/versions.html", draft=draft, versions=drafts.draft_versions(draft.id)
    )


@bp.route("/w/<int:draft_id>/versions/<int:number>/restore", methods=["POST"])
@login_required
@policy_required
def restore(draft_id: int, number: int):
    draft = own_draft(draft_id)
    try:
        drafts.restore_version(draft, number)
    except SandboxError as exc:
        flash(exc.message, "error")
        return redirect(url_for("assistant.versions", draft_id=draft.id))
    flash(_("%(number)d번 버전으로 되돌렸습니다.", number=number), "success")
    return redirect(url_for("assistant.workspace", draft_id=draft.id))
