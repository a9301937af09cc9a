"""HR staff-file import: read a CSV or XLSX file, check every row, then create or update staff.

The import is all-or-nothing: ``plan_import`` checks the whole file against the database
with a fixed number of queries, and ``apply_import`` refuses a plan that has any error.
Operations flush and never commit; the request or the CLI command commits once.

Reading is bounded before it starts: at most MAX_DATA_ROWS rows below the header, blank
ones included; an XLSX is streamed (openpyxl read-only) after its declared size and its
raw size are checked. Cells holding control characters are refused. The apply writes in
bulk (portal.core.bulk), a fixed number of statements per 1,000 rows, so the cap applies in
seconds inside the web request; ``flask users import`` runs the same code outside one.
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
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.audit.models import AuditEntry
from portal.audit.operations import record, record_many
from portal.core import bulk, inputs
from portal.core.clock import today_in_seoul, utcnow
from portal.db import db
from portal.org.models import Department
from portal.users import operations
from portal.users.models import Role, RosterUpload, User

# Sejong has about 2,500 staff; the cap stops a small, highly compressed XLSX from
# expanding into millions of rows. It counts every row read below the header, blank or not,
# so a file of a million blank rows stops after MAX_DATA_ROWS of them.
MAX_DATA_ROWS = 20_000
# Columns read from an XLSX row (Excel 97-2003's limit): HR exports carry a few dozen.
MAX_COLUMNS = 256
# Uncompressed size of an XLSX's parts: a 5 MB upload must not expand into gigabytes of XML
# (20,000 rows of 50 filled columns take about 40 MB).
MAX_XLSX_EXPANDED_BYTES = 100 * 1024 * 1024
# Cells are single-line: no control characters at all (tabs and line breaks included).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class Column(enum.StrEnum):
    EMPLOYEE_NUMBER = "employee_number"
    NAME = "name"
    EMAIL = "email"
    DEPARTMENT = "department"
    GRADE = "grade"
    APPOINTED_ON = "appointed_on"
    DEPARTMENT_HEAD = "department_head"


COLUMN_LABELS = {
    Column.EMPLOYEE_NUMBER: _l("사번"),
    Column.NAME: _l("성명"),
    Column.EMAIL: _l("이메일"),
    Column.DEPARTMENT: _l("부서"),
    Column.GRADE: _l("직급"),
    Column.APPOINTED_ON: _l("임용일"),
    Column.DEPARTMENT_HEAD: _l("부서장"),
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
    Column.DEPARTMENT_HEAD: ("부서장", "부서장여부", "departmenthead", "isdepartmenthead"),
}
# Values of the optional 부서장 column, compared case-insensitively; a blank cell means no.
_YES = frozenset({"y", "yes", "예", "네", "1", "true", "o"})
_NO = frozenset({"", "n", "no", "아니오", "아니요", "0", "false", "x"})
OPTIONAL_COLUMNS = (Column.GRADE, Column.APPOINTED_ON, Column.DEPARTMENT_HEAD)
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
    "is_department_head": _l("부서장"),
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
    department_head: bool = False


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
    changed: tuple[str, ...] = ()  # FIELD_LABELS keys, is_department_head included
    is_department_head: bool = False  # the flag after the import


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
        return [c for c in OPTIONAL_COLUMNS if c not in self.parsed.headers]

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
    if value.__class__ is str:
        return value.strip()  # the usual case first: this runs for every cell
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 2019001 as 2019001.0
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value).strip()


class DateOutOfRange(ValueError):
    """A real date outside the portal's range (portal.core.inputs.MIN_DATE..MAX_DATE)."""


def parse_date(value: object) -> dt.date | None:
    """A date from an Excel date cell or YYYY-MM-DD, YYYY.MM.DD, YYYY/MM/DD, YYYYMMDD text."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        if not inputs.date_in_range(value):
            raise DateOutOfRange(value.isoformat())
        return value
    text = _MIDNIGHT.sub("", _cell_text(value))
    if not text:
        return None
    match = _DATE_PARTS.match(text) or _DATE_COMPACT.match(text)
    if not match:
        raise ValueError(text)
    year, month, day = (int(part) for part in match.groups())
    day_value = dt.date(year, month, day)
    if not inputs.date_in_range(day_value):
        raise DateOutOfRange(text)
    return day_value


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


def _too_many_rows() -> HRImportError:
    return HRImportError(
        _(
            "행이 너무 많습니다. 빈 행을 포함해 첫 줄 아래 %(n)d행까지 가져올 수 있습니다. "
            "엑셀에서 쓰지 않는 행을 지우고 다시 저장해 주세요.",
            n=MAX_DATA_ROWS,
        )
    )


def _unreadable_xlsx() -> HRImportError:
    return HRImportError(
        _("XLSX 파일을 열 수 없습니다. 엑셀에서 XLSX 형식으로 다시 저장해 주세요.")
    )


_XML_NAME = rb"<(?:[A-Za-z_][\w.-]*:)?"
_ROW_TAG = re.compile(_XML_NAME + rb"row[\s/>]")
_DIMENSION_TAG = re.compile(_XML_NAME + rb"dimension[\s/>]")
_SHEET_DATA_TAG = re.compile(_XML_NAME + rb"sheetData[\s/>]")
_SCAN_CHUNK = 1024 * 1024
# What a damaged or unusual XLSX raises while it is read: a bad or encrypted archive, a
# compression method zipfile lacks, broken deflate data, XML that does not parse.
_BROKEN_XLSX = (
    zipfile.BadZipFile,
    KeyError,
    OSError,
    ValueError,
    EOFError,
    RuntimeError,
    NotImplementedError,
    SyntaxError,
    zlib.error,
)


def _sheet_declares_size(part) -> tuple[bool, bytes]:
    first = part.read(_SCAN_CHUNK)
    data_at = _SHEET_DATA_TAG.search(first)
    dimension_at = _DIMENSION_TAG.search(first)
    declared = dimension_at is not None and (
        data_at is None or dimension_at.start() < data_at.start()
    )
    return declared, first


def _count_rows_up_to(part, first: bytes, cap: int) -> int:
    """<row> elements in a sheet part, streamed; stops as soon as there are more than cap."""
    rows, pending, chunk = 0, b"", first
    while True:
        data = pending + chunk
        more = len(chunk) == _SCAN_CHUNK
        limit = len(data) - 64 if more else len(data)  # a tag cut at the end waits
        rows += sum(1 for m in _ROW_TAG.finditer(data) if m.start() < limit)
        if rows > cap or not more:
            return rows
        pending = data[limit:]
        chunk = part.read(_SCAN_CHUNK)


def _check_xlsx_size(content: bytes) -> None:
    """Cheap checks on the raw parts before openpyxl reads anything.

    openpyxl looks for each sheet's declared size when it opens the workbook; a sheet that
    declares none is parsed to its end right there. So: the parts must not expand past
    MAX_XLSX_EXPANDED_BYTES (a zip bomb), and a sheet without a declared size is refused
    when it holds more <row> elements than the cap (counted on the raw XML, streamed,
    stopping at the cap). Sheets with a declared size are checked by _xlsx_rows.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
            if sum(info.file_size for info in parts) > MAX_XLSX_EXPANDED_BYTES:
                raise HRImportError(
                    _(
                        "XLSX 파일의 압축을 풀면 너무 큽니다(%(mb)d MB 초과). 쓰지 않는 시트와 "
                        "행을 지우거나 CSV로 저장해 주세요.",
                        mb=MAX_XLSX_EXPANDED_BYTES // (1024 * 1024),
                    )
                )
            for info in parts:
                name = info.filename
                if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                    continue
                with archive.open(info) as part:
                    declared, first = _sheet_declares_size(part)
                    if not declared and _count_rows_up_to(part, first, MAX_DATA_ROWS + 1) > (
                        MAX_DATA_ROWS + 1
                    ):
                        raise _too_many_rows()
    except HRImportError:
        raise
    except _BROKEN_XLSX:
        raise _unreadable_xlsx() from None


def _xlsx_rows(content: bytes) -> Iterator[list[object]]:
    """The first sheet's rows, streamed; the header row's width bounds every later row."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    _check_xlsx_size(content)
    try:
        with warnings.catch_warnings():
            # Real-world files often lack default styles; openpyxl only warns about it.
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, *_BROKEN_XLSX):
        raise _unreadable_xlsx() from None
    try:
        if not workbook.worksheets:
            return
        sheet = workbook.worksheets[0]
        # The sheet's declared size (<dimension ref="A1:F2000001"/>) is read before any row:
        # a sheet that says it has more rows than the cap is refused without iterating.
        if sheet.max_row is not None and sheet.max_row > MAX_DATA_ROWS + 1:
            raise _too_many_rows()
        # A declared size can also be too small (some tools write "A1"), which would make
        # openpyxl drop rows and columns silently; read what the sheet really holds instead.
        sheet.reset_dimensions()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            header: list[object] = []
            for row in sheet.iter_rows(max_row=1, max_col=MAX_COLUMNS, values_only=True):
                header = list(row)
            while header and _cell_text(header[-1]) == "":
                header.pop()
            yield header
            width = max(len(header), 1)
            for row in sheet.iter_rows(min_row=2, max_col=width, values_only=True):
                yield list(row)
    except HRImportError:
        raise
    except _BROKEN_XLSX:
        raise _unreadable_xlsx() from None
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


def _department_head(text: str) -> bool | None:
    key = text.strip().casefold()
    if key in _YES:
        return True
    if key in _NO:
        return False
    return None


def _control_character_error(parsed: ParsedFile, line: int, column: Column) -> RowError:
    header = parsed.header(column)
    return RowError(
        line,
        header,
        _(
            "%(file)s 파일 %(line)d번째 줄의 %(field)s 칸에 제어 문자(NUL, 탭, 줄바꿈 "
            "등 보이지 않는 문자)가 있습니다. 그 문자를 지우고 다시 저장해 주세요.",
            file=parsed.filename,
            line=line,
            field=header,
        ),
    )


def _read_row(line: int, cells: list[object], positions: dict[Column, int], parsed: ParsedFile):
    width = len(cells)
    texts: dict[Column, str] = {}
    raw_date = None
    for column, index in positions.items():
        raw = cells[index] if index < width else None
        if column is Column.APPOINTED_ON and raw.__class__ is not str:
            raw_date = raw  # an Excel date cell, a number or nothing
            continue
        value = _cell_text(raw)
        if _CONTROL_CHARACTERS.search(value):
            parsed.errors.append(_control_character_error(parsed, line, column))
            value = _CONTROL_CHARACTERS.sub("", value).strip()
        texts[column] = value
    if Column.APPOINTED_ON in texts:
        raw_date = texts[Column.APPOINTED_ON]

    appointed_on = None
    try:
        appointed_on = parse_date(raw_date)
    except DateOutOfRange:
        parsed.errors.append(
            RowError(
                line,
                parsed.header(Column.APPOINTED_ON),
                _(
                    "날짜는 %(first)s부터 %(last)s 사이여야 합니다: %(value)s",
                    first=inputs.MIN_DATE.isoformat(),
                    last=inputs.MAX_DATE.isoformat(),
                    value=_cell_text(raw_date),
                ),
            )
        )
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
    department_head = False
    if Column.DEPARTMENT_HEAD in texts:
        raw_head = texts[Column.DEPARTMENT_HEAD]
        head = _department_head(raw_head)
        if head is None:
            parsed.errors.append(
                RowError(
                    line,
                    parsed.header(Column.DEPARTMENT_HEAD),
                    _(
                        "%(line)d번째 줄의 %(field)s 값을 알 수 없습니다: %(value)s. "
                        "Y/N, 예/아니오, 1/0, true/false 가운데 하나로 적거나 비워 두세요.",
                        line=line,
                        field=parsed.header(Column.DEPARTMENT_HEAD),
                        value=raw_head,
                    ),
                )
            )
        department_head = bool(head)
    parsed.rows.append(
        StaffRow(
            line=line,
            employee_number=texts[Column.EMPLOYEE_NUMBER],
            name=texts[Column.NAME],
            email=texts[Column.EMAIL],
            department=texts[Column.DEPARTMENT],
            grade=texts.get(Column.GRADE, ""),
            appointed_on=appointed_on,
            department_head=department_head,
        )
    )


def _is_blank(cells: list[object]) -> bool:
    for cell in cells:
        if cell is None:
            continue
        if cell.__class__ is str:
            if cell.strip():
                return False
        elif _cell_text(cell):
            return False
    return True


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
            if line - 1 > MAX_DATA_ROWS:
                # Every row read counts, blank or not: blank rows cost reading time too.
                raise _too_many_rows()
            if _is_blank(cells):
                continue  # blank lines are ignored but keep their number
            _read_row(line, cells, positions, parsed)
    except HRImportError as err:
        parsed.rows.clear()
        parsed.errors.clear()
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


# A plain ASCII address: dot-separated runs of letters, digits, "_", "+" and "-".
_PLAIN_LOCAL_PART = re.compile(r"^[A-Za-z0-9_+\-]+(\.[A-Za-z0-9_+\-]+)*$")
_PLAIN_DOMAIN = re.compile(r"^[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+$")


class _EmailNormaliser:
    """operations.normalise_email for a whole roster, with each domain checked once.

    email_validator costs ~60 µs an address, most of it on the domain, which a roster
    shares. A plain ASCII address (see the patterns above) within the length limits is
    accepted when its domain is: the library checks "a@<domain>" once per domain. Every
    other address, and every address the fast path would refuse, goes through
    operations.normalise_email itself, so the answers and messages are its own.
    """

    def __init__(self) -> None:
        self._domains: dict[str, bool] = {}

    def __call__(self, raw: str) -> str:
        address = raw.strip()
        local, _at, domain = address.rpartition("@")
        if (
            len(address) <= 254
            and len(local) <= 64
            and _PLAIN_LOCAL_PART.match(local)
            and _PLAIN_DOMAIN.match(domain)
            and self._domain_ok(domain.lower())
        ):
            return address.lower()
        return operations.normalise_email(raw)

    def _domain_ok(self, domain: str) -> bool:
        ok = self._domains.get(domain)
        if ok is None:
            try:
                ok = operations.normalise_email("a@" + domain) == "a@" + domain
            except operations.AccountError:
                ok = False
            self._domains[domain] = ok
        return ok


def _field_problems(
    row: StaffRow,
    latest: dt.date,
    normalise_email: Callable[[str], str] = operations.normalise_email,
) -> tuple[list[tuple[Column, str]], str]:
    """The field rules of operations.validate_account, all at once instead of first-only.

    Returns the problems and the normalised e-mail ("" when it is missing or invalid);
    `latest` is the latest acceptable appointment date.
    """
    problems: list[tuple[Column, str]] = []
    email = ""
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
            email = normalise_email(row.email)
        except operations.AccountError as err:
            problems.append((Column.EMAIL, str(err)))
    if len(row.grade) > 30:
        problems.append((Column.GRADE, _("직급은 30자 이내로 입력해 주세요.")))
    if row.appointed_on and row.appointed_on > latest:
        problems.append(
            (Column.APPOINTED_ON, _("임용일이 1년 넘게 미래입니다. 날짜를 확인해 주세요."))
        )
    if not row.department:
        problems.append((Column.DEPARTMENT, _("부서를 입력해 주세요.")))
    return problems, email


# The fields an import may change, in the order operations.update_user reports them.
_IMPORTED_FIELDS = ("name", "email", "department_id", "grade", "appointed_on")

# What planning needs of every existing account: plain rows, not ORM objects, so a
# 20,000-person roster is read in one light query.
_EXISTING_COLUMNS = (
    User.id,
    User.employee_number,
    User.email,
    User.role,
    User.locale,
    User.is_department_head,
    *(getattr(User, f) for f in _IMPORTED_FIELDS if f != "email"),
)


def _changed_fields(user, data: operations.AccountInput) -> tuple[str, ...]:
    return tuple(f for f in _IMPORTED_FIELDS if getattr(user, f) != getattr(data, f))


def plan_import(parsed: ParsedFile) -> ImportPlan:
    """Check every row against the file and the database; decide create, update or unchanged."""
    plan = ImportPlan(parsed=parsed, errors=list(parsed.errors))
    if any(e.line is None or e.line == 1 for e in parsed.errors):
        return plan
    departments = _Departments()
    users = db.session.execute(select(*_EXISTING_COLUMNS)).all()
    by_number = {u.employee_number: u for u in users}
    by_email = {u.email.lower(): u for u in users}
    seen_numbers: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    latest = today_in_seoul() + dt.timedelta(days=366)  # the latest appointment date
    normalise_email = _EmailNormaliser()

    def fail(row: StaffRow, column: Column, message: str) -> None:
        plan.errors.append(RowError(row.line, parsed.header(column), message))

    for row in parsed.rows:
        problems, normalised_email = _field_problems(row, latest, normalise_email)
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
            email = normalised_email
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
        head = row.department_head
        if existing is not None and Column.DEPARTMENT_HEAD not in parsed.headers:
            head = existing.is_department_head
        if existing is None:
            plan.rows.append(PlannedRow(row.line, Action.CREATE, data, is_department_head=head))
            continue
        changed = _changed_fields(existing, data)
        if head != existing.is_department_head:
            changed += ("is_department_head",)
        action = Action.UPDATE if changed else Action.UNCHANGED
        plan.rows.append(PlannedRow(row.line, action, data, existing.id, changed, head))
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


# Rows written per bulk statement group; progress is reported after each group.
APPLY_BATCH_ROWS = 1000


def _changed_meanwhile() -> HRImportError:
    return HRImportError(_("처리 중에 직원 정보가 바뀌었습니다. 다시 올려 주세요."))


def _recheck(plan: ImportPlan) -> None:
    """The rules validate_account enforces per row, checked for the whole plan at once.

    The plan may be older than the database (a dry run kept while someone else edited an
    account): every employee number and e-mail must still be free or still be the same
    person's, and every department must still exist. Two queries, whatever the size.
    """
    owners = db.session.execute(select(User.id, User.employee_number, User.email)).all()
    id_by_number = {o.employee_number: o.id for o in owners}
    id_by_email = {o.email.lower(): o.id for o in owners}
    known_ids = set(id_by_number.values())
    departments = set(db.session.scalars(select(Department.id)))
    for row in plan.rows:
        if row.action is Action.UNCHANGED:
            continue
        data = row.data
        if row.action is Action.UPDATE and row.user_id not in known_ids:
            raise _changed_meanwhile()
        problem = None
        if id_by_number.get(data.employee_number, row.user_id) != row.user_id:
            problem = _("이미 다른 사용자가 쓰는 사번입니다: %(value)s", value=data.employee_number)
        elif id_by_email.get(data.email, row.user_id) != row.user_id:
            problem = _("이미 다른 사용자가 쓰는 이메일입니다: %(value)s", value=data.email)
        elif data.department_id is not None and data.department_id not in departments:
            problem = _("선택한 부서가 없습니다.")
        if problem:
            raise HRImportError(
                _(
                    "%(line)d번째 줄: %(reason)s 아무것도 반영하지 않았습니다.",
                    line=row.line,
                    reason=problem,
                )
            )


def _user_values(row: PlannedRow) -> dict[str, object]:
    data = row.data
    return {
        "name": data.name,
        "email": data.email,
        "department_id": data.department_id,
        "grade": data.grade,
        "appointed_on": data.appointed_on,
        "is_department_head": row.is_department_head,
    }


def _head_entry(user_id: int, head: bool) -> dict[str, object]:
    return {
        "action": "user.department_head_changed",
        "target_type": "user",
        "target_id": user_id,
        "details": {"is_department_head": head},
    }


def _write_batch(rows: list[PlannedRow], now: dt.datetime) -> list[dict[str, object]]:
    """Insert and update one group of planned rows in bulk; returns their audit entries."""
    users = User.__table__
    creates = [r for r in rows if r.action is Action.CREATE]
    updates = [r for r in rows if r.action is Action.UPDATE]
    entries: list[dict[str, object]] = []
    if creates:
        # No password: the person cannot log in until an admin sets one.
        inserted = bulk.insert_rows(
            db.session,
            users,
            [
                {
                    "employee_number": r.data.employee_number,
                    "role": r.data.role,
                    "locale": r.data.locale,
                    "is_active": True,
                    "password_hash": None,
                    "password_changed_at": None,
                    "failed_login_count": 0,
                    "created_at": now,
                }
                | _user_values(r)
                for r in creates
            ],
            returning=(users.c.employee_number, users.c.id),
        )
        new_ids = dict(inserted)
        if len(new_ids) != len(creates):
            raise _changed_meanwhile()
        for row in creates:
            user_id = new_ids[row.data.employee_number]
            entries.append(
                {
                    "action": "user.created",
                    "target_type": "user",
                    "target_id": user_id,
                    "details": {"role": row.data.role.value},
                }
            )
            if row.is_department_head:
                entries.append(_head_entry(user_id, True))
    if updates:
        bulk.update_rows(db.session, users, [{"id": r.user_id} | _user_values(r) for r in updates])
        for row in updates:
            fields = [f for f in row.changed if f != "is_department_head"]
            if fields:
                entries.append(
                    {
                        "action": "user.updated",
                        "target_type": "user",
                        "target_id": row.user_id,
                        "details": {"fields": fields},
                    }
                )
            if "is_department_head" in row.changed:
                entries.append(_head_entry(row.user_id, row.is_department_head))
    return entries


def apply_import(
    plan: ImportPlan,
    actor_id: int | None,
    *,
    upload_id: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Create and update the planned staff in bulk, all or nothing; progress(n) per group.

    A fixed number of statements per APPLY_BATCH_ROWS rows (no per-row flush), so the
    20,000-row cap applies in a few seconds. The audit facts are those of
    operations.create_user and update_user (``user.created`` with the role,
    ``user.updated`` with the changed field names), ``user.department_head_changed`` for
    the flag, and one ``roster.imported`` entry with the counts and the file hash.
    """
    if not plan.is_valid:
        raise HRImportError(
            _("%(n)d개 행에 문제가 있어 아무것도 반영하지 않았습니다.", n=plan.error_lines)
        )
    _recheck(plan)
    now = utcnow()
    updated_ids = {r.user_id for r in plan.rows if r.action is Action.UPDATE}
    try:
        with db.session.begin_nested():
            for start in range(0, len(plan.rows), APPLY_BATCH_ROWS):
                batch = plan.rows[start : start + APPLY_BATCH_ROWS]
                record_many(_write_batch(batch, now), actor_id=actor_id)
                if progress:
                    progress(len(batch))
    except IntegrityError:
        # Someone else took a number or an e-mail between the check and the write.
        raise _changed_meanwhile() from None
    # Accounts loaded earlier in this session must show the new values.
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, User) and obj.id in updated_ids:
            db.session.expire(obj)
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
    name = _CONTROL_CHARACTERS.sub("", PurePath(filename.replace("\\", "/")).name).strip()
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
