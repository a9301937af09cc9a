"""The instructor's own sessions (내 강의), their read-only rosters, and the rule that a
session's own instructor is never enrolled in it as a trainee."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from portal.core import clock
from portal.db import db
from portal.enrollment import operations as enrolment
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.users.models import Role, User
from tests.conftest import Auth

MINE = "/teaching/sessions"
BULK = "/manage/bulk"


def roster_path(session_id: int) -> str:
    return f"/teaching/sessions/{session_id}/roster"


def _enrol(app, session_id: int, *users: User) -> list[int]:
    with app.app_context():
        ids = [
            enrolment.enrol(
                session_id, db.session.get(User, u.id), enrolment.Actor(u.id), confirm_overlap=True
            ).enrollment.id
            for u in users
        ]
        db.session.commit()
        return ids


def _statuses(app, session_id: int) -> dict[int, EnrollmentStatus]:
    with app.app_context():
        rows = db.session.execute(
            select(Enrollment.user_id, Enrollment.status).where(Enrollment.session_id == session_id)
        )
        return {user_id: status for user_id, status in rows}


def _client_for(app, user: User):
    client = app.test_client()
    assert Auth(client).login(user).status_code == 302
    return client


# --- 내 강의 ----------------------------------------------------------------------------


def test_the_list_shows_only_my_sessions_split_into_upcoming_and_past(
    client, as_role, make_user, make_course, make_session
):
    me = as_role(Role.INSTRUCTOR)
    other = make_user(Role.INSTRUCTOR)
    course = make_course(title="보고서 작성 실습")
    now = clock.utcnow()
    soon = make_session(
        course_id=course.id, round_number=3, instructor_id=me.id, place="도청 2층 회의실"
    )
    done = make_session(
        course_id=course.id,
        round_number=1,
        instructor_id=me.id,
        starts_at=now - dt.timedelta(days=10),
    )
    theirs = make_session(course_id=course.id, round_number=2, instructor_id=other.id)

    upcoming = client.get(MINE)
    assert upcoming.status_code == 200
    html = upcoming.get_data(as_text=True)
    assert "보고서 작성 실습" in html and "3차" in html and "도청 2층 회의실" in html
    assert roster_path(soon.id) in html
    assert roster_path(done.id) not in html and roster_path(theirs.id) not in html

    past = client.get(f"{MINE}?period=past").get_data(as_text=True)
    assert roster_path(done.id) in past
    assert roster_path(soon.id) not in past and roster_path(theirs.id) not in past
    # An unknown period falls back to the upcoming tab rather than failing.
    assert roster_path(soon.id) in client.get(f"{MINE}?period=later").get_data(as_text=True)


def test_the_list_shows_the_queue_figures_and_links_to_reviews(
    app, client, as_role, make_user, make_session
):
    me = as_role(Role.INSTRUCTOR)
    session = make_session(capacity=1, instructor_id=me.id)
    _enrol(app, session.id, make_user(), make_user(), make_user())
    html = client.get(MINE).get_data(as_text=True)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", html)
    assert "1 / 1" in cells and "2" in cells
    assert "/practice/manage/reviews" in html


def test_an_instructor_sees_my_sessions_in_the_menu_and_staff_do_not(
    app, client, as_role, make_user
):
    as_role(Role.INSTRUCTOR)
    assert f'href="{MINE}"' in client.get("/").get_data(as_text=True)
    staff = _client_for(app, make_user(Role.STAFF))
    assert f'href="{MINE}"' not in staff.get("/").get_data(as_text=True)
    assert staff.get(MINE).status_code == 403


# --- the read-only roster --------------------------------------------------------------


def test_my_sessions_roster_is_read_only_and_audited(
    app, client, as_role, make_user, make_session, department, audit_entries
):
    me = as_role(Role.INSTRUCTOR)
    session = make_session(capacity=1, instructor_id=me.id)
    first = make_user(name="김확정", department_id=department.id)
    second = make_user(name="이대기")
    _enrol(app, session.id, first, second)

    page = client.get(roster_path(session.id))

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "김확정" in html and department.name in html and "이대기" in html
    assert "대기 1번" in html
    assert first.email not in html and second.email not in html
    body = html[html.index("<main") :]
    assert "<form" not in body  # no add, move, cancel or bulk controls
    # The one /manage page an instructor may read: the session's certificates (read-only).
    body = body.replace(f"/manage/sessions/{session.id}/certificates", "")
    assert "/manage/sessions" not in body and "/manage/bulk" not in body
    [entry] = audit_entries("roster.viewed")
    assert (entry.actor_id, entry.target_id) == (me.id, str(session.id))


def test_another_instructors_roster_is_404_and_not_audited(
    client, as_role, make_user, make_session, audit_entries
):
    as_role(Role.INSTRUCTOR)
    theirs = make_session(instructor_id=make_user(Role.INSTRUCTOR).id)
    unassigned = make_session()
    assert client.get(roster_path(theirs.id)).status_code == 404
    assert client.get(roster_path(unassigned.id)).status_code == 404
    assert client.get(roster_path(999999)).status_code == 404
    assert audit_entries("roster.viewed") == []


def test_an_instructor_cannot_write_to_their_own_roster(
    app, client, auth, as_role, make_user, make_session
):
    me = as_role(Role.INSTRUCTOR)
    session = make_session(capacity=1, instructor_id=me.id)
    holder, waiting = make_user(), make_user()
    enrolled_id, waiting_id = _enrol(app, session.id, holder, waiting)
    newcomer = make_user()
    token = auth.csrf(MINE)
    base = f"/manage/sessions/{session.id}/roster"
    for path, data in [
        (f"{base}/add", {"employee_number": newcomer.employee_number}),
        (f"{base}/{enrolled_id}/remove", {}),
        (f"{base}/{waiting_id}/promote", {}),
        (f"{base}/{waiting_id}/move-up", {}),
        (f"{base}/{waiting_id}/move", {"target_session_id": str(session.id)}),
        (BULK, {"session_id": str(session.id), "mode": "numbers", "step": "confirm"}),
        (roster_path(session.id), {}),
    ]:
        response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code in (403, 404, 405), path
    assert client.get(base).status_code == 403
    assert _statuses(app, session.id) == {
        holder.id: EnrollmentStatus.ENROLLED,
        waiting.id: EnrollmentStatus.WAITLISTED,
    }


# --- the session's own instructor is never its trainee ---------------------------------


def test_an_instructor_cannot_enrol_in_the_session_they_teach(app, make_user, make_session):
    teacher = make_user(Role.INSTRUCTOR)
    session = make_session(instructor_id=teacher.id)
    other = make_session()
    client = _client_for(app, teacher)
    token = Auth(client).csrf("/my/learning")

    client.post(f"/sessions/{session.id}/enrol", data={"csrf_token": token})

    assert _statuses(app, session.id) == {}
    assert "이 교육 차수의 강사는 같은 차수에 수강생으로 신청할 수 없습니다" in client.get(
        "/"
    ).get_data(as_text=True)
    # Another session, taught by someone else, is open to them as to anyone.
    client.post(f"/sessions/{other.id}/enrol", data={"csrf_token": token})
    assert _statuses(app, other.id) == {teacher.id: EnrollmentStatus.ENROLLED}


def test_the_course_page_offers_no_enrol_button_on_a_session_one_teaches(
    app, make_user, make_session
):
    teacher = make_user(Role.INSTRUCTOR)
    session = make_session(instructor_id=teacher.id)
    with app.app_context():
        from portal.catalog.models import Course

        slug = db.session.get(Course, session.course_id).slug
    page = _client_for(app, teacher).get(f"/courses/{slug}").get_data(as_text=True)
    assert "내가 강사인 차수입니다" in page
    assert f'action="/sessions/{session.id}/enrol"' not in page
    # Anyone else gets the button.
    trainee = _client_for(app, make_user(Role.STAFF)).get(f"/courses/{slug}")
    assert f'action="/sessions/{session.id}/enrol"' in trainee.get_data(as_text=True)


def test_a_full_session_does_not_waitlist_its_own_instructor(app, make_user, make_session):
    teacher = make_user(Role.INSTRUCTOR)
    session = make_session(capacity=1, instructor_id=teacher.id)
    _enrol(app, session.id, make_user())
    client = _client_for(app, teacher)
    client.post(
        f"/sessions/{session.id}/enrol", data={"csrf_token": Auth(client).csrf("/my/learning")}
    )
    assert teacher.id not in _statuses(app, session.id)


def test_a_coordinator_cannot_add_the_sessions_instructor_to_its_roster(
    app, client, auth, as_role, make_user, make_session
):
    as_role(Role.COORDINATOR)
    teacher = make_user(Role.INSTRUCTOR, employee_number="I7001")
    session = make_session(instructor_id=teacher.id)
    base = f"/manage/sessions/{session.id}/roster"

    response = client.post(
        f"{base}/add", data={"csrf_token": auth.csrf(base), "employee_number": "I7001"}
    )

    assert response.status_code == 302
    assert _statuses(app, session.id) == {}
    assert "이 교육 차수의 강사는 같은 차수에 수강생으로 신청할 수 없습니다" in client.get(
        "/"
    ).get_data(as_text=True)


def _hidden_fields(html: str) -> dict[str, str]:
    form = html[html.index('value="confirm"') - 3000 : html.index('value="confirm"')]
    form = form[form.rindex("<form") :]
    return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', form))


def test_bulk_enrolment_skips_the_sessions_instructor_with_a_reason(
    app, client, auth, as_role, make_user, make_session, audit_entries
):
    as_role(Role.COORDINATOR)
    teacher = make_user(Role.INSTRUCTOR, employee_number="I7002")
    trainee = make_user(employee_number="S7002")
    session = make_session(instructor_id=teacher.id)
    preview = client.post(
        BULK,
        data={
            "csrf_token": auth.csrf(BULK),
            "session_id": str(session.id),
            "mode": "numbers",
            "employee_numbers": "I7002\nS7002",
            "step": "preview",
        },
    ).get_data(as_text=True)
    assert "이 차수의 강사라 제외" in preview

    result = client.post(BULK, data={**_hidden_fields(preview), "step": "confirm"})

    assert result.status_code == 200
    assert "이 차수의 강사라 제외" in result.get_data(as_text=True)
    assert _statuses(app, session.id) == {trainee.id: EnrollmentStatus.ENROLLED}
    [batch] = audit_entries("enrollment.bulk")
    assert batch.details["counts"] == {"enrolled": 1, "instructor": 1}


# --- the review queue, narrowed to one session ------------------------------------------


def _submit_practice(app, make_workspace, user: User) -> None:
    client = _client_for(app, user)
    draft = make_workspace(user)
    token = Auth(client).csrf("/practice/")
    text = "□ 추진배경\n○ 정류장 노후화(120개소)\n□ 추진계획\n○ 2027년 교체\n"
    saved = client.post(
        f"/practice/w/{draft.id}/draft",
        json={"segments": [{"text": text, "ai": False}], "revision": 1},
        headers={"X-CSRFToken": token},
    )
    assert saved.status_code == 200
    submitted = client.post(
        f"/practice/w/{draft.id}/submit", data={"csrf_token": token, "confirm": "y"}
    )
    assert submitted.status_code == 302


def test_the_review_queue_can_show_one_sessions_trainees_only(
    app, make_user, make_session, make_workspace
):
    from portal.assistant.models import Exercise

    teacher = make_user(Role.INSTRUCTOR)
    mine, elsewhere = make_user(name="가수강"), make_user(name="나수강")
    for trainee in (mine, elsewhere):
        _submit_practice(app, make_workspace, trainee)
    with app.app_context():
        course_id = db.session.scalar(select(Exercise.course_id))
    first = make_session(course_id=course_id, instructor_id=teacher.id)
    second = make_session(course_id=course_id, instructor_id=teacher.id)
    _enrol(app, first.id, mine)
    _enrol(app, second.id, elsewhere)
    client = _client_for(app, teacher)

    everything = client.get("/practice/manage/reviews").get_data(as_text=True)
    assert "가수강" in everything and "나수강" in everything
    narrowed = client.get(f"/practice/manage/reviews?session={first.id}").get_data(as_text=True)
    assert "가수강" in narrowed and "나수강" not in narrowed
    assert "한 교육 차수의 수강 확정자가 제출한 과제만" in narrowed
    assert f"session={first.id}" in narrowed  # the toggle keeps the filter
    # A nonsense filter is ignored rather than failing.
    assert client.get("/practice/manage/reviews?session=abc").status_code == 200
    assert f"session={first.id}" in client.get(MINE).get_data(as_text=True)
