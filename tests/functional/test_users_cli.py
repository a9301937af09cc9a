"""`flask users create-admin` and `flask users import`."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.auth.passwords import verify_password
from portal.db import db
from portal.users.models import Role, User
from tests.fixtures.hr_import_samples import (
    KO_HEADER,
    csv_bytes,
    sheet_xml,
    staff_row,
    xlsx_bytes,
    xlsx_with_sheet,
)

ADMIN_PASSWORD = "Tiger!river-77-moon"


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def invoke(*args: str):
        return runner.invoke(args=["users", *args])

    return invoke


def _user(app, employee_number: str) -> User | None:
    with app.app_context():
        return db.session.scalar(select(User).where(User.employee_number == employee_number))


@pytest.fixture
def roster_file(tmp_path, department):
    def write(rows, name: str = "명단.csv") -> str:
        path = tmp_path / name
        path.write_bytes(xlsx_bytes(rows) if name.endswith(".xlsx") else csv_bytes(rows))
        return str(path)

    return write


# ---------------------------------------------------------------- create-admin


def test_create_admin_creates_an_admin_who_can_log_in(app, run):
    result = run(
        "create-admin",
        "--employee-number", "A0001",
        "--name", "관리자",
        "--email", "admin@sejong.example.kr",
        "--password", ADMIN_PASSWORD,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    admin = _user(app, "A0001")
    assert admin.role is Role.ADMIN
    assert verify_password(admin.password_hash, ADMIN_PASSWORD)


def test_create_admin_with_a_bad_email_exits_with_a_korean_message(app, run):
    result = run(
        "create-admin",
        "--employee-number", "A0002",
        "--name", "관리자",
        "--email", "not-an-email",
        "--password", ADMIN_PASSWORD,
    )  # fmt: skip
    assert result.exit_code == 1
    assert "이메일 주소 형식이 올바르지 않습니다" in result.output
    assert _user(app, "A0002") is None


# ---------------------------------------------------------------- import


def test_import_dry_run_prints_the_plan_and_writes_only_the_audit_entry(
    app, run, roster_file, department, audit_entries, row_count
):
    users = row_count(User)
    path = roster_file([KO_HEADER, staff_row(1, department.code), staff_row(2, department.code)])
    result = run("import", path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "create 2, update 0, unchanged 0, errors 0" in result.output
    assert "Dry run" in result.output
    assert row_count(User) == users
    (entry,) = audit_entries("roster.dry_run")
    assert entry.details["created"] == 2
    assert audit_entries("roster.imported") == []


def test_import_creates_and_updates_staff_and_commits_once(
    app, run, roster_file, department, make_user, audit_entries
):
    make_user(
        Role.INSTRUCTOR,
        employee_number="R00002",
        email="import2@sejong.example.kr",
        appointed_on=dt.date(2024, 3, 2),
    )
    path = roster_file([KO_HEADER, staff_row(1, department.code), staff_row(2, department.code)])
    result = run("import", path)
    assert result.exit_code == 0, result.output
    assert "Imported: created 1, updated 1, unchanged 0." in result.stdout
    assert "Importing" in result.stderr  # the progress bar goes to stderr
    assert "no password" in result.stdout

    created = _user(app, "R00001")
    assert created.role is Role.STAFF and created.password_hash is None
    updated = _user(app, "R00002")
    assert updated.role is Role.INSTRUCTOR
    assert updated.department_id == department.id
    (entry,) = audit_entries("roster.imported")
    assert entry.details["created"] == 1 and entry.details["updated"] == 1

    again = run("import", path)
    assert "created 0, updated 0, unchanged 2" in again.output


def test_import_of_an_xlsx_file_works(app, run, roster_file, department):
    rows = [
        KO_HEADER,
        ["X-1", "엑셀", "xl@sejong.example.kr", department.code, "", dt.date(2022, 5, 6)],
    ]
    result = run("import", roster_file(rows, "명단.xlsx"))
    assert result.exit_code == 0, result.output
    assert _user(app, "X-1").appointed_on == dt.date(2022, 5, 6)


def test_import_of_a_bad_file_names_every_bad_line_exits_non_zero_and_writes_nothing(
    app, run, roster_file, department, row_count
):
    users = row_count(User)
    path = roster_file(
        [
            KO_HEADER,
            staff_row(1, department.code),
            staff_row(2, department.code, email="nope"),
            staff_row(3, "없는부서"),
        ]
    )
    result = run("import", path)
    assert result.exit_code != 0
    assert "line 3: [이메일] 이메일 주소 형식이 올바르지 않습니다: nope" in result.stderr
    assert "line 4: [부서] 없는 부서입니다: 없는부서" in result.stderr
    assert "2 line(s) have problems; nothing was imported." in result.stderr
    assert row_count(User) == users
    assert _user(app, "R00001") is None
    assert row_count(AuditEntry) == 0


def test_a_dry_run_of_a_bad_file_also_exits_non_zero_but_keeps_its_audit_entry(
    app, run, roster_file, department, audit_entries
):
    path = roster_file([KO_HEADER, staff_row(1, department.code, number="?")])
    result = run("import", path, "--dry-run")
    assert result.exit_code != 0
    assert "line 2: [사번]" in result.stderr
    (entry,) = audit_entries("roster.dry_run")
    assert entry.details["errors"] == 1


def test_import_of_a_file_without_the_required_headers_explains_which(app, run, roster_file):
    result = run("import", roster_file([["이름", "메모"], ["김", "x"]]))
    assert result.exit_code != 0
    assert "필수 열이 없습니다: 사번, 이메일, 부서" in result.stderr


def test_import_refuses_a_file_over_the_size_limit(app, run, roster_file, department):
    path = roster_file([KO_HEADER, staff_row(1, department.code)])
    app.config["ROSTER_IMPORT_MAX_BYTES"] = 10
    try:
        result = run("import", path)
    finally:
        app.config["ROSTER_IMPORT_MAX_BYTES"] = 5 * 1024 * 1024
    assert result.exit_code != 0
    assert "ROSTER_IMPORT_MAX_BYTES" in result.output


def test_import_with_apply_shows_its_stages_and_applies(app, run, roster_file, department):
    path = roster_file([KO_HEADER, staff_row(1, department.code)])
    result = run("import", path, "--apply")
    assert result.exit_code == 0, result.output
    assert "1/3 파일 읽는 중" in result.stderr
    assert "2/3 검사하는 중: 1행" in result.stderr
    assert "3/3 반영하는 중" in result.stderr
    assert _user(app, "R00001") is not None


def test_import_refuses_dry_run_and_apply_together(app, run, roster_file, department):
    result = run(
        "import", roster_file([KO_HEADER, staff_row(1, department.code)]), "--dry-run", "--apply"
    )
    assert result.exit_code == 2
    assert _user(app, "R00001") is None


def test_import_of_a_blank_row_bomb_fails_cleanly_in_korean(app, run, tmp_path, row_count):
    path = tmp_path / "빈행.xlsx"
    path.write_bytes(xlsx_with_sheet(sheet_xml([KO_HEADER], blank_rows=2_000_000)))
    users = row_count(User)
    result = run("import", str(path))
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "행이 너무 많습니다" in result.stderr
    assert "아무것도 반영하지 않았습니다" in result.stderr
    assert row_count(User) == users


def test_import_of_a_nul_byte_names_the_line_and_field(app, run, roster_file, department):
    path = roster_file([KO_HEADER, staff_row(1, department.code, grade="7\x00급")])
    result = run("import", path)
    assert result.exit_code == 1
    assert "line 2: [직급]" in result.stderr and "제어 문자" in result.stderr
    assert _user(app, "R00001") is None
