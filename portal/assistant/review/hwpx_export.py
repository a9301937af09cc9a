"""Export a sandbox draft to HWPX (OWPML, KS X 6101), the open format of 한글 2014 and later.

``build_hwpx(meta, segments)`` returns the bytes of a ``.hwpx`` file; ``write_hwpx(layout)``
writes a :class:`~portal.assistant.review.layout.ReportLayout`, the same description the DOCX
export writes (``layout.describe``), so both files make the same layout decisions.

The package is written with python-hwpx (Apache-2.0, pure Python, lxml only), starting from its
skeleton document, whose parts 한글 opens. This module only translates the description:

* Page size and margins in HWPUNIT (1/7200 inch).
* The body font 휴먼명조 is declared in every language block with 바탕 as its ``hh:substFont``,
  the font 한글 uses where 휴먼명조 is not installed. One ``charPr`` per size and weight.
* 한글 starts every line of a paragraph at the left margin and takes a negative first-line
  indent (내어쓰기) off the lines after the first. So a marked line gets ``left = start`` and
  ``intent = -hang``: the mark starts at ``start`` and wrapped lines align with the text after
  it, as in the DOCX. Paragraphs with the same format share one ``paraPr``.
* Tables are full text width with a bold, centred header row that repeats on every page.
* The footer shows ``- N -`` with an automatic page number.
* Document properties (``content.hpf``): title, subject and the export date only; the skeleton's
  author and dates are cleared, and so is its preview.

``validate_hwpx(data)`` runs python-hwpx's package validation and OWPML schema check plus our own
structural checks; ``hwpx_lines(data)`` reads the text back, independently of python-hwpx, in the
shape of ``layout.reading_lines`` for the round-trip check.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hwpx import HwpxDocument
from hwpx.errors import HwpxError
from hwpx.opc.package import HwpxPackageError
from hwpx.tools.package_validator import validate_package
from hwpx.tools.validator import validate_document
from lxml import etree

from portal.assistant.review.layout import (
    Blank,
    ExportMeta,
    Paragraph,
    ReportLayout,
    Table,
    describe,
    row_text,
)

__all__ = [
    "MIMETYPE",
    "HwpxExportError",
    "build_hwpx",
    "hwpx_lines",
    "validate_hwpx",
    "write_hwpx",
]

MIMETYPE = "application/hwp+zip"

_MM_PER_PT = 25.4 / 72
_HWPUNIT_PER_MM = 7200 / 25.4

_HP = "{http://www.hancom.co.kr/hwpml/2011/paragraph}"
_HS = "{http://www.hancom.co.kr/hwpml/2011/section}"
_HH = "{http://www.hancom.co.kr/hwpml/2011/head}"
_SECTION_PART = re.compile(r"^Contents/section(\d+)\.xml$")
_REQUIRED_PARTS = (
    "mimetype",
    "version.xml",
    "META-INF/container.xml",
    "META-INF/manifest.xml",
    "Contents/content.hpf",
    "Contents/header.xml",
    "Contents/section0.xml",
)
# Attributes of section content that point at a definition in header.xml.
# Entities unresolved and no network: the parts are read as data, never followed.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
_HEADER_REFERENCES = {
    "charPrIDRef": "charPr",
    "paraPrIDRef": "paraPr",
    "borderFillIDRef": "borderFill",
    "styleIDRef": "style",
}


def _hwpunit(mm: float) -> int:
    return round(mm * _HWPUNIT_PER_MM)


def _mm(points: float) -> float:
    return round(points * _MM_PER_PT, 2)


def _line_width(points: float) -> str:
    return f"{_mm(points):.2f} mm"  # python-hwpx snaps it to the nearest width 한글 offers


@dataclass(frozen=True)
class _Format:
    """A paragraph format: everything that goes into one ``paraPr``."""

    alignment: str = "JUSTIFY"
    left: float = 0  # points
    intent: float = 0  # points; negative: hanging
    before: float = 0
    after: float = 0
    line_spacing: float = 1.3
    keep_with_next: bool = False
    keep_lines: bool = False
    border: float = 0  # points; 0: no box
    padding: float = 0


class _Writer:
    def __init__(self, layout: ReportLayout) -> None:
        self.layout = layout
        self.doc = HwpxDocument.new()
        self._char_ids: dict[tuple[float, bool], str] = {}
        self._groups: dict[_Format, list[Any]] = defaultdict(list)
        fonts = layout.fonts
        self.doc.styles.ensure_font(fonts.body, subst_face=fonts.fallback, subst_type="TTF")

    def char(self, size: float, *, bold: bool = False) -> str:
        """The ``charPr`` id of the body font at this size and weight (one per pair)."""
        key = (size, bold)
        if key not in self._char_ids:
            font = self.layout.fonts.body
            self._char_ids[key] = self.doc.styles.ensure_run(font=font, size=size, bold=bold)
        return self._char_ids[key]

    def paragraph(self, text: str, size: float, fmt: _Format, *, bold: bool = False) -> None:
        paragraph = self.doc.add_paragraph(
            "", char_pr_id_ref=self.char(size, bold=bold), inherit_style=False
        )
        if text:
            paragraph.add_run(text, char_pr_id_ref=self.char(size, bold=bold))
        self._groups[fmt].append(paragraph)

    def apply_formats(self) -> None:
        """One ``paraPr`` per distinct format, shared by all its paragraphs.

        python-hwpx mints (or finds) the ``paraPr`` for the first paragraph of a group; the others
        take its id. Formatting every paragraph through the library would search the header
        once per paragraph, which is slow for drafts of thousands of lines.
        """
        for fmt, paragraphs in self._groups.items():
            border = None
            if fmt.border:
                border = {
                    "color": "#000000",
                    "width": _line_width(fmt.border),
                    "offset_mm": _mm(fmt.padding),
                }
            first, *others = paragraphs
            self.doc.styles.apply_paragraph_format(
                paragraphs=[first],
                alignment=fmt.alignment,
                line_spacing_percent=round(fmt.line_spacing * 100),
                indent_left_mm=_mm(fmt.left),
                first_line_indent_mm=_mm(fmt.intent),
                spacing_before_pt=fmt.before,
                spacing_after_pt=fmt.after,
                keep_with_next=fmt.keep_with_next,
                keep_lines=fmt.keep_lines,
                border=border,
            )
            for paragraph in others:
                paragraph.para_pr_id_ref = first.para_pr_id_ref

    def page(self) -> None:
        page = self.layout.page
        self.doc.page.set_size(
            width=_hwpunit(page.width_mm), height=_hwpunit(page.height_mm), orientation="PORTRAIT"
        )
        self.doc.page.set_margins(
            left=_hwpunit(page.left_mm),
            right=_hwpunit(page.right_mm),
            top=_hwpunit(page.top_mm),
            bottom=_hwpunit(page.bottom_mm),
            header=_hwpunit(page.header_mm),
            footer=_hwpunit(page.footer_mm),
            gutter=0,
        )

    def title(self) -> None:
        block = self.layout.title
        # The skeleton's first paragraph carries the section properties; the title joins it.
        first = self.doc.paragraphs[0]
        first.add_run(block.title, char_pr_id_ref=self.char(block.title_size, bold=True))
        title_format = _Format(
            alignment="CENTER",
            before=block.title_before,
            after=block.title_after,
            line_spacing=block.title_line_spacing,
            border=block.border,
            padding=block.padding,
        )
        self._groups[title_format].append(first)
        stamp_format = _Format(alignment="RIGHT", after=block.stamp_after)
        self.paragraph(block.stamp, block.stamp_size, stamp_format)

    def block(self, block: Paragraph | Blank | Table) -> None:
        spacing = self.layout.fonts.line_spacing
        if isinstance(block, Blank):
            self.paragraph("", block.size, _Format(line_spacing=spacing))
        elif isinstance(block, Table):
            self.table(block)
        else:
            fmt = _Format(
                left=block.start,
                intent=-block.hang,
                before=block.before,
                line_spacing=spacing,
                keep_with_next=block.keep_with_next,
            )
            self.paragraph(block.text, block.size, fmt, bold=block.bold)

    def table(self, block: Table) -> None:
        page = self.layout.page
        width = _hwpunit(page.width_mm - page.left_mm - page.right_mm)
        table = self.doc.add_table(len(block.rows), block.columns, width=width)
        table.element.set("repeatHeader", "1")
        header_paragraphs = []
        for row_index, row in enumerate(block.rows):
            for column, value in enumerate(row):
                cell = table.cell(row_index, column)
                if row_index == 0:
                    cell.element.set("header", "1")
                cell.text = value
                paragraph = cell.paragraphs[0]
                paragraph.char_pr_id_ref = self.char(block.size, bold=row_index == 0)
                if row_index == 0:
                    header_paragraphs.append(paragraph)
        self._groups[_Format(alignment="CENTER", line_spacing=1.0)].extend(header_paragraphs)

    def disclosure(self) -> None:
        block = self.layout.disclosure
        if block is None:
            return
        fmt = _Format(
            alignment="LEFT",
            before=block.before,
            line_spacing=block.line_spacing,
            keep_lines=True,
            border=block.border,
            padding=block.padding,
        )
        self.paragraph(block.text, block.size, fmt)

    def footer(self) -> None:
        footer = self.layout.footer
        story = self.doc.page.set_page_number(prefix=footer.prefix, suffix=footer.suffix)
        for paragraph in story.paragraphs:
            paragraph.char_pr_id_ref = self.char(footer.size)

    def properties(self) -> None:
        stamp = f"{self.layout.date.isoformat()}T00:00:00Z"
        parts = self.doc.parts
        parts.clear_document_metadata(keep=("title", "language"), timestamp=stamp)
        parts.set_document_metadata(
            title=self.layout.title.title,
            subject=self.layout.subject,
            created_date=stamp,
            modified_date=stamp,
        )
        parts.clear_preview()


class HwpxExportError(RuntimeError):
    """python-hwpx refused to write the file (its save-time check found a package 한글 might not
    open). The caller offers the DOCX instead of a broken file."""


def write_hwpx(layout: ReportLayout) -> bytes:
    """The HWPX file of a report layout.

    python-hwpx checks every package it saves (package structure and OWPML schema) and refuses
    to save one that fails; that refusal becomes :class:`HwpxExportError`.
    """
    try:
        writer = _Writer(layout)
        writer.page()
        writer.title()
        for block in layout.blocks:
            writer.block(block)
        writer.disclosure()
        writer.apply_formats()
        writer.footer()
        writer.properties()
        return writer.doc.to_bytes()
    except (HwpxError, HwpxPackageError) as exc:
        raise HwpxExportError(type(exc).__name__) from exc


def build_hwpx(meta: ExportMeta, segments: Sequence[Mapping[str, object]]) -> bytes:
    """Render the draft (the concatenated segment texts) as a government-style report."""
    return write_hwpx(describe(meta, segments))


# Reading back ------------------------------------------------------------------------------


def _section_names(archive: zipfile.ZipFile) -> list[str]:
    numbered = []
    for name in archive.namelist():
        match = _SECTION_PART.match(name)
        if match:
            numbered.append((int(match.group(1)), name))
    return [name for _, name in sorted(numbered)]


def _text_of(element: etree._Element) -> str:
    """The text of ``hp:t`` elements, with tabs and line breaks."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == f"{_HP}tab":
            parts.append("\t")
        elif child.tag == f"{_HP}lineBreak":
            parts.append("\n")
        parts.append(child.tail or "")
    return "".join(parts)


def _paragraph_text(paragraph: etree._Element) -> str:
    """The paragraph's own text: its runs' ``hp:t``, not text inside controls (the footer)."""
    return "".join(
        _text_of(text) for run in paragraph.findall(f"{_HP}run") for text in run.findall(f"{_HP}t")
    )


def _table_rows(table: etree._Element) -> list[str]:
    rows = []
    for row in table.findall(f"{_HP}tr"):
        cells = []
        for cell in row.findall(f"{_HP}tc"):
            paragraphs = cell.findall(f"{_HP}subList/{_HP}p")
            cells.append("\n".join(_paragraph_text(p) for p in paragraphs))
        rows.append(row_text(cells))
    return rows


def hwpx_lines(data: bytes) -> list[str]:
    """The body text of an HWPX file: one entry per paragraph, one per table row (``| a | b |``).

    Reads the section XML directly (not through python-hwpx), so the round trip does not trust
    the library that wrote the file to read it back.
    """
    lines: list[str] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in _section_names(archive):
            root = etree.fromstring(archive.read(name), _PARSER)
            for paragraph in root.findall(f"{_HP}p"):
                tables = [
                    child
                    for run in paragraph.findall(f"{_HP}run")
                    for child in run.findall(f"{_HP}tbl")
                ]
                if tables:
                    for table in tables:
                        lines.extend(_table_rows(table))
                else:
                    lines.append(_paragraph_text(paragraph))
    return lines


# Validation --------------------------------------------------------------------------------


def _structure_problems(data: bytes) -> list[str]:
    """Our own checks: the ZIP layout 한글 needs and that every id the body uses is defined."""
    problems: list[str] = []
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return ["not a ZIP archive"]
    with archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        if not infos or infos[0].filename != "mimetype":
            problems.append("mimetype is not the first entry")
        elif infos[0].compress_type != zipfile.ZIP_STORED:
            problems.append("mimetype is compressed")
        elif archive.read("mimetype") != MIMETYPE.encode():
            problems.append("mimetype is not application/hwp+zip")
        problems.extend(f"missing part {part}" for part in _REQUIRED_PARTS if part not in names)
        if problems:
            return problems
        parsed: dict[str, etree._Element] = {}
        for name in names:
            if name.endswith((".xml", ".hpf", ".rdf")):
                try:
                    parsed[name] = etree.fromstring(archive.read(name), _PARSER)
                except etree.XMLSyntaxError as exc:
                    problems.append(f"{name} is not well-formed XML: {exc}")
        manifest = archive.read("Contents/content.hpf").decode("utf-8")
        for section in _section_names(archive):
            if section not in manifest:
                problems.append(f"{section} is not listed in content.hpf")
        header = parsed.get("Contents/header.xml")
        if header is None:
            return problems
        defined = defaultdict(set)
        for kind in set(_HEADER_REFERENCES.values()):
            for element in header.iter(f"{_HH}{kind}"):
                defined[kind].add(element.get("id"))
        for section in _section_names(archive):
            root = parsed.get(section)
            if root is None:
                continue
            for element in root.iter():
                for attribute, kind in _HEADER_REFERENCES.items():
                    value = element.get(attribute)
                    if value is not None and value not in defined[kind]:
                        problems.append(f"{section}: {attribute}={value} is not defined")
    return problems


def validate_hwpx(data: bytes) -> list[str]:
    """Every problem found; an empty list means the package is valid.

    python-hwpx's package validation (errors, not advisory warnings), its OWPML schema check of
    the header and sections, and :func:`_structure_problems`.
    """
    problems = _structure_problems(data)
    if problems:
        return problems
    package = validate_package(data)
    problems.extend(str(issue) for issue in package.errors)
    schema = validate_document(data)
    problems.extend(str(issue) for issue in schema.issues)
    return problems
