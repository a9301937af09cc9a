"""Routes of the coordinator's roster tools and bulk enrolment."""

from tests.access import COORDINATION, Expect

ROSTER = "/manage/sessions/{session_id}/roster"

ROUTES = {
    "roster.session_roster": Expect(COORDINATION, ROSTER),
    "roster.add": Expect(COORDINATION, f"{ROSTER}/add", "POST"),
    "roster.remove": Expect(COORDINATION, f"{ROSTER}/{{enrollment_id}}/remove", "POST"),
    "roster.promote": Expect(COORDINATION, f"{ROSTER}/{{enrollment_id}}/promote", "POST"),
    "roster.reorder": Expect(COORDINATION, f"{ROSTER}/{{enrollment_id}}/move-up", "POST"),
    "roster.decide": Expect(COORDINATION, f"{ROSTER}/{{enrollment_id}}/approve", "POST"),
    "roster.move": Expect(COORDINATION, f"{ROSTER}/{{enrollment_id}}/move", "POST"),
    "roster.bulk": Expect(COORDINATION, "/manage/bulk"),
}
