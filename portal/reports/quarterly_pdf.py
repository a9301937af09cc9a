"""The quarterly one-page report for higher authorities, drawn as an A4 PDF.

Built from plain values (:class:`QuarterlyReport`) so that drawing touches no database:
the view gathers the figures from the dashboards' own queries first, then renders here.
The page always stays one page: the department table shows at most
:data:`MAX_TABLE_ROWS` rows and says how many it left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fpdf.fonts import FontFace

from portal.core.pdf import SANS, SERIF, korean_pdf, to_bytes

MARGIN = 15
MAX_TABLE_ROWS = 15
PAGE_WIDTH = 210
BOX_GAP = 4


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class Section:
    title: str
    figures: list[Figure]


@dataclass(frozen=True)
class Table:
    title: str
    headings: list[str]
    rows: list[list[str]]
    more_label: str = ""  # "그 외 3개 부서", shown when rows were left out


@dataclass(frozen=True)
class Bar:
    label: str
    value_label: str  # "1,234명 (61.2%)"
    fraction: float  # 0..1, the bar's length


@dataclass(frozen=True)
class Bars:
    title: str
    bars: list[Bar]


@dataclass(frozen=True)
class QuarterlyReport:
    title: str
    period_label: str  # "2026년 4분기 (10. 1. ~ 12. 31.)"
    scope_label: str  # "전체 부서" or a department's path
    issuer: str
    issued_label: str  # "작성일 2026-12-07"
    sections: list[Section]
    funnel: Bars | None = None
    table: Table | None = None
    footnotes: list[str] = field(default_factory=list)


def _section_box(pdf, section: Section, x: float, y: float, width: float) -> float:
    """Draw one titled box of figures at (x, y); return its height."""
    pdf.set_xy(x, y)
    pdf.set_fill_color(235, 241, 250)
    pdf.set_font(SANS, "B", 10.5)
    pdf.cell(width, 7, f"  {section.title}", fill=True, new_x="LEFT", new_y="NEXT")
    inner = pdf.get_y() + 1.5
    label_width = width * 0.52
    for figure in section.figures:
        pdf.set_xy(x + 2, inner)
        pdf.set_font(SANS, "", 9.5)
        pdf.cell(label_width, 6, figure.label)
        pdf.set_font(SANS, "B", 11)
        pdf.cell(width - label_width - 4, 6, figure.value, align="R")
        inner += 6
        if figure.note:
            pdf.set_xy(x + 2, inner)
            pdf.set_font(SANS, "", 7.5)
            pdf.set_text_color(90, 90, 90)
            pdf.cell(width - 4, 4, figure.note, align="R")
            pdf.set_text_color(0, 0, 0)
            inner += 4
    height = inner - y + 1.5
    pdf.set_draw_color(160, 175, 200)
    pdf.rect(x, y, width, height)
    return height


def _bars(pdf, bars: Bars, y: float) -> float:
    """Horizontal bars (the adoption funnel); return the y below them."""
    pdf.set_xy(MARGIN, y)
    pdf.set_font(SANS, "B", 10.5)
    pdf.cell(0, 7, bars.title, new_x="LMARGIN", new_y="NEXT")
    y = pdf.get_y() + 1
    label_width, value_width = 48, 40
    track = PAGE_WIDTH - 2 * MARGIN - label_width - value_width - 4
    for bar in bars.bars:
        pdf.set_xy(MARGIN, y)
        pdf.set_font(SANS, "", 9)
        pdf.cell(label_width, 5.5, bar.label)
        pdf.set_fill_color(226, 230, 236)
        pdf.rect(MARGIN + label_width, y + 1, track, 3.5, style="F")
        pdf.set_fill_color(37, 99, 190)
        length = track * min(max(bar.fraction, 0.0), 1.0)
        if length > 0:
            pdf.rect(MARGIN + label_width, y + 1, length, 3.5, style="F")
        pdf.set_xy(MARGIN + label_width + track + 4, y)
        pdf.cell(value_width, 5.5, bar.value_label, align="R")
        y += 6.5
    pdf.set_fill_color(255, 255, 255)
    return y


def render(report: QuarterlyReport) -> bytes:
    pdf = korean_pdf()
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(False)
    pdf.set_title(f"{report.title} {report.period_label}")
    pdf.add_page()

    pdf.set_font(SERIF, "B", 18)
    pdf.cell(0, 10, report.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(SANS, "", 10)
    pdf.cell(0, 6, f"{report.period_label} · {report.scope_label}", align="C")
    pdf.ln(7)
    pdf.set_font(SANS, "", 8.5)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(0, 5, f"{report.issuer} · {report.issued_label}", align="C")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(8)

    # The sections two by two.
    width = (PAGE_WIDTH - 2 * MARGIN - BOX_GAP) / 2
    y = pdf.get_y()
    for index in range(0, len(report.sections), 2):
        pair = report.sections[index : index + 2]
        heights = [
            _section_box(pdf, section, MARGIN + column * (width + BOX_GAP), y, width)
            for column, section in enumerate(pair)
        ]
        y += max(heights) + BOX_GAP

    if report.funnel is not None:
        y = _bars(pdf, report.funnel, y + 2)

    if report.table is not None:
        table = report.table
        pdf.set_xy(MARGIN, y + 2)
        pdf.set_font(SANS, "B", 10.5)
        pdf.cell(0, 7, table.title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(SANS, "", 8.5)
        heading_style = FontFace(emphasis="BOLD", fill_color=(235, 241, 250))
        column_count = len(table.headings)
        first = 0.34
        widths = [first] + [(1 - first) / (column_count - 1)] * (column_count - 1)
        with pdf.table(
            col_widths=[round(share * 1000) for share in widths],
            text_align=["LEFT"] + ["RIGHT"] * (column_count - 1),
            headings_style=heading_style,
            line_height=5.2,
            first_row_as_headings=True,
        ) as drawn:
            for cells in [table.headings, *table.rows[:MAX_TABLE_ROWS]]:
                row = drawn.row()
                for cell in cells:
                    row.cell(cell)
        if table.more_label:
            pdf.set_font(SANS, "", 8)
            pdf.cell(0, 5, table.more_label, new_x="LMARGIN", new_y="NEXT")

    if report.footnotes:
        pdf.set_font(SANS, "", 7.5)
        pdf.set_text_color(90, 90, 90)
        lines = len(report.footnotes)
        pdf.set_xy(MARGIN, 297 - MARGIN - 4 * lines)
        for note in report.footnotes:
            pdf.cell(0, 4, note, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    return to_bytes(pdf)
