"""Exports (issue 11): rosters, attendance, completions, hours, compliance, usage.

CSV or XLSX, Korean headers, formula cells neutralised, one audit entry per export, and
department scoping for coordinators when COORDINATOR_DEPARTMENT_SCOPE is on.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from decimal import Decimal
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.assistant.models import UsageCounter
from portal.attendance.models import (
    AttendanceMark,
    AttendanceStatus,
    Completion,
    CompletionStatus,
    HoursEntry,
    HoursSource,
    HoursStatus,
    MarkSource,
)
from portal.audit.models import AuditEntry
from portal.core import clock
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.org.models import Department, DepartmentKind
from portal.users.models import Role
from tests.conftest import Auth

_keys = itertools.count(1)


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def _audits(app) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "report.exported")
                .order_by(AuditEntry.id)
            )
        )


@pytest.fixture
def org(app):
    """A bureau with two divisions, and another bureau."""
    with app.app_context():
        n = next(_keys)
        bureau = Department(code=f"XB{n}", name=f"기획조정실{n}", kind=DepartmentKind.BUREAU)
        other = Department(code=f"XO{n}", name=f"복지국{n}", kind=DepartmentKind.BUREAU)
        db.session.add_all([bureau, other])
        db.session.flush()
        digital = Department(
            code=f"XD{n}",
            name=f"디지털정책과{n}",
            kind=DepartmentKind.DIVISION,
            parent_id=bureau.id,
        )
        welfare = Department(
            code=f"XW{n}", name=f"복지정책과{n}", kind=DepartmentKind.DIVISION, parent_id=other.id
        )
        db.session.add_all([digital, welfare])
        db.session.commit()
        return {
            "bureau": bureau.id,
            "digital": digital.id,
            "other": other.id,
            "welfare": welfare.id,
        }


def _enrol(app, session_id: int, user_id: int, status=EnrollmentStatus.ENROLLED) -> None:
    with app.app_context():
        now = clock.utcnow()
        db.session.add(
            Enrollment(
                session_id=session_id,
                user_id=user_id,
                status=status,
                queue_key=next(_keys),
                created_at=now,
                updated_at=now,
            )
        )
        db.session.commit()


def _complete(app, session, user_id: int, status=CompletionStatus.COMPLETED) -> None:
    with app.app_context():
        now = clock.utcnow()
        db.session.add(
            Completion(
                session_id=session.id,
                user_id=user_id,
                course_id=session.course_id,
                status=status,
                attended_hours=Decimal("3.00"),
                scheduled_hours=Decimal("3.00"),
                hours_awarded=Decimal("3.0") if status is CompletionStatus.COMPLETED else 0,
                completed_at=now if status is CompletionStatus.COMPLETED else None,
                evaluated_at=now,
            )
        )
        db.session.commit()


# --- one session ------------------------------------------------------------------------


def test_the_session_roster_exports_as_csv_with_korean_headers_and_an_audit_entry(
    app, client, as_role, make_user, make_session, org
):
    coordinator = as_role(Role.COORDINATOR)
    session = make_session(capacity=1)
    first = make_user(name="김철수", department_id=org["digital"])
    second = make_user(name='=HYPERLINK("http://x")', department_id=org["welfare"])
    _enrol(app, session.id, first.id)
    _enrol(app, session.id, second.id, EnrollmentStatus.WAITLISTED)

    response = client.get(f"/manage/sessions/{session.id}/export/session-roster?format=csv")
    rows = _rows(response)
    assert rows[0][:6] == ["사번", "이름", "부서", "직급", "상태", "대기 순번"]
    assert rows[1][1] == "김철수" and rows[1][2].startswith("디지털정책과")
    assert rows[1][3:5] == ["행정7급", "확정"]
    assert rows[2][1] == '\'=HYPERLINK("http://x")'  # neutralised
    assert rows[2][4:6] == ["대기", "1"]
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="session-roster-')
    assert "신청자 명단" in unquote(disposition.split("filename*=UTF-8''")[1])
    assert "no-store" in response.headers["Cache-Control"]

    (entry,) = _audits(app)
    assert entry.actor_id == coordinator.id
    assert entry.details["kind"] == "session-roster"
    assert entry.details["rows"] == 2 and entry.details["format"] == "csv"
    assert entry.details["filters"] == {"session_id": session.id}


def test_the_attendance_export_is_xlsx_with_days_completion_and_hours(
    app, client, as_role, make_user, make_session
):
    as_role(Role.ADMIN)
    starts = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)  # 09:00 in Seoul
    session = make_session(starts_at=starts, ends_at=starts + dt.timedelta(hours=3))
    person = make_user(name="이영희")
    _enrol(app, session.id, person.id)
    with app.app_context():
        db.session.add(
            AttendanceMark(
                session_id=session.id,
                user_id=person.id,
                day=dt.date(2026, 3, 2),
                status=AttendanceStatus.LATE,
                source=MarkSource.ROSTER,
                marked_at=clock.utcnow(),
            )
        )
        db.session.commit()
    _complete(app, session, person.id)

    response = client.get(f"/manage/sessions/{session.id}/export/session-attendance?format=xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["사번", "이름", "부서", "직급", "2026-03-02", "수료 여부", "출석 시간"]
    assert values[1][1] == "이영희" and values[1][4:] == ["지각", "수료", 3]
    assert _audits(app)[-1].details["kind"] == "session-attendance"


def test_the_sessions_instructor_may_export_another_instructor_gets_404(
    app, client, make_user, make_session
):
    mine = make_user(Role.INSTRUCTOR)
    other = make_user(Role.INSTRUCTOR)
    session = make_session(instructor_id=mine.id)
    path = f"/manage/sessions/{session.id}/export/session-roster?format=csv"

    assert Auth(client).login(other).status_code == 302
    assert client.get(path).status_code == 404
    Auth(client).logout()
    assert Auth(client).login(mine).status_code == 302
    assert client.get(path).status_code == 200
    staff = app.test_client()
    assert Auth(staff).login(make_user(Role.STAFF)).status_code == 302
    assert staff.get(path).status_code == 403
    assert len(_audits(app)) == 1


def test_a_bad_format_or_kind_is_refused_cleanly(client, as_role, make_session):
    as_role(Role.COORDINATOR)
    session = make_session()
    bad = client.get(f"/manage/sessions/{session.id}/export/session-roster?format=pdf")
    assert bad.status_code == 400
    assert "CSV 또는 XLSX" in bad.get_data(as_text=True)
    assert client.get(f"/manage/sessions/{session.id}/export/users?format=csv").status_code == 404
    assert client.get("/manage/exports/session-roster?format=csv").status_code == 404
    assert client.get("/manage/exports/hours?format=csv&year=abc").status_code == 400
    assert client.get("/manage/exports/hours?format=csv&department=x").status_code == 400
    assert client.get("/manage/exports/hours?format=csv&department=999999").status_code == 400


# --- organisation exports ------------------------------------------------------------------


def test_completions_export_filters_by_year_department_and_course(
    app, client, as_role, make_user, make_session, org
):
    as_role(Role.COORDINATOR)
    session = make_session()
    inside = make_user(name="안쪽", department_id=org["digital"])
    outside = make_user(name="바깥", department_id=org["welfare"])
    for person in (inside, outside):
        _enrol(app, session.id, person.id)
        _complete(app, session, person.id)
    year = clock.today_in_seoul().year

    rows = _rows(
        client.get(
            f"/manage/exports/completions?format=csv&year={year}"
            f"&department={org['bureau']}&course={session.course_id}"
        )
    )
    assert rows[0][:3] == ["과정", "차수", "시작일"]
    assert [row[4] for row in rows[1:]] == ["안쪽"]
    assert _rows(client.get(f"/manage/exports/completions?format=csv&year={year - 1}"))[1:] == []
    entry = _audits(app)[0]
    assert entry.details["filters"] == {
        "year": year,
        "department_id": org["bureau"],
        "course_id": session.course_id,
    }
    assert entry.details["rows"] == 1


def test_hours_export_sums_by_source_and_status_against_the_target(
    app, client, as_role, make_user, org
):
    as_role(Role.ADMIN)
    person = make_user(name="시간많음", department_id=org["digital"])
    with app.app_context():
        for source, status, hours in (
            (HoursSource.PORTAL, HoursStatus.APPROVED, "50"),
            (HoursSource.EXTERNAL, HoursStatus.APPROVED, "30"),
            (HoursSource.EXTERNAL, HoursStatus.PENDING, "4"),
            (HoursSource.EXTERNAL, HoursStatus.DECLINED, "9"),
        ):
            db.session.add(
                HoursEntry(
                    user_id=person.id,
                    year=2026,
                    source=source,
                    status=status,
                    hours=Decimal(hours),
                    title="교육",
                    completed_on=dt.date(2026, 6, 1),
                    created_at=clock.utcnow(),
                )
            )
        db.session.commit()
    rows = _rows(
        client.get(f"/manage/exports/hours?format=csv&year=2026&department={org['digital']}")
    )
    assert rows[0][4:] == [
        "인정 시간(포털)",
        "인정 시간(외부)",
        "승인 대기 시간",
        "목표 시간",
        "목표 달성",
    ]
    (row,) = rows[1:]
    assert row[1] == "시간많음"
    assert [Decimal(v) for v in row[4:8]] == [50, 30, 4, 80]
    assert row[8] == "달성"


def test_compliance_export_shows_due_dates_status_and_overdue(
    app, client, as_role, make_user, make_course, make_session, org
):
    as_role(Role.COORDINATOR)
    today = clock.today_in_seoul()
    course = make_course(title="신규 필수", is_mandatory_for_new=True, mandatory_within_days=30)
    make_course(title="선택 과정")
    make_user(name="늦음", appointed_on=today - dt.timedelta(days=40), department_id=org["digital"])
    done = make_user(
        name="마침", appointed_on=today - dt.timedelta(days=40), department_id=org["digital"]
    )
    applied = make_user(
        name="신청함", appointed_on=today - dt.timedelta(days=5), department_id=org["digital"]
    )
    session = make_session(course_id=course.id)
    _enrol(app, session.id, done.id)
    _complete(app, session, done.id)
    _enrol(app, session.id, applied.id)

    year = (today - dt.timedelta(days=40)).year
    rows = _rows(
        client.get(
            f"/manage/exports/compliance?format=csv&year={year}&department={org['digital']}&course={course.id}"
        )
    )
    assert rows[0][4:] == ["임용일", "과정", "이수 기한", "상태", "기한 경과"]
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name["늦음"][5:] == [
        "신규 필수",
        (today - dt.timedelta(days=10)).isoformat(),
        "미신청",
        "경과",
    ]
    assert by_name["마침"][7:] == ["수료", ""]
    if "신청함" in by_name:  # appointed in the same year unless the test runs in early January
        assert by_name["신청함"][7:] == ["신청", ""]


def test_usage_export_counts_users_messages_and_tokens_without_conversations(
    app, client, as_role, make_user, org
):
    as_role(Role.ADMIN)
    a = make_user(department_id=org["digital"])
    b = make_user(department_id=org["digital"])
    with app.app_context():
        db.session.add_all(
            [
                UsageCounter(
                    scope="dept_month",
                    subject_id=org["digital"],
                    period="2026-11",
                    messages=7,
                    tokens=900,
                ),
                UsageCounter(
                    scope="user_day", subject_id=a.id, period="2026-11-02", messages=4, tokens=500
                ),
                UsageCounter(
                    scope="user_day", subject_id=a.id, period="2026-11-03", messages=1, tokens=100
                ),
                UsageCounter(
                    scope="user_day", subject_id=b.id, period="2026-11-03", messages=2, tokens=300
                ),
            ]
        )
        db.session.commit()
    rows = _rows(client.get("/manage/exports/usage?format=csv&year=2026"))
    assert rows[0] == ["부서", "월", "사용자 수", "메시지 수", "토큰 수"]
    assert rows[1][0].startswith("디지털정책과")
    assert rows[1][1:] == ["2026-11", "2", "7", "900"]


# --- department scoping ------------------------------------------------------------------


def test_a_scoped_coordinator_is_refused_another_departments_export(
    app, client, as_role, make_user, make_session, org, monkeypatch
):
    monkeypatch.setitem(app.config, "COORDINATOR_DEPARTMENT_SCOPE", True)
    as_role(Role.COORDINATOR, department_id=org["bureau"])
    make_user(name="우리과", department_id=org["digital"])
    make_user(name="남의과", department_id=org["welfare"])

    refused = client.get(f"/manage/exports/hours?format=csv&department={org['welfare']}")
    assert refused.status_code == 403
    assert "담당 부서(하위 부서 포함)의 자료만" in refused.get_data(as_text=True)
    sub = _rows(
        client.get(f"/manage/exports/hours?format=csv&year=2026&department={org['digital']}")
    )
    assert [row[1] for row in sub[1:]] == ["우리과"]
    default = _rows(client.get("/manage/exports/hours?format=csv&year=2026"))
    names = [row[1] for row in default[1:]]
    assert "우리과" in names and "남의과" not in names
    # Only the two successful exports are audited, the second with the own department.
    entries = _audits(app)
    assert len(entries) == 2
    assert entries[1].details["filters"]["department_id"] == org["bureau"]

    session = make_session()
    outsider = make_user(name="남의과2", department_id=org["welfare"])
    _enrol(app, session.id, outsider.id)
    roster = _rows(client.get(f"/manage/sessions/{session.id}/export/session-roster?format=csv"))
    assert roster[1:] == []  # people outside the coordinator's departments are left out

    page = client.get("/manage/exports").get_data(as_text=True)
    assert "디지털정책과" in page and "복지정책과" not in page


def test_admins_and_unscoped_coordinators_export_every_department(
    app, client, as_role, make_user, org, monkeypatch
):
    make_user(name="남의과", department_id=org["welfare"])
    monkeypatch.setitem(app.config, "COORDINATOR_DEPARTMENT_SCOPE", True)
    as_role(Role.ADMIN)
    assert (
        client.get(f"/manage/exports/hours?format=csv&department={org['welfare']}").status_code
        == 200
    )
    monkeypatch.setitem(app.config, "COORDINATOR_DEPARTMENT_SCOPE", False)
    other = app.test_client()
    assert (
        Auth(other).login(make_user(Role.COORDINATOR, department_id=org["digital"])).status_code
        == 302
    )
    assert (
        other.get(f"/manage/exports/hours?format=csv&department={org['welfare']}").status_code
        == 200
    )


def test_the_exports_page_lists_the_exports_for_coordinators_only(app, client, as_role, make_user):
    as_role(Role.COORDINATOR)
    page = client.get("/manage/exports")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for label in (
        "수료자 현황",
        "상시학습 시간",
        "신규 임용자 필수교육 이수 현황",
        "AI 실습 공간 부서별 사용량",
    ):
        assert label in html
    staff = app.test_client()
    assert Auth(staff).login(make_user(Role.STAFF)).status_code == 302
    assert staff.get("/manage/exports").status_code == 403
    assert staff.get("/manage/exports/hours?format=csv").status_code == 403
    assert _audits(app) == []


def test_roster_and_attendance_pages_offer_the_export_buttons(client, as_role, make_session):
    as_role(Role.COORDINATOR)
    session = make_session()
    roster = client.get(f"/manage/sessions/{session.id}/roster").get_data(as_text=True)
    assert f"/manage/sessions/{session.id}/export/session-roster?format=xlsx" in roster
    attendance = client.get(f"/attendance/sessions/{session.id}").get_data(as_text=True)
    assert f"/manage/sessions/{session.id}/export/session-attendance?format=csv" in attendance


def test_headers_follow_the_users_language(app, client, as_role):
    as_role(Role.ADMIN, locale="en")
    rows = _rows(client.get("/manage/exports/usage?format=csv&year=2026"))
    assert rows[0] == ["Departments", "Month", "Users", "Messages", "Tokens"]
