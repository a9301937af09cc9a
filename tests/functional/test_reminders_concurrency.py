"""Two `flask reminders send` runs at once send each reminder once.

Commits for real, so it uses a database of its own (SQLite file or a scratch PostgreSQL
database). Four threads run the command's operations on the same due reminders at the same
time; the outbox ends with exactly one mail per person.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from sqlalchemy import func, select

from portal.core import clock
from portal.db import db, set_write_intent
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.notifications.models import OutboxMessage
from portal.reminders import operations as ops
from portal.users.models import Role, User
from tests.conftest import build_course, build_session, scratch_database

PEOPLE = 12
RUNS = 4


@pytest.fixture(scope="module")
def reminders_url(tmp_path_factory):
    yield from scratch_database(tmp_path_factory, "reminders")


@pytest.fixture(scope="module")
def reminders_app(reminders_url, tmp_path_factory):
    from portal import create_app

    application = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "r" * 40,
            "DATABASE_URL": reminders_url,
            "LOG_LEVEL": "CRITICAL",
        },
        instance_path=str(tmp_path_factory.mktemp("reminders-instance")),
    )
    yield application
    application.extensions["portal_db"]["engine"].dispose()


def _setup(app) -> list[int]:
    tag = uuid.uuid4().hex[:6]
    now = clock.utcnow()
    tomorrow_noon = dt.datetime.combine(
        clock.today_in_seoul() + dt.timedelta(days=1), dt.time(12), tzinfo=clock.SEOUL
    )
    with app.app_context():
        set_write_intent(True)
        people = [
            User(
                employee_number=f"C{tag}{n:03d}",
                name=f"동시알림{n}",
                email=f"overlap.{tag}.{n}@sejong.example.kr",
                role=Role.STAFF,
                created_at=now,
            )
            for n in range(PEOPLE)
        ]
        course = build_course()
        db.session.add_all([*people, course])
        db.session.flush()
        session = build_session(course.id, starts_at=tomorrow_noon.astimezone(dt.UTC))
        db.session.add(session)
        db.session.flush()
        for n, user in enumerate(people):
            db.session.add(
                Enrollment(
                    session_id=session.id,
                    user_id=user.id,
                    status=EnrollmentStatus.ENROLLED,
                    queue_key=n + 1,
                    created_at=now,
                    updated_at=now,
                )
            )
        db.session.commit()
        return [user.id for user in people]


def test_overlapping_runs_send_each_reminder_once(reminders_app):
    user_ids = _setup(reminders_app)
    start = threading.Barrier(RUNS)
    errors: list[BaseException] = []
    sent: list[int] = []

    def runner() -> None:
        try:
            with reminders_app.app_context():
                summary = ops.Summary()
                start.wait(timeout=10)
                with db.command_transaction():
                    ops.send_day_before(summary)
                sent.append(summary.day_before)
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=runner) for _ in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sum(sent) == PEOPLE
    with reminders_app.app_context():
        per_person = db.session.execute(
            select(OutboxMessage.user_id, func.count(OutboxMessage.id))
            .where(OutboxMessage.kind == "reminder.session", OutboxMessage.user_id.in_(user_ids))
            .group_by(OutboxMessage.user_id)
        ).all()
    assert sorted(per_person) == sorted((uid, 1) for uid in user_ids)
