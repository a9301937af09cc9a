"""Readable names for audit actions, target kinds and detail keys, in one place.

Every action code the code base records has a label here; ``tests/unit/test_audit_labels.py``
reads the source for every code passed to ``record``/``record_many`` and fails on one without
a label, so a new action cannot ship unlabelled. Old rows with a code no longer listed show the
raw code (``action_label``), never an error.

``PERSONAL_DATA_ACTIONS`` lists the actions that are a view or export of someone's personal
data: the monthly personal-data access report (개인정보 접근 기록) is built from them.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    # Sign-in and accounts
    "login.succeeded": _l("로그인 성공"),
    "login.failed": _l("로그인 실패"),
    "login.refused_inactive": _l("로그인 거부(비활성 계정)"),
    "login.refused_locked": _l("로그인 거부(잠긴 계정)"),
    "password.changed": _l("비밀번호 변경"),
    "user.created": _l("사용자 등록"),
    "user.updated": _l("사용자 정보 수정"),
    "user.role_changed": _l("사용자 역할 변경"),
    "user.department_head_changed": _l("부서장 지정 변경"),
    "user.activated": _l("계정 활성화"),
    "user.deactivated": _l("계정 비활성화"),
    "user.password_reset": _l("비밀번호 초기화"),
    "user.login_unlocked": _l("로그인 잠금 해제"),
    "user.contact_viewed": _l("사용자 연락처 보기"),
    "department.created": _l("부서 등록"),
    "department.updated": _l("부서 정보 수정"),
    "roster.dry_run": _l("인사 명단 검토(반영 전)"),
    "roster.imported": _l("인사 명단 반영"),
    "roster.viewed": _l("명단 열람"),
    "roster.exported": _l("명단 내려받기"),
    # Courses, sessions and enrolment
    "courses.synced": _l("과정 목록 동기화"),
    "session.created": _l("차수 개설"),
    "session.updated": _l("차수 정보 수정"),
    "session.cancelled": _l("차수 취소"),
    "enrollment.added_for_user": _l("대리 수강 신청"),
    "enrollment.cancelled_for_user": _l("대리 수강 취소"),
    "enrollment.approved": _l("수강 신청 승인"),
    "enrollment.declined": _l("수강 신청 반려"),
    "enrollment.promoted": _l("대기자 확정"),
    "enrollment.reordered": _l("대기 순서 변경"),
    "enrollment.moved": _l("다른 차수로 이동"),
    "enrollment.bulk": _l("일괄 수강 처리"),
    "mandatory.bulk_enrol": _l("신규자 필수교육 일괄 신청"),
    # Attendance, completion, hours and certificates
    "attendance.marked": _l("출석 입력"),
    "attendance.marked_all": _l("출석 일괄 입력"),
    "attendance.changed": _l("출석 변경"),
    "checkin.open": _l("출석 체크 열기"),
    "checkin.reopen": _l("출석 체크 다시 열기"),
    "checkin.close": _l("출석 체크 닫기"),
    "completion.refreshed": _l("수료 판정 갱신"),
    "hours.submitted": _l("교육 시간 신청"),
    "hours.withdrawn": _l("교육 시간 신청 철회"),
    "hours.approved": _l("교육 시간 승인"),
    "hours.declined": _l("교육 시간 반려"),
    "hours.evidence_viewed": _l("증빙 자료 열람"),
    "certificate.issued": _l("수료증 발급"),
    "certificate.reissued": _l("수료증 재발급"),
    "certificate.revoked": _l("수료증 취소"),
    "certificate.restored": _l("수료증 복원"),
    "certificate.exported": _l("수료증 내려받기"),
    "certificate.list_viewed": _l("수료증 발급 목록 열람"),
    "ical.token_regenerated": _l("캘린더 구독 주소 재발급"),
    # Ideas and consulting
    "idea.submitted": _l("아이디어 제출"),
    "idea.status_changed": _l("아이디어 상태 변경"),
    "idea.slot_offered": _l("상담 시간 제안"),
    "idea.slot_withdrawn": _l("상담 시간 철회"),
    "idea.slot_booked": _l("상담 예약"),
    "idea.booking_cancelled": _l("상담 예약 취소"),
    "idea.outcome_recorded": _l("상담 결과 기록"),
    # AI practice
    "assistant.content_synced": _l("AI 실습 콘텐츠 동기화"),
    "assistant.draft_exported": _l("AI 실습 초안 내려받기"),
    "assistant.exercise_submitted": _l("AI 실습 과제 제출"),
    "assistant.submission_reviewed": _l("AI 실습 과제 평가"),
    "assistant.submission_review_changed": _l("AI 실습 과제 평가 변경"),
    "assistant.limits_changed": _l("AI 사용 한도 변경"),
    "assistant.model_changed": _l("AI 모델 설정 변경"),
    "assistant.model_price_changed": _l("AI 모델 가격 변경"),
    "assistant.model_internal_changed": _l("AI 모델 내부망 지정 변경"),
    "assistant.model_switched": _l("AI 모델 전환"),
    "assistant.policy_accepted": _l("AI 이용 정책 동의"),
    "assistant.retention_purged": _l("AI 대화 보존 기간 경과분 삭제"),
    "assistant.guard_blocked": _l("개인정보 보호: 전송 보류"),
    "assistant.guard_masked": _l("개인정보 보호: 가림 처리 후 전송"),
    "assistant.guard_refused": _l("개인정보 보호: 전송 거부"),
    # Operations
    "outbox.viewed": _l("발송 대기 메일 열람"),
    "outbox.retried": _l("메일 재발송"),
    "outbox.session_viewed": _l("차수 메일 발송 현황 열람"),
    "audit.exported": _l("감사 기록 내려받기"),
    "audit.personal_data_exported": _l("개인정보 접근 기록 내려받기"),
    "audit.purged": _l("보존 기간 지난 감사 기록 삭제"),
    "report.exported": _l("교육 자료 내려받기"),
    "demo.seeded": _l("시연 데이터 생성"),
    "demo.sessions_seeded": _l("시연 차수 생성"),
}

# Views and exports of someone's personal data (names, numbers, attendance, evidence...).
PERSONAL_DATA_ACTIONS = frozenset(
    {
        "roster.viewed",
        "roster.exported",
        "roster.dry_run",
        "hours.evidence_viewed",
        "certificate.exported",
        "certificate.list_viewed",
        "assistant.draft_exported",
        "audit.exported",
        "audit.personal_data_exported",
        "outbox.viewed",
        "outbox.session_viewed",
        "report.exported",
        "user.contact_viewed",
    }
)

TARGET_LABELS = {
    "user": _l("사용자"),
    "department": _l("부서"),
    "course": _l("과정"),
    "session": _l("차수"),
    "training_session": _l("차수"),
    "enrollment": _l("수강 신청"),
    "certificate": _l("수료증"),
    "hours_entry": _l("교육 시간 신청"),
    "idea": _l("아이디어"),
    "consulting_slot": _l("상담 시간"),
    "roster_upload": _l("인사 명단 파일"),
    "outbox_message": _l("발송 메일"),
    "conversation": _l("AI 대화"),
    "draft": _l("AI 실습 초안"),
    "submission": _l("AI 실습 제출물"),
    "guard_event": _l("개인정보 보호 기록"),
    "assistant_content": _l("AI 실습 콘텐츠"),
    "assistant_limits": _l("AI 사용 한도"),
    "assistant_model": _l("AI 모델"),
}

DETAIL_LABELS = {
    "before": _l("변경 전"),
    "after": _l("변경 후"),
    "from": _l("변경 전"),
    "to": _l("변경 후"),
    "reason": _l("사유"),
    "user_id": _l("대상자"),
    "user_ids": _l("대상자"),
    "session_id": _l("차수"),
    "course_id": _l("과정"),
    "count": _l("건수"),
    "entries": _l("건수"),
    "format": _l("형식"),
    "fields": _l("항목"),
    "filters": _l("검색 조건"),
    "day": _l("날짜"),
    "number": _l("번호"),
    "role": _l("역할"),
    "kind": _l("종류"),
    "kinds": _l("종류"),
    "status": _l("상태"),
    "outcome": _l("결과"),
    "cutoff": _l("기준 시각"),
    "retention_days": _l("보존 기간(일)"),
    "month": _l("대상 월"),
    "scope": _l("범위"),
    "hours": _l("시간"),
    "input_price_per_million": _l("입력 가격(원/100만 토큰)"),
    "output_price_per_million": _l("출력 가격(원/100만 토큰)"),
}


def action_label(code: str) -> str:
    """The action's readable name, or the raw code for one no longer known."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def target_label(kind: str | None) -> str:
    if not kind:
        return ""
    label = TARGET_LABELS.get(kind)
    return str(label) if label is not None else kind


def detail_label(key: str) -> str:
    label = DETAIL_LABELS.get(key)
    return str(label) if label is not None else key
