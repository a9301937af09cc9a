"""Quotas hold across workers: two app instances, sharing only the database, race for the
last messages of a user's day. Commits for real, so it uses a database of its own."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from portal.assistant.manage import operations
from portal.assistant.models import UsageCounter
from portal.assistant.workspace import quotas
from portal.core.clock import utcnow
from portal.db import db, set_write_intent
from portal.users.models import User
from tests.conftest import scratch_database


@pytest.fixture(scope="module")
def quota_url(tmp_path_factory):
    yield from scratch_database(tmp_path_factory, "quota")


@pytest.fixture(scope="module")
def workers(quota_url, tmp_path_factory):
    """Two separately built apps: two engines and pools, as two gunicorn workers have."""
    from portal import create_app

    apps = [
        create_app(
            {"ENV": "testing", "SECRET_KEY": "q" * 40, "DATABASE_URL": quota_url},
            instance_path=str(tmp_path_factory.mktemp(f"quota-worker-{n}")),
        )
        for n in range(2)
    ]
    yield apps
    for application in apps:
        application.extensions["portal_db"]["engine"].dispose()


def test_the_daily_limit_holds_across_two_workers(workers):
    first, second = workers
    limit = 7
    with first.app_context():
        set_write_intent(True)
        tag = uuid.uuid4().hex[:6]
        user = User(
            employee_number=f"Q{tag}",
            name="한도시험",
            email=f"quota.{tag}@sejong.example.kr",
            created_at=utcnow(),
        )
        db.session.add(user)
        operations.set_limits(quotas.DEFAULT_LIMITS | {"daily_messages": limit})
        db.session.commit()
        user_id = user.id

    start = threading.Barrier(24)

    def attempt(n: int) -> bool:
        application = workers[n % 2]
        with application.app_context():
            set_write_intent(True)
            start.wait()
            try:
                quotas.reserve_message(user_id, None)
            except quotas.QuotaExceeded:
                db.session.rollback()
                return False
            db.session.commit()
            return True

    with ThreadPoolExecutor(max_workers=24) as pool:
        results = list(pool.map(attempt, range(24)))

    assert sum(results) == limit
    with second.app_context():
        counter = db.session.scalar(
            select(UsageCounter).where(
                UsageCounter.scope == quotas.USER_DAY, UsageCounter.subject_id == user_id
            )
        )
        assert counter.messages == limit
