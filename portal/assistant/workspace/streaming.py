"""Relaying an answer from the model to the browser as Server-Sent Events.

The view claims the pending answer (``prepare``) and hands ``generate`` to
``db.streamed_response``, which commits the claim before the first byte, so no database
transaction is open while the model talks. At the end, on a backend error, or when the
browser goes away (the WSGI server closes the generator, which closes the upstream call),
``generate`` stores whatever text arrived and the usage in one short transaction of its
own (``db.stream_transaction``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from portal.assistant.backends import registry
from portal.assistant.backends.interface import BackendError, TextDelta, Usage
from portal.assistant.backends.registry import make_backend
from portal.assistant.backends.usage import estimate_tokens
from portal.assistant.coach import replies
from portal.assistant.content.answers import display_parts, insertable_text
from portal.assistant.content.context import doc_type_dict, exercise_dict
from portal.assistant.guard import events as guard
from portal.assistant.models import (
    AssistantMessage,
    Conversation,
    DocType,
    Draft,
    Exercise,
    MessageStatus,
)
from portal.assistant.workspace import quotas
from portal.core.clock import utcnow
from portal.db import db
from portal.monitoring import metrics
from portal.users.models import User

HISTORY_MESSAGES = 20
# Asks a model to set the document part of its answer apart, as the offline coach does, so
# that "초안에 넣기" inserts the document and not the talk around it (content/answers.py).
DOCUMENT_INSTRUCTION = (
    "문서에 들어갈 글(개요, 초안, 고친 문장)은 '```문서' 줄로 시작해 '```' 줄로 끝나는 블록 "
    "안에 쓰세요. 인사, 설명, 점검 의견, 질문은 블록 밖에 쓰세요. 사용자가 '초안에 넣기'를 "
    "누르면 블록 안의 글만 초안에 들어갑니다."
)
HISTORY_CHARS = 24_000


def system_prompt(doc_type: dict[str, Any], exercise: dict[str, Any] | None) -> str:
    parts = [doc_type.get("system_prompt", "").strip()]
    if exercise:
        parts.append(
            "[실습 과제]\n"
            f"{exercise.get('title', '')}\n\n{exercise.get('scenario', '').strip()}\n\n"
            f"[원 자료 (가상)]\n{exercise.get('source_material', '').strip()}"
        )
    parts.append(
        "개인정보는 [주민등록번호] 같은 표시로 가려져 있습니다. 가려진 값을 추측하거나 되살리지 "
        "말고, 확인이 필요한 사실과 수치에는 '(확인 필요)'라고 표시하세요."
    )
    parts.append(DOCUMENT_INSTRUCTION)
    return "\n\n".join(p for p in parts if p)


def history(conversation_id: int, up_to_id: int) -> list[dict[str, str]]:
    """Earlier complete turns, newest kept first when the budget runs out.

    A question whose answer never came (a 429, say) is left out: the user sent it again or
    moved on, and the model should not read it twice in a row.
    """
    rows = list(
        db.session.scalars(
            select(AssistantMessage)
            .where(
                AssistantMessage.conversation_id == conversation_id,
                AssistantMessage.id < up_to_id,
            )
            .order_by(AssistantMessage.id.desc())
            .limit(HISTORY_MESSAGES * 2)
        )
    )
    rows.reverse()  # oldest first
    turns = []
    for index, row in enumerate(rows):
        answer = rows[index + 1] if index + 1 < len(rows) else None
        unanswered = (
            row.role == "user" and answer is not None and answer.role == "assistant"
        ) and not answer.content
        if row.content and not unanswered:
            turns.append(row)
    kept: list[dict[str, str]] = []
    used = 0
    for row in reversed(turns[-HISTORY_MESSAGES:]):
        used += len(row.content)
        if used > HISTORY_CHARS and kept:
            break
        kept.append({"role": row.role, "content": row.content})
    kept.reverse()
    return kept


@dataclass
class PreparedStream:
    """Everything the generator needs, read before the request's transaction ends."""

    message_id: int
    user_id: int
    department_id: int | None
    day: str
    month: str
    messages: list[dict[str, str]]
    backend: Any
    timeout: float
    is_offline: bool
    refusal: str | None = None  # the guard stopped the call: nothing is sent


class ModelUnavailable(Exception):
    """The conversation's model may no longer be used; the answer is stored as failed."""


def prepare(answer: AssistantMessage, conversation: Conversation) -> PreparedStream:
    """Claim a pending answer for streaming (raises LookupError if it is not pending)."""
    if answer.status is not MessageStatus.PENDING:
        raise LookupError(answer.id)
    draft = db.session.get(Draft, conversation.draft_id) if conversation.draft_id else None
    doc_type = db.session.get(DocType, draft.doc_type_id) if draft else None
    exercise = db.session.get(Exercise, draft.exercise_id) if draft and draft.exercise_id else None
    dt_data = doc_type_dict(doc_type) if doc_type else {"structure": [], "checklist": []}
    ex_data = exercise_dict(exercise)
    turns = history(conversation.id, answer.id)
    messages = [{"role": "system", "content": system_prompt(dt_data, ex_data)}, *turns]
    choice = registry.choice(conversation.model_key)
    if choice is None or not choice.is_enabled or not choice.allows(conversation.data_grade):
        # An admin disabled the model (or made it external) after the message was posted.
        answer.status = MessageStatus.FAILED
        answer.error_code = "model_unavailable"
        quotas.release_message(conversation.user_id, quotas.periods(answer.created_at)[0])
        db.session.flush()
        raise ModelUnavailable(conversation.model_key)
    draft_text = draft.body if draft else ""
    # Defence in depth: the guard again, over exactly what would be sent (history included).
    screened = guard.screen_outgoing(messages, conversation.data_grade)
    if screened.blocked:
        user = db.session.get(User, conversation.user_id)
        guard.record_outgoing_block(user, conversation, screened)

    def responder(msgs: list[dict[str, str]]) -> str:
        return replies.respond(dt_data, ex_data, msgs, draft_text)

    backend = make_backend(choice.spec, offline_responder=responder)
    # One conditional UPDATE claims the answer: of two concurrent requests (a double
    # click, a retry), exactly one streams, on PostgreSQL as on SQLite.
    claimed = db.session.execute(
        update(AssistantMessage)
        .where(AssistantMessage.id == answer.id, AssistantMessage.status == MessageStatus.PENDING)
        .values(status=MessageStatus.STREAMING)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise LookupError(answer.id)
    day, month = quotas.periods(answer.created_at)
    return PreparedStream(
        message_id=answer.id,
        user_id=conversation.user_id,
        department_id=conversation.department_id,
        day=day,
        month=month,
        messages=screened.messages,
        backend=backend,
        timeout=float(current_app.config["ASSISTANT_TIMEOUT_SECONDS"]),
        is_offline=choice.is_offline,
        refusal=guard.outgoing_refusal(screened) if screened.blocked else None,
    )


def sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _finish(
    prepared: PreparedStream,
    text: str,
    usage: Usage | None,
    status: MessageStatus,
    error_code: str | None,
) -> Usage:
    if usage is None:
        if prepared.is_offline:
            usage = Usage(0, 0, estimated=False)
        else:
            prompt = sum(estimate_tokens(m["content"]) for m in prepared.messages)
            usage = Usage(prompt, estimate_tokens(text), estimated=True)
    with db.stream_transaction():
        _record_end(prepared, text, usage, status, error_code)
    return usage


def _record_end(
    prepared: PreparedStream,
    text: str,
    usage: Usage,
    status: MessageStatus,
    error_code: str | None,
) -> None:
    message = db.session.get(AssistantMessage, prepared.message_id)
    message.content = text
    message.status = status
    message.error_code = error_code
    message.prompt_tokens = usage.prompt_tokens
    message.completion_tokens = usage.completion_tokens
    message.usage_estimated = usage.estimated
    message.finished_at = utcnow()
    if not text and status is MessageStatus.FAILED:
        # The model never answered: the message does not count against the day.
        quotas.release_message(prepared.user_id, prepared.day)
    quotas.add_tokens(
        prepared.user_id,
        prepared.department_id,
        usage.prompt_tokens + usage.completion_tokens if text or not usage.estimated else 0,
        prepared.day,
        prepared.month,
    )
    db.session.flush()


def generate(
    prepared: PreparedStream, on_first_token: Callable[[], None] | None = None
) -> Iterator[str]:
    """The SSE body: start, delta*, then done or error; always stores what arrived.

    Whatever ends the stream (the answer, a backend error, our own error, or the WSGI
    server closing the generator because the browser left, even before the first event),
    the answer is stored exactly once and the upstream call is closed.
    """
    received: list[str] = []
    usage: Usage | None = None
    finished = False
    metrics.OPEN_STREAMS.inc()
    try:
        yield sse("start", {"message_id": prepared.message_id})
        if prepared.refusal is not None:  # the guard stopped it: no request is made
            _finish(prepared, "", None, MessageStatus.FAILED, "guard_blocked")
            finished = True
            yield sse(
                "error",
                {
                    "code": "guard_blocked",
                    "message": prepared.refusal,
                    "retry_after": None,
                    "partial": False,
                },
            )
            return
        db.ensure_idle()
        with prepared.backend.stream_chat(prepared.messages, timeout=prepared.timeout) as stream:
            for event in stream:
                if isinstance(event, TextDelta):
                    if not received and on_first_token:
                        on_first_token()
                    received.append(event.text)
                    yield sse("delta", {"text": event.text})
                elif isinstance(event, Usage):
                    usage = event
        text = "".join(received)
        final = _finish(prepared, text, usage, MessageStatus.COMPLETE, None)
        finished = True
        yield sse(
            "done",
            {
                "message_id": prepared.message_id,
                "insert": insertable_text(text, from_coach=prepared.is_offline),
                "parts": display_parts(text),
                "prompt_tokens": final.prompt_tokens,
                "completion_tokens": final.completion_tokens,
                "estimated": final.estimated,
            },
        )
    except BackendError as exc:
        metrics.MODEL_ERRORS.labels(exc.code).inc()
        text = "".join(received)
        _finish(prepared, text, getattr(exc, "usage", None), MessageStatus.FAILED, exc.code)
        finished = True
        yield sse(
            "error",
            {
                "code": exc.code,
                "message": str(exc.user_message),
                "retry_after": exc.retry_after,
                "partial": bool(text),
                "insert": insertable_text(text, from_coach=prepared.is_offline),
                "parts": display_parts(text),
            },
        )
    except GeneratorExit:
        raise  # the browser went away: the finally below stores what arrived
    except Exception:
        current_app.logger.exception("assistant stream failed")
        text = "".join(received)
        _finish(prepared, text, None, MessageStatus.FAILED, "internal")
        finished = True
        yield sse(
            "error",
            {
                "code": "internal",
                "message": _("답변을 처리하다 오류가 났습니다. 받은 부분까지 저장했습니다."),
                "retry_after": None,
                "partial": bool(text),
                "insert": insertable_text(text, from_coach=prepared.is_offline),
                "parts": display_parts(text),
            },
        )
    finally:
        metrics.OPEN_STREAMS.dec()
        if not finished:
            # Leaving the with-block above already closed the upstream call.
            _finish(prepared, "".join(received), usage, MessageStatus.INTERRUPTED, "disconnected")
