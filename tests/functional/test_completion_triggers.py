"""What re-evaluates completion outside the 수료 판정 button (an attendance mark corrected
after the session ended, the survey answer a course requires), and the certificate that
follows a completion in and out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.attendance import completion
from portal.attendance.models import (
    AttendanceMark,
    AttendanceStatus,
    Completion,
    CompletionStatus,
    HoursEntry,
    MarkSource,
)
from portal.certificates.models import Certificate
from portal.core import clock
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.users.models import Role
from tests.conftest import Auth

QUESTIONS = [
    {"key": "content", "text": "교육 내용에 만족하셨습니까?", "text_en": "Content?"},
    {"key": "usefulness", "text": "업무에 활용할 수 있겠습니까?", "text_en": "Useful?"},
]


def _yesterday_session(make_session, course_id: int, instructor_id: int | None = None):
    day = clock.today_in_seoul() - dt.timedelta(days=1)
    starts = dt.datetime.combine(day, dt.time(9), clock.SEOUL).astimezone(dt.UTC)
    return (
        make_session(
            course_id=course_id,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=4),
            instructor_id=instructor_id,
        ),
        day,
    )


def _enrol_and_mark(app, session_id: int, user_id: int, day: dt.date, status) -> None:
    with app.app_context():
        now = clock.utcnow()
        db.session.add(
            Enrollment(
                session_id=session_id,
                user_id=user_id,
                status=EnrollmentStatus.ENROLLED,
                queue_key=1,
                created_at=now,
                updated_at=now,
            )
        )
        db.session.add(
            AttendanceMark(
                session_id=session_id,
                user_id=user_id,
                day=day,
                status=status,
                source=MarkSource.ROSTER,
                marked_at=now,
            )
        )
        db.session.flush()
        completion.refresh(session_id, notify_learners=False)
        db.session.commit()


def _certificate(app, session_id: int, user_id: int) -> tuple[str, bool] | None:
    """(number, revoked) of the person's certificate for the session, or None."""
    with app.app_context():
        found = db.session.scalar(
            select(Certificate).where(
                Certificate.session_id == session_id, Certificate.user_id == user_id
            )
        )
        return None if found is None else (found.number, found.revoked_at is not None)


def _outcome(app, session_id: int, user_id: int):
    with app.app_context():
        row = db.session.scalar(
            select(Completion).where(
                Completion.session_id == session_id, Completion.user_id == user_id
            )
        )
        hours = db.session.scalars(select(HoursEntry).where(HoursEntry.user_id == user_id)).all()
        return row.status, [h.hours for h in hours]


@pytest.fixture
def login(app):
    def as_user(user):
        client = app.test_client()
        assert Auth(client).login(user).status_code == 302
        return client

    return as_user


def test_answering_a_required_survey_completes_the_person(
    app, make_user, make_course, make_session, login
):
    course = make_course(
        survey_questions=QUESTIONS, requires_survey=True, recognised_hours=Decimal("4.0")
    )
    me = make_user(Role.STAFF)
    session, day = _yesterday_session(make_session, course.id)
    _enrol_and_mark(app, session.id, me.id, day, AttendanceStatus.PRESENT)
    assert _outcome(app, session.id, me.id) == (CompletionStatus.PENDING, [])
    assert _certificate(app, session.id, me.id) is None

    client = login(me)
    token = Auth(client).csrf(f"/my/surveys/{session.id}")
    response = client.post(
        f"/my/surveys/{session.id}",
        data={"csrf_token": token, "q_content": "5", "q_usefulness": "4", "comment": ""},
    )
    assert response.status_code in (200, 302)
    assert _outcome(app, session.id, me.id) == (CompletionStatus.COMPLETED, [Decimal("4.0")])
    number, revoked = _certificate(app, session.id, me.id)
    assert number and not revoked


def test_an_attendance_correction_after_the_session_withdraws_the_completion(
    app, make_user, make_course, make_session, login
):
    course = make_course(recognised_hours=Decimal("4.0"))
    teacher = make_user(Role.INSTRUCTOR)
    learner = make_user(Role.STAFF)
    session, day = _yesterday_session(make_session, course.id, instructor_id=teacher.id)
    _enrol_and_mark(app, session.id, learner.id, day, AttendanceStatus.PRESENT)
    assert _outcome(app, session.id, learner.id) == (CompletionStatus.COMPLETED, [Decimal("4.0")])
    number, revoked = _certificate(app, session.id, learner.id)
    assert not revoked

    client = login(teacher)
    path = f"/attendance/sessions/{session.id}"
    token = Auth(client).csrf(f"{path}?day={day.isoformat()}")
    response = client.post(
        f"{path}/mark",
        data={
            "csrf_token": token,
            "day": day.isoformat(),
            "user_id": str(learner.id),
            "status": AttendanceStatus.ABSENT.value,
            "version": "1",
            "reason": "출석부 서명 없음 확인",
        },
    )
    assert response.status_code == 302
    assert _outcome(app, session.id, learner.id) == (CompletionStatus.NOT_COMPLETED, [])
    # The certificate is withdrawn, its number kept for the verification page.
    assert _certificate(app, session.id, learner.id) == (number, True)
