"""Server-side sessions: new id at login, logout, idle and absolute limits."""

import datetime as dt

from sqlalchemy import select

from portal.auth.models import LoginSession
from portal.core import clock
from portal.db import db
from portal.users.models import Role
from tests.conftest import PASSWORD, Auth


def _cookie(client) -> str:
    return client.get_cookie("portal_session").value


def test_login_issues_a_new_session_identifier(app, client, auth, make_user):
    user = make_user(Role.STAFF)
    client.get("/auth/login")
    before = _cookie(client)
    auth.login(user)
    after = _cookie(client)
    assert before != after
    with app.app_context():
        sessions = db.session.scalars(
            select(LoginSession).where(LoginSession.user_id == user.id)
        ).all()
    assert len(sessions) == 1
    assert sessions[0].ended_at is None


def test_logout_ends_the_session_so_a_copied_cookie_stops_working(app, make_user):
    user = make_user(Role.STAFF)
    original = app.test_client()
    Auth(original).login(user)
    stolen = _cookie(original)

    copy = app.test_client()
    copy.set_cookie("portal_session", stolen)
    assert copy.get("/").status_code == 200

    Auth(original).logout()
    copy.set_cookie("portal_session", stolen)
    assert copy.get("/").status_code == 302


def test_password_change_ends_every_other_session(app, make_user):
    user = make_user(Role.STAFF)
    laptop, phone = app.test_client(), app.test_client()
    Auth(laptop).login(user)
    Auth(phone).login(user)
    token = Auth(laptop).csrf("/auth/password")
    response = laptop.post(
        "/auth/password",
        data={
            "current_password": PASSWORD,
            "new_password": "Another!pass99",
            "confirm_password": "Another!pass99",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 302


def test_idle_session_ends_after_thirty_minutes(client, auth, make_user):
    auth.login(make_user(Role.STAFF))
    clock.advance(dt.timedelta(minutes=29))
    assert client.get("/").status_code == 200
    clock.advance(dt.timedelta(minutes=31))
    response = client.get("/")
    assert response.status_code == 302
    follow = client.get(response.headers["Location"])
    assert "30분 동안 활동이 없어" in follow.get_data(as_text=True)


def test_activity_keeps_the_session_alive(app, client, auth, make_user):
    app.config["SESSION_TOUCH_SECONDS"] = 0
    try:
        auth.login(make_user(Role.STAFF))
        for _ in range(3):
            clock.advance(dt.timedelta(minutes=20))
            assert client.get("/").status_code == 200
    finally:
        app.config["SESSION_TOUCH_SECONDS"] = 60


def test_session_ends_after_twelve_hours_whatever_the_activity(app, client, auth, make_user):
    app.config["SESSION_TOUCH_SECONDS"] = 0
    try:
        auth.login(make_user(Role.STAFF))
        for _ in range(25):
            clock.advance(dt.timedelta(minutes=29))
            client.get("/")
        clock.advance(dt.timedelta(minutes=29))
        response = client.get("/")
        assert response.status_code == 302
        assert "로그인한 지 오래되어" in client.get(response.headers["Location"]).get_data(
            as_text=True
        )
    finally:
        app.config["SESSION_TOUCH_SECONDS"] = 60


def test_extend_resets_the_idle_timer(client, auth, make_user):
    auth.login(make_user(Role.STAFF))
    clock.advance(dt.timedelta(minutes=25))
    token = auth.csrf("/me")
    response = client.post("/auth/session/extend", headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert response.get_json()["expires_in"] >= 29 * 60
    clock.advance(dt.timedelta(minutes=25))
    assert client.get("/me").status_code == 200


def test_extend_without_csrf_token_is_refused(client, auth, make_user):
    auth.login(make_user(Role.STAFF))
    assert client.post("/auth/session/extend").status_code == 400


def test_logged_in_pages_carry_the_timeout_warning_data(client, auth, make_user):
    auth.login(make_user(Role.STAFF))
    html = client.get("/").get_data(as_text=True)
    assert 'data-session-seconds-left="' in html
    assert 'id="session-timeout"' in html
    assert "로그인 시간 연장" in html


def test_page_timeout_ends_the_session_instead_of_renewing_it(client, auth, make_user):
    auth.login(make_user(Role.STAFF))
    token = auth.csrf("/me")
    response = client.post("/auth/session/timeout", data={"csrf_token": token})
    assert response.headers["Location"] == "/auth/login"
    assert "활동이 없어" in client.get("/auth/login").get_data(as_text=True)
    assert client.get("/me").status_code == 302
