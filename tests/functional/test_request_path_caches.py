"""What the cheaper request path (issue 14's page speed) must keep: a session cookie is
still checked for its signature and age, a CSRF token signed once is still refused when
forged or moved to another session, a remembered URL is still the URL of this prefix, and
the rate limits still apply to the views that have them."""

from __future__ import annotations

import re

import pytest
from flask import session
from flask_wtf.csrf import validate_csrf
from itsdangerous import URLSafeTimedSerializer

from portal.core import cookies
from portal.extensions import limiter, rate_limited_endpoints
from portal.users.models import Role
from tests.conftest import csrf_token_from


def _cookie(client, app) -> str:
    found = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert found is not None
    return found.value


def _signed(app, data: dict, *, key: str | None = None) -> str:
    serializer = URLSafeTimedSerializer(
        key or app.secret_key,
        salt="cookie-session",
        serializer=app.session_interface.serializer,
        signer_kwargs={
            "key_derivation": "hmac",
            "digest_method": app.session_interface.digest_method,
        },
    )
    return serializer.dumps(data)


def _session_seen(app, cookie_text: str) -> dict:
    with app.test_request_context(
        "/", headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie_text}"}
    ):
        return dict(session)


def test_the_same_cookie_opens_the_same_session_each_time(app):
    text = _signed(app, {"locale": "en", "touched": 5})
    assert _session_seen(app, text) == {"locale": "en", "touched": 5}
    assert _session_seen(app, text) == {"locale": "en", "touched": 5}  # the remembered one


def test_a_request_changing_its_session_does_not_change_the_next_one(app):
    text = _signed(app, {"locale": "en"})
    with app.test_request_context(
        "/", headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={text}"}
    ):
        session["locale"] = "ko"
        session["sid"] = "someone"
    assert _session_seen(app, text) == {"locale": "en"}


def test_a_forged_or_foreign_cookie_is_an_empty_session(app):
    genuine = _signed(app, {"locale": "en"})
    assert _session_seen(app, genuine) == {"locale": "en"}
    payload, signature = genuine.rsplit(".", 1)
    assert _session_seen(app, f"{payload}.{signature[:-2]}xx") == {}
    assert _session_seen(app, _signed(app, {"locale": "en"}, key="another key " * 4)) == {}


def test_a_remembered_cookie_still_expires(app, monkeypatch):
    text = _signed(app, {"locale": "en"})
    assert _session_seen(app, text) == {"locale": "en"}
    lifetime = app.permanent_session_lifetime.total_seconds()
    later = cookies.time.time() + lifetime + 5
    monkeypatch.setattr(cookies.time, "time", lambda: later)
    assert _session_seen(app, text) == {}


def test_a_cookie_holding_a_list_is_verified_every_time_and_never_shared(app):
    text = _signed(app, {"_flashes": [["info", "hello"]]})
    with app.test_request_context(
        "/", headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={text}"}
    ):
        session["_flashes"].append(["info", "changed in place"])
    assert _session_seen(app, text) == {"_flashes": [["info", "hello"]]}
    interface = app.session_interface
    assert all(key[1] != text for key in interface._verified)


def test_the_signed_csrf_token_is_reused_within_a_session_and_still_checked(client, as_role, app):
    as_role(Role.STAFF)
    first = csrf_token_from(client.get("/").get_data(as_text=True))
    second = csrf_token_from(client.get("/me").get_data(as_text=True))
    assert first == second
    with client.session_transaction() as stored:
        raw = stored["csrf_token"]
    with app.test_request_context("/"):
        session["csrf_token"] = raw
        validate_csrf(first)  # raises if not valid for this session
    # The token posts: the language switch is a CSRF-protected form.
    answer = client.post("/locale", data={"locale": "en", "next": "/", "csrf_token": first})
    assert answer.status_code == 302


def test_a_token_from_another_session_is_refused(client, app, make_user, auth):
    auth.login(make_user(Role.STAFF))
    theirs = csrf_token_from(client.get("/").get_data(as_text=True))
    auth.logout()
    auth.login(make_user(Role.STAFF))
    mine = csrf_token_from(client.get("/").get_data(as_text=True))
    assert mine != theirs
    answer = client.post("/locale", data={"locale": "en", "next": "/", "csrf_token": theirs})
    assert answer.status_code == 400


def test_urls_follow_the_prefix_the_portal_is_served_under(client, as_role):
    as_role(Role.STAFF)
    plain = client.get("/").get_data(as_text=True)
    prefixed = client.get("/", environ_overrides={"SCRIPT_NAME": "/portal"}).get_data(as_text=True)
    assert 'href="/courses/"' in plain
    assert 'href="/portal/courses/"' in prefixed
    assert re.search(r'href="/portal/static/css/portal\.css"', prefixed)
    assert "/portal/" not in plain


def test_the_views_with_rate_limits_are_the_ones_the_limiter_checks(app):
    assert rate_limited_endpoints(app) == {
        "auth.login",
        "certificates.verify",
        "certificates.verify_number",
        "checkin.index",
        "checkin.scan",
    }


def test_a_new_view_with_a_limit_is_limited_without_being_listed(app_with_limited_route):
    client = app_with_limited_route.test_client()
    assert [client.get("/twice-a-minute").status_code for _ in range(3)] == [200, 200, 429]


def test_the_limit_on_login_still_applies(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_IP", "2 per minute")
    codes = []
    for _ in range(3):
        token = csrf_token_from(client.get("/auth/login").get_data(as_text=True))
        answer = client.post(
            "/auth/login", data={"login": "nobody", "password": "wrong", "csrf_token": token}
        )
        codes.append(answer.status_code)
    assert codes == [200, 200, 429]


def test_a_page_without_limits_skips_the_limiter(client, as_role, monkeypatch):
    as_role(Role.STAFF)
    resolved = []
    resolve = limiter.limit_manager.resolve_limits
    monkeypatch.setattr(
        limiter.limit_manager,
        "resolve_limits",
        lambda *a, **k: resolved.append(a[1]) or resolve(*a, **k),
    )
    assert client.get("/").status_code == 200
    assert resolved == []
    client.get("/auth/login")  # a view with limits is still looked at
    assert resolved == ["auth.login", "auth.login"]


@pytest.fixture
def app_with_limited_route(make_app):
    from portal.auth.access import public

    app = make_app({"RATELIMIT_STORAGE_URI": "memory://"})

    @limiter.limit("2 per minute")
    @public
    def twice_a_minute():
        return "ok"

    app.add_url_rule("/twice-a-minute", "twice_a_minute", twice_a_minute)
    return app
