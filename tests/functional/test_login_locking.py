"""Login locking per account and client address, without revealing who has an account.

The public-sector rule (lock after 5 consecutive failures) holds per account and source:
one address guessing cannot lock the real user out from another, unknown employee numbers
behave exactly like real ones, and /login leads to the login page.
"""

from __future__ import annotations

import re
import time

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.auth import passwords
from portal.auth.models import LoginFailure
from portal.db import db
from portal.users.models import Role
from tests.conftest import PASSWORD, csrf_token_from

ATTACKER = "203.0.113.9"
OFFICE = "198.51.100.7"
ELSEWHERE = "192.0.2.44"


def attempt(client: FlaskClient, login: str, password: str, address: str):
    """One login from a given client address (REMOTE_ADDR, as the app sees it)."""
    environ = {"REMOTE_ADDR": address}
    page = client.get("/auth/login", environ_base=environ)
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(
        "/auth/login",
        data={"login": login, "password": password, "csrf_token": token},
        environ_base=environ,
    )


def comparable(response, typed_login: str) -> str:
    """The page without what legitimately differs: CSRF token, the echoed login, the clock."""
    html = response.get_data(as_text=True)
    html = re.sub(r'(value|content)="[^"]*"', r'\1=""', html)
    html = html.replace(typed_login, "LOGIN")
    return re.sub(r"\b\d{2}:\d{2}\b", "HH:MM", html)


def is_locked(response) -> bool:
    return "계정이 잠겼습니다" in response.get_data(as_text=True)


# --- no account enumeration ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["unknown", "without_password"])
def test_existing_and_unknown_accounts_get_the_same_answers(app, make_user, kind):
    real = make_user(Role.STAFF)
    if kind == "unknown":
        other_login = "T99999"
    else:
        other_login = make_user(Role.STAFF, password_hash=None).employee_number
    real_client, other_client = app.test_client(), app.test_client()
    for n in range(6):
        a = attempt(real_client, real.employee_number, "wrong-password", ATTACKER)
        b = attempt(other_client, other_login, "wrong-password", ATTACKER)
        assert a.status_code == b.status_code == 200
        assert comparable(a, real.employee_number) == comparable(b, other_login), n
        # The fifth and sixth answers are the lock message, for both.
        assert is_locked(a) == is_locked(b) == (n >= 4)


def test_unknown_and_passwordless_accounts_are_verified_against_argon2(app, make_user, monkeypatch):
    calls: list[str] = []

    class Spy:
        """Stands in for the argon2 hasher (whose methods cannot be patched) and logs verify."""

        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def verify(self, stored_hash, password):
            calls.append(stored_hash)
            return self.inner.verify(stored_hash, password)

    monkeypatch.setattr(passwords, "HASHER", Spy(passwords.HASHER))
    existing = make_user(Role.STAFF)
    passwordless = make_user(Role.STAFF, password_hash=None)
    client = app.test_client()
    for login in (existing.employee_number, passwordless.employee_number, "NOSUCH1"):
        attempt(client, login, "wrong-password", OFFICE)
    assert len(calls) == 3
    assert calls[0] == existing.password_hash
    # The other two pay the same argon2id price, against the dummy hash.
    assert calls[1] == calls[2] == passwords._DUMMY_HASH


def test_checking_an_unknown_account_costs_about_as_much_as_a_real_one(app, make_user):
    from portal.auth.operations import check_password

    user = make_user(Role.STAFF)

    def fastest(login: str) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            check_password(login, "wrong-password")
            times.append(time.perf_counter() - start)
        return min(times)

    with app.app_context():
        known, unknown = fastest(user.employee_number), fastest("T88888")
    # Loose on purpose (shared CI cores): the same argon2id work, not a 10x shortcut.
    assert 0.33 < unknown / known < 3


# --- per-source locking -----------------------------------------------------------------------


def test_a_flood_from_one_address_does_not_lock_out_the_real_user(app, make_user, audit_entries):
    user = make_user(Role.STAFF)
    attacker = app.test_client()
    for _ in range(4):
        assert not is_locked(attempt(attacker, user.employee_number, "guess", ATTACKER))
    assert is_locked(attempt(attacker, user.employee_number, "guess", ATTACKER))

    # The real user, from the office, is not affected.
    office = app.test_client()
    response = attempt(office, user.employee_number, PASSWORD, OFFICE)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"

    # The guessing address stays locked, even with the right password, for the lock period.
    again = attempt(app.test_client(), user.employee_number, PASSWORD, ATTACKER)
    assert again.status_code == 200
    assert is_locked(again)
    assert "5번 연속" in again.get_data(as_text=True)
    refused = audit_entries("login.refused_locked")
    assert refused and refused[-1].details["scope"] == "source"
    locked = [e for e in audit_entries("login.failed") if e.details.get("locked")]
    assert [e.details["locked"] for e in locked] == ["source"]


def test_the_lock_of_an_address_expires(app, make_user):
    import datetime as dt

    from portal.core import clock

    user = make_user(Role.STAFF)
    client = app.test_client()
    for _ in range(5):
        attempt(client, user.employee_number, "guess", ATTACKER)
    clock.advance(dt.timedelta(minutes=14))
    assert is_locked(attempt(client, user.employee_number, PASSWORD, ATTACKER))
    clock.advance(dt.timedelta(minutes=2))
    assert attempt(client, user.employee_number, PASSWORD, ATTACKER).status_code == 302


def test_employee_number_and_email_share_one_count(app, make_user):
    user = make_user(Role.STAFF)
    client = app.test_client()
    for _ in range(3):
        attempt(client, user.employee_number, "guess", ATTACKER)
    attempt(client, user.email, "guess", ATTACKER)
    assert is_locked(attempt(client, user.email.upper(), "guess", ATTACKER))


def test_a_success_ends_the_run_of_failures_from_that_address(app, make_user):
    user = make_user(Role.STAFF)
    for _ in range(4):
        attempt(app.test_client(), user.employee_number, "typo", OFFICE)
    assert attempt(app.test_client(), user.employee_number, PASSWORD, OFFICE).status_code == 302
    for _ in range(4):
        assert not is_locked(attempt(app.test_client(), user.employee_number, "typo", OFFICE))
    with app.app_context():
        rows = db.session.execute(
            select(LoginFailure.source_key, LoginFailure.failures).where(
                LoginFailure.account_key == f"u:{user.id}"
            )
        ).all()
    assert sorted(failures for _, failures in rows) == [4, 4]


def test_failures_older_than_a_day_are_forgotten_and_tidied(app, make_user):
    import datetime as dt

    from portal.core import clock

    user, other = make_user(Role.STAFF), make_user(Role.STAFF)
    for _ in range(4):
        attempt(app.test_client(), user.employee_number, "typo", OFFICE)
    clock.advance(dt.timedelta(hours=25))
    # Yesterday's four do not count: this is the first of a new run.
    assert not is_locked(attempt(app.test_client(), user.employee_number, "typo", OFFICE))
    attempt(app.test_client(), "T55555", "typo", OFFICE)
    clock.advance(dt.timedelta(hours=25))
    # A lock elsewhere tidies rows that can no longer matter.
    for _ in range(5):
        attempt(app.test_client(), other.employee_number, "typo", ATTACKER)
    with app.app_context():
        keys = set(db.session.scalars(select(LoginFailure.account_key)))
    assert keys == {f"u:{other.id}"}


def test_many_addresses_together_lock_the_account_for_everyone(app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_MAX_FAILURES", 8)
    user = make_user(Role.STAFF)
    for n in range(8):
        response = attempt(app.test_client(), user.employee_number, "guess", f"203.0.113.{n}")
    assert "여러 곳에서" in response.get_data(as_text=True)
    # Now even the real user, from an address that never failed, has to wait.
    response = attempt(app.test_client(), user.employee_number, PASSWORD, OFFICE)
    assert response.status_code == 200
    assert "여러 곳에서" in response.get_data(as_text=True)
    # The same holds for an identifier nobody has, so the lock reveals nothing either.
    for n in range(8):
        response = attempt(app.test_client(), "T77777", "guess", f"203.0.113.{n}")
    assert "여러 곳에서" in attempt(app.test_client(), "T77777", "x", OFFICE).get_data(as_text=True)


def test_an_admin_password_reset_unlocks_every_address(app, make_user, monkeypatch):
    user = make_user(Role.STAFF)
    for _ in range(5):
        attempt(app.test_client(), user.employee_number, "guess", ATTACKER)
    admin = make_user(Role.ADMIN)
    admin_client = app.test_client()
    assert attempt(admin_client, admin.employee_number, PASSWORD, ELSEWHERE).status_code == 302
    token = csrf_token_from(admin_client.get(f"/admin/users/{user.id}/edit").get_data(as_text=True))
    new_password = "Fresh!horse-battery-77"
    response = admin_client.post(
        f"/admin/users/{user.id}/password",
        data={"csrf_token": token, "new_password": new_password},
    )
    assert response.status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(
                select(LoginFailure.id).where(LoginFailure.account_key == f"u:{user.id}")
            )
            is None
        )
    assert (
        attempt(app.test_client(), user.employee_number, new_password, ATTACKER).status_code == 302
    )


def test_an_admin_sees_the_lock_and_lifts_it_without_a_new_password(app, make_user, audit_entries):
    user = make_user(Role.STAFF)
    for _ in range(5):
        attempt(app.test_client(), user.employee_number, "typo", OFFICE)
    admin = make_user(Role.ADMIN)
    admin_client = app.test_client()
    assert attempt(admin_client, admin.employee_number, PASSWORD, ELSEWHERE).status_code == 302
    page = admin_client.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)
    assert "1곳에서만 잠겨 있습니다" in page
    response = admin_client.post(
        f"/admin/users/{user.id}/unlock", data={"csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 302
    assert "잠겨 있지 않습니다" in admin_client.get(f"/admin/users/{user.id}/edit").get_data(
        as_text=True
    )
    assert audit_entries("user.login_unlocked")[-1].target_id == str(user.id)
    # The user, at the same PC, logs in with the password they already had.
    assert attempt(app.test_client(), user.employee_number, PASSWORD, OFFICE).status_code == 302


def test_unlock_without_csrf_token_is_refused(app, make_user, as_role, client):
    user = make_user(Role.STAFF)
    as_role(Role.ADMIN)
    assert client.post(f"/admin/users/{user.id}/unlock").status_code == 400


def test_failure_rows_hold_no_raw_address_or_identifier(app, make_user):
    user = make_user(Role.STAFF)
    attempt(app.test_client(), user.employee_number, "guess", ATTACKER)
    attempt(app.test_client(), "T66666", "guess", ATTACKER)
    with app.app_context():
        rows = db.session.execute(select(LoginFailure.account_key, LoginFailure.source_key)).all()
    stored = " ".join(" ".join(row) for row in rows)
    assert len(rows) == 4  # two accounts, each with its address row and its all-sources row
    for secret in (ATTACKER, user.employee_number, "T66666", "t66666"):
        assert secret not in stored


# --- /login -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/login/"])
def test_login_shortcut_redirects_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code in (301, 302, 308)
    assert response.headers["Location"] == "/auth/login"


def test_login_shortcut_keeps_a_local_next(client):
    response = client.get("/login?next=/me")
    assert response.headers["Location"] == "/auth/login?next=/me"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_login_shortcut_drops_a_foreign_next(client, target):
    response = client.get("/login", query_string={"next": target})
    assert response.headers["Location"] == "/auth/login"


def test_login_shortcut_sends_a_logged_in_user_on(client, auth, make_user):
    auth.login(make_user(Role.STAFF))
    assert client.get("/login").headers["Location"] == "/"
    assert client.get("/login/?next=/me").headers["Location"] == "/me"
