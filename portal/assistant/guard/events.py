"""The guard at work: what it reports for a text and grade, and the guard events it records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from portal.assistant.errors import SandboxError
from portal.assistant.guard import detect, masking
from portal.assistant.models import (
    Conversation,
    DataGrade,
    GuardDecision,
    GuardEvent,
)
from portal.audit.operations import record
from portal.core.clock import utcnow
from portal.db import db
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
