"""Certificate numbers under real concurrency, on SQLite and on PostgreSQL.

Many requests issue at once, some of them for the same completion twice: every completion
gets exactly one certificate, every number is unique, and the year's serials run without
a gap. These tests commit for real, on a database of their own.
"""

from __future__ import annotations

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.attendance.models import Completion, CompletionStatus
from portal.certificates import operations as ops
from portal.certificates.models import Certificate
from portal.core import clock
from portal.db import db, set_write_intent
from portal.users.models import User
from tests.conftest import build_course, build_session, scratch_database

PEOPLE = 12
DUPLICATES = 4


@pytest.fixture(scope="module")
def race_url(tmp_path_factory):
    yield from scratch_database(tmp_path_factory, "certrace")


@pytest.fixture(scope="module")
def race_app(race_url, tmp_path_factory):
    from portal import create_app

    application = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "c" * 40,
            "DATABASE_URL": race_url,
            "LOG_LEVEL": "WARNING",
            "DATABASE_POOL_SIZE": PEOPLE + DUPLICATES,
        },
        instance_path=str(tmp_path_factory.mktemp("certrace-instance")),
    )
    yield application
    application.extensions["portal_db"]["engine"].dispose()


def _setup(app) -> list[int]:
    with app.app_context():
        set_write_intent(True)
        course = build_course()
        db.session.add(course)
        db.session.flush()
        session = build_session(course.id)
        db.session.add(session)
        db.session.flush()
        tag = uuid.uuid4().hex[:6]
        ids = []
        for n in range(PEOPLE):
            user = User(
                employee_number=f"C{tag}{n:03d}",
                name=f"동시발급{n}",
                email=f"race.{tag}.{n}@sejong.example.kr",
                created_at=clock.utcnow(),
            )
            db.session.add(user)
            db.session.flush()
            completion = Completion(
                session_id=session.id,
                user_id=user.id,
                course_id=course.id,
                status=CompletionStatus.COMPLETED,
                attended_hours=Decimal(3),
                scheduled_hours=Decimal(3),
                hours_awarded=Decimal("3.0"),
                completed_at=clock.utcnow(),
                evaluated_at=clock.utcnow(),
            )
            db.session.add(completion)
            db.session.flush()
            ids.append(completion.id)
        db.session.commit()
        return ids


def test_concurrent_issues_give_one_certificate_each_and_gapless_serials(race_app):
    completion_ids = _setup(race_app)
    jobs = completion_ids + completion_ids[:DUPLICATES]
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(completion_id: int):
        barrier.wait()
        with race_app.test_request_context():
            set_write_intent(True)
            try:
                certificate = ops.issue(db.session.get(Completion, completion_id))
                number = certificate.number
                db.session.commit()
                return completion_id, number
            except BaseException as exc:  # noqa: BLE001 - every error is a test failure
                db.session.rollback()
                errors.append(exc)
                return None

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(run, jobs))

    assert errors == []
    by_completion: dict[int, set[str]] = {}
    for completion_id, number in results:
        by_completion.setdefault(completion_id, set()).add(number)
    # The duplicate requests got the same certificate as the first.
    assert all(len(numbers) == 1 for numbers in by_completion.values())
    with race_app.app_context():
        rows = db.session.scalars(
            select(Certificate).where(Certificate.completion_id.in_(completion_ids))
        ).all()
    assert len(rows) == PEOPLE
    serials = sorted(int(re.match(r".*-(\d{6})-[0-9A-Z]{4}$", r.number).group(1)) for r in rows)
    assert serials == list(range(serials[0], serials[0] + PEOPLE))
