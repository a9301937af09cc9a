"""The coordinator's home is a working overview (issue 11, DESIGN.md §3.F).

Sessions in the next two weeks with fill and waitlist, approvals waiting, every overdue
new appointee (paginated, linked to the mandatory-training page) and failed mail (linked to
the session's mail page); admins see the same plus every failed message. Each block is an
aggregate query: the statement count does not grow with the data.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal

import pytest

from portal.attendance.models import (
    Completion,
    CompletionStatus,
    HoursEntry,
    HoursSource,
    HoursStatus,
)
from portal.core import clock
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.notifications.models import OutboxMessage, OutboxStatus
from portal.org.models import Department, DepartmentKind
from portal.scheduling.models import SessionStatus
from portal.users.models import Role

_n = itertools.count(1)


@pytest.fixture
def org(app):
    with app.app_context():
        n = next(_n)
        bureau = Department(code=f"HB{n:03d}", name=f"홈기획국{n}", kind=DepartmentKind.BUREAU)
        db.session.add(bureau)
        db.session.flush()
        north = Department(
            code=f"HN{n:03d}", name=f"북부과{n}", kind=DepartmentKind.DIVISION, parent_id=bureau.id
        )
        south = Department(code=f"HS{n:03d}", name=f"남부과{n}", kind=DepartmentKind.DIVISION)
        db.session.add_all([north, south])
        db.session.commit()
        return {"bureau": bureau.id, "north": north.id, "south": south.id}


def _enrol(app, session_id, user, status):
    with app.app_context():
        now = clock.utcnow()
        db.session.add(
            Enrollment(
                session_id=session_id,
                user_id=user.id,
                status=status,
                queue_key=next(_n),
                created_at=now,
                updated_at=now,
            )
        )
        db.session.commit()


def _failed_mail(app, session_id, user):
    with app.app_context():
        now = clock.utcnow()
        db.session.add(
            OutboxMessage(
                user_id=user.id,
                session_id=session_id,
                kind="reminder.session",
                to_address=user.email,
                subject="내일 교육이 있습니다",
                body_text="본문",
                status=OutboxStatus.FAILED,
                attempts=5,
                last_error="SMTPRecipientsRefused 550",
                next_attempt_at=now,
                created_at=now,
            )
        )
        db.session.commit()


def _home(client, **args) -> str:
    response = client.get("/", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_sessions_in_the_next_two_weeks_show_fill_and_waitlist(
    app, client, as_role, make_session, make_user
):
    as_role(Role.COORDINATOR)
    soon = make_session(starts_at=clock.utcnow() + dt.timedelta(days=3), capacity=10, seats_taken=4)
    later = make_session(starts_at=clock.utcnow() + dt.timedelta(days=20))
    cancelled = make_session(
        starts_at=clock.utcnow() + dt.timedelta(days=2), status=SessionStatus.CANCELLED
    )
    for _ in range(2):
        _enrol(app, soon.id, make_user(), EnrollmentStatus.WAITLISTED)
    _enrol(app, soon.id, make_user(), EnrollmentStatus.REQUESTED)

    block = _section(_home(client), "overview-sessions")
    assert f"/manage/sessions/{soon.id}/roster" in block
    assert "4/10명" in block and "(40%)" in block
    row = block[block.index(f"/manage/sessions/{soon.id}/roster") :]
    row = row[: row.index("</tr>")]
    assert re.findall(r">(\d+)명<", row) == ["2", "1"], "waitlist, then awaiting approval"
    assert f"/manage/sessions/{later.id}/roster" not in block
    assert f"/manage/sessions/{cancelled.id}/roster" not in block


def test_approvals_waiting_are_counted_and_linked(app, client, as_role, make_session, make_user):
    as_role(Role.COORDINATOR)
    session = make_session()
    past = make_session(starts_at=clock.utcnow() - dt.timedelta(days=3))
    for _ in range(2):
        _enrol(app, session.id, make_user(), EnrollmentStatus.REQUESTED)
    _enrol(app, past.id, make_user(), EnrollmentStatus.REQUESTED)  # too late to matter
    with app.app_context():
        for status in (HoursStatus.PENDING, HoursStatus.PENDING, HoursStatus.APPROVED):
            db.session.add(
                HoursEntry(
                    user_id=make_user().id,
                    year=2026,
                    source=HoursSource.EXTERNAL,
                    status=status,
                    hours=Decimal("2.0"),
                    title="외부 교육",
                    completed_on=dt.date(2026, 5, 1),
                    created_at=clock.utcnow(),
                )
            )
        db.session.commit()
    block = _section(_home(client), "overview-approvals")
    assert "외부 교육 시간 인정 신청: 2건" in block
    assert 'href="/hours/review"' in block
    assert "부서장 승인을 기다리는 수강 신청: 2건" in block


def _mandatory_course(make_course, days=30):
    return make_course(
        title="신규자 필수 과정", is_mandatory_for_new=True, mandatory_within_days=days
    )


def test_every_overdue_appointee_is_listed_page_by_page_and_linked_to_the_mandatory_page(
    app, client, as_role, make_user, make_course, make_session, org
):
    as_role(Role.COORDINATOR)
    course = _mandatory_course(make_course)
    appointed = clock.today_in_seoul() - dt.timedelta(days=60)
    overdue = [
        make_user(
            name=f"기한지남{i:02d}",
            appointed_on=appointed + dt.timedelta(days=i % 3),
            department_id=org["north"] if i % 2 else org["south"],
        )
        for i in range(23)
    ]
    done = make_user(name="수료한사람", appointed_on=appointed, department_id=org["north"])
    make_user(name="아직기한안됨", appointed_on=clock.today_in_seoul(), department_id=org["north"])
    session = make_session(course_id=course.id, starts_at=clock.utcnow() - dt.timedelta(days=9))
    with app.app_context():
        now = clock.utcnow()
        db.session.add(
            Completion(
                session_id=session.id,
                user_id=done.id,
                course_id=course.id,
                status=CompletionStatus.COMPLETED,
                attended_hours=Decimal("3.00"),
                scheduled_hours=Decimal("3.00"),
                exercise_met=True,
                survey_met=True,
                hours_awarded=Decimal("3.0"),
                completed_at=now,
                evaluated_at=now,
            )
        )
        db.session.commit()

    first = _section(_home(client), "overview-overdue")
    second = _section(_home(client, overdue_page=2), "overview-overdue")
    assert "(23명)" in first
    listed = re.findall(r"기한지남\d\d", first) + re.findall(r"기한지남\d\d", second)
    assert sorted(listed) == sorted(u.name for u in overdue)
    assert len(re.findall(r"기한지남\d\d", first)) == 20
    assert "수료한사람" not in first + second and "아직기한안됨" not in first + second
    due = (appointed + dt.timedelta(days=30)).isoformat()
    assert due in first
    assert (
        f"/manage/mandatory/?course={course.id}&amp;department={org['north']}&amp;sub=0&amp;tab=overdue"
        in first
    )
    assert "overdue_page=2" in first


def test_a_scoped_coordinator_sees_only_their_departments_people_and_mail(
    app, client, as_role, make_user, make_course, make_session, org, monkeypatch
):
    monkeypatch.setitem(app.config, "COORDINATOR_DEPARTMENT_SCOPE", True)
    as_role(Role.COORDINATOR, department_id=org["bureau"])
    _mandatory_course(make_course)
    appointed = clock.today_in_seoul() - dt.timedelta(days=60)
    north = make_user(name="북부사람", appointed_on=appointed, department_id=org["north"])
    south = make_user(name="남부사람", appointed_on=appointed, department_id=org["south"])
    ours, theirs = make_session(), make_session()
    _failed_mail(app, ours.id, north)
    _failed_mail(app, theirs.id, south)
    html = _home(client)
    block = _section(html, "overview-overdue")
    assert "북부사람" in block and "남부사람" not in block
    failed = _section(html, "overview-failed")
    assert f"/manage/sessions/{ours.id}/mail" in failed
    assert f"/manage/sessions/{theirs.id}/mail" not in failed


def test_failed_mail_links_to_the_session_mail_page(
    app, client, as_role, make_user, make_session, auth
):
    coordinator = make_user(Role.COORDINATOR)
    auth.login(coordinator)
    session = make_session()
    for _ in range(3):
        _failed_mail(app, session.id, make_user())
    block = _section(_home(client), "overview-failed")
    assert f"/manage/sessions/{session.id}/mail" in block
    assert "실패 3건" in block
    assert "/admin/outbox" not in block, "the outbox is for admins"

    auth.logout()
    as_role(Role.ADMIN)
    with app.app_context():
        now = clock.utcnow()
        db.session.add(
            OutboxMessage(
                kind="idea.outcome",
                to_address="x@sejong.example.kr",
                subject="s",
                body_text="b",
                status=OutboxStatus.FAILED,
                next_attempt_at=now,
                created_at=now,
            )
        )
        db.session.commit()
    html = _home(client)
    block = _section(html, "overview-failed")
    assert f"/manage/sessions/{session.id}/mail" in block
    assert "/admin/outbox/?status=failed" in block
    assert "실패한 메일 전체 보기 (4건)" in block
    assert "최근 감사 기록" in html, "the admin home keeps its own blocks"


def _grow(app, make_user, make_session, course, org, n):
    appointed = clock.today_in_seoul() - dt.timedelta(days=60)
    for _ in range(n):
        session = make_session(starts_at=clock.utcnow() + dt.timedelta(days=2 + n % 10))
        user = make_user(appointed_on=appointed, department_id=org["north"])
        _enrol(app, session.id, make_user(), EnrollmentStatus.WAITLISTED)
        _failed_mail(app, session.id, user)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_the_home_page_costs_the_same_statements_whatever_the_data(
    app, client, as_role, make_user, make_session, make_course, org, count_statements, role
):
    as_role(role)
    course = _mandatory_course(make_course)
    _grow(app, make_user, make_session, course, org, 2)
    _home(client)
    with count_statements() as small:
        _home(client)
    _grow(app, make_user, make_session, course, org, 12)
    with count_statements() as large:
        html = _home(client)
    assert len(large) == len(small), "\n".join(large)
    assert len(small) <= 25, "\n".join(small)
    assert "(14명)" in _section(html, "overview-overdue")
