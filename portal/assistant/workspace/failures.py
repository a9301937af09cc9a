"""What to tell the user, after a reload, about an answer that did not arrive in full.

The stream tells the user at once (the backend's own message); a stored answer keeps only
its ``error_code``, so after a reload the note is rebuilt from that code, and says whether
anything was received at all.
"""

from __future__ import annotations

from flask_babel import gettext as _

from portal.assistant.models import AssistantMessage, MessageStatus

# Codes a "다시 보내기" may help with: the failure was the moment's, not the configuration's.
RESENDABLE = frozenset(
    {"connection", "timeout", "rate_limit", "server", "stream_cut", "bad_response", "internal"}
)


def _reason(code: str | None) -> str:
    reasons = {
        "rate_limit": _("모델 서버가 요청이 많다며 거절했습니다(429)."),
        "timeout": _("모델이 제한 시간 안에 답하지 않았습니다."),
        "connection": _("모델 서버에 연결하지 못했습니다."),
        "auth": _("모델 서버가 포털의 인증을 거절했습니다. 관리자에게 알려 주세요."),
        "server": _("모델 서버에 오류가 났습니다."),
        "rejected": _("모델 서버가 요청을 받아들이지 않았습니다. 입력을 줄여 보세요."),
        "stream_cut": _("답변을 받는 중에 연결이 끊겼습니다."),
        "bad_response": _("모델 서버의 응답 형식이 올바르지 않았습니다."),
        "model_unavailable": _("관리자가 이 도우미를 끄거나 바꿔서 답변을 받지 못했습니다."),
        "disconnected": _("화면과의 연결이 끊겨 답변이 중단되었습니다."),
        "internal": _("포털 내부 오류로 답변을 받지 못했습니다."),
        "guard_blocked": _(
            "보내기 직전 점검에서 대화에 개인정보가 있어 모델에 보내지 않았습니다. "
            "새 작업에서 가린 글로 다시 시작해 주세요."
        ),
    }
    return reasons.get(code or "", _("답변을 받지 못했습니다."))


def failure_note(message: AssistantMessage, *, stale: bool = False) -> str | None:
    """The note under a failed or interrupted answer, or None when there is nothing to say."""
    if message.status is MessageStatus.FAILED:
        reason = _reason(message.error_code)
    elif message.status is MessageStatus.INTERRUPTED or stale:
        reason = _reason("disconnected")
    else:
        return None
    if message.content:
        return reason + " " + _("받은 부분까지 저장했습니다.")
    return reason + " " + _("받은 내용은 없습니다.")


def may_resend(message: AssistantMessage, *, stale: bool = False) -> bool:
    """Whether a failed answer gets a "다시 보내기" button (its question is sent again)."""
    if message.status is MessageStatus.INTERRUPTED or stale:
        return True
    return message.status is MessageStatus.FAILED and message.error_code in RESENDABLE
