"""Routes of the learning-hours ledger (상시학습).

Everyone keeps their own ledger; another person's entry or evidence answers 404 (which the
matrix accepts as "not refused by role"); those checks are in
tests/functional/test_hours_pages.py. Only coordinators and admins review.
"""

from portal.auth.access import AUTHENTICATED
from tests.access import COORDINATION, Expect

ROUTES = {
    "hours.index": Expect(AUTHENTICATED, "/hours/"),
    "hours.new": Expect(AUTHENTICATED, "/hours/new"),
    "hours.withdraw": Expect(AUTHENTICATED, "/hours/{hours_entry_id}/withdraw", "POST"),
    "hours.evidence": Expect(AUTHENTICATED, "/hours/{hours_entry_id}/evidence"),
    "hours.review": Expect(COORDINATION, "/hours/review"),
    "hours.review_entry": Expect(COORDINATION, "/hours/review/{hours_entry_id}"),
    "hours.decide": Expect(COORDINATION, "/hours/review/{hours_entry_id}/decide", "POST"),
}
