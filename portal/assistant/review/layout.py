"""One description of an exported draft, shared by the DOCX and the HWPX writers.

``describe(meta, segments)`` turns a sandbox draft into a :class:`ReportLayout`: the page, the
fonts, the title block, the body blocks (paragraphs with their □/○/- level and indents, blank
lines, tables), the page-number footer and the AI-use note. ``export.write_docx`` and
``hwpx.write_hwpx`` only translate that description into their file format, so every layout
decision is made once, here, and the two exports cannot drift apart.

The module is pure: no database, no request, no clock (the caller passes the Asia/Seoul date).

Layout (보고서 양식, DESIGN.md §3.E):

* A4 portrait; margins top 20 mm, bottom 15 mm, left and right 20 mm.
* The title centred, bold, 18 pt, inside a bordered box; below it a right-aligned line with the
  date in ``2026. 11. 27.`` notation and the department and author.
* Body font 휴먼명조 (as 한글 names it), with 바탕 as the fallback a reader without 휴먼명조
  gets (HWPX declares it as the substitute font; Word substitutes on its own).
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
  Numbering such as ``1.``, ``가.`` or ``Ⅰ.`` stays literal text (never automatic numbering).
  Blank lines stay as empty paragraphs.
* Tables: the exercises' source material gives its figures as Markdown tables, and a draft that
  copies one (a ``| … |`` header row, a ``|---|`` separator row, then ``| … |`` rows) gets a real
  table with a bold header row instead of lines of pipes. Lines of pipes without the separator
  row stay text as typed.
* The footer shows the page number as ``- 1 -``.
* The AI-use disclosure is the last paragraph: 10 pt in a thin box, with the share of unedited
  AI text appended when the caller knows it. A blank disclosure (and no share) is left out.
* Document properties: title and subject (the document type) only, dated with the export date;
  no author, so the file carries no personal data beyond what is visible on the page.

Control characters that XML 1.0 forbids are removed from every text, so a pasted control
character cannot make a file unreadable.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

__all__ = [
    "BODY_FONT",
    "FALLBACK_FONT",
    "Blank",
    "Block",
    "Disclosure",
    "ExportMeta",
    "Fonts",
    "Footer",
    "Page",
    "Paragraph",
    "ReportLayout",
    "Table",
    "TitleBlock",
    "clean_text",
    "date_notation",
    "describe",
    "draft_text",
    "reading_lines",
]

BODY_FONT = "휴먼명조"
FALLBACK_FONT = "바탕"

# Appended to the disclosure when the share is known; formatted with ``% {"percent": n}``.
# The offline coach is not an AI model, so its inserted text gets its own wording.
_SHARE_NOTE = _l("(AI가 작성한 뒤 수정하지 않은 분량: 전체의 약 %(percent)d%%)")
_COACH_SHARE_NOTE = _l("(연습 코치의 예시 문장을 수정 없이 넣은 분량: 전체의 약 %(percent)d%%)")

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A Markdown table's separator cell: dashes with optional alignment colons.
_SEPARATOR_CELL = re.compile(r"^:?-{1,}:?$")

_LEVEL_STEP = 15.0  # points per hierarchy level: about one character of 15 pt text
_MAX_LEVEL = 3


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
class Page:
    """A4 portrait and the report margins, in millimetres."""

    width_mm: float = 210
    height_mm: float = 297
    top_mm: float = 20
    bottom_mm: float = 15
    left_mm: float = 20
    right_mm: float = 20
    header_mm: float = 10
    footer_mm: float = 7


@dataclass(frozen=True)
class Fonts:
    """The body font as 한글 names it and the font a reader without it gets instead."""

    body: str = BODY_FONT
    fallback: str = FALLBACK_FONT
    language: str = "ko-KR"
    size: float = 13  # the default (plain line) size
    line_spacing: float = 1.3  # close to the 160 % line spacing of a 한글 보고서 template


@dataclass(frozen=True)
class TitleBlock:
    title: str
    stamp: str  # "2026. 11. 27.  기획예산과 홍길동 주무관"
    title_size: float = 18
    stamp_size: float = 13
    title_before: float = 6
    title_after: float = 12
    stamp_after: float = 18
    title_line_spacing: float = 1.15
    border: float = 1.5  # the box around the title: line width and padding, in points
    padding: float = 6


@dataclass(frozen=True)
class Paragraph:
    """One line of the draft.

    ``start`` is where the line (its mark) starts and ``hang`` how far the wrapped lines sit to
    the right of that, both in points from the left margin: the text after the mark lines up
    with the wrapped lines. ``kind`` is ``heading`` (□), ``item`` (○), ``sub`` (- and ·),
    ``note`` (※ and *) or ``plain``.
    """

    text: str
    kind: str
    size: float
    bold: bool = False
    start: float = 0
    hang: float = 0
    before: float = 0
    keep_with_next: bool = False


@dataclass(frozen=True)
class Blank:
    """An empty line of the draft, kept as an empty paragraph."""

    size: float = 13


@dataclass(frozen=True)
class Table:
    """A Markdown table of the draft: the first row is the header row (bold)."""

    rows: tuple[tuple[str, ...], ...]
    size: float = 12

    @property
    def columns(self) -> int:
        return max(len(row) for row in self.rows)


Block = Paragraph | Blank | Table


@dataclass(frozen=True)
class Footer:
    prefix: str = "- "
    suffix: str = " -"
    size: float = 11


@dataclass(frozen=True)
class Disclosure:
    text: str
    size: float = 10
    before: float = 18
    line_spacing: float = 1.15
    border: float = 0.5  # a thin box
    padding: float = 4


@dataclass(frozen=True)
class ReportLayout:
    """Everything a writer needs; the writers add no layout decision of their own."""

    title: TitleBlock
    blocks: tuple[Block, ...]
    disclosure: Disclosure | None
    subject: str  # the document type, for the file's properties
    date: datetime.date
    page: Page = Page()
    fonts: Fonts = Fonts()
    footer: Footer = Footer()


@dataclass(frozen=True)
class _Mark:
    """One hierarchy mark: its level (``None`` for notes), size, weight and hang in ems."""

    kind: str
    level: int | None
    size: float
    bold: bool
    hang_em: float
    needs_space: bool
    before: float = 0


_HEADING = _Mark("heading", 0, 15, True, 1.5, False, before=6)
_ITEM = _Mark("item", 1, 15, False, 1.5, False, before=3)
_ITEM_JAMO = _Mark("item", 1, 15, False, 1.5, True, before=3)
_DASH = _Mark("sub", 2, 13, False, 1.0, True)
_DOT = _Mark("sub", 3, 13, False, 1.0, True)
_NOTE = _Mark("note", None, 12, False, 1.5, False)
_NOTE_STAR = _Mark("note", None, 12, False, 1.0, True)
_PLAIN_SIZE = 13.0

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


def clean_text(text: str) -> str:
    """Remove the characters XML 1.0 cannot hold; keep tab, line feed and carriage return."""
    return _ILLEGAL_XML.sub("", text)


def date_notation(day: datetime.date) -> str:
    """The 공문서 date notation: ``2026. 11. 27.`` (no leading zeros)."""
    return f"{day.year}. {day.month}. {day.day}."


def one_line(text: str) -> str:
    """Clean text and fold every run of whitespace (newlines included) into one space."""
    return " ".join(clean_text(text).split())


def draft_text(segments: Sequence[Mapping[str, object]]) -> str:
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


def _table_cells(line: str) -> list[str] | None:
    """The cells of a ``| a | b |`` line, or ``None`` when the line is not a table row."""
    stripped = line.strip()
    if len(stripped) < 2 or not (stripped.startswith("|") and stripped.endswith("|")):
        return None
    return [" ".join(cell.split()) for cell in stripped[1:-1].split("|")]


def _is_separator(cells: list[str] | None) -> bool:
    return bool(cells) and all(_SEPARATOR_CELL.match(cell.replace(" ", "")) for cell in cells)


def _table_at(lines: list[str], start: int) -> tuple[Table, int] | None:
    """A Markdown table starting at ``lines[start]`` and the index after it, if there is one."""
    header = _table_cells(lines[start])
    if header is None or _is_separator(header) or start + 1 >= len(lines):
        return None
    if not _is_separator(_table_cells(lines[start + 1])):
        return None
    rows = [tuple(header)]
    index = start + 2
    while index < len(lines):
        cells = _table_cells(lines[index])
        if cells is None:
            break
        rows.append(tuple(cells))
        index += 1
    width = max(len(row) for row in rows)
    padded = tuple(row + ("",) * (width - len(row)) for row in rows)
    return Table(rows=padded), index


def _paragraph(mark: _Mark | None, shown: str, last_level: int) -> tuple[Paragraph, int]:
    if mark is None:
        return Paragraph(text=shown, kind="plain", size=_PLAIN_SIZE), last_level
    if mark.level is None:
        level = min(last_level + 1, _MAX_LEVEL)
    else:
        level = last_level = mark.level
    paragraph = Paragraph(
        text=shown,
        kind=mark.kind,
        size=mark.size,
        bold=mark.bold,
        start=level * _LEVEL_STEP,
        hang=mark.size * mark.hang_em,
        before=mark.before,
        keep_with_next=mark is _HEADING,  # a □ heading never ends a page alone
    )
    return paragraph, last_level


def _blocks(text: str) -> tuple[Block, ...]:
    """One block per line of the draft, a table for each Markdown table."""
    if not text:
        return ()
    lines = text.split("\n")
    blocks: list[Block] = []
    last_level = 0
    index = 0
    while index < len(lines):
        table = _table_at(lines, index)
        if table is not None:
            blocks.append(table[0])
            index = table[1]
            continue
        mark, shown = _classify(lines[index])
        index += 1
        if not shown:
            blocks.append(Blank())
            continue
        paragraph, last_level = _paragraph(mark, shown, last_level)
        blocks.append(paragraph)
    return tuple(blocks)


def _disclosure_text(meta: ExportMeta) -> str:
    text = one_line(meta.ai_disclosure)
    percent = meta.ai_share_percent
    if percent is not None:
        if isinstance(percent, bool) or not 0 <= percent <= 100:
            raise ValueError("ai_share_percent must be an integer from 0 to 100")
        template = _SHARE_NOTE if meta.helper_is_model else _COACH_SHARE_NOTE
        note = str(template) % {"percent": percent}
        text = f"{text} {note}" if text else note
    return text


def describe(meta: ExportMeta, segments: Sequence[Mapping[str, object]]) -> ReportLayout:
    """The layout of the draft (the concatenated segment texts) as a government-style report."""
    byline = " ".join(part for part in (one_line(meta.department), one_line(meta.author)) if part)
    stamp = date_notation(meta.date) + (f"  {byline}" if byline else "")
    disclosure = _disclosure_text(meta)
    return ReportLayout(
        title=TitleBlock(title=one_line(meta.title), stamp=stamp),
        blocks=_blocks(draft_text(segments)),
        disclosure=Disclosure(disclosure) if disclosure else None,
        subject=one_line(meta.doc_type_name),
        date=meta.date,
    )


def row_text(row: Sequence[str]) -> str:
    """A table row as a reader copies it out: ``| a | b |``."""
    return "| " + " | ".join(row) + " |"


def reading_lines(layout: ReportLayout) -> list[str]:
    """The text of the document, one entry per paragraph (a table row per entry), in order.

    What a text extractor should read back from either file: the round-trip tests compare
    it with what they extract.
    """
    lines = [layout.title.title, layout.title.stamp]
    for block in layout.blocks:
        if isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, Blank):
            lines.append("")
        else:
            lines.extend(row_text(row) for row in block.rows)
    if layout.disclosure is not None:
        lines.append(layout.disclosure.text)
    return lines
