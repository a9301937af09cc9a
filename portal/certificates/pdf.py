"""The certificate PDF (A4, Nanum Myeongjo) and the bulk ZIP of a session's certificates.

Speed. ``portal.core.pdf.korean_pdf()`` registers four whole Korean fonts, and fpdf2 then
parses and subsets a 3 MB font per document: about 0.5 s per certificate, over a minute
for a session of 150. Here the fonts are cut down ONCE per batch to the characters the
batch uses (the fixed wording plus every name, department and title in it, a few hundred
glyphs), and each certificate parses only that small font and subsets it to its own
characters. Each PDF still embeds only the glyphs it shows. fontTools would recompute the
glyph boxes of every subset (the slowest step); the boxes of the original font are kept
as they are (``recalcBBoxes = False``). Measured on the 2-core machine: 0.03 s per
certificate, plus 0.25 s per batch (bench/certificates_bench.py).

Nothing here touches the database: callers read what they need first, close their
transaction, then render (``db.ensure_idle()``).

The wording of the certificate is Korean whatever the reader's language: it is an
official document of the issuing authority.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import string
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import segno
from fontTools import subset as ftsubset
from fontTools import ttLib
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import SubsetMap, TTFFont

from portal.core.pdf import SERIF, font_file

TITLE = "수 료 증"
SENTENCE = "위 사람은 위의 교육과정을 성실히 이수하였으므로 이 증서를 수여합니다."
LABELS = {
    "name": "성      명",
    "department": "소      속",
    "course": "교육과정",
    "period": "교육기간",
    "hours": "인정시간",
}
NUMBER_LABEL = "제 {number} 호"
VERIFY_CAPTION = "진위 확인"
VERIFY_HINT = (
    "QR 코드를 찍거나 아래 주소에서 번호를 입력하면 이 수료증이 진짜인지 확인할 수 있습니다."
)
REISSUED = "재발급 {date}"
EMPTY = "-"
# Every character the fixed wording and the formatted values can use, besides the
# content's own text: digits, Latin letters and punctuation (numbers, URLs), 년월일시간.
FIXED_TEXT = (
    string.printable
    + TITLE
    + SENTENCE
    + "".join(LABELS.values())
    + NUMBER_LABEL
    + VERIFY_CAPTION
    + VERIFY_HINT
    + REISSUED
    + "년월일시간차~·「」()"
)

# A4 portrait, in millimetres.
PAGE_W = 210
MARGIN = 22


def korean_date(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.year}년 {day.month}월 {day.day}일"


def _dotted(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.year}. {day.month}. {day.day}."


def period_text(content: dict[str, Any]) -> str:
    starts, ends = content["starts_on"], content["ends_on"]
    if starts == ends:
        return _dotted(starts)
    return f"{_dotted(starts)} ~ {_dotted(ends)}"


def course_text(content: dict[str, Any]) -> str:
    return f"{content['course_title']} ({content['round_number']}차)"


def hours_text(content: dict[str, Any]) -> str:
    return f"{content['hours']}시간"


@dataclass(frozen=True)
class Document:
    """One certificate to draw: its frozen content and its verification page's address."""

    content: dict[str, Any]
    verify_url: str


def _texts(document: Document) -> list[str]:
    content = document.content
    texts = [
        NUMBER_LABEL.format(number=content["number"]),
        content["name"],
        content["department"] or EMPTY,
        course_text(content),
        period_text(content),
        hours_text(content),
        korean_date(content["issued_on"]),
        content["issuer"],
        document.verify_url,
    ]
    if content.get("reissued_on"):
        texts.append(REISSUED.format(date=korean_date(content["reissued_on"])))
    return texts


# --- fonts -----------------------------------------------------------------------------

STYLES = {"": "Regular", "B": "Bold"}


def _subset_font(style: str, characters: str) -> bytes:
    options = ftsubset.Options(
        notdef_outline=True,
        recommended_glyphs=True,
        glyph_names=True,
        hinting=False,
        layout_features=[],
    )
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "hdmx"]
    path = str(font_file(SERIF, STYLES[style]))
    with ttLib.TTFont(path, lazy=True, recalcTimestamp=False) as font:
        subsetter = ftsubset.Subsetter(options)
        subsetter.populate(text=characters)
        subsetter.subset(font)
        out = io.BytesIO()
        font.save(out)
    return out.getvalue()


class BatchFonts:
    """Nanum Myeongjo (regular and bold) cut down to the characters of a batch."""

    def __init__(self, documents: Iterable[Document]):
        chars = set(FIXED_TEXT)
        for document in documents:
            for text in _texts(document):
                chars.update(text)
        characters = "".join(sorted(chars))
        self.data = {style: _subset_font(style, characters) for style in STYLES}
        # Parsed once: metrics and the character map, shared read-only by every document.
        host = FPDF()
        self.templates = {
            style: TTFFont(host, io.BytesIO(data), SERIF.lower() + style, style)
            for style, data in self.data.items()
        }

    def _font_for_document(self, style: str) -> TTFFont:
        font = copy.copy(self.templates[style])
        # fpdf2 subsets the fontTools object in place on output, so each document gets
        # its own (lazily read, cheap for a small font) and its own subset bookkeeping.
        font.ttfont = ttLib.TTFont(io.BytesIO(self.data[style]), recalcTimestamp=False, lazy=True)
        # Keep the glyph boxes of the font instead of recomputing them on output (the
        # outlines are unchanged, so they are right, and recomputing is most of the cost).
        font.ttfont.recalcBBoxes = False
        font.subset = SubsetMap(font)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        return font

    def new_pdf(self) -> FPDF:
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        for index, style in enumerate(STYLES, start=1):
            font = self._font_for_document(style)
            font.i = index
            pdf.fonts[font.fontkey] = font
        pdf.set_creator("AI training portal")
        return pdf


# --- drawing ---------------------------------------------------------------------------


def qr_code(url: str) -> segno.QRCode:
    """The QR code printed on a certificate: the absolute address of its verification page."""
    return segno.make(url, error="m", micro=False)


def _draw_qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    """The QR code of ``url``, drawn as vector squares, and over it a link to that same
    ``url``: a click in a PDF viewer opens what a phone's camera would, and a program can
    read the address from the link annotation without decoding the image."""
    code = qr_code(url)
    rows = [list(row) for row in code.matrix]
    quiet = 2  # modules of white border inside the printed square
    count = len(rows) + 2 * quiet
    module = size / count
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                pdf.rect(
                    x + (start + quiet) * module,
                    y + (r + quiet) * module,
                    (c - start) * module,
                    module,
                    style="F",
                )
            else:
                c += 1
    pdf.link(x, y, size, size, url)


def _draw(pdf: FPDF, document: Document) -> None:
    content = document.content
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.add_page()
    pdf.set_title(f"수료증 {content['number']}")
    pdf.set_author(content["issuer"])

    # Double frame.
    pdf.set_draw_color(40, 60, 110)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, PAGE_W - 20, 297 - 20)
    pdf.set_line_width(0.3)
    pdf.rect(13, 13, PAGE_W - 26, 297 - 26)
    pdf.set_text_color(0, 0, 0)

    pdf.set_font(SERIF, "", 11)
    pdf.set_xy(MARGIN, 22)
    pdf.cell(0, 6, NUMBER_LABEL.format(number=content["number"]))

    pdf.set_font(SERIF, "B", 40)
    pdf.set_xy(MARGIN, 48)
    pdf.cell(0, 20, TITLE, align="C")

    rows = [
        (LABELS["name"], content["name"]),
        (LABELS["department"], content["department"] or EMPTY),
        (LABELS["course"], course_text(content)),
        (LABELS["period"], period_text(content)),
        (LABELS["hours"], hours_text(content)),
    ]
    label_x, value_x, value_w = 36, 70, PAGE_W - 70 - 30
    y = 92
    for label, value in rows:
        pdf.set_xy(label_x, y)
        pdf.set_font(SERIF, "", 14)
        pdf.cell(30, 9, label)
        # Two lines at most in the usual size; a longer value (a 200-character course
        # title) is set smaller so the page keeps its layout.
        line = 9
        if pdf.get_string_width(value) > 2 * (value_w - 8):
            pdf.set_font(SERIF, "", 10)
            line = 5.5
        pdf.set_xy(value_x, y)
        pdf.multi_cell(value_w, line, f":  {value}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        y = max(pdf.get_y(), y + 9) + 4

    # The rest flows below the fields (a long course title pushes it down) and stays
    # above the QR code at the bottom.
    pdf.set_font(SERIF, "", 15)
    pdf.set_xy(34, min(max(y + 10, 170), 190))
    pdf.multi_cell(PAGE_W - 68, 10, SENTENCE, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    y = min(max(pdf.get_y() + 8, 203), 213)
    pdf.set_font(SERIF, "", 14)
    pdf.set_xy(MARGIN, y)
    pdf.cell(0, 8, korean_date(content["issued_on"]), align="C")
    if content.get("reissued_on"):
        pdf.set_font(SERIF, "", 10)
        pdf.set_xy(MARGIN, y + 8)
        pdf.cell(0, 6, f"({REISSUED.format(date=korean_date(content['reissued_on']))})", align="C")

    pdf.set_font(SERIF, "B", 24)
    pdf.set_xy(MARGIN, y + 19)
    pdf.cell(0, 14, content["issuer"], align="C")

    # QR code and number, bottom left.
    qr_x, qr_y, qr_size = 24, 248, 28
    _draw_qr(pdf, document.verify_url, qr_x, qr_y, qr_size)
    text_x = qr_x + qr_size + 4
    text_w = PAGE_W - text_x - 24
    pdf.set_xy(text_x, qr_y + 1)
    pdf.set_font(SERIF, "", 10)
    pdf.cell(text_w, 5, f"{VERIFY_CAPTION}  {content['number']}", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(SERIF, "", 8)
    pdf.multi_cell(text_w, 4.2, VERIFY_HINT, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.multi_cell(text_w, 4.2, document.verify_url, new_x=XPos.LEFT, new_y=YPos.NEXT)


def render(document: Document, fonts: BatchFonts | None = None) -> bytes:
    """One certificate as PDF bytes."""
    fonts = fonts or BatchFonts([document])
    pdf = fonts.new_pdf()
    _draw(pdf, document)
    return bytes(pdf.output())


# --- the ZIP ---------------------------------------------------------------------------

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def safe_filename_part(text: str, limit: int = 60) -> str:
    """A piece of a file name that Windows, macOS and unzip all accept."""
    cleaned = _UNSAFE.sub("_", text).strip(" ._") or "_"
    return cleaned[:limit]


def certificate_filename(content: dict[str, Any]) -> str:
    """e.g. 수료증_홍길동_SJ-AI-2026-000123-7KQ2.pdf"""
    return f"수료증_{safe_filename_part(content['name'])}_{content['number']}.pdf"


def render_zip(documents: Sequence[Document]) -> bytes:
    """A ZIP with one PDF per certificate (UTF-8 Korean file names, no compression:
    the PDFs are compressed already)."""
    fonts = BatchFonts(documents) if documents else None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        used: set[str] = set()
        for document in documents:
            name = certificate_filename(document.content)
            if name in used:  # numbers are unique; only a doctored content could repeat
                name = f"{len(used)}_{name}"
            used.add(name)
            archive.writestr(name, render(document, fonts))
    return buffer.getvalue()


def documents_for(
    contents: Iterable[dict[str, Any]], url_for_number: Callable[[str], str]
) -> list[Document]:
    return [Document(content, url_for_number(content["number"])) for content in contents]
