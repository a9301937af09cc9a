"""Workspaces and their conversations: starting one, switching its model, posting a message
after the guard and the limits, and rating answers.

Operations flush and never commit; the request commits once (``portal/db.py``).
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.assistant.backends import registry
from portal.assistant.backends.specs import OFFLINE
from portal.assistant.content.answers import insertable_text
from portal.assistant.errors import SandboxError
from portal.assistant.guard.events import GuardBlocked, inspect, record_guard_event
from portal.assistant.models import (
    AssistantMessage,
    Conversation,
    DataGrade,
    DocType,
    Draft,
    Exercise,
    GuardDecision,
    MessageRating,
    MessageStatus,
)
from portal.assistant.workspace import quotas
from portal.audit.operations import record
from portal.core.clock import utcnow
from portal.db import db
from portal.users.models import User

RATING_REASONS = ("accurate", "well_structured", "saved_time", "inaccurate", "off_format", "vague")


# Policy --------------------------------------------------------------------------------


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


def insert_texts(messages: list[AssistantMessage]) -> dict[int, str]:
    """What "초안에 넣기" inserts from each answer (absent or "" when nothing)."""
    coach_keys = {
        key for key, spec in registry.configured().items() if spec.backend == OFFLINE.backend
    }
    return {
        m.id: insertable_text(m.content, from_coach=m.model_key in coach_keys)
        for m in messages
        if m.role == "assistant" and m.content
    }


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
