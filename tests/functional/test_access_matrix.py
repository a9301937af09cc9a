"""Route × role authorisation matrix.

Every route in the app must appear in the matrix with who may call it: each feature
lists its routes in tests/access/<feature>.py. A route missing there fails
`test_every_route_is_in_the_matrix`, so every new route joins automatically.
Each entry is then exercised for the anonymous visitor and every role.
"""

from __future__ import annotations

import pytest

from portal.assistant.review import submissions
from portal.assistant.workspace import conversations, drafts
from portal.auth.access import AUTHENTICATED, PUBLIC
from portal.users.models import Role
from tests.access import Expect, collect_matrix
from tests.conftest import Auth

ALL_ROLES = tuple(Role)

MATRIX: dict[str, Expect] = collect_matrix()


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    missing = sorted(endpoints - set(MATRIX))
    assert not missing, f"routes missing from the authorisation matrix: {missing}"
    stale = sorted(set(MATRIX) - endpoints)
    assert not stale, f"matrix names routes that no longer exist: {stale}"


def test_every_view_declares_the_access_the_matrix_expects(app):
    for endpoint, expect in MATRIX.items():
        declared = getattr(app.view_functions[endpoint], "access", None)
        assert declared == expect.access, (
            f"{endpoint} declares {declared!r}, expected {expect.access!r}"
        )


@pytest.fixture
def targets(app, make_user, department, make_session, make_workspace):
    """Objects that paths with ids point at: a staff member enrolled in a session."""
    from sqlalchemy import select

    from portal.catalog.models import Course
    from portal.core.clock import utcnow
    from portal.db import db
    from portal.enrollment import operations as ops
    from portal.notifications.models import Notification
    from portal.scheduling.models import TrainingSession
    from portal.users.models import RosterUpload, User

    other = make_user(Role.STAFF)
    session = make_session()
    with app.app_context():
        upload = RosterUpload(
            filename="roster.csv",
            content="사번,성명,이메일,부서\n".encode(),
            sha256="0" * 64,
            created_at=utcnow(),
        )
        db.session.add(upload)
        enrollment = ops.enrol(
            session.id, db.session.get(User, other.id), ops.Actor(other.id)
        ).enrollment
        ids = {
            "user_id": other.id,
            "dept_id": department.id,
            "upload_id": upload.id,
            "session_id": session.id,
            "enrollment_id": enrollment.id,
            "course_slug": db.session.scalar(
                select(Course.slug)
                .join(TrainingSession, TrainingSession.course_id == Course.id)
                .where(TrainingSession.id == session.id)
            ),
            "notification_id": db.session.scalar(
                select(Notification.id).where(Notification.user_id == other.id)
            ),
        }
        db.session.commit()
    ids.update(_sandbox_targets(app, other, make_workspace))
    return ids


def _sandbox_targets(app, owner, make_workspace) -> dict[str, int]:
    """A submitted exercise workspace with one answered message, all owned by `owner`."""
    from portal.assistant.models import MessageStatus
    from portal.db import db
    from portal.users.models import User

    draft = make_workspace(owner)
    with app.app_context():
        user = db.session.get(User, owner.id)
        conversation = conversations.conversation_for(draft)
        _question, answer = conversations.post_message(user, conversation, "개요를 만들어 주세요")
        answer.content = "□ 추진배경"
        answer.status = MessageStatus.COMPLETE
        draft = db.session.merge(draft)
        drafts.save_draft(draft, [{"text": "□ 추진배경", "ai": False}], draft.revision, "manual")
        submission = submissions.submit(user, draft)
        db.session.commit()
        return {"draft_id": draft.id, "answer_id": answer.id, "submission_id": submission.id}


def _call(client, expect: Expect, targets):
    path = expect.path.format(**targets)
    if expect.method == "GET":
        return client.get(path)
    return client.post(path, data={})


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_route_answers_each_role_as_the_matrix_says(app, make_user, targets, endpoint):
    expect = MATRIX[endpoint]
    app.config["WTF_CSRF_ENABLED"] = False  # so the access check itself is what answers
    try:
        anonymous = _call(app.test_client(), expect, targets)
        if expect.access == PUBLIC:
            assert anonymous.status_code != 403
        else:
            assert _is_login_redirect(anonymous), f"{endpoint} let an anonymous visitor in"

        for role in ALL_ROLES:
            client = app.test_client()
            assert Auth(client).login(make_user(role)).status_code == 302
            response = _call(client, expect, targets)
            allowed = expect.access in (PUBLIC, AUTHENTICATED) or role in expect.access
            if allowed:
                assert response.status_code != 403, f"{endpoint} refused {role.value}"
                if not expect.ends_session:
                    assert not _is_login_redirect(response), f"{endpoint} logged {role.value} out"
            else:
                assert response.status_code == 403, f"{endpoint} let {role.value} in"
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


def test_an_undeclared_view_is_refused(make_app):
    fresh = make_app({})

    def sneaky():
        return "secret"

    fresh.add_url_rule("/__sneaky", view_func=sneaky)
    assert fresh.test_client().get("/__sneaky").status_code == 403
