"""Route × role authorisation matrix.

Every route in the app must appear in the matrix with who may call it: each feature
lists its routes in tests/access/<feature>.py. A route missing there fails
`test_every_route_is_in_the_matrix`, so every new route joins automatically.
Each entry is then exercised for the anonymous visitor and every role.

The objects the paths point at come from the shared `targets` fixture
(tests/fixtures/targets.py), which the fuzz suite (tests/fuzz/) fills paths from too.
"""

from __future__ import annotations

import pytest

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
