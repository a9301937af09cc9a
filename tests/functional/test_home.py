"""Role home pages show what exists: upcoming sessions, mandatory courses owed, figures."""

import datetime as dt

from portal.core import clock
from portal.db import db
from portal.enrollment import operations as ops
from portal.users.models import Role, User


def test_new_appointee_sees_the_mandatory_course_and_its_due_date(client, as_role, make_course):
    appointed = clock.today_in_seoul() - dt.timedelta(days=10)
    course = make_course(
        title="신규 공무원 필수 과정", is_mandatory_for_new=True, mandatory_within_days=90
    )
    as_role(Role.STAFF, appointed_on=appointed)
    html = client.get("/").get_data(as_text=True)
    assert "이수해야 할 필수 과정" in html
    assert course.title in html
    assert (appointed + dt.timedelta(days=90)).isoformat() in html
    assert "신청 필요" in html


def test_long_serving_staff_owe_no_new_appointee_course(client, as_role, make_course):
    make_course(title="신규 공무원 필수 과정", is_mandatory_for_new=True, mandatory_within_days=90)
    as_role(Role.STAFF, appointed_on=dt.date(2001, 3, 2))
    assert "이수해야 할 필수 과정" not in client.get("/").get_data(as_text=True)


def test_home_lists_my_upcoming_session(app, client, as_role, make_session):
    session = make_session()
    user = as_role(Role.STAFF)
    with app.app_context():
        ops.enrol(session.id, db.session.get(User, user.id), ops.Actor(user.id))
        db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "다가오는 교육" in html
    assert "신청한 교육이 없습니다" not in html


def test_coordinator_home_shows_organisation_figures(client, as_role):
    as_role(Role.COORDINATOR)
    html = client.get("/").get_data(as_text=True)
    assert "재직 직원" in html
    assert "신규 임용자" in html
