"""HR import rules: parsing, whole-file validation, the diff, and the all-or-nothing apply."""

from __future__ import annotations

import datetime as dt
import hashlib
import time

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.db import db
from portal.org.models import Department, DepartmentKind
from portal.users import operations
from portal.users.hr_import import (
    MAX_DATA_ROWS,
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
    roster_rows,
    sheet_xml,
    staff_row,
    xlsx_bytes,
    xlsx_with_sheet,
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


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", dt.datetime(1900, 1, 1)])
def test_a_date_outside_the_portal_range_is_refused_with_the_range(request_ctx, department, value):
    rows = [KO_HEADER, staff_row(1, department.code, appointed_on=value)]
    (error,) = parse_file("r.csv", csv_bytes(rows)).errors
    assert (error.line, error.column) == (2, "임용일")
    assert "2000-01-01부터 2100-12-31 사이" in error.message


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


# ---------------------------------------------------------------- size limits


def _timed_parse(filename: str, content: bytes):
    started = time.perf_counter()
    parsed = parse_file(filename, content)
    return parsed, time.perf_counter() - started


def _refused_for_size(parsed) -> bool:
    return [e.line for e in parsed.errors] == [None] and "행이 너무 많습니다" in (
        parsed.errors[0].message
    )


def test_an_xlsx_of_two_million_blank_rows_is_refused_at_once(request_ctx):
    content = xlsx_with_sheet(sheet_xml([KO_HEADER], blank_rows=2_000_000))
    assert len(content) < 300_000
    parsed, seconds = _timed_parse("blank.xlsx", content)
    assert _refused_for_size(parsed), parsed.errors
    assert "빈 행을 포함해" in parsed.errors[0].message
    assert parsed.rows == []
    assert seconds < 1.0


def test_an_xlsx_declaring_more_rows_than_the_cap_is_refused_before_reading_them(request_ctx):
    rows = [KO_HEADER, staff_row(1, "D1")]
    content = xlsx_with_sheet(sheet_xml(rows, dimension="A1:F2000001", blank_rows=2_000_000))
    parsed, seconds = _timed_parse("declared.xlsx", content)
    assert _refused_for_size(parsed), parsed.errors
    assert seconds < 1.0


def test_blank_rows_implied_by_a_far_row_number_count_towards_the_cap(request_ctx):
    far = '<row r="2000001"><c r="A2000001" t="inlineStr"><is><t>x</t></is></c></row>'
    content = xlsx_with_sheet(
        sheet_xml([KO_HEADER]).replace(b"</sheetData>", far.encode() + b"</sheetData>")
    )
    parsed, seconds = _timed_parse("far.xlsx", content)
    assert _refused_for_size(parsed), parsed.errors
    assert seconds < 1.0


def test_blank_csv_lines_count_towards_the_cap(request_ctx, department):
    content = csv_bytes([KO_HEADER, staff_row(1, department.code)]) + b"\r\n" * MAX_DATA_ROWS
    parsed = parse_file("blank.csv", content)
    assert _refused_for_size(parsed), parsed.errors


def test_a_sheet_declaring_too_small_a_size_is_still_read_whole(request_ctx, department):
    rows = [KO_HEADER, staff_row(1, department.code), staff_row(2, department.code)]
    parsed = parse_file("small.xlsx", xlsx_with_sheet(sheet_xml(rows, dimension="A1")))
    assert parsed.errors == []
    assert [r.email for r in parsed.rows] == [
        "import1@sejong.example.kr",
        "import2@sejong.example.kr",
    ]
    assert parsed.rows[1].grade == "행정7급"


# ---------------------------------------------------------------- encodings and characters


def test_an_euc_kr_csv_is_read(request_ctx, department):
    rows = [KO_HEADER, staff_row(1, department.code, name="김철수")]
    parsed = parse_file("euc.csv", csv_bytes(rows, encoding="euc-kr"))
    assert parsed.errors == []
    assert parsed.rows[0].name == "김철수"


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", True), ("utf-8", False), ("cp949", False), ("euc-kr", False)]
)
def test_every_supported_encoding_plans_the_same_rows(request_ctx, department, encoding, bom):
    rows = [KO_HEADER, staff_row(1, department.code, name="이영희", grade="행정주사")]
    plan = _plan(rows, encoding=encoding, bom=bom)
    assert plan.errors == []
    assert (plan.rows[0].data.name, plan.rows[0].data.grade) == ("이영희", "행정주사")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "김\x00철수"),
        ("name", "김\t철수"),
        ("email", "a\x07@sejong.example.kr"),
        ("grade", "행정\r\n7급"),
        ("number", "R\x1b0001"),
    ],
)
def test_a_control_character_in_a_csv_cell_is_refused_naming_file_line_and_field(
    request_ctx, department, row_count, field, value
):
    rows = [
        KO_HEADER,
        staff_row(1, department.code),
        staff_row(2, department.code, **{field: value}),
    ]
    plan = _plan(rows, filename="명단.csv")
    header = {"name": "성명", "email": "이메일", "grade": "직급", "number": "사번"}[field]
    (error,) = [e for e in plan.errors if "제어 문자" in e.message]
    assert (error.line, error.column) == (3, header)
    assert "명단.csv" in error.message and "3번째 줄" in error.message and header in error.message
    before = row_count(User)
    with pytest.raises(HRImportError):
        apply_import(plan, actor_id=None)
    assert row_count(User) == before


def test_a_control_character_in_an_xlsx_cell_is_refused(request_ctx, department):
    rows = [KO_HEADER, staff_row(1, department.code, name="김&#10;철수")]
    parsed = parse_file("명단.xlsx", xlsx_with_sheet(sheet_xml(rows)))
    (error,) = parsed.errors
    assert (error.line, error.column) == (2, "성명")
    assert "제어 문자" in error.message


def test_the_stored_file_name_loses_control_characters(request_ctx, make_user):
    from portal.users.hr_import import store_upload

    admin = make_user(Role.ADMIN)
    upload = store_upload("명\x00단\n.csv", csv_bytes([KO_HEADER]), uploaded_by_id=admin.id)
    assert upload.filename == "명단.csv"


@pytest.mark.parametrize(
    "address",
    [
        "Kim.Chul-su+hr@Sejong.Example.KR",
        "a@b.c",
        "x@localhost",
        "x@example.test",
        "x@sejong..kr",
        ".x@sejong.kr",
        "x.@sejong.kr",
        "x@-sejong.kr",
        "x@sejong.kr-",
        "한글@sejong.kr",
        "x@세종.kr",
        "a" * 65 + "@sejong.kr",
        "x@" + "a" * 250 + ".kr",
        "x@123.45",
        "x@@sejong.kr",
    ],
)
def test_the_roster_email_check_agrees_with_validate_account(request_ctx, address):
    from portal.users.hr_import import _EmailNormaliser

    def outcome(check):
        try:
            return check(address)
        except operations.AccountError as err:
            return f"error: {err}"

    assert outcome(_EmailNormaliser()) == outcome(operations.normalise_email)


# ---------------------------------------------------------------- department heads

HEAD_HEADER = [*KO_HEADER, "부서장"]


def _head_rows(department, *flags: str):
    return [HEAD_HEADER] + [
        [*staff_row(n, department.code), flag] for n, flag in enumerate(flags, start=1)
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Y", True), ("y", True), ("예", True), ("1", True), ("TRUE", True), ("N", False),
     ("아니오", False), ("0", False), ("false", False), ("", False)],
)  # fmt: skip
def test_department_head_values(request_ctx, department, value, expected):
    plan = _plan(_head_rows(department, value))
    assert plan.errors == []
    assert plan.rows[0].is_department_head is expected


def test_an_unknown_department_head_value_names_the_row_and_field(request_ctx, department):
    plan = _plan(_head_rows(department, "Y", "maybe"))
    (error,) = plan.errors
    assert (error.line, error.column) == (3, "부서장")
    assert "3번째 줄" in error.message and "maybe" in error.message


def test_english_department_head_header_is_read(request_ctx, department):
    rows = [[*EN_HEADER, "Department_Head"], [*staff_row(1, department.code), "yes"]]
    assert _plan(rows).rows[0].is_department_head is True


def test_setting_and_unsetting_department_heads_is_applied_and_audited(
    request_ctx, department, make_user
):
    admin = make_user(Role.ADMIN)
    head = make_user(
        Role.STAFF,
        employee_number="R00002",
        email="import2@sejong.example.kr",
        name="가져온직원2",
        department_id=department.id,
        appointed_on=dt.date(2024, 3, 2),
    )
    rows = _head_rows(department, "Y", "Y")
    plan = _plan(rows)
    assert [(r.action, r.changed) for r in plan.rows] == [
        (Action.CREATE, ()),
        (Action.UPDATE, ("is_department_head",)),
    ]
    apply_import(plan, actor_id=admin.id)
    created = db.session.scalar(select(User).where(User.employee_number == "R00001"))
    assert created.is_department_head is True
    assert db.session.get(User, head.id).is_department_head is True

    def head_entries():
        return [
            (e.target_id, e.details, e.actor_id)
            for e in db.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "user.department_head_changed")
                .order_by(AuditEntry.id)
            )
        ]

    assert sorted(head_entries()) == sorted(
        [
            (str(created.id), {"is_department_head": True}, admin.id),
            (str(head.id), {"is_department_head": True}, admin.id),
        ]
    )
    # Only the flag changed: no user.updated entry for the existing person.
    updated = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "user.updated")
    ).all()
    assert updated == []

    apply_import(_plan(_head_rows(department, "Y", "N")), actor_id=admin.id)
    assert db.session.get(User, head.id).is_department_head is False
    assert head_entries()[-1] == (str(head.id), {"is_department_head": False}, admin.id)


def test_without_the_department_head_column_the_flag_is_kept(request_ctx, department, make_user):
    make_user(
        Role.STAFF,
        employee_number="R00001",
        email="import1@sejong.example.kr",
        is_department_head=True,
        department_id=department.id,
    )
    plan = _plan([KO_HEADER, staff_row(1, department.code)])
    assert plan.rows[0].is_department_head is True
    assert "is_department_head" not in plan.rows[0].changed
    apply_import(plan, actor_id=None)
    user = db.session.scalar(select(User).where(User.employee_number == "R00001"))
    assert user.is_department_head is True


# ---------------------------------------------------------------- the cap, all or nothing


def test_twenty_thousand_rows_with_one_bad_row_at_the_end_write_nothing(
    request_ctx, department, row_count
):
    users, entries = row_count(User), row_count(AuditEntry)
    rows = roster_rows(MAX_DATA_ROWS, department.code)
    rows[-1] = staff_row(MAX_DATA_ROWS, "없는부서")
    plan = _plan(rows)
    assert [(e.line, e.column) for e in plan.errors] == [(MAX_DATA_ROWS + 1, "부서")]
    with pytest.raises(HRImportError, match="1개 행"):
        apply_import(plan, actor_id=None)
    assert (row_count(User), row_count(AuditEntry)) == (users, entries)

    # A valid plan whose last row clashes with a change made after the dry run.
    rows[-1] = staff_row(MAX_DATA_ROWS, department.code)
    plan = _plan(rows)
    assert plan.is_valid and plan.count(Action.CREATE) == MAX_DATA_ROWS
    db.session.add(
        User(
            employee_number="Z99999",
            name="먼저온사람",
            email=f"import{MAX_DATA_ROWS}@sejong.example.kr",
            created_at=dt.datetime.now(dt.UTC),
        )
    )
    db.session.flush()
    with pytest.raises(HRImportError, match=f"{MAX_DATA_ROWS + 1}번째 줄"):
        apply_import(plan, actor_id=None)
    assert (row_count(User), row_count(AuditEntry)) == (users + 1, entries)


@pytest.mark.parametrize(
    "sheet",
    [
        b"<worksheet><sheetData><row r='1'><c r='A1' t='inlineStr'><is><t>x",  # cut short
        b"\x00\x01 not xml at all",
    ],
)
def test_a_damaged_xlsx_sheet_gets_a_clear_message(request_ctx, sheet):
    parsed = parse_file("broken.xlsx", xlsx_with_sheet(sheet))
    assert [e.message for e in parsed.errors] == [
        "XLSX 파일을 열 수 없습니다. 엑셀에서 XLSX 형식으로 다시 저장해 주세요."
    ]
