"""One writer for CSV and XLSX exports, from a header row and data rows.

CSV is UTF-8 with a byte order mark (so Excel shows Hangul) and CRLF line ends; XLSX is
written by openpyxl in write-only mode, so a few thousand rows stay fast and small in
memory. In both formats every text cell that a spreadsheet would read as a formula
(it begins with =, +, -, @, a tab or a carriage return) is neutralised with a leading
single quote; numbers, dates and times keep their types, so sums still work.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel's widths are in characters of the default font; Hangul is about two wide.
_MIN_WIDTH, _MAX_WIDTH = 6, 50
_SHEET_TITLE_MAX = 31
_SHEET_TITLE_BAD = str.maketrans({c: " " for c in "[]:*?/\\"})

Cell = str | int | float | Decimal | dt.date | dt.datetime | bool | None


def neutralise(value: str) -> str:
    """The text, with a leading quote when a spreadsheet would run it as a formula."""
    if value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _text(value: Cell) -> str:
    """A cell as CSV text: dates in ISO form, Decimals as written, None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """UTF-8 CSV with a BOM and CRLF line ends; text cells neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(str(h)) for h in headers])
    for row in rows:
        writer.writerow([_text(value) for value in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _xlsx_value(value: Cell) -> Cell:
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones; callers pass Seoul time
    if isinstance(value, bool):
        return "Y" if value else "N"
    return value


def _number_format(value: Cell) -> str | None:
    if isinstance(value, dt.datetime):
        return "yyyy-mm-dd hh:mm"
    if isinstance(value, dt.date):
        return "yyyy-mm-dd"
    return None


def to_xlsx(
    headers: Sequence[str], rows: Iterable[Sequence[Cell]], *, sheet_title: str = "export"
) -> bytes:
    """An XLSX workbook with one sheet: a bold header row, typed cells, fitted widths.

    Widths are fitted on the header and the first rows (the sheet is written row by row,
    so it cannot look at the end before writing the start).
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(
        title=(sheet_title.translate(_SHEET_TITLE_BAD).strip() or "export")[:_SHEET_TITLE_MAX]
    )
    rows = iter(rows)
    head: list[Sequence[Cell]] = []
    for row in rows:
        head.append(row)
        if len(head) >= 200:
            break
    widths = [_display_width(str(h)) for h in headers]
    for row in head:
        for index, value in enumerate(row[: len(widths)]):
            widths[index] = max(widths[index], _display_width(_text(value)))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(
            max(width + 2, _MIN_WIDTH), _MAX_WIDTH
        )
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=neutralise(str(header)))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)

    def write(row: Sequence[Cell]) -> None:
        cells = []
        for value in row:
            number_format = _number_format(value)
            if number_format is None:
                cells.append(_xlsx_value(value))
                continue
            cell = WriteOnlyCell(sheet, value=_xlsx_value(value))
            cell.number_format = number_format
            cells.append(cell)
        sheet.append(cells)

    for row in head:
        write(row)
    for row in rows:
        write(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(
    file_format: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]], *, title: str
) -> tuple[bytes, str]:
    """The file's bytes and MIME type in the asked format ("csv" or "xlsx")."""
    if file_format == "xlsx":
        return to_xlsx(headers, rows, sheet_title=title), XLSX_MIMETYPE
    return to_csv(headers, rows), CSV_MIMETYPE
