"""Export a sandbox draft to DOCX in Korean government report style (보고서 양식, DESIGN.md §3.E).

``build_docx(meta, segments)`` returns the bytes of a ``.docx`` file. The module is pure: no
database, no request, no clock (the caller passes the Asia/Seoul date of the export).

Layout:

* A4 portrait; margins top 20 mm, bottom 15 mm, left and right 20 mm.
* The title centred, bold, 18 pt, inside a bordered box; below it a right-aligned line with the
  date in ``2026. 11. 27.`` notation and the department and author.
* Body font 휴먼명조, set on every run for ``w:ascii``/``w:hAnsi``/``w:cs`` *and* ``w:eastAsia``
  (python-docx's ``font.name`` sets only the first two, and Word picks the East Asian font for
  Hangul). Where 휴먼명조 is not installed the reader's word processor substitutes a font.
* Each line of the draft becomes one paragraph. Lines are classified by their first mark, after
  leading whitespace (which the paragraph indentation then replaces):

  ====================  =====  ======  ====================================
  mark                  level  size    notes
  ====================  =====  ======  ====================================
  □ ■                   0      15 pt   bold, kept with the next paragraph
  ○ ◦ "ㅇ "             1      15 pt
  "- " "– " "― " "− "   2      13 pt   a dash needs whitespace after it
  "· " "∙ "             3      13 pt
  ※ "* "                –      12 pt   one level deeper than the last item
  anything else         –      13 pt   kept exactly as typed, no indentation
  ====================  =====  ======  ====================================

  Marked lines get a hanging indent, so a wrapped line aligns with the text after the mark.
  Numbering such as ``1.``, ``가.`` or ``Ⅰ.`` stays literal text: python-docx never applies
  automatic numbering, so nothing is renumbered. Blank lines stay as empty paragraphs.
* The footer shows the page number as ``- 1 -`` through a ``PAGE`` field.
* The AI-use disclosure is the last paragraph: 10 pt in a thin box, with the share of
  unedited AI text appended when the caller knows it. A blank disclosure (and no share) is
  left out rather than drawn as an empty box.
* Core properties: title and subject (the document type) only. Author and "last modified by"
  stay empty, so the file carries no personal data beyond what is visible on the page; the
  python-docx template's comment is cleared, and created/modified are the export date.

Control characters that XML 1.0 forbids (``\\x00-\\x08``, ``\\x0b``, ``\\x0c``,
``\\x0e-\\x1f``) as well as lone surrogates and U+FFFE/U+FFFF are removed from every text, so a
pasted control character cannot make the file unreadable.
"""

from __future__ import annotations

import copy
import datetime
import functools
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Length, Mm, Pt
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from flask_babel import lazy_gettext as _l

__all__ = [
    "BODY_FONT",
    "ExportMeta",
    "build_docx",
    "clean_text",
    "date_notation",
    "download_filename",
]

BODY_FONT = "휴먼명조"

# Appended to the disclosure when the share is known; formatted with ``% {"percent": n}``.
# The offline coach is not an AI model, so its inserted text gets its own wording.
_SHARE_NOTE = _l("(AI가 작성한 뒤 수정하지 않은 분량: 전체의 약 %(percent)d%%)")
_COACH_SHARE_NOTE = _l("(연습 코치의 예시 문장을 수정 없이 넣은 분량: 전체의 약 %(percent)d%%)")

# Characters Windows and macOS refuse in file names; browsers swap them for "_".
# Separators become " - "; the rest are dropped.
_FILENAME_SEPARATORS = re.compile(r"\s*[\\/:|]+\s*")
_FILENAME_DROPPED = re.compile(r'[*?"<>\x00-\x1f\x7f]+')

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

_TITLE_SIZE = Pt(18)
_META_SIZE = Pt(13)
_FOOTER_SIZE = Pt(11)
_DISCLOSURE_SIZE = Pt(10)
_PLAIN_SIZE = Pt(13)
_NOTE_SIZE = Pt(12)
_LEVEL_STEP = 15.0  # points per hierarchy level: about one character of 15 pt text
_LINE_SPACING = 1.3  # close to the 160 % line spacing of a 한글 보고서 template

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


@dataclass(frozen=True)
class ExportMeta:
    """What the export shows besides the draft text."""

    title: str
    doc_type_name: str
    department: str
    author: str
    date: datetime.date
    ai_disclosure: str
    ai_share_percent: int | None = None
    helper_is_model: bool = True  # False when the text came from the offline coach


@dataclass(frozen=True)
class _Mark:
    """One hierarchy mark: its level (``None`` for notes), size, weight and hang in ems."""

    level: int | None
    size: Length
    bold: bool
    hang_em: float
    needs_space: bool


_HEADING = _Mark(level=0, size=Pt(15), bold=True, hang_em=1.5, needs_space=False)
_ITEM = _Mark(level=1, size=Pt(15), bold=False, hang_em=1.5, needs_space=False)
_ITEM_JAMO = _Mark(level=1, size=Pt(15), bold=False, hang_em=1.5, needs_space=True)
_DASH = _Mark(level=2, size=Pt(13), bold=False, hang_em=1.0, needs_space=True)
_DOT = _Mark(level=3, size=Pt(13), bold=False, hang_em=1.0, needs_space=True)
_NOTE = _Mark(level=None, size=_NOTE_SIZE, bold=False, hang_em=1.5, needs_space=False)
_NOTE_STAR = _Mark(level=None, size=_NOTE_SIZE, bold=False, hang_em=1.0, needs_space=True)

_MARKS: dict[str, _Mark] = {
    "□": _HEADING,
    "■": _HEADING,
    "○": _ITEM,
    "◦": _ITEM,
    "ㅇ": _ITEM_JAMO,
    "-": _DASH,
    "–": _DASH,
    "―": _DASH,
    "−": _DASH,
    "·": _DOT,
    "∙": _DOT,
    "※": _NOTE,
    "*": _NOTE_STAR,
}
_MAX_LEVEL = 3


def clean_text(text: str) -> str:
    """Remove the characters XML 1.0 cannot hold; keep tab, line feed and carriage return."""
    return _ILLEGAL_XML.sub("", text)


def date_notation(day: datetime.date) -> str:
    """The 공문서 date notation: ``2026. 11. 27.`` (no leading zeros)."""
    return f"{day.year}. {day.month}. {day.day}."


def _draft_text(segments: Sequence[Mapping[str, object]]) -> str:
    """The draft as one string. The ``ai`` flag of each segment is deliberately ignored.

    AI-inserted text is *not* highlighted in the export: the exported file is the finished
    document that goes to readers, and the disclosure paragraph states the AI use (and the
    unedited share) for the whole document instead of colouring parts of it.
    """
    parts: list[str] = []
    for index, segment in enumerate(segments):
        text = segment.get("text", "")
        if not isinstance(text, str):
            raise TypeError(f"segment {index}: text must be a string")
        parts.append(text)
    joined = "".join(parts).replace("\r\n", "\n").replace("\r", "\n")
    return clean_text(joined)


def _classify(line: str) -> tuple[_Mark | None, str]:
    """The mark of a line (or ``None`` for a plain line) and the text to print."""
    stripped = line.strip()
    if not stripped:
        return None, ""
    mark = _MARKS.get(stripped[0])
    if mark is None:
        return None, line.rstrip()
    if mark.needs_space and not (len(stripped) > 1 and stripped[1].isspace()):
        return None, line.rstrip()
    return mark, stripped


@functools.cache
def _run_properties_prototype(half_points: int, bold: bool) -> BaseOxmlElement:
    """``w:rPr`` naming the body font for every script (``w:eastAsia`` included), size, weight.

    Built once per size and weight and copied into each run: python-docx's per-property
    setters search the children on every call, which is slow for drafts of thousands of lines.
    """
    properties = OxmlElement("w:rPr")
    fonts = OxmlElement("w:rFonts")
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), BODY_FONT)
    properties.append(fonts)
    if bold:
        properties.append(OxmlElement("w:b"))
    for tag in ("w:sz", "w:szCs"):
        properties.append(OxmlElement(tag, {qn("w:val"): str(half_points)}))
    return properties


def _add_run(paragraph: Paragraph, size: Length, *, bold: bool = False, text: str = "") -> Run:
    """Append a run in the body font with the given size and weight (and text, if any)."""
    element = OxmlElement("w:r")
    element.append(copy.deepcopy(_run_properties_prototype(round(size.pt * 2), bold)))
    for index, piece in enumerate(text.split("\t")):
        if index:
            element.append(OxmlElement("w:tab"))
        if piece:
            text_element = OxmlElement("w:t", {qn("xml:space"): "preserve"})
            text_element.text = piece
            element.append(text_element)
    paragraph._p.append(element)
    return Run(element, paragraph)


def _add_borders(paragraph: Paragraph, *, size_eighths: int, space_pt: int) -> None:
    """Draw a single-line box around a paragraph (w:pBdr)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    for side in _BORDER_SIDES:
        border = OxmlElement(f"w:{side}")
        border.set(qn("w:val"), "single")
        border.set(qn("w:sz"), str(size_eighths))
        border.set(qn("w:space"), str(space_pt))
        border.set(qn("w:color"), "000000")
        borders.append(border)
    ppr.insert_element_before(borders, *_PBDR_SUCCESSORS)


def _add_page_field(paragraph: Paragraph) -> None:
    """Append a PAGE field (begin, instruction, separator, cached result, end) as runs."""

    def field_char(kind: str) -> None:
        run = _add_run(paragraph, _FOOTER_SIZE)
        char = OxmlElement("w:fldChar")
        char.set(qn("w:fldCharType"), kind)
        run._r.append(char)

    field_char("begin")
    instruction_run = _add_run(paragraph, _FOOTER_SIZE)
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = " PAGE "
    instruction_run._r.append(instruction)
    field_char("separate")
    _add_run(paragraph, _FOOTER_SIZE, text="1")
    field_char("end")


def _set_document_defaults(document: DocxDocument) -> None:
    """Explicit body font, Korean language and tight spacing as the document's defaults."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    # Theme attributes would override the explicit font names, so they go.
    for attribute in list(fonts.attrib):
        del fonts.attrib[attribute]
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), BODY_FONT)
    for size_tag in ("w:sz", "w:szCs"):
        rpr.find(qn(size_tag)).set(qn("w:val"), str(int(_PLAIN_SIZE.pt * 2)))
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "ko-KR")
    lang.set(qn("w:eastAsia"), "ko-KR")

    normal = document.styles["Normal"].paragraph_format
    normal.space_before = Pt(0)
    normal.space_after = Pt(0)
    normal.line_spacing = _LINE_SPACING


def _set_page(document: DocxDocument) -> None:
    """A4 portrait with the report margins."""
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width = Mm(210)
    section.page_height = Mm(297)
    section.top_margin = Mm(20)
    section.bottom_margin = Mm(15)
    section.left_margin = Mm(20)
    section.right_margin = Mm(20)
    section.header_distance = Mm(10)
    section.footer_distance = Mm(7)
    section.gutter = Mm(0)


def _set_core_properties(document: DocxDocument, meta: ExportMeta) -> None:
    """Title and subject only; nothing personal."""
    props = document.core_properties
    props.title = _one_line(meta.title)
    props.subject = _one_line(meta.doc_type_name)
    props.author = ""
    props.comments = ""
    props.keywords = ""
    props.category = ""
    props.revision = 1
    stamp = datetime.datetime.combine(meta.date, datetime.time(0, 0))
    props.created = stamp
    props.modified = stamp
    core = props._element
    for tag in ("cp:lastModifiedBy", "cp:lastPrinted"):
        element = core.find(qn(tag))
        if element is not None:
            core.remove(element)


def _one_line(text: str) -> str:
    """Clean text and fold every run of whitespace (newlines included) into one space."""
    return " ".join(clean_text(text).split())


class _Body:
    """Appends paragraphs to the document body in constant time.

    ``Document.add_paragraph`` searches the whole body for the final ``w:sectPr`` on every
    call, which makes long drafts quadratic; here the anchor is looked up once.
    """

    def __init__(self, document: DocxDocument) -> None:
        self._container = document._body
        self._anchor = document.element.body.get_or_add_sectPr()

    def paragraph(self, properties: BaseOxmlElement | None = None) -> Paragraph:
        """A new last paragraph, with a copy of ``properties`` as its ``w:pPr`` if given."""
        element = OxmlElement("w:p")
        if properties is not None:
            element.append(copy.deepcopy(properties))
        self._anchor.addprevious(element)
        return Paragraph(element, self._container)


def _add_title(body: _Body, meta: ExportMeta) -> None:
    title = body.paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_before = Pt(6)
    title.paragraph_format.space_after = Pt(12)
    title.paragraph_format.line_spacing = 1.15
    _add_borders(title, size_eighths=12, space_pt=6)
    _add_run(title, _TITLE_SIZE, bold=True, text=_one_line(meta.title))

    byline = " ".join(part for part in (_one_line(meta.department), _one_line(meta.author)) if part)
    line = date_notation(meta.date) + (f"  {byline}" if byline else "")
    stamp = body.paragraph()
    stamp.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    stamp.paragraph_format.space_after = Pt(18)
    _add_run(stamp, _META_SIZE, text=line)


def _body_paragraph_properties(mark: _Mark | None, level: int) -> BaseOxmlElement:
    """The ``w:pPr`` of a draft line: justified; marked lines get their hierarchy indent."""
    if mark is None:
        return _paragraph_properties_prototype(0, 0, 0, False)
    hang = mark.size.pt * mark.hang_em
    left = level * _LEVEL_STEP + hang
    before = 6 if mark is _HEADING else 3 if mark.level == 1 else 0
    return _paragraph_properties_prototype(
        round(left * 20), round(hang * 20), before * 20, mark is _HEADING
    )


@functools.cache
def _paragraph_properties_prototype(
    left_twips: int, hanging_twips: int, before_twips: int, keep_next: bool
) -> BaseOxmlElement:
    """A justified ``w:pPr`` (children in schema order), built once and copied per line."""
    properties = OxmlElement("w:pPr")
    if keep_next:  # a □ heading never ends a page alone
        properties.append(OxmlElement("w:keepNext"))
    if before_twips:
        properties.append(OxmlElement("w:spacing", {qn("w:before"): str(before_twips)}))
    if left_twips or hanging_twips:
        indent = {qn("w:left"): str(left_twips), qn("w:hanging"): str(hanging_twips)}
        properties.append(OxmlElement("w:ind", indent))
    properties.append(OxmlElement("w:jc", {qn("w:val"): "both"}))
    return properties


def _add_body(body: _Body, text: str) -> None:
    """One paragraph per line of the draft; blank lines stay as empty paragraphs."""
    if not text:
        return
    last_level = 0
    for raw in text.split("\n"):
        mark, shown = _classify(raw)
        if not shown:
            body.paragraph()
            continue
        level = 0
        if mark is not None and mark.level is None:
            level = min(last_level + 1, _MAX_LEVEL)
        elif mark is not None and mark.level is not None:
            level = last_level = mark.level
        paragraph = body.paragraph(_body_paragraph_properties(mark, level))
        if mark is None:
            _add_run(paragraph, _PLAIN_SIZE, text=shown)
        else:
            _add_run(paragraph, mark.size, bold=mark.bold, text=shown)


def download_filename(title: str, *, limit: int = 60) -> str:
    """A file name for the title that browsers keep as is ("기획보고서 - 2027년 … 계획.docx").

    A colon and the other characters that file systems refuse would otherwise be swapped
    for "_" by the browser, leaving names like "기획보고서_ 2027년".
    """
    name = _FILENAME_DROPPED.sub(" ", title)
    name = _FILENAME_SEPARATORS.sub(" - ", name)
    name = " ".join(name.split()).strip(" -.")
    return (name[:limit].rstrip(" -.") or "draft") + ".docx"


def _disclosure_text(meta: ExportMeta) -> str:
    text = _one_line(meta.ai_disclosure)
    percent = meta.ai_share_percent
    if percent is not None:
        if isinstance(percent, bool) or not 0 <= percent <= 100:
            raise ValueError("ai_share_percent must be an integer from 0 to 100")
        template = _SHARE_NOTE if meta.helper_is_model else _COACH_SHARE_NOTE
        note = str(template) % {"percent": percent}
        text = f"{text} {note}" if text else note
    return text


def _add_disclosure(body: _Body, meta: ExportMeta) -> None:
    text = _disclosure_text(meta)
    if not text:
        return
    paragraph = body.paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
    fmt = paragraph.paragraph_format
    fmt.space_before = Pt(18)
    fmt.line_spacing = 1.15
    fmt.keep_together = True
    _add_borders(paragraph, size_eighths=4, space_pt=4)
    _add_run(paragraph, _DISCLOSURE_SIZE, text=text)


def _add_footer(document: DocxDocument) -> None:
    footer = document.sections[0].footer
    paragraph = footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _add_run(paragraph, _FOOTER_SIZE, text="- ")
    _add_page_field(paragraph)
    _add_run(paragraph, _FOOTER_SIZE, text=" -")


def build_docx(meta: ExportMeta, segments: Sequence[Mapping[str, object]]) -> bytes:
    """Render the draft (the concatenated segment texts) as a government-style report."""
    text = _draft_text(segments)
    document = Document()
    _set_document_defaults(document)
    _set_page(document)
    _set_core_properties(document, meta)
    body = _Body(document)
    _add_title(body, meta)
    _add_body(body, text)
    _add_disclosure(body, meta)
    _add_footer(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
