"""Routes of the AI service ideas (issue 12).

Staff pages are open to every logged-in user; whose idea is whose is checked by the views
(404 for a private idea of someone else: tests/functional/test_ideas_pages.py).
"""

from portal.auth.access import AUTHENTICATED
from tests.access import COORDINATION, Expect

ROUTES = {
    "ideas.my_ideas": Expect(AUTHENTICATED, "/ideas/"),
    "ideas.new_idea": Expect(AUTHENTICATED, "/ideas/new"),
    "ideas.board": Expect(AUTHENTICATED, "/ideas/board"),
    "ideas.detail": Expect(AUTHENTICATED, "/ideas/{idea_id}"),
    "ideas.edit": Expect(AUTHENTICATED, "/ideas/{idea_id}/edit"),
    "ideas.book": Expect(AUTHENTICATED, "/ideas/{idea_id}/slots/{slot_id}/book", method="POST"),
    "ideas.cancel_booking": Expect(
        AUTHENTICATED, "/ideas/{idea_id}/slots/{slot_id}/cancel", method="POST"
    ),
    "ideas.slot_ics": Expect(AUTHENTICATED, "/ideas/{idea_id}/slots/{slot_id}/consulting.ics"),
    "ideas.outcome": Expect(AUTHENTICATED, "/ideas/{idea_id}/slots/{slot_id}/outcome"),
    "ideas.triage": Expect(COORDINATION, "/ideas/manage/"),
    "ideas.change_status": Expect(COORDINATION, "/ideas/manage/{idea_id}/status", method="POST"),
    "ideas.slots": Expect(COORDINATION, "/ideas/manage/slots"),
    "ideas.withdraw": Expect(COORDINATION, "/ideas/manage/slots/{slot_id}/withdraw", method="POST"),
    "ideas.overview": Expect(COORDINATION, "/ideas/manage/overview"),
}
