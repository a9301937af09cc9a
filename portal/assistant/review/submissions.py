"""Submitting an exercise draft, its rubric feedback, the instructor review, and export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.assistant.backends import registry
from portal.assistant.backends.interface import BackendError, Usage
from portal.assistant.backends.registry import make_backend
from portal.assistant.backends.specs import OFFLINE, ModelSpec
from portal.assistant.coach import replies
from portal.assistant.content.context import doc_type_dict, exercise_dict
from portal.assistant.errors import SandboxError
from portal.assistant.guard import detect
from portal.assistant.guard.events import (
    Screened,
    inspect,
    record_guard_event,
    record_outgoing_block,
    screen_outgoing,
)
from portal.assistant.models import (
    Conversation,
    DataGrade,
    DocType,
    Draft,
    Exercise,
    GuardDecision,
    Submission,
)
from portal.assistant.review import scoring
from portal.assistant.review.export import write_docx
from portal.assistant.review.hwpx_export import HwpxExportError, write_hwpx
from portal.assistant.review.layout import ExportMeta, describe
from portal.assistant.workspace import quotas
from portal.assistant.workspace.drafts import ai_share_percent
from portal.attendance import completion
from portal.audit.operations import record
from portal.core.clock import today_in_seoul, utcnow
from portal.db import db
from portal.monitoring import metrics
from portal.notifications.operations import Message, notify
from portal.scheduling.models import TrainingSession
from portal.users.models import Role, User

VERIFICATION_ITEMS = ("facts", "figures", "copyright", "disclosure")
# The export formats, each written from the same layout description (review/layout.py).
EXPORT_WRITERS = {"docx": write_docx, "hwpx": write_hwpx}
MAX_MINUTES = 24 * 60


def _grade(conversation: Conversation | None) -> DataGrade:
    # A purged conversation leaves no grade behind: judge the text as public, the strictest.
    return conversation.data_grade if conversation else DataGrade.PUBLIC


def submit(user: User, draft: Draft) -> Submission:
    """Freeze an exercise draft; the offline coach's computable feedback comes at once."""
    if draft.exercise_id is None:
        raise SandboxError(_("실습 과제에 딸린 초안만 제출할 수 있습니다."))
    if draft.submitted_at is not None:
        raise SandboxError(_("이미 제출한 초안입니다."), status=409)
    if not draft.body.strip():
        raise SandboxError(_("빈 초안은 제출할 수 없습니다. 초안을 쓴 뒤 제출하세요."))
    conversation = db.session.scalar(select(Conversation).where(Conversation.draft_id == draft.id))
    # The submitted draft goes to an instructor, not to a model, so only personal data stops
    # it here; a classification marker stops model scoring later (score() guards again).
    report = inspect(draft.body, _grade(conversation))
    if report.personal:
        record_guard_event(user, conversation, GuardDecision.BLOCKED, draft.body, report.personal)
        raise SandboxError(
            _(
                "초안에 개인정보로 보이는 항목(%(kinds)s)이 있어 제출하지 않았습니다. 초안에서 "
                "가린 뒤 다시 제출하세요.",
                kinds=", ".join(sorted({str(f.label) for f in report.personal})),
            ),
            status=422,
        )
    exercise = db.session.get(Exercise, draft.exercise_id)
    doc_type = db.session.get(DocType, draft.doc_type_id)
    now = utcnow()
    draft.submitted_at = now
    submission = Submission(
        draft_id=draft.id,
        exercise_id=exercise.id,
        exercise_version=draft.exercise_version or exercise.version,
        user_id=user.id,
        body=draft.body,
        ai_share_percent=ai_share_percent(draft.segments),
        submitted_at=now,
        minutes_spent=max(1, min(MAX_MINUTES, int((now - draft.created_at).total_seconds() // 60))),
    )
    model = registry.choice(conversation.model_key) if conversation else None
    if model is None or model.is_offline:
        submission.rubric_result = replies.rubric_feedback(
            doc_type_dict(doc_type), exercise_dict(exercise), draft.body
        )
        submission.rubric_status = "computed"
        submission.rubric_model_key = "offline"
    else:
        submission.rubric_status = "pending"
        submission.rubric_model_key = model.key
    try:
        with db.session.begin_nested():  # two tabs submitting at once: one submission
            db.session.add(submission)
    except IntegrityError:
        raise SandboxError(_("이미 제출한 초안입니다."), status=409) from None
    record(
        "assistant.exercise_submitted",
        target_type="submission",
        target_id=submission.id,
        details={"exercise": exercise.slug, "draft_id": draft.id},
    )
    return submission


@dataclass(frozen=True)
class ScoringJob:
    """What a model scoring call needs, read and reserved before the call."""

    submission_id: int
    user_id: int
    department_id: int | None
    spec: ModelSpec
    doc_type: dict[str, Any]
    exercise: dict[str, Any] | None
    body: str
    timeout: float
    day: str
    month: str
    grade: DataGrade = DataGrade.PUBLIC


@dataclass(frozen=True)
class ScoringOutcome:
    status: str  # "scored" or "failed"
    result: dict[str, Any]
    usage: list[Usage]
    guard: Screened | None = None  # the guard stopped a call


class _OutgoingBlocked(Exception):
    def __init__(self, screened: Screened) -> None:
        super().__init__("guard")
        self.screened = screened


def start_scoring(submission: Submission) -> ScoringJob | None:
    """Check that the model may score this submission and reserve one message of quota.

    Returns None when there is nothing to ask a model (already scored, or the model or the
    guard refuses, in which case the submission is marked failed with the reason). The
    caller commits before :func:`run_scoring`, so no transaction is open during the call.
    """
    if submission.rubric_status not in {"pending", "failed"}:
        return None
    draft = db.session.get(Draft, submission.draft_id)
    exercise = db.session.get(Exercise, submission.exercise_id)
    doc_type = db.session.get(DocType, draft.doc_type_id)
    model = registry.choice(submission.rubric_model_key or "")
    conversation = db.session.scalar(select(Conversation).where(Conversation.draft_id == draft.id))
    if (
        model is None
        or not model.is_enabled
        or (conversation is not None and not model.allows(conversation.data_grade))
    ):
        submission.rubric_status = "failed"
        submission.rubric_result = {
            "error": _("채점에 쓸 모델을 지금 쓸 수 없습니다. 강사 검토를 기다려 주세요.")
        }
        db.session.flush()
        return None
    # The guard runs again before this model call, as before every other one.
    report = inspect(submission.body, _grade(conversation))
    if not report.clean:
        submission.rubric_status = "failed"
        submission.rubric_result = {
            "error": report.refusal
            or _("제출한 초안에 개인정보로 보이는 항목이 있어 모델 채점을 하지 않았습니다.")
        }
        db.session.flush()
        return None
    department_id = conversation.department_id if conversation else None
    try:
        quotas.reserve_message(submission.user_id, department_id)
    except quotas.QuotaExceeded as exc:
        raise SandboxError(exc.message, status=429) from None
    day, month = quotas.periods()
    return ScoringJob(
        submission_id=submission.id,
        user_id=submission.user_id,
        department_id=department_id,
        spec=model.spec,
        doc_type=doc_type_dict(doc_type),
        exercise=exercise_dict(exercise),
        body=submission.body,
        timeout=float(current_app.config["ASSISTANT_TIMEOUT_SECONDS"]),
        day=day,
        month=month,
        grade=_grade(conversation),
    )


def run_scoring(job: ScoringJob) -> ScoringOutcome:
    """Ask the model to score against the rubric (JSON, one retry); touches no database."""
    db.ensure_idle()
    backend = make_backend(job.spec)
    spent: list[Usage] = []

    def complete(messages: list[dict[str, str]]) -> str:
        # Defence in depth: the guard again, over exactly what would be sent.
        screened = screen_outgoing(messages, job.grade, ours=(job.exercise, job.doc_type))
        if screened.blocked:
            raise _OutgoingBlocked(screened)
        text, usage = backend.complete(screened.messages, timeout=job.timeout, json_mode=True)
        spent.append(usage)
        return text

    try:
        result = scoring.score_with_model(complete, job.doc_type, job.exercise, job.body)
    except scoring.ScoringFailed as exc:
        return ScoringOutcome("failed", {"error": str(exc.reason)}, spent)
    except BackendError as exc:
        metrics.MODEL_ERRORS.labels(exc.code).inc()
        return ScoringOutcome("failed", {"error": str(exc.user_message)}, spent)
    except _OutgoingBlocked as exc:
        report = exc.screened.report
        reason = (report.refusal if report else None) or _(
            "제출한 초안에 개인정보로 보이는 항목이 있어 모델 채점을 하지 않았습니다."
        )
        return ScoringOutcome("failed", {"error": reason}, spent, guard=exc.screened)
    return ScoringOutcome("scored", result, spent)


def finish_scoring(job: ScoringJob, outcome: ScoringOutcome) -> Submission:
    """Store the outcome and settle the quota: tokens spent, or the message given back."""
    submission = db.session.get(Submission, job.submission_id)
    if outcome.guard is not None:
        conversation = db.session.scalar(
            select(Conversation).where(Conversation.draft_id == submission.draft_id)
        )
        record_outgoing_block(db.session.get(User, job.user_id), conversation, outcome.guard)
    submission.rubric_status = outcome.status
    submission.rubric_result = outcome.result
    tokens = sum(u.prompt_tokens + u.completion_tokens for u in outcome.usage)
    if not outcome.usage:
        quotas.release_message(job.user_id, job.day)  # the model never answered
    quotas.add_tokens(job.user_id, job.department_id, tokens, job.day, job.month)
    db.session.flush()
    return submission


def record_time(submission: Submission, minutes_without_ai: int, minutes_spent: int) -> None:
    for value in (minutes_without_ai, minutes_spent):
        if not 1 <= value <= MAX_MINUTES:
            raise SandboxError(_("시간은 1분에서 1,440분 사이로 적어 주세요."))
    submission.minutes_without_ai = minutes_without_ai
    submission.minutes_spent = minutes_spent
    db.session.flush()


def check_not_own(reviewer: User, submission: Submission) -> None:
    """Nobody reviews their own submission, whatever their role."""
    if submission.user_id == reviewer.id:
        raise SandboxError(_("자신이 제출한 과제는 검토할 수 없습니다."), status=403)


@dataclass(frozen=True)
class ReviewOutcome:
    first: bool
    score: int  # the total out of 100
    passed: bool
    passed_before: bool | None  # None on a first review


def review(
    submission: Submission,
    reviewer: User,
    scores: dict[str, int],
    comment: str,
    passed: bool,
) -> ReviewOutcome:
    """Record the reviewer's score per rubric criterion, comment and verdict; tell the learner.

    ``review_score`` keeps the total out of 100 (what lists and figures show); the scores per
    criterion are kept beside it.
    """
    check_not_own(reviewer, submission)
    exercise = db.session.get(Exercise, submission.exercise_id)
    rubric = exercise.data.get("rubric", [])
    if set(scores) != {c["id"] for c in rubric}:
        raise SandboxError(_("채점 기준이 바뀌었습니다. 페이지를 새로 고친 뒤 다시 검토해 주세요."))
    rows = []
    for criterion in rubric:
        value = scores[criterion["id"]]
        top = int(criterion["max_score"])
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
            raise SandboxError(
                _(
                    "'%(title)s' 점수는 0점에서 %(max)d점 사이로 적어 주세요.",
                    title=criterion["title"],
                    max=top,
                )
            )
        rows.append(
            {"id": criterion["id"], "title": criterion["title"], "score": value, "max_score": top}
        )
    comment = comment.strip()
    if not comment:
        raise SandboxError(_("검토 의견을 적어 주세요."))
    total = sum(row["max_score"] for row in rows)
    score_value = round(100 * sum(row["score"] for row in rows) / total) if total else 0
    first = submission.reviewed_at is None
    passed_before = None if first else bool(submission.review_passed)
    submission.review_score = score_value
    submission.review_criteria = rows
    submission.review_comment = comment
    submission.review_passed = passed
    submission.reviewer_id = reviewer.id
    submission.reviewed_at = utcnow()
    db.session.flush()
    record(
        "assistant.submission_reviewed" if first else "assistant.submission_review_changed",
        target_type="submission",
        target_id=submission.id,
        details={
            "score": score_value,
            "passed": passed,
            "criteria": {row["id"]: row["score"] for row in rows},
        },
    )
    learner = db.session.get(User, submission.user_id)
    notify(
        learner,
        lambda: review_arrived(submission, exercise, score_value, passed, changed=not first),
    )
    if passed != bool(passed_before):
        # The exercise requirement may now be met (or no longer): re-judge completion in the
        # course's ended sessions for this learner.
        completion.refresh_for_course(submission.user_id, exercise.course_id)
    return ReviewOutcome(first, score_value, passed, passed_before)


def may_review(user: User, submission: Submission) -> bool:
    """Coordinators and admins review every submission; instructors those of their courses."""
    if user.role in (Role.COORDINATOR, Role.ADMIN):
        return True
    if user.role is not Role.INSTRUCTOR:
        return False
    return (
        db.session.scalar(
            select(TrainingSession.id)
            .join(Exercise, Exercise.course_id == TrainingSession.course_id)
            .where(Exercise.id == submission.exercise_id, TrainingSession.instructor_id == user.id)
            .limit(1)
        )
        is not None
    )


def exercise_requirement_met(user_id: int, course_id: int) -> bool:
    """An instructor passed one of the user's submissions for an exercise of the course."""
    return (
        db.session.scalar(
            select(Submission.id)
            .join(Exercise, Exercise.id == Submission.exercise_id)
            .where(
                Submission.user_id == user_id,
                Exercise.course_id == course_id,
                Submission.review_passed.is_(True),
            )
            .limit(1)
        )
        is not None
    )


def export_draft(
    user: User, draft: Draft, checked: set[str], department_name: str, file_format: str = "docx"
) -> bytes:
    """The draft as a DOCX or HWPX report, once the four verification items are confirmed.

    Both formats take this one path: the same checklist, the same personal-data check, the same
    layout description and the same audit entry (which names the format).
    """
    writer = EXPORT_WRITERS.get(file_format)
    if writer is None:
        raise SandboxError(_("내보낼 파일 형식을 고르세요."))
    missing = [item for item in VERIFICATION_ITEMS if item not in checked]
    if missing:
        raise SandboxError(_("내보내기 전에 확인 항목 네 가지를 모두 확인해 주세요."))
    findings = [f for f in detect.scan(draft.body) if f.is_personal]
    if findings:
        raise SandboxError(
            _("초안에 개인정보로 보이는 항목이 있습니다. 가린 뒤 내보내세요."), status=422
        )
    doc_type = db.session.get(DocType, draft.doc_type_id)
    conversation = db.session.scalar(select(Conversation).where(Conversation.draft_id == draft.id))
    model = registry.choice(conversation.model_key) if conversation else None
    helper_is_model = model is not None and model.spec.backend != OFFLINE.backend
    if helper_is_model:
        disclosure = _(
            "이 문서는 생성형 AI(%(model)s)의 도움을 받아 작성했으며, 작성자가 사실·수치를 원 "
            "자료와 대조하고 저작권을 확인했습니다.",
            model=model.spec.label,
        )
    else:
        disclosure = _(
            "이 문서는 포털의 연습 코치(규칙에 따라 점검하는 도구로, 생성형 AI 모델이 아님)의 "
            "점검을 받아 작성했으며, 작성자가 사실·수치를 원 자료와 대조하고 저작권을 "
            "확인했습니다."
        )
    meta = ExportMeta(
        title=draft.title,
        doc_type_name=doc_type.name,
        department=department_name,
        author=f"{user.name} {user.grade}".strip(),
        date=today_in_seoul(),
        ai_disclosure=disclosure,
        helper_is_model=helper_is_model,
        ai_share_percent=ai_share_percent(draft.segments),
    )
    try:
        data = writer(describe(meta, draft.segments))
    except HwpxExportError as exc:
        current_app.logger.warning("HWPX export of draft %s failed: %s", draft.id, exc)
        raise SandboxError(
            _("HWPX 파일을 만들지 못했습니다. DOCX로 내려받은 뒤 한글에서 열어 주세요.")
        ) from None
    draft.verified_at = utcnow()
    record(
        "assistant.draft_exported",
        target_type="draft",
        target_id=draft.id,
        details={"checked": sorted(checked), "format": file_format},
    )
    return data


def export_docx(user: User, draft: Draft, checked: set[str], department_name: str) -> bytes:
    """The DOCX export (:func:`export_draft` with ``file_format="docx"``)."""
    return export_draft(user, draft, checked, department_name, "docx")


def feedback_rows(result: dict[str, Any] | None) -> list[dict[str, Any]]:
    return list((result or {}).get("criteria", []))


def review_arrived(
    submission: Submission, exercise: Exercise, score: int, passed: bool, *, changed: bool
) -> Message:
    """The learner's notice of a review (runs under the learner's locale)."""
    verdict = _("실습 요건 충족") if passed else _("실습 요건 미충족")
    if changed:
        title = _("실습 과제 검토 결과가 바뀌었습니다: %(title)s", title=exercise.title)
    else:
        title = _("실습 과제 검토 결과가 도착했습니다: %(title)s", title=exercise.title)
    return Message(
        kind="assistant.submission_reviewed",
        title=title,
        body=_(
            "강사 검토: %(score)d점 (100점 환산), %(verdict)s. 기준별 점수와 의견은 제출 결과 "
            "화면에서 볼 수 있습니다.",
            score=score,
            verdict=verdict,
        ),
        link=url_for("assistant.submission", submission_id=submission.id),
    )
