"""The printable sign-in sheet (출석부) of one session day, as a PDF.

Built from plain values (:class:`SignInSheet`) so that rendering touches no database:
the view reads the roster and records the export in a short transaction first, then
renders here with no transaction open. A4 portrait in Nanum Gothic; the table's heading
row repeats on every page, and each page has the course and day at the top and
"n / N" at the bottom.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpdf.fonts import FontFace

from portal.core.pdf import SANS, korean_pdf, to_bytes

ROW_HEIGHT = 11  # mm: room for a signature
MARGIN = 15


@dataclass(frozen=True)
class SheetPerson:
    name: str
    department: str
    employee_number: str


@dataclass(frozen=True)
class SignInSheet:
    course: str
    round_label: str  # "3차"
    day_label: str  # "2026-12-07"
    time_label: str  # "09:00–18:00"
    place: str
    instructor: str
    people: list[SheetPerson]
    labels: dict[str, str]  # translated headings (No., name, department, …)


def render(sheet: SignInSheet) -> bytes:
    labels = sheet.labels
    pdf = korean_pdf()
    pdf.set_margins(MARGIN, MARGIN + 8, MARGIN)
    pdf.set_auto_page_break(True, margin=MARGIN + 5)
    pdf.set_title(f"{labels['title']} {sheet.course} {sheet.round_label} {sheet.day_label}")
    running_title = f"{sheet.course} {sheet.round_label} · {sheet.day_label}"

    def header() -> None:
        pdf.set_font(SANS, "", 8)
        pdf.set_text_color(90, 90, 90)
        pdf.set_xy(MARGIN, 8)
        pdf.cell(0, 5, f"{labels['title']} · {running_title}", align="L")
        pdf.set_text_color(0, 0, 0)
        pdf.set_xy(MARGIN, MARGIN + 8)

    def footer() -> None:
        pdf.set_y(-MARGIN)
        pdf.set_font(SANS, "", 9)
        pdf.cell(0, 6, f"{pdf.page_no()} / {{nb}}", align="C")

    # fpdf2 calls these on every page it adds (including automatic page breaks).
    pdf.header = header  # type: ignore[method-assign]
    pdf.footer = footer  # type: ignore[method-assign]
    pdf.add_page()

    pdf.set_font(SANS, "B", 18)
    pdf.cell(0, 10, labels["title"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(SANS, "", 10.5)
    facts = [
        (labels["course"], f"{sheet.course} {sheet.round_label}"),
        (labels["date"], sheet.day_label),
        (labels["time"], sheet.time_label),
        (labels["place"], sheet.place or "—"),
        (labels["instructor"], sheet.instructor or "—"),
        (labels["count"], str(len(sheet.people))),
    ]
    for label, value in facts:
        pdf.set_font(SANS, "B", 10.5)
        pdf.cell(28, 7, label)
        pdf.set_font(SANS, "", 10.5)
        pdf.multi_cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    pdf.set_font(SANS, "", 10.5)
    heading = FontFace(emphasis="BOLD", fill_color=(230, 233, 236))
    with pdf.table(
        col_widths=(12, 34, 64, 30, 40),
        text_align=("CENTER", "LEFT", "LEFT", "CENTER", "CENTER"),
        line_height=ROW_HEIGHT,
        headings_style=heading,
        repeat_headings=1,
        first_row_as_headings=True,
    ) as table:
        table.row(
            [labels["no"], labels["name"], labels["department"], labels["number"], labels["sign"]]
        )
        for n, person in enumerate(sheet.people, 1):
            table.row([str(n), person.name, person.department, person.employee_number, ""])
    if not sheet.people:
        pdf.ln(4)
        pdf.cell(0, 8, labels["empty"])
    return to_bytes(pdf)
