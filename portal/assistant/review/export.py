"""Export a sandbox draft to DOCX in Korean government report style (보고서 양식, DESIGN.md §3.E).

``build_docx(meta, segments)`` returns the bytes of a ``.docx`` file; ``write_docx(layout)`` writes
a :class:`~portal.assistant.review.layout.ReportLayout`. Every layout decision (page, fonts,
title block, the □/○/- hierarchy and its indents, tables, footer, AI-use note) is made in
``layout.describe``, which the HWPX export (``review/hwpx.py``) shares; this module only
translates the description into WordprocessingML.

DOCX specifics:

* The body font is set on every run for ``w:ascii``/``w:hAnsi``/``w:cs`` *and* ``w:eastAsia``
  (python-docx's ``font.name`` sets only the first two, and Word picks the East Asian font for
  Hangul). Where 휴먼명조 is not installed, Word substitutes a font.
* A hanging indent is ``w:left`` = start + hang with ``w:hanging`` = hang.
* The page number is a ``PAGE`` field; the title and disclosure boxes are paragraph borders.
* Core properties: title and subject only. Author and "last modified by" stay empty; the
  python-docx template's comment is cleared, and created/modified are the export date.
"""

from __future__ import annotations

import copy
import datetime
import functools
import io
import re
from collections.abc import Mapping, Sequence

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run

from portal.assistant.review.layout import (
    BODY_FONT,
    Blank,
    ExportMeta,
    Fonts,
    Page,
    Paragraph,
    ReportLayout,
    Table,
    clean_text,
    date_notation,
    describe,
)

__all__ = [
    "BODY_FONT",
    "ExportMeta",
    "build_docx",
    "clean_text",
    "date_notation",
    "docx_lines",
    "download_filename",
    "write_docx",
]

# Characters Windows and macOS refuse in file names; browsers swap them for "_".
# Separators become " - "; the rest are dropped.
_FILENAME_SEPARATORS = re.compile(r"\s*[\\/:|]+\s*")
_FILENAME_DROPPED = re.compile(r'[*?"<>\x00-\x1f\x7f]+')

# Border elements in the order the schema requires inside w:pBdr.
_BORDER_SIDES = ("top", "left", "bottom", "right")
# Elements that must follow w:pBdr inside w:pPr (ECMA-376 CT_PPrBase order).
_PBDR_SUCCESSORS = (
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)


@functools.cache
def _run_properties_prototype(font: str, half_points: int, bold: bool) -> BaseOxmlElement:
    """``w:rPr`` naming the body font for every script (``w:eastAsia`` included), size, weight.

    Built once per size and weight and copied into each run: python-docx's per-property
    setters search the children on every call, which is slow for drafts of thousands of lines.
    """
    properties = OxmlElement("w:rPr")
    fonts = OxmlElement("w:rFonts")
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), font)
    properties.append(fonts)
    if bold:
        properties.append(OxmlElement("w:b"))
    for tag in ("w:sz", "w:szCs"):
        properties.append(OxmlElement(tag, {qn("w:val"): str(half_points)}))
    return properties


class _Writer:
    """Appends runs and paragraphs in the layout's font, in constant time per paragraph.

    ``Document.add_paragraph`` searches the whole body for the final ``w:sectPr`` on every
    call, which makes long drafts quadratic; here the anchor is looked up once.
    """

    def __init__(self, document: DocxDocument, fonts: Fonts) -> None:
        self.document = document
        self.font = fonts.body
        self._container = document._body
        self._anchor = document.element.body.get_or_add_sectPr()

    def run(
        self, paragraph: DocxParagraph, size: float, *, bold: bool = False, text: str = ""
    ) -> Run:
        """Append a run in the body font with the given size and weight (and text, if any)."""
        element = OxmlElement("w:r")
        prototype = _run_properties_prototype(self.font, round(size * 2), bold)
        element.append(copy.deepcopy(prototype))
        for index, piece in enumerate(text.split("\t")):
            if index:
                element.append(OxmlElement("w:tab"))
            if piece:
                text_element = OxmlElement("w:t", {qn("xml:space"): "preserve"})
                text_element.text = piece
                element.append(text_element)
        paragraph._p.append(element)
        return Run(element, paragraph)

    def paragraph(self, properties: BaseOxmlElement | None = None) -> DocxParagraph:
        """A new last paragraph, with a copy of ``properties`` as its ``w:pPr`` if given."""
        element = OxmlElement("w:p")
        if properties is not None:
            element.append(copy.deepcopy(properties))
        self._anchor.addprevious(element)
        return DocxParagraph(element, self._container)

    def table(self, block: Table) -> None:
        """A bordered table; the header row bold and repeated on every page."""
        table = self.document.add_table(rows=len(block.rows), cols=block.columns)
        table.style = self.document.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for row_index, (row, values) in enumerate(zip(table.rows, block.rows, strict=True)):
            if row_index == 0:
                properties = row._tr.get_or_add_trPr()
                properties.append(OxmlElement("w:tblHeader"))
            for cell, value in zip(row.cells, values, strict=True):
                paragraph = cell.paragraphs[0]
                if row_index == 0:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
                self.run(paragraph, block.size, bold=row_index == 0, text=value)


def _add_borders(paragraph: DocxParagraph, *, width: float, padding: float) -> None:
    """Draw a single-line box (``width`` and ``padding`` in points) around a paragraph."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    for side in _BORDER_SIDES:
        border = OxmlElement(f"w:{side}")
        border.set(qn("w:val"), "single")
        border.set(qn("w:sz"), str(round(width * 8)))  # eighths of a point
        border.set(qn("w:space"), str(round(padding)))
        border.set(qn("w:color"), "000000")
        borders.append(border)
    ppr.insert_element_before(borders, *_PBDR_SUCCESSORS)


def _add_page_field(writer: _Writer, paragraph: DocxParagraph, size: float) -> None:
    """Append a PAGE field (begin, instruction, separator, cached result, end) as runs."""

    def field_char(kind: str) -> None:
        run = writer.run(paragraph, size)
        char = OxmlElement("w:fldChar")
        char.set(qn("w:fldCharType"), kind)
        run._r.append(char)

    field_char("begin")
    instruction_run = writer.run(paragraph, size)
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = " PAGE "
    instruction_run._r.append(instruction)
    field_char("separate")
    writer.run(paragraph, size, text="1")
    field_char("end")


def _set_document_defaults(document: DocxDocument, fonts: Fonts) -> None:
    """Explicit body font, Korean language and tight spacing as the document's defaults."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    font_element = rpr.find(qn("w:rFonts"))
    # Theme attributes would override the explicit font names, so they go.
    for attribute in list(font_element.attrib):
        del font_element.attrib[attribute]
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        font_element.set(qn(attribute), fonts.body)
    for size_tag in ("w:sz", "w:szCs"):
        rpr.find(qn(size_tag)).set(qn("w:val"), str(round(fonts.size * 2)))
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), fonts.language)
    lang.set(qn("w:eastAsia"), fonts.language)

    normal = document.styles["Normal"].paragraph_format
    normal.space_before = Pt(0)
    normal.space_after = Pt(0)
    normal.line_spacing = fonts.line_spacing


def _set_page(document: DocxDocument, page: Page) -> None:
    """A4 portrait with the report margins."""
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width = Mm(page.width_mm)
    section.page_height = Mm(page.height_mm)
    section.top_margin = Mm(page.top_mm)
    section.bottom_margin = Mm(page.bottom_mm)
    section.left_margin = Mm(page.left_mm)
    section.right_margin = Mm(page.right_mm)
    section.header_distance = Mm(page.header_mm)
    section.footer_distance = Mm(page.footer_mm)
    section.gutter = Mm(0)


def _set_core_properties(document: DocxDocument, layout: ReportLayout) -> None:
    """Title and subject only; nothing personal."""
    props = document.core_properties
    props.title = layout.title.title
    props.subject = layout.subject
    props.author = ""
    props.comments = ""
    props.keywords = ""
    props.category = ""
    props.revision = 1
    stamp = datetime.datetime.combine(layout.date, datetime.time(0, 0))
    props.created = stamp
    props.modified = stamp
    core = props._element
    for tag in ("cp:lastModifiedBy", "cp:lastPrinted"):
        element = core.find(qn(tag))
        if element is not None:
            core.remove(element)


def _add_title(writer: _Writer, layout: ReportLayout) -> None:
    block = layout.title
    title = writer.paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_before = Pt(block.title_before)
    title.paragraph_format.space_after = Pt(block.title_after)
    title.paragraph_format.line_spacing = block.title_line_spacing
    _add_borders(title, width=block.border, padding=block.padding)
    writer.run(title, block.title_size, bold=True, text=block.title)

    stamp = writer.paragraph()
    stamp.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    stamp.paragraph_format.space_after = Pt(block.stamp_after)
    writer.run(stamp, block.stamp_size, text=block.stamp)


@functools.cache
def _paragraph_properties_prototype(
    left_twips: int, hanging_twips: int, before_twips: int, keep_next: bool
) -> BaseOxmlElement:
    """A justified ``w:pPr`` (children in schema order), built once and copied per line."""
    properties = OxmlElement("w:pPr")
    if keep_next:
        properties.append(OxmlElement("w:keepNext"))
    if before_twips:
        properties.append(OxmlElement("w:spacing", {qn("w:before"): str(before_twips)}))
    if left_twips or hanging_twips:
        indent = {qn("w:left"): str(left_twips), qn("w:hanging"): str(hanging_twips)}
        properties.append(OxmlElement("w:ind", indent))
    properties.append(OxmlElement("w:jc", {qn("w:val"): "both"}))
    return properties


def _add_blocks(writer: _Writer, layout: ReportLayout) -> None:
    """One paragraph per line of the draft, a table for each table; blank lines stay empty."""
    for block in layout.blocks:
        if isinstance(block, Blank):
            writer.paragraph()
        elif isinstance(block, Table):
            writer.table(block)
        else:
            _add_paragraph(writer, block)


def _add_paragraph(writer: _Writer, block: Paragraph) -> None:
    # Word's hanging indent: the first line starts at left - hanging, the others at left.
    properties = _paragraph_properties_prototype(
        round((block.start + block.hang) * 20),
        round(block.hang * 20),
        round(block.before * 20),
        block.keep_with_next,
    )
    paragraph = writer.paragraph(properties)
    writer.run(paragraph, block.size, bold=block.bold, text=block.text)


def download_filename(title: str, *, limit: int = 60, extension: str = "docx") -> str:
    """A file name for the title that browsers keep as is ("기획보고서 - 2027년 … 계획.docx").

    A colon and the other characters that file systems refuse would otherwise be swapped
    for "_" by the browser, leaving names like "기획보고서_ 2027년".
    """
    name = _FILENAME_DROPPED.sub(" ", title)
    name = _FILENAME_SEPARATORS.sub(" - ", name)
    name = " ".join(name.split()).strip(" -.")
    return (name[:limit].rstrip(" -.") or "draft") + "." + extension


def _add_disclosure(writer: _Writer, layout: ReportLayout) -> None:
    block = layout.disclosure
    if block is None:
        return
    paragraph = writer.paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
    fmt = paragraph.paragraph_format
    fmt.space_before = Pt(block.before)
    fmt.line_spacing = block.line_spacing
    fmt.keep_together = True
    _add_borders(paragraph, width=block.border, padding=block.padding)
    writer.run(paragraph, block.size, text=block.text)


def _add_footer(writer: _Writer, layout: ReportLayout) -> None:
    footer = layout.footer
    paragraph = writer.document.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    writer.run(paragraph, footer.size, text=footer.prefix)
    _add_page_field(writer, paragraph, footer.size)
    writer.run(paragraph, footer.size, text=footer.suffix)


def write_docx(layout: ReportLayout) -> bytes:
    """The DOCX file of a report layout."""
    document = Document()
    _set_document_defaults(document, layout.fonts)
    _set_page(document, layout.page)
    _set_core_properties(document, layout)
    writer = _Writer(document, layout.fonts)
    _add_title(writer, layout)
    _add_blocks(writer, layout)
    _add_disclosure(writer, layout)
    _add_footer(writer, layout)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def build_docx(meta: ExportMeta, segments: Sequence[Mapping[str, object]]) -> bytes:
    """Render the draft (the concatenated segment texts) as a government-style report."""
    return write_docx(describe(meta, segments))


def docx_lines(data: bytes) -> list[str]:
    """The text of a DOCX body, one entry per paragraph and per table row (``| a | b |``).

    The same shape as ``layout.reading_lines``, for the round-trip check.
    """
    document = Document(io.BytesIO(data))
    lines: list[str] = []
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            lines.append(DocxParagraph(child, document._body).text)
        elif child.tag == qn("w:tbl"):
            for row in child.iterchildren(qn("w:tr")):
                cells = [
                    "".join(t.text or "" for t in cell.iter(qn("w:t")))
                    for cell in row.iterchildren(qn("w:tc"))
                ]
                lines.append("| " + " | ".join(cells) + " |")
    return lines
