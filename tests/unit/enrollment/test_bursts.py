"""The capacity invariant under real concurrency, on SQLite and on PostgreSQL.

These tests commit for real, so they run against a database of their own (a fresh
SQLite file, or a scratch PostgreSQL database next to TEST_DATABASE_URL's).
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.db import db, set_write_intent
from portal.enrollment import operations as ops
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.users.models import User
from tests.conftest import build_course, build_session, scratch_database


@pytest.fixture(scope="module")
def burst_url(tmp_path_factory):
    yield from scratch_database(tmp_path_factory, "burst")


@pytest.fixture(scope="module")
def burst_app(burst_url, tmp_path_factory):
    from portal import create_app

    application = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "b" * 40,
            "DATABASE_URL": burst_url,
            "LOG_LEVEL": "WARNING",
        },
        instance_path=str(tmp_path_factory.mktemp("burst-instance")),
    )
    yield application
    application.extensions["portal_db"]["engine"].dispose()


def _setup(app, *, capacity: int, people: int) -> tuple[int, list[int]]:
    with app.app_context():
        set_write_intent(True)
        course = build_course()
        db.session.add(course)
        db.session.flush()
        session = build_session(course.id, capacity=capacity)
        db.session.add(session)
        tag = uuid.uuid4().hex[:6]
        users = [
            User(
                employee_number=f"B{tag}{n:04d}",
                name=f"버스트{n}",
                email=f"burst.{tag}.{n}@sejong.example.kr",
                created_at=session.created_at,
            )
            for n in range(people)
        ]
        db.session.add_all(users)
        db.session.commit()
        return session.id, [u.id for u in users]


def _in_threads(app, jobs, workers: int):
    """Run every job at once: all threads wait on a barrier, then go together."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []
    results = []

    def run(job):
        barrier.wait()
        with app.app_context():
            set_write_intent(True)
            try:
                outcome = job()
                db.session.commit()
                return outcome
            except BaseException as exc:  # noqa: BLE001 - every error is a test failure
                db.session.rollback()
                errors.append(exc)
                return None

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(run, jobs))
    return results, errors


def _count(app, session_id):
    with app.app_context():
        rows = db.session.execute(
            select(Enrollment.status, func.count(Enrollment.id))
            .where(Enrollment.session_id == session_id)
            .group_by(Enrollment.status)
        ).all()
        return Counter({status: n for status, n in rows}), ops.seats_consistent(session_id)


def test_400_attempts_on_150_seats_give_exactly_150_enrolled_and_250_waitlisted(burst_app):
    session_id, user_ids = _setup(burst_app, capacity=150, people=400)

    def attempt(user_id):
        def job():
            user = db.session.get(User, user_id)
            return ops.enrol(session_id, user, ops.Actor(user_id)).outcome

        return job

    results, errors = _in_threads(burst_app, [attempt(u) for u in user_ids], workers=400)
    assert errors == []
    assert Counter(results) == {EnrollmentStatus.ENROLLED: 150, EnrollmentStatus.WAITLISTED: 250}
    counts, consistent = _count(burst_app, session_id)
    assert counts == {EnrollmentStatus.ENROLLED: 150, EnrollmentStatus.WAITLISTED: 250}
    assert consistent
    with burst_app.app_context():
        keys = db.session.scalars(
            select(Enrollment.queue_key).where(Enrollment.session_id == session_id)
        ).all()
    assert len(set(keys)) == 400, "every waitlist place is distinct"


def test_a_cancellation_racing_a_new_enrolment_promotes_the_waitlist_head_exactly_once(burst_app):
    for _round in range(15):
        session_id, (holder, head, second, newcomer) = _setup(burst_app, capacity=1, people=4)
        with burst_app.app_context():
            set_write_intent(True)
            for uid in (holder, head, second):
                ops.enrol(session_id, db.session.get(User, uid), ops.Actor(uid))
                db.session.commit()
            holder_enrollment = db.session.scalar(
                select(Enrollment.id).where(Enrollment.user_id == holder)
            )

        def cancel_job(enrollment_id=holder_enrollment, user_id=holder):
            return ops.cancel(enrollment_id, ops.Actor(user_id))

        def enrol_job(session_id=session_id, user_id=newcomer):
            return ops.enrol(session_id, db.session.get(User, user_id), ops.Actor(user_id)).outcome

        _results, errors = _in_threads(burst_app, [cancel_job, enrol_job], workers=2)
        assert errors == []
        with burst_app.app_context():
            status = dict(
                db.session.execute(
                    select(Enrollment.user_id, Enrollment.status).where(
                        Enrollment.session_id == session_id
                    )
                ).all()
            )
            promotions = db.session.scalar(
                select(func.count(AuditEntry.id)).where(
                    AuditEntry.action == "enrollment.promoted",
                    AuditEntry.target_type == "enrollment",
                    AuditEntry.details["session_id"].as_integer() == session_id,
                )
            )
        assert status[holder] is EnrollmentStatus.CANCELLED
        assert status[head] is EnrollmentStatus.ENROLLED
        assert status[second] is EnrollmentStatus.WAITLISTED
        assert status[newcomer] is EnrollmentStatus.WAITLISTED
        assert promotions == 1
        assert _count(burst_app, session_id)[1]
