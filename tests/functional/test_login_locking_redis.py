"""Login limits and locks hold across workers, and Redis holds no raw address or identifier.

Two app instances stand in for two gunicorn workers; they share only Redis (rate limits)
and the database (login failures). Runs when TEST_REDIS_URL is set (CI sets it).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest

from portal.auth.passwords import hash_password
from portal.core import clock
from portal.db import db
from portal.migrate import upgrade
from portal.users.models import Role, User
from tests.conftest import PASSWORD, csrf_token_from

REDIS_URL = os.environ.get("TEST_REDIS_URL")

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set")


def _address() -> str:
    # A fresh address per run, so earlier runs' counters in Redis don't interfere.
    return "10." + ".".join(str(b) for b in uuid.uuid4().bytes[:3])


def _attempt(worker, login: str, password: str, address: str):
    client = worker.test_client()
    environ = {"REMOTE_ADDR": address}
    token = csrf_token_from(client.get("/auth/login", environ_base=environ).get_data(as_text=True))
    return client.post(
        "/auth/login",
        data={"login": login, "password": password, "csrf_token": token},
        environ_base=environ,
    )


@pytest.fixture
def workers(make_app, tmp_path):
    # The workers get a database of their own: the suite's is held by the test transaction.
    url = f"sqlite:///{tmp_path / 'workers.db'}"
    upgrade("head", url=url)
    settings = {
        "DATABASE_URL": url,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "LOGIN_RATE_LIMIT_IP": "100 per minute",
        "LOGIN_RATE_LIMIT_ACCOUNT": "100 per minute",
    }
    return make_app(settings), make_app(settings)


def _create_user(worker) -> str:
    number = "R" + uuid.uuid4().hex[:8].upper()
    with worker.app_context(), db.command_transaction() as session:
        session.add(
            User(
                employee_number=number,
                name="김레디스",
                email=f"{number.lower()}@sejong.example.kr",
                role=Role.STAFF,
                grade="행정7급",
                appointed_on=dt.date(2020, 3, 2),
                password_hash=hash_password(PASSWORD),
                created_at=clock.utcnow(),
            )
        )
    return number


def test_per_account_limit_is_shared_by_two_workers(make_app, tmp_path):
    url = f"sqlite:///{tmp_path / 'limit.db'}"
    upgrade("head", url=url)
    settings = {
        "DATABASE_URL": url,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "LOGIN_RATE_LIMIT_ACCOUNT": "4 per minute",
    }
    worker_a, worker_b = make_app(settings), make_app(settings)
    login = "NOBODY" + uuid.uuid4().hex[:8]
    guesser = _address()
    statuses = [
        _attempt(worker_a if n % 2 == 0 else worker_b, login, "x", guesser).status_code
        for n in range(6)
    ]
    # Four attempts on that identifier from that address, through any worker...
    assert statuses == [200, 200, 200, 200, 429, 429]
    # ...while the same identifier from another address is still answered.
    assert _attempt(worker_b, login, "x", _address()).status_code == 200


def test_an_address_lock_holds_on_every_worker_but_not_for_the_real_user(workers):
    worker_a, worker_b = workers
    number = _create_user(worker_a)
    attacker, office = _address(), _address()
    answers = [
        _attempt(worker_a if n % 2 == 0 else worker_b, number, "guess", attacker) for n in range(5)
    ]
    assert ["계정이 잠겼습니다" in r.get_data(as_text=True) for r in answers] == [False] * 4 + [
        True
    ]
    # The other worker refuses that address too, even with the right password...
    refused = _attempt(worker_b, number, PASSWORD, attacker)
    assert "계정이 잠겼습니다" in refused.get_data(as_text=True)
    # ...while the real user, elsewhere, logs in through either worker.
    assert _attempt(worker_a, number, PASSWORD, office).status_code == 302
    assert _attempt(worker_b, number, PASSWORD, office).status_code == 302


def test_redis_keys_hold_no_raw_address_or_identifier(workers):
    import redis

    worker_a, _ = workers
    number = _create_user(worker_a)
    address = _address()
    _attempt(worker_a, number, "guess", address)
    _attempt(worker_a, f"{number.lower()}@sejong.example.kr", "guess", address)
    store = redis.Redis.from_url(REDIS_URL)
    try:
        keys = [key.decode() for key in store.scan_iter(count=1000)]
    finally:
        store.close()
    assert keys, "the limiter wrote nothing to Redis"
    for secret in (address, number, number.lower()):
        assert not [key for key in keys if secret in key]
