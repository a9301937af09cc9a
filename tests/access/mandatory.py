"""Routes of the coordinators' mandatory-training page and its one-click enrolment."""

from tests.access import COORDINATION, Expect

ROUTES = {
    "mandatory.index": Expect(COORDINATION, "/manage/mandatory/"),
    "mandatory.enrol": Expect(COORDINATION, "/manage/mandatory/enrol", "POST"),
}
