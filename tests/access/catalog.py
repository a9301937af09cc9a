"""Routes of the course catalogue."""

from portal.auth.access import AUTHENTICATED
from tests.access import Expect

ROUTES = {
    "catalog.index": Expect(AUTHENTICATED, "/courses/"),
    "catalog.course": Expect(AUTHENTICATED, "/courses/{course_slug}"),
}
