"""The offline coach's draft checks: sections, 두괄식, marker order, 개조식, sentence
length, units and dates.

:func:`check_draft` runs the checks that apply to a document type (:func:`applicable_checks`)
and explains each result in plain Korean, naming the lines at fault. Each check also measures
the share of its criterion met, which :func:`.replies.rubric_feedback` turns
into computed rubric scores. Deterministic text processing only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.assistant.coach import figures
from portal.assistant.coach.text import (
    DATE_RE,
    DEFAULT_HIERARCHY,
    Line,
    body_lines,
    checklist_of,
    content_lines,
    core_text,
    heading_core,
    hierarchy_of,
    is_heading,
    is_heading_for,
    is_official_letter,
    language_of,
    level_of,
    marker_pattern,
    normalised,
    numbered_marker,
    required_sections,
    section_keywords,
    style_of,
    without_title,
)

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
    "figures": _l("수치 대조"),
}

# Each figure that does not trace to the source costs a quarter of the accuracy criterion.
FIGURE_PENALTY = 0.25
FIGURES_SHOWN = 5
DEFAULT_MAX_SENTENCE_CHARS = 80
# 날짜는 연·월·일 글자를 생략하고 온점을 찍는다: 행정업무의 운영 및 혁신에 관한 규정 시행규칙 제2조.
DEFAULT_DATE_STYLE = "2026. 11. 27."
QUOTE_CHARS = 30
HEADLINE_WINDOW = 3
# Words that show a line states the conclusion or purpose (두괄식 heuristic, see _check_headline).
HEADLINE_WORDS = ("건의", "결론", "요약", "목적", "추진", "하고자", "요청")

_SENTENCE_SPLIT_RE = re.compile(r"(?<=[^\d\s][.!?])\s+")
_TRAILING_PUNCT = " \t.!?~…\"'”’」』)]>"
# Narrative (서술형) endings that do not belong in 개조식 lines. "~필요", "~예정", "~최다" stay legal.
_NARRATIVE_END_RE = re.compile(
    r"(?:니다|[한된했됐였었았겠있없같]다|이다|해요|어요|아요|세요|예요|에요|까요|네요|지요)$"
)

_DATE_STYLE_RE = re.compile(r"(\D*)(\d{4})(\D+)(\d{1,2})(\D+)(\d{1,2})(\D*)")

# Spans that hold digits but are not quantities: dates and date ranges, times, document
# numbers, codes and phone numbers (also when masked by the guard), list numbers, and
# ordinals such as 제3조.
_NOT_QUANTITY_RES = (
    DATE_RE,
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


@dataclass(frozen=True)
class CheckResult:
    """One computable check of a draft, with a plain Korean explanation."""

    id: str
    passed: bool
    message: str
    lines: tuple[int, ...] = ()


@dataclass(frozen=True)
class Outcome:
    result: CheckResult
    ratio: float  # share of the criterion met, 0..1; drives computed rubric scores


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


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_SPLIT_RE.split(text) if s.strip()]


# --- the checks ----------------------------------------------------------------------------


def _check_sections(doctype: dict[str, Any], lines: list[Line]) -> Outcome:
    required = required_sections(doctype)
    body = without_title(doctype, lines)
    found: list[int] = []
    missing: list[str] = []
    for section in required:
        # A keyword ending in '.' is a closing mark such as 공문's '끝.', found in any line.
        marks = [w for w in section_keywords(section) if w.endswith(".")]
        number = next(
            (
                ln.number
                for ln in body
                if is_heading_for(section, heading_core(doctype, ln))
                or any(mark in normalised(ln.text) for mark in marks)
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
        return Outcome(CheckResult("sections", True, message, tuple(found)), ratio)
    message = _(
        "%(missing)s 항목이 없습니다. '%(example)s'처럼 넣으세요.",
        missing=", ".join(missing),
        example=_heading_example(doctype, missing[0]),
    )
    return Outcome(CheckResult("sections", False, message, tuple(found)), ratio)


def _heading_example(doctype: dict[str, Any], title: str) -> str:
    if is_official_letter(doctype):
        return "…  끝." if normalised(title) == "끝" else f"{title}  …"
    markers = hierarchy_of(doctype)
    return f"{numbered_marker(markers[0], 0)} {title}" if markers else f"[{title}]"


def _check_headline(doctype: dict[str, Any], lines: list[Line]) -> Outcome:
    """두괄식 heuristic.

    After the title and any date/author lines, look at the content lines that come before the
    first section heading, at most three. They pass when one contains a conclusion word
    (HEADLINE_WORDS: 건의, 결론, 요약, 목적, 추진, 하고자, 요청) or is a top-level summary box
    line (□ …). A draft that opens straight with its first section heading (□ 추진배경) fails.
    """
    top = (hierarchy_of(doctype) or DEFAULT_HIERARCHY)[0]
    candidates: list[Line] = []
    first_heading: Line | None = None
    for line in body_lines(doctype, lines):
        if is_heading(doctype, line):
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
            return Outcome(CheckResult("headline", True, message, (line.number,)), 1.0)
    shown = candidates or ([first_heading] if first_heading else [])
    where = _where([(ln.number, _quote(ln.text)) for ln in shown]) if shown else _("내용 없음")
    message = _(
        "%(where)s: 첫머리에 결론·건의·목적이 보이지 않습니다. 제목 바로 아래에 "
        "'%(top)s ○○을 추진하고자 함'처럼 핵심을 먼저 쓰세요(두괄식).",
        where=where,
        top=top,
    )
    return Outcome(CheckResult("headline", False, message, tuple(ln.number for ln in shown)), 0.0)


def _check_hierarchy(doctype: dict[str, Any], lines: list[Line]) -> Outcome:
    markers = hierarchy_of(doctype) or DEFAULT_HIERARCHY
    patterns = [marker_pattern(m) for m in markers]
    order = " → ".join(markers)
    previous = -1
    checked = 0
    bad: list[Line] = []
    for line in lines:
        level = level_of(line.text, patterns)
        if level is None:
            continue
        checked += 1
        if level > previous + 1:
            bad.append(line)
        previous = level
    if checked == 0 and lines:
        message = _("기호(%(order)s)를 쓴 줄이 없습니다. 기호로 위계를 나타내세요.", order=order)
        return Outcome(CheckResult("hierarchy", False, message), 0.0)
    if not bad:
        message = _("기호가 %(order)s 순서를 지킵니다.", order=order)
        return Outcome(CheckResult("hierarchy", True, message), 1.0)
    message = _(
        "%(where)s: 상위 기호 없이 하위 기호가 나왔습니다. 기호는 %(order)s 순서로 씁니다.",
        where=_where([(ln.number, _quote(ln.text)) for ln in bad]),
        order=order,
    )
    lines_ = tuple(ln.number for ln in bad)
    return Outcome(CheckResult("hierarchy", False, message, lines_), 1 - len(bad) / checked)


def _check_gaejosik(doctype: dict[str, Any], lines: list[Line]) -> Outcome:
    bad: list[Line] = []
    for line in lines:
        endings = (s.rstrip(_TRAILING_PUNCT) for s in _sentences(line.text))
        if any(_NARRATIVE_END_RE.search(e) for e in endings):
            bad.append(line)
    if not bad:
        message = _("모든 줄이 명사형으로 끝맺은 개조식입니다.")
        return Outcome(CheckResult("gaejosik", True, message), 1.0)
    message = _(
        "%(where)s: 서술형(~습니다, ~한다)으로 끝납니다. 개조식은 '~추진', '~필요', '~예정', "
        "'~함'처럼 명사형으로 짧게 끝맺습니다.",
        where=_where([(ln.number, _quote(ln.text, tail=True)) for ln in bad]),
    )
    ratio = 1 - len(bad) / len(lines)
    return Outcome(CheckResult("gaejosik", False, message, tuple(ln.number for ln in bad)), ratio)


def _check_sentence_length(doctype: dict[str, Any], lines: list[Line]) -> Outcome:
    limit = int(style_of(doctype).get("max_sentence_chars") or DEFAULT_MAX_SENTENCE_CHARS)
    total = 0
    bad: list[tuple[Line, int]] = []
    for line in lines:
        sentences = _sentences(core_text(line.text))
        total += len(sentences)
        longest = max((len(s) for s in sentences), default=0)
        if longest > limit:
            bad.append((line, longest))
    if not bad:
        message = _("모든 문장이 %(limit)d자 이내입니다.", limit=limit)
        return Outcome(CheckResult("sentence-length", True, message), 1.0)
    message = _(
        "%(where)s: 문장이 %(limit)d자를 넘습니다(가장 긴 문장 %(longest)d자, 공백 포함). "
        "두 문장으로 나누거나 꾸밈말을 줄이세요.",
        where=_where([(ln.number, _quote(ln.text)) for ln, _n in bad]),
        limit=limit,
        longest=max(n for _ln, n in bad),
    )
    ratio = 1 - len(bad) / max(total, 1)
    lines_ = tuple(ln.number for ln, _n in bad)
    return Outcome(CheckResult("sentence-length", False, message, lines_), ratio)


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


def _check_units(doctype: dict[str, Any], lines: list[Line]) -> Outcome:
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
        return Outcome(CheckResult("units", True, message), 1.0)
    message = _(
        "%(where)s: 숫자 뒤에 단위가 없습니다. 명, 원, 건, %% 같은 단위를 붙이세요.",
        where=_where(bad),
    )
    lines_ = tuple(dict.fromkeys(n for n, _q in bad))
    return Outcome(CheckResult("units", False, message, lines_), 1 - len(bad) / max(seen, 1))


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


def _check_dates(doctype: dict[str, Any], lines: list[Line]) -> Outcome:
    """Full dates (year, month, day) must read as the type's date_style.

    Month-day dates ("11월 중", "11. 27.") are left alone: they are common and often right.
    """
    style = str(style_of(doctype).get("date_style") or DEFAULT_DATE_STYLE)
    render = _date_formatter(style) or _date_formatter(DEFAULT_DATE_STYLE)
    assert render is not None
    seen = 0
    bad: list[tuple[int, str]] = []
    for line in lines:
        for match in DATE_RE.finditer(line.text):
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
        return Outcome(CheckResult("dates", True, message), 1.0)
    message = _(
        "%(where)s: 날짜는 '%(style)s' 형식으로 씁니다(연·월·일 글자 대신 온점).",
        where=_where(bad),
        style=style,
    )
    lines_ = tuple(dict.fromkeys(n for n, _q in bad))
    return Outcome(CheckResult("dates", False, message, lines_), 1 - len(bad) / max(seen, 1))


_ANY_LANGUAGE_CHECKS = frozenset({"sections", "sentence-length"})

CHECKS: dict[str, Callable[[dict[str, Any], list[Line]], Outcome]] = {
    "sections": _check_sections,
    "headline": _check_headline,
    "hierarchy": _check_hierarchy,
    "gaejosik": _check_gaejosik,
    "sentence-length": _check_sentence_length,
    "units": _check_units,
    "dates": _check_dates,
}


def applicable_checks(doctype: dict[str, Any]) -> list[str]:
    """The check ids that apply to a document type, in report order.

    A check applies when the checklist names it or the style asks for it. Types not written in
    Korean (language en or any: translation) keep only the section and sentence-length checks,
    because 개조식, the □/○/- markers, 두괄식 words, Korean units and dates do not carry over.
    """
    style = style_of(doctype)
    wanted = {c.get("check") for c in checklist_of(doctype)} & set(CHECK_IDS)
    implied = {
        "gaejosik": bool(style.get("gaejosik")),
        "sentence-length": bool(style.get("max_sentence_chars")),
        "units": bool(style.get("units_required")),
        "dates": bool(style.get("date_style")),
        "hierarchy": bool(hierarchy_of(doctype)),
    }
    wanted |= {check for check, on in implied.items() if on}
    if required_sections(doctype):
        wanted.add("sections")
    else:
        wanted.discard("sections")
    return [c for c in CHECK_IDS if c in wanted and language_allows(doctype, c)]


def language_allows(doctype: dict[str, Any], check: str) -> bool:
    return language_of(doctype) == "ko" or check in _ANY_LANGUAGE_CHECKS


def check_draft(doctype: dict[str, Any], text: str) -> list[CheckResult]:
    """Run the computable checks that apply to this document type on a draft."""
    lines = content_lines(text)
    return [CHECKS[check](doctype, lines).result for check in applicable_checks(doctype)]


# --- figures against the exercise's source -------------------------------------------------


def figure_traces(ex: dict[str, Any] | None, text: str) -> list[figures.Trace]:
    """Each figure of the draft with how it traces to the exercise's source and scenario."""
    return figures.trace(text, figures.source_text(ex))


def figures_apply(doctype: dict[str, Any], ex: dict[str, Any] | None) -> bool:
    """Figures are compared for Korean document types of an exercise with source material."""
    return language_of(doctype) == "ko" and bool(figures.source_text(ex).strip())


def untraced_note(trace: figures.Trace) -> str:
    if trace.nearest is not None:
        return _("출처 확인 필요: 원 자료에는 %(nearest)s", nearest=trace.nearest.text)
    return _("출처 확인 필요: 원 자료에 같은 단위의 수치가 없습니다")


def untraced_figures(traces: Sequence[figures.Trace]) -> list[dict[str, Any]]:
    """The figures that do not follow from the source, as stored with rubric feedback."""
    return [
        {"figure": t.figure.text, "line": t.figure.line, "note": untraced_note(t)}
        for t in traces
        if not t.traced
    ]


def _figure_item(trace: figures.Trace) -> str:
    return _(
        "%(line)d번째 줄 %(figure)s — %(note)s",
        line=trace.figure.line,
        figure=trace.figure.text,
        note=untraced_note(trace),
    )


def check_figures(doctype: dict[str, Any], ex: dict[str, Any] | None, text: str) -> Outcome:
    """Accuracy of figures: each figure traces to the source, and (where the type asks for
    units) every number has its unit.

    A figure that appears nowhere in the source and does not follow from it costs
    FIGURE_PENALTY of the criterion; numbers without units cost their share as in the units
    check. A draft with no figures at all, from a source that has some, fails.
    """
    traces = figure_traces(ex, text)
    bad = [t for t in traces if not t.traced]
    units: Outcome | None = None
    if style_of(doctype).get("units_required"):
        units = _check_units(doctype, content_lines(text))
    computed = sum(t.status == "computed" for t in traces)
    if not traces and figures.extract(figures.source_text(ex)):
        message = _("초안에 수치가 없습니다. 원 자료의 핵심 수치를 단위와 함께 옮기세요.")
        return Outcome(CheckResult("figures", False, message), 0.0)
    parts: list[str] = []
    if bad:
        shown = "; ".join(_figure_item(t) for t in bad[:FIGURES_SHOWN])
        if len(bad) > FIGURES_SHOWN:
            shown += _(" 외 %(count)d개", count=len(bad) - FIGURES_SHOWN)
        parts.append(
            _(
                "원 자료와 다르거나 원 자료에서 찾을 수 없는 수치 %(count)d개: %(list)s.",
                count=len(bad),
                list=shown,
            )
        )
    if units is not None and not units.result.passed:
        parts.append(units.result.message)
    ratio = (units.ratio if units is not None else 1.0) - FIGURE_PENALTY * len(bad)
    lines_ = tuple(dict.fromkeys(t.figure.line for t in bad))
    if parts:
        if units is not None and not units.result.passed:
            lines_ = tuple(dict.fromkeys((*lines_, *units.result.lines)))
        return Outcome(CheckResult("figures", False, " ".join(parts), lines_), max(0.0, ratio))
    if computed:
        message = _(
            "수치 %(count)d개가 모두 원 자료와 맞습니다(자료에서 계산한 수치 %(computed)d개 포함).",
            count=len(traces),
            computed=computed,
        )
    else:
        message = _("수치 %(count)d개가 모두 원 자료와 맞습니다.", count=len(traces))
    if units is not None:
        message += " " + units.result.message
    return Outcome(CheckResult("figures", True, message), 1.0)


def figure_report(
    doctype: dict[str, Any], ex: dict[str, Any] | None, text: str
) -> tuple[bool, list[str]] | None:
    """The figure comparison for the '점검' reply, as (passed, lines): every untraced figure
    with the nearest source figure, then the computed ones with their computation. None when
    there is no source to compare with."""
    if not figures_apply(doctype, ex):
        return None
    traces = figure_traces(ex, text)
    if not traces:
        return False, [_("[보완] 수치 대조: 초안에서 수치를 찾지 못했습니다.")]
    bad = [t for t in traces if not t.traced]
    if bad:
        out = [
            _(
                "[보완] 수치 대조: 수치 %(total)d개 중 %(count)d개를 원 자료에서 확인할 수 "
                "없습니다. 자료집과 대조해 고치거나 출처를 밝히세요.",
                total=len(traces),
                count=len(bad),
            )
        ]
        out += [f"- {_figure_item(t)}" for t in bad]
    else:
        out = [
            _(
                "[통과] 수치 대조: 수치 %(total)d개가 모두 원 자료와 맞습니다.",
                total=len(traces),
            )
        ]
    for t in traces:
        if t.status == "computed":
            out.append(
                _(
                    "- %(line)d번째 줄 %(figure)s — 원 자료로 계산한 값(%(basis)s)",
                    line=t.figure.line,
                    figure=t.figure.text,
                    basis=t.basis,
                )
            )
    return not bad, out
