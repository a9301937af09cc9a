"""Korean by default; English on request, remembered for the user."""

from sqlalchemy import select

from portal.db import db
from portal.users.models import Role, User


def test_pages_are_korean_by_default(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="ko">' in html
    assert "로그인" in html


def test_language_switch_gives_english_and_back(client, auth):
    token = auth.csrf("/auth/login")
    response = client.post(
        "/locale", data={"locale": "en", "next": "/auth/login", "csrf_token": token}
    )
    assert response.headers["Location"] == "/auth/login"
    html = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Log in" in html
    client.post("/locale", data={"locale": "ko", "next": "/auth/login", "csrf_token": token})
    assert '<html lang="ko">' in client.get("/auth/login").get_data(as_text=True)


def test_unknown_locale_and_outside_next_are_ignored(client, auth):
    token = auth.csrf("/auth/login")
    response = client.post(
        "/locale", data={"locale": "fr", "next": "https://evil.example/", "csrf_token": token}
    )
    assert response.headers["Location"] == "/"
    assert '<html lang="ko">' in client.get("/auth/login").get_data(as_text=True)


def test_a_logged_in_users_choice_is_saved_on_the_account(app, client, auth, as_role):
    user = as_role(Role.STAFF)
    token = auth.csrf("/")
    client.post("/locale", data={"locale": "en", "next": "/", "csrf_token": token})
    with app.app_context():
        assert db.session.scalar(select(User.locale).where(User.id == user.id)) == "en"
    # A new browser session starts in the account's language.
    fresh = app.test_client()
    from tests.conftest import Auth

    Auth(fresh).login(user)
    assert '<html lang="en">' in fresh.get("/").get_data(as_text=True)
