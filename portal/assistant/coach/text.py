"""How the offline coach reads a document type and a draft.

A document type (``doctype``) is the plain dict synchronised from ``courses/_doctypes`` (see
courses/README.md). These helpers read its settings (structure, checklist, style, marker
hierarchy) and split a draft into numbered content lines, telling its title, the date and
author lines below it, bullets and section headings apart. Deterministic text processing
only: no model, no network, no database. They are shared by
:mod:`.checks` and :mod:`.replies`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_HIERARCHY = ("□", "○", "-")

GANADA = "가나다라마바사아자차카타파하"
_MARKER_ALIASES = {"○": ("○", "◦", "ㅇ"), "-": ("-", "–")}
# Anything that can open a line before its text: bullets, numbering, heading signs, brackets.
_PREFIX_RE = re.compile(
    r"^\s*(?:#{1,6}\s*)?(?:[□■○◦ㅇ●◆◇▶▷※*\-–·]\s+)?"
    rf"(?:[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]{{1,3}}\.|[IVX]{{1,4}}\.|\d{{1,2}}[.)]|\(\d{{1,2}}\)|[{GANADA}][.)]"
    rf"|\([{GANADA}]\))?\s*[\[【<「『]?\s*"
)
_CORE_TRAILING = " \t]】>」』:："
_BULLET_RE = re.compile(
    r"^\s*(?:[□■○◦ㅇ●◆◇▶▷※*\-–·]|[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]{1,3}\.|[IVX]{1,4}\.|\d{1,2}[.)]|\(\d{1,2}\)"
    rf"|[{GANADA}][.)]|\([{GANADA}]\))(?=\s|$)"
)

DATE_RE = re.compile(
    r"(?<![\d.])(\d{4})\s*(?:년|[.\-/])\s*(\d{1,2})\s*(?:월|[.\-/])\s*(\d{1,2})"
    r"(?:\s*일|\.(?!\d))?(?!\d)"
)
_META_START_RE = re.compile(r"^(?:작성|보고자|보고일|담당|부서|일시|장소)")


@dataclass(frozen=True)
class Line:
    number: int  # 1-based, as the editor shows it
    text: str


def raw_lines(text: str) -> list[Line]:
    # Not str.splitlines(): it splits on \x0b, \u2028 … too, so numbers would drift from the editor.
    parts = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [Line(i, t) for i, t in enumerate(parts, start=1)]


def content_lines(text: str) -> list[Line]:
    return [ln for ln in raw_lines(text) if ln.text.strip() and not _is_table_row(ln.text)]


def _is_table_row(text: str) -> bool:
    return text.lstrip().startswith("|") or "\t" in text.strip()


def normalised(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def style_of(doctype: dict[str, Any]) -> dict[str, Any]:
    style = doctype.get("style")
    return style if isinstance(style, dict) else {}


def language_of(doctype: dict[str, Any]) -> str:
    return str(style_of(doctype).get("language") or "ko")


def hierarchy_of(doctype: dict[str, Any]) -> tuple[str, ...]:
    markers = style_of(doctype).get("hierarchy")
    if not isinstance(markers, list):
        return ()
    return tuple(str(m).strip() for m in markers if str(m).strip())


def structure_of(doctype: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in doctype.get("structure") or [] if isinstance(s, dict) and s.get("title")]


def required_sections(doctype: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in structure_of(doctype) if s.get("required")]


def checklist_of(doctype: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in doctype.get("checklist") or [] if isinstance(c, dict)]


def section_keywords(section: dict[str, Any]) -> list[str]:
    words = [str(section.get("title") or ""), *(str(k) for k in section.get("keywords") or [])]
    return [w for w in dict.fromkeys(normalised(w) for w in words) if w]


def marker_pattern(marker: str) -> re.Pattern[str]:
    """A numbering template such as '1.', '가.', '(1)' matches any number or 가나다 letter."""
    alternatives = []
    for form in _MARKER_ALIASES.get(marker, (marker,)):
        body = re.escape(form)
        if re.search(r"\d", form):
            body = re.sub(r"\d+", r"\\d{1,2}", body)
        elif any(ch in GANADA for ch in form) and len(form) <= 3:
            body = re.sub(f"[{GANADA}]", f"[{GANADA}]", body)
        alternatives.append(body)
    return re.compile(r"^\s*(?:" + "|".join(alternatives) + r")(?=\s|$)")


def level_of(text: str, patterns: Sequence[re.Pattern[str]]) -> int | None:
    for level, pattern in enumerate(patterns):
        if pattern.match(text):
            return level
    return None


def core_text(text: str) -> str:
    """The line's words without its bullet, numbering or brackets."""
    match = _PREFIX_RE.match(text)
    start = match.end() if match else 0
    return text[start:].strip().rstrip(_CORE_TRAILING).strip()


def heading_core(doctype: dict[str, Any], line: Line) -> str:
    """The squeezed words of a line that may be a heading; '' for body lines.

    Lines under a lower-level marker (○, -, 가.) are body text, never headings.
    """
    markers = hierarchy_of(doctype)
    if markers and level_of(line.text, [marker_pattern(m) for m in markers[1:]]) is not None:
        return ""
    if not markers and re.match(r"^\s*[○◦ㅇ\-–·]\s", line.text):
        return ""
    return normalised(core_text(line.text))


def is_heading_for(section: dict[str, Any], core: str) -> bool:
    """A heading starts with the section's keyword, or is short (≤ 20 letters) and holds it."""
    return bool(core) and any(
        core.startswith(w) or (len(core) <= 20 and w in core) for w in section_keywords(section)
    )


def is_heading(doctype: dict[str, Any], line: Line) -> bool:
    core = heading_core(doctype, line)
    return any(is_heading_for(section, core) for section in structure_of(doctype))


def _starts_with_marker(doctype: dict[str, Any], text: str) -> bool:
    markers = hierarchy_of(doctype) or DEFAULT_HIERARCHY
    if level_of(text, [marker_pattern(m) for m in markers]) is not None:
        return True
    return _BULLET_RE.match(text) is not None


def _is_meta(text: str) -> bool:
    """A date, department or author line under the title (not content)."""
    stripped = text.strip()
    if len(stripped) > 40:
        return False
    if stripped[0] in "(<[【" and stripped[-1] in ")>]】":
        return True
    if _META_START_RE.match(stripped):
        return True
    rest = DATE_RE.sub("", stripped)
    return rest != stripped and len(normalised(rest)) <= 8


def without_title(doctype: dict[str, Any], lines: list[Line]) -> list[Line]:
    """Content lines without the document title (a short first line with no bullet).

    A first line that starts with a section keyword ("추진배경") is a heading, not a title.
    """
    if len(lines) < 2:
        return list(lines)
    first = lines[0].text.lstrip().lstrip("#")
    if len(first.strip()) > 40 or _starts_with_marker(doctype, first):
        return list(lines)
    core = normalised(core_text(first))
    if any(core.startswith(w) for s in structure_of(doctype) for w in section_keywords(s)):
        return list(lines)
    return list(lines[1:])


def body_lines(doctype: dict[str, Any], lines: list[Line]) -> list[Line]:
    """Content lines without the title and the date/author lines below it."""
    rest = without_title(doctype, lines)
    while rest and _is_meta(rest[0].text):
        rest = rest[1:]
    return rest


def numbered_marker(marker: str, index: int) -> str:
    if re.search(r"\d", marker):
        return re.sub(r"\d+", str(index + 1), marker)
    if any(ch in GANADA for ch in marker):
        return re.sub(f"[{GANADA}]", GANADA[index % len(GANADA)], marker)
    return marker


def is_official_letter(doctype: dict[str, Any]) -> bool:
    titles = {normalised(str(s["title"])) for s in structure_of(doctype)}
    return "공문" in str(doctype.get("name") or "") or {"수신", "제목"} <= titles
