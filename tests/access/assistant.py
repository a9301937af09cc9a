"""The practice sandbox. {draft_id}, {answer_id} and {submission_id} belong to the staff
member {user_id}: every other caller gets 404 for them (never 403, never their data)."""

from portal.auth.access import AUTHENTICATED
from portal.users.models import Role
from tests.access import ADMIN, COORDINATION, Expect

REVIEWERS = frozenset({Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN})

ROUTES = {
    "assistant.index": Expect(AUTHENTICATED, "/practice/"),
    "assistant.policy": Expect(AUTHENTICATED, "/practice/policy"),
    "assistant.new_workspace": Expect(AUTHENTICATED, "/practice/new"),
    "assistant.workspace": Expect(AUTHENTICATED, "/practice/w/{draft_id}"),
    "assistant.switch_model": Expect(AUTHENTICATED, "/practice/w/{draft_id}/model", "POST"),
    "assistant.guard_check": Expect(AUTHENTICATED, "/practice/w/{draft_id}/guard", "POST"),
    "assistant.mask": Expect(AUTHENTICATED, "/practice/w/{draft_id}/mask", "POST"),
    "assistant.post_message": Expect(AUTHENTICATED, "/practice/w/{draft_id}/messages", "POST"),
    "assistant.stream": Expect(AUTHENTICATED, "/practice/messages/{answer_id}/stream", "POST"),
    "assistant.rate": Expect(AUTHENTICATED, "/practice/messages/{answer_id}/rating", "POST"),
    "assistant.save_draft": Expect(AUTHENTICATED, "/practice/w/{draft_id}/draft", "POST"),
    "assistant.versions": Expect(AUTHENTICATED, "/practice/w/{draft_id}/versions"),
    "assistant.restore": Expect(AUTHENTICATED, "/practice/w/{draft_id}/versions/1/restore", "POST"),
    "assistant.submit": Expect(AUTHENTICATED, "/practice/w/{draft_id}/submit"),
    "assistant.export": Expect(AUTHENTICATED, "/practice/w/{draft_id}/export"),
    # Reviewers may read a submitted draft; for staff who do not own it, it is not found.
    "assistant.submission": Expect(AUTHENTICATED, "/practice/submissions/{submission_id}"),
    "assistant.score": Expect(AUTHENTICATED, "/practice/submissions/{submission_id}/score", "POST"),
    "assistant.record_time": Expect(
        AUTHENTICATED, "/practice/submissions/{submission_id}/time", "POST"
    ),
    "practice_manage.reviews": Expect(REVIEWERS, "/practice/manage/reviews"),
    "practice_manage.review": Expect(REVIEWERS, "/practice/manage/reviews/{submission_id}"),
    "practice_manage.figures": Expect(COORDINATION, "/practice/manage/figures"),
    "practice_manage.acceptances": Expect(COORDINATION, "/practice/manage/acceptances"),
    "practice_manage.models": Expect(ADMIN, "/practice/manage/models"),
    "practice_manage.limits": Expect(ADMIN, "/practice/manage/limits"),
}
