"""Admin audit log: search, CSV export, access and query count."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from portal.audit.models import AuditEntry
from portal.core.clock import utcnow
from portal.db import db
from portal.users.models import Role


def add_entries(app, *entries: dict) -> None:
    with app.app_context():
        for fields in entries:
            db.session.add(
                AuditEntry(
                    **{
                        "occurred_at": utcnow(),
                        "action": "test.something",
                        "details": {},
                        **fields,
                    }
                )
            )
        db.session.commit()


def read_csv(response) -> tuple[bytes, list[list[str]]]:
    body = response.get_data()
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    return body, rows


@pytest.mark.parametrize("role", [Role.STAFF, Role.INSTRUCTOR, Role.COORDINATOR])
def test_only_admins_may_search_or_export_the_audit_log(client, as_role, role):
    as_role(role)
    assert client.get("/admin/audit/").status_code == 403
    assert client.get("/admin/audit/export.csv").status_code == 403


def test_logged_out_visitors_are_sent_to_the_login_page(client):
    response = client.get("/admin/audit/")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_admin_sees_entries_newest_first_with_the_actor_and_seoul_time(app, client, as_role):
    admin = as_role(Role.ADMIN)
    add_entries(
        app,
        {
            "action": "user.role_changed",
            "actor_id": admin.id,
            "occurred_at": dt.datetime(2026, 3, 1, 15, 30, tzinfo=dt.UTC),
            "target_type": "user",
            "target_id": "42",
            "details": {"from": "staff", "to": "coordinator"},
        },
    )
    page = client.get("/admin/audit/?action=user.role_changed").get_data(as_text=True)
    assert "2026-03-02 00:30:00" in page  # 15:30 UTC is past midnight in Seoul
    assert 'datetime="2026-03-01T15:30:00+00:00"' in page
    assert f"{admin.name} ({admin.employee_number})" in page
    assert "사용자 역할 변경" in page and "user.role_changed" in page
    assert "(삭제됨) #42" in page  # no user 42: the target is shown as deleted
    assert "변경 전" in page and "staff" in page and "coordinator" in page


def test_action_filter_takes_an_exact_action_or_a_family_ending_in_a_dot(app, client, as_role):
    as_role(Role.ADMIN)
    add_entries(
        app,
        {"action": "attendance.corrected", "target_id": "a1"},
        {"action": "attendance.checked_in", "target_id": "a2"},
        {"action": "hours.approved", "target_id": "h1"},
    )
    exact = client.get("/admin/audit/?action=attendance.corrected").get_data(as_text=True)
    assert "#a1" in exact and "#a2" not in exact and "#h1" not in exact

    family = client.get("/admin/audit/?action=attendance.").get_data(as_text=True)
    assert "#a1" in family and "#a2" in family and "#h1" not in family


def test_date_range_is_read_as_whole_days_in_seoul(app, client, as_role):
    as_role(Role.ADMIN)
    add_entries(
        app,
        # 2026-03-01 23:59 KST, 2026-03-02 00:30 KST, 2026-03-02 23:59 KST, 2026-03-03 00:00 KST
        {"occurred_at": dt.datetime(2026, 3, 1, 14, 59, tzinfo=dt.UTC), "target_id": "before"},
        {"occurred_at": dt.datetime(2026, 3, 1, 15, 30, tzinfo=dt.UTC), "target_id": "early"},
        {"occurred_at": dt.datetime(2026, 3, 2, 14, 59, tzinfo=dt.UTC), "target_id": "late"},
        {"occurred_at": dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC), "target_id": "after"},
    )
    page = client.get(
        "/admin/audit/?action=test.something&date_from=2026-03-02&date_to=2026-03-02"
    ).get_data(as_text=True)
    assert "#early" in page and "#late" in page
    assert "#before" not in page and "#after" not in page


def test_a_bad_date_gets_a_korean_message_not_an_error(client, as_role):
    as_role(Role.ADMIN)
    response = client.get("/admin/audit/?date_from=2026-13-45&date_to=어제")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "시작일 형식이 올바르지 않습니다" in page
    assert "종료일 형식이 올바르지 않습니다" in page

    response = client.get("/admin/audit/?date_from=2026-03-05&date_to=2026-03-01")
    assert "시작일이 종료일보다 늦습니다" in response.get_data(as_text=True)

    response = client.get("/admin/audit/?date_from=0001-01-01")
    assert response.status_code == 200
    assert "2000년부터 2100년 사이" in response.get_data(as_text=True)


def test_export_is_utf8_csv_with_a_bom_a_header_and_only_the_filtered_rows(app, client, as_role):
    admin = as_role(Role.ADMIN)
    add_entries(
        app,
        {
            "action": "roster.viewed",
            "actor_id": admin.id,
            "occurred_at": dt.datetime(2026, 3, 1, 15, 30, tzinfo=dt.UTC),
            "target_type": "session",
            "target_id": "7",
            "ip": "10.20.30.40",
            "details": {"부서": "SJ-110"},
        },
        {"action": "hours.approved", "target_id": "not-this-one"},
    )
    response = client.get("/admin/audit/export.csv?action=roster.viewed")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body, rows = read_csv(response)
    assert body.startswith(b"\xef\xbb\xbf")
    assert rows[0] == [
        "occurred_at",
        "occurred_at_kst",
        "actor_employee_number",
        "actor",
        "action",
        "action_label",
        "target_type",
        "target_id",
        "target",
        "ip",
        "details",
    ]
    assert rows[1:] == [
        [
            "2026-03-01T15:30:00+00:00",
            "2026-03-02 00:30:00",
            admin.employee_number,
            f"{admin.name} ({admin.employee_number})",
            "roster.viewed",
            "명단 열람",
            "session",
            "7",
            "(삭제됨) #7",
            "10.20.30.40",
            "부서: SJ-110",
        ]
    ]


def test_export_uses_the_same_date_filter_as_the_search(app, client, as_role):
    as_role(Role.ADMIN)
    add_entries(
        app,
        {"occurred_at": dt.datetime(2026, 3, 1, 14, 59, tzinfo=dt.UTC), "target_id": "before"},
        {"occurred_at": dt.datetime(2026, 3, 1, 15, 30, tzinfo=dt.UTC), "target_id": "inside"},
    )
    response = client.get(
        "/admin/audit/export.csv?action=test.&date_from=2026-03-02&date_to=2026-03-02"
    )
    _body, rows = read_csv(response)
    assert [row[7] for row in rows[1:]] == ["inside"]


def test_export_is_audited_with_the_filter_names_but_not_their_values(
    client, as_role, audit_entries
):
    admin = as_role(Role.ADMIN)
    response = client.get("/admin/audit/export.csv?actor=T99999&ip=10.1.&date_from=2026-01-01")
    assert response.status_code == 200
    response.get_data()
    [entry] = audit_entries("audit.exported")
    assert entry.actor_id == admin.id
    assert entry.details == {"filters": ["actor", "date_from", "ip"], "format": "csv"}
    assert "T99999" not in str(entry.details)


def test_export_does_not_list_its_own_audit_entry(client, as_role):
    as_role(Role.ADMIN)
    _body, rows = read_csv(client.get("/admin/audit/export.csv?action=audit."))
    assert rows[1:] == []


def test_export_with_a_bad_date_returns_to_the_search_page_with_the_message(client, as_role):
    as_role(Role.ADMIN)
    response = client.get("/admin/audit/export.csv?date_to=2026-02-30", follow_redirects=True)
    assert response.status_code == 200
    assert "종료일 형식이 올바르지 않습니다" in response.get_data(as_text=True)


def test_spreadsheet_formulas_in_exported_cells_are_neutralised(app, client, as_role):
    as_role(Role.ADMIN)
    add_entries(app, {"action": "test.formula", "target_id": "=HYPERLINK(1)"})
    _body, rows = read_csv(client.get("/admin/audit/export.csv?action=test.formula"))
    assert rows[1][7] == "'=HYPERLINK(1)"


def test_search_page_runs_the_same_number_of_statements_for_5_or_50_entries(
    app, client, as_role, make_user, count_statements
):
    as_role(Role.ADMIN)
    actors = [make_user(Role.STAFF) for _ in range(5)]

    def entries(n: int) -> list[dict]:
        return [
            {"action": f"test.bulk{i % 3}", "actor_id": actors[i % 5].id, "target_id": str(i)}
            for i in range(n)
        ]

    add_entries(app, *entries(5))
    client.get("/admin/audit/")  # warm up: the first request may touch the login session
    with count_statements() as few:
        assert client.get("/admin/audit/").status_code == 200
    add_entries(app, *entries(45))
    with count_statements() as many:
        page = client.get("/admin/audit/")
    assert page.status_code == 200
    assert actors[4].employee_number in page.get_data(as_text=True)
    assert few and len(few) == len(many), (few, many)
