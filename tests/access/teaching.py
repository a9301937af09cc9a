"""Routes of the instructor's own sessions (내 강의): read-only, for those who teach.

A teacher asking for a session they do not teach gets 404 (which the matrix accepts as
"not refused by role"); the ownership checks are in tests/functional/test_teaching_pages.py.
"""

from portal.users.models import Role
from tests.access import Expect

TEACHERS = frozenset({Role.INSTRUCTOR, Role.COORDINATOR})

ROUTES = {
    "teaching.my_sessions": Expect(TEACHERS, "/teaching/sessions"),
    "teaching.roster": Expect(TEACHERS, "/teaching/sessions/{session_id}/roster"),
}
