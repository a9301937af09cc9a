"""The practice sandbox pages. Thin: parse, check access, call one operation.

Every draft, conversation and message is looked up together with its owner, so changing
an id in a URL reaches nobody else's work (404, the same as a missing id).
"""

from __future__ import annotations

import functools

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.assistant import (
    drafts,
    operations,
    queries,
    quotas,
    registry,
    streaming,
)
from portal.assistant.forms import (
    PolicyForm,
    WorkspaceForm,
)
from portal.assistant.models import (
    AssistantMessage,
    Conversation,
    DataGrade,
    DocType,
    Draft,
    Exercise,
    MessageRating,
    MessageStatus,
    Submission,
)
from portal.auth.access import login_required
from portal.catalog.markdown import render_markdown
from portal.db import db
from portal.users.models import User

bp = Blueprint("assistant", __name__, url_prefix="/practice")


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def _me() -> User:
    return db.session.get(User, current_user.id)


def policy_required(view):
    """Send users who have not accepted the current AI-use policy to it first."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not operations.has_accepted_policy(current_user.id):
            if request.accept_mimetypes.best == "application/json" or request.is_json:
                return jsonify(message=_("먼저 AI 활용 수칙에 동의하세요.")), 403
            return redirect(url_for("assistant.policy", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped


def _own_draft(draft_id: int) -> Draft:
    draft = db.session.scalar(
        select(Draft).where(Draft.id == draft_id, Draft.user_id == current_user.id)
    )
    return draft or abort(404)


def _own_answer(message_id: int) -> tuple[AssistantMessage, Conversation]:
    row = db.session.execute(
        select(AssistantMessage, Conversation)
        .join(Conversation, Conversation.id == AssistantMessage.conversation_id)
        .where(
            AssistantMessage.id == message_id,
            AssistantMessage.role == "assistant",
            Conversation.user_id == current_user.id,
        )
    ).first()
    return row if row else abort(404)


def _abort_json(message: str, status: int):
    response = jsonify(message=message)
    response.status_code = status
    abort(response)


def _bad_request() -> None:
    _abort_json(_("요청 형식이 올바르지 않습니다. 페이지를 새로 고친 뒤 다시 시도하세요."), 400)


def _json_body() -> dict:
    """The request's JSON object; anything else is answered with 400 before any work."""
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


def _json_error(exc: operations.SandboxError) -> tuple[Response, int]:
    payload = {"message": exc.message}
    if isinstance(exc, operations.GuardBlocked):
        payload["guard"] = exc.report.as_json(exc.text)
    return jsonify(payload), exc.status


def _quota_status():
    me = current_user
    return quotas.status_for(me.id, me.department_id)


# Index, policy, new workspace ----------------------------------------------------------


@bp.route("/")
@login_required
def index():
    accepted = operations.has_accepted_policy(current_user.id)
    return render_template(
        "assistant/index.html",
        accepted=accepted,
        drafts=queries.my_drafts(current_user.id, _page()) if accepted else None,
        exercises=queries.active_exercises(),
        doc_types=queries.active_doc_types(),
        quota=_quota_status(),
    )


@bp.route("/policy", methods=["GET", "POST"])
@login_required
def policy():
    form = PolicyForm()
    if form.validate_on_submit():
        operations.accept_policy(current_user.id)
        flash(_("AI 활용 수칙에 동의했습니다. 이제 실습 공간을 쓸 수 있습니다."), "success")
        from portal.core.net import local_path

        return redirect(local_path(request.args.get("next")) or url_for("assistant.index"))
    return render_template(
        "assistant/policy.html",
        form=form,
        accepted=operations.has_accepted_policy(current_user.id),
        version=operations.policy_version(),
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
                draft = operations.start_workspace(
                    _me(),
                    doc_type=chosen,
                    exercise=exercise,
                    grade=DataGrade(form.grade.data),
                    model_key=form.model.data,
                    title=form.title.data.strip(),
                )
            except operations.SandboxError as exc:
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
    draft = _own_draft(draft_id)
    conversation = operations.conversation_for(draft)
    messages = operations.conversation_messages(conversation.id) if conversation else []
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
    alternatives = (
        registry.enabled_choices(conversation.data_grade) if conversation and not usable else []
    )
    return render_template(
        "assistant/workspace.html",
        model_usable=usable,
        alternatives=alternatives,
        draft=draft,
        conversation=conversation,
        messages=messages,
        ratings=ratings,
        doc_type=doc_type,
        exercise=exercise,
        model=choice,
        quota=_quota_status(),
        submission=submission,
        reasons=operations.RATING_REASONS,
        stale_statuses={MessageStatus.PENDING, MessageStatus.STREAMING},
        render_markdown=render_markdown,
    )


def _own_conversation(draft: Draft) -> Conversation:
    conversation = operations.conversation_for(draft)
    return conversation or abort(404)


@bp.route("/w/<int:draft_id>/model", methods=["POST"])
@login_required
@policy_required
def switch_model(draft_id: int):
    conversation = _own_conversation(_own_draft(draft_id))
    try:
        operations.switch_model(conversation, request.form.get("model", ""))
    except operations.SandboxError as exc:
        flash(exc.message, "error")
    else:
        flash(_("도우미를 바꿨습니다."), "success")
    return redirect(url_for("assistant.workspace", draft_id=draft_id))


@bp.route("/w/<int:draft_id>/guard", methods=["POST"])
@login_required
@policy_required
def guard_check(draft_id: int):
    conversation = _own_conversation(_own_draft(draft_id))
    text = _checked_length(_json_text())
    report = operations.inspect(text, conversation.data_grade)
    return jsonify(report.as_json(text))


@bp.route("/w/<int:draft_id>/mask", methods=["POST"])
@login_required
@policy_required
def mask(draft_id: int):
    conversation = _own_conversation(_own_draft(draft_id))
    text = _checked_length(_json_text())
    masked = operations.mask_text(_me(), conversation, text)
    report = operations.inspect(masked, conversation.data_grade)
    return jsonify(text=masked, guard=report.as_json(masked))


@bp.route("/w/<int:draft_id>/messages", methods=["POST"])
@login_required
@policy_required
def post_message(draft_id: int):
    draft = _own_draft(draft_id)
    conversation = _own_conversation(draft)
    text = _json_text()
    try:
        question, answer = operations.post_message(_me(), conversation, text)
    except operations.GuardBlocked as exc:
        # The guard event is kept even though the message is refused.
        db.session.commit()
        return _json_error(exc)
    except operations.SandboxError as exc:
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
    answer, conversation = _own_answer(message_id)
    try:
        prepared = streaming.prepare(answer, conversation)
    except LookupError:
        return jsonify(message=_("이 답변은 이미 받았거나 받는 중입니다.")), 409
    except streaming.ModelUnavailable:
        db.session.commit()  # the answer is stored as failed and the message given back
        return jsonify(message=_("이 작업의 모델을 지금 쓸 수 없습니다.")), 409
    # The claim is committed now: the stream below outlives this request's commit point.
    db.session.commit()
    response = Response(
        stream_with_context(streaming.generate(prepared)), mimetype="text/event-stream"
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    return response


@bp.route("/messages/<int:message_id>/rating", methods=["POST"])
@login_required
@policy_required
def rate(message_id: int):
    answer, _conversation = _own_answer(message_id)
    payload = _json_body()
    try:
        score = int(payload.get("score", 0))
        reasons = payload.get("reasons", [])
        if not isinstance(reasons, list):
            raise ValueError(reasons)
        reasons = [str(r) for r in reasons][:10]
        operations.rate_message(answer, score, reasons)
    except (TypeError, ValueError):
        return jsonify(message=_("평점은 1점에서 5점 사이로 골라 주세요.")), 400
    except operations.SandboxError as exc:
        return _json_error(exc)
    return jsonify(message=_("평가를 저장했습니다. 고맙습니다."))


@bp.route("/w/<int:draft_id>/draft", methods=["POST"])
@login_required
@policy_required
def save_draft(draft_id: int):
    draft = _own_draft(draft_id)
    payload = _json_body()
    try:
        base = int(payload.get("revision", -1))
        drafts.save_draft(draft, payload.get("segments"), base, str(payload.get("reason", "")))
    except (TypeError, ValueError):
        return jsonify(message=_("초안 형식이 올바르지 않습니다.")), 400
    except operations.SandboxError as exc:
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
    draft = _own_draft(draft_id)
    return render_template(
        "assistant/versions.html", draft=draft, versions=drafts.draft_versions(draft.id)
    )


@bp.route("/w/<int:draft_id>/versions/<int:number>/restore", methods=["POST"])
@login_required
@policy_required
def restore(draft_id: int, number: int):
    draft = _own_draft(draft_id)
    try:
        drafts.restore_version(draft, number)
    except operations.SandboxError as exc:
        flash(exc.message, "error")
        return redirect(url_for("assistant.versions", draft_id=draft.id))
    flash(_("%(number)d번 버전으로 되돌렸습니다.", number=number), "success")
    return redirect(url_for("assistant.workspace", draft_id=draft.id))


# Submission, feedback and export live in submission_views.py, on this same blueprint.
from portal.assistant import submission_views  # noqa: E402, F401
