"""HR import rules: parsing, whole-file validation, the diff, and the all-or-nothing apply."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.db import db
from portal.org.models import Department, DepartmentKind
from portal.users import operations
from portal.users.hr_import import (
    Action,
    HRImportError,
    apply_import,
    parse_date,
    parse_file,
    plan_import,
)
from portal.users.models import Role, User
from tests.fixtures.hr_import_samples import (
    EN_HEADER,
    KO_HEADER,
    csv_bytes,
    staff_row,
    xlsx_bytes,
)


@pytest.fixture
def request_ctx(app):
    """Messages are translated, which needs a request (as in the views) or a forced locale (CLI)."""
    with app.test_request_context():
        yield


def _plan(rows, filename="roster.csv", **kwargs):
    content = xlsx_bytes(rows) if filename.endswith(".xlsx") else csv_bytes(rows, **kwargs)
    return plan_import(parse_file(filename, content))


def _messages(plan) -> list[str]:
    return [f"{e.line}:{e.column}:{e.message}" for e in plan.errors]


# ---------------------------------------------------------------- reading files


def test_korean_headers_are_read(request_ctx, department):
    parsed = parse_file("명단.csv", csv_bytes([KO_HEADER, staff_row(1, department.code)]))
    assert parsed.errors == []
    (row,) = parsed.rows
    assert (row.line, row.employee_number, row.department) == (2, "R00001", department.code)
    assert row.appointed_on == dt.date(2024, 3, 2)


def test_english_headers_match_whatever_their_case_spaces_and_dashes(request_ctx, department):
    parsed = parse_file("roster.csv", csv_bytes([EN_HEADER, staff_row(1, department.code)]))
    assert parsed.errors == []
    assert parsed.rows[0].email == "import1@sejong.example.kr"
    assert parsed.rows[0].grade == "행정7급"


@pytest.mark.parametrize(
    "header",
    [
        ["직원번호", "이름", "전자우편", "소속", "직급", "임용일자"],
        ["employee_number", "NAME", "email", "department", "grade", "appointment date"],
        ["Employee Number", "name", "e-mail", "부서코드", "Grade", "Appointment_Date"],
    ],
)
def test_every_documented_header_spelling_is_accepted(request_ctx, department, header):
    parsed = parse_file("r.csv", csv_bytes([header, staff_row(1, department.code)]))
    assert parsed.errors == []
    assert len(parsed.headers) == 6


def test_a_utf8_file_with_a_bom_is_read(request_ctx, department):
    content = csv_bytes([KO_HEADER, staff_row(1, department.code)], bom=True)
    assert content.startswith(b"\xef\xbb\xbf")
    parsed = parse_file("r.csv", content)
    assert parsed.errors == []
    assert parsed.rows[0].employee_number == "R00001"


def test_a_cp949_file_from_korean_excel_is_read(request_ctx, department):
    content = csv_bytes([KO_HEADER, staff_row(1, department.code)], encoding="cp949")
    parsed = parse_file("r.csv", content)
    assert parsed.errors == []
    assert parsed.rows[0].name == "가져온직원1"


def test_an_xlsx_file_with_date_cells_and_numeric_employee_numbers_is_read(request_ctx, department):
    content = xlsx_bytes(
        [
            KO_HEADER,
            [
                2019001,
                "김세종",
                "kim@sejong.example.kr",
                department.code,
                "행정6급",
                dt.date(2019, 7, 1),
            ],
        ]
    )
    parsed = parse_file("명단.xlsx", content)
    assert parsed.errors == []
    (row,) = parsed.rows
    assert row.employee_number == "2019001"
    assert row.appointed_on == dt.date(2019, 7, 1)


@pytest.mark.parametrize(
    "text",
    ["2024-03-02", "2024.03.02", "2024/03/02", "20240302", "2024. 3. 2.", "2024-03-02 00:00:00"],
)
def test_dates_are_read_in_the_usual_korean_formats(text):
    assert parse_date(text) == dt.date(2024, 3, 2)


def test_an_excel_date_cell_is_a_date():
    assert parse_date(dt.datetime(2024, 3, 2)) == dt.date(2024, 3, 2)


@pytest.mark.parametrize("text", ["02/03/2024", "2024-13-01", "내일", "2024-02-30"])
def test_impossible_or_ambiguous_dates_are_refused(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_a_missing_required_header_is_named(request_ctx):
    parsed = parse_file("r.csv", csv_bytes([["사번", "성명", "직급"], ["R1", "김", "7급"]]))
    (error,) = parsed.errors
    assert error.line == 1
    assert "이메일" in error.message and "부서" in error.message
    assert parsed.rows == []


def test_two_columns_for_the_same_field_are_refused(request_ctx):
    parsed = parse_file("r.csv", csv_bytes([[*KO_HEADER, "부서코드"]]))
    assert any("부서" in e.message and "두 개" in e.message for e in parsed.errors)


def test_blank_lines_are_ignored_but_keep_their_line_numbers(request_ctx, department):
    rows = [
        KO_HEADER,
        staff_row(1, department.code),
        [],
        ["", "", ""],
        staff_row(2, department.code),
    ]
    parsed = parse_file("r.csv", csv_bytes(rows))
    assert parsed.errors == []
    assert [r.line for r in parsed.rows] == [2, 5]


def test_a_bad_date_is_reported_with_its_line_and_column(request_ctx, department):
    rows = [
        KO_HEADER,
        staff_row(1, department.code),
        staff_row(2, department.code, appointed_on="3/2/24"),
    ]
    parsed = parse_file("r.csv", csv_bytes(rows))
    (error,) = parsed.errors
    assert (error.line, error.column) == (3, "임용일")
    assert "3/2/24" in error.message


def test_old_xls_files_and_other_formats_get_a_clear_message(request_ctx):
    xls = parse_file("명단.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    assert "XLS" in xls.errors[0].message
    pdf = parse_file("명단.pdf", b"%PDF-1.4")
    assert "CSV 또는 XLSX" in pdf.errors[0].message
    broken = parse_file("명단.xlsx", b"PK\x03\x04 not really a zip")
    assert "XLSX 파일을 열 수 없습니다" in broken.errors[0].message


def test_an_empty_file_or_a_header_alone_is_refused(request_ctx):
    assert "빈 파일" in parse_file("r.csv", b"").errors[0].message
    assert "행이 없습니다" in parse_file("r.csv", csv_bytes([KO_HEADER])).errors[0].message


def test_bytes_that_are_neither_utf8_nor_cp949_are_refused(request_ctx):
    parsed = parse_file("r.csv", b"\xff\xfe\xfa\xfb" * 10)
    assert "인코딩" in parsed.errors[0].message


# ---------------------------------------------------------------- planning


def test_a_new_employee_is_planned_as_a_staff_account_to_create(request_ctx, department):
    plan = _plan([KO_HEADER, staff_row(1, department.code)])
    assert plan.is_valid
    (row,) = plan.rows
    assert row.action is Action.CREATE
    assert row.data.role is Role.STAFF
    assert row.data.department_id == department.id


def test_an_existing_employee_update_lists_the_changed_field_names(
    request_ctx, department, make_user
):
    make_user(
        Role.STAFF,
        employee_number="R00001",
        email="import1@sejong.example.kr",
        name="가져온직원1",
        grade="행정8급",
        department_id=department.id,
        appointed_on=dt.date(2024, 3, 2),
    )
    plan = _plan([KO_HEADER, staff_row(1, department.code)])
    (row,) = plan.rows
    assert row.action is Action.UPDATE
    assert row.changed == ("grade",)


def test_an_unchanged_employee_is_planned_as_unchanged(request_ctx, department, make_user):
    make_user(
        Role.STAFF,
        employee_number="R00001",
        email="import1@sejong.example.kr",
        name="가져온직원1",
        department_id=department.id,
        appointed_on=dt.date(2024, 3, 2),
    )
    plan = _plan([KO_HEADER, staff_row(1, department.code)])
    assert [r.action for r in plan.rows] == [Action.UNCHANGED]


def test_one_bad_row_rejects_the_whole_file_and_names_the_row(request_ctx, department):
    rows = [
        KO_HEADER,
        staff_row(1, department.code),
        staff_row(2, department.code, email="not-an-email"),
        staff_row(3, department.code),
    ]
    plan = _plan(rows)
    assert not plan.is_valid
    assert plan.rows == []
    (error,) = plan.errors
    assert (error.line, error.column) == (3, "이메일")
    assert "이메일 주소 형식이 올바르지 않습니다" in error.message


def test_every_bad_row_and_every_problem_in_it_is_reported(request_ctx, department):
    rows = [
        KO_HEADER,
        staff_row(1, department.code, number="!!", name=""),
        staff_row(2, department.code),
        staff_row(3, "", grade="가" * 31),
    ]
    plan = _plan(rows)
    assert [(e.line, e.column) for e in plan.errors] == [
        (2, "사번"),
        (2, "성명"),
        (4, "직급"),
        (4, "부서"),
    ]


def test_a_duplicate_employee_number_in_the_file_is_reported_on_its_second_line(
    request_ctx, department
):
    rows = [
        KO_HEADER,
        staff_row(1, department.code),
        staff_row(2, department.code, number="R00001"),
    ]
    plan = _plan(rows)
    (error,) = plan.errors
    assert error.line == 3
    assert "2번째 줄과 겹칩니다" in error.message


def test_a_duplicate_email_in_the_file_is_reported_whatever_its_case(request_ctx, department):
    rows = [
        KO_HEADER,
        staff_row(1, department.code),
        staff_row(2, department.code, email="IMPORT1@Sejong.example.kr"),
    ]
    (error,) = _plan(rows).errors
    assert (error.line, error.column) == (3, "이메일")


def test_an_email_already_used_by_another_employee_is_refused(request_ctx, department, make_user):
    make_user(Role.STAFF, employee_number="X00001", email="taken@sejong.example.kr")
    plan = _plan([KO_HEADER, staff_row(1, department.code, email="taken@sejong.example.kr")])
    (error,) = plan.errors
    assert "X00001" in error.message


def test_an_employee_keeping_their_own_email_is_fine(request_ctx, department, make_user):
    make_user(Role.STAFF, employee_number="R00001", email="import1@sejong.example.kr")
    assert _plan([KO_HEADER, staff_row(1, department.code)]).is_valid


def test_an_unknown_department_is_refused(request_ctx, department):
    (error,) = _plan([KO_HEADER, staff_row(1, "없는부서")]).errors
    assert error.column == "부서"
    assert "없는 부서입니다: 없는부서" in error.message


def test_a_department_is_found_by_its_exact_name_when_unique(request_ctx, department):
    plan = _plan([KO_HEADER, staff_row(1, department.name)])
    assert plan.rows[0].data.department_id == department.id


def test_a_department_name_shared_by_two_departments_is_ambiguous(request_ctx, department):
    twin = Department(
        code="TWIN1",
        name=department.name,
        kind=DepartmentKind.DIVISION,
        parent_id=department.parent_id,
    )
    db.session.add(twin)
    db.session.flush()
    (error,) = _plan([KO_HEADER, staff_row(1, department.name)]).errors
    assert "2개" in error.message and "코드" in error.message
    assert _plan([KO_HEADER, staff_row(1, "TWIN1")]).is_valid


def test_an_inactive_department_is_refused(request_ctx, department):
    db.session.get(Department, department.id).is_active = False
    db.session.flush()
    (error,) = _plan([KO_HEADER, staff_row(1, department.code)]).errors
    assert "사용하지 않는 부서" in error.message


def test_missing_optional_columns_keep_existing_values(request_ctx, department, make_user):
    make_user(
        Role.STAFF,
        employee_number="R00001",
        email="import1@sejong.example.kr",
        name="가져온직원1",
        grade="행정6급",
        appointed_on=dt.date(2001, 1, 1),
        department_id=department.id,
    )
    rows = [KO_HEADER[:4], staff_row(1, department.code)[:4]]
    plan = _plan(rows)
    assert plan.rows[0].action is Action.UNCHANGED
    assert [c.value for c in plan.absent_columns] == ["grade", "appointed_on", "department_head"]


@pytest.mark.parametrize(
    ("fields", "column"),
    [
        ({"number": "a b"}, "employee_number"),
        ({"name": "가" * 51}, "name"),
        ({"email": "nobody@"}, "email"),
        ({"grade": "가" * 31}, "grade"),
        ({"appointed_on": "2099-01-01"}, "appointed_on"),
    ],
)
def test_row_rules_give_the_same_message_as_validate_account(
    request_ctx, department, fields, column
):
    # The plan checks the whole file in a fixed number of queries, so it re-states the field
    # rules of operations.validate_account; this keeps the two from drifting apart.
    row = staff_row(1, department.code, **fields)
    (error,) = _plan([KO_HEADER, row]).errors
    with pytest.raises(operations.AccountError) as refused:
        operations.validate_account(
            operations.AccountInput(
                employee_number=row[0],
                name=row[1],
                email=row[2],
                grade=row[4],
                appointed_on=parse_date(row[5]),
            )
        )
    assert error.message == str(refused.value)
    assert (
        error.column
        == {
            "employee_number": "사번",
            "name": "성명",
            "email": "이메일",
            "grade": "직급",
            "appointed_on": "임용일",
        }[column]
    )


def test_planning_reads_the_database_a_fixed_number_of_times(
    app, request_ctx, department, count_statements
):
    def count(n: int) -> int:
        rows = [KO_HEADER] + [staff_row(i, department.code) for i in range(n)]
        parsed = parse_file("r.csv", csv_bytes(rows))
        with count_statements() as statements:
            plan_import(parsed)
        return len(statements)

    count(1)  # the first statement of the test opens its transaction
    assert count(3) == count(60)


# ---------------------------------------------------------------- applying


def test_apply_creates_staff_without_passwords_and_updates_without_touching_roles(
    request_ctx, department, make_user
):
    coordinator = make_user(
        Role.COORDINATOR, employee_number="R00002", email="import2@sejong.example.kr"
    )
    rows = [
        KO_HEADER,
        staff_row(1, department.code),
        staff_row(2, department.code, grade="행정5급"),
    ]
    result = apply_import(_plan(rows), actor_id=None)
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)

    created = db.session.scalar(select(User).where(User.employee_number == "R00001"))
    assert created.role is Role.STAFF
    assert created.password_hash is None
    assert created.department_id == department.id
    updated = db.session.get(User, coordinator.id)
    assert updated.role is Role.COORDINATOR
    assert updated.grade == "행정5급"
    assert updated.name == "가져온직원2"


def test_apply_audits_counts_and_the_file_hash_without_personal_data(
    request_ctx, department, make_user
):
    admin = make_user(Role.ADMIN)
    content = csv_bytes([KO_HEADER, staff_row(1, department.code)])
    apply_import(plan_import(parse_file("r.csv", content)), actor_id=admin.id)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "roster.imported"))
    assert entry.actor_id == admin.id
    assert entry.details == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    for entry in db.session.scalars(select(AuditEntry)):
        text = str(entry.details)
        assert "import1@" not in text and "가져온직원" not in text


def test_apply_refuses_a_plan_with_errors_and_writes_nothing(request_ctx, department, row_count):
    before = row_count(User)
    plan = _plan([KO_HEADER, staff_row(1, department.code), staff_row(2, "없는부서")])
    with pytest.raises(HRImportError, match="1개 행"):
        apply_import(plan, actor_id=None)
    assert row_count(User) == before
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_a_rule_broken_during_apply_rolls_back_every_row(request_ctx, department, row_count):
    plan = _plan([KO_HEADER, staff_row(1, department.code), staff_row(2, department.code)])
    before = row_count(User)
    # Someone takes the second e-mail between the dry run and the apply.
    db.session.add(
        User(
            employee_number="Z00009",
            name="먼저온사람",
            email="import2@sejong.example.kr",
            created_at=dt.datetime.now(dt.UTC),
        )
    )
    db.session.flush()
    with pytest.raises(HRImportError, match="3번째 줄"):
        apply_import(plan, actor_id=None)
    assert row_count(User) == before + 1
    assert db.session.scalar(select(User).where(User.employee_number == "R00001")) is None


def test_reimporting_the_same_file_reports_everything_unchanged(request_ctx, department):
    rows = [KO_HEADER] + [staff_row(i, department.code) for i in range(1, 4)]
    apply_import(_plan(rows), actor_id=None)
    again = _plan(rows)
    assert [r.action for r in again.rows] == [Action.UNCHANGED] * 3
    result = apply_import(again, actor_id=None)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)


def test_apply_reports_progress_for_every_row_in_groups(
    request_ctx, department, make_user, monkeypatch
):
    make_user(Role.STAFF, employee_number="R00001", email="import1@sejong.example.kr")
    monkeypatch.setattr("portal.users.hr_import.APPLY_BATCH_ROWS", 3)
    rows = [KO_HEADER] + [staff_row(i, department.code) for i in range(1, 8)]
    ticks: list[int] = []
    apply_import(_plan(rows), actor_id=None, progress=ticks.append)
    assert ticks == [3, 3, 1]


def test_an_xlsx_roster_is_applied_like_a_csv_one(request_ctx, department):
    rows = [
        EN_HEADER,
        ["X-77", "엑셀직원", "x77@sejong.example.kr", department.code, "", dt.date(2023, 1, 2)],
    ]
    apply_import(_plan(rows, filename="roster.xlsx"), actor_id=None)
    user = db.session.scalar(select(User).where(User.employee_number == "X-77"))
    assert user.appointed_on == dt.date(2023, 1, 2)
    assert user.grade == ""
