"""Readable words for outbox mail: its status, its kind and a safe summary of its error.

Shared by the admin outbox, a session's mail page and the coordinator home, so each shows
the same Korean label (English in the English UI) for the same message.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from portal.notifications.models import OutboxStatus

STATUS_LABELS = {
    OutboxStatus.PENDING: _l("발송 대기"),
    OutboxStatus.SENT: _l("발송 완료"),
    OutboxStatus.FAILED: _l("발송 실패"),
}

KIND_LABELS = {
    "enrollment.confirmed": _l("수강 확정"),
    "enrollment.waitlisted": _l("대기 등록"),
    "enrollment.promoted": _l("대기에서 확정"),
    "enrollment.declined": _l("신청 반려"),
    "enrollment.removed": _l("수강 취소 안내"),
    "session.changed": _l("교육 일정 변경"),
    "session.cancelled": _l("교육 취소"),
    "reminder.session": _l("교육 전날 안내"),
    "reminder.mandatory_due": _l("필수교육 기한 임박 안내"),
    "reminder.mandatory_overdue": _l("필수교육 기한 경과 안내"),
    "reminder.mandatory_escalation": _l("필수교육 기한 경과(부서장 안내)"),
    "completion.completed": _l("수료 안내"),
    "certificate.issued": _l("수료증 발급 안내"),
    "hours.approved": _l("교육 시간 인정"),
    "hours.declined": _l("교육 시간 반려"),
    "assistant.submission_reviewed": _l("실습 평가 결과"),
    "idea.status_changed": _l("아이디어 상태 변경"),
    "idea.slot_offered": _l("상담 시간 제안"),
    "idea.slot_booked": _l("상담 예약"),
    "idea.booking_cancelled": _l("상담 예약 취소"),
    "idea.reminder": _l("상담 전날 안내"),
    "idea.outcome": _l("상담 결과"),
}

# last_error holds the exception class and a code (sender.error_text), never the server's
# reply. The summary names only classes it knows, so even an unexpected value shows nothing
# more than a generic phrase and its numeric codes.
_ERROR_SUMMARIES = {
    "SMTPRecipientsRefused": _l("받는 주소 거부"),
    "SMTPSenderRefused": _l("보내는 주소 거부"),
    "SMTPDataError": _l("메일 서버가 내용을 거부"),
    "SMTPAuthenticationError": _l("메일 서버 인증 실패"),
    "SMTPConnectError": _l("메일 서버 연결 실패"),
    "SMTPServerDisconnected": _l("메일 서버 연결 끊김"),
    "SMTPHeloError": _l("메일 서버 응답 오류"),
    "SMTPNotSupportedError": _l("메일 서버가 지원하지 않는 요청"),
    "ConnectionRefusedError": _l("메일 서버 연결 거부"),
    "TimeoutError": _l("메일 서버 응답 시간 초과"),
    "socket.timeout": _l("메일 서버 응답 시간 초과"),
    "gaierror": _l("메일 서버 주소를 찾을 수 없음"),
    "OSError": _l("네트워크 오류"),
}
_CODES = re.compile(r"\b\d{3}\b")


def kind_label(kind: str) -> str:
    """The readable name of a message kind; an unknown kind shows a generic one."""
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else str(_l("기타 알림"))


def error_summary(last_error: str | None) -> str:
    """A short, safe phrase for a failed attempt: a known cause and its SMTP codes only."""
    if not last_error:
        return ""
    name = last_error.split(" ", 1)[0]
    label = _ERROR_SUMMARIES.get(name)
    text = str(label) if label is not None else str(_l("발송 오류"))
    codes = sorted(set(_CODES.findall(last_error)))
    return f"{text} ({', '.join(codes)})" if codes else text
