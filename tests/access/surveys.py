"""Routes of the satisfaction survey: staff answer; coordinators and instructors read results.

The staff member behind the matrix's paths is not the caller, so the survey page answers
every caller 404 (never 403); the ownership rules are in tests/functional/test_surveys.py.
"""

from portal.auth.access import AUTHENTICATED
from portal.users.models import Role
from tests.access import COORDINATION, Expect

TEACHERS = frozenset({Role.INSTRUCTOR, Role.COORDINATOR})

ROUTES = {
    "surveys.answer": Expect(AUTHENTICATED, "/my/surveys/{session_id}"),
    "surveys.overview": Expect(COORDINATION, "/manage/surveys/"),
    "surveys.course_results": Expect(COORDINATION, "/manage/surveys/courses/{course_slug}"),
    "surveys.session_results": Expect(COORDINATION, "/manage/surveys/sessions/{session_id}"),
    "surveys.my_session_results": Expect(TEACHERS, "/teaching/sessions/{session_id}/survey"),
}
