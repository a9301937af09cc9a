"""The admin HR staff-file import screens: upload, dry-run preview, apply once, template."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import time

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.db import db
from portal.users.hr_import import MAX_DATA_ROWS
from portal.users.models import Role, RosterUpload, User
from tests.fixtures.hr_import_samples import (
    EN_HEADER,
    KO_HEADER,
    csv_bytes,
    roster_rows,
    sheet_xml,
    staff_row,
    xlsx_bytes,
    xlsx_with_sheet,
)


def _user(app, employee_number: str) -> User | None:
    with app.app_context():
        return db.session.scalar(select(User).where(User.employee_number == employee_number))


def _upload(client, auth, content: bytes, filename: str = "명단.csv"):
    token = auth.csrf("/admin/import/")
    # Encoded here in memory: for a body over 500 KB the test client would spool it to a
    # temporary file that it never closes.
    boundary, body = encode_multipart(
        {"csrf_token": token, "roster_file": FileStorage(io.BytesIO(content), filename)}
    )
    return client.post(
        "/admin/import/",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _upload_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/admin/import/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def _apply(client, auth, upload_id: int):
    token = auth.csrf("/admin/import/")  # the session's token; the preview re-plans the file
    return client.post(f"/admin/import/{upload_id}/apply", data={"csrf_token": token})


@pytest.fixture
def admin(as_role):
    return as_role(Role.ADMIN)


def test_an_admin_uploads_a_roster_and_sees_the_dry_run_before_anything_changes(
    app, client, auth, admin, department, audit_entries, row_count
):
    users_before = row_count(User)
    rows = [KO_HEADER, staff_row(1, department.code), staff_row(2, department.code)]
    upload_id = _upload_id(_upload(client, auth, csv_bytes(rows)))

    page = client.get(f"/admin/import/{upload_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "새로 만들 직원" in html
    assert "R00002" in html and "가져온직원2" in html
    assert "비밀번호가 없습니다" in html
    assert f'action="/admin/import/{upload_id}/apply"' in html
    assert "data-confirm=" in html

    assert row_count(User) == users_before
    (dry_run,) = audit_entries("roster.dry_run")
    assert dry_run.actor_id == admin.id
    assert dry_run.details["created"] == 2
    assert dry_run.details["sha256"] == hashlib.sha256(csv_bytes(rows)).hexdigest()
    assert audit_entries("roster.imported") == []


def test_applying_creates_the_staff_once_and_records_it(
    app, client, auth, admin, department, audit_entries
):
    rows = [KO_HEADER, staff_row(1, department.code), staff_row(2, department.code)]
    upload_id = _upload_id(_upload(client, auth, csv_bytes(rows)))

    response = _apply(client, auth, upload_id)
    assert response.status_code == 302
    created = _user(app, "R00001")
    assert created is not None and created.role is Role.STAFF and created.password_hash is None
    (entry,) = audit_entries("roster.imported")
    assert entry.actor_id == admin.id
    assert entry.target_id == str(upload_id)
    assert (entry.details["created"], entry.details["updated"], entry.details["unchanged"]) == (
        2,
        0,
        0,
    )
    with app.app_context():
        assert db.session.get(RosterUpload, upload_id).applied_at is not None

    result = client.get(f"/admin/import/{upload_id}").get_data(as_text=True)
    assert "반영한 파일입니다" in result
    assert f"/admin/import/{upload_id}/apply" not in result


def test_applying_the_same_upload_twice_is_refused(
    app, client, auth, admin, department, audit_entries, row_count
):
    upload_id = _upload_id(
        _upload(client, auth, csv_bytes([KO_HEADER, staff_row(1, department.code)]))
    )
    _apply(client, auth, upload_id)
    users = row_count(User)

    again = _apply(client, auth, upload_id)
    assert again.status_code == 302
    assert "이미 반영한 파일" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert row_count(User) == users
    assert len(audit_entries("roster.imported")) == 1


def test_a_file_with_one_bad_row_shows_every_error_and_cannot_be_applied(
    app, client, auth, admin, department, audit_entries, row_count
):
    rows = [
        KO_HEADER,
        staff_row(1, department.code),
        staff_row(2, "없는부서"),
        staff_row(3, department.code, number="R00001"),
    ]
    upload_id = _upload_id(_upload(client, auth, csv_bytes(rows)))
    html = client.get(f"/admin/import/{upload_id}").get_data(as_text=True)
    assert "반영할 수 없습니다" in html
    assert "<td>3</td>" in html and "없는 부서입니다: 없는부서" in html
    assert "<td>4</td>" in html and "2번째 줄과 겹칩니다" in html
    assert "/apply" not in html

    users = row_count(User)
    response = _apply(client, auth, upload_id)
    assert response.status_code == 302
    assert row_count(User) == users
    assert _user(app, "R00001") is None
    assert audit_entries("roster.imported") == []


def test_an_unchanged_file_imported_again_reports_everything_unchanged(
    app, client, auth, admin, department, audit_entries
):
    content = csv_bytes([KO_HEADER] + [staff_row(i, department.code) for i in range(1, 4)])
    _apply(client, auth, _upload_id(_upload(client, auth, content)))

    second = _upload_id(_upload(client, auth, content))
    html = client.get(f"/admin/import/{second}").get_data(as_text=True)
    assert "모든 직원 정보가 지금과 같습니다" in html
    assert audit_entries("roster.dry_run")[-1].details["unchanged"] == 3
    _apply(client, auth, second)
    assert audit_entries("roster.imported")[-1].details == {
        "created": 0,
        "updated": 0,
        "unchanged": 3,
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def test_an_update_lists_the_changed_fields_and_keeps_the_role(
    app, client, auth, admin, department, make_user
):
    coordinator = make_user(
        Role.COORDINATOR,
        employee_number="R00001",
        email="import1@sejong.example.kr",
        name="가져온직원1",
        department_id=department.id,
        appointed_on=dt.date(2024, 3, 2),
    )
    row = staff_row(1, department.code, grade="행정5급")
    upload_id = _upload_id(_upload(client, auth, csv_bytes([EN_HEADER, row]), "roster.csv"))
    html = client.get(f"/admin/import/{upload_id}").get_data(as_text=True)
    assert "정보 변경" in html and "직급" in html

    _apply(client, auth, upload_id)
    updated = _user(app, "R00001")
    assert updated.id == coordinator.id
    assert updated.grade == "행정5급"
    assert updated.role is Role.COORDINATOR


def test_an_xlsx_roster_with_date_cells_is_imported(app, client, auth, admin, department):
    rows = [
        KO_HEADER,
        [2024001, "엑셀직원", "excel@sejong.example.kr", department.code, "", dt.date(2024, 1, 2)],
    ]
    upload_id = _upload_id(_upload(client, auth, xlsx_bytes(rows), "명단.xlsx"))
    _apply(client, auth, upload_id)
    assert _user(app, "2024001").appointed_on == dt.date(2024, 1, 2)


def test_a_cp949_csv_is_imported(app, client, auth, admin, department):
    content = csv_bytes([KO_HEADER, staff_row(1, department.code)], encoding="cp949")
    _apply(client, auth, _upload_id(_upload(client, auth, content)))
    assert _user(app, "R00001").name == "가져온직원1"


def test_the_change_table_is_paginated(app, client, auth, admin, department):
    rows = [KO_HEADER] + [staff_row(i, department.code) for i in range(1, 131)]
    upload_id = _upload_id(_upload(client, auth, csv_bytes(rows)))
    first = client.get(f"/admin/import/{upload_id}").get_data(as_text=True)
    assert "R00100" in first and "R00101" not in first
    assert f"/admin/import/{upload_id}?page=2" in first
    second = client.get(f"/admin/import/{upload_id}?page=2").get_data(as_text=True)
    assert "R00101" in second and "R00130" in second


def test_the_preview_queries_the_database_a_fixed_number_of_times(
    app, client, auth, admin, department, count_statements
):
    small = _upload_id(_upload(client, auth, csv_bytes([KO_HEADER, staff_row(1, department.code)])))
    rows = [KO_HEADER] + [staff_row(i, department.code) for i in range(1, 80)]
    large = _upload_id(_upload(client, auth, csv_bytes(rows)))
    client.get(f"/admin/import/{small}")
    with count_statements() as few:
        client.get(f"/admin/import/{small}")
    with count_statements() as many:
        client.get(f"/admin/import/{large}")
    assert len(few) == len(many)


def test_a_file_over_the_size_limit_is_refused_and_not_stored(
    app, client, auth, admin, department, row_count
):
    content = csv_bytes([KO_HEADER] + [staff_row(i, department.code) for i in range(1, 50)])
    app.config["ROSTER_IMPORT_MAX_BYTES"] = len(content) - 1
    try:
        response = _upload(client, auth, content)
    finally:
        app.config["ROSTER_IMPORT_MAX_BYTES"] = 5 * 1024 * 1024
    assert response.status_code == 200
    assert "파일이 너무 큽니다" in response.get_data(as_text=True)
    assert row_count(RosterUpload) == 0


def test_a_file_of_another_type_is_refused_by_the_form(app, client, auth, admin, row_count):
    response = _upload(client, auth, b"%PDF-1.4", "명단.pdf")
    assert response.status_code == 200
    assert "CSV 또는 XLSX 파일만" in response.get_data(as_text=True)
    assert row_count(RosterUpload) == 0


def test_any_admin_may_see_any_upload(app, client, auth, admin, department, make_user):
    upload_id = _upload_id(
        _upload(client, auth, csv_bytes([KO_HEADER, staff_row(1, department.code)]))
    )
    auth.logout()
    auth.login(make_user(Role.ADMIN))
    assert client.get(f"/admin/import/{upload_id}").status_code == 200
    assert client.get("/admin/import/").status_code == 200


def test_an_unknown_upload_is_not_found(client, admin):
    assert client.get("/admin/import/999999").status_code == 404


@pytest.mark.parametrize("role", [Role.STAFF, Role.INSTRUCTOR, Role.COORDINATOR])
def test_non_admins_are_refused_every_import_page(
    app, client, auth, as_role, make_user, department, role, row_count
):
    with app.app_context():
        stored = RosterUpload(
            filename="x.csv", content=b"", sha256="0" * 64, created_at=dt.datetime.now(dt.UTC)
        )
        db.session.add(stored)
        db.session.commit()
        upload_id = stored.id
    as_role(role)
    token = auth.csrf("/")
    assert client.get("/admin/import/").status_code == 403
    assert client.get(f"/admin/import/{upload_id}").status_code == 403
    assert client.get("/admin/import/template.csv").status_code == 403
    content = csv_bytes([KO_HEADER, staff_row(1, department.code)])
    posted = client.post(
        "/admin/import/",
        data={"csrf_token": token, "roster_file": (io.BytesIO(content), "a.csv")},
        content_type="multipart/form-data",
    )
    assert posted.status_code == 403
    assert (
        client.post(f"/admin/import/{upload_id}/apply", data={"csrf_token": token}).status_code
        == 403
    )
    assert row_count(RosterUpload) == 1


def test_posts_without_a_csrf_token_change_nothing(app, client, auth, admin, department, row_count):
    content = csv_bytes([KO_HEADER, staff_row(1, department.code)])
    refused = client.post(
        "/admin/import/",
        data={"roster_file": (io.BytesIO(content), "a.csv")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    assert row_count(RosterUpload) == 0

    upload_id = _upload_id(_upload(client, auth, content))
    users = row_count(User)
    assert client.post(f"/admin/import/{upload_id}/apply").status_code == 400
    assert row_count(User) == users
    with app.app_context():
        assert db.session.get(RosterUpload, upload_id).applied_at is None


def test_the_template_is_a_utf8_csv_with_a_bom_and_korean_headers(client, admin):
    response = client.get("/admin/import/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.decode("utf-8-sig").strip() == "사번,성명,이메일,부서,직급,임용일"


def test_the_upload_page_explains_the_rules_and_lists_recent_uploads(
    client, auth, admin, department
):
    _upload(client, auth, csv_bytes([KO_HEADER, staff_row(1, department.code)]), "3월명단.csv")
    html = client.get("/admin/import/").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    assert "/admin/import/template.csv" in html
    assert "로그인할 수 없습니다" in html
    assert "3월명단.csv" in html and "반영 전" in html


def test_a_two_million_blank_row_xlsx_is_refused_quickly_on_upload_and_preview(
    app, client, auth, admin
):
    content = xlsx_with_sheet(sheet_xml([KO_HEADER], blank_rows=2_000_000))
    started = time.perf_counter()
    upload_id = _upload_id(_upload(client, auth, content, "빈행.xlsx"))
    page = client.get(f"/admin/import/{upload_id}")
    assert time.perf_counter() - started < 3.0
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "행이 너무 많습니다" in html and "빈 행을 포함해" in html
    assert "이대로 반영하기" not in html


def test_the_preview_shows_department_head_changes_and_applying_audits_them(
    app, client, auth, admin, department, make_user, audit_entries
):
    existing = make_user(
        Role.STAFF,
        employee_number="R00002",
        email="import2@sejong.example.kr",
        name="가져온직원2",
        department_id=department.id,
        appointed_on=dt.date(2024, 3, 2),
        is_department_head=True,
    )
    rows = [
        [*KO_HEADER, "부서장"],
        [*staff_row(1, department.code), "예"],
        [*staff_row(2, department.code), "아니오"],
    ]
    upload_id = _upload_id(_upload(client, auth, csv_bytes(rows)))
    html = client.get(f"/admin/import/{upload_id}").get_data(as_text=True)
    assert "부서장으로 지정" in html and "부서장 지정 해제" in html

    assert _apply(client, auth, upload_id).status_code == 302
    assert _user(app, "R00001").is_department_head is True
    assert _user(app, "R00002").is_department_head is False
    entries = {e.target_id: e for e in audit_entries("user.department_head_changed")}
    assert entries[str(existing.id)].details == {"is_department_head": False}
    assert entries[str(existing.id)].actor_id == admin.id
    assert entries[str(_user(app, "R00001").id)].details == {"is_department_head": True}


def test_a_nul_byte_in_an_uploaded_roster_is_refused_and_nothing_is_written(
    app, client, auth, admin, department, row_count
):
    users = row_count(User)
    rows = [KO_HEADER, staff_row(1, department.code, name="김\x00철수")]
    upload_id = _upload_id(_upload(client, auth, csv_bytes(rows), "널.csv"))
    html = client.get(f"/admin/import/{upload_id}").get_data(as_text=True)
    assert "널.csv 파일 2번째 줄의 성명 칸에 제어 문자" in html
    response = _apply(client, auth, upload_id)
    assert response.status_code == 302
    assert row_count(User) == users


def test_twenty_thousand_rows_are_applied_through_the_screens_and_a_bad_last_row_stops_all(
    app, client, auth, admin, department, row_count
):
    users = row_count(User)
    rows = roster_rows(MAX_DATA_ROWS, department.code)
    rows[-1] = staff_row(MAX_DATA_ROWS, department.code, email="not-an-email")
    bad_id = _upload_id(_upload(client, auth, csv_bytes(rows)))
    _apply(client, auth, bad_id)
    assert row_count(User) == users

    rows[-1] = staff_row(MAX_DATA_ROWS, department.code)
    upload_id = _upload_id(_upload(client, auth, csv_bytes(rows)))
    started = time.perf_counter()
    assert _apply(client, auth, upload_id).status_code == 302
    seconds = time.perf_counter() - started
    assert row_count(User) == users + MAX_DATA_ROWS
    assert _user(app, f"R{MAX_DATA_ROWS:05d}") is not None
    assert seconds < 30  # far below gunicorn's timeout even on a busy shared machine
