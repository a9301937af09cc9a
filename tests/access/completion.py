"""The 수료 판정 button: instructors (their own sessions; others answer 404), coordinators
and admins. Ownership and refusals are in tests/functional/test_completion_pages.py."""

from portal.users.models import Role
from tests.access import Expect

JUDGES = frozenset({Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN})

ROUTES = {
    "completion.judge": Expect(JUDGES, "/attendance/sessions/{session_id}/completion", "POST"),
}
