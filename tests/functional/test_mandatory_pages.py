"""The coordinators' mandatory-training page (/manage/mandatory) and its one-click enrolment."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from portal.core import clock
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.org.models import Department, DepartmentKind
from portal.users.models import Role
from tests.conftest import csrf_token_from

PAGE = "/manage/mandatory/"
ENROL = "/manage/mandatory/enrol"


def _team(app, parent: Department) -> Department:
    with app.app_context():
        team = Department(
            code=f"TM{parent.id}", name="데이터팀", kind=DepartmentKind.TEAM, parent_id=parent.id
        )
        db.session.add(team)
        db.session.commit()
        return team


def _ago(days: int) -> dt.date:
    return clock.today_in_seoul() - dt.timedelta(days=days)


def test_staff_and_instructors_are_refused(client, as_role):
    as_role(Role.STAFF)
    assert client.get(PAGE).status_code == 403
    assert client.post(ENROL, data={}).status_code in (400, 403)


def test_instructors_are_refused(client, as_role):
    as_role(Role.INSTRUCTOR)
    assert client.get(PAGE).status_code == 403


def test_lists_everyone_owing_with_status_tabs_and_department_filter(
    app, client, as_role, make_user, make_course, department
):
    course = make_course(
        title="신규자 기본교육", is_mandatory_for_new=True, mandatory_within_days=30
    )
    team = _team(app, department)
    late = make_user(name="기한지남", appointed_on=_ago(40), department_id=department.id)
    soon = make_user(name="임박한사람", appointed_on=_ago(20), department_id=team.id)
    make_user(name="여유있는사람", appointed_on=_ago(1), department_id=department.id)
    make_user(name="오래전임용", appointed_on=_ago(1000), department_id=department.id)
    as_role(Role.COORDINATOR)
    page = client.get(PAGE, query_string={"course": course.id, "department": department.id})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "기한지남" in html and "임박한사람" in html and "여유있는사람" in html
    assert "오래전임용" not in html
    assert "미신청" in html and "10일 지남" in html
    overdue = client.get(
        PAGE, query_string={"course": course.id, "department": department.id, "tab": "overdue"}
    ).get_data(as_text=True)
    assert "기한지남" in overdue and "임박한사람" not in overdue
    due_soon = client.get(
        PAGE, query_string={"course": course.id, "department": department.id, "tab": "due_soon"}
    ).get_data(as_text=True)
    assert "임박한사람" in due_soon and "기한지남" not in due_soon
    only_division = client.get(
        PAGE, query_string={"course": course.id, "department": department.id, "sub": 0}
    ).get_data(as_text=True)
    assert "임박한사람" not in only_division and "기한지남" in only_division
    assert late.id and soon.id


def test_every_person_is_reachable_through_pages(app, client, as_role, make_user, make_course):
    course = make_course(is_mandatory_for_new=True, mandatory_within_days=30)
    with app.app_context():
        bureau = Department(code="PGB", name="페이지국", kind=DepartmentKind.BUREAU)
        db.session.add(bureau)
        db.session.commit()
    for n in range(55):
        make_user(name=f"페이지{n:02d}번", appointed_on=_ago(5), department_id=bureau.id)
    as_role(Role.COORDINATOR)
    seen = set()
    for number in (1, 2):
        html = client.get(
            PAGE, query_string={"course": course.id, "department": bureau.id, "page": number}
        ).get_data(as_text=True)
        seen |= set(re.findall(r"페이지\d\d번", html))
    assert len(seen) == 55


def test_bad_query_values_are_ignored(client, as_role, make_course):
    make_course(is_mandatory_for_new=True, mandatory_within_days=30)
    as_role(Role.COORDINATOR)
    response = client.get(
        PAGE, query_string={"course": "x", "department": "99999999999", "tab": "zzz", "page": "-3"}
    )
    assert response.status_code == 200


def test_one_click_enrols_the_unapplied_into_the_next_session_with_seats(
    app, client, as_role, make_user, make_course, make_session, department, audit_entries
):
    course = make_course(title="필수 과정", is_mandatory_for_new=True, mandatory_within_days=30)
    now = clock.utcnow()
    full = make_session(course_id=course.id, starts_at=now + dt.timedelta(days=3), capacity=1)
    with app.app_context():
        db.session.get(type(full), full.id).seats_taken = 1
        db.session.commit()
    later = make_session(course_id=course.id, starts_at=now + dt.timedelta(days=10), capacity=5)
    a = make_user(appointed_on=_ago(20), department_id=department.id)
    b = make_user(appointed_on=_ago(40), department_id=department.id)
    me = as_role(Role.COORDINATOR)
    index = client.get(PAGE, query_string={"course": course.id, "department": department.id})
    token = csrf_token_from(index.get_data(as_text=True))
    form = {
        "csrf_token": token,
        "course_id": course.id,
        "department_id": department.id,
        "sub": 1,
        "tab": "all",
    }
    preview = client.post(ENROL, data=form | {"step": "preview"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html
    assert "확정 예정" in html
    digest = re.search(r'name="digest" value="([^"]+)"', html).group(1)
    session_id = int(re.search(r'name="session_id" value="(\d+)"', html).group(1))
    assert session_id == later.id  # the full one is skipped
    with app.app_context():
        assert (
            db.session.scalar(select(Enrollment.id).where(Enrollment.session_id == later.id))
            is None
        )
    done = client.post(
        ENROL, data=form | {"step": "confirm", "session_id": session_id, "digest": digest}
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "사람별 결과" in done.get_data(as_text=True)
    with app.app_context():
        rows = dict(
            db.session.execute(
                select(Enrollment.user_id, Enrollment.status).where(
                    Enrollment.session_id == later.id
                )
            ).all()
        )
    assert rows == {a.id: EnrollmentStatus.ENROLLED, b.id: EnrollmentStatus.ENROLLED}
    (entry,) = audit_entries("mandatory.bulk_enrol")
    assert entry.actor_id == me.id and str(entry.target_id) == str(later.id)
    # Now nobody is left unapplied: a second click is refused, nothing changes.
    again = client.post(ENROL, data=form | {"step": "preview"})
    assert again.status_code == 422
    assert "신청하지 않은 사람이 없습니다" in again.get_data(as_text=True)


def test_confirming_after_the_list_changed_writes_nothing(
    app, client, as_role, make_user, make_course, make_session, department
):
    course = make_course(is_mandatory_for_new=True, mandatory_within_days=30)
    later = make_session(course_id=course.id, starts_at=clock.utcnow() + dt.timedelta(days=10))
    make_user(appointed_on=_ago(20), department_id=department.id)
    as_role(Role.COORDINATOR)
    token = csrf_token_from(client.get(PAGE).get_data(as_text=True))
    form = {
        "csrf_token": token,
        "course_id": course.id,
        "department_id": department.id,
        "tab": "all",
        "sub": 1,
    }
    preview = client.post(ENROL, data=form | {"step": "preview"}).get_data(as_text=True)
    digest = re.search(r'name="digest" value="([^"]+)"', preview).group(1)
    make_user(appointed_on=_ago(21), department_id=department.id)  # a newcomer since the preview
    response = client.post(
        ENROL, data=form | {"step": "confirm", "session_id": later.id, "digest": digest}
    )
    assert "대상자가 바뀌었습니다" in response.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(select(Enrollment.id).where(Enrollment.session_id == later.id))
            is None
        )


def test_a_session_of_another_course_is_refused(
    app, client, as_role, make_user, make_course, make_session, department
):
    course = make_course(is_mandatory_for_new=True, mandatory_within_days=30)
    other = make_session(starts_at=clock.utcnow() + dt.timedelta(days=10))
    make_user(appointed_on=_ago(20), department_id=department.id)
    as_role(Role.COORDINATOR)
    token = csrf_token_from(client.get(PAGE).get_data(as_text=True))
    response = client.post(
        ENROL,
        data={
            "csrf_token": token,
            "course_id": course.id,
            "department_id": department.id,
            "tab": "all",
            "sub": 1,
            "step": "confirm",
            "session_id": other.id,
            "digest": "x",
        },
    )
    assert response.status_code == 422
    with app.app_context():
        assert (
            db.session.scalar(select(Enrollment.id).where(Enrollment.session_id == other.id))
            is None
        )
