"""The CSV/XLSX writer: Hangul survives Excel, formulas never run, types are kept."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal.reports import tabular

DANGEROUS = ["=SUM(A1:A2)", "+82 10", "-1+1", "@cmd", "\tTAB", "\rCR", '=HYPERLINK("x")']


@pytest.mark.parametrize("value", DANGEROUS)
def test_neutralise_prefixes_a_quote_to_formula_like_text(value):
    assert tabular.neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["홍길동", "010", "a=b", " =x", ""])
def test_neutralise_keeps_ordinary_text(value):
    assert tabular.neutralise(value) == value


def test_csv_round_trip_keeps_hangul_behind_a_bom_with_crlf():
    headers = ["사번", "이름", "부서", "시간"]
    rows = [["T001", "홍길동", "디지털정책과", Decimal("3.5")], ["T002", "김영희, 주무관", "", 0]]
    body = tabular.to_csv(headers, rows)
    assert body.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in body and body.count(b"\n") == body.count(b"\r\n")
    text = body.decode("utf-8-sig")
    read = list(csv.reader(io.StringIO(text, newline="")))
    assert read == [
        headers,
        ["T001", "홍길동", "디지털정책과", "3.5"],
        ["T002", "김영희, 주무관", "", "0"],
    ]


def test_csv_neutralises_formula_cells_but_not_numbers():
    body = tabular.to_csv(["값"], [[v] for v in DANGEROUS] + [[-5], [dt.date(2026, 3, 2)]])
    read = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    cells = [row[0] for row in read[1:]]
    assert cells[: len(DANGEROUS)] == ["'" + v for v in DANGEROUS]
    assert cells[len(DANGEROUS) :] == ["-5", "2026-03-02"]


def test_xlsx_neutralises_formulas_keeps_types_and_bolds_the_header():
    rows = [[v, 1] for v in DANGEROUS] + [
        ["홍길동", Decimal("2.5")],
        [dt.date(2026, 3, 2), dt.datetime(2026, 3, 2, 9, 30)],
    ]
    body = tabular.to_xlsx(["이름", "시간"], rows, sheet_title="수료자 현황: 2026")
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet.title == "수료자 현황  2026"
    assert sheet["A1"].value == "이름" and sheet["A1"].font.b
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    for (text, number), dangerous in zip(values, DANGEROUS, strict=False):
        assert text == "'" + dangerous and number == 1
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"  # no formula anywhere
    assert values[-2] == ["홍길동", 2.5]
    assert (
        values[-1][0] == dt.datetime(2026, 3, 2)
        and sheet.cell(len(rows) + 1, 1).number_format == "yyyy-mm-dd"
    )
    assert values[-1][1] == dt.datetime(2026, 3, 2, 9, 30)
    assert sheet.column_dimensions["A"].width >= 8


def test_a_few_thousand_rows_are_written_quickly():
    import time

    rows = [
        [f"T{i:05d}", "홍길동", "디지털정책과", Decimal("3.5"), dt.date(2026, 1, 1)]
        for i in range(5000)
    ]
    started = time.perf_counter()
    tabular.to_xlsx(["사번", "이름", "부서", "시간", "날짜"], rows)
    tabular.to_csv(["사번", "이름", "부서", "시간", "날짜"], rows)
    assert time.perf_counter() - started < 10
