"""Routes of the coordinators' exports (자료 내려받기).

Coordinators and admins export; a session's own instructor may export that session's
roster and attendance (another instructor's session answers 404, which the matrix accepts
as "not refused by role"; the ownership checks are in tests/functional/test_exports.py).
"""

from portal.users.models import Role
from tests.access import COORDINATION, Expect

SESSION_READERS = frozenset({Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN})

ROUTES = {
    "reports.exports_page": Expect(COORDINATION, "/manage/exports"),
    "reports.export": Expect(COORDINATION, "/manage/exports/completions?format=csv"),
    "reports.session_export": Expect(
        SESSION_READERS, "/manage/sessions/{session_id}/export/session-roster?format=csv"
    ),
}
