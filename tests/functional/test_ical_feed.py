"""The private iCal feed: a regenerable token that reads one calendar and nothing else."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from sqlalchemy import func, select

from portal.auth.models import LoginSession
from portal.core import clock
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.users.models import User
from tests.conftest import Auth

FEED_URL = re.compile(r">(http://localhost(/calendar/[A-Za-z0-9_-]+\.ics))</code>")


def _client_for(app, user):
    client = app.test_client()
    assert Auth(client).login(user).status_code == 302
    return client


def _regenerate(client) -> tuple[str, str]:
    """Ask for a new feed URL; returns (full URL, path)."""
    token = Auth(client).csrf("/my/calendar")
    response = client.post("/my/calendar/regenerate", data={"csrf_token": token})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    match = FEED_URL.search(response.get_data(as_text=True))
    assert match, "the new feed URL is shown once"
    return match.group(1), match.group(2)


def _add(app, session_id: int, user_id: int, status: EnrollmentStatus) -> None:
    now = clock.utcnow()
    with app.app_context():
        db.session.add(
            Enrollment(
                session_id=session_id,
                user_id=user_id,
                status=status,
                queue_key=1,
                created_at=now,
                updated_at=now,
            )
        )
        db.session.commit()


def test_calendar_page_explains_the_feed_before_a_url_exists(app, make_user):
    client = _client_for(app, make_user())
    html = client.get("/my/calendar").get_data(as_text=True)
    assert "아직 구독 주소가 없습니다" in html
    assert "이 캘린더(내 교육 일정)만 볼 수 있습니다" in html


def test_regenerating_shows_the_url_once_and_stores_only_its_hash(app, make_user, audit_entries):
    staff = make_user()
    client = _client_for(app, staff)

    url, path = _regenerate(client)

    token = path.removeprefix("/calendar/").removesuffix(".ics")
    assert len(token) >= 43
    with app.app_context():
        stored = db.session.get(User, staff.id).ical_token_hash
    [audited] = audit_entries("ical.token_regenerated", target_id=staff.id)
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored
    assert token not in str(audited.details)
    later = client.get("/my/calendar").get_data(as_text=True)
    assert token not in later
    assert "이미 발급되어 있습니다" in later


def test_the_feed_lists_enrolled_and_waitlisted_sessions_as_text_calendar(
    app, make_user, make_course, make_session
):
    staff = make_user()
    course = make_course(title="공공데이터 이해와 챗GPT 활용방안")
    now = clock.utcnow()
    enrolled = make_session(course_id=course.id, starts_at=now + dt.timedelta(days=3))
    waiting = make_session(course_id=course.id, starts_at=now + dt.timedelta(days=5))
    cancelled = make_session(course_id=course.id, starts_at=now + dt.timedelta(days=6))
    long_ago = make_session(course_id=course.id, starts_at=now - dt.timedelta(days=120))
    recent = make_session(course_id=course.id, starts_at=now - dt.timedelta(days=20))
    _add(app, enrolled.id, staff.id, EnrollmentStatus.ENROLLED)
    _add(app, waiting.id, staff.id, EnrollmentStatus.WAITLISTED)
    _add(app, cancelled.id, staff.id, EnrollmentStatus.CANCELLED)
    _add(app, long_ago.id, staff.id, EnrollmentStatus.ENROLLED)
    _add(app, recent.id, staff.id, EnrollmentStatus.ENROLLED)
    _, path = _regenerate(_client_for(app, staff))

    response = app.test_client().get(path)

    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    uids = set(re.findall(r"UID:training-session-(\d+)@", body))
    assert uids == {str(enrolled.id), str(waiting.id), str(recent.id)}
    assert "[대기]" in body
    assert "공공데이터 이해와 챗GPT 활용방안" in body


def test_a_new_url_replaces_the_old_one_at_once(app, make_user, make_session):
    staff = make_user()
    session = make_session()
    _add(app, session.id, staff.id, EnrollmentStatus.ENROLLED)
    client = _client_for(app, staff)
    _, old = _regenerate(client)
    _, new = _regenerate(client)
    reader = app.test_client()

    assert reader.get(old).status_code == 404
    fresh = reader.get(new)
    assert fresh.status_code == 200
    assert fresh.mimetype == "text/calendar"
    assert f"training-session-{session.id}@" in fresh.get_data(as_text=True)


def test_the_feed_never_logs_anyone_in(app, make_user, make_session):
    staff = make_user()
    _add(app, make_session().id, staff.id, EnrollmentStatus.ENROLLED)
    _, path = _regenerate(_client_for(app, staff))
    with app.app_context():
        sessions_before = db.session.scalar(
            select(func.count(LoginSession.id)).where(LoginSession.user_id == staff.id)
        )
    reader = app.test_client()

    response = reader.get(path)

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    for page in ("/my/learning", "/my/calendar", "/me"):
        followed = reader.get(page)
        assert followed.status_code == 302 and "/auth/login" in followed.headers["Location"]
    with app.app_context():
        sessions_after = db.session.scalar(
            select(func.count(LoginSession.id)).where(LoginSession.user_id == staff.id)
        )
    assert sessions_after == sessions_before


def test_unknown_or_malformed_tokens_are_not_found(client):
    assert client.get("/calendar/" + "A" * 43 + ".ics").status_code == 404
    assert client.get("/calendar/short.ics").status_code == 404
    assert client.get("/calendar/bad$chars-" + "x" * 40 + ".ics").status_code == 404


def test_a_deactivated_users_feed_stops_working(app, make_user, make_session):
    staff = make_user()
    _, path = _regenerate(_client_for(app, staff))
    with app.app_context():
        db.session.get(User, staff.id).is_active = False
        db.session.commit()
    assert app.test_client().get(path).status_code == 404


def test_regenerating_without_a_csrf_token_changes_nothing(app, make_user):
    staff = make_user()
    client = _client_for(app, staff)

    response = client.post("/my/calendar/regenerate", data={})

    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(User, staff.id).ical_token_hash is None
