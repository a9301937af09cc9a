"""Logging in, lockout, CSRF and password changes."""

import re

from sqlalchemy import select

from portal.auth.models import LoginFailure
from portal.db import db
from portal.users.models import Role, User
from tests.conftest import PASSWORD


def test_login_by_employee_number_lands_on_home(client, auth, make_user):
    user = make_user(Role.STAFF)
    response = auth.login(user)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_by_email_is_case_insensitive(client, auth, make_user):
    user = make_user(Role.STAFF, email="kim.minsu@sejong.example.kr")
    assert auth.login("Kim.Minsu@Sejong.Example.kr").status_code == 302
    assert client.get("/").status_code == 200
    assert user.id


def test_wrong_password_gets_a_korean_message_and_is_audited(
    app, client, auth, make_user, audit_actions
):
    user = make_user(Role.STAFF)
    response = auth.login(user, "wrong-password")
    assert response.status_code == 200
    assert "비밀번호가 맞지 않습니다" in response.get_data(as_text=True)
    assert "login.failed" in audit_actions()


def test_unknown_account_gets_the_same_message_as_a_wrong_password(client, auth):
    response = auth.login("NOPE999", "whatever-password")
    assert "비밀번호가 맞지 않습니다" in response.get_data(as_text=True)


def test_sixth_wrong_password_is_refused_with_a_korean_lock_message(
    app, client, auth, make_user, audit_actions
):
    user = make_user(Role.STAFF)
    for _ in range(4):
        assert "맞지 않습니다" in auth.login(user, "wrong-password").get_data(as_text=True)
    fifth = auth.login(user, "wrong-password").get_data(as_text=True)
    assert "계정이 잠겼습니다" in fifth
    sixth = auth.login(user, "wrong-password").get_data(as_text=True)
    assert "계정이 잠겼습니다" in sixth
    # Even the right password is refused while the lock holds.
    right = auth.login(user, PASSWORD)
    assert right.status_code == 200
    assert "계정이 잠겼습니다" in right.get_data(as_text=True)
    assert "login.refused_locked" in audit_actions()


def test_lock_expires_after_the_lock_period(app, client, auth, make_user):
    import datetime as dt

    from portal.core import clock

    user = make_user(Role.STAFF)
    for _ in range(5):
        auth.login(user, "wrong-password")
    clock.advance(dt.timedelta(minutes=16))
    assert auth.login(user, PASSWORD).status_code == 302


def test_a_success_resets_the_failure_count(app, client, auth, make_user):
    user = make_user(Role.STAFF)
    for _ in range(4):
        auth.login(user, "wrong-password")
    assert auth.login(user, PASSWORD).status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).failed_login_count == 0
        # Failures live per account and address in login_failures; the success cleared them.
        assert not db.session.scalars(
            select(LoginFailure).where(LoginFailure.account_key == f"u:{user.id}")
        ).all()


def test_inactive_account_cannot_log_in(client, auth, make_user):
    user = make_user(Role.STAFF, is_active=False)
    response = auth.login(user)
    assert response.status_code == 200
    assert "사용이 중지된 계정" in response.get_data(as_text=True)


def test_post_without_csrf_token_changes_nothing(app, client, make_user):
    user = make_user(Role.STAFF)
    response = client.post(
        "/auth/login", data={"login": user.employee_number, "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "보안 확인 토큰" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still logged out
    with app.app_context():
        assert db.session.get(User, user.id).last_login_at is None


def test_login_throttle_per_ip_answers_429_in_korean(app, client, auth):
    token = auth.csrf("/auth/login")
    statuses = []
    for n in range(35):
        r = client.post(
            "/auth/login", data={"login": f"X{n:04d}", "password": "x", "csrf_token": token}
        )
        statuses.append(r.status_code)
    assert statuses[:30] == [200] * 30
    assert statuses[-1] == 429
    assert "요청이 너무 많습니다" in r.get_data(as_text=True)


def test_open_redirect_after_login_is_ignored(client, auth, make_user):
    user = make_user(Role.STAFF)
    page = client.get("/auth/login?next=https://evil.example/")
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)
    )
    response = client.post(
        "/auth/login?next=https://evil.example/",
        data={"login": user.employee_number, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.headers["Location"] == "/"


def test_next_path_inside_the_portal_is_followed(client, auth, make_user):
    user = make_user(Role.STAFF)
    assert client.get("/me").status_code == 302
    page = client.get("/auth/login?next=/me")
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)
    )
    response = client.post(
        "/auth/login?next=/me",
        data={"login": user.employee_number, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.headers["Location"] == "/me"


def test_password_change_requires_the_current_password(client, auth, as_role):
    as_role(Role.STAFF)
    token = auth.csrf("/auth/password")
    response = client.post(
        "/auth/password",
        data={
            "current_password": "not-it",
            "new_password": "Another!pass99",
            "confirm_password": "Another!pass99",
            "csrf_token": token,
        },
    )
    assert "현재 비밀번호가 맞지 않습니다" in response.get_data(as_text=True)


def test_password_change_refuses_a_short_password(client, auth, as_role):
    as_role(Role.STAFF)
    token = auth.csrf("/auth/password")
    response = client.post(
        "/auth/password",
        data={
            "current_password": PASSWORD,
            "new_password": "short1!",
            "confirm_password": "short1!",
            "csrf_token": token,
        },
    )
    assert "10자 이상" in response.get_data(as_text=True)


def test_new_password_works_and_old_one_does_not(app, client, auth, as_role, audit_actions):
    user = as_role(Role.STAFF)
    token = auth.csrf("/auth/password")
    response = client.post(
        "/auth/password",
        data={
            "current_password": PASSWORD,
            "new_password": "Another!pass99",
            "confirm_password": "Another!pass99",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    auth.logout()
    assert auth.login(user, PASSWORD).status_code == 200
    assert auth.login(user, "Another!pass99").status_code == 302
    assert "password.changed" in audit_actions()
