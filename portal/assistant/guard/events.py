"""The guard at work: what it reports for a text and grade, and the guard events it records."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from portal.assistant.errors import SandboxError
from portal.assistant.guard import detect, masking
from portal.assistant.guard.normalise import fold
from portal.assistant.models import (
    Conversation,
    DataGrade,
    GuardDecision,
    GuardEvent,
)
from portal.audit.operations import record
from portal.core.clock import utcnow
from portal.db import db
from portal.monitoring import metrics
from portal.users.models import User


@dataclass(frozen=True)
class GuardReport:
    findings: list[detect.Finding]
    refusal: str | None  # a reason no masking can fix (a marker, the grade)

    @property
    def personal(self) -> list[detect.Finding]:
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
            "masked_text": masking.mask(text, self.findings) if self.personal else None,
        }


def inspect(text: str, grade: DataGrade) -> GuardReport:
    """What the guard finds in text about to be sent at this data grade."""
    findings = detect.scan(text)
    return GuardReport(findings, _refusal(findings, grade))


def _refusal(findings: list[detect.Finding], grade: DataGrade) -> str | None:
    """Why no masking can make this text sendable at this grade (a marker), or None."""
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
    return refusal


def record_guard_event(
    user: User,
    conversation: Conversation | None,
    decision: GuardDecision,
    text: str,
    findings: list[detect.Finding],
) -> GuardEvent:
    """Store one decision with only the masked excerpt, and audit it (kinds only)."""
    kinds = sorted({f.kind for f in findings})
    event = GuardEvent(
        user_id=user.id,
        department_id=user.department_id,
        conversation_id=conversation.id if conversation else None,
        decision=decision,
        kinds=kinds,
        masked_excerpt=masking.masked_excerpt(text, findings),
        created_at=utcnow(),
    )
    db.session.add(event)
    db.session.flush()
    metrics.GUARD_EVENTS.labels(decision.value).inc()
    record(
        f"assistant.guard_{decision.value}",
        target_type="guard_event",
        target_id=event.id,
        details={"kinds": kinds, "findings": len(findings)},
    )
    return event


def mask_text(user: User, conversation: Conversation | None, text: str) -> str:
    """The text with its personal data masked; the decision is logged as a guard event."""
    findings = detect.scan(text)
    personal = [f for f in findings if f.is_personal]
    if not personal:
        return text
    record_guard_event(user, conversation, GuardDecision.MASKED, text, personal)
    return masking.mask(text, findings)


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


# Defence in depth -------------------------------------------------------------------------


@dataclass(frozen=True)
class Screened:
    """The guard's verdict on the exact list of messages about to go to a model."""

    messages: list[dict[str, str]]  # what may be sent (model answers masked)
    report: GuardReport | None  # what stops the call, found in ``text``; None if nothing
    text: str

    @property
    def blocked(self) -> bool:
        return self.report is not None


def _key(finding: detect.Finding) -> tuple[str, str]:
    return finding.kind, "".join(ch for ch in fold(finding.text).lower() if ch.isalnum())


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def screen_outgoing(
    messages: list[dict[str, str]], grade: DataGrade, *, ours: Iterable[Any] = ()
) -> Screened:
    """Run the guard over every message about to be sent, right before the model call.

    Each message was guarded when it was written; this is the second line, for whatever got
    into the list another way (stored history, a text guarded by an older rule, a bug).
    System messages are the portal's own prompt and are not screened. The user's turns must
    be clean: any personal data, or a marker the grade forbids, stops the whole call. The
    model's own earlier answers are masked instead (a model may invent a plausible phone
    number in a draft; refusing would leave the conversation stuck for good). ``ours`` is
    the portal's own content embedded in a user turn (the exercise, the document type): as
    many findings as it holds are let through, no more, so a draft repeating them is still
    stopped. Pure: records nothing; see :func:`record_outgoing_block`.
    """
    allowed: Counter[tuple[str, str]] = Counter()
    for text in (t for item in ours for t in _strings(item)):
        allowed.update(_key(f) for f in detect.scan(text))
    sendable: list[dict[str, str]] = []
    for message in messages:
        role, content = message.get("role"), message.get("content") or ""
        if role == "system":
            sendable.append(message)
        elif role == "assistant":
            sendable.append({**message, "content": masking.mask(content)})
        else:
            remaining = allowed.copy()
            stopping = []
            for finding in detect.scan(content):
                key = _key(finding)
                if remaining[key] > 0:
                    remaining[key] -= 1
                else:
                    stopping.append(finding)
            refusal = _refusal(stopping, grade)
            if refusal is not None or any(f.is_personal for f in stopping):
                return Screened(messages, GuardReport(stopping, refusal), content)
            sendable.append(message)
    return Screened(sendable, None, "")


def outgoing_refusal(screened: Screened) -> str:
    """What the user reads when :func:`screen_outgoing` stopped a call."""
    report = screened.report
    if report is not None and report.refusal:
        return report.refusal
    kinds = ", ".join(sorted({str(f.label) for f in report.personal})) if report else ""
    return _(
        "보낼 대화 내용에 개인정보로 보이는 항목(%(kinds)s)이 있어 AI 모델에 보내지 "
        "않았습니다. 이 대화는 이어 갈 수 없으니, 새 작업을 열어 개인정보를 가린 내용으로 "
        "다시 시작하세요.",
        kinds=kinds,
    )


def record_outgoing_block(
    user: User, conversation: Conversation | None, screened: Screened
) -> GuardEvent | None:
    """The guard event of a call :func:`screen_outgoing` stopped (masked excerpt only)."""
    if screened.report is None:
        return None
    decision = GuardDecision.REFUSED if screened.report.refusal else GuardDecision.BLOCKED
    return record_guard_event(user, conversation, decision, screened.text, screened.report.findings)
