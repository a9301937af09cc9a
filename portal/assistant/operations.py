"""Sandbox rules: policy, workspaces, the guard before every send, drafts and ratings.

Operations flush and never commit; the request commits once. The one exception is the
answer stream (``streaming.py``), which outlives its request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.assistant import guard, quotas, registry
from portal.assistant.models import (
    AssistantMessage,
    Conversation,
    DataGrade,
    DocType,
    Draft,
    Exercise,
    GuardDecision,
    GuardEvent,
    MessageRating,
    MessageStatus,
    PolicyAcceptance,
)
from portal.audit.operations import record
from portal.core.clock import utcnow
from portal.db import db
from portal.users.models import User

RATING_REASONS = ("accurate", "well_structured", "saved_time", "inaccurate", "off_format", "vague")


class SandboxError(Exception):
    """A rule refused the action; ``message`` is for the user, in their language."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# Policy --------------------------------------------------------------------------------


def policy_version() -> str:
    return current_app.config["ASSISTANT_POLICY_VERSION"]


def has_accepted_policy(user_id: int) -> bool:
    return (
        db.session.scalar(
            select(PolicyAcceptance.id).where(
                PolicyAcceptance.user_id == user_id,
                PolicyAcceptance.policy_version == policy_version(),
            )
        )
        is not None
    )


def accept_policy(user_id: int) -> None:
    if has_accepted_policy(user_id):
        return
    acceptance = PolicyAcceptance(
        user_id=user_id, policy_version=policy_version(), accepted_at=utcnow()
    )
    try:
        with db.session.begin_nested():  # a double click in two tabs: the first one counts
            db.session.add(acceptance)
    except IntegrityError:
        return
    record(
        "assistant.policy_accepted",
        target_type="user",
        target_id=user_id,
        details={"policy_version": acceptance.policy_version},
    )


# Workspaces ----------------------------------------------------------------------------


def start_workspace(
    user: User,
    *,
    doc_type: DocType,
    exercise: Exercise | None,
    grade: DataGrade,
    model_key: str,
    title: str,
) -> Draft:
    """A draft and its conversation, after the data grade and the model agree."""
    if grade is DataGrade.SECRET:
        raise SandboxError(
            _(
                "기밀 자료는 실습 공간에서 다룰 수 없습니다. 기밀 자료는 어떤 AI 모델에도 "
                "보내지 마세요."
            )
        )
    if exercise is not None and exercise.doc_type_id != doc_type.id:
        raise SandboxError(_("실습 과제의 문서 유형은 바꿀 수 없습니다."))
    choice = registry.choice(model_key)
    if choice is None or not choice.is_enabled:
        raise SandboxError(_("고른 모델을 지금 쓸 수 없습니다. 다른 모델을 고르세요."))
    if not choice.allows(grade):
        raise SandboxError(
            _(
                "민감 자료는 내부 모델(기관 안에서 운영하는 모델)로만 다룰 수 있습니다. "
                "내부 모델이나 연습 코치를 고르세요."
            )
        )
    now = utcnow()
    draft = Draft(
        user_id=user.id,
        doc_type_id=doc_type.id,
        doc_type_version=doc_type.version,
        exercise_id=exercise.id if exercise else None,
        exercise_version=exercise.version if exercise else None,
        title=title,
        segments=[],
        body="",
        revision=1,
        created_at=now,
        updated_at=now,
    )
    db.session.add(draft)
    db.session.flush()
    db.session.add(
        Conversation(
            user_id=user.id,
            department_id=user.department_id,
            draft_id=draft.id,
            data_grade=grade,
            model_key=model_key,
            created_at=now,
            last_activity_at=now,
        )
    )
    db.session.flush()
    return draft


def switch_model(conversation: Conversation, model_key: str) -> None:
    """Move a conversation to another enabled model that its data grade allows."""
    choice = registry.choice(model_key)
    if choice is None or not choice.is_enabled:
        raise SandboxError(_("고른 모델을 지금 쓸 수 없습니다. 다른 모델을 고르세요."))
    if not choice.allows(conversation.data_grade):
        raise SandboxError(
            _("민감 자료는 내부 모델(기관 안에서 운영하는 모델)로만 다룰 수 있습니다.")
        )
    if choice.key == conversation.model_key:
        return
    previous = conversation.model_key
    conversation.model_key = choice.key
    db.session.flush()
    record(
        "assistant.model_switched",
        target_type="conversation",
        target_id=conversation.id,
        details={"from": previous, "to": choice.key},
    )


def conversation_for(draft: Draft) -> Conversation | None:
    return db.session.scalar(select(Conversation).where(Conversation.draft_id == draft.id))


# The guard -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GuardReport:
    findings: list[guard.Finding]
    refusal: str | None  # a reason no masking can fix (a marker, the grade)

    @property
    def personal(self) -> list[guard.Finding]:
        return [f for f in self.findings if f.is_personal]

    @property
    def clean(self) -> bool:
        return not self.personal and self.refusal is None

    def as_json(self, text: str) -> dict[str, Any]:
        return {
            "clean": self.clean,
            "refusal": self.refusal,
            "findings": [
                {
                    "kind": f.kind,
                    "label": str(f.label),
                    "explanation": str(f.explanation),
                    "start": f.start,
                    "end": f.end,
                    "personal": f.is_personal,
                    "checksum": f.checksum,
                }
                for f in self.findings
            ],
            "masked_text": guard.mask(text, self.findings) if self.personal else None,
        }


def inspect(text: str, grade: DataGrade) -> GuardReport:
    """What the guard finds in text about to be sent at this data grade."""
    findings = guard.scan(text)
    refusal = None
    levels = {f.marker_level for f in findings if not f.is_personal}
    if "secret" in levels:
        refusal = _(
            "대외비·기밀 표시가 있는 자료입니다. 기밀 자료는 어떤 AI 모델에도 보낼 수 없습니다. "
            "그 자료를 빼고 다시 쓰세요."
        )
    elif "sensitive" in levels and grade is DataGrade.PUBLIC:
        refusal = _(
            "비공개·내부용 같은 표시가 있는 자료입니다. 공개 등급 대화에는 보낼 수 없습니다. "
            "그 자료를 빼거나, 민감 등급으로 새 작업을 열어 내부 모델을 쓰세요."
        )
    return GuardReport(findings, refusal)


def record_guard_event(
    user: User,
    conversation: Conversation | None,
    decision: GuardDecision,
    text: str,
    findings: list[guard.Finding],
) -> GuardEvent:
    """Store one decision with only the masked excerpt, and audit it (kinds only)."""
    kinds = sorted({f.kind for f in findings})
    event = GuardEvent(
        user_id=user.id,
        department_id=user.department_id,
        conversation_id=conversation.id if conversation else None,
        decision=decision,
        kinds=kinds,
        masked_excerpt=guard.masked_excerpt(text, findings),
        created_at=utcnow(),
    )
    db.session.add(event)
    db.session.flush()
    record(
        f"assistant.guard_{decision.value}",
        target_type="guard_event",
        target_id=event.id,
        details={"kinds": kinds, "findings": len(findings)},
    )
    return event


def mask_text(user: User, conversation: Conversation | None, text: str) -> str:
    """The text with its personal data masked; the decision is logged as a guard event."""
    findings = guard.scan(text)
    personal = [f for f in findings if f.is_personal]
    if not personal:
        return text
    record_guard_event(user, conversation, GuardDecision.MASKED, text, personal)
    return guard.mask(text, findings)


class GuardBlocked(SandboxError):
    def __init__(self, report: GuardReport, text: str) -> None:
        super().__init__(
            report.refusal
            or _(
                "개인정보로 보이는 항목이 있어 보내지 않았습니다. 표시된 항목을 가린 뒤 보내세요."
            ),
            status=422,
        )
        self.report = report
        self.text = text


# Messages ------------------------------------------------------------------------------


def post_message(
    user: User, conversation: Conversation, text: str
) -> tuple[AssistantMessage, AssistantMessage]:
    """Store the user's message and a pending answer, after the guard and the limits.

    Order matters: nothing is counted against a quota for a message the guard holds back,
    and nothing reaches the model (the stream) unless this succeeded.
    """
    text = text.strip()
    if not text:
        raise SandboxError(_("보낼 내용을 입력하세요."))
    draft = db.session.get(Draft, conversation.draft_id) if conversation.draft_id else None
    if draft is not None and draft.submitted_at is not None:
        raise SandboxError(_("제출한 과제의 대화는 이어 갈 수 없습니다."), status=409)
    try:
        quotas.check_input_length(text)
    except quotas.QuotaExceeded as exc:
        raise SandboxError(exc.message, status=413) from None
    choice = registry.choice(conversation.model_key)
    if choice is None or not choice.is_enabled or not choice.allows(conversation.data_grade):
        raise SandboxError(
            _("이 작업의 모델을 지금 쓸 수 없습니다. 관리자가 모델 설정을 바꿨을 수 있습니다."),
            status=409,
        )
    report = inspect(text, conversation.data_grade)
    if not report.clean:
        decision = GuardDecision.REFUSED if report.refusal else GuardDecision.BLOCKED
        record_guard_event(user, conversation, decision, text, report.findings)
        raise GuardBlocked(report, text)
    try:
        quotas.reserve_message(user.id, conversation.department_id)
    except quotas.QuotaExceeded as exc:
        raise SandboxError(exc.message, status=429) from None
    now = utcnow()
    question = AssistantMessage(
        conversation_id=conversation.id,
        role="user",
        content=text,
        status=MessageStatus.COMPLETE,
        created_at=now,
    )
    answer = AssistantMessage(
        conversation_id=conversation.id,
        role="assistant",
        content="",
        status=MessageStatus.PENDING,
        model_key=conversation.model_key,
        created_at=now,
    )
    db.session.add_all([question, answer])
    conversation.last_activity_at = now
    db.session.flush()
    return question, answer


def conversation_messages(conversation_id: int, limit: int = 200) -> list[AssistantMessage]:
    return list(
        db.session.scalars(
            select(AssistantMessage)
            .where(AssistantMessage.conversation_id == conversation_id)
            .order_by(AssistantMessage.id)
            .limit(limit)
        )
    )


def rate_message(message: AssistantMessage, score: int, reasons: list[str]) -> MessageRating:
    if message.role != "assistant" or not message.content:
        raise SandboxError(_("평가할 수 있는 답변이 아닙니다."))
    if not 1 <= score <= 5:
        raise SandboxError(_("평점은 1점에서 5점 사이로 골라 주세요."))
    unknown = [r for r in reasons if r not in RATING_REASONS]
    if unknown:
        raise SandboxError(_("알 수 없는 평가 이유가 있습니다."))
    rating = db.session.scalar(select(MessageRating).where(MessageRating.message_id == message.id))
    if rating is None:
        rating = MessageRating(message_id=message.id, score=score, reasons=[], created_at=utcnow())
        try:
            with db.session.begin_nested():
                db.session.add(rating)
        except IntegrityError:  # saved a moment ago from another tab: update that one
            rating = db.session.scalar(
                select(MessageRating).where(MessageRating.message_id == message.id)
            )
    rating.score = score
    rating.reasons = sorted(set(reasons))
    db.session.flush()
    return rating
