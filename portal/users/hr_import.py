"""HR staff-file import: read a CSV or XLSX file, check every row, then create or update staff.

The import is all-or-nothing: ``plan_import`` checks the whole file against the database
with a fixed number of queries, and ``apply_import`` refuses a plan that has any error.
Operations flush and never commit; the request or the CLI command commits once.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import hashlib
import io
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.audit.operations import record
from portal.core.clock import today_in_seoul, utcnow
from portal.db import db
from portal.org.models import Department
from portal.users import operations
from portal.users.models import Role, RosterUpload, User

# Sejong has about 2,500 staff; the cap stops a small, highly compressed XLSX from
# expanding into millions of rows.
MAX_DATA_ROWS = 20_000


class Column(enum.StrEnum):
    EMPLOYEE_NUMBER = "employee_number"
    NAME = "name"
    EMAIL = "email"
    DEPARTMENT = "department"
    GRADE = "grade"
    APPOINTED_ON = "appointed_on"


COLUMN_LABELS = {
    Column.EMPLOYEE_NUMBER: _l("사번"),
    Column.NAME: _l("성명"),
    Column.EMAIL: _l("이메일"),
    Column.DEPARTMENT: _l("부서"),
    Column.GRADE: _l("직급"),
    Column.APPOINTED_ON: _l("임용일"),
}

# Header spellings, compared after _header_key (case, spaces, "_" and "-" ignored).
HEADER_ALIASES: dict[Column, tuple[str, ...]] = {
    Column.EMPLOYEE_NUMBER: ("사번", "직원번호", "employeenumber", "employeeno", "empno"),
    Column.NAME: ("성명", "이름", "name"),
    Column.EMAIL: ("이메일", "전자우편", "email"),
    Column.DEPARTMENT: (
        "부서",
        "소속",
        "부서코드",
        "부서명",
        "department",
        "departmentcode",
        "dept",
    ),
    Column.GRADE: ("직급", "grade"),
    Column.APPOINTED_ON: ("임용일", "임용일자", "appointmentdate", "appointedon"),
}
REQUIRED_COLUMNS = (Column.EMPLOYEE_NUMBER, Column.NAME, Column.EMAIL, Column.DEPARTMENT)
TEMPLATE_HEADERS = ("사번", "성명", "이메일", "부서", "직급", "임용일")

# Names of changed fields, as operations.update_user reports them.
FIELD_LABELS = {
    "employee_number": _l("사번"),
    "name": _l("성명"),
    "email": _l("이메일"),
    "department_id": _l("부서"),
    "grade": _l("직급"),
    "appointed_on": _l("임용일"),
}

_ALIAS_TO_COLUMN = {alias: col for col, aliases in HEADER_ALIASES.items() for alias in aliases}
_DATE_PARTS = re.compile(r"^(\d{4})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{1,2})\s*\.?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MIDNIGHT = re.compile(r"\s+0?0:00(:00)?$")


class HRImportError(ValueError):
    """The file cannot be imported; the message is shown to the user as it is."""


class Action(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class RowError:
    """One problem: line 1 is the header, so the first data row is line 2."""

    line: int | None
    column: str | None
    message: str


@dataclass(frozen=True)
class StaffRow:
    line: int
    employee_number: str
    name: str
    email: str
    department: str
    grade: str
    appointed_on: dt.date | None


@dataclass
class ParsedFile:
    filename: str
    sha256: str
    rows: list[StaffRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    headers: dict[Column, str] = field(default_factory=dict)  # column → header as written

    def header(self, column: Column) -> str:
        return self.headers.get(column) or str(COLUMN_LABELS[column])


@dataclass(frozen=True)
class PlannedRow:
    line: int
    action: Action
    data: operations.AccountInput
    user_id: int | None = None
    changed: tuple[str, ...] = ()


@dataclass
class ImportPlan:
    parsed: ParsedFile
    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def count(self, action: Action) -> int:
        return sum(1 for row in self.rows if row.action is action)

    @property
    def changes(self) -> list[PlannedRow]:
        return [row for row in self.rows if row.action is not Action.UNCHANGED]

    @property
    def error_lines(self) -> int:
        return len({e.line for e in self.errors})

    @property
    def absent_columns(self) -> list[Column]:
        """Optional columns missing from the file: existing values are kept."""
        return [c for c in (Column.GRADE, Column.APPOINTED_ON) if c not in self.parsed.headers]

    def summary(self) -> dict[str, object]:
        """Counts and the file hash only: safe for the audit log."""
        return {
            "created": self.count(Action.CREATE),
            "updated": self.count(Action.UPDATE),
            "unchanged": self.count(Action.UNCHANGED),
            "errors": len(self.errors),
            "sha256": self.parsed.sha256,
        }


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


# ---------------------------------------------------------------- parsing


def _header_key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text).casefold()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 2019001 as 2019001.0
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value).strip()


def parse_date(value: object) -> dt.date | None:
    """A date from an Excel date cell or YYYY-MM-DD, YYYY.MM.DD, YYYY/MM/DD, YYYYMMDD text."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _MIDNIGHT.sub("", _cell_text(value))
    if not text:
        return None
    match = _DATE_PARTS.match(text) or _DATE_COMPACT.match(text)
    if not match:
        raise ValueError(text)
    year, month, day = (int(part) for part in match.groups())
    return dt.date(year, month, day)


def _decode(content: bytes) -> str:
    # Korean Excel saves "CSV" in CP949 (a superset of EUC-KR); UTF-8 may carry a BOM.
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise HRImportError(
        _("파일의 글자 인코딩을 읽을 수 없습니다. UTF-8이나 CP949(EUC-KR)로 저장해 주세요.")
    )


def _csv_rows(content: bytes) -> Iterator[list[object]]:
    text = _decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error:
        raise HRImportError(
            _("CSV 파일의 형식이 올바르지 않습니다. 따옴표가 제대로 닫혔는지 확인해 주세요.")
        ) from None


def _xlsx_rows(content: bytes) -> Iterator[list[object]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            # Real-world files often lack default styles; openpyxl only warns about it.
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise HRImportError(
            _("XLSX 파일을 열 수 없습니다. 엑셀에서 XLSX 형식으로 다시 저장해 주세요.")
        ) from None
    try:
        if not workbook.worksheets:
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for row in workbook.worksheets[0].iter_rows(values_only=True):
                yield list(row)
    finally:
        workbook.close()


def _raw_rows(filename: str, content: bytes) -> Iterator[list[object]]:
    suffix = PurePath(filename).suffix.lower()
    if content.startswith(b"PK\x03\x04") or suffix == ".xlsx":
        return _xlsx_rows(content)
    if content.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":
        raise HRImportError(
            _("엑셀 97-2003(XLS) 형식은 읽을 수 없습니다. XLSX나 CSV로 저장해 주세요.")
        )
    if suffix not in (".csv", ".txt", ""):
        raise HRImportError(_("CSV 또는 XLSX 파일만 가져올 수 있습니다."))
    return _csv_rows(content)


def _map_headers(cells: list[object], parsed: ParsedFile) -> dict[Column, int]:
    positions: dict[Column, int] = {}
    for index, cell in enumerate(cells):
        text = _cell_text(cell)
        column = _ALIAS_TO_COLUMN.get(_header_key(text))
        if column is None:
            continue  # HR exports carry many other columns; they are ignored
        if column in positions:
            parsed.errors.append(
                RowError(
                    1,
                    text,
                    _(
                        "같은 항목을 뜻하는 열이 두 개 있습니다: %(first)s, %(second)s. 하나만 남겨 주세요.",
                        first=parsed.headers[column],
                        second=text,
                    ),
                )
            )
            continue
        positions[column] = index
        parsed.headers[column] = text
    missing = [str(COLUMN_LABELS[c]) for c in REQUIRED_COLUMNS if c not in positions]
    if missing:
        parsed.errors.append(
            RowError(
                1,
                None,
                _(
                    "필수 열이 없습니다: %(columns)s. 첫 줄에 열 이름(사번, 성명, 이메일, 부서, 직급, 임용일)을 적어 주세요.",
                    columns=", ".join(missing),
                ),
            )
        )
    return positions


def _read_row(line: int, cells: list[object], positions: dict[Column, int], parsed: ParsedFile):
    def cell(column: Column) -> object:
        index = positions.get(column)
        return cells[index] if index is not None and index < len(cells) else None

    appointed_on = None
    raw_date = cell(Column.APPOINTED_ON)
    try:
        appointed_on = parse_date(raw_date)
    except ValueError:
        parsed.errors.append(
            RowError(
                line,
                parsed.header(Column.APPOINTED_ON),
                _(
                    "날짜 형식이 올바르지 않습니다: %(value)s. 2024-03-02처럼 적어 주세요.",
                    value=_cell_text(raw_date),
                ),
            )
        )
    parsed.rows.append(
        StaffRow(
            line=line,
            employee_number=_cell_text(cell(Column.EMPLOYEE_NUMBER)),
            name=_cell_text(cell(Column.NAME)),
            email=_cell_text(cell(Column.EMAIL)),
            department=_cell_text(cell(Column.DEPARTMENT)),
            grade=_cell_text(cell(Column.GRADE)),
            appointed_on=appointed_on,
        )
    )


def parse_file(filename: str, content: bytes) -> ParsedFile:
    """Read the rows of a CSV or XLSX staff file; problems are collected, never raised."""
    parsed = ParsedFile(filename=filename, sha256=hashlib.sha256(content).hexdigest())
    try:
        positions: dict[Column, int] | None = None
        for line, cells in enumerate(_raw_rows(filename, content), start=1):
            if positions is None:
                positions = _map_headers(cells, parsed)
                if parsed.errors:
                    return parsed
                continue
            if not any(_cell_text(c) for c in cells):
                continue  # blank lines are ignored but keep their number
            if len(parsed.rows) >= MAX_DATA_ROWS:
                parsed.errors.append(
                    RowError(
                        line,
                        None,
                        _(
                            "행이 너무 많습니다. 한 번에 %(n)d행까지 가져올 수 있습니다.",
                            n=MAX_DATA_ROWS,
                        ),
                    )
                )
                return parsed
            _read_row(line, cells, positions, parsed)
    except HRImportError as err:
        parsed.rows.clear()
        parsed.errors.append(RowError(None, None, str(err)))
        return parsed
    if positions is None:
        parsed.errors.append(
            RowError(None, None, _("빈 파일입니다. 첫 줄에 열 이름을 적어 주세요."))
        )
    elif not parsed.rows and not parsed.errors:
        parsed.errors.append(RowError(None, None, _("가져올 직원 행이 없습니다.")))
    return parsed


# ---------------------------------------------------------------- planning


class _Departments:
    """Finds a department by code, or by its exact name when that name is unique."""

    def __init__(self) -> None:
        self.by_code: dict[str, Department] = {}
        self.by_name: dict[str, list[Department]] = {}
        for dept in db.session.scalars(select(Department)):
            self.by_code[dept.code.casefold()] = dept
            self.by_name.setdefault(dept.name.strip(), []).append(dept)

    def find(self, value: str) -> Department:
        dept = self.by_code.get(value.casefold())
        if dept is None:
            named = self.by_name.get(value, [])
            if len(named) > 1:
                raise operations.AccountError(
                    _(
                        "같은 이름의 부서가 %(n)d개 있습니다: %(value)s. 부서 코드로 적어 주세요.",
                        n=len(named),
                        value=value,
                    )
                )
            if not named:
                raise operations.AccountError(
                    _(
                        "없는 부서입니다: %(value)s. 부서 코드나 정확한 부서 이름을 적어 주세요.",
                        value=value,
                    )
                )
            dept = named[0]
        if not dept.is_active:
            raise operations.AccountError(
                _("사용하지 않는 부서입니다: %(value)s. 부서를 확인해 주세요.", value=value)
            )
        return dept


def _field_problems(row: StaffRow) -> list[tuple[Column, str]]:
    """The field rules of operations.validate_account, all at once instead of first-only."""
    problems: list[tuple[Column, str]] = []
    if not row.employee_number:
        problems.append((Column.EMPLOYEE_NUMBER, _("사번을 입력해 주세요.")))
    elif not operations.EMPLOYEE_NUMBER.match(row.employee_number):
        problems.append((Column.EMPLOYEE_NUMBER, _("사번은 영문·숫자·하이픈 3~20자여야 합니다.")))
    if not row.name or len(row.name) > 50:
        problems.append((Column.NAME, _("성명은 1~50자로 입력해 주세요.")))
    if not row.email:
        problems.append((Column.EMAIL, _("이메일을 입력해 주세요.")))
    else:
        try:
            operations.normalise_email(row.email)
        except operations.AccountError as err:
            problems.append((Column.EMAIL, str(err)))
    if len(row.grade) > 30:
        problems.append((Column.GRADE, _("직급은 30자 이내로 입력해 주세요.")))
    if row.appointed_on and row.appointed_on > today_in_seoul() + dt.timedelta(days=366):
        problems.append(
            (Column.APPOINTED_ON, _("임용일이 1년 넘게 미래입니다. 날짜를 확인해 주세요."))
        )
    if not row.department:
        problems.append((Column.DEPARTMENT, _("부서를 입력해 주세요.")))
    return problems


def _changed_fields(user: User, data: operations.AccountInput) -> tuple[str, ...]:
    fields = ("name", "email", "department_id", "grade", "appointed_on")
    return tuple(f for f in fields if getattr(user, f) != getattr(data, f))


def plan_import(parsed: ParsedFile) -> ImportPlan:
    """Check every row against the file and the database; decide create, update or unchanged."""
    plan = ImportPlan(parsed=parsed, errors=list(parsed.errors))
    if any(e.line is None or e.line == 1 for e in parsed.errors):
        return plan
    departments = _Departments()
    users = list(db.session.scalars(select(User)))
    by_number = {u.employee_number: u for u in users}
    by_email = {u.email.lower(): u for u in users}
    seen_numbers: dict[str, int] = {}
    seen_emails: dict[str, int] = {}

    def fail(row: StaffRow, column: Column, message: str) -> None:
        plan.errors.append(RowError(row.line, parsed.header(column), message))

    for row in parsed.rows:
        problems = _field_problems(row)
        for column, message in problems:
            fail(row, column, message)
        bad_columns = {column for column, _message in problems}

        department_id = None
        if Column.DEPARTMENT not in bad_columns:
            try:
                department_id = departments.find(row.department).id
            except operations.AccountError as err:
                fail(row, Column.DEPARTMENT, str(err))

        number = row.employee_number
        if Column.EMPLOYEE_NUMBER not in bad_columns:
            if number in seen_numbers:
                fail(
                    row,
                    Column.EMPLOYEE_NUMBER,
                    _(
                        "사번 %(value)s이(가) %(line)d번째 줄과 겹칩니다. 한 줄만 남겨 주세요.",
                        value=number,
                        line=seen_numbers[number],
                    ),
                )
            else:
                seen_numbers[number] = row.line
        email = ""
        if Column.EMAIL not in bad_columns:
            email = operations.normalise_email(row.email)
            if email in seen_emails:
                fail(
                    row,
                    Column.EMAIL,
                    _(
                        "이메일 %(value)s이(가) %(line)d번째 줄과 겹칩니다.",
                        value=email,
                        line=seen_emails[email],
                    ),
                )
            else:
                seen_emails[email] = row.line
            owner = by_email.get(email)
            if owner is not None and owner.employee_number != number:
                fail(
                    row,
                    Column.EMAIL,
                    _(
                        "이미 다른 직원(사번 %(number)s)이 쓰는 이메일입니다: %(value)s",
                        number=owner.employee_number,
                        value=email,
                    ),
                )
        if plan.errors:
            continue  # once any row is bad nothing is applied; keep checking, skip planning

        existing = by_number.get(number)
        data = operations.AccountInput(
            employee_number=number,
            name=row.name,
            email=email,
            role=existing.role if existing else Role.STAFF,  # an import never changes a role
            department_id=department_id,
            grade=row.grade if Column.GRADE in parsed.headers or not existing else existing.grade,
            appointed_on=(
                row.appointed_on
                if Column.APPOINTED_ON in parsed.headers or not existing
                else existing.appointed_on
            ),
            locale=existing.locale if existing else "ko",
        )
        if existing is None:
            plan.rows.append(PlannedRow(row.line, Action.CREATE, data))
            continue
        changed = _changed_fields(existing, data)
        action = Action.UPDATE if changed else Action.UNCHANGED
        plan.rows.append(PlannedRow(row.line, action, data, existing.id, changed))
    if plan.errors:
        plan.rows.clear()
    plan.errors.sort(key=lambda e: e.line or 0)
    return plan


# ---------------------------------------------------------------- applying


def record_dry_run(plan: ImportPlan, *, actor_id: int | None, upload_id: int | None = None) -> None:
    """Audit a dry run with its counts and the file hash (no personal data)."""
    record(
        "roster.dry_run",
        target_type="roster_upload" if upload_id else None,
        target_id=upload_id,
        actor_id=actor_id,
        details=plan.summary(),
    )


def apply_import(
    plan: ImportPlan,
    actor_id: int | None,
    *,
    upload_id: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Create and update the planned staff, all or nothing; progress(1) after each row."""
    if not plan.is_valid:
        raise HRImportError(
            _("%(n)d개 행에 문제가 있어 아무것도 반영하지 않았습니다.", n=plan.error_lines)
        )
    min_length = current_app.config["PASSWORD_MIN_LENGTH"]
    try:
        with db.session.begin_nested():
            for row in plan.rows:
                if row.action is Action.CREATE:
                    # No password: the person cannot log in until an admin sets one.
                    operations.create_user(row.data, password=None, min_password_length=min_length)
                elif row.action is Action.UPDATE:
                    user = db.session.get(User, row.user_id)
                    if user is None:
                        raise HRImportError(
                            _("처리 중에 직원 정보가 바뀌었습니다. 다시 올려 주세요.")
                        )
                    operations.update_user(user, row.data)
                if progress:
                    progress(1)
    except operations.AccountError as err:
        raise HRImportError(
            _(
                "%(line)d번째 줄: %(reason)s 아무것도 반영하지 않았습니다.",
                line=row.line,
                reason=err,
            )
        ) from None
    result = ImportResult(
        created=plan.count(Action.CREATE),
        updated=plan.count(Action.UPDATE),
        unchanged=plan.count(Action.UNCHANGED),
    )
    details = plan.summary()
    details.pop("errors")
    record(
        "roster.imported",
        target_type="roster_upload" if upload_id else None,
        target_id=upload_id,
        actor_id=actor_id,
        details=details,
    )
    return result


def _clean_filename(filename: str) -> str:
    name = PurePath(filename.replace("\\", "/")).name.strip()
    return (name or "roster")[:255]


def store_upload(filename: str, content: bytes, *, uploaded_by_id: int) -> RosterUpload:
    """Keep an uploaded staff file for its preview, and audit its dry run."""
    upload = RosterUpload(
        filename=_clean_filename(filename),
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by_id=uploaded_by_id,
        created_at=utcnow(),
    )
    db.session.add(upload)
    db.session.flush()
    record_dry_run(upload_plan(upload), actor_id=uploaded_by_id, upload_id=upload.id)
    return upload


def upload_plan(upload: RosterUpload) -> ImportPlan:
    """The dry run of a stored upload, from its stored bytes."""
    return plan_import(parse_file(upload.filename, upload.content))


def applied_result(upload: RosterUpload) -> ImportResult | None:
    """What an applied upload did, from its audit entry."""
    entry = db.session.scalar(
        select(AuditEntry)
        .where(
            AuditEntry.action == "roster.imported",
            AuditEntry.target_type == "roster_upload",
            AuditEntry.target_id == str(upload.id),
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    if entry is None:
        return None
    return ImportResult(
        created=int(entry.details.get("created", 0)),
        updated=int(entry.details.get("updated", 0)),
        unchanged=int(entry.details.get("unchanged", 0)),
    )


def apply_upload(upload: RosterUpload, *, actor_id: int) -> ImportResult:
    """Apply a stored upload once, re-reading its stored bytes so the file cannot change."""
    if upload.applied_at is not None:
        raise HRImportError(_("이미 반영한 파일입니다. 같은 파일을 다시 반영할 수 없습니다."))
    if hashlib.sha256(upload.content).hexdigest() != upload.sha256:
        raise HRImportError(_("저장된 파일이 손상되었습니다. 파일을 다시 올려 주세요."))
    result = apply_import(upload_plan(upload), actor_id, upload_id=upload.id)
    upload.applied_at = utcnow()
    db.session.flush()
    return result
