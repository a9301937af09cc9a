"""`flask demo seed`: a demo organisation in an empty database, and nowhere else."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.core.clock import today_in_seoul
from portal.db import db
from portal.demo.seed import seed_demo
from portal.org.models import ALLOWED_PARENT, Department, DepartmentKind
from portal.users.models import Role, User


def seed(app):
    return app.test_cli_runner().invoke(args=["demo", "seed"])


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(User.id))),
            db.session.scalar(select(func.count(Department.id))),
            db.session.scalar(select(func.count(AuditEntry.id))),
        )


def test_seed_creates_about_300_staff_and_prints_the_demo_logins(app):
    result = seed(app)
    assert result.exit_code == 0, result.output
    assert "D0001" in result.output and "Demo!2026portal" in result.output
    with app.app_context():
        users = db.session.scalars(select(User)).all()
    assert 280 <= len(users) <= 320
    assert len({u.employee_number for u in users}) == len(users)
    assert len({u.email for u in users}) == len(users)
    assert all(u.email.endswith("@sejong.example.kr") for u in users)
    assert all(u.department_id is not None and u.grade and u.appointed_on for u in users)


def test_the_four_demo_accounts_have_their_roles_and_one_shared_password_hash(app):
    assert seed(app).exit_code == 0
    with app.app_context():
        demo = {
            u.employee_number: u
            for u in db.session.scalars(
                select(User).where(User.employee_number.in_(["D0001", "D0002", "D0003", "D0004"]))
            )
        }
        coordinator_department = db.session.get(Department, demo["D0002"].department_id)
        can_log_in = db.session.scalar(
            select(func.count(User.id)).where(User.password_hash.is_not(None))
        )
    assert {n: u.role for n, u in demo.items()} == {
        "D0001": Role.ADMIN,
        "D0002": Role.COORDINATOR,
        "D0003": Role.INSTRUCTOR,
        "D0004": Role.STAFF,
    }
    assert coordinator_department.name == "디지털정책과"
    assert len({u.password_hash for u in demo.values()}) == 1  # hashed once
    assert can_log_in == 4  # ordinary staff have no password


def test_departments_form_a_valid_sejong_style_tree(app):
    assert seed(app).exit_code == 0
    with app.app_context():
        departments = db.session.scalars(select(Department)).all()
    by_id = {d.id: d for d in departments}
    for d in departments:
        parent = by_id.get(d.parent_id)
        assert (parent.kind if parent else None) == ALLOWED_PARENT[d.kind], d
        assert re.fullmatch(r"SJ-\d{3}(-\d{2})?", d.code), d.code
    kinds = [d.kind for d in departments]
    assert kinds.count(DepartmentKind.BUREAU) == 7
    assert 18 <= kinds.count(DepartmentKind.DIVISION) <= 22
    names = {d.name for d in departments}
    assert {"기획조정실", "디지털정책과", "법무담당관", "도시성장본부", "안전정책과"} <= names
    for division in (d for d in departments if d.kind is DepartmentKind.DIVISION):
        teams = [d for d in departments if d.parent_id == division.id]
        assert 2 <= len(teams) <= 3, division


def test_grades_lean_toward_grades_7_to_9_and_about_25_are_new_appointees(app):
    assert seed(app).exit_code == 0
    since = today_in_seoul() - dt.timedelta(days=90)
    with app.app_context():
        users = db.session.scalars(select(User)).all()
    junior = [u for u in users if re.search(r"[789]급$", u.grade)]
    assert len(junior) > len(users) / 2
    new = [u for u in users if u.appointed_on >= since]
    assert 20 <= len(new) <= 30
    assert min(u.appointed_on for u in users) >= dt.date(1995, 1, 1)
    assert max(u.appointed_on for u in users) <= today_in_seoul()


def test_seed_records_one_audit_entry_with_counts(app):
    assert seed(app).exit_code == 0
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry)).all()
    assert [e.action for e in entries] == ["demo.seeded"]
    assert entries[0].details["users"] == counts(app)[0]


def test_seed_is_deterministic(app):
    runs = []
    with app.app_context():
        for _ in range(2):
            attempt = db.session.begin_nested()
            seed_demo(today=dt.date(2026, 3, 2))
            runs.append(
                db.session.execute(
                    select(User.employee_number, User.name, User.email, User.grade).order_by(
                        User.id
                    )
                ).all()
            )
            attempt.rollback()
    assert len(runs[0]) == 300
    assert runs[0] == runs[1]


def test_a_second_run_refuses_and_changes_nothing(app):
    assert seed(app).exit_code == 0
    before = counts(app)
    result = seed(app)
    assert result.exit_code == 1
    assert "이미 사용자가 있어 데모 데이터를 만들지 않았습니다" in result.output
    assert counts(app) == before


def test_seed_refuses_when_any_user_exists(app, make_user):
    make_user(Role.ADMIN)
    before = counts(app)
    result = seed(app)
    assert result.exit_code == 1
    assert counts(app) == before


def test_a_demo_account_can_log_in(app, auth):
    assert seed(app).exit_code == 0
    response = auth.login("D0004", "Demo!2026portal")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")


def test_ordinary_demo_staff_cannot_log_in(app, auth):
    assert seed(app).exit_code == 0
    with app.app_context():
        someone = db.session.scalar(
            select(User.employee_number).where(User.password_hash.is_(None)).limit(1)
        )
    assert auth.login(someone, "Demo!2026portal").status_code == 200
