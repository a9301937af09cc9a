"""Login failure counts hold under concurrency: two app instances sharing only the database
race through record_attempt. Commits for real, so it uses a database of its own."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.auth import operations
from portal.auth.models import LoginFailure
from portal.core.clock import utcnow
from portal.db import db, set_write_intent
from portal.users.models import User
from tests.conftest import scratch_database

SOURCES = ["203.0.113.1", "203.0.113.2", "203.0.113.3"]


@pytest.fixture(scope="module")
def login_url(tmp_path_factory):
    yield from scratch_database(tmp_path_factory, "logins")


@pytest.fixture(scope="module")
def workers(login_url, tmp_path_factory):
    from portal import create_app

    apps = [
        create_app(
            {"ENV": "testing", "SECRET_KEY": "l" * 40, "DATABASE_URL": login_url},
            instance_path=str(tmp_path_factory.mktemp(f"login-worker-{n}")),
        )
        for n in range(2)
    ]
    yield apps
    for application in apps:
        application.extensions["portal_db"]["engine"].dispose()


def _race(workers, check: operations.PasswordCheck, attempts: int) -> list[str]:
    start = threading.Barrier(attempts)

    def one(n: int) -> str:
        application = workers[n % 2]
        source = SOURCES[n % len(SOURCES)]
        with application.test_request_context(
            "/auth/login", method="POST", environ_base={"REMOTE_ADDR": source}
        ):
            set_write_intent(True)
            start.wait()
            result = operations.record_attempt(check, "wrong", source=source)
            db.session.commit()
            return result.outcome.value

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        return list(pool.map(one, range(attempts)))


def test_parallel_failures_on_one_account_are_all_counted_and_lock_each_source_once(workers):
    first, _ = workers
    with first.app_context():
        set_write_intent(True)
        tag = uuid.uuid4().hex[:6]
        user = User(
            employee_number=f"L{tag}",
            name="잠금시험",
            email=f"lock.{tag}@sejong.example.kr",
            created_at=utcnow(),
        )
        db.session.add(user)
        db.session.commit()
        user_id = user.id

    check = operations.PasswordCheck(user_id, False, operations.user_account_key(user_id))
    outcomes = Counter(_race(workers, check, 24))  # 8 attempts from each of 3 addresses

    # Per address: five failures (the fifth locks), then three refusals.
    assert outcomes == {"bad_credentials": 12, "locked": 12}
    with first.app_context():
        actions = Counter(
            db.session.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.target_type == "user", AuditEntry.target_id == str(user_id)
                )
            )
        )
        assert actions == {"login.failed": 15, "login.refused_locked": 9}
        locked = db.session.scalar(
            select(func.count()).where(
                LoginFailure.account_key == check.account_key,
                LoginFailure.source_key != operations.ALL_SOURCES,
                LoginFailure.locked_until.is_not(None),
            )
        )
        assert locked == 3
        overall = db.session.scalar(
            select(LoginFailure.failures).where(
                LoginFailure.account_key == check.account_key,
                LoginFailure.source_key == operations.ALL_SOURCES,
            )
        )
        assert overall == 15


def test_parallel_failures_on_an_unknown_identifier_are_all_counted(workers):
    first, _ = workers
    with first.test_request_context():
        key = "l:" + uuid.uuid4().hex
    check = operations.PasswordCheck(None, False, key)
    outcomes = _race(workers, check, 12)  # 4 from each address: below every threshold
    assert set(outcomes) == {"bad_credentials"}
    with first.app_context():
        rows = dict(
            db.session.execute(
                select(LoginFailure.source_key, LoginFailure.failures).where(
                    LoginFailure.account_key == key
                )
            ).all()
        )
    assert rows.pop(operations.ALL_SOURCES) == 12
    assert sorted(rows.values()) == [4, 4, 4]
