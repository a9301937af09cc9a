"""Routes of the attendance roster (출석 표시) and its sign-in sheet.

The session's own instructor and coordinators and admins may mark; an instructor asking
for a session they do not teach gets 404 (which the matrix accepts as "not refused by
role"); the ownership checks are in tests/functional/test_attendance_roster.py.
"""

from portal.users.models import Role
from tests.access import Expect

MARKERS = frozenset({Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN})

ROUTES = {
    "attendance.roster": Expect(MARKERS, "/attendance/sessions/{session_id}"),
    "attendance.all_present": Expect(
        MARKERS, "/attendance/sessions/{session_id}/all-present", "POST"
    ),
    "attendance.mark": Expect(MARKERS, "/attendance/sessions/{session_id}/mark", "POST"),
    "attendance.signin_sheet_pdf": Expect(
        MARKERS, "/attendance/sessions/{session_id}/sign-in-sheet.pdf"
    ),
}
