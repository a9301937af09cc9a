"""Two transactions adding one person's first approved hours of a year keep both.

Commits for real, so it uses a database of its own (SQLite file or a scratch PostgreSQL
database). The first transaction adds a line and flushes (its yearly sum is refreshed)
but waits before committing; the second adds another line for the same person and year
meanwhile. Once both commit, the person's yearly sum (learning_hours_years, which the
department dashboard reads) holds both lines, as the ledger does.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.attendance.models import HoursEntry, HoursSource, HoursStatus, HoursYear
from portal.core import clock
from portal.db import db, set_write_intent
from portal.users.models import Role, User
from tests.conftest import scratch_database

YEAR = 2026


@pytest.fixture(scope="module")
def ledger_url(tmp_path_factory):
    yield from scratch_database(tmp_path_factory, "ledger")


@pytest.fixture(scope="module")
def ledger_app(ledger_url, tmp_path_factory):
    from portal import create_app

    application = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "l" * 40,
            "DATABASE_URL": ledger_url,
            "LOG_LEVEL": "CRITICAL",
        },
        instance_path=str(tmp_path_factory.mktemp("ledger-instance")),
    )
    yield application
    application.extensions["portal_db"]["engine"].dispose()


def _person(app) -> int:
    with app.app_context():
        set_write_intent(True)
        user = User(
            employee_number=f"L{uuid.uuid4().hex[:8]}",
            name="동시인정",
            email=f"ledger.{uuid.uuid4().hex[:8]}@sejong.example.kr",
            role=Role.STAFF,
            password_hash="!",
            created_at=clock.utcnow(),
        )
        db.session.add(user)
        db.session.commit()
        return user.id


def _line(user_id: int, hours: str, title: str) -> HoursEntry:
    now = clock.utcnow()
    return HoursEntry(
        user_id=user_id,
        year=YEAR,
        source=HoursSource.EXTERNAL,
        status=HoursStatus.APPROVED,
        hours=Decimal(hours),
        title=title,
        completed_on=dt.date(YEAR, 6, 1),
        decided_at=now,
        created_at=now,
    )


def test_two_transactions_adding_a_persons_first_hours_of_a_year_keep_both(ledger_app):
    user_id = _person(ledger_app)
    flushed, release = threading.Event(), threading.Event()
    second_done = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with ledger_app.app_context():
                set_write_intent(True)
                db.session.add(_line(user_id, "3.0", "첫 번째 외부 교육"))
                db.session.flush()  # the yearly sum is refreshed here, not yet committed
                flushed.set()
                release.wait(10)
                db.session.commit()
        except BaseException as error:  # reported below
            errors.append(error)
            flushed.set()

    def second() -> None:
        try:
            with ledger_app.app_context():
                set_write_intent(True)
                db.session.add(_line(user_id, "5.0", "두 번째 외부 교육"))
                db.session.commit()
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            second_done.set()

    one = threading.Thread(target=first)
    one.start()
    assert flushed.wait(10)
    two = threading.Thread(target=second)
    two.start()
    # The second waits for the first: it cannot finish while the first is open.
    time.sleep(0.5)
    assert not second_done.is_set()
    release.set()
    one.join(15)
    two.join(15)
    assert not errors, errors
    with ledger_app.app_context():
        lines = db.session.scalars(select(HoursEntry.hours).where(HoursEntry.user_id == user_id))
        assert sorted(lines) == [Decimal("3.0"), Decimal("5.0")]
        assert db.session.get(HoursYear, (user_id, YEAR)).approved == Decimal("8.0")
