"""One rule for showing hours: whole hours without ".0" (4시간), others with one decimal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.attendance.models import HoursEntry, HoursSource, HoursStatus
from portal.core import clock
from portal.core.templating import hours_text
from portal.db import db
from portal.notifications.models import Notification
from portal.users.models import Role
from tests.conftest import Auth


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (4, "4"),
        (Decimal("4.0"), "4"),
        (Decimal("36.00"), "36"),
        (Decimal("100"), "100"),
        (Decimal("7.5"), "7.5"),
        (Decimal("7.50"), "7.5"),
        (Decimal("7.75"), "7.8"),  # half up, to one decimal
        (Decimal("0.25"), "0.3"),
        (Decimal("0.04"), "0"),
        (Decimal("0"), "0"),
        (None, "0"),
        ("3.0", "3"),
    ],
)
def test_hours_text_drops_a_needless_zero_and_keeps_one_decimal(value, shown):
    assert hours_text(value) == shown


def _entry(app, user_id: int, hours: str, status: HoursStatus, title: str) -> int:
    with app.app_context():
        entry = HoursEntry(
            user_id=user_id,
            year=2026,
            source=HoursSource.EXTERNAL,
            status=status,
            hours=Decimal(hours),
            title=title,
            provider="나라배움터",
            completed_on=dt.date(2026, 6, 1),
            created_at=clock.utcnow(),
        )
        db.session.add(entry)
        db.session.commit()
        return entry.id


def test_learning_hours_pages_and_notices_show_whole_hours_without_a_decimal(
    app, client, auth, as_role, make_user
):
    me = as_role(Role.STAFF)
    _entry(app, me.id, "4.0", HoursStatus.APPROVED, "외부 교육 하나")
    _entry(app, me.id, "2.5", HoursStatus.PENDING, "외부 교육 둘")
    pending = _entry(app, me.id, "3.0", HoursStatus.PENDING, "외부 교육 셋")

    mine = client.get("/hours/?year=2026").get_data(as_text=True)
    assert "4시간" in mine and "2.5시간" in mine and "3시간" in mine
    assert "인정 4시간" in mine and "승인 대기 5.5시간" in mine
    assert ".0시간" not in mine

    auth.logout()
    as_role(Role.COORDINATOR)
    queue = client.get("/hours/review").get_data(as_text=True)
    assert "3시간" in queue and ".0시간" not in queue
    detail = client.get(f"/hours/review/{pending}").get_data(as_text=True)
    assert "3시간" in detail and ".0시간" not in detail
    token = Auth(client).csrf(f"/hours/review/{pending}")
    decided = client.post(
        f"/hours/review/{pending}/decide",
        data={"csrf_token": token, "decision": "approve", "reason": ""},
    )
    assert decided.status_code == 302
    with app.app_context():
        body = db.session.scalars(
            select(Notification.body).where(Notification.user_id == me.id)
        ).one()
    assert "3시간이 더해졌습니다" in body and "3.0" not in body


def test_the_completion_notice_and_the_catalogue_follow_the_same_rule(
    app, client, as_role, make_course, make_session
):
    from portal.attendance.completion import completed_message
    from portal.catalog.models import Course
    from portal.scheduling.models import TrainingSession

    course = make_course(title="시간 표시 과정", recognised_hours=Decimal("4.0"))
    session = make_session(course_id=course.id)
    with app.test_request_context():
        message = completed_message(
            db.session.get(TrainingSession, session.id), db.session.get(Course, course.id)
        )
    assert "인정 시간 4시간" in str(message.body)
    as_role(Role.STAFF)
    catalogue = client.get("/courses/").get_data(as_text=True)
    assert "4시간" in catalogue and "4.0시간" not in catalogue
