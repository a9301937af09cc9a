"""Routes of enrolment for staff, approvals for department heads, My learning and the iCal feed."""

from portal.auth.access import AUTHENTICATED, DEPARTMENT_HEADS, PUBLIC
from tests.access import Expect

ROUTES = {
    "enrollment.enrol": Expect(AUTHENTICATED, "/sessions/{session_id}/enrol", "POST"),
    # Not the owner's enrolment here, so every caller gets 404 (never 403, never a change).
    "enrollment.cancel": Expect(AUTHENTICATED, "/enrollments/{enrollment_id}/cancel", "POST"),
    # Only department heads; no role grants it, so every plain account is refused.
    "enrollment.approvals": Expect(DEPARTMENT_HEADS, "/approvals/"),
    "enrollment.decide": Expect(DEPARTMENT_HEADS, "/approvals/{enrollment_id}", "POST"),
    "learning.my_learning": Expect(AUTHENTICATED, "/my/learning"),
    "learning.session_ics": Expect(AUTHENTICATED, "/my/sessions/{session_id}.ics"),
    "learning.calendar_settings": Expect(AUTHENTICATED, "/my/calendar"),
    "learning.regenerate_calendar": Expect(AUTHENTICATED, "/my/calendar/regenerate", "POST"),
    # The token is the credential; an unknown one is simply not found.
    "learning.ical_feed": Expect(PUBLIC, "/calendar/not-a-real-token-0123456789abcdef.ics"),
}
