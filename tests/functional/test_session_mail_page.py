"""A session's mail for its coordinators (/manage/sessions/<id>/mail, 메일 발송 현황).

Who was mailed about the session, with the address masked, the kind and status in words,
the attempts, the next attempt and a safe error summary; paginated, audited, and scoped to
the coordinator's departments when COORDINATOR_DEPARTMENT_SCOPE is on.
"""

from __future__ import annotations

import datetime as dt

import pytest

from portal.core import clock
from portal.db import db
from portal.notifications.models import OutboxMessage, OutboxStatus
from portal.org.models import Department, DepartmentKind
from portal.users.models import Role


def _mail(app, session_id, user, **fields) -> OutboxMessage:
    with app.app_context():
        now = clock.utcnow()
        message = OutboxMessage(
            user_id=user.id if user else None,
            session_id=session_id,
            kind=fields.pop("kind", "enrollment.confirmed"),
            to_address=user.email if user else "nobody@sejong.example.kr",
            subject=fields.pop("subject", "수강 신청이 확정되었습니다"),
            body_text="본문",
            next_attempt_at=fields.pop("next_attempt_at", now),
            created_at=fields.pop("created_at", now),
            **fields,
        )
        db.session.add(message)
        db.session.commit()
        return message


def _page(client, session_id, **args) -> str:
    response = client.get(f"/manage/sessions/{session_id}/mail", query_string=args)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_coordinators_see_each_mail_of_the_session_in_words(
    app, client, as_role, make_user, make_session
):
    as_role(Role.COORDINATOR)
    session, other = make_session(), make_session()
    kim = make_user(name="김수강", email="kim.sugang@sejong.example.kr")
    lee = make_user(name="이대기", email="lee.daegi@sejong.example.kr")
    park = make_user(name="박다른", email="park.other@sejong.example.kr")
    _mail(app, session.id, kim, status=OutboxStatus.SENT, attempts=1, sent_at=clock.utcnow())
    _mail(
        app,
        session.id,
        lee,
        kind="reminder.session",
        status=OutboxStatus.FAILED,
        attempts=5,
        last_error="SMTPRecipientsRefused 550",
    )
    _mail(app, other.id, park)

    page = _page(client, session.id)
    assert "김수강" in page and "이대기" in page
    assert "박다른" not in page, "another session's mail is not listed"
    assert "ki***@sejong.example.kr" in page
    assert "kim.sugang@" not in page, "addresses are masked"
    assert "수강 확정" in page and "교육 전날 안내" in page
    assert "enrollment.confirmed" not in page and "reminder.session" not in page
    assert "발송 완료" in page and "발송 실패" in page
    assert "받는 주소 거부 (550)" in page
    assert "SMTPRecipientsRefused" not in page


def test_an_unknown_error_shows_a_generic_phrase_and_nothing_of_its_text(
    app, client, as_role, make_user, make_session
):
    as_role(Role.ADMIN)
    session = make_session()
    _mail(
        app,
        session.id,
        make_user(),
        status=OutboxStatus.FAILED,
        last_error="WeirdError password=hunter2 at smtp.internal",
    )
    page = _page(client, session.id)
    assert "발송 오류" in page
    assert "hunter2" not in page and "smtp.internal" not in page and "WeirdError" not in page


def test_pending_mail_shows_its_next_attempt_in_seoul_time(
    app, client, as_role, make_user, make_session
):
    as_role(Role.COORDINATOR)
    session = make_session()
    next_try = dt.datetime(2027, 3, 10, 15, 30, tzinfo=dt.UTC)  # 11 March 00:30 in Seoul
    _mail(app, session.id, make_user(), attempts=2, next_attempt_at=next_try)
    page = _page(client, session.id)
    assert "2027-03-11 00:30" in page
    assert "발송 대기" in page


def test_seeing_a_sessions_mail_is_audited(
    app, client, as_role, make_user, make_session, audit_entries
):
    coordinator = as_role(Role.COORDINATOR)
    session = make_session()
    _mail(app, session.id, make_user())
    _page(client, session.id)
    [entry] = audit_entries("outbox.session_viewed", target_id=session.id)
    assert entry.actor_id == coordinator.id
    assert entry.target_type == "training_session"
    assert entry.details == {"entries": 1}


def test_the_list_is_paginated_with_a_fixed_number_of_statements(
    app, client, as_role, make_user, make_session, count_statements
):
    as_role(Role.COORDINATOR)
    session = make_session()
    people = [make_user() for _ in range(3)]
    for n in range(27):
        _mail(
            app,
            session.id,
            people[n % 3],
            created_at=clock.utcnow() - dt.timedelta(minutes=n),
            subject=f"메일 {n}",
        )
    first = _page(client, session.id)
    assert "전체 27건" in first
    assert first.count('data-label="이메일"') == 25
    with count_statements() as small:
        second = _page(client, session.id, page=2)
    assert second.count('data-label="이메일"') == 2
    for n in range(30):
        _mail(app, session.id, people[n % 3])
    with count_statements() as large:
        _page(client, session.id, page=2)
    assert len(large) == len(small), "\n".join(large)


def test_a_scoped_coordinator_sees_only_their_departments_mail(
    app, client, as_role, make_user, make_session, monkeypatch
):
    with app.app_context():
        bureau = Department(code="MB01", name="메일국", kind=DepartmentKind.BUREAU)
        db.session.add(bureau)
        db.session.flush()
        ours = Department(
            code="MD01", name="메일과", kind=DepartmentKind.DIVISION, parent_id=bureau.id
        )
        theirs = Department(code="MD02", name="남의과", kind=DepartmentKind.DIVISION)
        db.session.add_all([ours, theirs])
        db.session.commit()
        ours_id, theirs_id, bureau_id = ours.id, theirs.id, bureau.id
    monkeypatch.setitem(app.config, "COORDINATOR_DEPARTMENT_SCOPE", True)
    as_role(Role.COORDINATOR, department_id=bureau_id)
    session = make_session()
    _mail(app, session.id, make_user(name="우리직원", department_id=ours_id))
    _mail(app, session.id, make_user(name="남의직원", department_id=theirs_id))
    page = _page(client, session.id)
    assert "우리직원" in page and "남의직원" not in page
    assert "담당 부서(하위 부서 포함) 직원에게 간 메일만" in page


@pytest.mark.parametrize("role", [Role.STAFF, Role.INSTRUCTOR])
def test_people_who_do_not_coordinate_are_refused(app, client, as_role, make_session, role):
    as_role(role)
    session = make_session()
    assert client.get(f"/manage/sessions/{session.id}/mail").status_code == 403


def test_an_unknown_session_is_not_found(client, as_role):
    as_role(Role.COORDINATOR)
    assert client.get("/manage/sessions/999999/mail").status_code == 404


def test_the_session_pages_link_to_the_mail_page(app, client, as_role, make_session):
    as_role(Role.COORDINATOR)
    session = make_session()
    link = f"/manage/sessions/{session.id}/mail"
    assert link in client.get(f"/manage/sessions/{session.id}").get_data(as_text=True)
    assert link in client.get(f"/manage/sessions/{session.id}/roster").get_data(as_text=True)
