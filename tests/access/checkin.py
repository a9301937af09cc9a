"""Routes of QR self check-in.

Anyone logged in may check in. Managing check-in (the control page, open/close and the
room screen) is for instructors, coordinators and admins; an instructor asking about a
session they do not teach gets 404, which the matrix accepts as "not refused by role"
(the ownership checks are in tests/functional/test_checkin.py).
"""

from portal.auth.access import AUTHENTICATED
from portal.users.models import Role
from tests.access import Expect

MANAGERS = frozenset({Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN})
DAY = "2026-01-05"

ROUTES = {
    "checkin.index": Expect(AUTHENTICATED, "/checkin"),
    "checkin.scan": Expect(AUTHENTICATED, f"/checkin/{{session_id}}/{DAY}"),
    "checkin.manage": Expect(MANAGERS, "/checkin/manage/{session_id}"),
    "checkin.open_window": Expect(
        MANAGERS, f"/checkin/manage/{{session_id}}/{DAY}/open", method="POST"
    ),
    "checkin.close_window": Expect(
        MANAGERS, f"/checkin/manage/{{session_id}}/{DAY}/close", method="POST"
    ),
    "checkin.screen": Expect(MANAGERS, f"/checkin/manage/{{session_id}}/{DAY}/screen"),
    "checkin.screen_live": Expect(MANAGERS, f"/checkin/manage/{{session_id}}/{DAY}/screen/live"),
}
