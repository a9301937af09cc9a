"""Routes of coordinator session management (교육 차수 관리)."""

from tests.access import COORDINATION, Expect

ROUTES = {
    "scheduling.list_sessions": Expect(COORDINATION, "/manage/sessions/"),
    "scheduling.create_session": Expect(COORDINATION, "/manage/sessions/new"),
    "scheduling.session_detail": Expect(COORDINATION, "/manage/sessions/{session_id}"),
    "scheduling.edit_session": Expect(COORDINATION, "/manage/sessions/{session_id}/edit"),
    "scheduling.session_mail_page": Expect(COORDINATION, "/manage/sessions/{session_id}/mail"),
    "scheduling.cancel_session": Expect(
        COORDINATION, "/manage/sessions/{session_id}/cancel", "POST"
    ),
}
