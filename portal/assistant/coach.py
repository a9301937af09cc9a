"""The offline practice coach: outlines, draft checks and computed rubric feedback.

With no model backend configured (the default) the sandbox answers through :func:`respond`.
Everything here is deterministic text processing: no model, no network, no database. The
coach never pretends to be a model and never scores what it cannot compute.

A document type (``dt``) and an exercise (``ex``) are the plain dicts synchronised from
``courses/_doctypes`` and ``courses/<course>/exercises`` (see courses/README.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

COACH_LABEL = _l("[연습 코치 · AI 모델 아님]")

# The checks the coach can compute, in the order they are reported.
CHECK_IDS = ("sections", "headline", "hierarchy", "gaejosik", "sentence-length", "units", "dates")

CHECK_LABELS = {
    "sections": _l("필수 항목"),
    "headline": _l("두괄식"),
    "hierarchy": _l("기호 순서"),
    "gaejosik": _l("개조식"),
    "sentence-length": _l("문장 길이"),
    "units": _l("숫자 단위"),
    "dates": _l("날짜 표기"),
}

DEFAULT_HIERARCHY = ("□", "○", "-")
DEFAULT_MAX_SENTENCE_CHARS = 80
# 날짜는 연·월·일 글자를 생략하고 온점을 찍는다: 행정업무의 운영 및 혁신에 관한 규정 시행규칙 제2조.
DEFAULT_DATE_STYLE = "2026. 11. 27."
QUOTE_CHARS = 30
HEADLINE_WINDOW = 3
# Words that show a line states the conclusion or purpose (두괄식 heuristic, see _check_headline).
HEADLINE_WORDS = ("건의", "결론", "요약", "목적", "추진", "하고자", "요청")

_GANADA = "가나다라마바사아자차카타파하"
_MARKER_ALIASES = {"○": ("○", "◦", "ㅇ"), "-": ("-", "–")}
# Anything that can open a line before its text: bullets, numbering, heading signs, brackets.
_PREFIX_RE = re.compile(
    r"^\s*(?:#{1,6}\s*)?(?:[□■○◦ㅇ●◆◇▶▷※*\-–·]\s+)?"
    rf"(?:[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]{{1,3}}\.|[IVX]{{1,4}}\.|\d{{1,2}}[.)]|\(\d{{1,2}}\)|[{_GANADA}][.)]"
    rf"|\([{_GANADA}]\))?\s*[\[【<「『]?\s*"
)
_CORE_TRAILING = " \t]】>」』:："
_BULLET_RE = re.compile(
    r"^\s*(?:[□■○◦ㅇ●◆◇▶▷※*\-–·]|[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]{1,3}\.|[IVX]{1,4}\.|\d{1,2}[.)]|\(\d{1,2}\)"
    rf"|[{_GANADA}][.)]|\([{_GANADA}]\))(?=\s|$)"
)
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[^\d\s][.!?])\s+")
_TRAILING_PUNCT = " \t.!?~…\"'”’」』)]>"
# Narrative (서술형) endings that do not belong in 개조식 lines. "~필요", "~예정", "~최다" stay legal.
_NARRATIVE_END_RE = re.compile(
    r"(?:니다|[한된했됐였었았겠있없같]다|이다|해요|어요|아요|세요|예요|에요|까요|네요|지요)$"
)

_DATE_RE = re.compile(
    r"(?<![\d.])(\d{4})\s*(?:년|[.\-/])\s*(\d{1,2})\s*(?:월|[.\-/])\s*(\d{1,2})"
    r"(?:\s*일|\.(?!\d))?(?!\d)"
)
_DATE_STYLE_RE = re.compile(r"(\D*)(\d{4})(\D+)(\d{1,2})(\D+)(\d{1,2})(\D*)")

# Spans that hold digits but are not quantities: dates and date ranges, times, document
# numbers, codes and phone numbers (also when masked by the guard), list numbers, and
# ordinals such as 제3조.
_NOT_QUANTITY_RES = (
    _DATE_RE,
    re.compile(r"(?<!\d)\d{4}\s*\.\s*\d{1,2}\s*\.(?!\s*\d)"),
    re.compile(r"['’‘]\d{2}\s*\.\s*\d{1,2}\s*\.?"),
    re.compile(r"(?<![\d.])(?:1[0-2]|0?[1-9])\s*\.\s*(?:3[01]|[12]\d|0?[1-9])\s*\.(?!\d)"),
    re.compile(r"[~∼～]\s*\d{1,2}\s*\.(?!\d)"),  # the end of a date range: 12. 15.~17.
    re.compile(r"\d{1,2}:\d{2}(?::\d{2})?"),
    re.compile(r"[가-힣]+-\d+"),  # a document number: 인사과-2140
    re.compile(r"[\d*]+(?:-[\d*]+)+"),
    re.compile(r"\S*\*\S*"),
    re.compile(r"^\s*(?:[□■○◦ㅇ\-–·]\s*)?\(?\d{1,2}[.)](?=\s)"),
    re.compile(r"제\s*\d[\d,]*"),
)
_NUMBER_RE = re.compile(
    r"(?<![\d.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
    r"(?:\s*[~∼～]\s*(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)?(?:\s*여)?"
)
# Korean counters and units, space-separated; the longer ones first so that 개월 wins over 개.
_KOREAN_UNITS = (
    "개월 개소 개국 가구 세대 시간 주년 달러 유로 퍼센트 포인트 리터 미터 킬로 센티 밀리 "
    "헥타르 제곱 마리 그루 학급 기관 단계 명 개 건 원 곳 회 차 번 배 세 살 인 대 권 장 쪽 "
    "면 부 종 편 점 위 등 호 층 동 평 톤 년 월 일 시 분 초 주 만 억 천 백 조 엔 팀 기 단 박 항 석"
)
_UNIT_WORD = "(?:" + "|".join(_KOREAN_UNITS.split()) + ")"
_UNIT_SYMBOL = "(?:%|％|‰|℃|°|㎡|㎢|㎞|㎏|㎎|㎖|ℓ|㎜|㎝|㎥)"
# After a space a one-syllable unit must stand alone or take a particle: "150 명이" is a
# unit, "30 대비" is not.
_PARTICLES = (
    "이상|이하|미만|초과|내외|가량|정도|까지|부터|에서|이며|이고|으로|이|가|을|를|은|는|의|에|로|"
    "과|와|씩|당|간|째|도"
)
_UNIT_ADJACENT_RE = re.compile(rf"(?:{_UNIT_SYMBOL}|{_UNIT_WORD}|[A-Za-zµ])")
_UNIT_SPACED_RE = re.compile(
    rf"\s+(?:{_UNIT_SYMBOL}|{_UNIT_WORD}(?=$|[^가-힣]|(?:{_PARTICLES})(?:$|[^가-힣])))"
)
_UNIT_BLOCK_RE = re.compile(r"단위\s*[:：]")
_CURRENCY = "$₩￦€£¥"
_META_START_RE = re.compile(r"^(?:작성|보고자|보고일|담당|부서|일시|장소)")


@dataclass(frozen=True)
class CheckResult:
    """One computable check of a draft, with a plain Korean explanation."""

    id: str
    passed: bool
    message: str
    lines: tuple[int, ...] = ()


@dataclass(frozen=True)
class _Line:
    number: int  # 1-based, as the editor shows it
    text: str


@dataclass(frozen=True)
class _Outcome:
    result: CheckResult
    ratio: float  # share of the criterion met, 0..1; drives computed rubric scores


# --- small helpers -------------------------------------------------------------------------


def _raw_lines(text: str) -> list[_Line]:
    # Not str.splitlines(): it splits on \x0b, \u2028 … too, so numbers would drift from the editor.
    parts = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [_Line(i, t) for i, t in enumerate(parts, start=1)]


def _content_lines(text: str) -> list[_Line]:
    return [ln for ln in _raw_lines(text) if ln.text.strip() and not _is_table_row(ln.text)]


def _is_table_row(text: str) -> bool:
    return text.lstrip().startswith("|") or "\t" in text.strip()


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def _quote(text: str, *, tail: bool = False) -> str:
    flat = " ".join(text.split())
    if len(flat) <= QUOTE_CHARS:
        return flat
    return "…" + flat[-(QUOTE_CHARS - 1) :] if tail else flat[: QUOTE_CHARS - 1] + "…"


def _where(items: Sequence[tuple[int, str]], limit: int = 3) -> str:
    """'3번째 줄 '…', 7번째 줄 '…' 외 2곳' for the first few offending places."""
    shown = ", ".join(
        _("%(line)d번째 줄 '%(quote)s'", line=number, quote=quote)
        for number, quote in items[:limit]
    )
    if len(items) > limit:
        shown += _(" 외 %(count)d곳", count=len(items) - limit)
    return shown


def _style(dt: dict[str, Any]) -> dict[str, Any]:
    style = dt.get("style")
    return style if isinstance(style, dict) else {}


def _language(dt: dict[str, Any]) -> str:
    return str(_style(dt).get("language") or "ko")


def _hierarchy(dt: dict[str, Any]) -> tuple[str, ...]:
    markers = _style(dt).get("hierarchy")
    if not isinstance(markers, list):
        return ()
    return tuple(str(m).strip() for m in markers if str(m).strip())


def _structure(dt: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in dt.get("structure") or [] if isinstance(s, dict) and s.get("title")]


def _required_sections(dt: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in _structure(dt) if s.get("required")]


def _checklist(dt: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in dt.get("checklist") or [] if isinstance(c, dict)]


def _section_keywords(section: dict[str, Any]) -> list[str]:
    words = [str(section.get("title") or ""), *(str(k) for k in section.get("keywords") or [])]
    return [w for w in dict.fromkeys(_norm(w) for w in words) if w]


def _marker_pattern(marker: str) -> re.Pattern[str]:
    """A numbering template such as '1.', '가.', '(1)' matches any number or 가나다 letter."""
    alternatives = []
    for form in _MARKER_ALIASES.get(marker, (marker,)):
        body = re.escape(form)
        if re.search(r"\d", form):
            body = re.sub(r"\d+", r"\\d{1,2}", body)
        elif any(ch in _GANADA for ch in form) and len(form) <= 3:
            body = re.sub(f"[{_GANADA}]", f"[{_GANADA}]", body)
        alternatives.append(body)
    return re.compile(r"^\s*(?:" + "|".join(alternatives) + r")(?=\s|$)")


def _level_of(text: str, patterns: Sequence[re.Pattern[str]]) -> int | None:
    for level, pattern in enumerate(patterns):
        if pattern.match(text):
            return level
    return None


def _core(text: str) -> str:
    """The line's words without its bullet, numbering or brackets."""
    match = _PREFIX_RE.match(text)
    start = match.end() if match else 0
    return text[start:].strip().rstrip(_CORE_TRAILING).strip()


def _heading_core(dt: dict[str, Any], line: _Line) -> str:
    """The squeezed words of a line that may be a heading; '' for body lines.

    Lines under a lower-level marker (○, -, 가.) are body text, never headings.
    """
    markers = _hierarchy(dt)
    if markers and _level_of(line.text, [_marker_pattern(m) for m in markers[1:]]) is not None:
        return ""
    if not markers and re.match(r"^\s*[○◦ㅇ\-–·]\s", line.text):
        return ""
    return _norm(_core(line.text))


def _is_heading_for(section: dict[str, Any], core: str) -> bool:
    """A heading starts with the section's keyword, or is short (≤ 20 letters) and holds it."""
    return bool(core) and any(
        core.startswith(w) or (len(core) <= 20 and w in core) for w in _section_keywords(section)
    )


def _is_heading(dt: dict[str, Any], line: _Line) -> bool:
    core = _heading_core(dt, line)
    return any(_is_heading_for(section, core) for section in _structure(dt))


def _starts_with_marker(dt: dict[str, Any], text: str) -> bool:
    markers = _hierarchy(dt) or DEFAULT_HIERARCHY
    if _level_of(text, [_marker_pattern(m) for m in markers]) is not None:
        return True
    return _BULLET_RE.match(text) is not None


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_SPLIT_RE.split(text) if s.strip()]


def _is_meta(text: str) -> bool:
    """A date, department or author line under the title (not content)."""
    stripped = text.strip()
    if len(stripped) > 40:
        return False
    if stripped[0] in "(<[【" and stripped[-1] in ")>]】":
        return True
    if _META_START_RE.match(stripped):
        return True
    rest = _DATE_RE.sub("", stripped)
    return rest != stripped and len(_norm(rest)) <= 8


def _without_title(dt: dict[str, Any], lines: list[_Line]) -> list[_Line]:
    """Content lines without the document title (a short first line with no bullet).

    A first line that starts with a section keyword ("추진배경") is a heading, not a title.
    """
    if len(lines) < 2:
        return list(lines)
    first = lines[0].text.lstrip().lstrip("#")
    if len(first.strip()) > 40 or _starts_with_marker(dt, first):
        return list(lines)
    core = _norm(_core(first))
    if any(core.startswith(w) for s in _structure(dt) for w in _section_keywords(s)):
        return list(lines)
    return list(lines[1:])


def _body_lines(dt: dict[str, Any], lines: list[_Line]) -> list[_Line]:
    """Content lines without the title and the date/author lines below it."""
    rest = _without_title(dt, lines)
    while rest and _is_meta(rest[0].text):
        rest = rest[1:]
    return rest


# --- the checks ----------------------------------------------------------------------------


def _check_sections(dt: dict[str, Any], lines: list[_Line]) -> _Outcome:
    required = _required_sections(dt)
    body = _without_title(dt, lines)
    found: list[int] = []
    missing: list[str] = []
    for section in required:
        # A keyword ending in '.' is a closing mark such as 공문's '끝.', found in any line.
        marks = [w for w in _section_keywords(section) if w.endswith(".")]
        number = next(
            (
                ln.number
                for ln in body
                if _is_heading_for(section, _heading_core(dt, ln))
                or any(mark in _norm(ln.text) for mark in marks)
            ),
            None,
        )
        if number is None:
            missing.append(str(section["title"]))
        else:
            found.append(number)
    ratio = len(found) / len(required) if required else 1.0
    if not missing:
        message = _("필수 항목 %(count)d개가 모두 있습니다.", count=len(required))
        return _Outcome(CheckResult("sections", True, message, tuple(found)), ratio)
    message = _(
        "%(missing)s 항목이 없습니다. '%(example)s'처럼 넣으세요.",
        missing=", ".join(missing),
        example=_heading_example(dt, missing[0]),
    )
    return _Outcome(CheckResult("sections", False, message, tuple(found)), ratio)


def _heading_example(dt: dict[str, Any], title: str) -> str:
    if _is_official_letter(dt):
        return "…  끝." if _norm(title) == "끝" else f"{title}  …"
    markers = _hierarchy(dt)
    return f"{_numbered(markers[0], 0)} {title}" if markers else f"[{title}]"


def _check_headline(dt: dict[str, Any], lines: list[_Line]) -> _Outcome:
    """두괄식 heuristic.

    After the title and any date/author lines, look at the content lines that come before the
    first section heading, at most three. They pass when one contains a conclusion word
    (HEADLINE_WORDS: 건의, 결론, 요약, 목적, 추진, 하고자, 요청) or is a top-level summary box
    line (□ …). A draft that opens straight with its first section heading (□ 추진배경) fails.
    """
    top = (_hierarchy(dt) or DEFAULT_HIERARCHY)[0]
    candidates: list[_Line] = []
    first_heading: _Line | None = None
    for line in _body_lines(dt, lines):
        if _is_heading(dt, line):
            first_heading = line
            break
        candidates.append(line)
        if len(candidates) == HEADLINE_WINDOW:
            break
    for line in candidates:
        if any(w in line.text for w in HEADLINE_WORDS) or line.text.lstrip().startswith(top):
            message = _(
                "%(line)d번째 줄에서 결론·목적을 먼저 밝혔습니다(두괄식).", line=line.number
            )
            return _Outcome(CheckResult("headline", True, message, (line.number,)), 1.0)
    shown = candidates or ([first_heading] if first_heading else [])
    where = _where([(ln.number, _quote(ln.text)) for ln in shown]) if shown else _("내용 없음")
    message = _(
        "%(where)s: 첫머리에 결론·건의·목적이 보이지 않습니다. 제목 바로 아래에 "
        "'%(top)s ○○을 추진하고자 함'처럼 핵심을 먼저 쓰세요(두괄식).",
        where=where,
        top=top,
    )
    return _Outcome(CheckResult("headline", False, message, tuple(ln.number for ln in shown)), 0.0)


def _check_hierarchy(dt: dict[str, Any], lines: list[_Line]) -> _Outcome:
    markers = _hierarchy(dt) or DEFAULT_HIERARCHY
    patterns = [_marker_pattern(m) for m in markers]
    order = " → ".join(markers)
    previous = -1
    checked = 0
    bad: list[_Line] = []
    for line in lines:
        level = _level_of(line.text, patterns)
        if level is None:
            continue
        checked += 1
        if level > previous + 1:
            bad.append(line)
        previous = level
    if checked == 0 and lines:
        message = _("기호(%(order)s)를 쓴 줄이 없습니다. 기호로 위계를 나타내세요.", order=order)
        return _Outcome(CheckResult("hierarchy", False, message), 0.0)
    if not bad:
        message = _("기호가 %(order)s 순서를 지킵니다.", order=order)
        return _Outcome(CheckResult("hierarchy", True, message), 1.0)
    message = _(
        "%(where)s: 상위 기호 없이 하위 기호가 나왔습니다. 기호는 %(order)s 순서로 씁니다.",
        where=_where([(ln.number, _quote(ln.text)) for ln in bad]),
        order=order,
    )
    lines_ = tuple(ln.number for ln in bad)
    return _Outcome(CheckResult("hierarchy", False, message, lines_), 1 - len(bad) / checked)


def _check_gaejosik(dt: dict[str, Any], lines: list[_Line]) -> _Outcome:
    bad: list[_Line] = []
    for line in lines:
        endings = (s.rstrip(_TRAILING_PUNCT) for s in _sentences(line.text))
        if any(_NARRATIVE_END_RE.search(e) for e in endings):
            bad.append(line)
    if not bad:
        message = _("모든 줄이 명사형으로 끝맺은 개조식입니다.")
        return _Outcome(CheckResult("gaejosik", True, message), 1.0)
    message = _(
        "%(where)s: 서술형(~습니다, ~한다)으로 끝납니다. 개조식은 '~추진', '~필요', '~예정', "
        "'~함'처럼 명사형으로 짧게 끝맺습니다.",
        where=_where([(ln.number, _quote(ln.text, tail=True)) for ln in bad]),
    )
    ratio = 1 - len(bad) / len(lines)
    return _Outcome(CheckResult("gaejosik", False, message, tuple(ln.number for ln in bad)), ratio)


def _check_sentence_length(dt: dict[str, Any], lines: list[_Line]) -> _Outcome:
    limit = int(_style(dt).get("max_sentence_chars") or DEFAULT_MAX_SENTENCE_CHARS)
    total = 0
    bad: list[tuple[_Line, int]] = []
    for line in lines:
        sentences = _sentences(_core(line.text))
        total += len(sentences)
        longest = max((len(s) for s in sentences), default=0)
        if longest > limit:
            bad.append((line, longest))
    if not bad:
        message = _("모든 문장이 %(limit)d자 이내입니다.", limit=limit)
        return _Outcome(CheckResult("sentence-length", True, message), 1.0)
    message = _(
        "%(where)s: 문장이 %(limit)d자를 넘습니다(가장 긴 문장 %(longest)d자, 공백 포함). "
        "두 문장으로 나누거나 꾸밈말을 줄이세요.",
        where=_where([(ln.number, _quote(ln.text)) for ln, _n in bad]),
        limit=limit,
        longest=max(n for _ln, n in bad),
    )
    ratio = 1 - len(bad) / max(total, 1)
    lines_ = tuple(ln.number for ln, _n in bad)
    return _Outcome(CheckResult("sentence-length", False, message, lines_), ratio)


def _unit_problems(text: str) -> tuple[int, list[str]]:
    """(quantities seen, snippets of those without a unit) in one line."""
    masked = text
    for pattern in _NOT_QUANTITY_RES:
        masked = pattern.sub(lambda m: " " * len(m.group(0)), masked)
    seen = 0
    problems: list[str] = []
    for match in _NUMBER_RE.finditer(masked):
        number = match.group(0)
        digits = sum(ch.isdigit() for ch in number)
        if digits < 2 and "," not in number:
            continue
        if re.fullmatch(r"(?:19|20)\d{2}", number.strip()):
            continue  # a bare year: 2026 업무계획
        start, end = match.start(), match.end()
        before = masked[start - 1] if start else ""
        if before in "-_." and start >= 2:
            before = masked[start - 2]
        if before.isascii() and before.isalpha():
            continue  # part of a name: GPT-4, N2SF, COVID-19
        seen += 1
        if before in _CURRENCY or _UNIT_ADJACENT_RE.match(masked, end):
            continue
        if _UNIT_SPACED_RE.match(masked, end):
            continue
        problems.append(text[max(0, start - 6) : end + 6].strip())
    return seen, problems


def _check_units(dt: dict[str, Any], lines: list[_Line]) -> _Outcome:
    seen = 0
    bad: list[tuple[int, str]] = []
    # Numbers right under a "(단위: 명)" note take the note's unit, until a blank line or table.
    in_unit_block = False
    previous = 0
    for line in lines:
        if line.number != previous + 1:
            in_unit_block = False
        previous = line.number
        if _UNIT_BLOCK_RE.search(line.text):
            in_unit_block = True
            continue
        if in_unit_block:
            continue
        count, problems = _unit_problems(line.text)
        seen += count
        bad.extend((line.number, _quote(p)) for p in problems)
    if not bad:
        message = _("숫자마다 단위가 붙어 있습니다.")
        return _Outcome(CheckResult("units", True, message), 1.0)
    message = _(
        "%(where)s: 숫자 뒤에 단위가 없습니다. 명, 원, 건, %% 같은 단위를 붙이세요.",
        where=_where(bad),
    )
    lines_ = tuple(dict.fromkeys(n for n, _q in bad))
    return _Outcome(CheckResult("units", False, message, lines_), 1 - len(bad) / max(seen, 1))


def _date_formatter(style: str) -> Callable[[int, int, int], str] | None:
    match = _DATE_STYLE_RE.fullmatch(style.strip())
    if not match:
        return None
    pre, _y, sep1, month, sep2, _d, post = match.groups()
    padded = month.startswith("0") or "-" in sep1

    def render(year: int, m: int, d: int) -> str:
        mm, dd = (f"{m:02d}", f"{d:02d}") if padded else (str(m), str(d))
        return f"{pre}{year}{sep1}{mm}{sep2}{dd}{post}"

    return render


def _check_dates(dt: dict[str, Any], lines: list[_Line]) -> _Outcome:
    """Full dates (year, month, day) must read as the type's date_style.

    Month-day dates ("11월 중", "11. 27.") are left alone: they are common and often right.
    """
    style = str(_style(dt).get("date_style") or DEFAULT_DATE_STYLE)
    render = _date_formatter(style) or _date_formatter(DEFAULT_DATE_STYLE)
    assert render is not None
    seen = 0
    bad: list[tuple[int, str]] = []
    for line in lines:
        for match in _DATE_RE.finditer(line.text):
            year, month, day = (int(g) for g in match.groups())
            if not (1 <= month <= 12 and 1 <= day <= 31):
                continue
            seen += 1
            written = match.group(0).strip()
            expected = render(year, month, day)
            if written != expected:
                bad.append((line.number, f"{written} → {expected}"))
    if not bad:
        message = _("날짜가 '%(style)s' 형식에 맞습니다.", style=style)
        return _Outcome(CheckResult("dates", True, message), 1.0)
    message = _(
        "%(where)s: 날짜는 '%(style)s' 형식으로 씁니다(연·월·일 글자 대신 온점).",
        where=_where(bad),
        style=style,
    )
    lines_ = tuple(dict.fromkeys(n for n, _q in bad))
    return _Outcome(CheckResult("dates", False, message, lines_), 1 - len(bad) / max(seen, 1))


_ANY_LANGUAGE_CHECKS = frozenset({"sections", "sentence-length"})

_CHECKS: dict[str, Callable[[dict[str, Any], list[_Line]], _Outcome]] = {
    "sections": _check_sections,
    "headline": _check_headline,
    "hierarchy": _check_hierarchy,
    "gaejosik": _check_gaejosik,
    "sentence-length": _check_sentence_length,
    "units": _check_units,
    "dates": _check_dates,
}


def applicable_checks(dt: dict[str, Any]) -> list[str]:
    """The check ids that apply to a document type, in report order.

    A check applies when the checklist names it or the style asks for it. Types not written in
    Korean (language en or any: translation) keep only the section and sentence-length checks,
    because 개조식, the □/○/- markers, 두괄식 words, Korean units and dates do not carry over.
    """
    style = _style(dt)
    wanted = {c.get("check") for c in _checklist(dt)} & set(CHECK_IDS)
    implied = {
        "gaejosik": bool(style.get("gaejosik")),
        "sentence-length": bool(style.get("max_sentence_chars")),
        "units": bool(style.get("units_required")),
        "dates": bool(style.get("date_style")),
        "hierarchy": bool(_hierarchy(dt)),
    }
    wanted |= {check for check, on in implied.items() if on}
    if _required_sections(dt):
        wanted.add("sections")
    else:
        wanted.discard("sections")
    return [c for c in CHECK_IDS if c in wanted and _language_allows(dt, c)]


def _language_allows(dt: dict[str, Any], check: str) -> bool:
    return _language(dt) == "ko" or check in _ANY_LANGUAGE_CHECKS


def check_draft(dt: dict[str, Any], text: str) -> list[CheckResult]:
    """Run the computable checks that apply to this document type on a draft."""
    lines = _content_lines(text)
    return [_CHECKS[check](dt, lines).result for check in applicable_checks(dt)]


# --- outline -------------------------------------------------------------------------------


def _numbered(marker: str, index: int) -> str:
    if re.search(r"\d", marker):
        return re.sub(r"\d+", str(index + 1), marker)
    if any(ch in _GANADA for ch in marker):
        return re.sub(f"[{_GANADA}]", _GANADA[index % len(_GANADA)], marker)
    return marker


def _is_official_letter(dt: dict[str, Any]) -> bool:
    titles = {_norm(str(s["title"])) for s in _structure(dt)}
    return "공문" in str(dt.get("name") or "") or {"수신", "제목"} <= titles


def _clean_topic(topic: str) -> str:
    flat = " ".join((topic or "").split())
    return flat[:80] or _("(주제)")


def _fill(hint: Any) -> str:
    return _("[작성] %(hint)s", hint=str(hint or "").strip() or _("내용"))


def _checklist_footer(dt: dict[str, Any]) -> list[str]:
    texts = [str(c.get("text")).strip() for c in _checklist(dt) if c.get("text")]
    return [_("※ 점검 목록: %(items)s", items=" / ".join(texts))] if texts else []


def _official_letter_outline(dt: dict[str, Any], topic: str) -> str:
    """수신/제목, numbered body (1. 가.), 붙임 and the closing '끝.'."""
    by_title = {_norm(str(s["title"])): s for s in _structure(dt)}
    markers = _hierarchy(dt) or ("1.", "가.")
    sub = markers[1] if len(markers) > 1 else "가."
    recipient = by_title.get("수신", {}).get("hint") or _("받는 기관장의 직위(예: ○○시장)")
    lines = [f"[{dt.get('name') or '공문'}] {topic}", "", f"수신  {_fill(recipient)}"]
    if "참조" in by_title:
        lines.append(f"참조  {_fill(by_title['참조'].get('hint'))}")
    if "경유" in by_title:
        lines.append(f"(경유)  {_fill(by_title['경유'].get('hint'))}")
    lines += [f"제목  {topic}", ""]
    skip = {"수신", "참조", "경유", "제목", "붙임", "끝"}
    body = [s for s in _structure(dt) if _norm(str(s["title"])) not in skip]
    for index, section in enumerate(body):
        hint = str(section.get("hint") or "").strip()
        label = f"{section['title']}: {hint}" if hint else str(section["title"])
        lines.append(f"{_numbered(markers[0], index)} {_fill(label)}")
    if body:
        lines += [f"  {_numbered(sub, i)} {_fill(_('세부 사항'))}" for i in range(2)]
    if "붙임" in by_title:
        attachment = str(by_title["붙임"].get("hint") or "").strip().removeprefix("붙임").strip()
        lines += ["", f"붙임  {_fill(attachment)}  끝."]
    elif body:
        lines[-1] += "  끝."
    else:
        lines.append("끝.")
    return "\n".join([*lines, "", *_checklist_footer(dt)]).strip()


def outline(dt: dict[str, Any], topic: str) -> str:
    """The document type's outline for a topic, as plain text to copy into the draft."""
    topic = _clean_topic(topic)
    if _is_official_letter(dt):
        return _official_letter_outline(dt, topic)
    markers = _hierarchy(dt)
    numbered = bool(markers) and bool(re.search(rf"[\d{_GANADA}]", markers[0]))
    lines = [f"[{dt.get('name') or ''}] {topic}".strip(), ""]
    if "headline" in {c.get("check") for c in _checklist(dt)}:
        top = markers[0] if markers and not numbered else "□"
        lines += [f"{top} {_fill(_('결론·건의를 한두 줄로 먼저 씁니다(두괄식)'))}", ""]
    for index, section in enumerate(_structure(dt)):
        title = str(section["title"])
        if not section.get("required"):
            title += _(" (선택)")
        if markers:
            lines.append(f"{_numbered(markers[0], index)} {title}")
        else:
            lines.append(f"[{title}]")
        sub = _numbered(markers[1], 0) + " " if len(markers) > 1 else ""
        lines.append(f"  {sub}{_fill(section.get('hint'))}")
        if len(markers) > 2:
            lines.append(f"    {_numbered(markers[2], 0)} {_fill(_('세부 근거·수치와 출처'))}")
        lines.append("")
    return "\n".join([*lines, *_checklist_footer(dt)]).strip()


# --- rubric --------------------------------------------------------------------------------


def _scaled(max_score: int, outcome: _Outcome) -> int:
    if outcome.result.passed:
        return max_score
    # A failed check never earns full marks, however small the share of bad lines.
    score = math.floor(max_score * outcome.ratio + 0.5)
    return max(0, min(score, max_score - 1))


def rubric_feedback(dt: dict[str, Any], ex: dict[str, Any], text: str) -> dict[str, Any]:
    """Score the rubric criteria the coach can compute; leave the rest to people or a model."""
    lines = _content_lines(text)
    criteria: list[dict[str, Any]] = []
    for item in ex.get("rubric") or []:
        criterion_id = str(item.get("id"))
        max_score = int(item.get("max_score") or 0)
        auto = item.get("auto")
        entry: dict[str, Any] = {
            "id": criterion_id,
            "title": str(item.get("title") or criterion_id),
            "max_score": max_score,
            "score": None,
            "comment": _("강사 검토나 모델 채점이 필요합니다(코치가 계산할 수 없는 기준)."),
            "computed": False,
        }
        if auto in _CHECKS and not _language_allows(dt, auto):
            entry["comment"] = _(
                "이 점검은 한국어 문서에만 맞아 이 문서 유형에서는 계산하지 않습니다. "
                "강사 검토나 모델 채점이 필요합니다."
            )
        elif auto == "sections" and not _required_sections(dt):
            entry["comment"] = _(
                "이 문서 유형에는 필수 항목이 정해져 있지 않아 계산할 수 없습니다."
            )
        elif auto in _CHECKS and not lines:
            entry.update(score=0, comment=_("초안이 비어 있어 0점입니다."), computed=True)
        elif auto in _CHECKS:
            outcome = _CHECKS[auto](dt, lines)
            entry.update(
                score=_scaled(max_score, outcome), comment=outcome.result.message, computed=True
            )
        criteria.append(entry)
    computed = [c for c in criteria if c["computed"]]
    total = sum(c["score"] for c in computed)
    max_total = sum(c["max_score"] for c in computed)
    left = [c["title"] for c in criteria if not c["computed"]]
    summary = _(
        "코치가 계산한 %(count)d개 기준: %(total)d/%(max_total)d점.",
        count=len(computed),
        total=total,
        max_total=max_total,
    )
    if left:
        summary += " " + _(
            "나머지 %(count)d개 기준(%(titles)s)은 점수를 매기지 않았습니다. "
            "강사 검토나 모델 채점이 필요합니다.",
            count=len(left),
            titles=", ".join(left),
        )
    return {
        "criteria": criteria,
        "total": total,
        "max_total": max_total,
        "summary": summary,
        "source": "coach",
    }


# --- the responder -------------------------------------------------------------------------

_OUTLINE_WORDS = ("개요", "목차", "구성", "뼈대", "아웃라인", "outline")
_GUARD_WORDS = ("개인정보", "마스킹", "가명", "주민등록")
_SCORE_WORDS = ("채점", "평가", "루브릭", "점수")
_CHECK_WORDS = ("점검", "검토", "확인", "체크", "첨삭")
_TOPIC_NOISE_RE = re.compile(
    r"(?:(?:에\s*대한|에\s*대해서?|에\s*관한|관련(?:해서|하여)?|으로)\s*)?"
    r"(?:개요|목차|구성|뼈대|아웃라인|outline)(?:안|를|을|이|가|도)?"
    r"|(?:만들어|작성해|짜|잡아|보여|알려|써|그려|정리해)\s*(?:줘|줄래|주세요|주십시오|주실래요|봐)?"
    r"|부탁(?:해|해요|합니다|드립니다|드려요)?|(?:해\s*)?주세요|좀|please",
    re.IGNORECASE,
)
_GREETING_RE = re.compile(r"^(?:안녕|도움|도와|뭐|무엇|\?|(?:hello|hi|help)\b)", re.IGNORECASE)
_LONG_TEXT_CHARS = 120


def _topic_from(message: str) -> str:
    flat = " ".join(message.split())
    parts = re.split(r"[:：]", flat, maxsplit=1)
    cleaned = [
        _TOPIC_NOISE_RE.sub(" ", p).strip(" .,!?~;\"'").strip() for p in reversed(parts) if p
    ]
    topic = next((c for c in cleaned if c), "")
    return " ".join(topic.split())[:60]


def _is_long_text(message: str) -> bool:
    return len(message) >= _LONG_TEXT_CHARS and message.count("\n") >= 2


def _without_request_line(message: str) -> str:
    first, _sep, rest = message.strip().partition("\n")
    asks = any(w in first for w in (*_CHECK_WORDS, *_SCORE_WORDS))
    return rest if asks and len(first) <= 40 and rest.strip() else message


def _check_reply(dt: dict[str, Any], text: str) -> list[str]:
    results = check_draft(dt, text)
    manual = [
        str(c.get("text"))
        for c in _checklist(dt)
        if c.get("check") not in CHECK_IDS and c.get("text")
    ]
    if not results:
        out = [_("이 문서 유형에는 코치가 계산할 수 있는 점검이 없습니다.")]
    else:
        passed = sum(r.passed for r in results)
        out = [
            _(
                "%(name)s 초안 점검: 통과 %(passed)d개, 보완 %(failed)d개",
                name=dt.get("name") or "",
                passed=passed,
                failed=len(results) - passed,
            )
        ]
        for result in results:
            mark = _("[통과]") if result.passed else _("[보완]")
            out.append(f"{mark} {CHECK_LABELS[result.id]}: {result.message}")
    if manual:
        out += ["", _("직접 확인할 항목:"), *(f"- {m}" for m in manual)]
    return out


def _score_reply(dt: dict[str, Any], ex: dict[str, Any], text: str) -> list[str]:
    feedback = rubric_feedback(dt, ex, text)
    out = [
        _(
            "'%(title)s' 루브릭 중 코치가 계산할 수 있는 기준만 채점했습니다.",
            title=ex.get("title") or "",
        )
    ]
    for c in feedback["criteria"]:
        score = f"{c['score']}/{c['max_score']}" if c["computed"] else _("점수 없음")
        out.append(f"- {c['title']}: {score} — {c['comment']}")
    out += ["", feedback["summary"]]
    return out


def _guard_reply() -> list[str]:
    return [
        _(
            "모델로 보내기 전에 '가드'가 메시지를 검사합니다. 찾는 것: 주민등록번호(검증번호가 "
            "맞지 않아도 잡습니다. 2020년 10월 이후 번호는 끝자리가 임의 숫자이기 때문입니다), "
            "외국인등록번호, 여권번호, 운전면허번호, 휴대전화·일반전화 번호, 전자우편 주소, "
            "사업자등록번호, 계좌번호(계좌 관련 낱말 근처), 카드번호, 그리고 대외비·비공개·기밀 "
            "같은 보안 표시입니다."
        ),
        _(
            "찾은 곳은 표시되고, 가림(마스킹)을 해야만 보낼 수 있습니다. 외부 AI 서비스에 들어간 "
            "내용은 저장되거나 학습에 쓰일 수 있고 되돌릴 수 없기 때문입니다. 국가정보원의 생성형 "
            "AI 보안 가이드라인도 비공개 정보와 개인정보를 입력하지 말라고 권고합니다."
        ),
        _(
            "연습할 때는 실명 대신 '홍길동', 번호 대신 '010-0000-0000'처럼 가명과 가상 값을 "
            "쓰세요. 가드의 결정 기록에는 가린 일부만 남습니다."
        ),
    ]


def _help_lines(dt: dict[str, Any], ex: dict[str, Any] | None) -> list[str]:
    out = [
        _(
            "지금은 AI 모델이 연결되어 있지 않아 내장 연습 코치가 답합니다. 코치는 글을 대신 "
            "써 주지 않고 %(name)s의 구성과 표기 습관을 연습하도록 돕습니다.",
            name=dt.get("name") or "",
        ),
        _("- '개요: 주제' → 문서 뼈대 만들기"),
    ]
    checks = [str(CHECK_LABELS[c]) for c in applicable_checks(dt)]
    if checks:
        out.append(_("- '점검' → 초안 점검(%(checks)s)", checks=", ".join(checks)))
    if ex is not None:
        out.append(_("- '채점' → 실습 과제 기준 중 계산 가능한 항목 채점"))
    out.append(_("- '개인정보' → 보내기 전 개인정보 점검(가드) 설명"))
    return out


def _outline_lines(dt: dict[str, Any], topic: str) -> list[str]:
    return [
        _(
            "'%(topic)s' 주제로 %(name)s 개요를 만들었습니다. [작성] 부분을 채우세요.",
            topic=topic,
            name=dt.get("name") or "",
        ),
        "",
        outline(dt, topic),
        "",
        _("다 쓰면 '점검'이라고 보내 주세요."),
    ]


def _last_user_message(messages: list[dict[str, str]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return str(message.get("content") or "")
    return ""


def respond(
    dt: dict[str, Any],
    ex: dict[str, Any] | None,
    messages: list[dict[str, str]],
    draft_text: str = "",
) -> str:
    """The built-in coach's answer to the last user message (no model involved)."""
    message = _last_user_message(messages).strip()
    long_text = _is_long_text(message)
    # A pasted draft is read for its intent from its first line only: its own words
    # ("구성", "평가") must not steer the coach.
    asked = message.partition("\n")[0] if long_text else message
    request = asked.lower()

    def has(words: Sequence[str]) -> bool:
        return any(w in request for w in words)

    body: list[str]
    if has(_OUTLINE_WORDS) and not has(_CHECK_WORDS):
        topic = _topic_from(asked)
        body = _outline_lines(dt, topic or (str(ex.get("title")) if ex else "") or _("(주제)"))
    elif has(_GUARD_WORDS):
        body = _guard_reply()
    elif has(_SCORE_WORDS) or has(_CHECK_WORDS) or long_text:
        text = _without_request_line(message) if long_text else draft_text
        if not text.strip():
            body = [_("점검할 초안이 없습니다. 초안 창에 쓰거나 메시지에 붙여 넣어 주세요.")]
        elif has(_SCORE_WORDS) and ex is not None:
            body = _score_reply(dt, ex, text)
        elif has(_SCORE_WORDS):
            body = [_("이 대화는 실습 과제와 연결되어 있지 않아 채점 대신 점검합니다."), ""]
            body += _check_reply(dt, text)
        else:
            body = _check_reply(dt, text)
    else:
        body = _help_lines(dt, ex)
        topic = _topic_from(message)
        if len(topic) >= 2 and not _GREETING_RE.match(topic):
            body += ["", *_outline_lines(dt, topic)]
    return "\n".join([str(COACH_LABEL), *body]).rstrip()
