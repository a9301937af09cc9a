"""Route × role authorisation matrix.

Every route in the app must appear in MATRIX with who may call it. A new route that
is missing here fails `test_every_route_is_in_the_matrix`, so it joins automatically.
Each entry is then exercised for the anonymous visitor and every role.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from portal.auth.access import AUTHENTICATED, PUBLIC
from portal.users.models import Role
from tests.conftest import Auth

ADMIN = frozenset({Role.ADMIN})
ALL_ROLES = tuple(Role)


@dataclass(frozen=True)
class Expect:
    access: str | frozenset[Role]
    path: str
    method: str = "GET"
    ends_session: bool = False  # logout answers allowed callers with the login page too


MATRIX: dict[str, Expect] = {
    "core.healthz": Expect(PUBLIC, "/healthz"),
    "core.readyz": Expect(PUBLIC, "/readyz"),
    "core.set_locale": Expect(PUBLIC, "/locale", "POST"),
    "auth.login": Expect(PUBLIC, "/auth/login"),
    "auth.logout": Expect(AUTHENTICATED, "/auth/logout", "POST", ends_session=True),
    "auth.change_password": Expect(AUTHENTICATED, "/auth/password"),
    "auth.extend_session": Expect(AUTHENTICATED, "/auth/session/extend", "POST"),
    "home.index": Expect(PUBLIC, "/"),
    "home.profile": Expect(AUTHENTICATED, "/me"),
    "admin_audit.search": Expect(ADMIN, "/admin/audit/"),
    "admin_audit.export": Expect(ADMIN, "/admin/audit/export.csv"),
    "admin_import.upload": Expect(ADMIN, "/admin/import/"),
    "admin_import.preview": Expect(ADMIN, "/admin/import/{upload_id}"),
    "admin_import.apply": Expect(ADMIN, "/admin/import/{upload_id}/apply", "POST"),
    "admin_import.template": Expect(ADMIN, "/admin/import/template.csv"),
}


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
def targets(app, make_user, department):
    """Objects that paths with ids point at."""
    from portal.core.clock import utcnow
    from portal.db import db
    from portal.users.models import RosterUpload

    other = make_user(Role.STAFF)
    with app.app_context():
        upload = RosterUpload(
            filename="roster.csv",
            content="사번,성명,이메일,부서\n".encode(),
            sha256="0" * 64,
            created_at=utcnow(),
        )
        db.session.add(upload)
        db.session.commit()
        upload_id = upload.id
    return {"user_id": other.id, "dept_id": department.id, "upload_id": upload_id}


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
