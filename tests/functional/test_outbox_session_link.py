"""Every mail about a training session carries the session, so its coordinators can see it.

The outbox row's ``session_id`` is what the session mail page (/manage/sessions/<id>/mail)
and the coordinator home's failed-mail list read; mail about nothing in particular (an
idea, an hours decision) carries none.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.attendance.completion import completed_message
from portal.attendance.models import Completion, CompletionStatus
from portal.catalog.models import Course
from portal.certificates import operations as certificates
from portal.core import clock
from portal.db import db
from portal.enrollment import messages, roster_operations, session_operations
from portal.enrollment import operations as ops
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.notifications.models import OutboxMessage
from portal.notifications.operations import notify
from portal.scheduling.models import TrainingSession
from portal.users.models import Role, User


def _mail(user_id: int) -> list[tuple[str, int | None]]:
    rows = db.session.execute(
        select(OutboxMessage.kind, OutboxMessage.session_id)
        .where(OutboxMessage.user_id == user_id)
        .order_by(OutboxMessage.id)
    )
    return [(kind, session_id) for kind, session_id in rows]


def test_enrolment_mail_names_its_session(app, make_user, make_session):
    coordinator = make_user(Role.COORDINATOR)
    first, second = make_user(), make_user()
    session = make_session(capacity=1)
    with app.app_context():
        ops.enrol(session.id, db.session.get(User, first.id), ops.Actor(first.id))
        ops.enrol(session.id, db.session.get(User, second.id), ops.Actor(second.id))
        placed = db.session.scalar(
            select(Enrollment.id).where(
                Enrollment.session_id == session.id, Enrollment.user_id == first.id
            )
        )
        # Removing the first frees the seat: the second is promoted from the waitlist.
        roster_operations.remove(session.id, placed, coordinator.id)
        db.session.flush()
        assert _mail(first.id) == [
            ("enrollment.confirmed", session.id),
            ("enrollment.removed", session.id),
        ]
        assert _mail(second.id) == [
            ("enrollment.waitlisted", session.id),
            ("enrollment.promoted", session.id),
        ]


def test_a_declined_request_names_its_session(app, make_user, make_session, department):
    head = make_user(Role.STAFF, department_id=department.id, is_department_head=True)
    staff = make_user(Role.STAFF, department_id=department.id)
    session = make_session()
    with app.app_context():
        now = clock.utcnow()
        request = Enrollment(
            session_id=session.id,
            user_id=staff.id,
            status=EnrollmentStatus.REQUESTED,
            queue_key=1,
            created_at=now,
            updated_at=now,
        )
        db.session.add(request)
        db.session.flush()
        ops.decide(request.id, False, ops.Actor(head.id))
        assert _mail(staff.id) == [("enrollment.declined", session.id)]


def test_a_cancelled_session_mails_everyone_with_the_session(app, make_user, make_session):
    staff = make_user()
    session = make_session()
    other = make_session(starts_at=clock.utcnow() + dt.timedelta(days=9))
    with app.app_context():
        ops.enrol(session.id, db.session.get(User, staff.id), ops.Actor(staff.id))
        ops.enrol(other.id, db.session.get(User, staff.id), ops.Actor(staff.id))
        session_operations.cancel_session(session.id, "강사 사정")
        assert _mail(staff.id) == [
            ("enrollment.confirmed", session.id),
            ("enrollment.confirmed", other.id),
            ("session.cancelled", session.id),
        ]


def test_completion_and_certificate_mail_name_their_session(app, make_user, make_session):
    staff = make_user()
    session = make_session(starts_at=clock.utcnow() - dt.timedelta(days=2))
    with app.app_context():
        stored = db.session.get(TrainingSession, session.id)
        course = db.session.get(Course, session.course_id)
        user = db.session.get(User, staff.id)
        notify(user, lambda: completed_message(stored, course))
        now = clock.utcnow()
        completion = Completion(
            session_id=session.id,
            user_id=staff.id,
            course_id=session.course_id,
            status=CompletionStatus.COMPLETED,
            attended_hours=Decimal("3.00"),
            scheduled_hours=Decimal("3.00"),
            exercise_met=True,
            survey_met=True,
            hours_awarded=Decimal("3.0"),
            completed_at=now,
            evaluated_at=now,
        )
        db.session.add(completion)
        db.session.flush()
        certificates.issue(completion)
        assert _mail(staff.id) == [
            ("completion.completed", session.id),
            ("certificate.issued", session.id),
        ]


def test_a_changed_session_mails_with_the_session(app, make_user, make_session):
    staff = make_user()
    session = make_session()
    with app.app_context():
        stored = db.session.scalars(
            select(TrainingSession)
            .options(joinedload(TrainingSession.course))
            .where(TrainingSession.id == session.id)
        ).one()
        notify(
            db.session.get(User, staff.id),
            lambda: messages.session_changed(stored, holds_seat=True),
        )
        assert _mail(staff.id) == [("session.changed", session.id)]
