"""The audit log in words: labels, names, key-value details, the personal-data access report
and the retention purge."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.core import clock
from portal.core.clock import utcnow
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.users.models import Role


def add_entries(app, *entries: dict) -> None:
    with app.app_context():
        for fields in entries:
            db.session.add(
                AuditEntry(
                    **{"occurred_at": utcnow(), "action": "test.something", "details": {}, **fields}
                )
            )
        db.session.commit()


def read_csv(response) -> tuple[bytes, list[list[str]]]:
    body = response.get_data()
    return body, list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.fixture
def scene(app, make_user, make_course, make_session):
    """A learner enrolled on a session of a course titled 공공데이터 분석 (3rd round)."""
    learner = make_user(Role.STAFF, name="김민서", employee_number="D0004")
    course = make_course(title="공공데이터 분석")
    session = make_session(course_id=course.id, round_number=3)
    with app.app_context():
        enrollment = Enrollment(
            session_id=session.id,
            user_id=learner.id,
            status=EnrollmentStatus.ENROLLED,
            queue_key=1,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        db.session.add(enrollment)
        db.session.commit()
        return learner, session, course.id, enrollment.id


def test_targets_and_details_show_names_not_ids(app, client, as_role, scene):
    admin = as_role(Role.ADMIN)
    learner, session, course_id, enrollment_id = scene
    add_entries(
        app,
        {
            "action": "user.role_changed",
            "actor_id": admin.id,
            "target_type": "user",
            "target_id": str(learner.id),
            "details": {"from": "staff", "to": "coordinator"},
        },
        {
            "action": "roster.viewed",
            "actor_id": admin.id,
            "target_type": "training_session",
            "target_id": str(session.id),
        },
        {
            "action": "enrollment.moved",
            "actor_id": admin.id,
            "target_type": "enrollment",
            "target_id": str(enrollment_id),
            "details": {"session_id": session.id, "user_id": learner.id, "reason": "일정 변경"},
        },
        {
            "action": "courses.synced",
            "target_type": "course",
            "target_id": str(course_id),
            "details": {"count": 2, "internal": True, "fields": ["title", "hours"]},
        },
        {"action": "certificate.revoked", "target_type": "certificate", "target_id": "999999"},
        {"action": "long.gone", "target_type": "gizmo", "target_id": "5"},
    )
    response = client.get("/admin/audit/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "김민서 (D0004)" in page
    assert "공공데이터 분석 3차" in page
    assert "김민서 (D0004) · 공공데이터 분석 3차" in page  # an enrolment: person and session
    assert "사용자 역할 변경" in page and "명단 열람" in page and "다른 차수로 이동" in page
    assert "사유" in page and "일정 변경" in page and "대상자" in page
    assert "항목" in page and "title, hours" in page and "예" in page
    assert "수료증 (삭제됨) #999999" in page
    assert "long.gone" in page and "gizmo #5" in page  # unknown codes shown raw
    assert "{" not in page.split("<tbody", 1)[1].split("</tbody>", 1)[0]  # no raw JSON
    assert 'role="region"' in page and 'tabindex="0"' in page and "portal-stack-table" in page


def test_english_ui_shows_english_labels(app, client, as_role):
    as_role(Role.ADMIN)
    add_entries(app, {"action": "login.succeeded", "details": {"reason": "x"}})
    with client.session_transaction() as flask_session:
        flask_session["locale"] = "en"
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert "Signed in" in page and "Reason" in page
    assert "로그인 성공" not in page


def test_page_statements_do_not_grow_with_kinds_of_target(
    app, client, as_role, scene, count_statements
):
    as_role(Role.ADMIN)
    learner, session, course_id, enrollment_id = scene

    def mixed(n: int) -> list[dict]:
        kinds = [
            ("user", learner.id),
            ("training_session", session.id),
            ("course", course_id),
            ("enrollment", enrollment_id),
            ("certificate", 1),
            ("idea", 1),
            ("hours_entry", 1),
            ("department", 1),
        ]
        return [
            {
                "action": "test.bulk",
                "actor_id": learner.id,
                "target_type": kinds[i % 8][0],
                "target_id": str(kinds[i % 8][1]),
                "details": {"user_id": learner.id},
            }
            for i in range(n)
        ]

    add_entries(app, *mixed(8))
    client.get("/admin/audit/")
    with count_statements() as few:
        assert client.get("/admin/audit/").status_code == 200
    add_entries(app, *mixed(40))
    with count_statements() as many:
        assert client.get("/admin/audit/").status_code == 200
    assert few and len(few) == len(many), (few, many)


def test_export_has_readable_columns(app, client, as_role, scene):
    admin = as_role(Role.ADMIN)
    learner, *_ = scene
    add_entries(
        app,
        {
            "action": "hours.evidence_viewed",
            "actor_id": admin.id,
            "target_type": "user",
            "target_id": str(learner.id),
            "details": {"reason": "=SUM(A1)"},
        },
    )
    _body, rows = read_csv(client.get("/admin/audit/export.csv?action=hours."))
    header, row = rows[0], rows[1]
    record = dict(zip(header, row, strict=True))
    assert record["action_label"] == "증빙 자료 열람"
    assert record["target"] == "김민서 (D0004)"
    assert record["actor"] == f"{admin.name} ({admin.employee_number})"
    assert record["details"] == "사유: =SUM(A1)"  # starts with 사유: not a formula


def test_export_neutralises_a_readable_cell_that_starts_like_a_formula(app, client, as_role):
    as_role(Role.ADMIN)
    add_entries(app, {"action": "test.formula", "target_type": "-x", "target_id": "@y"})
    _body, rows = read_csv(client.get("/admin/audit/export.csv?action=test.formula"))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["target_type"] == "'-x" and record["target_id"] == "'@y"
    assert record["target"] == "'-x #@y"


def test_admin_home_lists_recent_activity_in_words(app, client, as_role, scene):
    admin = as_role(Role.ADMIN)
    learner, *_ = scene
    add_entries(
        app,
        {
            "action": "user.password_reset",
            "actor_id": admin.id,
            "target_type": "user",
            "target_id": str(learner.id),
        },
    )
    page = client.get("/").get_data(as_text=True)
    assert "비밀번호 초기화" in page and "김민서 (D0004)" in page
    assert "user.password_reset" not in page


# The personal-data access report


@pytest.mark.parametrize("role", [Role.STAFF, Role.INSTRUCTOR, Role.COORDINATOR])
def test_only_admins_see_the_personal_data_report(client, as_role, role):
    as_role(role)
    assert client.get("/admin/audit/personal-data").status_code == 403
    assert client.get("/admin/audit/personal-data.csv").status_code == 403


def test_personal_data_report_lists_the_months_views_and_exports(app, client, as_role, scene):
    admin = as_role(Role.ADMIN)
    learner, session, *_ = scene
    inside = dt.datetime(2026, 11, 3, 1, 2, 3, tzinfo=dt.UTC)
    add_entries(
        app,
        {
            "action": "hours.evidence_viewed",
            "actor_id": admin.id,
            "occurred_at": inside,
            "ip": "10.1.2.3",
            "target_type": "user",
            "target_id": str(learner.id),
        },
        {
            "action": "roster.exported",
            "actor_id": admin.id,
            "occurred_at": inside,
            "target_type": "training_session",
            "target_id": str(session.id),
            "details": {"format": "csv"},
        },
        {"action": "login.succeeded", "actor_id": admin.id, "occurred_at": inside},
        {
            "action": "roster.viewed",
            "actor_id": admin.id,
            "occurred_at": dt.datetime(2026, 10, 31, 23, 59, tzinfo=dt.UTC),
        },
    )
    page = client.get("/admin/audit/personal-data?month=2026-11").get_data(as_text=True)
    assert "2026-11-03 01:02:03" in page and "10.1.2.3" in page
    assert "김민서 (D0004)" in page and "증빙 자료 열람" in page
    assert "명단 내려받기" in page and "공공데이터 분석 3차" in page
    assert "로그인 성공" not in page  # not an access to personal data
    assert "전체 2건" in page  # October's entry is outside the month

    response = client.get("/admin/audit/personal-data.csv?month=2026-11")
    assert response.status_code == 200
    body, rows = read_csv(response)
    assert body.startswith(b"\xef\xbb\xbf")
    assert rows[0][:5] == [
        "occurred_at_utc",
        "actor_employee_number",
        "actor",
        "ip",
        "data_subjects",
    ]
    assert len(rows) == 3
    by_action = {row[6]: row for row in rows[1:]}
    assert by_action["hours.evidence_viewed"][0] == "2026-11-03T01:02:03+00:00"
    assert by_action["hours.evidence_viewed"][4] == "김민서 (D0004)"
    assert by_action["roster.exported"][4] == "공공데이터 분석 3차 수강생"
    with app.app_context():
        [entry] = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "audit.personal_data_exported")
        ).all()
        assert entry.actor_id == admin.id and entry.details == {"month": "2026-11", "format": "csv"}


def test_a_bad_month_gets_a_korean_message(client, as_role):
    as_role(Role.ADMIN)
    for bad in ["2026-13", "이번달", "0001-01", "2026-1", "20261-01"]:
        response = client.get(f"/admin/audit/personal-data?month={bad}")
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert "월 형식이 올바르지 않습니다" in text or "사이의 월을" in text
    response = client.get("/admin/audit/personal-data.csv?month=2026-13", follow_redirects=True)
    assert "월 형식이 올바르지 않습니다" in response.get_data(as_text=True)


# Retention


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEntry))


def test_purge_removes_only_entries_past_the_retention_and_is_audited(app, as_role):
    now = utcnow()
    add_entries(
        app,
        {"action": "test.old", "occurred_at": now - dt.timedelta(days=731)},
        {"action": "test.old", "occurred_at": now - dt.timedelta(days=900)},
        {"action": "test.edge", "occurred_at": now - dt.timedelta(days=729, hours=23)},
        {"action": "test.new", "occurred_at": now - dt.timedelta(days=1)},
    )
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["audit", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "2건" in dry.output
    assert _count(app) == 4
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).where(AuditEntry.action == "audit.purged")) == 0
        )

    result = runner.invoke(args=["audit", "purge", "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    assert "2건" in result.output
    with app.app_context():
        actions = sorted(db.session.scalars(select(AuditEntry.action)))
        assert actions == ["audit.purged", "test.edge", "test.new"]
        purged = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "audit.purged"))
        assert purged.details["count"] == 2 and purged.details["retention_days"] == 730
        assert purged.details["cutoff"].startswith(f"{now - dt.timedelta(days=730):%Y-%m-%d}")


def test_purge_keeps_everything_inside_the_retention(app):
    clock.advance(dt.timedelta(days=0))
    now = utcnow()
    add_entries(app, *[{"occurred_at": now - dt.timedelta(days=d)} for d in range(0, 730, 73)])
    before = _count(app)
    result = app.test_cli_runner().invoke(args=["audit", "purge"])
    assert result.exit_code == 0, result.output
    assert _count(app) == before + 1  # nothing deleted; the purge itself recorded


def test_purge_refuses_a_retention_under_a_year(app):
    app.config["AUDIT_RETENTION_DAYS"] = 90
    try:
        add_entries(app, {"occurred_at": utcnow() - dt.timedelta(days=200)})
        before = _count(app)
        result = app.test_cli_runner().invoke(args=["audit", "purge"])
        assert result.exit_code != 0
        assert "365" in result.output
        assert _count(app) == before
    finally:
        app.config["AUDIT_RETENTION_DAYS"] = 730


def test_the_orm_still_refuses_to_delete_an_entry(app):
    from portal.audit.models import AuditLogIsAppendOnly

    add_entries(app, {"action": "test.keep"})
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "test.keep"))
        db.session.delete(entry)
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()
